/*
 * The parent's memory: the heap (newlib's malloc through _sbrk) in the
 * largest free RAM range the map gives it, and its own identity page tables
 * over all physical memory.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "parent/kernel.h"

#define MB (1ull << 20)

static uint64_t heap_start, heap_end, heap_brk;

static const struct boot_memdesc *desc(uint32_t i)
{
	return (const struct boot_memdesc *)(boot->memmap_phys + (uint64_t)i * boot->memmap_desc_size);
}

static int is_ram(uint32_t type)
{
	return (type >= BOOT_MEM_LOADER_CODE && type <= BOOT_MEM_CONVENTIONAL) ||
	       type == BOOT_MEM_ACPI_RECLAIM || type == BOOT_MEM_ACPI_NVS || type == BOOT_MEM_PERSISTENT;
}

uint64_t ram_bytes(void)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < boot->memmap_entries; i++)
		if (is_ram(desc(i)->type))
			total += desc(i)->pages * 4096;
	return total;
}

uint64_t hv_region(uint64_t *size)
{
	for (uint32_t i = 0; i < boot->memmap_entries; i++) {
		if (desc(i)->type == BOOT_MEMTYPE_HYPERVISOR) {
			*size = desc(i)->pages * 4096;
			return desc(i)->phys_start;
		}
	}
	*size = 0;
	return 0;
}

const struct boot_module *module_find(const char *name)
{
	for (uint32_t i = 0; i < boot->module_count; i++)
		if (!strcmp(boot->modules[i].name, name))
			return &boot->modules[i];
	return NULL;
}

void heap_init(void)
{
	uint64_t best = 0, best_size = 0;

	/* Conventional memory above 1 MiB that holds neither our image nor
	 * the boot area (both are loader data, so never conventional). */
	for (uint32_t i = 0; i < boot->memmap_entries; i++) {
		const struct boot_memdesc *d = desc(i);
		uint64_t start = d->phys_start < MB ? MB : d->phys_start;
		uint64_t end = d->phys_start + d->pages * 4096;

		if (d->type == BOOT_MEM_CONVENTIONAL && end > start && end - start > best_size) {
			best = start;
			best_size = end - start;
		}
	}
	heap_start = heap_brk = best;
	heap_end = best + best_size;
}

void *_sbrk(ptrdiff_t incr);

void *_sbrk(ptrdiff_t incr)
{
	uint64_t old = heap_brk;

	if (incr < 0 ? (uint64_t)-incr > heap_brk - heap_start : (uint64_t)incr > heap_end - heap_brk)
		return (void *)-1;
	heap_brk += incr;
	return (void *)old;
}

void heap_stats(uint64_t *total, uint64_t *used);
void heap_stats(uint64_t *total, uint64_t *used)
{
	*total = heap_end - heap_start;
	*used = heap_brk - heap_start;
}

void paging_init(void)
{
	uint64_t top = 4ull << 30;
	uint64_t gib, *pml4, *pdpt;

	for (uint32_t i = 0; i < boot->memmap_entries; i++) {
		uint64_t end = desc(i)->phys_start + desc(i)->pages * 4096;

		if (end > top)
			top = end;
	}
	gib = (top + (1ull << 30) - 1) >> 30;
	if (gib > 512)
		gib = 512;
	pml4 = memalign(4096, 4096);
	pdpt = memalign(4096, 4096);
	if (!pml4 || !pdpt)
		return;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	for (uint64_t g = 0; g < gib; g++) {
		uint64_t *pd = memalign(4096, 4096);

		if (!pd)
			return;
		for (int j = 0; j < 512; j++)
			pd[j] = (g << 30) + ((uint64_t)j << 21) + 0x83; /* P | RW | PS */
		pdpt[g] = (uint64_t)pd | 3;
	}
	pml4[0] = (uint64_t)pdpt | 3;
	__asm__ volatile("mov %0, %%cr3" ::"r"((uint64_t)pml4) : "memory");
}
