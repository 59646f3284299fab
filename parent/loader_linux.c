/*
 * The Linux bzImage loader (Linux Documentation/arch/x86/boot.rst, the
 * 64-bit boot protocol; boot_params offsets from zero-page.rst) and what
 * both loaders share: format detection, the memory map, the boot area and
 * the entry registers.  Contract in loader.h.
 */
#include "parent/loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PAGE     0x1000ull
#define PTE_P    0x1ull  /* present */
#define PTE_RW   0x2ull  /* writable */
#define PTE_PS   0x80ull /* 2 MiB page (SDM vol. 3 §4.5) */

#define CR0_PE   (1ull << 0)
#define CR0_ET   (1ull << 4)
#define CR0_NE   (1ull << 5)
#define CR0_WP   (1ull << 16)
#define CR0_PG   (1ull << 31)
#define CR4_PAE  (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Little-endian fields read byte by byte: images need no alignment. */
static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

/* a is a power of two; v + a - 1 must not wrap (callers keep v below 2^40). */
static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

#define ULL(x) ((unsigned long long)(x))

/* ---- The Linux setup header (boot.rst, "The Real-Mode Kernel Header") ----
 * Offsets are the same in the image and in boot_params. */

#define HDR_START            0x1f1 /* setup_sects: the first byte copied */
#define HDR_SYSSIZE          0x1f4
#define HDR_BOOT_FLAG        0x1fe
#define HDR_JUMP             0x200 /* 0xeb, then the header's length - 2 */
#define HDR_MAGIC            0x202
#define HDR_VERSION          0x206
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS        0x211
#define HDR_CODE32_START     0x214
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21c
#define HDR_EXT_LOADER_VER   0x226
#define HDR_EXT_LOADER_TYPE  0x227
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE      0x234
#define HDR_XLOADFLAGS       0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_HARDWARE_SUBARCH 0x23c
#define HDR_SETUP_DATA       0x250
#define HDR_PREF_ADDRESS     0x258
#define HDR_INIT_SIZE        0x260
#define HDR_END_MIN          0x264 /* init_size is the last field read */
#define HDR_END_MAX          0x290 /* boot_params holds the header in 0x1f1..0x290 */

#define BOOT_FLAG            0xaa55
#define HDRS                 0x53726448 /* "HdrS" */
#define VERSION_MIN          0x020c     /* 2.12: xloadflags */
#define VERSION_RSDP         0x020e     /* 2.14: acpi_rsdp_addr */
#define LOADED_HIGH          0x01       /* loadflags bit 0 */
#define XLF_KERNEL_64        0x0001     /* xloadflags bit 0: 64-bit entry at +0x200 */
#define ENTRY_64             0x200
#define SECTOR               512
#define LOADER_UNDEFINED     0xff       /* type_of_loader: no assigned ID */
#define E820_MAX             128        /* entries in boot_params */
#define ALIGNMENT_MAX        (1u << 30)

/* boot_params (zero-page.rst): only the fields this loader sets.  The
 * setup header bytes [0x1f1, header end) are copied from the image first. */
struct linux_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct linux_boot_params {
	uint8_t pad_000[0x070];
	uint64_t acpi_rsdp_addr;                     /* 0x070 */
	uint8_t pad_078[0x0c0 - 0x078];
	uint32_t ext_ramdisk_image;                  /* 0x0c0 */
	uint32_t ext_ramdisk_size;                   /* 0x0c4 */
	uint32_t ext_cmd_line_ptr;                   /* 0x0c8 */
	uint8_t pad_0cc[0x1e8 - 0x0cc];
	uint8_t e820_entries;                        /* 0x1e8 */
	uint8_t pad_1e9[HDR_TYPE_OF_LOADER - 0x1e9]; /* sentinel 0x1ef stays 0 */
	uint8_t type_of_loader;                      /* 0x210 */
	uint8_t loadflags;                           /* 0x211 */
	uint8_t pad_212[HDR_CODE32_START - 0x212];
	uint32_t code32_start;                       /* 0x214 */
	uint32_t ramdisk_image;                      /* 0x218 */
	uint32_t ramdisk_size;                       /* 0x21c */
	uint8_t pad_220[HDR_EXT_LOADER_VER - 0x220];
	uint8_t ext_loader_ver;                      /* 0x226 */
	uint8_t ext_loader_type;                     /* 0x227 */
	uint32_t cmd_line_ptr;                       /* 0x228 */
	uint8_t pad_22c[HDR_HARDWARE_SUBARCH - 0x22c];
	uint32_t hardware_subarch;                   /* 0x23c */
	uint8_t pad_240[HDR_SETUP_DATA - 0x240];
	uint64_t setup_data;                         /* 0x250 */
	uint8_t pad_258[0x2d0 - 0x258];
	struct linux_e820_entry e820_table[E820_MAX]; /* 0x2d0 */
	uint8_t pad_cd0[0x1000 - 0xcd0];
} __attribute__((packed));

#define BP_OFFSET(field, at) _Static_assert(offsetof(struct linux_boot_params, field) == (at), "zero-page.rst")
_Static_assert(sizeof(struct linux_e820_entry) == 20, "bootparam.h struct boot_e820_entry");
_Static_assert(sizeof(struct linux_boot_params) == 0x1000, "zero-page.rst");
BP_OFFSET(acpi_rsdp_addr, 0x070);
BP_OFFSET(ext_ramdisk_image, 0x0c0);
BP_OFFSET(ext_ramdisk_size, 0x0c4);
BP_OFFSET(ext_cmd_line_ptr, 0x0c8);
BP_OFFSET(e820_entries, 0x1e8);
BP_OFFSET(type_of_loader, HDR_TYPE_OF_LOADER);
BP_OFFSET(loadflags, HDR_LOADFLAGS);
BP_OFFSET(code32_start, HDR_CODE32_START);
BP_OFFSET(ramdisk_image, HDR_RAMDISK_IMAGE);
BP_OFFSET(ramdisk_size, HDR_RAMDISK_SIZE);
BP_OFFSET(ext_loader_ver, HDR_EXT_LOADER_VER);
BP_OFFSET(ext_loader_type, HDR_EXT_LOADER_TYPE);
BP_OFFSET(cmd_line_ptr, HDR_CMD_LINE_PTR);
BP_OFFSET(hardware_subarch, HDR_HARDWARE_SUBARCH);
BP_OFFSET(setup_data, HDR_SETUP_DATA);
BP_OFFSET(e820_table, 0x2d0);
_Static_assert(LOADER_MAP_MAX <= E820_MAX, "the memory map fits boot_params");
_Static_assert(LOADER_AREA_INFO + sizeof(struct linux_boot_params) <= LOADER_AREA_CMDLINE, "boot area");

/* What the loader takes from a checked bzImage. */
struct linux_image {
	uint16_t version;
	size_t header_end;     /* 0x202 + the byte at 0x201 */
	size_t setup_size;     /* (setup_sects + 1) sectors: the protected-mode kernel follows */
	size_t kernel_size;    /* the rest of the file */
	uint64_t initrd_limit; /* initrd_addr_max + 1 */
	uint64_t alignment;    /* kernel_alignment (relocatable kernels) */
	bool relocatable;
	uint32_t cmdline_size;
	uint64_t pref_address;
	uint64_t footprint;    /* max(init_size, kernel_size) */
};

static bool linux_detect(const uint8_t *f, size_t size)
{
	return size >= HDR_XLOADFLAGS + 2 && get(f + HDR_BOOT_FLAG, 2) == BOOT_FLAG &&
	       get(f + HDR_MAGIC, 4) == HDRS && get(f + HDR_VERSION, 2) >= VERSION_MIN &&
	       (f[HDR_LOADFLAGS] & LOADED_HIGH) && (get(f + HDR_XLOADFLAGS, 2) & XLF_KERNEL_64);
}

static int linux_parse(const uint8_t *f, size_t size, struct linux_image *k, char *why, size_t len)
{
	unsigned setup_sects;
	uint64_t syssize, init_size;

	if (size < HDR_BOOT_FLAG + 2 || get(f + HDR_BOOT_FLAG, 2) != BOOT_FLAG)
		return fail(why, len, "not a Linux kernel (no boot sector signature 0xaa55 at 0x1fe)");
	if (size < HDR_MAGIC + 4)
		return fail(why, len, "truncated Linux kernel: the file ends inside the setup header");
	if (get(f + HDR_MAGIC, 4) != HDRS)
		return fail(why, len, "not a bzImage: no setup header signature 'HdrS' at 0x202");
	if (size < HDR_END_MIN)
		return fail(why, len, "truncated Linux kernel: the file ends inside the setup header");
	k->version = (uint16_t)get(f + HDR_VERSION, 2);
	if (k->version < VERSION_MIN)
		return fail(why, len, "Linux boot protocol %u.%02u is too old (the 64-bit entry needs 2.12 or later)",
			    k->version >> 8, k->version & 0xff);
	k->header_end = HDR_MAGIC + (size_t)f[HDR_JUMP + 1];
	if (f[HDR_JUMP] != 0xeb || k->header_end < HDR_END_MIN || k->header_end > HDR_END_MAX)
		return fail(why, len, "bad setup header: its jump at 0x200 (%02x %02x) does not end it in [%#x, %#x]",
			    f[HDR_JUMP], f[HDR_JUMP + 1], HDR_END_MIN, HDR_END_MAX);
	setup_sects = f[HDR_START] ? f[HDR_START] : 4;
	k->setup_size = (size_t)(setup_sects + 1) * SECTOR;
	if (k->setup_size >= size)
		return fail(why, len, "truncated Linux kernel: %u setup sectors and no protected-mode kernel after them",
			    setup_sects);
	if (!(f[HDR_LOADFLAGS] & LOADED_HIGH))
		return fail(why, len, "not a bzImage: loadflags LOADED_HIGH is clear (a zImage loads low)");
	if (!(get(f + HDR_XLOADFLAGS, 2) & XLF_KERNEL_64))
		return fail(why, len, "the kernel has no 64-bit entry point (xloadflags XLF_KERNEL_64 is clear)");
	k->kernel_size = size - k->setup_size;
	syssize = get(f + HDR_SYSSIZE, 4) * 16;
	if (syssize > k->kernel_size)
		return fail(why, len, "truncated Linux kernel: syssize says %#llx bytes of protected-mode code, the file has %#llx",
			    ULL(syssize), ULL(k->kernel_size));
	init_size = get(f + HDR_INIT_SIZE, 4);
	if (!init_size)
		return fail(why, len, "bad setup header: init_size is 0");
	k->footprint = init_size > k->kernel_size ? init_size : k->kernel_size;
	k->initrd_limit = get(f + HDR_INITRD_ADDR_MAX, 4) + 1;
	k->relocatable = f[HDR_RELOCATABLE] != 0;
	k->alignment = get(f + HDR_KERNEL_ALIGNMENT, 4);
	if (k->relocatable && (k->alignment < PAGE || k->alignment > ALIGNMENT_MAX || (k->alignment & (k->alignment - 1))))
		return fail(why, len, "bad setup header: kernel_alignment %#llx is not a power of two from 4 KiB to 1 GiB",
			    ULL(k->alignment));
	k->cmdline_size = (uint32_t)get(f + HDR_CMDLINE_SIZE, 4);
	k->pref_address = get(f + HDR_PREF_ADDRESS, 8);
	if (!k->pref_address)
		k->pref_address = LOADER_KERNEL_MIN; /* boot.rst: bzImages load at 0x100000 */
	if (k->pref_address % PAGE)
		return fail(why, len, "bad setup header: pref_address %#llx is not page-aligned", ULL(k->pref_address));
	return 0;
}

/* Where the kernel goes (loader.h): pref_address, or for a relocatable
 * kernel the lowest aligned address above it that is free. */
static int linux_place_kernel(const struct loader_boot *boot, const struct linux_image *k, uint64_t *load,
			      char *why, size_t len)
{
	const struct loader_range *r;
	uint64_t at = k->pref_address, area = boot->area;

	if (at >= LOADER_KERNEL_MIN && at <= area && k->footprint <= area - at &&
	    !loader_reserved_overlap(boot, at, at + k->footprint)) {
		*load = at;
		return 0;
	}
	if (at > area || k->footprint > area - at)
		return fail(why, len, "does not fit: the kernel needs %llu MiB (init_size) from %#llx, but RAM below the boot area ends at %#llx",
			    ULL((k->footprint + (1 << 20) - 1) >> 20), ULL(at), ULL(area));
	if (!k->relocatable) {
		r = loader_reserved_overlap(boot, at, at + k->footprint);
		if (r)
			return fail(why, len, "does not fit: the kernel is not relocatable and its [%#llx, %#llx) overlaps the reserved range [%#llx, %#llx)",
				    ULL(at), ULL(at + k->footprint), ULL(r->gpa), ULL(r->gpa + r->size));
		return fail(why, len, "does not fit: the kernel is not relocatable and pref_address %#llx is below 1 MiB",
			    ULL(at));
	}
	if (at < LOADER_KERNEL_MIN)
		at = LOADER_KERNEL_MIN;
	at = align_up(at, k->alignment);
	for (;;) {
		if (at > area || k->footprint > area - at)
			return fail(why, len, "does not fit: no %#llx-aligned room for the kernel's %#llx bytes (init_size) between %#llx and the boot area at %#llx, clear of reserved ranges",
				    ULL(k->alignment), ULL(k->footprint), ULL(k->pref_address), ULL(area));
		r = loader_reserved_overlap(boot, at, at + k->footprint);
		if (!r)
			break;
		if (r->gpa + r->size > area) {
			at = area + 1;
			continue;
		}
		at = align_up(r->gpa + r->size, k->alignment);
	}
	*load = at;
	return 0;
}

/* The highest page-aligned start for the initrd below min(initrd_addr_max
 * + 1, the boot area), at or above 1 MiB, clear of the kernel and reserved
 * ranges. */
static int linux_place_initrd(const struct loader_boot *boot, const struct linux_image *k, uint64_t size,
			      uint64_t *start, char *why, size_t len)
{
	uint64_t top = k->initrd_limit < boot->area ? k->initrd_limit : boot->area;

	for (;;) {
		const struct loader_range *r;
		uint64_t at;

		if (size > top || ((top - size) & ~(PAGE - 1)) < LOADER_KERNEL_MIN)
			return fail(why, len, "does not fit: no room for the initrd's %#llx bytes in [1 MiB, %#llx) (initrd_addr_max and the boot area) clear of the kernel at [%#llx, %#llx) and reserved ranges",
				    ULL(size), ULL(k->initrd_limit < boot->area ? k->initrd_limit : boot->area),
				    ULL(boot->kernel_start), ULL(boot->kernel_end));
		at = (top - size) & ~(PAGE - 1);
		if (at < boot->kernel_end && boot->kernel_start < at + size) {
			top = boot->kernel_start;
			continue;
		}
		r = loader_reserved_overlap(boot, at, at + size);
		if (r) {
			top = r->gpa;
			continue;
		}
		*start = at;
		return 0;
	}
}

static void linux_write_boot_params(const struct vm_ram_writer *ram, const struct loader_boot *boot,
				    const struct linux_image *k, const uint8_t *f, uint64_t acpi_rsdp)
{
	union {
		struct linux_boot_params bp;
		uint8_t bytes[sizeof(struct linux_boot_params)];
	} z;
	uint64_t initrd_size = boot->initrd_end - boot->initrd_start;

	memset(&z, 0, sizeof(z));
	memcpy(z.bytes + HDR_START, f + HDR_START, k->header_end - HDR_START);
	z.bp.type_of_loader = LOADER_UNDEFINED;
	z.bp.ext_loader_ver = 0;
	z.bp.ext_loader_type = 0;
	z.bp.loadflags = LOADED_HIGH; /* QUIET, KEEP_SEGMENTS and CAN_USE_HEAP clear */
	z.bp.code32_start = (uint32_t)boot->kernel_start;
	z.bp.cmd_line_ptr = (uint32_t)boot->cmdline;
	z.bp.ext_cmd_line_ptr = (uint32_t)(boot->cmdline >> 32);
	z.bp.ramdisk_image = (uint32_t)boot->initrd_start;
	z.bp.ext_ramdisk_image = (uint32_t)(boot->initrd_start >> 32);
	z.bp.ramdisk_size = (uint32_t)initrd_size;
	z.bp.ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	z.bp.hardware_subarch = 0; /* the default x86/PC environment */
	z.bp.setup_data = 0;
	if (k->version >= VERSION_RSDP)
		z.bp.acpi_rsdp_addr = acpi_rsdp;
	for (unsigned i = 0; i < boot->map_count; i++)
		z.bp.e820_table[i] = (struct linux_e820_entry){ boot->map[i].gpa, boot->map[i].size, boot->map[i].type };
	z.bp.e820_entries = (uint8_t)boot->map_count;
	ram->write(ram->ctx, boot->info, z.bytes, sizeof(z.bytes));
}

int loader_linux_load(const struct vm_ram_writer *ram, const struct loader_config *cfg, const void *kernel,
		      size_t kernel_size, const void *initrd, size_t initrd_size, struct loader_boot *boot,
		      char *why, size_t len)
{
	const uint8_t *f = kernel;
	struct linux_image k;
	uint64_t load = 0;

	if (loader_prepare(cfg, LOADER_LINUX_BZIMAGE, boot, why, len))
		goto failed;
	if (linux_parse(f, f ? kernel_size : 0, &k, why, len))
		goto failed;
	if (boot->cmdline_length > k.cmdline_size) {
		fail(why, len, "the command line has %lu characters; this kernel takes at most %u",
		     (unsigned long)boot->cmdline_length, k.cmdline_size);
		goto failed;
	}
	if (initrd_size && !initrd) {
		fail(why, len, "no initrd data");
		goto failed;
	}
	if (linux_place_kernel(boot, &k, &load, why, len))
		goto failed;
	boot->kernel_start = load;
	boot->kernel_end = load + k.footprint;
	if (initrd_size) {
		uint64_t at = 0;

		if (linux_place_initrd(boot, &k, initrd_size, &at, why, len))
			goto failed;
		boot->initrd_start = at;
		boot->initrd_end = at + initrd_size;
	}
	boot->linux_version = k.version;
	boot->entry = load + ENTRY_64;
	boot->info = boot->area + LOADER_AREA_INFO;
	if (!ram)
		return 0;
	ram->write(ram->ctx, load, f + k.setup_size, k.kernel_size);
	if (initrd_size)
		ram->write(ram->ctx, boot->initrd_start, initrd, initrd_size);
	loader_write_area(ram, boot, cfg->cmdline);
	linux_write_boot_params(ram, boot, &k, f, cfg->acpi_rsdp);
	return 0;
failed:
	memset(boot, 0, sizeof(*boot));
	return -1;
}

/* ---- Shared by both loaders ---- */

#define EI_CLASS  4
#define EI_DATA   5
#define EM_386    3
#define EM_X86_64 62

static bool elf_guest(const uint8_t *f, size_t size)
{
	if (size < 20 || memcmp(f, "\x7f" "ELF", 4) || f[EI_DATA] != 1)
		return false;
	return (f[EI_CLASS] == 2 && get(f + 18, 2) == EM_X86_64) || (f[EI_CLASS] == 1 && get(f + 18, 2) == EM_386);
}

enum loader_format loader_detect(const void *image, size_t size)
{
	size_t offset;

	if (!image)
		return LOADER_UNKNOWN;
	if (linux_detect(image, size))
		return LOADER_LINUX_BZIMAGE;
	if (loader_multiboot_header(image, size, &offset))
		return LOADER_MULTIBOOT;
	if (elf_guest(image, size))
		return LOADER_ELF64;
	return LOADER_UNKNOWN;
}

const char *loader_format_name(enum loader_format format)
{
	switch (format) {
	case LOADER_LINUX_BZIMAGE:
		return "Linux bzImage";
	case LOADER_MULTIBOOT:
		return "multiboot";
	case LOADER_ELF64:
		return "ELF";
	default:
		return "unknown";
	}
}

static void sort_ranges(struct loader_range *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct loader_range x = r[i];
		unsigned j = i;

		for (; j && r[j - 1].gpa > x.gpa; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

int loader_memory_map(const struct loader_config *cfg, struct loader_range *map, unsigned *count, char *why,
		      size_t len)
{
	struct loader_range res[LOADER_RESERVED_MAX];
	uint64_t low = vm_low_ram(cfg->ram_bytes);
	const uint64_t ram[2][2] = { { 0, low }, { VM_HOLE_END, VM_HOLE_END + (cfg->ram_bytes - low) } };
	unsigned n = 0, nres = cfg->reserved_count;

	*count = 0;
	if (nres > LOADER_RESERVED_MAX)
		return fail(why, len, "%u reserved ranges (at most %u)", nres, LOADER_RESERVED_MAX);
	if (nres && !cfg->reserved)
		return fail(why, len, "no reserved ranges given");
	for (unsigned i = 0; i < nres; i++) {
		const struct loader_range *r = &cfg->reserved[i];

		if (!r->size || r->gpa > UINT64_MAX - r->size)
			return fail(why, len, "reserved range %u at %#llx has size %#llx", i, ULL(r->gpa), ULL(r->size));
		if (r->type != LOADER_MEMORY_RESERVED && r->type != LOADER_MEMORY_ACPI && r->type != LOADER_MEMORY_NVS)
			return fail(why, len, "reserved range %u has memory type %u (use 2, 3 or 4)", i, r->type);
		res[i] = *r;
	}
	sort_ranges(res, nres);
	for (unsigned i = 1; i < nres; i++)
		if (res[i].gpa < res[i - 1].gpa + res[i - 1].size)
			return fail(why, len, "reserved ranges [%#llx, %#llx) and [%#llx, %#llx) overlap",
				    ULL(res[i - 1].gpa), ULL(res[i - 1].gpa + res[i - 1].size), ULL(res[i].gpa),
				    ULL(res[i].gpa + res[i].size));
	/* RAM less the reserved ranges: each splits a RAM range at most once. */
	for (unsigned g = 0; g < 2; g++) {
		uint64_t at = ram[g][0], end = ram[g][1];

		for (unsigned i = 0; i < nres && at < end; i++) {
			uint64_t rs = res[i].gpa, re = res[i].gpa + res[i].size;

			if (re <= at || rs >= end)
				continue;
			if (rs > at)
				map[n++] = (struct loader_range){ at, rs - at, LOADER_MEMORY_RAM };
			at = re;
		}
		if (at < end)
			map[n++] = (struct loader_range){ at, end - at, LOADER_MEMORY_RAM };
	}
	for (unsigned i = 0; i < nres; i++)
		map[n++] = res[i];
	sort_ranges(map, n);
	*count = n;
	return 0;
}

/* strlen, but stops at max. */
static size_t bounded_length(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int loader_prepare(const struct loader_config *cfg, enum loader_format format, struct loader_boot *boot,
		   char *why, size_t len)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	uint64_t ram = cfg->ram_bytes;

	memset(boot, 0, sizeof(*boot));
	if (ram < VM_MEMORY_MIN || ram > VM_MEMORY_MAX || ram % VM_MEMORY_UNIT)
		return fail(why, len, "memory size %#llx is not a multiple of 1 MiB from 1 MiB to 256 GiB", ULL(ram));
	if (loader_memory_map(cfg, boot->map, &boot->map_count, why, len))
		return -1;
	boot->format = format;
	boot->ram_bytes = ram;
	boot->area = vm_low_ram(ram) - LOADER_AREA_SIZE;
	for (unsigned i = 0; i < cfg->reserved_count; i++) {
		const struct loader_range *r = &cfg->reserved[i];

		if (r->gpa < boot->area + LOADER_AREA_SIZE && boot->area < r->gpa + r->size)
			return fail(why, len, "reserved range [%#llx, %#llx) overlaps the boot area [%#llx, %#llx)",
				    ULL(r->gpa), ULL(r->gpa + r->size), ULL(boot->area),
				    ULL(boot->area + LOADER_AREA_SIZE));
	}
	boot->cmdline_length = bounded_length(cmdline, LOADER_CMDLINE_MAX);
	if (boot->cmdline_length >= LOADER_CMDLINE_MAX)
		return fail(why, len, "the command line is longer than %u characters", LOADER_CMDLINE_MAX - 1);
	boot->cmdline = boot->area + LOADER_AREA_CMDLINE;
	return 0;
}

const struct loader_range *loader_reserved_overlap(const struct loader_boot *boot, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < boot->map_count; i++) {
		const struct loader_range *r = &boot->map[i];

		if (r->type != LOADER_MEMORY_RAM && start < r->gpa + r->size && r->gpa < end)
			return r;
	}
	return NULL;
}

bool loader_range_free(const struct loader_boot *boot, uint64_t min, uint64_t start, uint64_t end)
{
	return start >= min && start <= end && end <= boot->area && !loader_reserved_overlap(boot, start, end);
}

void loader_write_zero(const struct vm_ram_writer *ram, uint64_t gpa, uint64_t len)
{
	static const uint8_t zero[512];

	while (len) {
		size_t n = len < sizeof(zero) ? (size_t)len : sizeof(zero);

		ram->write(ram->ctx, gpa, zero, n);
		gpa += n;
		len -= n;
	}
}

static void write64(const struct vm_ram_writer *ram, uint64_t gpa, uint64_t v)
{
	ram->write(ram->ctx, gpa, &v, sizeof(v));
}

/* A flat descriptor with TLFS-form attributes (SDM vol. 3 §3.4.5): access
 * byte at 47:40, flags (G, D/B, L, AVL) at 55:52, base 0, limit 0xfffff. */
static uint64_t flat_descriptor(uint16_t attributes)
{
	return 0x000f00000000ffffull | (uint64_t)(attributes & 0xff) << 40 | (uint64_t)(attributes >> 12) << 52;
}

/* A busy TSS descriptor's low 8 bytes (§7.2.2; long mode's upper 8 bytes,
 * §7.2.3, hold base 63:32, here 0). */
static uint64_t tss_descriptor(uint64_t base)
{
	return VM_TSS_LIMIT | (base & 0xffffff) << 16 | (uint64_t)VM_ATTR_TSS << 40 | (base >> 24 & 0xff) << 56;
}

/* PML4 -> PDPT -> four page directories of 2 MiB pages: [0, 4 GiB)
 * identity (SDM vol. 3 §4.5), each table page written whole. */
static void write_tables(const struct vm_ram_writer *ram, uint64_t base)
{
	uint64_t chunk[64];

	write64(ram, base, (base + PAGE) | PTE_RW | PTE_P);
	loader_write_zero(ram, base + 8, PAGE - 8);
	for (uint64_t g = 0; g < 4; g++)
		write64(ram, base + PAGE + 8 * g, (base + (2 + g) * PAGE) | PTE_RW | PTE_P);
	loader_write_zero(ram, base + PAGE + 32, PAGE - 32);
	for (uint64_t i = 0; i < 4 * 512; i += 64) {
		for (uint64_t j = 0; j < 64; j++)
			chunk[j] = ((i + j) << 21) | PTE_PS | PTE_RW | PTE_P;
		ram->write(ram->ctx, base + 2 * PAGE + 8 * i, chunk, sizeof(chunk));
	}
}

void loader_write_area(const struct vm_ram_writer *ram, const struct loader_boot *boot, const char *cmdline)
{
	uint64_t gdt[6] = { 0 }, tss = boot->area + LOADER_AREA_TSS;

	if (boot->format == LOADER_LINUX_BZIMAGE) {
		write_tables(ram, boot->area + LOADER_AREA_TABLES);
		gdt[LOADER_LINUX_SEL_CODE / 8] = flat_descriptor(VM_ATTR_CODE64);
		gdt[LOADER_LINUX_SEL_DATA / 8] = flat_descriptor(VM_ATTR_DATA);
		gdt[LOADER_LINUX_SEL_TSS / 8] = tss_descriptor(tss);
	} else {
		gdt[VM_SEL_CODE / 8] = flat_descriptor(VM_ATTR_CODE32);
		gdt[VM_SEL_DATA / 8] = flat_descriptor(VM_ATTR_DATA);
		gdt[VM_SEL_TSS / 8] = tss_descriptor(tss);
	}
	ram->write(ram->ctx, boot->area + LOADER_AREA_GDT, gdt, sizeof(gdt));
	loader_write_zero(ram, tss, VM_TSS_LIMIT + 1);
	ram->write(ram->ctx, boot->cmdline, cmdline ? cmdline : "", boot->cmdline_length);
	loader_write_zero(ram, boot->cmdline + boot->cmdline_length, 1);
}

size_t loader_registers(const struct loader_boot *boot, uint32_t *names, union hv_register_value *values)
{
	static const uint32_t data_segments[] = { HV_X64_REGISTER_DS, HV_X64_REGISTER_ES, HV_X64_REGISTER_FS,
						  HV_X64_REGISTER_GS, HV_X64_REGISTER_SS };
	bool is_linux = boot->format == LOADER_LINUX_BZIMAGE;
	uint16_t sel_code = is_linux ? LOADER_LINUX_SEL_CODE : VM_SEL_CODE;
	uint16_t sel_data = is_linux ? LOADER_LINUX_SEL_DATA : VM_SEL_DATA;
	uint16_t sel_tss = is_linux ? LOADER_LINUX_SEL_TSS : VM_SEL_TSS;
	const struct hv_x64_segment_register data = { 0, 0xffffffff, sel_data, VM_ATTR_DATA };
	size_t n = 0;

#define SET(name_, field_, ...)                                                       \
	do {                                                                          \
		names[n] = (name_);                                                   \
		memset(&values[n], 0, sizeof(values[n]));                             \
		values[n].field_ = __VA_ARGS__;                                       \
		n++;                                                                  \
	} while (0)

	for (uint32_t r = HV_X64_REGISTER_RAX; r <= HV_X64_REGISTER_R15; r++) {
		uint64_t v = 0;

		if (r == HV_X64_REGISTER_RSP)
			v = boot->area + LOADER_AREA_SIZE;
		else if (is_linux && r == HV_X64_REGISTER_RSI)
			v = boot->info;
		else if (!is_linux && r == HV_X64_REGISTER_RAX)
			v = LOADER_MULTIBOOT_EAX;
		else if (!is_linux && r == HV_X64_REGISTER_RBX)
			v = boot->info;
		SET(r, reg64, v);
	}
	SET(HV_X64_REGISTER_RIP, reg64, boot->entry);
	SET(HV_X64_REGISTER_RFLAGS, reg64, 0x2);
	SET(HV_X64_REGISTER_CR0, reg64, is_linux ? CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG : CR0_PE | CR0_ET | CR0_NE);
	SET(HV_X64_REGISTER_CR3, reg64, is_linux ? boot->area + LOADER_AREA_TABLES : 0);
	SET(HV_X64_REGISTER_CR4, reg64, is_linux ? CR4_PAE : 0);
	SET(HV_X64_REGISTER_EFER, reg64, is_linux ? EFER_LME | EFER_LMA : 0);
	SET(HV_X64_REGISTER_CS, segment,
	    (struct hv_x64_segment_register){ 0, 0xffffffff, sel_code, is_linux ? VM_ATTR_CODE64 : VM_ATTR_CODE32 });
	for (size_t i = 0; i < sizeof(data_segments) / sizeof(data_segments[0]); i++)
		SET(data_segments[i], segment, data);
	SET(HV_X64_REGISTER_TR, segment,
	    (struct hv_x64_segment_register){ boot->area + LOADER_AREA_TSS, VM_TSS_LIMIT, sel_tss, VM_ATTR_TSS });
	SET(HV_X64_REGISTER_LDTR, segment, (struct hv_x64_segment_register){ 0, 0, 0, 0 }); /* unusable */
	SET(HV_X64_REGISTER_GDTR, table,
	    (struct hv_x64_table_register){ .base = boot->area + LOADER_AREA_GDT,
					    .limit = (uint16_t)(sel_tss + (is_linux ? 16 : 8) - 1) });
	SET(HV_X64_REGISTER_IDTR, table, (struct hv_x64_table_register){ .base = 0, .limit = 0 });
#undef SET
	return n;
}
