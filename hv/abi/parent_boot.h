/*
 * The page the hypervisor hands the parent partition at its entry
 * (RDI = its guest-physical address; GPA == HPA in the parent).
 *
 * The parent starts in 64-bit mode, CPL 0, interrupts off, on a stack at the
 * top of its boot area, with page tables (also in the boot area) that
 * identity-map [0, 4 GiB) with 2 MiB pages.  It should load its own GDT, IDT
 * and page tables at once.  Memory-map entries typed
 * BOOT_MEMTYPE_HYPERVISOR are not the parent's and are not mapped.
 */
#ifndef KEEL_ABI_PARENT_BOOT_H
#define KEEL_ABI_PARENT_BOOT_H

#include <stdint.h>

#include "hv/abi/boot_info.h"

#define PARENT_BOOT_MAGIC   0x544e524150454b4bull /* "KKEPARNT" */
#define PARENT_BOOT_VERSION 1

struct parent_boot {
	uint64_t magic;
	uint32_t version;
	uint32_t size;
	uint64_t boot_area;        /* this area: [boot_area, +boot_area_size) */
	uint64_t boot_area_size;
	uint64_t image_start;      /* the parent's own image */
	uint64_t image_end;
	uint64_t acpi_rsdp;
	uint64_t memmap_phys;      /* copy of the UEFI map inside the boot area */
	uint32_t memmap_entries;
	uint32_t memmap_desc_size;
	uint32_t log_level;
	uint32_t module_count;
	struct boot_module modules[BOOT_MAX_MODULES];
	char startup_module[BOOT_MODULE_NAME_LEN];
};
_Static_assert(__builtin_offsetof(struct parent_boot, acpi_rsdp) == 48, "parent_boot layout");
_Static_assert(__builtin_offsetof(struct parent_boot, modules) == 80, "parent_boot layout");
_Static_assert(sizeof(struct parent_boot) == 80 + 64 * BOOT_MAX_MODULES + BOOT_MODULE_NAME_LEN, "parent_boot layout");

#endif
