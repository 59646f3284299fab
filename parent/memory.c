/*
 * The parent's memory: its free RAM as page ranges (free_ram, pages.h), its
 * identity page tables over all physical memory, above 4 GiB included, and
 * the heap (newlib's malloc through _sbrk), one range taken from free_ram.
 */
#include <stdlib.h>
#include <string.h>

#include "parent/kernel.h"

#define MB (1ull << 20)

static uint64_t heap_start, heap_end, heap_brk, heap_size;

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

struct pages free_ram;

/* What the parent may hand out: conventional memory and what boot services
 * used, above 1 MiB (the parent's image, its boot area and the modules are
 * loader data, so never among them). */
static int is_free(uint32_t type)
{
	return type == BOOT_MEM_CONVENTIONAL || type == BOOT_MEM_BS_CODE || type == BOOT_MEM_BS_DATA;
}

/* Identity-map [0, top) with 2 MiB pages (SDM vol. 3 §4.5), the tables
 * taken below 4 GiB: the boot page tables reach only that far. */
static int map_all(uint64_t top)
{
	uint64_t gib = (top + (1ull << 30) - 1) >> 30, pdpts = (gib + 511) / 512;
	uint64_t pml4, tables;

	if (pdpts > 512)
		return -1;
	tables = pages_alloc(&free_ram, 1 + pdpts + gib, 4ull << 30);
	if (!tables)
		return -1;
	pml4 = tables;
	memset((void *)pml4, 0, (1 + pdpts) * PAGES_SIZE);
	for (uint64_t t = 0; t < pdpts; t++)
		((uint64_t *)pml4)[t] = (tables + (1 + t) * PAGES_SIZE) | 3; /* P, RW */
	for (uint64_t g = 0; g < gib; g++) {
		uint64_t pd = tables + (1 + pdpts + g) * PAGES_SIZE;
		uint64_t *pdpt = (uint64_t *)(tables + (1 + g / 512) * PAGES_SIZE);

		for (uint64_t j = 0; j < 512; j++)
			((uint64_t *)pd)[j] = (g << 30) + (j << 21) + 0x83; /* P, RW, PS */
		pdpt[g % 512] = pd | 3;
	}
	__asm__ volatile("mov %0, %%cr3" ::"r"(pml4) : "memory");
	return 0;
}

int memory_map_identity(uint64_t base, uint64_t bytes)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	base &= ~(2 * MB - 1);
	for (uint64_t a = base; a < base + bytes; a += 2 * MB) {
		uint64_t *table = (uint64_t *)(cr3 & ~0xfffull);

		/* PML4 and PDPT entries: a table below 4 GiB when missing. */
		for (int shift = 39; shift >= 30; shift -= 9) {
			uint64_t *e = &table[(a >> shift) & 511];

			if (!(*e & 1)) {
				uint64_t t = pages_alloc(&free_ram, 1, 4ull << 30);

				if (!t)
					return -1;
				memset((void *)t, 0, PAGES_SIZE);
				*e = t | 3; /* P, RW */
			} else if (*e & 0x80) {
				goto next; /* a 1 GiB page maps it already */
			}
			table = (uint64_t *)(*e & 0x000ffffffffff000ull);
		}
		table[(a >> 21) & 511] = a | 0x83; /* P, RW, PS */
next:;
	}
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	return 0;
}

int memory_init(void)
{
	uint64_t top = 4ull << 30, heap;

	pages_init(&free_ram);
	for (uint32_t i = 0; i < boot->memmap_entries; i++) {
		const struct boot_memdesc *d = desc(i);
		uint64_t start = d->phys_start < MB ? MB : d->phys_start;
		uint64_t end = d->phys_start + d->pages * 4096;

		if (end > top)
			top = end;
		if (is_free(d->type) && end > start && pages_add(&free_ram, start, end - start))
			return -1;
	}
	if (map_all(top))
		return -2;
	/* The heap holds the parent's own data (VM tables, staging buffers,
	 * consoles): a sixteenth of RAM, 16 MiB to 256 MiB.  Children's RAM
	 * comes from free_ram directly. */
	heap_size = free_ram.free_pages * PAGES_SIZE / 16;
	heap_size = heap_size < 16 * MB ? 16 * MB : heap_size > 256 * MB ? 256 * MB : heap_size;
	heap = pages_alloc(&free_ram, heap_size / PAGES_SIZE, ~0ull);
	if (!heap)
		return -3;
	heap_start = heap_brk = heap;
	heap_end = heap + heap_size;
	return 0;
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

void heap_stats(uint64_t *total, uint64_t *used)
{
	*total = heap_end - heap_start;
	*used = heap_brk - heap_start;
}
