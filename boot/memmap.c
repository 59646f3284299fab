/*
 * Retyping part of a UEFI memory map in place.
 */
#include "boot/memmap.h"
#include "hv/abi/boot_info.h"

#define MEMMAP_PAGE 4096ull

static void memmap_move(unsigned char *dst, const unsigned char *src, size_t n)
{
	if (dst < src) {
		while (n--)
			*dst++ = *src++;
	} else {
		while (n--)
			dst[n] = src[n];
	}
}

static struct boot_memdesc *memmap_at(void *map, size_t i, size_t desc_size)
{
	return (struct boot_memdesc *)((unsigned char *)map + i * desc_size);
}

static uint64_t memmap_end(const struct boot_memdesc *d)
{
	return d->phys_start + d->pages * MEMMAP_PAGE;
}

/* Extra descriptors the retyping of descriptor d needs (0, 1 or 2). */
static size_t memmap_pieces(const struct boot_memdesc *d, uint64_t start, uint64_t end)
{
	size_t pieces = 1;
	if (start > d->phys_start)
		pieces++;
	if (end < memmap_end(d))
		pieces++;
	return pieces - 1;
}

static int memmap_touches(const struct boot_memdesc *d, uint64_t start, uint64_t end,
			  uint32_t type)
{
	return d->type != type && d->pages && memmap_end(d) > start && d->phys_start < end;
}

int memmap_set_type(void *map, size_t *count, size_t desc_size, size_t capacity,
		    uint64_t start, uint64_t end, uint32_t type)
{
	size_t extra = 0;

	if (desc_size < sizeof(struct boot_memdesc) || start >= end)
		return start >= end ? 0 : -1;
	for (size_t i = 0; i < *count; i++) {
		const struct boot_memdesc *d = memmap_at(map, i, desc_size);
		if (memmap_touches(d, start, end, type))
			extra += memmap_pieces(d, start, end);
	}
	if (*count + extra > capacity)
		return -1;

	for (size_t i = 0; i < *count; i++) {
		struct boot_memdesc *d = memmap_at(map, i, desc_size);
		if (!memmap_touches(d, start, end, type))
			continue;

		uint64_t s = d->phys_start, e = memmap_end(d);
		uint64_t cut_lo = start > s ? start : s;
		uint64_t cut_hi = end < e ? end : e;
		size_t add = memmap_pieces(d, start, end);

		/* Open a gap of `add` descriptors after d, each a copy of d. */
		unsigned char *base = (unsigned char *)map;
		memmap_move(base + (i + 1 + add) * desc_size, base + (i + 1) * desc_size,
			    (*count - i - 1) * desc_size);
		for (size_t k = 1; k <= add; k++)
			memmap_move(base + (i + k) * desc_size, base + i * desc_size, desc_size);
		*count += add;

		size_t at = i;
		if (cut_lo > s) {
			struct boot_memdesc *lo = memmap_at(map, at++, desc_size);
			lo->pages = (cut_lo - s) / MEMMAP_PAGE;
		}
		struct boot_memdesc *mid = memmap_at(map, at++, desc_size);
		mid->virt_start += cut_lo - s;
		mid->phys_start = cut_lo;
		mid->pages = (cut_hi - cut_lo) / MEMMAP_PAGE;
		mid->type = type;
		if (cut_hi < e) {
			struct boot_memdesc *hi = memmap_at(map, at++, desc_size);
			hi->virt_start += cut_hi - s;
			hi->phys_start = cut_hi;
			hi->pages = (e - cut_hi) / MEMMAP_PAGE;
		}
		i = at - 1;
	}
	return 0;
}
