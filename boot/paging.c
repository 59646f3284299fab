/*
 * 4-level page-table builder with 2 MiB leaves.  Tables are taken from a
 * pool; a table's physical address is pool->phys + its offset in the pool.
 */
#include "boot/paging.h"

#define GIB  (1ull << 30)
#define SLOT_512G (1ull << 39)

static uint64_t *paging_alloc(struct paging_pool *pool, uint64_t *phys)
{
	if (pool->used >= pool->count)
		return NULL;
	uint64_t *table = pool->pages + pool->used * (PAGING_PAGE_SIZE / 8);
	*phys = pool->phys + pool->used * PAGING_PAGE_SIZE;
	pool->used++;
	for (unsigned i = 0; i < PAGING_PAGE_SIZE / 8; i++)
		table[i] = 0;
	return table;
}

static uint64_t *paging_table_of(struct paging_pool *pool, uint64_t entry)
{
	uint64_t off = (entry & PAGING_ADDR) - pool->phys;
	return pool->pages + off / 8;
}

/* The next-level table behind *entry, created when absent. */
static uint64_t *paging_next(struct paging_pool *pool, uint64_t *entry)
{
	if (*entry & PAGING_PRESENT) {
		if (*entry & PAGING_LARGE)
			return NULL;
		return paging_table_of(pool, *entry);
	}
	uint64_t phys;
	uint64_t *table = paging_alloc(pool, &phys);
	if (!table)
		return NULL;
	*entry = phys | PAGING_PRESENT | PAGING_WRITE;
	return table;
}

static uint64_t span_count(uint64_t start, uint64_t size, uint64_t unit)
{
	if (size == 0)
		return 0;
	uint64_t last = start + (size - 1);
	return last / unit - start / unit + 1;
}

size_t paging_tables_needed(uint64_t identity_end, uint64_t virt, uint64_t size)
{
	return 1 + span_count(0, identity_end, SLOT_512G) + span_count(0, identity_end, GIB) +
	       span_count(virt, size, SLOT_512G) + span_count(virt, size, GIB);
}

uint64_t *paging_pml4(struct paging_pool *pool)
{
	uint64_t phys;
	return paging_alloc(pool, &phys);
}

static int canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

int paging_map(struct paging_pool *pool, uint64_t *pml4,
	       uint64_t virt, uint64_t phys, uint64_t size)
{
	uint64_t mask = PAGING_LARGE_SIZE - 1;

	if ((virt | phys | size) & mask)
		return -1;
	if (size == 0)
		return 0;
	if (virt + size - 1 < virt || phys + size - 1 < phys)
		return -1;
	if (!canonical(virt) || !canonical(virt + size - 1) ||
	    ((virt ^ (virt + size - 1)) >> 47))
		return -1;
	if ((phys + size - 1) > PAGING_ADDR)
		return -1;

	for (uint64_t off = 0; off < size; off += PAGING_LARGE_SIZE) {
		uint64_t va = virt + off;
		uint64_t *pdpt = paging_next(pool, &pml4[(va >> 39) & 511]);
		if (!pdpt)
			return -1;
		uint64_t *pd = paging_next(pool, &pdpt[(va >> 30) & 511]);
		if (!pd)
			return -1;
		uint64_t *pde = &pd[(va >> 21) & 511];
		if (*pde & PAGING_PRESENT)
			return -1;
		*pde = (phys + off) | PAGING_PRESENT | PAGING_WRITE | PAGING_LARGE;
	}
	return 0;
}
