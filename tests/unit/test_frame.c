/*
 * Host unit test for the hypervisor's frame allocator (hv/frame.c).
 *
 * "Physical memory" is a host mapping of MEM_SIZE bytes that the allocator
 * sees at the fake physical address MEM_BASE; to_virt/to_phys translate and
 * fail the test on any address outside it.  Memory maps are built from
 * descriptors placed at page offsets into that window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "hv/frame.h"

#define MEM_BASE  0x100000000ull
#define MEM_PAGES 65536ull /* 256 MiB, reserved lazily */
#define MEM_SIZE  (MEM_PAGES * FRAME_SIZE)
#define PAGE(n)   (MEM_BASE + (uint64_t)(n) * FRAME_SIZE)
#define MAX_DESCS 16

static uint8_t *mem;

static void *to_virt(uint64_t phys)
{
	assert_in_range(phys, MEM_BASE, MEM_BASE + MEM_SIZE - 1);
	return mem + (phys - MEM_BASE);
}

static uint64_t to_phys(const void *virt)
{
	const uint8_t *p = virt;

	assert_true(p >= mem && p < mem + MEM_SIZE);
	return MEM_BASE + (uint64_t)(p - mem);
}

static struct boot_memdesc descs[MAX_DESCS];
static size_t desc_count;

static void add_desc(uint32_t type, uint64_t first_page, uint64_t pages)
{
	assert_true(desc_count < MAX_DESCS);
	descs[desc_count++] = (struct boot_memdesc){
		.type = type,
		.phys_start = PAGE(first_page),
		.virt_start = 0,
		.pages = pages,
		.attribute = 0xf,
	};
}

static int init(struct frame_allocator *fa, uint64_t res_base, uint64_t res_size)
{
	return frame_init(fa, descs, desc_count, sizeof(struct boot_memdesc), res_base, res_size,
			  to_virt, to_phys);
}

/* Fill [first, first + pages) with a pattern so zeroing is observable. */
static void scribble(uint64_t first_page, uint64_t pages)
{
	memset(mem + first_page * FRAME_SIZE, 0xa5, pages * FRAME_SIZE);
}

static int all_zero(uint64_t phys, uint64_t bytes)
{
	const uint8_t *p = to_virt(phys);

	for (uint64_t i = 0; i < bytes; i++)
		if (p[i])
			return 0;
	return 1;
}

/*
 * Allocate single frames until the allocator says no; every address must be
 * frame-aligned, distinct and inside [lo, hi).  Returns how many were given.
 */
static uint64_t alloc_all(struct frame_allocator *fa, uint64_t *out, uint64_t max, uint64_t lo,
			  uint64_t hi)
{
	static uint8_t seen[MEM_PAGES];
	uint64_t n = 0, phys;

	memset(seen, 0, sizeof(seen));
	while ((phys = frame_alloc(fa)) != 0) {
		assert_true(n < max);
		assert_int_equal(phys & (FRAME_SIZE - 1), 0);
		assert_in_range(phys, lo, hi - 1);
		assert_int_equal(seen[(phys - MEM_BASE) / FRAME_SIZE], 0);
		seen[(phys - MEM_BASE) / FRAME_SIZE] = 1;
		out[n++] = phys;
	}
	assert_int_equal(fa->free_frames, 0);
	return n;
}

static int setup(void **state)
{
	(void)state;
	desc_count = 0;
	memset(descs, 0, sizeof(descs));
	return 0;
}

static int group_setup(void **state)
{
	void *m = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	(void)state;
	if (m == MAP_FAILED)
		return -1;
	mem = m;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	munmap(mem, MEM_SIZE);
	return 0;
}

static uint64_t results[MEM_PAGES];

/* ---- building the allocator ---- */

static void test_no_hypervisor_range_fails(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEM_CONVENTIONAL, 0, 256);
	add_desc(BOOT_MEM_LOADER_DATA, 256, 256);
	add_desc(BOOT_MEM_RESERVED, 512, 16);
	assert_int_equal(init(&fa, 0, 0), -1);
	assert_int_equal(fa.range_count, 0);
	assert_int_equal(fa.free_frames, 0);
	assert_int_equal(frame_alloc(&fa), 0);
}

static void test_empty_map_fails(void **state)
{
	struct frame_allocator fa;

	(void)state;
	assert_int_equal(init(&fa, 0, 0), -1);
	assert_int_equal(frame_alloc(&fa), 0);
}

static void test_single_range(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 256);
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(fa.range_count, 1);
	assert_int_equal(fa.ranges[0].base, PAGE(0));
	assert_int_equal(fa.ranges[0].frames, 256);
	/* 256 bits fit in one bitmap frame at the start of the range. */
	assert_int_equal(fa.ranges[0].first_usable, 1);
	assert_ptr_equal(fa.ranges[0].bitmap, to_virt(PAGE(0)));
	assert_int_equal(fa.total_frames, 255);
	assert_int_equal(fa.free_frames, 255);
	assert_ptr_equal(fa.to_virt, to_virt);
	assert_ptr_equal(fa.to_phys, to_phys);
}

static void test_zero_page_and_tiny_ranges_skipped(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 0);   /* empty */
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 10, 1);  /* only room for its bitmap */
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 20, 2);  /* bitmap + one frame */
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(fa.range_count, 1);
	assert_int_equal(fa.ranges[0].base, PAGE(20));
	assert_int_equal(fa.total_frames, 1);
	assert_int_equal(frame_alloc(&fa), PAGE(21));
	assert_int_equal(frame_alloc(&fa), 0);
}

static void test_only_hypervisor_ranges_used(void **state)
{
	struct frame_allocator fa;
	uint64_t n;

	(void)state;
	add_desc(BOOT_MEM_CONVENTIONAL, 0, 64);
	add_desc(BOOT_MEM_LOADER_CODE, 64, 64);
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 128, 64);
	add_desc(BOOT_MEM_BS_DATA, 192, 64);
	add_desc(BOOT_MEM_ACPI_NVS, 256, 64);
	add_desc(BOOT_MEMTYPE_HYPERVISOR + 1, 320, 64);
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(fa.range_count, 1);
	assert_int_equal(fa.total_frames, 63);
	n = alloc_all(&fa, results, MEM_PAGES, PAGE(129), PAGE(192));
	assert_int_equal(n, 63);
	assert_false(frame_owned(&fa, PAGE(0)));
	assert_false(frame_owned(&fa, PAGE(127)));
	assert_false(frame_owned(&fa, PAGE(192)));
	assert_false(frame_owned(&fa, PAGE(320)));
	assert_true(frame_owned(&fa, PAGE(128)));
	assert_true(frame_owned(&fa, PAGE(191)));
}

static void test_reserved_at_start(void **state)
{
	struct frame_allocator fa;
	uint64_t n;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 256);
	assert_int_equal(init(&fa, PAGE(0), 16 * FRAME_SIZE), 0);
	assert_int_equal(fa.range_count, 1);
	assert_int_equal(fa.ranges[0].base, PAGE(16));
	assert_int_equal(fa.ranges[0].frames, 240);
	assert_int_equal(fa.total_frames, 239);
	/* Neither the image nor the bitmap frame after it is ever handed out. */
	n = alloc_all(&fa, results, MEM_PAGES, PAGE(17), PAGE(256));
	assert_int_equal(n, 239);
	assert_false(frame_owned(&fa, PAGE(0)));
	assert_false(frame_owned(&fa, PAGE(15)));
	assert_true(frame_owned(&fa, PAGE(16)));
}

static void test_reserved_at_end(void **state)
{
	struct frame_allocator fa;
	uint64_t n;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 256);
	assert_int_equal(init(&fa, PAGE(200), 56 * FRAME_SIZE), 0);
	assert_int_equal(fa.range_count, 1);
	assert_int_equal(fa.ranges[0].frames, 200);
	assert_int_equal(fa.total_frames, 199);
	n = alloc_all(&fa, results, MEM_PAGES, PAGE(1), PAGE(200));
	assert_int_equal(n, 199);
	assert_false(frame_owned(&fa, PAGE(200)));
}

static void test_reserved_in_middle_splits(void **state)
{
	struct frame_allocator fa;
	uint64_t n;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 256);
	assert_int_equal(init(&fa, PAGE(100), 10 * FRAME_SIZE), 0);
	assert_int_equal(fa.range_count, 2);
	assert_int_equal(fa.ranges[0].base, PAGE(0));
	assert_int_equal(fa.ranges[0].frames, 100);
	assert_int_equal(fa.ranges[1].base, PAGE(110));
	assert_int_equal(fa.ranges[1].frames, 146);
	assert_int_equal(fa.ranges[1].first_usable, 1);
	assert_int_equal(fa.total_frames, 99 + 145);

	n = alloc_all(&fa, results, MEM_PAGES, PAGE(1), PAGE(256));
	assert_int_equal(n, 99 + 145);
	for (uint64_t i = 0; i < n; i++) {
		assert_false(results[i] >= PAGE(100) && results[i] < PAGE(110));
		assert_int_not_equal(results[i], PAGE(0));   /* first bitmap */
		assert_int_not_equal(results[i], PAGE(110)); /* second bitmap */
	}
	for (uint64_t p = 100; p < 110; p++)
		assert_false(frame_owned(&fa, PAGE(p)));
	assert_true(frame_owned(&fa, PAGE(99)));
	assert_true(frame_owned(&fa, PAGE(110)));
}

static void test_reserved_unaligned_rounds_outward(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 256);
	/* Touches frames 100 and 101 partially: both must be excluded. */
	assert_int_equal(init(&fa, PAGE(100) + 0x123, FRAME_SIZE), 0);
	assert_int_equal(fa.range_count, 2);
	assert_int_equal(fa.ranges[0].frames, 100);
	assert_int_equal(fa.ranges[1].base, PAGE(102));
	assert_int_equal(fa.ranges[1].frames, 154);
	assert_false(frame_owned(&fa, PAGE(100)));
	assert_false(frame_owned(&fa, PAGE(101)));
}

static void test_reserved_covers_whole_range(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 16, 16);
	assert_int_equal(init(&fa, PAGE(0), 64 * FRAME_SIZE), -1);
	assert_int_equal(fa.range_count, 0);
}

static void test_reserved_outside_ranges_ignored(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 64);
	assert_int_equal(init(&fa, PAGE(1000), 16 * FRAME_SIZE), 0);
	assert_int_equal(fa.range_count, 1);
	assert_int_equal(fa.total_frames, 63);
}

static void test_bitmap_spanning_two_frames(void **state)
{
	struct frame_allocator fa;
	uint64_t frames = 40000; /* > 32768 bits: two bitmap frames */

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, frames);
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(fa.ranges[0].first_usable, 2);
	assert_int_equal(fa.total_frames, frames - 2);
	assert_int_equal(frame_alloc(&fa), PAGE(2));
	assert_int_equal(frame_free(&fa, PAGE(0), 1), -1);
	assert_int_equal(frame_free(&fa, PAGE(1), 1), -1);
	/* Everything but the bitmap is available as one run. */
	assert_int_equal(frame_free(&fa, PAGE(2), 1), 0);
	assert_int_equal(frame_alloc_contig(&fa, frames - 2, 1), PAGE(2));
	assert_int_equal(fa.free_frames, 0);
	assert_int_equal(frame_free(&fa, PAGE(2), frames - 2), 0);
	assert_int_equal(fa.free_frames, frames - 2);
}

static void test_multiple_descriptors(void **state)
{
	struct frame_allocator fa;
	uint64_t n;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 16);
	add_desc(BOOT_MEM_CONVENTIONAL, 16, 16);
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 32, 8);
	add_desc(BOOT_MEM_MMIO, 40, 8);
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 48, 32);
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(fa.range_count, 3);
	assert_int_equal(fa.total_frames, 15 + 7 + 31);

	/* First fit: the first range is used up before the next is touched. */
	for (uint64_t i = 1; i < 16; i++)
		assert_int_equal(frame_alloc(&fa), PAGE(i));
	assert_int_equal(frame_alloc(&fa), PAGE(33));
	/* A run that fits only in the third range skips the second. */
	assert_int_equal(frame_alloc_contig(&fa, 10, 1), PAGE(49));

	n = alloc_all(&fa, results, MEM_PAGES, PAGE(0), PAGE(80));
	assert_int_equal(n, 6 + 21);
	for (uint64_t i = 0; i < n; i++) {
		assert_false(results[i] >= PAGE(16) && results[i] < PAGE(32));
		assert_false(results[i] >= PAGE(40) && results[i] < PAGE(48));
		assert_int_not_equal(results[i], PAGE(32));
		assert_int_not_equal(results[i], PAGE(48));
	}
}

static void test_too_many_ranges_keeps_first(void **state)
{
	struct frame_allocator fa;

	(void)state;
	for (uint64_t i = 0; i < FRAME_MAX_RANGES + 2; i++)
		add_desc(BOOT_MEMTYPE_HYPERVISOR, i * 8, 4);
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(fa.range_count, FRAME_MAX_RANGES);
	assert_int_equal(fa.total_frames, 3 * FRAME_MAX_RANGES);
	assert_true(frame_owned(&fa, PAGE((FRAME_MAX_RANGES - 1) * 8)));
	assert_false(frame_owned(&fa, PAGE(FRAME_MAX_RANGES * 8)));
}

static void test_descriptor_size_48(void **state)
{
	enum { STRIDE = 48 };
	struct frame_allocator fa;
	uint8_t map[4 * STRIDE];
	const struct boot_memdesc d[4] = {
		{ .type = BOOT_MEM_CONVENTIONAL, .phys_start = PAGE(0), .pages = 64 },
		{ .type = BOOT_MEMTYPE_HYPERVISOR, .phys_start = PAGE(64), .pages = 32 },
		{ .type = BOOT_MEM_RT_DATA, .phys_start = PAGE(96), .pages = 64 },
		{ .type = BOOT_MEMTYPE_HYPERVISOR, .phys_start = PAGE(160), .pages = 16 },
	};

	(void)state;
	/* The bytes between descriptors must not be read as the next one. */
	memset(map, 0xff, sizeof(map));
	for (int i = 0; i < 4; i++)
		memcpy(map + i * STRIDE, &d[i], sizeof(d[i]));
	assert_int_equal(frame_init(&fa, map, 4, STRIDE, 0, 0, to_virt, to_phys), 0);
	assert_int_equal(fa.range_count, 2);
	assert_int_equal(fa.ranges[0].base, PAGE(64));
	assert_int_equal(fa.ranges[0].frames, 32);
	assert_int_equal(fa.ranges[1].base, PAGE(160));
	assert_int_equal(fa.ranges[1].frames, 16);
	assert_int_equal(fa.total_frames, 31 + 15);
	assert_false(frame_owned(&fa, PAGE(0)));
	assert_false(frame_owned(&fa, PAGE(96)));
}

/* ---- allocating and freeing ---- */

static void test_alloc_returns_zeroed_frame(void **state)
{
	struct frame_allocator fa;
	uint64_t phys;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 64);
	assert_int_equal(init(&fa, 0, 0), 0);
	scribble(1, 63);
	phys = frame_alloc(&fa);
	assert_int_equal(phys, PAGE(1));
	assert_true(all_zero(phys, FRAME_SIZE));
	/* The neighbour was not touched. */
	assert_int_equal(mem[2 * FRAME_SIZE], 0xa5);

	phys = frame_alloc_contig(&fa, 5, 1);
	assert_int_equal(phys, PAGE(2));
	assert_true(all_zero(phys, 5 * FRAME_SIZE));
	assert_int_equal(mem[7 * FRAME_SIZE], 0xa5);
}

static void test_reused_frame_is_zeroed_again(void **state)
{
	struct frame_allocator fa;
	uint64_t phys;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 8);
	assert_int_equal(init(&fa, 0, 0), 0);
	phys = frame_alloc(&fa);
	memset(to_virt(phys), 0x5a, FRAME_SIZE);
	assert_int_equal(frame_free(&fa, phys, 1), 0);
	assert_int_equal(frame_alloc(&fa), phys);
	assert_true(all_zero(phys, FRAME_SIZE));
}

static void test_free_frames_accounting(void **state)
{
	struct frame_allocator fa;
	uint64_t a, b, c;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 128);
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(fa.free_frames, 127);
	a = frame_alloc(&fa);
	assert_int_equal(fa.free_frames, 126);
	b = frame_alloc_contig(&fa, 7, 1);
	assert_int_equal(fa.free_frames, 119);
	c = frame_alloc_contig(&fa, 4, 4);
	assert_int_equal(fa.free_frames, 115);
	assert_int_equal(frame_free(&fa, b, 7), 0);
	assert_int_equal(fa.free_frames, 122);
	/* A rejected free changes nothing. */
	assert_int_equal(frame_free(&fa, b, 1), -1);
	assert_int_equal(fa.free_frames, 122);
	assert_int_equal(frame_free(&fa, a, 1), 0);
	assert_int_equal(frame_free(&fa, c, 4), 0);
	assert_int_equal(fa.free_frames, 127);
	assert_int_equal(fa.total_frames, 127);
	/* A failed allocation changes nothing either. */
	assert_int_equal(frame_alloc_contig(&fa, 128, 1), 0);
	assert_int_equal(fa.free_frames, 127);
}

static void test_free_partial_run(void **state)
{
	struct frame_allocator fa;
	uint64_t run;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 64);
	assert_int_equal(init(&fa, 0, 0), 0);
	run = frame_alloc_contig(&fa, 8, 1);
	assert_int_equal(frame_free(&fa, run + 2 * FRAME_SIZE, 3), 0);
	assert_int_equal(fa.free_frames, 63 - 5);
	/* The hole is reused first. */
	assert_int_equal(frame_alloc_contig(&fa, 3, 1), run + 2 * FRAME_SIZE);
	assert_int_equal(frame_free(&fa, run, 8), 0);
	assert_int_equal(fa.free_frames, 63);
}

static void test_exhaustion_then_free(void **state)
{
	struct frame_allocator fa;
	uint64_t n;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 16);
	assert_int_equal(init(&fa, 0, 0), 0);
	n = alloc_all(&fa, results, MEM_PAGES, PAGE(1), PAGE(16));
	assert_int_equal(n, 15);
	assert_int_equal(frame_alloc(&fa), 0);
	assert_int_equal(frame_alloc(&fa), 0);
	assert_int_equal(frame_alloc_contig(&fa, 1, 1), 0);
	assert_int_equal(fa.free_frames, 0);

	assert_int_equal(frame_free(&fa, results[7], 1), 0);
	assert_int_equal(fa.free_frames, 1);
	assert_int_equal(frame_alloc(&fa), results[7]);
	assert_int_equal(frame_alloc(&fa), 0);

	/* Two scattered free frames do not make a run of two. */
	assert_int_equal(frame_free(&fa, results[3], 1), 0);
	assert_int_equal(frame_free(&fa, results[9], 1), 0);
	assert_int_equal(frame_alloc_contig(&fa, 2, 1), 0);
	assert_int_equal(fa.free_frames, 2);
	assert_int_equal(frame_alloc(&fa), results[3]);
	assert_int_equal(frame_alloc(&fa), results[9]);
}

static void test_contig_aligned(void **state)
{
	struct frame_allocator fa;
	uint64_t a, b, c;

	(void)state;
	/* Frame numbers relative to MEM_BASE (itself 4-frame aligned): the
	 * range starts at frame 1, its bitmap takes frame 1, so the first
	 * 4-aligned run begins at frame 4. */
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 1, 63);
	assert_int_equal(init(&fa, 0, 0), 0);
	scribble(2, 62);
	a = frame_alloc_contig(&fa, 3, 4);
	assert_int_equal(a, PAGE(4));
	assert_int_equal((a / FRAME_SIZE) % 4, 0);
	assert_true(all_zero(a, 3 * FRAME_SIZE));
	b = frame_alloc_contig(&fa, 3, 4);
	assert_int_equal(b, PAGE(8));
	/* The frames skipped for alignment are still free. */
	assert_int_equal(frame_alloc(&fa), PAGE(2));
	assert_int_equal(frame_alloc(&fa), PAGE(3));
	assert_int_equal(frame_alloc(&fa), PAGE(7));
	assert_int_equal(fa.free_frames, 62 - 9);
	/* Larger alignment. */
	c = frame_alloc_contig(&fa, 2, 16);
	assert_int_equal(c, PAGE(16));
	assert_int_equal(frame_free(&fa, a, 3), 0);
	assert_int_equal(frame_free(&fa, b, 3), 0);
	assert_int_equal(frame_free(&fa, c, 2), 0);
}

static void test_contig_skips_used_frames(void **state)
{
	struct frame_allocator fa;
	uint64_t singles[8], run;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 64);
	assert_int_equal(init(&fa, 0, 0), 0);
	for (int i = 0; i < 8; i++)
		singles[i] = frame_alloc(&fa);
	/* Free frames 2, 4, 5, 7: the first run of two is 4..5. */
	assert_int_equal(frame_free(&fa, singles[1], 1), 0);
	assert_int_equal(frame_free(&fa, singles[3], 2), 0);
	assert_int_equal(frame_free(&fa, singles[6], 1), 0);
	run = frame_alloc_contig(&fa, 2, 1);
	assert_int_equal(run, PAGE(4));
	/* A run of three must come after everything allocated so far. */
	run = frame_alloc_contig(&fa, 3, 1);
	assert_int_equal(run, PAGE(9));
}

static void test_contig_bad_arguments(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 64);
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(frame_alloc_contig(&fa, 0, 1), 0);
	assert_int_equal(frame_alloc_contig(&fa, 1, 0), 0);
	assert_int_equal(frame_alloc_contig(&fa, 1, 3), 0);
	assert_int_equal(frame_alloc_contig(&fa, 2, 6), 0);
	assert_int_equal(frame_alloc_contig(&fa, 64, 1), 0); /* more than exists */
	assert_int_equal(frame_alloc_contig(&fa, 32, 64), 0); /* no frame is 64-aligned but 0 */
	assert_int_equal(fa.free_frames, 63);
	assert_int_equal(frame_alloc_contig(&fa, 63, 1), PAGE(1));
}

static void test_double_free_rejected(void **state)
{
	struct frame_allocator fa;
	uint64_t a, run;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 64);
	assert_int_equal(init(&fa, 0, 0), 0);
	a = frame_alloc(&fa);
	assert_int_equal(frame_free(&fa, a, 1), 0);
	assert_int_equal(frame_free(&fa, a, 1), -1);
	assert_int_equal(fa.free_frames, 63);

	/* A run that is only partly allocated is refused as a whole. */
	run = frame_alloc_contig(&fa, 4, 1);
	assert_int_equal(frame_free(&fa, run + FRAME_SIZE, 1), 0);
	assert_int_equal(frame_free(&fa, run, 4), -1);
	assert_int_equal(fa.free_frames, 60);
	assert_int_equal(frame_free(&fa, run, 1), 0);
	assert_int_equal(frame_free(&fa, run + 2 * FRAME_SIZE, 2), 0);
	assert_int_equal(fa.free_frames, 63);
}

static void test_free_never_allocated_rejected(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 64);
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(frame_free(&fa, PAGE(10), 1), -1);
	assert_int_equal(fa.free_frames, 63);
	assert_int_equal(frame_alloc(&fa), PAGE(1));
}

static void test_free_outside_ranges_rejected(void **state)
{
	struct frame_allocator fa;
	uint64_t a;

	(void)state;
	add_desc(BOOT_MEM_CONVENTIONAL, 0, 32);
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 32, 64);
	assert_int_equal(init(&fa, PAGE(32), 8 * FRAME_SIZE), 0);
	a = frame_alloc(&fa);
	assert_int_equal(a, PAGE(41));

	assert_int_equal(frame_free(&fa, PAGE(0), 1), -1);        /* conventional */
	assert_int_equal(frame_free(&fa, PAGE(32), 1), -1);       /* reserved image */
	assert_int_equal(frame_free(&fa, PAGE(96), 1), -1);       /* just past the end */
	assert_int_equal(frame_free(&fa, MEM_BASE - FRAME_SIZE, 1), -1);
	assert_int_equal(frame_free(&fa, 0, 1), -1);
	assert_int_equal(frame_free(&fa, ~0ull & ~(FRAME_SIZE - 1), 1), -1);
	assert_int_equal(frame_free(&fa, a + 8, 1), -1);          /* unaligned */
	assert_int_equal(frame_free(&fa, a, 100), -1);            /* runs off the end */
	assert_int_equal(frame_free(&fa, a, ~0ull), -1);
	assert_int_equal(fa.free_frames, 54);
	assert_int_equal(frame_free(&fa, a, 1), 0);
	assert_int_equal(fa.free_frames, 55);
}

static void test_free_bitmap_frame_rejected(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 0, 64);
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 100, 64);
	assert_int_equal(init(&fa, 0, 0), 0);
	assert_int_equal(frame_free(&fa, PAGE(0), 1), -1);
	assert_int_equal(frame_free(&fa, PAGE(100), 1), -1);
	assert_int_equal(frame_free(&fa, PAGE(100), 2), -1);
	assert_int_equal(fa.free_frames, 126);
	/* The bitmap is still intact. */
	assert_int_equal(frame_alloc(&fa), PAGE(1));
}

static void test_frame_owned(void **state)
{
	struct frame_allocator fa;

	(void)state;
	add_desc(BOOT_MEM_CONVENTIONAL, 0, 16);
	add_desc(BOOT_MEMTYPE_HYPERVISOR, 16, 48);
	assert_int_equal(init(&fa, PAGE(16), 4 * FRAME_SIZE), 0);
	assert_false(frame_owned(&fa, 0));
	assert_false(frame_owned(&fa, PAGE(0)));
	assert_false(frame_owned(&fa, PAGE(16)));
	assert_false(frame_owned(&fa, PAGE(20) - 1));
	assert_true(frame_owned(&fa, PAGE(20)));         /* bitmap: owned */
	assert_true(frame_owned(&fa, PAGE(21) + 0x123)); /* any byte */
	assert_true(frame_owned(&fa, PAGE(64) - 1));
	assert_false(frame_owned(&fa, PAGE(64)));
	/* Allocation does not change ownership. */
	assert_int_equal(frame_alloc(&fa), PAGE(21));
	assert_true(frame_owned(&fa, PAGE(21)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_no_hypervisor_range_fails, setup),
		cmocka_unit_test_setup(test_empty_map_fails, setup),
		cmocka_unit_test_setup(test_single_range, setup),
		cmocka_unit_test_setup(test_zero_page_and_tiny_ranges_skipped, setup),
		cmocka_unit_test_setup(test_only_hypervisor_ranges_used, setup),
		cmocka_unit_test_setup(test_reserved_at_start, setup),
		cmocka_unit_test_setup(test_reserved_at_end, setup),
		cmocka_unit_test_setup(test_reserved_in_middle_splits, setup),
		cmocka_unit_test_setup(test_reserved_unaligned_rounds_outward, setup),
		cmocka_unit_test_setup(test_reserved_covers_whole_range, setup),
		cmocka_unit_test_setup(test_reserved_outside_ranges_ignored, setup),
		cmocka_unit_test_setup(test_bitmap_spanning_two_frames, setup),
		cmocka_unit_test_setup(test_multiple_descriptors, setup),
		cmocka_unit_test_setup(test_too_many_ranges_keeps_first, setup),
		cmocka_unit_test_setup(test_descriptor_size_48, setup),
		cmocka_unit_test_setup(test_alloc_returns_zeroed_frame, setup),
		cmocka_unit_test_setup(test_reused_frame_is_zeroed_again, setup),
		cmocka_unit_test_setup(test_free_frames_accounting, setup),
		cmocka_unit_test_setup(test_free_partial_run, setup),
		cmocka_unit_test_setup(test_exhaustion_then_free, setup),
		cmocka_unit_test_setup(test_contig_aligned, setup),
		cmocka_unit_test_setup(test_contig_skips_used_frames, setup),
		cmocka_unit_test_setup(test_contig_bad_arguments, setup),
		cmocka_unit_test_setup(test_double_free_rejected, setup),
		cmocka_unit_test_setup(test_free_never_allocated_rejected, setup),
		cmocka_unit_test_setup(test_free_outside_ranges_rejected, setup),
		cmocka_unit_test_setup(test_free_bitmap_frame_rejected, setup),
		cmocka_unit_test_setup(test_frame_owned, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
