/*
 * The parent's free RAM as a set of page ranges ("extents"): what the UEFI
 * map calls conventional memory, with its holes, below and above 4 GiB.
 * The parent's own page tables, its heap and every child's RAM and
 * second-level deposit are carved out of it; what a deleted VM gives back
 * returns here, merged with its neighbours.
 *
 * Pure C over a caller-provided table (no allocation): the parent keeps one
 * `struct pages`, the host unit tests their own.  Not locked: the parent
 * runs on one CPU and only its CLI allocates.
 */
#ifndef KEEL_PARENT_PAGES_H
#define KEEL_PARENT_PAGES_H

#include <stddef.h>
#include <stdint.h>

#define PAGES_SIZE        4096ull
#define PAGES_RANGES_MAX  256   /* free ranges kept; more fragmentation is refused */

struct page_range {
	uint64_t base;  /* bytes, page-aligned */
	uint64_t pages;
};

struct pages {
	struct page_range free[PAGES_RANGES_MAX]; /* sorted by base, never adjacent, none empty */
	unsigned count;
	uint64_t free_pages;
	uint64_t total_pages;  /* what pages_add gave, for reports */
};

void pages_init(struct pages *p);

/* Add [base, base + bytes) as free RAM (trimmed inward to whole pages).
 * Returns -1 if it overlaps free RAM already there or the table is full. */
int pages_add(struct pages *p, uint64_t base, uint64_t bytes);

/* Take n contiguous pages that end at or below `limit` (first fit from the
 * highest such address: low memory stays for what needs it).  Returns the
 * base address, 0 if no range can hold them (0 is never handed out). */
uint64_t pages_alloc(struct pages *p, uint64_t n, uint64_t limit);

/* Take n pages as at most `max` ranges, largest free ranges first, into
 * out[0..*count).  All or nothing: -1 (and nothing taken) if the free RAM or
 * `max` ranges cannot hold n pages. */
int pages_alloc_ranges(struct pages *p, uint64_t n, struct page_range *out, unsigned max, unsigned *count);

/* Give [base, base + n pages) back.  Returns -1 (and changes nothing) if any
 * of it is free already or the table would overflow. */
int pages_free(struct pages *p, uint64_t base, uint64_t n);

#endif
