/* The parent's free page ranges; contract in pages.h. */
#include "parent/pages.h"

#include <stdbool.h>
#include <string.h>

static uint64_t range_end(const struct page_range *r)
{
	return r->base + r->pages * PAGES_SIZE;
}

static void remove_at(struct pages *p, unsigned i)
{
	memmove(&p->free[i], &p->free[i + 1], (p->count - i - 1) * sizeof(p->free[0]));
	p->count--;
}

void pages_init(struct pages *p)
{
	memset(p, 0, sizeof(*p));
}

int pages_free(struct pages *p, uint64_t base, uint64_t n)
{
	uint64_t end = base + n * PAGES_SIZE;
	unsigned i = 0;
	bool joins_prev, joins_next;

	if (n == 0)
		return 0;
	if ((base & (PAGES_SIZE - 1)) || end < base)
		return -1;
	while (i < p->count && p->free[i].base < base)
		i++;
	/* free[i - 1] starts below base, free[i] at or above it. */
	if ((i > 0 && range_end(&p->free[i - 1]) > base) || (i < p->count && p->free[i].base < end))
		return -1;
	joins_prev = i > 0 && range_end(&p->free[i - 1]) == base;
	joins_next = i < p->count && p->free[i].base == end;
	if (joins_prev && joins_next) {
		p->free[i - 1].pages += n + p->free[i].pages;
		remove_at(p, i);
	} else if (joins_prev) {
		p->free[i - 1].pages += n;
	} else if (joins_next) {
		p->free[i].base = base;
		p->free[i].pages += n;
	} else {
		if (p->count == PAGES_RANGES_MAX)
			return -1;
		memmove(&p->free[i + 1], &p->free[i], (p->count - i) * sizeof(p->free[0]));
		p->free[i] = (struct page_range){ base, n };
		p->count++;
	}
	p->free_pages += n;
	return 0;
}

int pages_add(struct pages *p, uint64_t base, uint64_t bytes)
{
	uint64_t start = (base + PAGES_SIZE - 1) & ~(PAGES_SIZE - 1);
	uint64_t end = (base + bytes) & ~(PAGES_SIZE - 1);

	if (start == 0)
		start = PAGES_SIZE; /* 0 means "no memory" to pages_alloc */
	if (base + bytes < base || end <= start)
		return 0;
	if (pages_free(p, start, (end - start) / PAGES_SIZE))
		return -1;
	p->total_pages += (end - start) / PAGES_SIZE;
	return 0;
}

/* Take [base, base + n pages), which lies inside free[i]. */
static int carve(struct pages *p, unsigned i, uint64_t base, uint64_t n)
{
	struct page_range *r = &p->free[i];
	uint64_t end = base + n * PAGES_SIZE;

	if (base == r->base && end == range_end(r)) {
		remove_at(p, i);
	} else if (end == range_end(r)) {
		r->pages -= n;
	} else if (base == r->base) {
		r->base = end;
		r->pages -= n;
	} else {
		if (p->count == PAGES_RANGES_MAX)
			return -1;
		memmove(&p->free[i + 1], &p->free[i], (p->count - i) * sizeof(p->free[0]));
		p->free[i + 1] = (struct page_range){ end, (range_end(r) - end) / PAGES_SIZE };
		r->pages = (base - r->base) / PAGES_SIZE;
		p->count++;
	}
	p->free_pages -= n;
	return 0;
}

uint64_t pages_alloc(struct pages *p, uint64_t n, uint64_t limit)
{
	limit &= ~(PAGES_SIZE - 1);
	if (n == 0 || n > p->free_pages)
		return 0;
	for (unsigned i = p->count; i-- > 0;) {
		const struct page_range *r = &p->free[i];
		uint64_t end = range_end(r) < limit ? range_end(r) : limit;

		if (end > r->base && (end - r->base) / PAGES_SIZE >= n) {
			uint64_t base = end - n * PAGES_SIZE;

			return carve(p, i, base, n) ? 0 : base;
		}
	}
	return 0;
}

int pages_alloc_ranges(struct pages *p, uint64_t n, struct page_range *out, unsigned max, unsigned *count)
{
	uint64_t left = n;

	*count = 0;
	if (n > p->free_pages)
		return -1;
	while (left && *count < max) {
		unsigned best = 0;
		uint64_t take;

		for (unsigned i = 1; i < p->count; i++)
			if (p->free[i].pages > p->free[best].pages)
				best = i;
		take = p->free[best].pages < left ? p->free[best].pages : left;
		/* From the top of the range: never a split, so never a failure. */
		out[*count] = (struct page_range){ range_end(&p->free[best]) - take * PAGES_SIZE, take };
		carve(p, best, out[*count].base, take);
		(*count)++;
		left -= take;
	}
	if (!left)
		return 0;
	while (*count)
		pages_free(p, out[*count - 1].base, out[*count - 1].pages), (*count)--;
	return -1;
}
