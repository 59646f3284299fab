/* Common 4-level page-table builder; see pagetable.h for the contract. */
#include "hv/pagetable.h"

#include <string.h>

#define LEVELS 4

const struct pt_format pt_format_x86_host = {
	.name = "x86-64",
	.present = 1ull << 0,
	.read = 1ull << 0,
	.write = 1ull << 1,
	.exec = 0,
	.nx = 1ull << 63,
	.table_bits = (1ull << 0) | (1ull << 1),
	.leaf_bits = 0,
	.large = 1ull << 7,
	.hw_bits = (1ull << 5) | (1ull << 6),
	.addr_mask = 0x000ffffffffff000ull,
};

/* [va, va + size) lies where the format's four levels reach. */
static bool range_ok(const struct page_table *pt, uint64_t va, uint64_t size)
{
	uint64_t last = va + (size ? size - 1 : 0);

	if (last < va)
		return false;
	if (pt->format->guest_physical)
		return last < PT_GPA_LIMIT;
	/* Canonical, and not spanning the hole between the halves. */
	return (uint64_t)((int64_t)(va << 16) >> 16) == va && (uint64_t)((int64_t)(last << 16) >> 16) == last &&
	       (va >> 47) == (last >> 47);
}

static unsigned index_at(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

static uint64_t *table_virt(const struct page_table *pt, uint64_t phys)
{
	return pt->ops->to_virt(pt->ops->ctx, phys);
}

static bool is_present(const struct pt_format *f, uint64_t e)
{
	return (e & f->present) != 0;
}

static uint64_t leaf_entry(const struct pt_format *f, uint64_t pa, unsigned rights, bool large)
{
	uint64_t e = (pa & f->addr_mask) | f->leaf_bits;

	if (rights & PT_READ)
		e |= f->read;
	if (rights & PT_WRITE)
		e |= f->write;
	if (rights & PT_EXEC)
		e |= f->exec;
	else
		e |= f->nx;
	if (rights & PT_UNCACHED)
		e = (e & ~f->cache_mask) | f->uc_bits;
	if (large)
		e |= f->large;
	return e;
}

static unsigned entry_rights(const struct pt_format *f, uint64_t e)
{
	unsigned r = 0;

	if (e & f->read)
		r |= PT_READ;
	if (e & f->write)
		r |= PT_WRITE;
	if (f->exec ? (e & f->exec) != 0 : (e & f->nx) == 0)
		r |= PT_EXEC;
	return r;
}

int pt_init(struct page_table *pt, const struct pt_format *format, const struct pt_ops *ops)
{
	pt->format = format;
	pt->ops = ops;
	pt->root = ops->alloc_page(ops->ctx);
	return pt->root ? 0 : -1;
}

/* Replace a large leaf at *entry with a table of 512 small leaves that map
 * the same memory with the same rights. */
static int split_large(struct page_table *pt, uint64_t *entry)
{
	const struct pt_format *f = pt->format;
	uint64_t old = *entry;
	uint64_t table = pt->ops->alloc_page(pt->ops->ctx);
	uint64_t base = old & f->addr_mask & ~(PT_LARGE_SIZE - 1);
	uint64_t attributes = old & ~f->addr_mask & ~f->large & ~f->hw_bits; /* rights, memory type */
	uint64_t *t;

	if (!table)
		return -1;
	t = table_virt(pt, table);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		t[i] = (base + i * PT_PAGE_SIZE) | attributes;
	*entry = table | f->table_bits;
	return 0;
}

/* The table at `level` (1..3) covering va, creating it if `create`.  Large
 * pages on the way are split when creating, reported as NULL otherwise. */
static uint64_t *walk_to(struct page_table *pt, uint64_t va, int level, bool create)
{
	const struct pt_format *f = pt->format;
	uint64_t *table = table_virt(pt, pt->root);

	for (int l = LEVELS; l > level; l--) {
		uint64_t *e = &table[index_at(va, l)];

		if (!is_present(f, *e)) {
			uint64_t next;

			if (!create)
				return NULL;
			next = pt->ops->alloc_page(pt->ops->ctx);
			if (!next)
				return NULL;
			*e = next | f->table_bits;
		} else if (*e & f->large) {
			if (!create || split_large(pt, e))
				return NULL;
		}
		table = table_virt(pt, *e & f->addr_mask);
	}
	return table;
}

static void free_subtree(struct page_table *pt, uint64_t table_phys, int level)
{
	const struct pt_format *f = pt->format;
	uint64_t *t = table_virt(pt, table_phys);

	if (level > 1) {
		for (unsigned i = 0; i < PT_ENTRIES; i++)
			if (is_present(f, t[i]) && !(level == 2 && (t[i] & f->large)))
				free_subtree(pt, t[i] & f->addr_mask, level - 1);
	}
	pt->ops->free_page(pt->ops->ctx, table_phys);
}

int pt_map(struct page_table *pt, uint64_t va, uint64_t pa, uint64_t size, unsigned rights, bool allow_large)
{
	const struct pt_format *f = pt->format;

	if (!range_ok(pt, va, size))
		return -1;
	while (size) {
		bool large = allow_large && !(va & (PT_LARGE_SIZE - 1)) && !(pa & (PT_LARGE_SIZE - 1)) &&
			     size >= PT_LARGE_SIZE;
		uint64_t step = large ? PT_LARGE_SIZE : PT_PAGE_SIZE;
		uint64_t *table = walk_to(pt, va, large ? 2 : 1, true);
		uint64_t *e;

		if (!table)
			return -1;
		e = &table[index_at(va, large ? 2 : 1)];
		if (large && is_present(f, *e) && !(*e & f->large))
			free_subtree(pt, *e & f->addr_mask, 1);
		*e = leaf_entry(f, pa, rights, large);
		va += step;
		pa += step;
		size = size > step ? size - step : 0;
	}
	return 0;
}

int pt_unmap(struct page_table *pt, uint64_t va, uint64_t size)
{
	const struct pt_format *f = pt->format;

	if (!range_ok(pt, va, size))
		return -1;
	while (size) {
		bool whole = !(va & (PT_LARGE_SIZE - 1)) && size >= PT_LARGE_SIZE;
		uint64_t *pd, *e;
		uint64_t step;

		if (!(va & (PT_HUGE_SIZE - 1)) && size >= PT_HUGE_SIZE) {
			/* A whole 1 GiB: its directory goes too. */
			uint64_t *pdpt = walk_to(pt, va, 3, false);

			if (pdpt) {
				e = &pdpt[index_at(va, 3)];
				if (is_present(f, *e) && !(*e & f->large))
					free_subtree(pt, *e & f->addr_mask, 2);
				*e = 0;
			}
			step = PT_HUGE_SIZE;
			goto next;
		}
		pd = walk_to(pt, va, 2, false);

		if (!pd) {
			/* Nothing mapped here, or a large page above level 2. */
			step = PT_PAGE_SIZE;
			goto next;
		}
		e = &pd[index_at(va, 2)];
		if (whole) {
			if (is_present(f, *e) && !(*e & f->large))
				free_subtree(pt, *e & f->addr_mask, 1);
			*e = 0;
			step = PT_LARGE_SIZE;
			goto next;
		}
		step = PT_PAGE_SIZE;
		if (!is_present(f, *e))
			goto next;
		if ((*e & f->large) && split_large(pt, e))
			return -1;
		((uint64_t *)table_virt(pt, *e & f->addr_mask))[index_at(va, 1)] = 0;
next:
		va += step;
		size = size > step ? size - step : 0;
	}
	return 0;
}

bool pt_lookup(const struct page_table *pt, uint64_t va, uint64_t *pa, unsigned *rights)
{
	const struct pt_format *f = pt->format;
	uint64_t *table = table_virt(pt, pt->root);

	if (!range_ok(pt, va, 1))
		return false;
	for (int l = LEVELS; l >= 1; l--) {
		uint64_t e = table[index_at(va, l)];

		if (!is_present(f, e))
			return false;
		if (l == 1 || (l == 2 && (e & f->large))) {
			uint64_t page = l == 1 ? PT_PAGE_SIZE : PT_LARGE_SIZE;

			*pa = (e & f->addr_mask & ~(page - 1)) | (va & (page - 1));
			*rights = entry_rights(f, e);
			return true;
		}
		table = table_virt(pt, e & f->addr_mask);
	}
	return false;
}

static int for_each_in(const struct page_table *pt, uint64_t table_phys, int level, uint64_t base, uint64_t lo,
		       uint64_t hi, int (*fn)(void *, uint64_t, uint64_t, uint64_t, unsigned), void *ctx)
{
	const struct pt_format *f = pt->format;
	const uint64_t *t = table_virt(pt, table_phys);
	uint64_t span = 1ull << (12 + 9 * (level - 1));

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t va = base + i * span;
		int rc;

		if (!is_present(f, t[i]) || va + span <= lo || va >= hi)
			continue;
		if (level == 1 || (level == 2 && (t[i] & f->large))) {
			rc = fn(ctx, va, t[i] & f->addr_mask & ~(span - 1), span, entry_rights(f, t[i]));
		} else {
			rc = for_each_in(pt, t[i] & f->addr_mask, level - 1, va, lo, hi, fn, ctx);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int pt_for_each_leaf(const struct page_table *pt,
		     int (*fn)(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned rights), void *ctx)
{
	return pt->root ? for_each_in(pt, pt->root, LEVELS, 0, 0, ~0ull, fn, ctx) : 0;
}

int pt_for_each_leaf_in(const struct page_table *pt, uint64_t va, uint64_t size,
			int (*fn)(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned rights), void *ctx)
{
	return pt->root && size ? for_each_in(pt, pt->root, LEVELS, 0, va, va + size, fn, ctx) : 0;
}

bool pt_collapse(struct page_table *pt, uint64_t va)
{
	const struct pt_format *f = pt->format;
	uint64_t *pd = walk_to(pt, va, 2, false);
	uint64_t *e, *t, first, attributes;

	if (!pd)
		return false;
	e = &pd[index_at(va, 2)];
	if (!is_present(f, *e) || (*e & f->large))
		return false;
	t = table_virt(pt, *e & f->addr_mask);
	first = t[0] & f->addr_mask;
	attributes = t[0] & ~f->addr_mask & ~f->hw_bits;
	if (!is_present(f, t[0]) || (first & (PT_LARGE_SIZE - 1)) || (attributes & f->large))
		return false;
	/* Accessed/dirty bits the CPU set do not keep pages apart. */
	for (unsigned i = 1; i < PT_ENTRIES; i++)
		if ((t[i] & ~f->hw_bits) != ((first + i * PT_PAGE_SIZE) | attributes))
			return false;
	pt->ops->free_page(pt->ops->ctx, *e & f->addr_mask);
	*e = first | attributes | f->large;
	return true;
}

void pt_destroy(struct page_table *pt)
{
	if (pt->root)
		free_subtree(pt, pt->root, LEVELS);
	pt->root = 0;
}
