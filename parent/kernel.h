/* State of the parent kernel shared between its parts; set once at boot. */
#ifndef KEEL_PARENT_KERNEL_H
#define KEEL_PARENT_KERNEL_H

#include <stdint.h>

#include "hv/abi/parent_boot.h"
#include "parent/pages.h"

extern const struct parent_boot *boot;

void desc_init(void);
/* Collect the free RAM, map all of physical memory, place the heap; before
 * anything allocates.  0, or a negative step number that failed. */
int memory_init(void);
/* The parent's free RAM: page tables, heap and children's memory come
 * from it. */
extern struct pages free_ram;
/* Identity-map [base, base + bytes) too (2 MiB pages, WB); 0 or -1. */
int memory_map_identity(uint64_t base, uint64_t bytes);
void heap_stats(uint64_t *total, uint64_t *used);
/* Bytes of RAM the map gives the parent (hypervisor ranges excluded). */
uint64_t ram_bytes(void);
/* The first hypervisor-owned range in the map; 0 if none. */
uint64_t hv_region(uint64_t *size);
const struct boot_module *module_find(const char *name);

/* Read 8 bytes at `addr`; -1 and the exception vector if that faults. */
int probe_read64(uint64_t addr, uint64_t *out);
/* Call fn(arg); -1 and the vector if it faulted (it must not have changed
 * callee-saved registers before the fault). */
int probe_call(void (*fn)(uint64_t), uint64_t arg);
extern volatile int fault_vector;

void power_off(void) __attribute__((noreturn));

/* TSC ticks per second, as the hypervisor measured them
 * (HV_X64_MSR_TSC_FREQUENCY; defined in vm.c). */
uint64_t parent_tsc_hz(void);

#endif
