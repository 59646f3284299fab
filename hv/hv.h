/* Hypervisor-wide state set up once at boot on the bootstrap processor. */
#ifndef KEEL_HV_HV_H
#define KEEL_HV_HV_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/abi/boot_info.h"
#include "hv/frame.h"
#include "hv/pagetable.h"

extern struct boot_info hv_boot;          /* (i) private copy of the loader's hand-off */
extern struct frame_allocator hv_frames;  /* the hypervisor's own memory */
extern const struct pt_ops hv_pt_ops;     /* page tables in hv_frames */
extern uint64_t hv_ram_top;               /* (i) end of the highest RAM range */
extern uint64_t hv_direct_map_top;        /* (i) physical memory below this is mapped */

/* True if [phys, phys+size) touches the hypervisor's region. */
static inline bool hv_owns(uint64_t phys, uint64_t size)
{
	return phys < hv_boot.hv_phys_base + hv_boot.hv_phys_size && phys + size > hv_boot.hv_phys_base;
}

/* The hypervisor reaches all physical memory through an identity map. */
static inline void *phys_to_virt(uint64_t phys) { return (void *)phys; }

/* Memory-map iteration helper. */
static inline const struct boot_memdesc *memmap_entry(const struct boot_info *bi, uint32_t i)
{
	return (const struct boot_memdesc *)(bi->memmap_phys + (uint64_t)i * bi->memmap_desc_size);
}
bool memtype_is_ram(uint32_t type);
/* True if the page at phys is RAM outside the hypervisor's region. */
bool hv_ram_page(uint64_t phys);

void mem_init(void);
struct acpi_info;
struct pcpu;
/* Bring up the other pCPUs (arch/x86/smp.c); returns how many are online,
 * the caller included. */
unsigned smp_start_aps(const struct acpi_info *acpi);
/* Entry of an application processor once it runs on hypervisor tables. */
void ap_main(struct pcpu *p);

#endif
