/*
 * paging: builds the 4-level page tables the loader hands to the hypervisor
 * (Intel SDM Vol. 3A §4.5, AMD APM Vol. 2 §5.3).  Pure freestanding C: the
 * tables live in a caller-supplied pool of 4 KiB pages.
 */
#ifndef KEEL_BOOT_PAGING_H
#define KEEL_BOOT_PAGING_H

#include <stddef.h>
#include <stdint.h>

#define PAGING_PAGE_SIZE  4096ull
#define PAGING_LARGE_SIZE (2ull << 20)

#define PAGING_PRESENT (1ull << 0)
#define PAGING_WRITE   (1ull << 1)
#define PAGING_LARGE   (1ull << 7)  /* PS: a 2 MiB page in a PD entry */
#define PAGING_ADDR    0x000ffffffffff000ull

/*
 * count page-sized tables at host pointer `pages`, which the page-table
 * walker (the CPU) will see at physical address `phys`.  The first page
 * handed out is the PML4.
 */
struct paging_pool {
	uint64_t *pages;
	uint64_t phys;
	size_t count;
	size_t used;
};

/* Upper bound of the tables paging_map needs for these two ranges, PML4 included. */
size_t paging_tables_needed(uint64_t identity_end, uint64_t virt, uint64_t size);

/* Take the PML4 (zeroed) from an empty pool.  Returns NULL when the pool is empty. */
uint64_t *paging_pml4(struct paging_pool *pool);

/*
 * Map [virt, virt + size) to [phys, ...) with present, writable 2 MiB pages.
 * virt, phys and size must be 2 MiB aligned and virt canonical; a 2 MiB
 * slot already mapped is an error.  Returns 0, or -1 when the pool runs out
 * or the arguments break the rules above.
 */
int paging_map(struct paging_pool *pool, uint64_t *pml4,
	       uint64_t virt, uint64_t phys, uint64_t size);

#endif
