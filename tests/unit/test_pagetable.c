/*
 * Host unit test for the common 4-level page-table builder (hv/pagetable.c).
 *
 * Table pages come from a host pool that the builder sees at the fake
 * physical address POOL_BASE.  The pool counts allocations and frees, fails
 * the test on a double free or on any access to a page that is not currently
 * allocated, and can be given an allocation budget to simulate running out
 * of memory.  The behavioural tests run once per format (x86-64 host, AMD
 * NPT, Intel EPT); the encoding tests check exact entry bits per format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/pagetable.h"

#define POOL_PAGES 64
#define POOL_BASE  0x0000007654000000ull
#define MIB        (1ull << 20)
#define GIB        (1ull << 30)

/* AMD NPT: x86 long-mode paging with every leaf user-accessible, because
 * nested walks are user accesses (APM vol. 2 §15.25.5). */
static const struct pt_format npt_format = {
	.name = "npt",
	.present = 1ull << 0,
	.read = 1ull << 0,
	.write = 1ull << 1,
	.exec = 0,
	.nx = 1ull << 63,
	.table_bits = (1ull << 0) | (1ull << 1) | (1ull << 2),
	.leaf_bits = 1ull << 2,
	.large = 1ull << 7,
	.hw_bits = (1ull << 5) | (1ull << 6),
	.addr_mask = 0x000ffffffffff000ull,
	.guest_physical = true,
};

/* Intel EPT: R/W/X in bits 0-2 (any set = present), memory type WB (6) in
 * bits 5:3 of leaves, bit 7 = 2 MiB page (SDM vol. 3 §29.3.2). */
static const struct pt_format ept_format = {
	.name = "ept",
	.present = (1ull << 0) | (1ull << 1) | (1ull << 2),
	.read = 1ull << 0,
	.write = 1ull << 1,
	.exec = 1ull << 2,
	.nx = 0,
	.table_bits = 7,
	.leaf_bits = 6ull << 3,
	.cache_mask = 7ull << 3,
	.uc_bits = 0,
	.large = 1ull << 7,
	.hw_bits = (1ull << 8) | (1ull << 9),
	.addr_mask = 0x000ffffffffff000ull,
	.guest_physical = true,
};

struct pool {
	uint8_t *mem;
	bool used[POOL_PAGES];
	unsigned allocs;
	unsigned frees;
	int budget; /* allocations still allowed; negative = unlimited */
};

struct fixture {
	const struct pt_format *f;
	struct pool pool;
	struct pt_ops ops;
	struct page_table pt;
};

static unsigned pool_index(const struct pool *p, uint64_t phys)
{
	assert_in_range(phys, POOL_BASE, POOL_BASE + POOL_PAGES * PT_PAGE_SIZE - 1);
	assert_int_equal(phys & (PT_PAGE_SIZE - 1), 0);
	return (unsigned)((phys - POOL_BASE) / PT_PAGE_SIZE);
}

static uint64_t pool_alloc(void *ctx)
{
	struct pool *p = ctx;

	if (p->budget == 0)
		return 0;
	for (unsigned i = 0; i < POOL_PAGES; i++) {
		if (p->used[i])
			continue;
		if (p->budget > 0)
			p->budget--;
		p->used[i] = true;
		p->allocs++;
		memset(p->mem + i * PT_PAGE_SIZE, 0, PT_PAGE_SIZE);
		return POOL_BASE + i * PT_PAGE_SIZE;
	}
	fail_msg("table pool exhausted");
	return 0;
}

static void pool_free(void *ctx, uint64_t phys)
{
	struct pool *p = ctx;
	unsigned i = pool_index(p, phys);

	assert_true(p->used[i]); /* double free or never allocated */
	p->used[i] = false;
	p->frees++;
	memset(p->mem + i * PT_PAGE_SIZE, 0xdd, PT_PAGE_SIZE);
}

static void *pool_virt(void *ctx, uint64_t phys)
{
	struct pool *p = ctx;
	unsigned i = pool_index(p, phys);

	assert_true(p->used[i]); /* use after free */
	return p->mem + i * PT_PAGE_SIZE;
}

static unsigned live_tables(const struct fixture *fx)
{
	return fx->pool.allocs - fx->pool.frees;
}

/* Format for the behavioural groups; tests with a prestate use that. */
static const struct pt_format *group_format;

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->f = *state ? *state : group_format;
	fx->pool.mem = aligned_alloc(PT_PAGE_SIZE, POOL_PAGES * PT_PAGE_SIZE);
	if (!fx->pool.mem) {
		free(fx);
		return -1;
	}
	memset(fx->pool.mem, 0xdd, POOL_PAGES * PT_PAGE_SIZE);
	fx->pool.budget = -1;
	fx->ops = (struct pt_ops){
		.alloc_page = pool_alloc,
		.free_page = pool_free,
		.to_virt = pool_virt,
		.ctx = &fx->pool,
	};
	if (pt_init(&fx->pt, fx->f, &fx->ops) != 0) {
		free(fx->pool.mem);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

/* Every test ends by destroying its table: all table pages must come back. */
static int teardown(void **state)
{
	struct fixture *fx = *state;
	int ret = 0;

	fx->pool.budget = -1;
	pt_destroy(&fx->pt);
	if (fx->pt.root != 0 || fx->pool.allocs != fx->pool.frees) {
		fprintf(stderr, "pt_destroy leaked: %u allocated, %u freed\n", fx->pool.allocs,
			fx->pool.frees);
		ret = -1;
	}
	for (unsigned i = 0; i < POOL_PAGES; i++)
		if (fx->pool.used[i])
			ret = -1;
	free(fx->pool.mem);
	free(fx);
	return ret;
}

static unsigned index_at(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

/* The raw entry for va at `level` (4 = root), or 0 when the walk stops above
 * it at a non-present entry or a 2 MiB leaf. */
static uint64_t raw_entry(struct fixture *fx, uint64_t va, int level)
{
	const struct pt_format *f = fx->f;
	uint64_t table = fx->pt.root;

	for (int l = 4;; l--) {
		uint64_t e = ((uint64_t *)pool_virt(&fx->pool, table))[index_at(va, l)];

		if (l == level)
			return e;
		if (!(e & f->present) || (l == 2 && (e & f->large)))
			return 0;
		table = e & f->addr_mask;
	}
}

/* Level of the leaf mapping va: 1 (4 KiB), 2 (2 MiB) or 0 if unmapped. */
static int leaf_level(struct fixture *fx, uint64_t va)
{
	uint64_t pde = raw_entry(fx, va, 2);

	if (!(pde & fx->f->present))
		return 0;
	if (pde & fx->f->large)
		return 2;
	return (raw_entry(fx, va, 1) & fx->f->present) ? 1 : 0;
}

static void expect_mapped(struct fixture *fx, uint64_t va, uint64_t pa, unsigned rights)
{
	uint64_t got_pa = 0;
	unsigned got_rights = 0;

	assert_true(pt_lookup(&fx->pt, va, &got_pa, &got_rights));
	assert_int_equal(got_pa, pa);
	assert_int_equal(got_rights, rights);
}

static void expect_unmapped(struct fixture *fx, uint64_t va)
{
	uint64_t pa = 0x1234;
	unsigned rights = 0x99;

	assert_false(pt_lookup(&fx->pt, va, &pa, &rights));
	/* Outputs are left alone on a miss. */
	assert_int_equal(pa, 0x1234);
	assert_int_equal(rights, 0x99);
}

/* The bits a leaf carries besides its address, generically from the format. */
static uint64_t leaf_flags(const struct pt_format *f, unsigned rights, bool large)
{
	uint64_t e = f->leaf_bits;

	if (rights & PT_READ)
		e |= f->read;
	if (rights & PT_WRITE)
		e |= f->write;
	e |= (rights & PT_EXEC) ? f->exec : f->nx;
	return large ? e | f->large : e;
}

/* ---- behaviour, once per format ---- */

static void test_empty_table_maps_nothing(void **state)
{
	struct fixture *fx = *state;

	assert_int_not_equal(fx->pt.root, 0);
	assert_int_equal(live_tables(fx), 1);
	expect_unmapped(fx, 0);
	expect_unmapped(fx, 0x1000);
	expect_unmapped(fx, 0xffffffff80000000ull);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		assert_int_equal(((uint64_t *)pool_virt(&fx->pool, fx->pt.root))[i], 0);
}

static void test_map_4k_and_lookup(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 0x10000000, pa = 0x50000000;

	assert_int_equal(pt_map(&fx->pt, va, pa, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	expect_mapped(fx, va, pa, PT_READ | PT_WRITE);
	expect_mapped(fx, va + 0x123, pa + 0x123, PT_READ | PT_WRITE);
	expect_mapped(fx, va + 0xfff, pa + 0xfff, PT_READ | PT_WRITE);
	expect_unmapped(fx, va + PT_PAGE_SIZE);
	expect_unmapped(fx, va - PT_PAGE_SIZE);
	assert_int_equal(leaf_level(fx, va), 1);
	/* Root, PDPT, PD and PT. */
	assert_int_equal(live_tables(fx), 4);
}

static void test_map_several_4k_pages(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 0x200000, pa = 0x7000;

	assert_int_equal(pt_map(&fx->pt, va, pa, 5 * PT_PAGE_SIZE, PT_READ, true), 0);
	for (uint64_t i = 0; i < 5; i++)
		expect_mapped(fx, va + i * PT_PAGE_SIZE + 8, pa + i * PT_PAGE_SIZE + 8, PT_READ);
	expect_unmapped(fx, va + 5 * PT_PAGE_SIZE);
	assert_int_equal(live_tables(fx), 4);
}

static void test_table_entries_carry_table_bits(void **state)
{
	struct fixture *fx = *state;
	const struct pt_format *f = fx->f;
	uint64_t va = 0x40201000;

	assert_int_equal(pt_map(&fx->pt, va, 0x9000, PT_PAGE_SIZE, PT_READ, false), 0);
	for (int level = 4; level >= 2; level--) {
		uint64_t e = raw_entry(fx, va, level);

		assert_int_equal(e & ~f->addr_mask, f->table_bits);
		assert_int_not_equal(e & f->addr_mask, 0);
		assert_int_equal(e & f->large, 0);
	}
	assert_int_equal(raw_entry(fx, va, 1), 0x9000 | leaf_flags(f, PT_READ, false));
}

static void test_map_large_when_aligned(void **state)
{
	struct fixture *fx = *state;
	const struct pt_format *f = fx->f;
	uint64_t va = 0x40000000 + 6 * MIB, pa = 0x80000000 + 2 * MIB;
	uint64_t pde;

	assert_int_equal(pt_map(&fx->pt, va, pa, PT_LARGE_SIZE, PT_READ | PT_WRITE, true), 0);
	pde = raw_entry(fx, va, 2);
	assert_true(pde & f->large);
	assert_int_equal(pde, pa | leaf_flags(f, PT_READ | PT_WRITE, true));
	assert_int_equal(leaf_level(fx, va), 2);
	/* One level fewer: root, PDPT, PD. */
	assert_int_equal(live_tables(fx), 3);
	expect_mapped(fx, va, pa, PT_READ | PT_WRITE);
	expect_mapped(fx, va + 0x12345, pa + 0x12345, PT_READ | PT_WRITE);
	expect_mapped(fx, va + PT_LARGE_SIZE - 1, pa + PT_LARGE_SIZE - 1, PT_READ | PT_WRITE);
	expect_unmapped(fx, va + PT_LARGE_SIZE);
	expect_unmapped(fx, va - 1);
}

static void test_map_many_large_pages(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = GIB - 4 * MIB;

	/* 8 MiB crossing a 1 GiB boundary: two PDs, no PTs. */
	assert_int_equal(pt_map(&fx->pt, va, 0, 8 * MIB, PT_RWX, true), 0);
	for (uint64_t off = 0; off < 8 * MIB; off += PT_LARGE_SIZE) {
		assert_int_equal(leaf_level(fx, va + off), 2);
		expect_mapped(fx, va + off + 0x3000, off + 0x3000, PT_RWX);
	}
	assert_int_equal(live_tables(fx), 4);
}

static void test_large_not_allowed_uses_4k(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 0x600000;

	assert_int_equal(pt_map(&fx->pt, va, va, PT_LARGE_SIZE, PT_READ, false), 0);
	assert_int_equal(raw_entry(fx, va, 2) & fx->f->large, 0);
	assert_int_equal(leaf_level(fx, va), 1);
	assert_int_equal(leaf_level(fx, va + PT_LARGE_SIZE - PT_PAGE_SIZE), 1);
	assert_int_equal(live_tables(fx), 4);
	for (uint64_t off = 0; off < PT_LARGE_SIZE; off += 0x41000)
		expect_mapped(fx, va + off, va + off, PT_READ);
}

static void test_unaligned_pa_falls_back_to_4k(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 0x400000, pa = 0x1001000;

	assert_int_equal(pt_map(&fx->pt, va, pa, PT_LARGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(leaf_level(fx, va), 1);
	assert_int_equal(live_tables(fx), 4);
	expect_mapped(fx, va + PT_LARGE_SIZE - 1, pa + PT_LARGE_SIZE - 1, PT_READ | PT_WRITE);
}

static void test_unaligned_va_falls_back_to_4k(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 0x401000, pa = 0x1000000;

	assert_int_equal(pt_map(&fx->pt, va, pa, PT_LARGE_SIZE, PT_READ, true), 0);
	assert_int_equal(leaf_level(fx, va), 1);
	/* The range spans two PTs. */
	assert_int_equal(leaf_level(fx, 0x600000), 1);
	assert_int_equal(live_tables(fx), 5);
	expect_mapped(fx, 0x600000, pa + 0x1ff000, PT_READ);
	expect_unmapped(fx, va + PT_LARGE_SIZE);
}

static void test_short_size_falls_back_to_4k(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_map(&fx->pt, 0x200000, 0x200000, PT_LARGE_SIZE - PT_PAGE_SIZE, PT_READ, true), 0);
	assert_int_equal(leaf_level(fx, 0x200000), 1);
	expect_mapped(fx, 0x3fe000, 0x3fe000, PT_READ);
	expect_unmapped(fx, 0x3ff000);
}

static void test_mixed_head_large_tail(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 2 * MIB - PT_PAGE_SIZE;
	uint64_t size = PT_PAGE_SIZE + 2 * PT_LARGE_SIZE + 2 * PT_PAGE_SIZE;

	assert_int_equal(pt_map(&fx->pt, va, va, size, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(leaf_level(fx, va), 1);
	assert_int_equal(leaf_level(fx, 2 * MIB), 2);
	assert_int_equal(leaf_level(fx, 4 * MIB), 2);
	assert_int_equal(leaf_level(fx, 6 * MIB), 1);
	expect_mapped(fx, 6 * MIB + PT_PAGE_SIZE, 6 * MIB + PT_PAGE_SIZE, PT_READ | PT_WRITE);
	expect_unmapped(fx, 6 * MIB + 2 * PT_PAGE_SIZE);
	expect_unmapped(fx, va - PT_PAGE_SIZE);
}

static void test_size_not_page_multiple(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 0x10000;

	/* A partial last page is mapped whole, and mapping stops there. */
	assert_int_equal(pt_map(&fx->pt, va, 0x80000, 0x1800, PT_READ, true), 0);
	expect_mapped(fx, va + 0x17ff, 0x817ff, PT_READ);
	expect_unmapped(fx, va + 0x2000);
	assert_int_equal(live_tables(fx), 4);
}

static void test_zero_size_maps_nothing(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x1000, 0, PT_RWX, true), 0);
	expect_unmapped(fx, 0x1000);
	assert_int_equal(live_tables(fx), 1);
}

static void test_rights_round_trip(void **state)
{
	struct fixture *fx = *state;
	static const unsigned rights[] = { PT_READ, PT_READ | PT_WRITE, PT_READ | PT_EXEC, PT_RWX };

	for (unsigned i = 0; i < 4; i++) {
		uint64_t small = 0x100000 + i * PT_PAGE_SIZE;
		uint64_t large = GIB + i * PT_LARGE_SIZE;

		assert_int_equal(pt_map(&fx->pt, small, small + 0x10000000, PT_PAGE_SIZE, rights[i], true), 0);
		assert_int_equal(pt_map(&fx->pt, large, large, PT_LARGE_SIZE, rights[i], true), 0);
		expect_mapped(fx, small, small + 0x10000000, rights[i]);
		expect_mapped(fx, large + 0x5000, large + 0x5000, rights[i]);
		assert_int_equal(raw_entry(fx, small, 1) & ~fx->f->addr_mask, leaf_flags(fx->f, rights[i], false));
		assert_int_equal(raw_entry(fx, large, 2) & ~fx->f->addr_mask, leaf_flags(fx->f, rights[i], true));
	}
}

static void test_exec_encoding(void **state)
{
	struct fixture *fx = *state;
	const struct pt_format *f = fx->f;
	uint64_t rw, rx;

	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x1000, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x2000, 0x2000, PT_PAGE_SIZE, PT_READ | PT_EXEC, true), 0);
	rw = raw_entry(fx, 0x1000, 1);
	rx = raw_entry(fx, 0x2000, 1);
	if (f->nx) {
		/* x86 paging and NPT: NX denies execution. */
		assert_true(rw & f->nx);
		assert_false(rx & f->nx);
	} else {
		/* EPT: a positive execute bit grants it. */
		assert_false(rw & f->exec);
		assert_true(rx & f->exec);
	}
	assert_true(rw & f->write);
	assert_false(rx & f->write);
}

static void test_leaf_bits_on_every_leaf(void **state)
{
	struct fixture *fx = *state;
	const struct pt_format *f = fx->f;

	assert_int_equal(pt_map(&fx->pt, 0, 0, PT_LARGE_SIZE, PT_READ, true), 0);
	assert_int_equal(pt_map(&fx->pt, PT_LARGE_SIZE, 0, PT_PAGE_SIZE, PT_READ, true), 0);
	assert_int_equal(raw_entry(fx, 0, 2) & f->leaf_bits, f->leaf_bits);
	assert_int_equal(raw_entry(fx, PT_LARGE_SIZE, 1) & f->leaf_bits, f->leaf_bits);
	/* Leaves made by splitting keep them too. */
	assert_int_equal(pt_unmap(&fx->pt, 0x3000, PT_PAGE_SIZE), 0);
	assert_int_equal(raw_entry(fx, 0x4000, 1) & f->leaf_bits, f->leaf_bits);
	assert_int_equal(raw_entry(fx, 0x4000, 1) & f->large, 0);
}

static void test_remap_4k_replaces(void **state)
{
	struct fixture *fx = *state;
	unsigned tables;

	assert_int_equal(pt_map(&fx->pt, 0x5000, 0x100000, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	tables = live_tables(fx);
	assert_int_equal(pt_map(&fx->pt, 0x5000, 0x300000, PT_PAGE_SIZE, PT_READ | PT_EXEC, true), 0);
	expect_mapped(fx, 0x5010, 0x300010, PT_READ | PT_EXEC);
	assert_int_equal(live_tables(fx), tables);
}

static void test_remap_large_replaces(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_map(&fx->pt, 4 * MIB, 0, PT_LARGE_SIZE, PT_READ, true), 0);
	assert_int_equal(pt_map(&fx->pt, 4 * MIB, 8 * MIB, PT_LARGE_SIZE, PT_RWX, true), 0);
	expect_mapped(fx, 4 * MIB + 0x1234, 8 * MIB + 0x1234, PT_RWX);
	assert_int_equal(live_tables(fx), 3);
}

static void test_remap_large_over_small_frees_table(void **state)
{
	struct fixture *fx = *state;
	unsigned frees;

	assert_int_equal(pt_map(&fx->pt, 2 * MIB, 2 * MIB, PT_LARGE_SIZE, PT_READ, false), 0);
	assert_int_equal(live_tables(fx), 4);
	frees = fx->pool.frees;
	assert_int_equal(pt_map(&fx->pt, 2 * MIB, 32 * MIB, PT_LARGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(fx->pool.frees, frees + 1);
	assert_int_equal(live_tables(fx), 3);
	assert_int_equal(leaf_level(fx, 2 * MIB), 2);
	expect_mapped(fx, 3 * MIB, 33 * MIB, PT_READ | PT_WRITE);
}

static void test_remap_4k_inside_large_splits(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 8 * MIB, pa = 64 * MIB;

	assert_int_equal(pt_map(&fx->pt, va, pa, PT_LARGE_SIZE, PT_RWX, true), 0);
	assert_int_equal(pt_map(&fx->pt, va + 0x7000, 0x1000, PT_PAGE_SIZE, PT_READ, true), 0);
	assert_int_equal(leaf_level(fx, va), 1);
	assert_int_equal(live_tables(fx), 4);
	expect_mapped(fx, va + 0x7000, 0x1000, PT_READ);
	expect_mapped(fx, va + 0x6000, pa + 0x6000, PT_RWX);
	expect_mapped(fx, va + 0x8000, pa + 0x8000, PT_RWX);
	expect_mapped(fx, va, pa, PT_RWX);
	expect_mapped(fx, va + PT_LARGE_SIZE - 1, pa + PT_LARGE_SIZE - 1, PT_RWX);
}

static void test_unmap_4k(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_map(&fx->pt, 0x10000, 0x10000, 3 * PT_PAGE_SIZE, PT_READ, true), 0);
	assert_int_equal(pt_unmap(&fx->pt, 0x11000, PT_PAGE_SIZE), 0);
	expect_mapped(fx, 0x10000, 0x10000, PT_READ);
	expect_unmapped(fx, 0x11000);
	expect_mapped(fx, 0x12000, 0x12000, PT_READ);
	assert_int_equal(raw_entry(fx, 0x11000, 1), 0);
}

static void test_unmap_4k_inside_large_splits(void **state)
{
	struct fixture *fx = *state;
	const struct pt_format *f = fx->f;
	uint64_t va = 0x40000000 + 4 * MIB, pa = 0x10000000;
	unsigned rights = PT_READ | PT_WRITE;

	assert_int_equal(pt_map(&fx->pt, va, pa, PT_LARGE_SIZE, rights, true), 0);
	assert_int_equal(live_tables(fx), 3);
	assert_int_equal(pt_unmap(&fx->pt, va + 5 * PT_PAGE_SIZE, PT_PAGE_SIZE), 0);
	assert_int_equal(live_tables(fx), 4);
	assert_int_equal(raw_entry(fx, va, 2) & f->large, 0);
	assert_int_equal(raw_entry(fx, va, 2) & ~f->addr_mask, f->table_bits);
	expect_unmapped(fx, va + 5 * PT_PAGE_SIZE);
	expect_unmapped(fx, va + 5 * PT_PAGE_SIZE + 0xfff);
	/* Every neighbour keeps its address and rights. */
	for (uint64_t i = 0; i < PT_ENTRIES; i++) {
		if (i == 5)
			continue;
		expect_mapped(fx, va + i * PT_PAGE_SIZE + 0x10, pa + i * PT_PAGE_SIZE + 0x10, rights);
		assert_int_equal(raw_entry(fx, va + i * PT_PAGE_SIZE, 1),
				 (pa + i * PT_PAGE_SIZE) | leaf_flags(f, rights, false));
	}
}

static void test_unmap_whole_large(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 10 * MIB;

	assert_int_equal(pt_map(&fx->pt, va, va, 3 * PT_LARGE_SIZE, PT_RWX, true), 0);
	assert_int_equal(pt_unmap(&fx->pt, va + PT_LARGE_SIZE, PT_LARGE_SIZE), 0);
	assert_int_equal(raw_entry(fx, va + PT_LARGE_SIZE, 2), 0);
	for (uint64_t off = 0; off < PT_LARGE_SIZE; off += 0x20000)
		expect_unmapped(fx, va + PT_LARGE_SIZE + off);
	expect_mapped(fx, va + PT_LARGE_SIZE - 1, va + PT_LARGE_SIZE - 1, PT_RWX);
	expect_mapped(fx, va + 2 * PT_LARGE_SIZE, va + 2 * PT_LARGE_SIZE, PT_RWX);
	assert_int_equal(leaf_level(fx, va), 2);
	assert_int_equal(leaf_level(fx, va + 2 * PT_LARGE_SIZE), 2);
	/* Nothing was split. */
	assert_int_equal(live_tables(fx), 3);
}

static void test_unmap_whole_2m_of_small_pages_frees_table(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_map(&fx->pt, 0, 0, PT_LARGE_SIZE, PT_READ, false), 0);
	assert_int_equal(live_tables(fx), 4);
	assert_int_equal(pt_unmap(&fx->pt, 0, PT_LARGE_SIZE), 0);
	assert_int_equal(live_tables(fx), 3);
	assert_int_equal(raw_entry(fx, 0, 2), 0);
	expect_unmapped(fx, 0);
	expect_unmapped(fx, PT_LARGE_SIZE - 1);
}

static void test_unmap_whole_1g_frees_directory(void **state)
{
	struct fixture *fx = *state;
	uint64_t base = 5 * PT_HUGE_SIZE;

	assert_int_equal(pt_map(&fx->pt, base + 7 * PT_PAGE_SIZE, 0x1000, PT_PAGE_SIZE, PT_READ, false), 0);
	assert_int_equal(pt_map(&fx->pt, base + 9 * PT_LARGE_SIZE, 0x200000, PT_LARGE_SIZE, PT_READ, true), 0);
	assert_int_equal(live_tables(fx), 4); /* PML4, PDPT, PD, one PT */
	assert_int_equal(pt_unmap(&fx->pt, base, PT_HUGE_SIZE), 0);
	assert_int_equal(live_tables(fx), 2);
	expect_unmapped(fx, base + 7 * PT_PAGE_SIZE);
	expect_unmapped(fx, base + 9 * PT_LARGE_SIZE);
	/* Nothing there at all: still fine, and nothing allocated. */
	assert_int_equal(pt_unmap(&fx->pt, 9 * PT_HUGE_SIZE, 2 * PT_HUGE_SIZE), 0);
	assert_int_equal(live_tables(fx), 2);
}

static void test_unmap_straddling_two_large(void **state)
{
	struct fixture *fx = *state;
	uint64_t lo = 2 * MIB - 2 * PT_PAGE_SIZE;

	assert_int_equal(pt_map(&fx->pt, 0, 0, 4 * MIB, PT_READ, true), 0);
	assert_int_equal(pt_unmap(&fx->pt, lo, 4 * PT_PAGE_SIZE), 0);
	assert_int_equal(leaf_level(fx, 0), 1);
	assert_int_equal(leaf_level(fx, 2 * MIB + 2 * PT_PAGE_SIZE), 1);
	assert_int_equal(live_tables(fx), 5);
	expect_mapped(fx, lo - 1, lo - 1, PT_READ);
	for (uint64_t i = 0; i < 4; i++)
		expect_unmapped(fx, lo + i * PT_PAGE_SIZE);
	expect_mapped(fx, lo + 4 * PT_PAGE_SIZE, lo + 4 * PT_PAGE_SIZE, PT_READ);
	expect_mapped(fx, 4 * MIB - 1, 4 * MIB - 1, PT_READ);
}

static void test_unmap_large_range_mixed(void **state)
{
	struct fixture *fx = *state;

	/* 4 KiB head, two large pages, 4 KiB tail; unmapping all of it clears
	 * the large leaves without splitting them. */
	assert_int_equal(pt_map(&fx->pt, 2 * MIB - PT_PAGE_SIZE, 2 * MIB - PT_PAGE_SIZE,
				4 * MIB + 2 * PT_PAGE_SIZE, PT_READ, true),
			 0);
	assert_int_equal(leaf_level(fx, 2 * MIB), 2);
	assert_int_equal(live_tables(fx), 5);
	assert_int_equal(pt_unmap(&fx->pt, 2 * MIB - PT_PAGE_SIZE, 4 * MIB + 2 * PT_PAGE_SIZE), 0);
	expect_unmapped(fx, 2 * MIB - PT_PAGE_SIZE);
	expect_unmapped(fx, 3 * MIB);
	expect_unmapped(fx, 5 * MIB);
	expect_unmapped(fx, 6 * MIB);
	assert_int_equal(raw_entry(fx, 2 * MIB, 2), 0);
	assert_int_equal(raw_entry(fx, 4 * MIB, 2), 0);
	assert_int_equal(live_tables(fx), 5);
}

static void test_unmap_unmapped_is_harmless(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_unmap(&fx->pt, 0, 4 * MIB), 0);
	assert_int_equal(pt_unmap(&fx->pt, 0x7000, PT_PAGE_SIZE), 0);
	assert_int_equal(live_tables(fx), 1);
	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x1000, PT_PAGE_SIZE, PT_READ, true), 0);
	/* Same PT, another slot; same PD, another PT; another PML4 slot. */
	assert_int_equal(pt_unmap(&fx->pt, 0x2000, PT_PAGE_SIZE), 0);
	assert_int_equal(pt_unmap(&fx->pt, 0x400000, PT_PAGE_SIZE), 0);
	assert_int_equal(pt_unmap(&fx->pt, 1ull << 39, PT_LARGE_SIZE), 0);
	assert_int_equal(live_tables(fx), 4);
	expect_mapped(fx, 0x1000, 0x1000, PT_READ);
}

static void test_lookup_unmapped(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_map(&fx->pt, 0x3000, 0x3000, PT_PAGE_SIZE, PT_READ, true), 0);
	expect_unmapped(fx, 0x2000);                 /* same PT */
	expect_unmapped(fx, 0x203000);               /* same PD, no PT */
	expect_unmapped(fx, GIB + 0x3000);           /* same PDPT, no PD */
	expect_unmapped(fx, (1ull << 39) + 0x3000);  /* no PDPT */
	expect_unmapped(fx, 0xffff800000003000ull);  /* upper half */
}

static void test_boundaries_and_upper_half(void **state)
{
	struct fixture *fx = *state;
	uint64_t kva = 0xffffffff80000000ull;
	uint64_t top_pa = 0x000ffffffffff000ull;
	uint64_t pml4_edge = (1ull << 39) - PT_PAGE_SIZE;

	/* Two pages either side of a 512 GiB boundary. */
	assert_int_equal(pt_map(&fx->pt, pml4_edge, 0x5000, 2 * PT_PAGE_SIZE, PT_READ, true), 0);
	expect_mapped(fx, pml4_edge, 0x5000, PT_READ);
	expect_mapped(fx, 1ull << 39, 0x6000, PT_READ);
	assert_int_equal(pt_map(&fx->pt, 0x7000, top_pa, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	expect_mapped(fx, 0x7abc, top_pa + 0xabc, PT_READ | PT_WRITE);
	if (fx->f->guest_physical) /* no upper half in a guest-physical space */
		return;
	assert_int_equal(pt_map(&fx->pt, kva, 0x200000, PT_LARGE_SIZE, PT_READ | PT_EXEC, true), 0);
	expect_mapped(fx, kva + 0x1234, 0x201234, PT_READ | PT_EXEC);
	expect_unmapped(fx, kva + PT_LARGE_SIZE);
}

/* A GPA at or above 2^48 is refused, never taken for the low one with the
 * same index bits. */
static void test_gpa_beyond_reach_refused(void **state)
{
	struct fixture *fx = *state;
	uint64_t pa;
	unsigned rights;

	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x5000, PT_PAGE_SIZE, PT_READ, false), 0);
	assert_false(pt_lookup(&fx->pt, PT_GPA_LIMIT | 0x1000, &pa, &rights));
	assert_false(pt_lookup(&fx->pt, ~0ull & ~0xfffull, &pa, &rights));
	assert_int_equal(pt_map(&fx->pt, PT_GPA_LIMIT, 0x6000, PT_PAGE_SIZE, PT_READ, false), -1);
	assert_int_equal(pt_map(&fx->pt, PT_GPA_LIMIT - PT_PAGE_SIZE, 0x6000, 2 * PT_PAGE_SIZE, PT_READ, false), -1);
	expect_unmapped(fx, PT_GPA_LIMIT - PT_PAGE_SIZE); /* nothing of a refused range */
	assert_int_equal(pt_unmap(&fx->pt, PT_GPA_LIMIT | 0x1000, PT_PAGE_SIZE), -1);
	expect_mapped(fx, 0x1000, 0x5000, PT_READ); /* the alias survived */
	assert_int_equal(pt_map(&fx->pt, PT_GPA_LIMIT - PT_PAGE_SIZE, 0x6000, PT_PAGE_SIZE, PT_READ, false), 0);
	expect_mapped(fx, PT_GPA_LIMIT - PT_PAGE_SIZE, 0x6000, PT_READ);
}

/* Linear formats: non-canonical addresses and ranges across the hole. */
static void test_noncanonical_refused(void **state)
{
	struct fixture *fx = *state;
	uint64_t pa;
	unsigned rights;

	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x5000, PT_PAGE_SIZE, PT_READ, false), 0);
	assert_false(pt_lookup(&fx->pt, 0x0000800000001000ull, &pa, &rights));
	assert_int_equal(pt_map(&fx->pt, 0x0000800000000000ull, 0x6000, PT_PAGE_SIZE, PT_READ, false), -1);
	assert_int_equal(pt_map(&fx->pt, 0x00007ffffffff000ull, 0x6000, 2 * PT_PAGE_SIZE, PT_READ, false), -1);
	assert_int_equal(pt_unmap(&fx->pt, 0x0000800000001000ull, PT_PAGE_SIZE), -1);
	expect_mapped(fx, 0x1000, 0x5000, PT_READ);
}

static void test_destroy_frees_every_table(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_map(&fx->pt, 0, 0, 4 * MIB, PT_RWX, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x9000, PT_PAGE_SIZE, PT_READ, true), 0);
	assert_int_equal(pt_map(&fx->pt, GIB, 0, 12 * PT_PAGE_SIZE, PT_READ, true), 0);
	assert_int_equal(pt_map(&fx->pt, 5ull << 39, 0, PT_LARGE_SIZE, PT_READ, true), 0);
	/* The top of the space: the upper half for linear formats. */
	assert_int_equal(pt_map(&fx->pt, fx->f->guest_physical ? (0x1ffull << 39) : 0xffffffff80000000ull, 0,
				3 * PT_LARGE_SIZE, PT_READ, false),
			 0);
	assert_int_equal(pt_unmap(&fx->pt, 2 * MIB + 0x5000, PT_PAGE_SIZE), 0);
	assert_true(live_tables(fx) > 8);
	pt_destroy(&fx->pt);
	assert_int_equal(fx->pt.root, 0);
	assert_int_equal(fx->pool.allocs, fx->pool.frees);
	/* A second destroy is harmless. */
	pt_destroy(&fx->pt);
	assert_int_equal(fx->pool.allocs, fx->pool.frees);
}

static void test_init_out_of_memory(void **state)
{
	struct fixture *fx = *state;
	struct page_table pt;

	fx->pool.budget = 0;
	assert_int_equal(pt_init(&pt, fx->f, &fx->ops), -1);
	assert_int_equal(pt.root, 0);
}

static void test_map_out_of_memory(void **state)
{
	struct fixture *fx = *state;

	fx->pool.budget = 2; /* a 4 KiB page needs three more tables */
	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x1000, PT_PAGE_SIZE, PT_READ, true), -1);
	expect_unmapped(fx, 0x1000);
	/* What was built stays, so one more table is enough now. */
	fx->pool.budget = 1;
	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x1000, PT_PAGE_SIZE, PT_READ, true), 0);
	expect_mapped(fx, 0x1000, 0x1000, PT_READ);
}

static void test_map_out_of_memory_midway(void **state)
{
	struct fixture *fx = *state;

	/* Enough for the first PT but not the second: the first part stays. */
	fx->pool.budget = 3;
	assert_int_equal(pt_map(&fx->pt, PT_LARGE_SIZE - PT_PAGE_SIZE, 0, 2 * PT_PAGE_SIZE, PT_READ, false), -1);
	expect_mapped(fx, PT_LARGE_SIZE - PT_PAGE_SIZE, 0, PT_READ);
	expect_unmapped(fx, PT_LARGE_SIZE);
}

static void test_split_out_of_memory_keeps_large(void **state)
{
	struct fixture *fx = *state;
	uint64_t va = 6 * MIB;

	assert_int_equal(pt_map(&fx->pt, va, va, PT_LARGE_SIZE, PT_RWX, true), 0);
	fx->pool.budget = 0;
	assert_int_equal(pt_map(&fx->pt, va + 0x3000, 0, PT_PAGE_SIZE, PT_READ, true), -1);
	assert_int_equal(pt_unmap(&fx->pt, va + 0x3000, PT_PAGE_SIZE), -1);
	assert_int_equal(leaf_level(fx, va), 2);
	expect_mapped(fx, va + 0x3000, va + 0x3000, PT_RWX);
	/* Whole large pages need no memory to unmap. */
	assert_int_equal(pt_unmap(&fx->pt, va, PT_LARGE_SIZE), 0);
	expect_unmapped(fx, va);
}

/* ---- exact encodings per format ---- */

static void test_x86_encoding(void **state)
{
	struct fixture *fx = *state;
	uint64_t pml4e;

	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x50000000, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x2000, 0x50001000, PT_PAGE_SIZE, PT_READ | PT_EXEC, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x200000, 0x40000000, PT_LARGE_SIZE, PT_RWX, true), 0);
	assert_int_equal(raw_entry(fx, 0x1000, 1), 0x8000000050000003ull);
	assert_int_equal(raw_entry(fx, 0x2000, 1), 0x0000000050001001ull);
	assert_int_equal(raw_entry(fx, 0x200000, 2), 0x0000000040000083ull);
	pml4e = raw_entry(fx, 0, 4);
	assert_int_equal(pml4e & 0xfff0000000000fffull, 0x3); /* P | RW, supervisor */
}

static void test_npt_encoding(void **state)
{
	struct fixture *fx = *state;
	uint64_t pml4e;

	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x50000000, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x2000, 0x50001000, PT_PAGE_SIZE, PT_READ | PT_EXEC, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x200000, 0x40000000, PT_LARGE_SIZE, PT_RWX, true), 0);
	/* Leaves are user pages: U/S (bit 2) always set. */
	assert_int_equal(raw_entry(fx, 0x1000, 1), 0x8000000050000007ull);
	assert_int_equal(raw_entry(fx, 0x2000, 1), 0x0000000050001005ull);
	assert_int_equal(raw_entry(fx, 0x200000, 2), 0x0000000040000087ull);
	pml4e = raw_entry(fx, 0, 4);
	assert_int_equal(pml4e & 0xfff0000000000fffull, 0x7);
	assert_int_equal(raw_entry(fx, 0, 3) & 0xfff0000000000fffull, 0x7);
	/* Split leaves keep U/S and NX. */
	assert_int_equal(pt_unmap(&fx->pt, 0x200000, PT_PAGE_SIZE), 0);
	assert_int_equal(raw_entry(fx, 0x201000, 1), 0x0000000040001007ull);
	assert_int_equal(pt_map(&fx->pt, 0x400000, 0x600000, PT_LARGE_SIZE, PT_READ, true), 0);
	assert_int_equal(pt_unmap(&fx->pt, 0x400000, PT_PAGE_SIZE), 0);
	assert_int_equal(raw_entry(fx, 0x401000, 1), 0x8000000000601005ull);
}

static void test_ept_encoding(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x50000000, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x2000, 0x50001000, PT_PAGE_SIZE, PT_READ | PT_EXEC, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x200000, 0x40000000, PT_LARGE_SIZE, PT_RWX, true), 0);
	/* WB memory type (6 << 3) on every leaf, no bit 63. */
	assert_int_equal(raw_entry(fx, 0x1000, 1), 0x0000000050000033ull);
	assert_int_equal(raw_entry(fx, 0x2000, 1), 0x0000000050001035ull);
	assert_int_equal(raw_entry(fx, 0x200000, 2), 0x00000000400000b7ull);
	/* Non-leaf entries: R/W/X, no memory type. */
	assert_int_equal(raw_entry(fx, 0, 4) & 0xfff0000000000fffull, 0x7);
	assert_int_equal(raw_entry(fx, 0, 2) & 0xfff0000000000fffull, 0x7);
	assert_int_equal(pt_unmap(&fx->pt, 0x3ff000, PT_PAGE_SIZE), 0);
	assert_int_equal(raw_entry(fx, 0x3fe000, 1), 0x00000000401fe037ull);
}

static void test_ept_uncached(void **state)
{
	struct fixture *fx = *state;

	/* PT_UNCACHED: memory type UC (0) instead of WB (6), kept by a split. */
	assert_int_equal(pt_map(&fx->pt, 0x1000, 0xfee00000, PT_PAGE_SIZE, PT_READ | PT_WRITE | PT_UNCACHED, true), 0);
	assert_int_equal(raw_entry(fx, 0x1000, 1), 0x00000000fee00003ull);
	assert_int_equal(pt_map(&fx->pt, 0x400000, 0xc0000000, PT_LARGE_SIZE, PT_RWX | PT_UNCACHED, true), 0);
	assert_int_equal(raw_entry(fx, 0x400000, 2), 0x00000000c0000087ull);
	assert_int_equal(pt_unmap(&fx->pt, 0x400000, PT_PAGE_SIZE), 0);
	assert_int_equal(raw_entry(fx, 0x401000, 1), 0x00000000c0001007ull);
	/* A later write-back mapping of the same range replaces the type. */
	assert_int_equal(pt_map(&fx->pt, 0x1000, 0xfee00000, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(raw_entry(fx, 0x1000, 1), 0x00000000fee00033ull);
}

static void test_uncached_is_ignored_without_memory_types(void **state)
{
	struct fixture *fx = *state;

	/* NPT/x86 leave caching to the MTRRs: the entry is unchanged. */
	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x5000, PT_PAGE_SIZE, PT_READ | PT_WRITE | PT_UNCACHED, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x2000, 0x5000, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(raw_entry(fx, 0x1000, 1), raw_entry(fx, 0x2000, 1));
}

struct leaf_log {
	unsigned n;
	uint64_t va[8], pa[8], size[8];
	unsigned rights[8];
};

static int log_leaf(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned rights)
{
	struct leaf_log *l = ctx;

	if (l->n == 8)
		return 1;
	l->va[l->n] = va;
	l->pa[l->n] = pa;
	l->size[l->n] = size;
	l->rights[l->n++] = rights;
	return 0;
}

static void test_for_each_leaf(void **state)
{
	struct fixture *fx = *state;
	struct leaf_log log = { 0 };

	assert_int_equal(pt_map(&fx->pt, 0x200000, 0x80000000, PT_LARGE_SIZE, PT_RWX, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x5000, PT_PAGE_SIZE, PT_READ, true), 0);
	assert_int_equal(pt_map(&fx->pt, 0x7f0000000000ull, 0x6000, PT_PAGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(pt_for_each_leaf(&fx->pt, log_leaf, &log), 0);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.va[0], 0x1000);
	assert_int_equal(log.pa[0], 0x5000);
	assert_int_equal(log.size[0], PT_PAGE_SIZE);
	assert_int_equal(log.rights[0] & PT_RWX, PT_READ);
	assert_int_equal(log.va[1], 0x200000);
	assert_int_equal(log.pa[1], 0x80000000);
	assert_int_equal(log.size[1], PT_LARGE_SIZE);
	assert_int_equal(log.va[2], 0x7f0000000000ull);
	assert_int_equal(log.pa[2], 0x6000);
}

static void test_collapse_after_split(void **state)
{
	struct fixture *fx = *state;
	uint64_t large;
	unsigned tables;

	assert_int_equal(pt_map(&fx->pt, 0x400000, 0x400000, PT_LARGE_SIZE, PT_READ | PT_WRITE, true), 0);
	large = raw_entry(fx, 0x400000, 2);
	tables = fx->pool.allocs - fx->pool.frees;
	/* Give one page away and take it back: the block splits, then merges. */
	assert_int_equal(pt_unmap(&fx->pt, 0x401000, PT_PAGE_SIZE), 0);
	assert_false(pt_collapse(&fx->pt, 0x400000));
	assert_int_equal(pt_map(&fx->pt, 0x401000, 0x9000, PT_PAGE_SIZE, PT_READ | PT_WRITE, false), 0);
	assert_false(pt_collapse(&fx->pt, 0x400000)); /* not contiguous */
	assert_int_equal(pt_map(&fx->pt, 0x401000, 0x401000, PT_PAGE_SIZE, PT_READ, false), 0);
	assert_false(pt_collapse(&fx->pt, 0x400000)); /* other rights */
	assert_int_equal(pt_map(&fx->pt, 0x401000, 0x401000, PT_PAGE_SIZE, PT_READ | PT_WRITE, false), 0);
	assert_true(pt_collapse(&fx->pt, 0x400000));
	assert_int_equal(raw_entry(fx, 0x400000, 2), large);
	assert_int_equal(fx->pool.allocs - fx->pool.frees, tables);
	assert_false(pt_collapse(&fx->pt, 0x400000)); /* already large */
	assert_false(pt_collapse(&fx->pt, 0x40000000)); /* nothing there */
}

/* Set bits in the level-1 entry for va, as the CPU sets accessed/dirty. */
static void touch_entry(struct fixture *fx, uint64_t va, uint64_t bits)
{
	const struct pt_format *f = fx->f;
	uint64_t table = fx->pt.root;

	for (int l = 4; l > 1; l--)
		table = ((uint64_t *)pool_virt(&fx->pool, table))[index_at(va, l)] & f->addr_mask;
	((uint64_t *)pool_virt(&fx->pool, table))[index_at(va, 1)] |= bits;
}

static void test_collapse_ignores_accessed_dirty(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pt_map(&fx->pt, 0x400000, 0x400000, PT_LARGE_SIZE, PT_READ | PT_WRITE, true), 0);
	assert_int_equal(pt_unmap(&fx->pt, 0x402000, PT_PAGE_SIZE), 0);
	touch_entry(fx, 0x400000, fx->f->hw_bits);
	touch_entry(fx, 0x5ff000, fx->f->hw_bits);
	assert_int_equal(pt_map(&fx->pt, 0x402000, 0x402000, PT_PAGE_SIZE, PT_READ | PT_WRITE, false), 0);
	assert_true(pt_collapse(&fx->pt, 0x400000));
	expect_mapped(fx, 0x5ff000, 0x5ff000, PT_READ | PT_WRITE);
}

static void test_ept_execute_only(void **state)
{
	struct fixture *fx = *state;

	/* EPT can express execute-only; x86 paging cannot. */
	assert_int_equal(pt_map(&fx->pt, 0x1000, 0x8000, PT_PAGE_SIZE, PT_EXEC, true), 0);
	assert_int_equal(raw_entry(fx, 0x1000, 1), 0x0000000000008034ull);
	expect_mapped(fx, 0x1000, 0x8000, PT_EXEC);
	assert_int_equal(pt_map(&fx->pt, 0x200000, 0x200000, PT_LARGE_SIZE, PT_EXEC, true), 0);
	assert_int_equal(pt_unmap(&fx->pt, 0x200000, PT_PAGE_SIZE), 0);
	expect_mapped(fx, 0x201000, 0x201000, PT_EXEC);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TF(fn, fmt) cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)(fmt))

static const struct CMUnitTest behaviour[] = {
	T(test_empty_table_maps_nothing),
	T(test_map_4k_and_lookup),
	T(test_map_several_4k_pages),
	T(test_table_entries_carry_table_bits),
	T(test_map_large_when_aligned),
	T(test_map_many_large_pages),
	T(test_large_not_allowed_uses_4k),
	T(test_unaligned_pa_falls_back_to_4k),
	T(test_unaligned_va_falls_back_to_4k),
	T(test_short_size_falls_back_to_4k),
	T(test_mixed_head_large_tail),
	T(test_size_not_page_multiple),
	T(test_zero_size_maps_nothing),
	T(test_rights_round_trip),
	T(test_exec_encoding),
	T(test_leaf_bits_on_every_leaf),
	T(test_remap_4k_replaces),
	T(test_remap_large_replaces),
	T(test_remap_large_over_small_frees_table),
	T(test_remap_4k_inside_large_splits),
	T(test_unmap_4k),
	T(test_unmap_4k_inside_large_splits),
	T(test_unmap_whole_large),
	T(test_unmap_whole_2m_of_small_pages_frees_table),
	T(test_unmap_whole_1g_frees_directory),
	T(test_unmap_straddling_two_large),
	T(test_unmap_large_range_mixed),
	T(test_unmap_unmapped_is_harmless),
	T(test_lookup_unmapped),
	T(test_boundaries_and_upper_half),
	T(test_destroy_frees_every_table),
	T(test_init_out_of_memory),
	T(test_map_out_of_memory),
	T(test_map_out_of_memory_midway),
	T(test_split_out_of_memory_keeps_large),
};

static int use_x86(void **state) { (void)state; group_format = &pt_format_x86_host; return 0; }
static int use_npt(void **state) { (void)state; group_format = &npt_format; return 0; }
static int use_ept(void **state) { (void)state; group_format = &ept_format; return 0; }

int main(void)
{
	const struct CMUnitTest encodings[] = {
		TF(test_x86_encoding, &pt_format_x86_host),
		TF(test_npt_encoding, &npt_format),
		TF(test_ept_encoding, &ept_format),
		TF(test_ept_execute_only, &ept_format),
		TF(test_ept_uncached, &ept_format),
		TF(test_for_each_leaf, &pt_format_x86_host),
		TF(test_for_each_leaf, &ept_format),
		TF(test_collapse_after_split, &npt_format),
		TF(test_collapse_after_split, &ept_format),
		TF(test_collapse_ignores_accessed_dirty, &npt_format),
		TF(test_uncached_is_ignored_without_memory_types, &npt_format),
		TF(test_uncached_is_ignored_without_memory_types, &pt_format_x86_host),
		TF(test_gpa_beyond_reach_refused, &npt_format),
		TF(test_gpa_beyond_reach_refused, &ept_format),
		TF(test_noncanonical_refused, &pt_format_x86_host),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("x86-64", behaviour, use_x86, NULL);
	failed += cmocka_run_group_tests_name("npt", behaviour, use_npt, NULL);
	failed += cmocka_run_group_tests_name("ept", behaviour, use_ept, NULL);
	failed += cmocka_run_group_tests_name("encodings", encodings, NULL, NULL);
	return failed;
}
