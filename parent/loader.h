/*
 * Kernel loaders for child partitions: a Linux bzImage through the Linux
 * x86 64-bit boot protocol (Linux Documentation/arch/x86/boot.rst), and a
 * multiboot kernel (Multiboot Specification 0.6.96), beside the Keel ELF
 * guests of vm_image.h.  Each loader checks everything first (the image,
 * the RAM layout of vm_parse.h, the command line, the initrd or modules),
 * then plans where every piece goes and, given a writer, writes guest
 * memory: on an error nothing has been written.  The entry registers follow
 * from the plan (loader_registers).
 *
 * Pure C, no allocation, no hardware access; shared with the host unit
 * tests.  Little-endian (x86) only.  RAM need not be zero: every byte the
 * kernel may rely on (.bss, boot_params, the multiboot info, the TSS) is
 * written.
 *
 * Guest-physical layout (LOW = vm_low_ram(ram_bytes), AREA = LOW - 64 KiB):
 *
 *   [AREA, LOW)          the boot area (offsets below); RAM in the memory map
 *   Linux kernel         at pref_address when [pref_address, + footprint)
 *                        lies in [1 MiB, AREA) clear of reserved ranges, else
 *                        (relocatable kernels only) at the lowest
 *                        kernel_alignment-aligned address above pref_address
 *                        that is; footprint = max(init_size, the file's
 *                        protected-mode part).  Never below pref_address: the
 *                        decompressor runs at max(load address aligned up,
 *                        pref_address), so a lower load would not need less.
 *   Linux initrd         the highest page-aligned start whose bytes lie below
 *                        min(initrd_addr_max + 1, AREA), at or above 1 MiB,
 *                        clear of the kernel's footprint and reserved ranges
 *   multiboot kernel     where its address fields (flag bit 16) or its ELF
 *                        program headers (p_paddr) say, in [0x1000, AREA)
 *   multiboot modules    in order, each at the first page boundary at or after
 *                        the end of the previous one (the first: after the
 *                        kernel's end, .bss included) that is clear of reserved
 *                        ranges; all must end by AREA ("no room for modules")
 *
 * Boot area offsets (LOADER_AREA_*):
 *
 *   0x0000  Linux: PML4; PDPT at +0x1000; four page directories at
 *           +0x2000..+0x5fff mapping [0, 4 GiB) identity with 2 MiB pages
 *           (present, writable, executable): the kernel, boot_params, the
 *           command line and the initrd all lie below LOW <= 3 GiB
 *   0x6000  GDT.  Linux: 0x10 64-bit code, 0x18 flat data (boot.rst's
 *           __BOOT_CS/__BOOT_DS), 0x20 TSS (16 bytes).  Multiboot: 0x08 flat
 *           32-bit code, 0x10 flat data, 0x18 TSS (8 bytes)
 *   0x7000  TSS (zeroed; VM entry needs a usable TR)
 *   0x8000  Linux: boot_params (4 KiB).  Multiboot: the info structure;
 *           the boot loader name at +0x80, the memory map at +0x100, the
 *           module list at +0x400
 *   0x9000  the kernel command line (LOADER_CMDLINE_MAX bytes)
 *   0x9800  multiboot: the module strings (LOADER_MODULE_STRINGS_MAX bytes)
 *   0xc000  the stack, 16 KiB; RSP = LOW at entry
 */
#ifndef KEEL_PARENT_LOADER_H
#define KEEL_PARENT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs_partition.h"
#include "parent/vm_image.h"
#include "parent/vm_parse.h"

#define LOADER_CMDLINE_MAX        2048u   /* bytes of a command line, its NUL included */
#define LOADER_RESERVED_MAX       8u      /* reserved ranges a caller may pass */
#define LOADER_MODULES_MAX        16u     /* multiboot modules */
#define LOADER_MODULE_STRINGS_MAX 0x2800u /* bytes of all module strings, NULs included */
#define LOADER_MAP_MAX            (2 * LOADER_RESERVED_MAX + 2) /* memory map entries at most */
#define LOADER_ENTRY_REGISTERS    32u
#define LOADER_KERNEL_MIN         0x100000ull /* lowest GPA of a Linux kernel or initrd */

#define LOADER_AREA_SIZE      VM_BOOT_AREA
#define LOADER_AREA_TABLES    0x0000u
#define LOADER_AREA_GDT       0x6000u
#define LOADER_AREA_TSS       0x7000u
#define LOADER_AREA_INFO      0x8000u
#define LOADER_AREA_CMDLINE   0x9000u
#define LOADER_AREA_STRINGS   0x9800u
#define LOADER_AREA_STACK     0xc000u /* lowest byte of the stack */

/* Linux GDT selectors (boot.rst, "64-bit Boot Protocol"); the multiboot
 * GDT uses VM_SEL_CODE, VM_SEL_DATA and VM_SEL_TSS of vm_image.h. */
#define LOADER_LINUX_SEL_CODE 0x10
#define LOADER_LINUX_SEL_DATA 0x18
#define LOADER_LINUX_SEL_TSS  0x20

#define LOADER_MULTIBOOT_EAX  0x2badb002u /* EAX at entry (spec 3.2) */

enum loader_format {
	LOADER_UNKNOWN,
	LOADER_ELF64,          /* a Keel ELF guest (docs/guests.md): ELF64 x86-64, or ELF32 i386 */
	LOADER_MULTIBOOT,
	LOADER_LINUX_BZIMAGE,
};

/*
 * What `image` is, by its headers alone (what fits in RAM is the loaders'
 * and vm_elf_check's question).  In order:
 *   LOADER_LINUX_BZIMAGE: 0xAA55 at 0x1fe, "HdrS" at 0x202, boot protocol
 *     2.12 or later, loadflags LOADED_HIGH, xloadflags XLF_KERNEL_64;
 *   LOADER_MULTIBOOT: a multiboot header with a valid checksum at a 4-byte
 *     aligned offset in the first 8 KiB, ELF or not.  An ELF that carries
 *     one is booted as multiboot, as GRUB and QEMU's -kernel do (test
 *     kernels such as kvm-unit-tests' are such ELFs and expect the multiboot
 *     machine state);
 *   LOADER_ELF64: an ELF executable header, little-endian, ELF64 x86-64 or
 *     ELF32 i386 (vm_elf_check then checks the rest);
 *   LOADER_UNKNOWN: anything else, a truncated header included.
 * `image` needs no alignment.
 */
enum loader_format loader_detect(const void *image, size_t size);

/* "Linux bzImage", "multiboot", "ELF" or "unknown" (for `vm info`). */
const char *loader_format_name(enum loader_format format);

/* Memory types, in E820 (ACPI 6.3 §15) and multiboot memory map numbering. */
enum loader_memory_type {
	LOADER_MEMORY_RAM = 1,
	LOADER_MEMORY_RESERVED = 2,
	LOADER_MEMORY_ACPI = 3, /* ACPI tables, reclaimable */
	LOADER_MEMORY_NVS = 4,
};

/* A range of guest-physical space. */
struct loader_range {
	uint64_t gpa;
	uint64_t size;
	uint32_t type; /* enum loader_memory_type */
};

/*
 * What a child is booted with besides its kernel.  `reserved` ranges (the
 * ACPI tables' region, say) are listed in the memory map with their type
 * (RESERVED, ACPI or NVS), and nothing is loaded into them; they must not
 * overlap each other or the boot area, and may lie outside RAM.
 */
struct loader_config {
	uint64_t ram_bytes;   /* VM_MEMORY_MIN..VM_MEMORY_MAX, a multiple of VM_MEMORY_UNIT */
	const char *cmdline;  /* NUL-terminated, shorter than LOADER_CMDLINE_MAX; NULL: empty */
	const struct loader_range *reserved;
	unsigned reserved_count; /* <= LOADER_RESERVED_MAX */
	uint64_t acpi_rsdp;   /* Linux: boot_params.acpi_rsdp_addr, written for protocol 2.14+; 0: none */
};

/* A multiboot module: `size` bytes at `data`, and its string (NULL: none). */
struct loader_module {
	const void *data;
	size_t size;
	const char *cmdline;
};

/* The plan a loader made, what it wrote and what the entry registers say. */
struct loader_boot {
	enum loader_format format;   /* LOADER_LINUX_BZIMAGE or LOADER_MULTIBOOT */
	uint64_t ram_bytes;
	uint64_t area;               /* GPA of the boot area */
	uint64_t entry;              /* RIP */
	uint64_t info;               /* boot_params (RSI) or the multiboot info (EBX) */
	uint64_t cmdline;            /* GPA of the NUL-terminated command line */
	size_t cmdline_length;       /* without the NUL */
	uint64_t kernel_start, kernel_end; /* Linux: the footprint; multiboot: image and .bss */
	uint16_t linux_version;      /* boot protocol, e.g. 0x020f */
	uint64_t initrd_start, initrd_end; /* Linux; equal (0) without an initrd */
	unsigned module_count;
	uint64_t module_start[LOADER_MODULES_MAX], module_end[LOADER_MODULES_MAX]; /* [start, end) */
	unsigned map_count;
	struct loader_range map[LOADER_MAP_MAX]; /* the memory map given to the kernel */
};

/*
 * The memory map of a child with cfg's RAM and reserved ranges: the RAM of
 * vm_parse.h's layout less the reserved ranges (type RAM) and the reserved
 * ranges themselves, sorted by address, disjoint.  Checks the reserved
 * ranges (count, size not 0, no wrap past 2^64, a known type, no overlap).
 * Returns 0, or -1 with a one-line lower-case reason in why[0..len).
 */
int loader_memory_map(const struct loader_config *cfg, struct loader_range *map, unsigned *count, char *why,
		      size_t len);

/*
 * Linux: check the bzImage `kernel` and the initrd (initrd_size bytes at
 * `initrd`; size 0: none) for cfg, plan the layout above into *boot and,
 * if `ram` is not NULL, write the protected-mode kernel, the initrd, the
 * boot area (page tables, GDT, TSS, command line) and boot_params: the
 * setup header copied from the image, type_of_loader 0xff, loadflags
 * LOADED_HIGH only (early messages on, no real-mode heap), code32_start,
 * cmd_line_ptr, ramdisk_image/size (+ ext_*), setup_data 0,
 * hardware_subarch 0 (x86/PC), acpi_rsdp_addr (protocol 2.14+) and the E820
 * table (the memory map, boot area included as RAM).  Refuses a command
 * line longer than the kernel's cmdline_size.  Returns 0, or -1 with a
 * one-line lower-case reason in why[0..len), having written nothing.
 * `kernel` and `initrd` need no alignment.
 */
int loader_linux_load(const struct vm_ram_writer *ram, const struct loader_config *cfg, const void *kernel,
		      size_t kernel_size, const void *initrd, size_t initrd_size, struct loader_boot *boot,
		      char *why, size_t len);

/*
 * Multiboot: check `kernel` (a multiboot header in its first 8 KiB; with
 * flag bit 16 its address fields, else an ELF kernel loaded by its program
 * headers as vm_elf_check allows) and the modules for cfg, plan the layout
 * above into *boot and, if `ram` is not NULL, write the kernel (.bss
 * zeroed), the modules and the boot area: GDT, TSS, command line and the
 * multiboot info with flags 0 (mem_lower/mem_upper), 2 (cmdline), 3
 * (modules), 6 (memory map) and 9 (boot loader name "Keel").
 * Header flag bits 0 (page-aligned modules) and 1 (memory information) are
 * always met; bit 2 (video mode) and the other bits 3-15 are refused: a
 * child has no display.  Returns 0, or -1 with a one-line lower-case
 * reason in why[0..len), having written nothing.
 */
int loader_multiboot_load(const struct vm_ram_writer *ram, const struct loader_config *cfg, const void *kernel,
			  size_t kernel_size, const struct loader_module *modules, unsigned module_count,
			  struct loader_boot *boot, char *why, size_t len);

/*
 * The registers at the kernel's first instruction for a plan made by
 * either loader: fills LOADER_ENTRY_REGISTERS names and values for
 * HvCallSetVpRegisters and returns that count.  All general registers not
 * named are 0; RFLAGS 0x2 (interrupts off); RSP = LOW; IDTR limit 0;
 * LDTR unusable; TR the busy TSS.
 *   Linux: 64-bit mode; RIP = load address + 0x200, RSI = boot_params;
 *     CR0 PE ET NE WP PG, CR3 the PML4, CR4 PAE, EFER LME LMA;
 *     CS 0x10 (64-bit code), DS ES FS GS SS 0x18 (flat data).
 *   Multiboot: 32-bit protected mode, paging off; EIP = entry,
 *     EAX = 0x2BADB002, EBX = the info; CR0 PE ET NE, CR3 CR4 EFER 0;
 *     CS 0x08 (flat 32-bit code), DS ES FS GS SS 0x10 (flat data).
 */
size_t loader_registers(const struct loader_boot *boot, uint32_t *names, union hv_register_value *values);

/* ---- Shared by loader_linux.c and loader_multiboot.c only ---- */

/* Check cfg (RAM size, reserved ranges, command line) and start *boot:
 * format, ram_bytes, area, cmdline, cmdline_length and the memory map. */
int loader_prepare(const struct loader_config *cfg, enum loader_format format, struct loader_boot *boot,
		   char *why, size_t len);

/* The first reserved map entry that [start, end) overlaps, or NULL. */
const struct loader_range *loader_reserved_overlap(const struct loader_boot *boot, uint64_t start,
						   uint64_t end);

/* Whether [start, end) lies inside [min, boot->area) clear of reserved
 * ranges (start <= end). */
bool loader_range_free(const struct loader_boot *boot, uint64_t min, uint64_t start, uint64_t end);

/* Write the boot area's page tables (Linux), GDT, TSS and command line. */
void loader_write_area(const struct vm_ram_writer *ram, const struct loader_boot *boot, const char *cmdline);

/* Write `len` zero bytes at gpa. */
void loader_write_zero(const struct vm_ram_writer *ram, uint64_t gpa, uint64_t len);

/* Defined in loader_multiboot.c: whether a multiboot header with a valid
 * checksum lies in the image (its offset in *offset). */
bool loader_multiboot_header(const void *image, size_t size, size_t *offset);

#endif
