/*
 * ELF64 executable validation for the loader.  Every offset and size read
 * from the file is checked for overflow before it is used.
 */
#include "boot/elf.h"
#include "boot/fmt.h"

static int elf_fail(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int elf_fail(char *err, size_t err_len, const char *fmt, ...)
{
	if (err && err_len) {
		__builtin_va_list ap;
		__builtin_va_start(ap, fmt);
		fmt_vsnprintf(err, err_len, fmt, ap);
		__builtin_va_end(ap);
	}
	return -1;
}

static void elf_copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
}

/* [a, a + an) and [b, b + bn) intersect; neither range wraps. */
static int ranges_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

int elf_parse(const void *file, size_t size, struct elf_image *img,
	      char *err, size_t err_len)
{
	const unsigned char *bytes = file;
	struct elf64_ehdr eh;

	for (size_t i = 0; i < sizeof(*img); i++)
		((unsigned char *)img)[i] = 0;
	if (err && err_len)
		err[0] = '\0';

	if (size < 4 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F')
		return elf_fail(err, err_len, "not an ELF file");
	if (size < sizeof(eh))
		return elf_fail(err, err_len, "truncated ELF header (file is %zu bytes)", size);
	elf_copy(&eh, bytes, sizeof(eh));

	if (eh.e_ident[4] != ELF_CLASS_64)
		return elf_fail(err, err_len, "not an x86-64 ELF (it is a 32-bit ELF)");
	if (eh.e_ident[5] != ELF_DATA_LSB)
		return elf_fail(err, err_len, "not an x86-64 ELF (it is big-endian)");
	if (eh.e_machine != ELF_MACHINE_X8664)
		return elf_fail(err, err_len, "not an x86-64 ELF (e_machine is %u)", eh.e_machine);
	if (eh.e_ident[6] != ELF_VERSION_CUR || eh.e_version != ELF_VERSION_CUR)
		return elf_fail(err, err_len, "unsupported ELF version");
	if (eh.e_type != ELF_TYPE_EXEC)
		return elf_fail(err, err_len, "not an executable ELF (e_type is %u, ET_EXEC is needed)",
				eh.e_type);
	if (eh.e_phnum == 0)
		return elf_fail(err, err_len, "no program headers");
	if (eh.e_phentsize != sizeof(struct elf64_phdr))
		return elf_fail(err, err_len, "bad program header size %u (expected %zu)",
				eh.e_phentsize, sizeof(struct elf64_phdr));
	uint64_t ph_bytes = (uint64_t)eh.e_phnum * sizeof(struct elf64_phdr);
	if (eh.e_phoff > size || ph_bytes > size - eh.e_phoff)
		return elf_fail(err, err_len, "program headers lie outside the file");

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph;
		elf_copy(&ph, bytes + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != ELF_PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return elf_fail(err, err_len,
					"segment %u: file size 0x%llx is larger than memory size 0x%llx",
					i, (unsigned long long)ph.p_filesz,
					(unsigned long long)ph.p_memsz);
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			return elf_fail(err, err_len, "segment %u: data lies outside the file", i);
		if (ph.p_memsz == 0)
			continue;
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
			return elf_fail(err, err_len, "segment %u: virtual address range overflows", i);
		if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
			return elf_fail(err, err_len, "segment %u: physical address range overflows", i);
		if (img->segment_count == ELF_MAX_SEGMENTS)
			return elf_fail(err, err_len, "too many loadable segments (at most %u)",
					ELF_MAX_SEGMENTS);
		for (uint32_t j = 0; j < img->segment_count; j++) {
			const struct elf_segment *o = &img->segments[j];
			if (ranges_overlap(ph.p_vaddr, ph.p_memsz, o->vaddr, o->memsz))
				return elf_fail(err, err_len, "segment %u overlaps an earlier segment", i);
		}

		struct elf_segment *s = &img->segments[img->segment_count++];
		s->vaddr = ph.p_vaddr;
		s->paddr = ph.p_paddr;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
		s->flags = ph.p_flags;

		if (img->segment_count == 1 || ph.p_vaddr < img->vaddr_min)
			img->vaddr_min = ph.p_vaddr;
		if (img->segment_count == 1 || ph.p_vaddr + ph.p_memsz > img->vaddr_end)
			img->vaddr_end = ph.p_vaddr + ph.p_memsz;
		if (img->segment_count == 1 || ph.p_paddr < img->paddr_min)
			img->paddr_min = ph.p_paddr;
		if (img->segment_count == 1 || ph.p_paddr + ph.p_memsz > img->paddr_end)
			img->paddr_end = ph.p_paddr + ph.p_memsz;
	}

	if (img->segment_count == 0)
		return elf_fail(err, err_len, "no loadable segments");

	int entry_ok = 0;
	for (uint32_t j = 0; j < img->segment_count; j++) {
		const struct elf_segment *s = &img->segments[j];
		if (eh.e_entry >= s->vaddr && eh.e_entry - s->vaddr < s->memsz)
			entry_ok = 1;
	}
	if (!entry_ok)
		return elf_fail(err, err_len, "entry point 0x%llx lies outside the loadable segments",
				(unsigned long long)eh.e_entry);
	img->entry = eh.e_entry;
	return 0;
}
