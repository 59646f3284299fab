/*
 * The multiboot loader (Multiboot Specification 0.6.96: §3.1 the OS image
 * format, §3.2 the machine state, §3.3 the boot information format).
 * Contract in loader.h.
 */
#include "parent/loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PAGE 0x1000ull

/* The header (§3.1.1-§3.1.3). */
#define MB_MAGIC          0x1badb002u
#define MB_SEARCH         8192u      /* it lies wholly in the image's first 8 KiB */
#define MB_HEADER_SIZE    12u        /* magic, flags, checksum */
#define MB_ADDRESS_SIZE   32u        /* + header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
#define MB_PAGE_ALIGN     (1u << 0)  /* modules on page boundaries */
#define MB_MEMORY_INFO    (1u << 1)  /* mem_lower/mem_upper (and the map) required */
#define MB_VIDEO_MODE     (1u << 2)  /* video mode information required */
#define MB_REQUIRED       0xffffu    /* bits a loader must meet or refuse */
#define MB_ADDRESSES      (1u << 16) /* the address fields are valid */

/* Info flags (§3.3). */
#define MBI_MEMORY        (1u << 0)
#define MBI_CMDLINE       (1u << 2)
#define MBI_MODULES       (1u << 3)
#define MBI_MMAP          (1u << 6)
#define MBI_LOADER_NAME   (1u << 9)

/* Offsets in the boot area's info page (loader.h). */
#define INFO_NAME         0x080u
#define INFO_MMAP         0x100u
#define INFO_MODULES      0x400u

static const char loader_name[] = "Keel";

/* The boot information (§3.3): every field up to the framebuffer's. */
struct multiboot_info {
	uint32_t flags;            /* 0 */
	uint32_t mem_lower;        /* 4: KiB of RAM from 0 (at most 640) */
	uint32_t mem_upper;        /* 8: KiB of RAM from 1 MiB up to the first hole */
	uint32_t boot_device;      /* 12 */
	uint32_t cmdline;          /* 16 */
	uint32_t mods_count;       /* 20 */
	uint32_t mods_addr;        /* 24 */
	uint32_t syms[4];          /* 28 */
	uint32_t mmap_length;      /* 44: bytes */
	uint32_t mmap_addr;        /* 48: the first entry's size field */
	uint32_t drives_length;    /* 52 */
	uint32_t drives_addr;      /* 56 */
	uint32_t config_table;     /* 60 */
	uint32_t boot_loader_name; /* 64 */
	uint32_t apm_table;        /* 68 */
	uint8_t vbe_framebuffer[116 - 72];
};

/* A memory map entry: `size` counts the bytes after itself. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));

struct multiboot_module {
	uint32_t mod_start;
	uint32_t mod_end;          /* exclusive */
	uint32_t string;           /* 0: none */
	uint32_t reserved;
};

_Static_assert(sizeof(struct multiboot_info) == 116, "multiboot 0.6.96 §3.3");
_Static_assert(offsetof(struct multiboot_info, cmdline) == 16, "multiboot 0.6.96 §3.3");
_Static_assert(offsetof(struct multiboot_info, mods_count) == 20, "multiboot 0.6.96 §3.3");
_Static_assert(offsetof(struct multiboot_info, mmap_length) == 44, "multiboot 0.6.96 §3.3");
_Static_assert(offsetof(struct multiboot_info, mmap_addr) == 48, "multiboot 0.6.96 §3.3");
_Static_assert(offsetof(struct multiboot_info, boot_loader_name) == 64, "multiboot 0.6.96 §3.3");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "multiboot 0.6.96 §3.3");
_Static_assert(offsetof(struct multiboot_mmap_entry, base_addr) == 4, "multiboot 0.6.96 §3.3");
_Static_assert(sizeof(struct multiboot_module) == 16, "multiboot 0.6.96 §3.3");
_Static_assert(sizeof(struct multiboot_info) <= INFO_NAME && INFO_NAME + sizeof(loader_name) <= INFO_MMAP &&
		       INFO_MMAP + LOADER_MAP_MAX * sizeof(struct multiboot_mmap_entry) <= INFO_MODULES &&
		       INFO_MODULES + LOADER_MODULES_MAX * sizeof(struct multiboot_module) <= PAGE,
	       "the info page (loader.h)");
_Static_assert(LOADER_AREA_CMDLINE + LOADER_CMDLINE_MAX <= LOADER_AREA_STRINGS &&
		       LOADER_AREA_STRINGS + LOADER_MODULE_STRINGS_MAX <= LOADER_AREA_STACK,
	       "the boot area (loader.h)");

#define ULL(x) ((unsigned long long)(x))

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t align_up(uint64_t v)
{
	return (v + PAGE - 1) & ~(PAGE - 1);
}

static size_t bounded_length(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* The first magic at a 4-byte aligned offset whose 12 header bytes lie in
 * the image and its first 8 KiB. */
static bool find_magic(const uint8_t *f, size_t size, size_t *offset)
{
	size_t limit = size < MB_SEARCH ? size : MB_SEARCH;

	for (size_t at = 0; at + MB_HEADER_SIZE <= limit; at += 4)
		if (get32(f + at) == MB_MAGIC) {
			*offset = at;
			return true;
		}
	return false;
}

static bool checksum_valid(const uint8_t *header)
{
	return (uint32_t)(get32(header) + get32(header + 4) + get32(header + 8)) == 0;
}

bool loader_multiboot_header(const void *image, size_t size, size_t *offset)
{
	return image && find_magic(image, size, offset) && checksum_valid((const uint8_t *)image + *offset);
}

/* The kernel as a list of segments, whichever way it was described. */
struct mb_kernel {
	unsigned count;
	struct vm_segment segments[VM_ELF_SEGMENTS];
	uint64_t entry;
};

/* Flag bit 16: the a.out kludge (§3.1.3).  The header lies at file offset
 * `at`. */
static int aout_kernel(const uint8_t *f, size_t size, size_t at, const struct loader_boot *boot,
		       struct mb_kernel *k, char *why, size_t len)
{
	const uint8_t *h = f + at;
	uint64_t header_addr, load_addr, load_end, bss_end, entry, offset;

	if (at + MB_ADDRESS_SIZE > size || at + MB_ADDRESS_SIZE > MB_SEARCH)
		return fail(why, len, "truncated multiboot header at %#zx: its address fields (flag bit 16) lie past the end of the file or its first 8 KiB",
			    at);
	header_addr = get32(h + 12);
	load_addr = get32(h + 16);
	load_end = get32(h + 20);
	bss_end = get32(h + 24);
	entry = get32(h + 28);
	if (load_addr > header_addr)
		return fail(why, len, "multiboot load_addr %#llx lies above header_addr %#llx", ULL(load_addr),
			    ULL(header_addr));
	if (header_addr - load_addr > at)
		return fail(why, len, "multiboot load_addr %#llx lies %#llx bytes before the header, which is at file offset %#zx",
			    ULL(load_addr), ULL(header_addr - load_addr), at);
	offset = at - (header_addr - load_addr);
	if (!load_end) {
		load_end = load_addr + (size - offset); /* the rest of the file */
	} else if (load_end <= load_addr) {
		return fail(why, len, "multiboot load_end_addr %#llx is not above load_addr %#llx", ULL(load_end),
			    ULL(load_addr));
	} else if (load_end - load_addr > size - offset) {
		return fail(why, len, "truncated multiboot kernel: load_end_addr %#llx needs %#llx bytes from file offset %#llx, the file has %#llx",
			    ULL(load_end), ULL(load_end - load_addr), ULL(offset), ULL(size - offset));
	}
	if (!bss_end)
		bss_end = load_end;
	else if (bss_end < load_end)
		return fail(why, len, "multiboot bss_end_addr %#llx lies below load_end_addr %#llx", ULL(bss_end),
			    ULL(load_end));
	if (entry < load_addr || entry >= load_end)
		return fail(why, len, "multiboot entry_addr %#llx is not inside the loaded image [%#llx, %#llx)", ULL(entry),
			    ULL(load_addr), ULL(load_end));
	if (!loader_range_free(boot, VM_LOAD_MIN, load_addr, bss_end))
		return fail(why, len, "does not fit: the kernel's [%#llx, %#llx) is not inside [%#llx, %#llx) (RAM below the boot area) clear of reserved ranges",
			    ULL(load_addr), ULL(bss_end), ULL(VM_LOAD_MIN), ULL(boot->area));
	k->count = 1;
	k->segments[0] = (struct vm_segment){ load_addr, offset, load_end - load_addr, bss_end - load_addr };
	k->entry = entry;
	return 0;
}

/* No flag bit 16: an ELF kernel, as vm_elf_check allows it. */
static int elf_kernel(const uint8_t *f, size_t size, const struct loader_boot *boot, struct mb_kernel *k, char *why,
		      size_t len)
{
	struct vm_elf elf;

	if (size < 4 || memcmp(f, "\x7f" "ELF", 4))
		return fail(why, len, "the multiboot header has no address fields (flag bit 16) and the kernel is not an ELF file");
	if (vm_elf_check(f, size, boot->ram_bytes, &elf, why, len))
		return -1;
	for (unsigned i = 0; i < elf.segment_count; i++) {
		const struct vm_segment *s = &elf.segments[i];
		const struct loader_range *r = loader_reserved_overlap(boot, s->paddr, s->paddr + s->memsz);

		if (r)
			return fail(why, len, "does not fit: segment %u at [%#llx, %#llx) overlaps the reserved range [%#llx, %#llx)",
				    i, ULL(s->paddr), ULL(s->paddr + s->memsz), ULL(r->gpa), ULL(r->gpa + r->size));
		k->segments[i] = *s;
	}
	k->count = elf.segment_count;
	k->entry = elf.entry;
	return 0;
}

/* Modules in order from the first page after the kernel (loader.h). */
static int place_modules(struct loader_boot *boot, const struct loader_module *modules, unsigned count, char *why,
			 size_t len)
{
	uint64_t at = align_up(boot->kernel_end);
	size_t strings = 0;

	if (count > LOADER_MODULES_MAX)
		return fail(why, len, "%u modules (at most %u)", count, LOADER_MODULES_MAX);
	if (count && !modules)
		return fail(why, len, "no module list given");
	for (unsigned i = 0; i < count; i++) {
		const struct loader_module *m = &modules[i];

		if (m->size && !m->data)
			return fail(why, len, "module %u has no data", i);
		if (m->cmdline) {
			size_t n = bounded_length(m->cmdline, LOADER_CMDLINE_MAX);

			if (n >= LOADER_CMDLINE_MAX)
				return fail(why, len, "module %u's string is longer than %u characters", i,
					    LOADER_CMDLINE_MAX - 1);
			strings += n + 1;
			if (strings > LOADER_MODULE_STRINGS_MAX)
				return fail(why, len, "the module strings take more than %u bytes", LOADER_MODULE_STRINGS_MAX);
		}
		for (;;) {
			const struct loader_range *r;

			if (at > boot->area || m->size > boot->area - at)
				return fail(why, len, "no room for modules: module %u (%#llx bytes) does not fit between %#llx and the boot area at %#llx",
					    i, ULL(m->size), ULL(at), ULL(boot->area));
			r = loader_reserved_overlap(boot, at, at + m->size);
			if (!r)
				break;
			at = r->gpa + r->size > boot->area ? boot->area + 1 : align_up(r->gpa + r->size);
		}
		boot->module_start[i] = at;
		boot->module_end[i] = at + m->size;
		at = align_up(at + m->size);
	}
	boot->module_count = count;
	return 0;
}

/* KiB of RAM from `from` up to the end of the map entry holding it, or to
 * `limit`. */
static uint32_t ram_kib(const struct loader_boot *boot, uint64_t from, uint64_t limit)
{
	for (unsigned i = 0; i < boot->map_count; i++) {
		const struct loader_range *r = &boot->map[i];

		if (r->type == LOADER_MEMORY_RAM && r->gpa <= from && from < r->gpa + r->size) {
			uint64_t end = r->gpa + r->size < limit ? r->gpa + r->size : limit;

			return end > from ? (uint32_t)((end - from) >> 10) : 0;
		}
	}
	return 0;
}

static void write_info(const struct vm_ram_writer *ram, const struct loader_boot *boot,
		       const struct loader_module *modules)
{
	union {
		struct multiboot_info info;
		uint8_t bytes[INFO_MODULES + LOADER_MODULES_MAX * sizeof(struct multiboot_module)];
	} page;
	uint64_t base = boot->info, strings = boot->area + LOADER_AREA_STRINGS;

	memset(&page, 0, sizeof(page));
	page.info.flags = MBI_MEMORY | MBI_CMDLINE | MBI_MODULES | MBI_MMAP | MBI_LOADER_NAME;
	page.info.mem_lower = ram_kib(boot, 0, 0xa0000);
	page.info.mem_upper = ram_kib(boot, 0x100000, VM_HOLE_END);
	page.info.cmdline = (uint32_t)boot->cmdline;
	page.info.mods_count = boot->module_count;
	page.info.mods_addr = (uint32_t)(base + INFO_MODULES);
	page.info.mmap_length = (uint32_t)(boot->map_count * sizeof(struct multiboot_mmap_entry));
	page.info.mmap_addr = (uint32_t)(base + INFO_MMAP);
	page.info.boot_loader_name = (uint32_t)(base + INFO_NAME);
	memcpy(page.bytes + INFO_NAME, loader_name, sizeof(loader_name));
	for (unsigned i = 0; i < boot->map_count; i++) {
		struct multiboot_mmap_entry e = { sizeof(e) - sizeof(e.size), boot->map[i].gpa, boot->map[i].size,
						  boot->map[i].type };

		memcpy(page.bytes + INFO_MMAP + i * sizeof(e), &e, sizeof(e));
	}
	for (unsigned i = 0; i < boot->module_count; i++) {
		struct multiboot_module m = { (uint32_t)boot->module_start[i], (uint32_t)boot->module_end[i], 0, 0 };

		if (modules[i].cmdline) {
			size_t n = strlen(modules[i].cmdline) + 1; /* bounded by place_modules */

			m.string = (uint32_t)strings;
			ram->write(ram->ctx, strings, modules[i].cmdline, n);
			strings += n;
		}
		memcpy(page.bytes + INFO_MODULES + i * sizeof(m), &m, sizeof(m));
	}
	ram->write(ram->ctx, base, page.bytes, sizeof(page.bytes));
}

int loader_multiboot_load(const struct vm_ram_writer *ram, const struct loader_config *cfg, const void *kernel,
			  size_t kernel_size, const struct loader_module *modules, unsigned module_count,
			  struct loader_boot *boot, char *why, size_t len)
{
	const uint8_t *f = kernel;
	struct mb_kernel k = { 0 };
	size_t at;
	uint32_t flags;

	if (loader_prepare(cfg, LOADER_MULTIBOOT, boot, why, len))
		goto failed;
	if (!f || !find_magic(f, kernel_size, &at)) {
		fail(why, len, "no multiboot header (magic 0x1badb002) in the first 8 KiB");
		goto failed;
	}
	if (!checksum_valid(f + at)) {
		fail(why, len, "multiboot header at %#zx: bad checksum", at);
		goto failed;
	}
	flags = get32(f + at + 4);
	if (flags & MB_VIDEO_MODE) {
		fail(why, len, "the kernel requires video mode information (multiboot flag bit 2); a child has no display");
		goto failed;
	}
	if (flags & MB_REQUIRED & ~(MB_PAGE_ALIGN | MB_MEMORY_INFO)) {
		fail(why, len, "the kernel requires unsupported multiboot features (flags %#x)",
		     flags & MB_REQUIRED & ~(MB_PAGE_ALIGN | MB_MEMORY_INFO));
		goto failed;
	}
	if ((flags & MB_ADDRESSES) ? aout_kernel(f, kernel_size, at, boot, &k, why, len)
				   : elf_kernel(f, kernel_size, boot, &k, why, len))
		goto failed;
	boot->kernel_start = UINT64_MAX;
	for (unsigned i = 0; i < k.count; i++) {
		const struct vm_segment *s = &k.segments[i];

		if (s->paddr < boot->kernel_start)
			boot->kernel_start = s->paddr;
		if (s->paddr + s->memsz > boot->kernel_end)
			boot->kernel_end = s->paddr + s->memsz;
	}
	if (place_modules(boot, modules, module_count, why, len))
		goto failed;
	boot->entry = k.entry;
	boot->info = boot->area + LOADER_AREA_INFO;
	if (!ram)
		return 0;
	for (unsigned i = 0; i < k.count; i++) {
		const struct vm_segment *s = &k.segments[i];

		if (s->filesz)
			ram->write(ram->ctx, s->paddr, f + s->offset, s->filesz);
		loader_write_zero(ram, s->paddr + s->filesz, s->memsz - s->filesz);
	}
	for (unsigned i = 0; i < boot->module_count; i++)
		if (modules[i].size)
			ram->write(ram->ctx, boot->module_start[i], modules[i].data, modules[i].size);
	loader_write_area(ram, boot, cfg->cmdline);
	write_info(ram, boot, modules);
	return 0;
failed:
	memset(boot, 0, sizeof(*boot));
	return -1;
}
