/* Checks behind the vm commands; contract in vm_parse.h. */
#include "parent/vm_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parent/cli_parse.h"

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

bool vm_name_valid(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++) {
		char c = name[n];

		if (n == VM_NAME_LEN_MAX || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n > 0;
}

int vm_parse_memory(const char *text, uint64_t *bytes, char *why, size_t len)
{
	unsigned long long v;

	if (cli_parse_size(text, &v))
		return fail(why, len, "memory size '%s' does not parse (use e.g. 64M or 1G)", text);
	if (v < VM_MEMORY_MIN || v > VM_MEMORY_MAX)
		return fail(why, len, "memory size %s is out of range (1M to 256G)", text);
	if (v % VM_MEMORY_UNIT)
		return fail(why, len, "memory size %s is not a multiple of 1 MiB", text);
	*bytes = v;
	return 0;
}

void vm_format_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes && !(bytes % (1ull << 30)))
		snprintf(buf, len, "%lluG", (unsigned long long)(bytes >> 30));
	else if (bytes && !(bytes % (1ull << 20)))
		snprintf(buf, len, "%lluM", (unsigned long long)(bytes >> 20));
	else if (bytes && !(bytes % 1024))
		snprintf(buf, len, "%llu KiB", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
}

#define CREATE_USAGE "vm create NAME --kernel MODULE --memory SIZE [--initrd MODULE] [--cmdline TEXT] " \
	"[--module MODULE]... [--vcpus N]"

int vm_parse_create(int argc, char **argv, struct vm_create_args *args, char *why, size_t len)
{
	memset(args, 0, sizeof(*args));
	for (int i = 2; i < argc; i++) {
		const char **slot = NULL;
		const char *opt = argv[i];

		if (!strcmp(opt, "--image") || !strcmp(opt, "--kernel"))
			slot = &args->image;
		else if (!strcmp(opt, "--memory"))
			slot = &args->memory;
		else if (!strcmp(opt, "--initrd"))
			slot = &args->initrd;
		else if (!strcmp(opt, "--cmdline"))
			slot = &args->cmdline;
		else if (!strcmp(opt, "--vcpus"))
			slot = &args->vcpus;
		else if (!strcmp(opt, "--module")) {
			if (args->module_count == VM_MODULES_MAX)
				return fail(why, len, "too many --module options (at most %u)", VM_MODULES_MAX);
			slot = &args->modules[args->module_count++];
		} else if (opt[0] == '-' && opt[1] == '-')
			return fail(why, len, "unknown option '%s' (use %s)", opt, CREATE_USAGE);
		if (!slot) {
			if (args->name)
				return fail(why, len, "unexpected word '%s'", opt);
			args->name = opt;
			continue;
		}
		if (*slot)
			return fail(why, len, "%s given twice%s", opt,
				    slot == &args->image ? " (--image is another name for --kernel)" : "");
		if (i + 1 == argc)
			return fail(why, len, "%s needs a value", opt);
		*slot = argv[++i];
	}
	if (!args->name)
		return fail(why, len, "no name (use %s)", CREATE_USAGE);
	if (!args->image)
		return fail(why, len, "no --kernel MODULE given");
	if (!args->memory)
		return fail(why, len, "no --memory SIZE given");
	return 0;
}

int vm_parse_vcpus(const char *text, unsigned *count, char *why, size_t len)
{
	unsigned v = 0;
	size_t n = 0;

	for (; text[n] >= '0' && text[n] <= '9' && n < 3; n++)
		v = v * 10 + (unsigned)(text[n] - '0');
	if (!n || text[n])
		return fail(why, len, "--vcpus '%s' is not a number", text);
	if (v < 1 || v > VM_VCPUS_MAX)
		return fail(why, len, "--vcpus %s is out of range (1 to %u)", text, VM_VCPUS_MAX);
	*count = v;
	return 0;
}

/* ---- ELF (System V gABI "ELF Header", "Program Header") ---- */

#define EI_CLASS    4
#define EI_DATA     5
#define CLASS_32    1
#define CLASS_64    2
#define DATA_LSB    1
#define ET_EXEC     2
#define EM_386      3
#define EM_X86_64   62
#define PT_LOAD     1
#define EHDR32_SIZE 52
#define EHDR64_SIZE 64
#define PHDR32_SIZE 32
#define PHDR64_SIZE 56

/* Little-endian fields read byte by byte: the image needs no alignment. */
static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

/* The program header at p (already inside the image) as a vm_segment;
 * returns its p_type. */
static uint32_t read_phdr(const uint8_t *p, bool is64, struct vm_segment *s)
{
	if (is64)
		*s = (struct vm_segment){ get(p + 24, 8), get(p + 8, 8), get(p + 32, 8), get(p + 40, 8) };
	else
		*s = (struct vm_segment){ get(p + 12, 4), get(p + 4, 4), get(p + 16, 4), get(p + 20, 4) };
	return (uint32_t)get(p, 4);
}

static int check_segment(const struct vm_segment *s, unsigned i, size_t size, uint64_t ram, char *why, size_t len)
{
	uint64_t low = vm_low_ram(ram), limit = low > VM_BOOT_AREA ? low - VM_BOOT_AREA : 0;

	if (s->filesz > s->memsz)
		return fail(why, len, "segment %u: file size %#llx exceeds its memory size %#llx", i,
			    (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (s->offset > size || s->filesz > size - s->offset)
		return fail(why, len, "segment %u: its bytes lie beyond the end of the file", i);
	if (s->paddr < VM_LOAD_MIN || s->paddr > limit || s->memsz > limit - s->paddr) {
		char end[24];

		if (s->memsz > UINT64_MAX - s->paddr)
			snprintf(end, sizeof(end), "beyond 2^64");
		else
			snprintf(end, sizeof(end), "%#llx", (unsigned long long)(s->paddr + s->memsz));
		return fail(why, len, "does not fit: segment %u at %#llx-%s is outside [%#llx, %#llx) (RAM below 3 GiB less the 64 KiB boot area)",
			    i, (unsigned long long)s->paddr, end, (unsigned long long)VM_LOAD_MIN,
			    (unsigned long long)limit);
	}
	return 0;
}

int vm_elf_check(const void *image, size_t size, uint64_t ram_bytes, struct vm_elf *elf, char *why, size_t len)
{
	const uint8_t *f = image;
	bool is64;
	uint64_t phoff, phentsize, phnum;

	memset(elf, 0, sizeof(*elf));
	if (size < 16 || memcmp(f, "\x7f" "ELF", 4))
		return fail(why, len, "not an ELF file");
	if (f[EI_CLASS] != CLASS_32 && f[EI_CLASS] != CLASS_64)
		return fail(why, len, "unsupported ELF class %u (need ELF64 x86-64 or ELF32 i386)", f[EI_CLASS]);
	if (f[EI_DATA] != DATA_LSB)
		return fail(why, len, "not a little-endian ELF file");
	is64 = f[EI_CLASS] == CLASS_64;
	if (size < (is64 ? EHDR64_SIZE : EHDR32_SIZE))
		return fail(why, len, "truncated ELF header");
	if (get(f + 16, 2) != ET_EXEC)
		return fail(why, len, "ELF type %u is not an executable (need ET_EXEC)", (unsigned)get(f + 16, 2));
	if (get(f + 18, 2) != (is64 ? EM_X86_64 : EM_386))
		return fail(why, len, "unsupported machine %u for ELF%s (need %s)", (unsigned)get(f + 18, 2),
			    is64 ? "64" : "32", is64 ? "x86-64" : "i386");
	elf->long_mode = is64;
	elf->entry = get(f + 24, is64 ? 8 : 4);
	phoff = get(f + (is64 ? 32 : 28), is64 ? 8 : 4);
	phentsize = get(f + (is64 ? 54 : 42), 2);
	phnum = get(f + (is64 ? 56 : 44), 2);
	if (phnum && phentsize != (is64 ? PHDR64_SIZE : PHDR32_SIZE))
		return fail(why, len, "program header size %u is wrong for ELF%s", (unsigned)phentsize,
			    is64 ? "64" : "32");
	if (phoff > size || phnum * phentsize > size - phoff)
		return fail(why, len, "program headers lie beyond the end of the file");
	for (uint64_t i = 0; i < phnum; i++) {
		struct vm_segment s;

		if (read_phdr(f + phoff + i * phentsize, is64, &s) != PT_LOAD)
			continue;
		if (elf->segment_count == VM_ELF_SEGMENTS)
			return fail(why, len, "more than %u PT_LOAD segments", VM_ELF_SEGMENTS);
		if (check_segment(&s, elf->segment_count, size, ram_bytes, why, len))
			return -1;
		elf->segments[elf->segment_count++] = s;
	}
	if (!elf->segment_count)
		return fail(why, len, "no PT_LOAD segment");
	for (unsigned i = 0; i < elf->segment_count; i++) {
		const struct vm_segment *s = &elf->segments[i];

		if (elf->entry >= s->paddr && elf->entry - s->paddr < s->memsz)
			return 0;
	}
	return fail(why, len, "entry point %#llx is not inside a segment", (unsigned long long)elf->entry);
}
