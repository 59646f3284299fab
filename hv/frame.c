/* Bitmap frame allocator; contract in frame.h. */
#include "hv/frame.h"

#include <string.h>

static int test_bit(const uint64_t *bm, uint64_t i) { return (bm[i / 64] >> (i % 64)) & 1; }
static void set_bit(uint64_t *bm, uint64_t i) { bm[i / 64] |= 1ull << (i % 64); }
static void clear_bit(uint64_t *bm, uint64_t i) { bm[i / 64] &= ~(1ull << (i % 64)); }

static void mark_used(struct frame_range *r, uint64_t first, uint64_t count)
{
	for (uint64_t i = first; i < first + count && i < r->frames; i++)
		set_bit(r->bitmap, i);
}

static void add_range(struct frame_allocator *fa, uint64_t base, uint64_t end, uint64_t res_base,
		      uint64_t res_end)
{
	struct frame_range *r;
	uint64_t bitmap_bytes, bitmap_frames, first_free;

	base = (base + FRAME_SIZE - 1) & ~(FRAME_SIZE - 1);
	end &= ~(FRAME_SIZE - 1);
	/* Cut the reserved part off the front or back; a reserved hole in the
	 * middle splits the range in two. */
	if (res_base < end && res_end > base) {
		if (res_base > base)
			add_range(fa, base, res_base, 0, 0);
		if (res_end < end)
			add_range(fa, res_end, end, 0, 0);
		return;
	}
	if (end <= base || fa->range_count == FRAME_MAX_RANGES)
		return;
	r = &fa->ranges[fa->range_count];
	r->base = base;
	r->frames = (end - base) / FRAME_SIZE;
	bitmap_bytes = (r->frames + 63) / 64 * 8;
	bitmap_frames = (bitmap_bytes + FRAME_SIZE - 1) / FRAME_SIZE;
	if (bitmap_frames >= r->frames)
		return;
	r->bitmap = fa->to_virt(base);
	memset(r->bitmap, 0, bitmap_bytes);
	mark_used(r, 0, bitmap_frames);
	first_free = bitmap_frames;
	r->first_usable = first_free;
	fa->range_count++;
	fa->total_frames += r->frames - first_free;
	fa->free_frames += r->frames - first_free;
}

int frame_init(struct frame_allocator *fa, const void *memmap, size_t entries, size_t desc_size,
	       uint64_t reserved_base, uint64_t reserved_size, void *(*to_virt)(uint64_t),
	       uint64_t (*to_phys)(const void *))
{
	memset(fa, 0, sizeof(*fa));
	fa->to_virt = to_virt;
	fa->to_phys = to_phys;
	for (size_t i = 0; i < entries; i++) {
		const struct boot_memdesc *d = (const void *)((const char *)memmap + i * desc_size);

		if (d->type != BOOT_MEMTYPE_HYPERVISOR || d->pages == 0)
			continue;
		add_range(fa, d->phys_start, d->phys_start + d->pages * FRAME_SIZE, reserved_base,
			  reserved_base + reserved_size);
	}
	return fa->range_count ? 0 : -1;
}

static uint64_t alloc_locked(struct frame_allocator *fa, uint64_t count, uint64_t align_frames)
{
	if (count == 0 || count > fa->free_frames || align_frames == 0 || (align_frames & (align_frames - 1)))
		return 0;
	for (unsigned ri = 0; ri < fa->range_count; ri++) {
		struct frame_range *r = &fa->ranges[ri];
		uint64_t first_frame = r->base / FRAME_SIZE;
		uint64_t i = 0;

		while (i + count <= r->frames) {
			uint64_t misalign = (first_frame + i) & (align_frames - 1);
			uint64_t run = 0;

			if (misalign) {
				i += align_frames - misalign;
				continue;
			}
			while (run < count && !test_bit(r->bitmap, i + run))
				run++;
			if (run == count) {
				uint64_t phys = r->base + i * FRAME_SIZE;

				mark_used(r, i, count);
				fa->free_frames -= count;
				return phys;
			}
			i += run + 1;
		}
	}
	return 0;
}

uint64_t frame_alloc_contig(struct frame_allocator *fa, uint64_t count, uint64_t align_frames)
{
	uint64_t phys;

	spin_lock(&fa->lock);
	phys = alloc_locked(fa, count, align_frames);
	spin_unlock(&fa->lock);
	if (phys)
		memset(fa->to_virt(phys), 0, count * FRAME_SIZE);
	return phys;
}

static struct frame_range *range_of(const struct frame_allocator *fa, uint64_t phys)
{
	for (unsigned ri = 0; ri < fa->range_count; ri++) {
		const struct frame_range *r = &fa->ranges[ri];

		if (phys >= r->base && phys < r->base + r->frames * FRAME_SIZE)
			return (struct frame_range *)r;
	}
	return NULL;
}

static int free_locked(struct frame_allocator *fa, uint64_t phys, uint64_t count)
{
	struct frame_range *r = range_of(fa, phys);
	uint64_t first;

	if (!r || (phys & (FRAME_SIZE - 1)))
		return -1;
	first = (phys - r->base) / FRAME_SIZE;
	if (first < r->first_usable || count > r->frames - first)
		return -1;
	for (uint64_t i = first; i < first + count; i++)
		if (!test_bit(r->bitmap, i))
			return -1;
	for (uint64_t i = first; i < first + count; i++)
		clear_bit(r->bitmap, i);
	fa->free_frames += count;
	return 0;
}

int frame_free(struct frame_allocator *fa, uint64_t phys, uint64_t count)
{
	int rc;

	spin_lock(&fa->lock);
	rc = free_locked(fa, phys, count);
	spin_unlock(&fa->lock);
	return rc;
}

int frame_owned(const struct frame_allocator *fa, uint64_t phys)
{
	return range_of(fa, phys) != NULL;
}
