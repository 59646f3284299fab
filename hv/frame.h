/*
 * The hypervisor's physical frame allocator.  Its memory is what the UEFI map
 * types BOOT_MEMTYPE_HYPERVISOR, less the hypervisor image.  A bitmap per
 * range (kept inside the range itself) records used 4 KiB frames; contiguous
 * runs come first-fit.  One lock covers allocation and freeing: any pCPU
 * allocates (the parent's hypercalls on the BSP, second-level tables for a
 * child's overlay pages on its own pCPU).
 */
#ifndef KEEL_HV_FRAME_H
#define KEEL_HV_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "hv/abi/boot_info.h"
#include "hv/spinlock.h"

#define FRAME_SIZE 4096ul
#define FRAME_MAX_RANGES 8

struct frame_range {
	uint64_t base;    /* physical, frame-aligned */
	uint64_t frames;
	uint64_t first_usable; /* frames below hold the bitmap */
	uint64_t *bitmap; /* 1 = used; addressable pointer */
};

struct frame_allocator {
	struct spinlock lock;    /* protects the bitmaps and free_frames */
	struct frame_range ranges[FRAME_MAX_RANGES];
	unsigned range_count;
	uint64_t total_frames;
	uint64_t free_frames;
	void *(*to_virt)(uint64_t phys);
	uint64_t (*to_phys)(const void *virt);
};

/*
 * Build the allocator from a UEFI map (`entries` descriptors `desc_size`
 * bytes apart): every BOOT_MEMTYPE_HYPERVISOR range becomes allocator memory,
 * except [reserved_base, reserved_base + reserved_size) (the image) and the
 * frames each bitmap occupies.  Returns 0, or -1 if no usable range exists.
 */
int frame_init(struct frame_allocator *fa, const void *memmap, size_t entries, size_t desc_size,
	       uint64_t reserved_base, uint64_t reserved_size, void *(*to_virt)(uint64_t),
	       uint64_t (*to_phys)(const void *));

/* `count` contiguous frames aligned to `align_frames` (a power of two),
 * zeroed; physical address, or 0 when none is free. */
uint64_t frame_alloc_contig(struct frame_allocator *fa, uint64_t count, uint64_t align_frames);
static inline uint64_t frame_alloc(struct frame_allocator *fa) { return frame_alloc_contig(fa, 1, 1); }
/* Give back frames from frame_alloc*; freeing what is not allocated is
 * ignored and returns -1. */
int frame_free(struct frame_allocator *fa, uint64_t phys, uint64_t count);
/* True if phys lies in any allocator range (allocated or not). */
int frame_owned(const struct frame_allocator *fa, uint64_t phys);

#endif
