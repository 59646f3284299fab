/* Host unit test for the parent's free page ranges (parent/pages.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "parent/pages.h"

#define KB (1ull << 10)
#define MB (1ull << 20)
#define GB (1ull << 30)
#define PG PAGES_SIZE

static struct pages pool;

/* The ranges are sorted, never adjacent or empty, and add up. */
static void check_invariants(const struct pages *p)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < p->count; i++) {
		assert_true(p->free[i].pages > 0);
		assert_int_equal(p->free[i].base % PG, 0);
		if (i > 0)
			assert_true(p->free[i - 1].base + p->free[i - 1].pages * PG < p->free[i].base);
		sum += p->free[i].pages;
	}
	assert_int_equal(sum, p->free_pages);
}

/* A server-like map: low RAM with a hole, then RAM above 4 GiB. */
static void server_map(struct pages *p)
{
	pages_init(p);
	assert_int_equal(pages_add(p, 0, 640 * KB), 0);
	assert_int_equal(pages_add(p, MB, 2 * GB - MB), 0);
	assert_int_equal(pages_add(p, 4 * GB, 6 * GB), 0);
	check_invariants(p);
}

static void test_add_trims_and_skips_page_zero(void **state)
{
	(void)state;
	pages_init(&pool);
	assert_int_equal(pages_add(&pool, 0x10, 3 * PG), 0);
	assert_int_equal(pool.count, 1);
	assert_int_equal(pool.free[0].base, PG);
	assert_int_equal(pool.free[0].pages, 2); /* [0x1000, 0x3000): rounded inward */
	assert_int_equal(pages_add(&pool, 5 * PG + 1, PG), 0); /* less than a page: nothing */
	assert_int_equal(pool.count, 1);
	assert_int_equal(pages_add(&pool, 0, 2 * PG), -1); /* overlaps */
	check_invariants(&pool);
}

static void test_alloc_prefers_high_and_honours_limit(void **state)
{
	uint64_t a, b;

	(void)state;
	server_map(&pool);
	a = pages_alloc(&pool, 1, ~0ull);
	assert_int_equal(a, 10 * GB - PG);
	b = pages_alloc(&pool, 16, 4 * GB);
	assert_int_equal(b, 2 * GB - 16 * PG);
	assert_int_equal(pages_alloc(&pool, 1, 0), 0);
	assert_int_equal(pages_alloc(&pool, 0, ~0ull), 0);
	/* Nothing of 3 GiB below 4 GiB. */
	assert_int_equal(pages_alloc(&pool, 3 * GB / PG, 4 * GB), 0);
	check_invariants(&pool);
	assert_int_equal(pages_free(&pool, a, 1), 0);
	assert_int_equal(pages_free(&pool, b, 16), 0);
	assert_int_equal(pool.count, 3);
	check_invariants(&pool);
}

static void test_free_merges_and_refuses_double_free(void **state)
{
	uint64_t a;

	(void)state;
	server_map(&pool);
	a = pages_alloc(&pool, 3 * GB / PG, ~0ull);
	assert_int_equal(a, 7 * GB);
	assert_int_equal(pages_free(&pool, a + PG, 1), 0); /* a hole in the middle */
	assert_int_equal(pool.count, 4);
	assert_int_equal(pages_free(&pool, a + PG, 1), -1);
	assert_int_equal(pages_free(&pool, a, 3), -1); /* overlaps the freed page */
	assert_int_equal(pages_free(&pool, a, 1), 0);
	assert_int_equal(pages_free(&pool, a + 2 * PG, 3 * GB / PG - 2), 0);
	assert_int_equal(pool.count, 3);
	assert_int_equal(pool.free_pages, pool.total_pages);
	check_invariants(&pool);
}

static void test_split_needs_a_slot(void **state)
{
	(void)state;
	pages_init(&pool);
	/* Fill the table with one-page ranges two pages apart. */
	for (unsigned i = 0; i < PAGES_RANGES_MAX - 1; i++)
		assert_int_equal(pages_add(&pool, (2 * i + 1) * PG, PG), 0);
	assert_int_equal(pages_add(&pool, GB, 4 * PG), 0);
	assert_int_equal(pool.count, PAGES_RANGES_MAX);
	assert_int_equal(pages_add(&pool, 2 * GB, PG), -1);
	/* Freeing one page in the middle of a big allocation would split. */
	assert_int_equal(pages_alloc(&pool, 4, ~0ull), GB);
	assert_int_equal(pages_free(&pool, GB + PG, 1), 0);
	assert_int_equal(pages_free(&pool, GB + 3 * PG, 1), -1); /* needs a 257th range */
	assert_int_equal(pages_free(&pool, GB, 1), 0);           /* joins */
	check_invariants(&pool);
}

static void test_alloc_ranges_all_or_nothing(void **state)
{
	struct page_range out[8];
	unsigned n;
	uint64_t before;

	(void)state;
	server_map(&pool);
	before = pool.free_pages;
	/* 7 GiB: the 6 GiB above 4 GiB, then 1 GiB of the low range. */
	assert_int_equal(pages_alloc_ranges(&pool, 7 * GB / PG, out, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].base, 4 * GB);
	assert_int_equal(out[0].pages, 6 * GB / PG);
	assert_int_equal(out[1].base, GB);
	assert_int_equal(out[1].pages, GB / PG);
	assert_int_equal(pool.free_pages, before - 7 * GB / PG);
	check_invariants(&pool);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pages_free(&pool, out[i].base, out[i].pages), 0);
	assert_int_equal(pool.free_pages, before);
	assert_int_equal(pool.count, 3);
	/* More than there is, or more ranges than allowed: nothing taken. */
	assert_int_equal(pages_alloc_ranges(&pool, before + 1, out, 8, &n), -1);
	assert_int_equal(pages_alloc_ranges(&pool, 7 * GB / PG, out, 1, &n), -1);
	assert_int_equal(n, 0);
	assert_int_equal(pool.free_pages, before);
	assert_int_equal(pool.count, 3);
	check_invariants(&pool);
}

/* Random allocations and frees keep the invariants and give everything back. */
static void test_random_churn(void **state)
{
	struct { uint64_t base, pages; } held[64] = { 0 };
	uint32_t seed = 12345;

	(void)state;
	server_map(&pool);
	for (int round = 0; round < 20000; round++) {
		unsigned k = (seed = seed * 1103515245 + 12345) >> 16 & 63;

		if (held[k].pages) {
			assert_int_equal(pages_free(&pool, held[k].base, held[k].pages), 0);
			held[k].pages = 0;
		} else {
			uint64_t n = 1 + ((seed = seed * 1103515245 + 12345) >> 8) % 4096;
			uint64_t limit = (seed & 1) ? 4 * GB : ~0ull;

			held[k].base = pages_alloc(&pool, n, limit);
			if (held[k].base) {
				held[k].pages = n;
				assert_true(held[k].base + n * PG <= limit);
			}
		}
		check_invariants(&pool);
	}
	for (unsigned k = 0; k < 64; k++)
		if (held[k].pages)
			assert_int_equal(pages_free(&pool, held[k].base, held[k].pages), 0);
	assert_int_equal(pool.free_pages, pool.total_pages);
	assert_int_equal(pool.count, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_trims_and_skips_page_zero),
		cmocka_unit_test(test_alloc_prefers_high_and_honours_limit),
		cmocka_unit_test(test_free_merges_and_refuses_double_free),
		cmocka_unit_test(test_split_needs_a_slot),
		cmocka_unit_test(test_alloc_ranges_all_or_nothing),
		cmocka_unit_test(test_random_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
