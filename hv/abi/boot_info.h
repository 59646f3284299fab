/*
 * boot_info: the hand-off from the UEFI loader (boot/) to the hypervisor.
 *
 * Contract: the loader fills one struct boot_info in memory it allocated as
 * EfiLoaderData, calls ExitBootServices, and jumps to the hypervisor's ELF
 * entry with RDI = physical address of the struct and interrupts disabled.
 * Paging is on with loader-built 4-level tables (EfiLoaderData, writable
 * 2 MiB pages) that identity-map [0, max(4 GiB, top of the memory map)) and
 * map the hypervisor region at hv_virt_base (clipped at the top of the
 * address space).  RSP is still the loader's stack in boot-services memory
 * (16-byte aligned, then a zero return address pushed), and GDTR/IDTR still
 * point at the firmware's tables there: the hypervisor switches to its own
 * stack, GDT and IDT at entry, before it reuses boot-services memory.
 * Every field is fixed-size; offsets are asserted below.  Bump
 * BOOT_INFO_VERSION on any layout change.
 */
#ifndef KEEL_ABI_BOOT_INFO_H
#define KEEL_ABI_BOOT_INFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC   0x544f4f424c45454bull /* "KEELBOOT" */
#define BOOT_INFO_VERSION 2

/* UEFI memory type the loader gives the hypervisor's reserved region
 * (OS-defined range, UEFI 2.x §7.2 AllocatePages). */
#define BOOT_MEMTYPE_HYPERVISOR 0x80000001u

#define BOOT_MODULE_NAME_LEN 48
#define BOOT_MAX_MODULES     32
#define BOOT_VENDOR_LEN      12
#define BOOT_MAX_CPUS        64

enum boot_log_level {
	BOOT_LOG_ERROR = 0,
	BOOT_LOG_WARN = 1,
	BOOT_LOG_INFO = 2,
	BOOT_LOG_DEBUG = 3,
};

/* A file the config names with `module = NAME PATH`, loaded page-aligned. */
struct boot_module {
	uint64_t phys;
	uint64_t size;
	char name[BOOT_MODULE_NAME_LEN]; /* NUL-terminated */
};

struct boot_info {
	uint64_t magic;
	uint32_t version;
	uint32_t size;            /* sizeof(struct boot_info) */

	/* The hypervisor's region: [hv_phys_base, +hv_phys_size), typed
	 * BOOT_MEMTYPE_HYPERVISOR in the memory map.  The hypervisor image is
	 * loaded at its start; everything after hv_image_size is free. */
	uint64_t hv_phys_base;
	uint64_t hv_phys_size;
	uint64_t hv_image_size;   /* bytes from hv_phys_base, page-aligned */
	uint64_t hv_virt_base;    /* link address of hv_phys_base */

	/* The parent image (identity-linked, loaded at its p_paddr). */
	uint64_t parent_entry;
	uint64_t parent_phys_start;
	uint64_t parent_phys_end;
	/* Scratch memory for the parent's boot page, first page tables and
	 * stack; EfiLoaderData, owned by the parent. */
	uint64_t parent_boot_area;
	uint64_t parent_boot_area_size;

	uint64_t acpi_rsdp;       /* physical address of the RSDP, 0 if none */

	/* The final UEFI memory map (EFI_MEMORY_DESCRIPTOR array). */
	uint64_t memmap_phys;
	uint32_t memmap_entries;
	uint32_t memmap_desc_size;
	uint32_t memmap_desc_version;
	uint32_t log_level;       /* enum boot_log_level */

	uint32_t module_count;
	uint32_t reserved0;
	struct boot_module modules[BOOT_MAX_MODULES];

	char vendor[BOOT_VENDOR_LEN]; /* CPUID 0x40000000 signature, NUL-padded */
	char startup_module[BOOT_MODULE_NAME_LEN]; /* name of the startup script module, "" if none */
	uint32_t time_slice_us;   /* scheduler time slice (keel.cfg time_slice) */

	/* Processors as the firmware's MP services report them (enabled
	 * ones, BSP first); cpu_count 0 if the firmware has no MP services.
	 * The hypervisor prefers the ACPI MADT and falls back to this. */
	uint32_t cpu_count;
	uint32_t reserved2;
	uint32_t apic_ids[BOOT_MAX_CPUS];
};

_Static_assert(sizeof(struct boot_module) == 64, "boot_module layout");
_Static_assert(__builtin_offsetof(struct boot_info, hv_phys_base) == 16, "boot_info layout");
_Static_assert(__builtin_offsetof(struct boot_info, parent_entry) == 48, "boot_info layout");
_Static_assert(__builtin_offsetof(struct boot_info, acpi_rsdp) == 88, "boot_info layout");
_Static_assert(__builtin_offsetof(struct boot_info, memmap_phys) == 96, "boot_info layout");
_Static_assert(__builtin_offsetof(struct boot_info, module_count) == 120, "boot_info layout");
_Static_assert(__builtin_offsetof(struct boot_info, modules) == 128, "boot_info layout");
_Static_assert(__builtin_offsetof(struct boot_info, vendor) == 128 + 64 * BOOT_MAX_MODULES, "boot_info layout");
_Static_assert(__builtin_offsetof(struct boot_info, cpu_count) == 128 + 64 * BOOT_MAX_MODULES + 12 + 48 + 4,
	       "boot_info layout");
_Static_assert(sizeof(struct boot_info) == 128 + 64 * BOOT_MAX_MODULES + 12 + 48 + 4 + 8 + 4 * BOOT_MAX_CPUS,
	       "boot_info layout");

/* UEFI memory descriptor as the firmware lays it out (UEFI 2.x §7.2). */
struct boot_memdesc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t pages;
	uint64_t attribute;
};
_Static_assert(sizeof(struct boot_memdesc) == 40, "EFI_MEMORY_DESCRIPTOR layout");

/* UEFI memory types used by Keel (UEFI 2.x Table 7-5). */
enum boot_memtype {
	BOOT_MEM_RESERVED = 0,
	BOOT_MEM_LOADER_CODE = 1,
	BOOT_MEM_LOADER_DATA = 2,
	BOOT_MEM_BS_CODE = 3,
	BOOT_MEM_BS_DATA = 4,
	BOOT_MEM_RT_CODE = 5,
	BOOT_MEM_RT_DATA = 6,
	BOOT_MEM_CONVENTIONAL = 7,
	BOOT_MEM_UNUSABLE = 8,
	BOOT_MEM_ACPI_RECLAIM = 9,
	BOOT_MEM_ACPI_NVS = 10,
	BOOT_MEM_MMIO = 11,
	BOOT_MEM_MMIO_PORT = 12,
	BOOT_MEM_PAL_CODE = 13,
	BOOT_MEM_PERSISTENT = 14,
};

#endif
