/*
 * One 4-level page-table walker/builder for every x86 format Keel uses: the
 * hypervisor's own tables, AMD NPT and Intel EPT.  A format is data
 * (struct pt_format); the memory the tables live in is reached through the
 * callbacks in struct pt_ops, so this file links into the hypervisor and into
 * host unit tests alike.
 */
#ifndef KEEL_HV_PAGETABLE_H
#define KEEL_HV_PAGETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_PAGE_SIZE 4096ull
#define PT_LARGE_SIZE (2ull << 20)
#define PT_HUGE_SIZE  (1ull << 30) /* what one directory maps */
#define PT_ENTRIES 512

/* Access rights a mapping grants. */
#define PT_READ  (1u << 0)
#define PT_WRITE (1u << 1)
#define PT_EXEC  (1u << 2)
#define PT_RWX   (PT_READ | PT_WRITE | PT_EXEC)
/* Memory type: uncacheable instead of the format's default (write-back).
 * Only formats whose entries carry a memory type (EPT) encode it; the
 * others leave caching to the MTRRs. */
#define PT_UNCACHED (1u << 3)

/*
 * How one format encodes entries.  An entry is present when any bit of
 * `present` is set.  `read`/`write`/`exec` are set in a leaf to grant the
 * right; `nx` is set to deny execution (x86 paging) and 0 where the format
 * has a positive exec bit (EPT).  Non-leaf entries get `table_bits`; leaves
 * always get `leaf_bits` (U/S for NPT, memory type for EPT).
 */
struct pt_format {
	const char *name;
	uint64_t present;
	uint64_t read;
	uint64_t write;
	uint64_t exec;
	uint64_t nx;
	uint64_t table_bits;
	uint64_t leaf_bits;
	uint64_t cache_mask; /* memory-type bits of a leaf (0: none) */
	uint64_t uc_bits;    /* their value for PT_UNCACHED */
	uint64_t large;      /* page-size bit in a level-2 entry */
	uint64_t hw_bits;    /* bits the CPU sets on its own (accessed/dirty) */
	uint64_t addr_mask;  /* physical-address bits of an entry */
	/* Second-level formats translate guest-physical addresses: only
	 * [0, PT_GPA_LIMIT) exists.  Others translate linear addresses, which
	 * must be canonical (SDM vol. 1 §3.3.7.1). */
	bool guest_physical;
};

/* What four levels reach; a GPA at or above it is refused, never aliased. */
#define PT_GPA_LIMIT (1ull << 48)

/* Memory for tables: alloc returns the physical address of a zeroed page
 * (0 on failure); to_virt makes a physical address addressable. */
struct pt_ops {
	uint64_t (*alloc_page)(void *ctx);
	void (*free_page)(void *ctx, uint64_t phys);
	void *(*to_virt)(void *ctx, uint64_t phys);
	void *ctx;
};

struct page_table {
	const struct pt_format *format;
	const struct pt_ops *ops;
	uint64_t root; /* physical address of the top-level table */
};

int pt_init(struct page_table *pt, const struct pt_format *format, const struct pt_ops *ops);
/* Map [va, va+size) to [pa, pa+size) with `rights`, using 2 MiB leaves where
 * both addresses and the remaining size allow it and `allow_large` is set.
 * Replaces existing mappings (splitting large pages as needed).
 * Returns 0, or -1 when out of table memory (mappings made so far stay) or
 * when the range is not addressable in the format (nothing mapped).
 * pt_unmap refuses such a range the same way, and pt_lookup finds nothing
 * there. */
int pt_map(struct page_table *pt, uint64_t va, uint64_t pa, uint64_t size, unsigned rights, bool allow_large);
/* Remove [va, va+size); splits large pages that straddle the edges. */
int pt_unmap(struct page_table *pt, uint64_t va, uint64_t size);
/* Translate va: returns true and the physical address + rights if mapped. */
bool pt_lookup(const struct page_table *pt, uint64_t va, uint64_t *pa, unsigned *rights);
/* Call fn for every leaf (va, pa, size, rights) in ascending va order;
 * fn must not change the table.  Stops early when fn returns nonzero and
 * returns that value. */
int pt_for_each_leaf(const struct page_table *pt,
		     int (*fn)(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned rights), void *ctx);
/* The same for the leaves that overlap [va, va + size). */
int pt_for_each_leaf_in(const struct page_table *pt, uint64_t va, uint64_t size,
			int (*fn)(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned rights), void *ctx);
/* If the 2 MiB block holding va is mapped by 512 small leaves that map a
 * contiguous, aligned range with identical attributes, replace them by one
 * large leaf and free the table.  Returns true if it collapsed. */
bool pt_collapse(struct page_table *pt, uint64_t va);
/* Free every table page (not the mapped memory). */
void pt_destroy(struct page_table *pt);

/* The x86-64 4-level format as the hypervisor uses for itself (SDM §4.5). */
extern const struct pt_format pt_format_x86_host;

#endif
