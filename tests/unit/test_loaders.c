/*
 * Host unit test for the kernel loaders (parent/loader_linux.c,
 * parent/loader_multiboot.c): format detection, the Linux 64-bit boot
 * protocol on bzImages built in memory (boot_params, E820, placement of
 * kernel and initrd, page tables, GDT, entry registers), multiboot kernels
 * (a.out kludge and ELF, modules, info structure, entry registers), and
 * every refusal leaving guest memory untouched.  Guest memory is a sparse
 * page store that checks each write against the child's RAM layout.  If the
 * host has /boot/vmlinuz-* (or KEEL_TEST_BZIMAGE names a file), the Linux
 * loader also runs on that real kernel; otherwise that test is skipped.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parent/loader.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* ---- Guest memory: a sparse page store over the child's RAM layout ---- */

#define SLOTS (1u << 15) /* pages: 128 MiB written at most */

struct sparse {
	uint64_t ram_bytes;
	unsigned writes;
	uint64_t keys[SLOTS]; /* page number + 1; 0: free */
	uint8_t *pages[SLOTS];
};

static struct sparse *sparse_new(uint64_t ram_bytes)
{
	struct sparse *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->ram_bytes = ram_bytes;
	return s;
}

static void sparse_free(struct sparse *s)
{
	for (unsigned i = 0; i < SLOTS; i++)
		free(s->pages[i]);
	free(s);
}

static uint8_t *sparse_page(struct sparse *s, uint64_t pfn, bool create)
{
	unsigned i = (unsigned)((pfn * 0x9e3779b97f4a7c15ull) >> 49);

	for (;; i = (i + 1) % SLOTS) {
		if (s->keys[i] == pfn + 1)
			return s->pages[i];
		if (!s->keys[i]) {
			if (!create)
				return NULL;
			s->keys[i] = pfn + 1;
			s->pages[i] = calloc(1, 4096);
			assert_non_null(s->pages[i]);
			return s->pages[i];
		}
	}
}

/* Whether [gpa, gpa + len) lies inside RAM (vm_parse.h's layout). */
static bool in_ram(uint64_t ram, uint64_t gpa, uint64_t len)
{
	uint64_t low = vm_low_ram(ram), high = ram - low;

	if (gpa < low)
		return len <= low - gpa;
	if (gpa < VM_HOLE_END)
		return false;
	return gpa - VM_HOLE_END <= high && len <= high - (gpa - VM_HOLE_END);
}

static void sparse_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct sparse *s = ctx;
	const uint8_t *p = src;

	assert_true(in_ram(s->ram_bytes, gpa, len));
	s->writes++;
	while (len) {
		size_t off = gpa & 0xfff, n = 4096 - off < len ? 4096 - off : len;

		memcpy(sparse_page(s, gpa >> 12, true) + off, p, n);
		gpa += n;
		p += n;
		len -= n;
	}
}

static void sparse_read(struct sparse *s, uint64_t gpa, void *dst, size_t len)
{
	uint8_t *d = dst;

	while (len) {
		size_t off = gpa & 0xfff, n = 4096 - off < len ? 4096 - off : len;
		const uint8_t *page = sparse_page(s, gpa >> 12, false);

		if (page)
			memcpy(d, page + off, n);
		else
			memset(d, 0, n);
		gpa += n;
		d += n;
		len -= n;
	}
}

static uint64_t rd(struct sparse *s, uint64_t gpa, unsigned n)
{
	uint8_t b[8];

	sparse_read(s, gpa, b, n);
	return get(b, n);
}

static struct vm_ram_writer writer(struct sparse *s)
{
	return (struct vm_ram_writer){ sparse_write, s };
}

/* A writer that must not be called: refusals write nothing. */
static void no_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	fail_msg("write of %zu bytes at %#llx after a refusal", len, (unsigned long long)gpa);
}

static const struct vm_ram_writer forbidden = { no_write, NULL };

static bool boot_is_zero(const struct loader_boot *b)
{
	static const struct loader_boot zero;

	return !memcmp(b, &zero, sizeof(zero));
}

/* ---- Images ---- */

#define BZ_SETUP_SECTS 4
#define BZ_SETUP_SIZE  ((BZ_SETUP_SECTS + 1) * 512)
#define BZ_PM_SIZE     0x3000
#define BZ_SIZE        (BZ_SETUP_SIZE + BZ_PM_SIZE)
#define BZ_PREF        0x1000000ull
#define BZ_INIT_SIZE   0x800000ull

static uint8_t pm_byte(size_t i)
{
	return (uint8_t)(i * 13 + 7);
}

/* A bzImage: boot sector and setup header as a 64-bit relocatable kernel
 * with protocol 2.15 has them, then BZ_PM_SIZE protected-mode bytes. */
static void make_bz(uint8_t *b)
{
	memset(b, 0, BZ_SIZE);
	for (size_t i = 0; i < 0x1f1; i++)
		b[i] = 0xcc;                   /* boot sector bytes the loader must not copy */
	b[0x1ef] = 0xab;                       /* where boot_params keeps its sentinel */
	b[0x1f1] = BZ_SETUP_SECTS;
	put(b + 0x1f2, 1, 2);                  /* root_flags */
	put(b + 0x1f4, BZ_PM_SIZE / 16, 4);    /* syssize */
	put(b + 0x1fa, 0xffff, 2);             /* vid_mode */
	put(b + 0x1fe, 0xaa55, 2);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a;                       /* header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	put(b + 0x206, 0x020f, 2);
	put(b + 0x20e, 0x1234, 2);             /* kernel_version */
	b[0x211] = 0x01;                       /* LOADED_HIGH */
	put(b + 0x214, 0x100000, 4);           /* code32_start */
	put(b + 0x22c, 0x7fffffff, 4);         /* initrd_addr_max */
	put(b + 0x230, 0x200000, 4);           /* kernel_alignment */
	b[0x234] = 1;                          /* relocatable */
	b[0x235] = 21;                         /* min_alignment */
	put(b + 0x236, 0x3, 2);                /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	put(b + 0x238, 0x7ff, 4);              /* cmdline_size */
	put(b + 0x248, 0x3a4, 4);              /* payload_offset */
	put(b + 0x24c, 0x2000, 4);             /* payload_length */
	put(b + 0x258, BZ_PREF, 8);
	put(b + 0x260, BZ_INIT_SIZE, 4);
	put(b + 0x264, 0x190, 4);              /* handover_offset */
	put(b + 0x268, 0x2468, 4);             /* kernel_info_offset */
	for (size_t i = 0; i < BZ_PM_SIZE; i++)
		b[BZ_SETUP_SIZE + i] = pm_byte(i);
}

#define MB_MAGIC 0x1badb002u

static void put_mb_header(uint8_t *h, uint32_t flags)
{
	put(h, MB_MAGIC, 4);
	put(h + 4, flags, 4);
	put(h + 8, (uint32_t)(0u - MB_MAGIC - flags), 4);
}

/* a.out kludge: header at file offset 0x20 for GPA 0x100020; the first
 * 0x1800 bytes load at 0x100000, .bss to 0x104000, entry 0x100040.  The
 * file is 0x2000 bytes: its last 0x800 bytes are not loaded. */
#define AOUT_SIZE     0x2000
#define AOUT_LOAD     0x100000u
#define AOUT_LOAD_END 0x101800u
#define AOUT_BSS_END  0x104000u
#define AOUT_ENTRY    0x100040u

static uint8_t file_byte(size_t i)
{
	return (uint8_t)(i * 3 + 1);
}

static void make_aout(uint8_t *b, uint32_t flags)
{
	for (size_t i = 0; i < AOUT_SIZE; i++)
		b[i] = file_byte(i);
	put_mb_header(b + 0x20, flags);
	put(b + 0x2c, AOUT_LOAD + 0x20, 4);   /* header_addr */
	put(b + 0x30, AOUT_LOAD, 4);          /* load_addr */
	put(b + 0x34, AOUT_LOAD_END, 4);      /* load_end_addr */
	put(b + 0x38, AOUT_BSS_END, 4);       /* bss_end_addr */
	put(b + 0x3c, AOUT_ENTRY, 4);         /* entry_addr */
}

/* An ELF executable of class 64 (x86-64) or 32 (i386) with one PT_LOAD of
 * the whole file at `paddr` plus 0x2000 bytes of .bss, entry paddr + 0x100,
 * and a multiboot header (flags mb_flags) at 0x80 unless mb_flags is ~0. */
#define ELF_SIZE 0x1000

static void make_elf(uint8_t *b, int cls, uint64_t paddr, uint32_t mb_flags)
{
	bool is64 = cls == 64;
	size_t eh = is64 ? 64 : 52, ph = is64 ? 56 : 32;
	uint8_t *p = b + eh;

	for (size_t i = 0; i < ELF_SIZE; i++)
		b[i] = file_byte(i);
	memset(b, 0, 0x80 + 12);
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = 1;
	b[6] = 1;
	put(b + 16, 2, 2);
	put(b + 18, is64 ? 62 : 3, 2);
	put(b + 20, 1, 4);
	put(b + 24, paddr + 0x100, is64 ? 8 : 4);
	put(b + (is64 ? 32 : 28), eh, is64 ? 8 : 4);
	put(b + (is64 ? 52 : 40), eh, 2);
	put(b + (is64 ? 54 : 42), ph, 2);
	put(b + (is64 ? 56 : 44), 1, 2);
	put(p, 1, 4);
	if (is64) {
		put(p + 4, 7, 4);
		put(p + 8, 0, 8);
		put(p + 16, paddr, 8);
		put(p + 24, paddr, 8);
		put(p + 32, ELF_SIZE, 8);
		put(p + 40, ELF_SIZE + 0x2000, 8);
	} else {
		put(p + 4, 0, 4);
		put(p + 8, paddr, 4);
		put(p + 12, paddr, 4);
		put(p + 16, ELF_SIZE, 4);
		put(p + 20, ELF_SIZE + 0x2000, 4);
		put(p + 24, 7, 4);
	}
	if (mb_flags != ~0u)
		put_mb_header(b + 0x80, mb_flags);
}

/* ---- Memory maps ---- */

/* The map is sorted and disjoint; its RAM entries lie in RAM clear of the
 * reserved ranges and add up to RAM less the reserved ranges' part in it;
 * each reserved range is listed as given. */
static void check_map(const struct loader_range *m, unsigned n, uint64_t ram, const struct loader_range *res,
		      unsigned nres)
{
	uint64_t low = vm_low_ram(ram), total = 0, taken = 0;

	assert_true(n <= LOADER_MAP_MAX);
	for (unsigned i = 0; i < n; i++) {
		assert_true(m[i].size > 0);
		if (i)
			assert_true(m[i - 1].gpa + m[i - 1].size <= m[i].gpa);
		if (m[i].type == LOADER_MEMORY_RAM) {
			assert_true(in_ram(ram, m[i].gpa, m[i].size));
			for (unsigned j = 0; j < nres; j++)
				assert_true(m[i].gpa + m[i].size <= res[j].gpa || res[j].gpa + res[j].size <= m[i].gpa);
			total += m[i].size;
		} else {
			bool listed = false;

			for (unsigned j = 0; j < nres; j++)
				listed |= res[j].gpa == m[i].gpa && res[j].size == m[i].size && res[j].type == m[i].type;
			assert_true(listed);
		}
	}
	for (unsigned j = 0; j < nres; j++) {
		const uint64_t ranges[2][2] = { { 0, low }, { VM_HOLE_END, VM_HOLE_END + ram - low } };
		bool listed = false;

		for (unsigned i = 0; i < n; i++)
			listed |= m[i].gpa == res[j].gpa && m[i].type == res[j].type;
		assert_true(listed);
		for (unsigned g = 0; g < 2; g++) {
			uint64_t s = res[j].gpa > ranges[g][0] ? res[j].gpa : ranges[g][0];
			uint64_t e = res[j].gpa + res[j].size < ranges[g][1] ? res[j].gpa + res[j].size : ranges[g][1];

			if (s < e)
				taken += e - s;
		}
	}
	assert_int_equal(total, ram - taken);
}

static void expect_map_error(const struct loader_config *cfg, const char *reason)
{
	struct loader_range map[LOADER_MAP_MAX];
	unsigned n = 99;
	char why[200] = "";

	assert_int_equal(loader_memory_map(cfg, map, &n, why, sizeof(why)), -1);
	assert_int_equal(n, 0);
	if (!strstr(why, reason))
		fail_msg("'%s' does not say '%s'", why, reason);
}

static void test_memory_map(void **state)
{
	struct loader_range map[LOADER_MAP_MAX];
	char why[200];
	unsigned n;
	const struct loader_range acpi = { 512 * MIB - 0x11000, 0x1000, LOADER_MEMORY_ACPI };
	const struct loader_range several[] = {
		{ 0xfec00000, 0x1000, LOADER_MEMORY_RESERVED }, /* in the hole */
		{ 0, 0x1000, LOADER_MEMORY_RESERVED },          /* at the start of RAM */
		{ 3 * GIB - 0x20000, 0x1000, LOADER_MEMORY_ACPI },
		{ 3 * GIB - 0x1f000, 0x1000, LOADER_MEMORY_NVS }, /* adjacent to the one before */
		{ 5 * GIB, 0x200000, LOADER_MEMORY_RESERVED },  /* inside the RAM above 4 GiB */
		{ 6 * GIB - 0x1000, 0x2000, LOADER_MEMORY_RESERVED }, /* straddles its end */
	};

	/* 512 MiB: one RAM entry; with the ACPI tables below the boot area, three. */
	assert_int_equal(loader_memory_map(&(struct loader_config){ .ram_bytes = 512 * MIB }, map, &n, why, sizeof(why)),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(map[0].gpa, 0);
	assert_int_equal(map[0].size, 512 * MIB);
	assert_int_equal(map[0].type, 1);
	assert_int_equal(loader_memory_map(&(struct loader_config){ .ram_bytes = 512 * MIB, .reserved = &acpi,
								     .reserved_count = 1 },
					   map, &n, why, sizeof(why)),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(map[0].size, acpi.gpa);
	assert_int_equal(map[1].gpa, acpi.gpa);
	assert_int_equal(map[1].type, LOADER_MEMORY_ACPI);
	assert_int_equal(map[2].gpa, acpi.gpa + 0x1000);
	assert_int_equal(map[2].gpa + map[2].size, 512 * MIB);
	check_map(map, n, 512 * MIB, &acpi, 1);

	/* 5 GiB: [0, 3 GiB) and [4 GiB, 6 GiB). */
	assert_int_equal(loader_memory_map(&(struct loader_config){ .ram_bytes = 5 * GIB }, map, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(map[0].gpa + map[0].size, 3 * GIB);
	assert_int_equal(map[1].gpa, 4 * GIB);
	assert_int_equal(map[1].size, 2 * GIB);
	check_map(map, n, 5 * GIB, NULL, 0);
	assert_int_equal(loader_memory_map(&(struct loader_config){ .ram_bytes = 5 * GIB, .reserved = several,
								     .reserved_count = 6 },
					   map, &n, why, sizeof(why)),
			 0);
	check_map(map, n, 5 * GIB, several, 6);
	assert_int_equal(map[0].gpa, 0);
	assert_int_equal(map[0].type, LOADER_MEMORY_RESERVED);
	assert_int_equal(map[1].gpa, 0x1000);
	assert_int_equal(map[1].type, LOADER_MEMORY_RAM);
	assert_int_equal(n, 10);

	/* 1 MiB, the smallest child. */
	assert_int_equal(loader_memory_map(&(struct loader_config){ .ram_bytes = MIB }, map, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(map[0].size, MIB);

	expect_map_error(&(struct loader_config){ .ram_bytes = 512 * MIB, .reserved = several, .reserved_count = 9 },
			 "9 reserved ranges (at most 8)");
	expect_map_error(&(struct loader_config){ .ram_bytes = 512 * MIB, .reserved_count = 1 }, "no reserved ranges");
	expect_map_error(&(struct loader_config){ .ram_bytes = 512 * MIB,
						  .reserved = (struct loader_range[]){ { 0x5000, 0, 2 } },
						  .reserved_count = 1 },
			 "has size 0");
	expect_map_error(&(struct loader_config){ .ram_bytes = 512 * MIB,
						  .reserved = (struct loader_range[]){ { ~0ull - 0xfff, 0x2000, 2 } },
						  .reserved_count = 1 },
			 "reserved range 0");
	expect_map_error(&(struct loader_config){ .ram_bytes = 512 * MIB,
						  .reserved = (struct loader_range[]){ { 0x5000, 0x1000, 1 } },
						  .reserved_count = 1 },
			 "memory type 1");
	expect_map_error(&(struct loader_config){ .ram_bytes = 512 * MIB,
						  .reserved = (struct loader_range[]){ { 0x5000, 0x2000, 2 },
										       { 0x4000, 0x1001, 3 } },
						  .reserved_count = 2 },
			 "overlap");
}

/* ---- Detection ---- */

static void test_detect(void **state)
{
	static uint8_t bz[BZ_SIZE], aout[AOUT_SIZE], elf[ELF_SIZE];

	make_bz(bz);
	assert_int_equal(loader_detect(bz, sizeof(bz)), LOADER_LINUX_BZIMAGE);
	make_aout(aout, 0x00010003);
	assert_int_equal(loader_detect(aout, sizeof(aout)), LOADER_MULTIBOOT);
	make_elf(elf, 32, 0x200000, 0x3);
	assert_int_equal(loader_detect(elf, sizeof(elf)), LOADER_MULTIBOOT); /* multiboot before ELF */
	make_elf(elf, 64, 0x200000, 0x0);
	assert_int_equal(loader_detect(elf, sizeof(elf)), LOADER_MULTIBOOT);
	make_elf(elf, 64, 0x200000, ~0u);
	assert_int_equal(loader_detect(elf, sizeof(elf)), LOADER_ELF64);
	make_elf(elf, 32, 0x200000, ~0u);
	assert_int_equal(loader_detect(elf, sizeof(elf)), LOADER_ELF64); /* Keel's 32-bit ELF guests */
	/* A bzImage carrying a multiboot header is still a bzImage. */
	put_mb_header(bz + 0x400, 0);
	assert_int_equal(loader_detect(bz, sizeof(bz)), LOADER_LINUX_BZIMAGE);

	assert_string_equal(loader_format_name(LOADER_LINUX_BZIMAGE), "Linux bzImage");
	assert_string_equal(loader_format_name(LOADER_MULTIBOOT), "multiboot");
	assert_string_equal(loader_format_name(LOADER_ELF64), "ELF");
	assert_string_equal(loader_format_name(LOADER_UNKNOWN), "unknown");
}

static void test_detect_rejects(void **state)
{
	static uint8_t bz[BZ_SIZE], aout[AOUT_SIZE], big[0x3000], junk[4096];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(loader_detect(junk, sizeof(junk)), LOADER_UNKNOWN);
	assert_int_equal(loader_detect(junk, 0), LOADER_UNKNOWN);
	assert_int_equal(loader_detect(NULL, 0), LOADER_UNKNOWN);

	/* bzImage: each required mark missing, and truncated headers. */
	make_bz(bz);
	put(bz + 0x1fe, 0xaa56, 2);
	assert_int_equal(loader_detect(bz, sizeof(bz)), LOADER_UNKNOWN);
	make_bz(bz);
	memcpy(bz + 0x202, "HdrZ", 4);
	assert_int_equal(loader_detect(bz, sizeof(bz)), LOADER_UNKNOWN);
	make_bz(bz);
	put(bz + 0x206, 0x020b, 2); /* 2.11: no xloadflags */
	assert_int_equal(loader_detect(bz, sizeof(bz)), LOADER_UNKNOWN);
	make_bz(bz);
	bz[0x211] = 0; /* zImage */
	assert_int_equal(loader_detect(bz, sizeof(bz)), LOADER_UNKNOWN);
	make_bz(bz);
	put(bz + 0x236, 0x2, 2); /* no 64-bit entry */
	assert_int_equal(loader_detect(bz, sizeof(bz)), LOADER_UNKNOWN);
	make_bz(bz);
	assert_int_equal(loader_detect(bz, 0x237), LOADER_UNKNOWN);
	assert_int_equal(loader_detect(bz, 0x200), LOADER_UNKNOWN);

	/* Multiboot: bad checksum, unaligned, beyond 8 KiB, cut short. */
	make_aout(aout, 0x00010003);
	put(aout + 0x28, get(aout + 0x28, 4) + 1, 4);
	assert_int_equal(loader_detect(aout, sizeof(aout)), LOADER_UNKNOWN);
	memset(big, 0, sizeof(big));
	put_mb_header(big + 0x22, 0);
	assert_int_equal(loader_detect(big, sizeof(big)), LOADER_UNKNOWN);
	memset(big, 0, sizeof(big));
	put_mb_header(big + 0x2000, 0);
	assert_int_equal(loader_detect(big, sizeof(big)), LOADER_UNKNOWN);
	memset(big, 0, sizeof(big));
	put_mb_header(big + 0x2000 - 12, 0); /* the last place it may be */
	assert_int_equal(loader_detect(big, sizeof(big)), LOADER_MULTIBOOT);
	assert_int_equal(loader_detect(big, 0x2000 - 1), LOADER_UNKNOWN);

	/* ELF: wrong machine for the class, big-endian, cut short. */
	memset(big, 0, sizeof(big));
	memcpy(big, "\x7f" "ELF\x02\x01\x01", 7);
	put(big + 18, 3, 2);
	assert_int_equal(loader_detect(big, sizeof(big)), LOADER_UNKNOWN);
	put(big + 18, 62, 2);
	assert_int_equal(loader_detect(big, sizeof(big)), LOADER_ELF64);
	assert_int_equal(loader_detect(big, 19), LOADER_UNKNOWN);
	big[5] = 2;
	assert_int_equal(loader_detect(big, sizeof(big)), LOADER_UNKNOWN);
}

/* ---- Linux ---- */

struct regs {
	uint32_t names[LOADER_ENTRY_REGISTERS];
	union hv_register_value values[LOADER_ENTRY_REGISTERS];
	size_t n;
};

static const union hv_register_value *reg(const struct regs *r, uint32_t name)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->names[i] == name)
			return &r->values[i];
	fail_msg("register %#x is not set", name);
	return NULL;
}

static void registers(struct regs *r, const struct loader_boot *b)
{
	r->n = loader_registers(b, r->names, r->values);
	assert_int_equal(r->n, LOADER_ENTRY_REGISTERS);
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = i + 1; j < r->n; j++)
			assert_int_not_equal(r->names[i], r->names[j]);
}

static void expect_segment(const struct regs *r, uint32_t name, uint64_t base, uint32_t limit, uint16_t selector,
			   uint16_t attributes)
{
	const struct hv_x64_segment_register *s = &reg(r, name)->segment;

	assert_int_equal(s->base, base);
	assert_int_equal(s->limit, limit);
	assert_int_equal(s->selector, selector);
	assert_int_equal(s->attributes, attributes);
}

static int linux_load(struct sparse *s, const struct loader_config *cfg, const uint8_t *bz, size_t size,
		      const void *initrd, size_t initrd_size, struct loader_boot *b)
{
	char why[256] = "";
	struct vm_ram_writer w = writer(s);
	int rc = loader_linux_load(&w, cfg, bz, size, initrd, initrd_size, b, why, sizeof(why));

	if (rc)
		fail_msg("refused: %s", why);
	return rc;
}

static void expect_linux_error(const struct loader_config *cfg, const uint8_t *bz, size_t size, const void *initrd,
			       size_t initrd_size, const char *reason)
{
	struct loader_boot b;
	char why[256] = "";

	memset(&b, 0x5a, sizeof(b));
	assert_int_equal(loader_linux_load(&forbidden, cfg, bz, size, initrd, initrd_size, &b, why, sizeof(why)), -1);
	if (!strstr(why, reason))
		fail_msg("'%s' does not say '%s'", why, reason);
	assert_true(boot_is_zero(&b));
	/* A dry run refuses the same. */
	assert_int_equal(loader_linux_load(NULL, cfg, bz, size, initrd, initrd_size, &b, why, sizeof(why)), -1);
}

/* boot_params as the kernel reads it. */
static void check_boot_params(struct sparse *s, const struct loader_boot *b, const uint8_t *bz, const char *cmdline,
			      const struct loader_range *res, unsigned nres)
{
	uint8_t bp[4096], line[LOADER_CMDLINE_MAX];
	size_t header_end = 0x202 + bz[0x201];
	uint64_t initrd_size = b->initrd_end - b->initrd_start;

	sparse_read(s, b->info, bp, sizeof(bp));
	/* Nothing before the setup header; sentinel 0x1ef stays 0. */
	for (size_t i = 0; i < 0x1f1; i++)
		if (i != 0x070 && i != 0x0c0 && i != 0x0c4 && i != 0x1e8 && !(i > 0x70 && i < 0x78) &&
		    !(i > 0xc0 && i < 0xc8))
			assert_int_equal(bp[i], 0);
	/* The setup header copied, less the fields the loader writes. */
	for (size_t i = 0x1f1; i < header_end; i++) {
		bool written = (i >= 0x210 && i < 0x212) || (i >= 0x214 && i < 0x220) || (i >= 0x226 && i < 0x22c) ||
			       (i >= 0x23c && i < 0x240) || (i >= 0x250 && i < 0x258);

		if (!written)
			assert_int_equal(bp[i], bz[i]);
	}
	for (size_t i = header_end; i < 0x2d0; i++)
		assert_int_equal(bp[i], 0);
	assert_int_equal(bp[0x210], 0xff);                 /* type_of_loader */
	assert_int_equal(bp[0x211], 0x01);                 /* loadflags: LOADED_HIGH only */
	assert_int_equal(get(bp + 0x214, 4), b->kernel_start); /* code32_start */
	assert_int_equal(bp[0x226], 0);
	assert_int_equal(bp[0x227], 0);
	assert_int_equal(get(bp + 0x23c, 4), 0);           /* hardware_subarch x86/PC */
	assert_int_equal(get(bp + 0x250, 8), 0);           /* setup_data */
	/* Command line: cmd_line_ptr -> the NUL-terminated string. */
	assert_int_equal(get(bp + 0x228, 4) | get(bp + 0x0c8, 4) << 32, b->cmdline);
	sparse_read(s, b->cmdline, line, sizeof(line));
	assert_int_equal(b->cmdline_length, strlen(cmdline));
	assert_memory_equal(line, cmdline, strlen(cmdline) + 1);
	/* Initrd. */
	assert_int_equal(get(bp + 0x218, 4) | get(bp + 0x0c0, 4) << 32, b->initrd_start);
	assert_int_equal(get(bp + 0x21c, 4) | get(bp + 0x0c4, 4) << 32, initrd_size);
	/* E820: the loader's map, which covers RAM less the reserved ranges. */
	assert_int_equal(bp[0x1e8], b->map_count);
	for (unsigned i = 0; i < b->map_count; i++) {
		const uint8_t *e = bp + 0x2d0 + 20 * i;

		assert_int_equal(get(e, 8), b->map[i].gpa);
		assert_int_equal(get(e + 8, 8), b->map[i].size);
		assert_int_equal(get(e + 16, 4), b->map[i].type);
	}
	for (size_t i = 0x2d0 + 20 * b->map_count; i < sizeof(bp); i++)
		assert_int_equal(bp[i], 0);
	check_map(b->map, b->map_count, b->ram_bytes, res, nres);
}

static void check_kernel_copied(struct sparse *s, uint64_t at, const uint8_t *bz, size_t setup_size, size_t size)
{
	uint8_t *copy = malloc(size - setup_size);

	assert_non_null(copy);
	sparse_read(s, at, copy, size - setup_size);
	assert_memory_equal(copy, bz + setup_size, size - setup_size);
	free(copy);
	assert_int_equal(rd(s, at - 1, 1), 0);
}

static void check_long_mode_area(struct sparse *s, uint64_t area)
{
	/* PML4 -> PDPT -> four directories of 2 MiB pages over [0, 4 GiB). */
	assert_int_equal(rd(s, area, 8), (area + 0x1000) | 3);
	assert_int_equal(rd(s, area + 8, 8), 0);
	for (uint64_t g = 0; g < 4; g++)
		assert_int_equal(rd(s, area + 0x1000 + 8 * g, 8), (area + 0x2000 + g * 0x1000) | 3);
	assert_int_equal(rd(s, area + 0x1000 + 32, 8), 0);
	assert_int_equal(rd(s, area + 0x2000, 8), 0x83);
	assert_int_equal(rd(s, area + 0x2000 + 8, 8), 0x200083);
	assert_int_equal(rd(s, area + 0x3000, 8), 0x40000083);
	assert_int_equal(rd(s, area + 0x5000 + 8 * 511, 8), 0xffe00083);
	/* GDT: null, null, 0x10 64-bit code, 0x18 flat data, 0x20 busy TSS. */
	assert_int_equal(rd(s, area + 0x6000, 8), 0);
	assert_int_equal(rd(s, area + 0x6008, 8), 0);
	assert_int_equal(rd(s, area + 0x6010, 8), 0x00af9b000000ffffull);
	assert_int_equal(rd(s, area + 0x6018, 8), 0x00cf93000000ffffull);
	{
		uint64_t desc = rd(s, area + 0x6020, 8), tss = area + 0x7000;

		assert_int_equal(desc & 0xffff, 0x67);
		assert_int_equal((desc >> 16 & 0xffffff) | (desc >> 56) << 24, tss & 0xffffffff);
		assert_int_equal(desc >> 40 & 0xff, 0x8b);
		assert_int_equal(rd(s, area + 0x6028, 8), tss >> 32);
	}
}

static void test_linux_512m(void **state)
{
	static uint8_t bz[BZ_SIZE];
	static const char cmdline[] = "console=ttyS0 earlyprintk=serial root=/dev/ram0";
	const uint64_t ram = 512 * MIB, area = ram - 0x10000;
	struct sparse *s = sparse_new(ram);
	struct loader_boot b;
	uint8_t initrd[0x2345];

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(0xa0 + i);
	make_bz(bz);
	assert_int_equal(linux_load(s, &(struct loader_config){ .ram_bytes = ram, .cmdline = cmdline, .acpi_rsdp = 0xe0000 },
				    bz, sizeof(bz), initrd, sizeof(initrd), &b),
			 0);
	assert_int_equal(b.format, LOADER_LINUX_BZIMAGE);
	assert_int_equal(b.linux_version, 0x020f);
	assert_int_equal(b.area, area);
	assert_int_equal(b.kernel_start, BZ_PREF);
	assert_int_equal(b.kernel_end, BZ_PREF + BZ_INIT_SIZE);
	assert_int_equal(b.entry, BZ_PREF + 0x200);
	assert_int_equal(b.info, area + 0x8000);
	assert_int_equal(b.cmdline, area + 0x9000);
	/* The initrd at the highest page below the boot area. */
	assert_int_equal(b.initrd_start, (area - sizeof(initrd)) & ~0xfffull);
	assert_int_equal(b.initrd_end, b.initrd_start + sizeof(initrd));
	{
		uint8_t copy[sizeof(initrd)];

		sparse_read(s, b.initrd_start, copy, sizeof(copy));
		assert_memory_equal(copy, initrd, sizeof(initrd));
	}
	check_kernel_copied(s, BZ_PREF, bz, BZ_SETUP_SIZE, sizeof(bz));
	check_boot_params(s, &b, bz, cmdline, NULL, 0);
	assert_int_equal(rd(s, b.info + 0x070, 8), 0xe0000); /* acpi_rsdp_addr, protocol 2.15 */
	assert_int_equal(b.map_count, 1);
	check_long_mode_area(s, area);
	sparse_free(s);
}

/* 5 GiB with the 3-4 GiB hole, ACPI tables below the boot area, a reserved
 * page in the hole; no initrd. */
static void test_linux_5g(void **state)
{
	static uint8_t bz[BZ_SIZE];
	const uint64_t ram = 5 * GIB, area = 3 * GIB - 0x10000;
	const struct loader_range res[] = { { area - 0x1000, 0x1000, LOADER_MEMORY_ACPI },
					    { 0xfec00000, 0x1000, LOADER_MEMORY_RESERVED } };
	struct sparse *s = sparse_new(ram);
	struct loader_boot b;
	uint8_t initrd[5000];
	struct regs r;

	memset(initrd, 0x42, sizeof(initrd));
	make_bz(bz);
	assert_int_equal(linux_load(s, &(struct loader_config){ .ram_bytes = ram, .reserved = res, .reserved_count = 2 },
				    bz, sizeof(bz), NULL, 0, &b),
			 0);
	assert_int_equal(b.area, area);
	assert_int_equal(b.initrd_start, 0);
	assert_int_equal(b.initrd_end, 0);
	check_boot_params(s, &b, bz, "", res, 2);
	assert_int_equal(b.map_count, 5);
	assert_int_equal(b.map[0].gpa, 0);
	assert_int_equal(b.map[0].size, area - 0x1000);
	assert_int_equal(b.map[1].type, LOADER_MEMORY_ACPI);
	assert_int_equal(b.map[2].gpa, area);
	assert_int_equal(b.map[2].size, 0x10000);
	assert_int_equal(b.map[3].gpa, 0xfec00000);
	assert_int_equal(b.map[4].gpa, 4 * GIB);
	assert_int_equal(b.map[4].size, 2 * GIB);
	assert_int_equal(rd(s, b.info + 0x070, 8), 0); /* no RSDP given */
	check_kernel_copied(s, BZ_PREF, bz, BZ_SETUP_SIZE, sizeof(bz));
	check_long_mode_area(s, area);
	registers(&r, &b);
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR3)->reg64, area);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSP)->reg64, 3 * GIB);
	sparse_free(s);

	/* An initrd goes below initrd_addr_max (2 GiB), not up to 3 GiB. */
	s = sparse_new(ram);
	assert_int_equal(linux_load(s, &(struct loader_config){ .ram_bytes = ram, .reserved = res, .reserved_count = 2 },
				    bz, sizeof(bz), initrd, sizeof(initrd), &b),
			 0);
	assert_int_equal(b.initrd_start, (2 * GIB - sizeof(initrd)) & ~0xfffull);
	assert_int_equal(rd(s, b.initrd_start + sizeof(initrd) - 1, 1), 0x42);
	sparse_free(s);
}

static void test_linux_registers(void **state)
{
	static uint8_t bz[BZ_SIZE];
	const uint64_t ram = 64 * MIB, area = ram - 0x10000;
	struct loader_boot b;
	struct regs r;
	char why[200];

	make_bz(bz);
	assert_int_equal(loader_linux_load(NULL, &(struct loader_config){ .ram_bytes = ram }, bz, sizeof(bz), NULL, 0,
					   &b, why, sizeof(why)),
			 0);
	registers(&r, &b);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RIP)->reg64, BZ_PREF + 0x200);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSI)->reg64, area + 0x8000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSP)->reg64, ram);
	for (uint32_t n = HV_X64_REGISTER_RAX; n <= HV_X64_REGISTER_R15; n++)
		if (n != HV_X64_REGISTER_RSP && n != HV_X64_REGISTER_RSI)
			assert_int_equal(reg(&r, n)->reg64, 0);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RFLAGS)->reg64, 0x2);       /* IF clear */
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR0)->reg64, 0x80010031);   /* PG WP NE ET PE */
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR3)->reg64, area);
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR4)->reg64, 0x20);         /* PAE */
	assert_int_equal(reg(&r, HV_X64_REGISTER_EFER)->reg64, 0x500);       /* LMA LME */
	expect_segment(&r, HV_X64_REGISTER_CS, 0, 0xffffffff, 0x10, 0xa09b);
	expect_segment(&r, HV_X64_REGISTER_DS, 0, 0xffffffff, 0x18, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_ES, 0, 0xffffffff, 0x18, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_FS, 0, 0xffffffff, 0x18, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_GS, 0, 0xffffffff, 0x18, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_SS, 0, 0xffffffff, 0x18, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_TR, area + 0x7000, 0x67, 0x20, 0x8b);
	expect_segment(&r, HV_X64_REGISTER_LDTR, 0, 0, 0, 0);
	assert_int_equal(reg(&r, HV_X64_REGISTER_GDTR)->table.base, area + 0x6000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_GDTR)->table.limit, 0x2f);
	assert_int_equal(reg(&r, HV_X64_REGISTER_IDTR)->table.limit, 0);
}

/* Where the kernel goes when pref_address is taken, and image fields the
 * loader overrides. */
static void test_linux_placement(void **state)
{
	static uint8_t bz[BZ_SIZE];
	const uint64_t ram = 256 * MIB;
	const struct loader_range in_the_way = { BZ_PREF + MIB, 0x1000, LOADER_MEMORY_RESERVED };
	const struct loader_config cfg = { .ram_bytes = ram, .reserved = &in_the_way, .reserved_count = 1 };
	struct sparse *s = sparse_new(ram);
	struct loader_boot b, dry;
	char why[200];

	/* Relocatable: the next kernel_alignment boundary after the range. */
	make_bz(bz);
	bz[0x211] = 0xe1;         /* the image's QUIET, KEEP_SEGMENTS, CAN_USE_HEAP are not kept */
	put(bz + 0x23c, 1, 4);    /* hardware_subarch: reset to x86/PC */
	put(bz + 0x250, 0x1234, 8); /* setup_data: reset */
	assert_int_equal(linux_load(s, &cfg, bz, sizeof(bz), NULL, 0, &b), 0);
	assert_int_equal(b.kernel_start, BZ_PREF + 2 * MIB);
	assert_int_equal(b.entry, BZ_PREF + 2 * MIB + 0x200);
	check_kernel_copied(s, BZ_PREF + 2 * MIB, bz, BZ_SETUP_SIZE, sizeof(bz));
	check_boot_params(s, &b, bz, "", &in_the_way, 1);
	assert_int_equal(rd(s, b.info + 0x214, 4), BZ_PREF + 2 * MIB); /* code32_start */
	/* The dry run plans the same. */
	assert_int_equal(loader_linux_load(NULL, &cfg, bz, sizeof(bz), NULL, 0, &dry, why, sizeof(why)), 0);
	assert_memory_equal(&dry, &b, sizeof(b));
	sparse_free(s);

	/* 16 MiB alignment. */
	s = sparse_new(ram);
	put(bz + 0x230, 0x1000000, 4);
	assert_int_equal(linux_load(s, &cfg, bz, sizeof(bz), NULL, 0, &b), 0);
	assert_int_equal(b.kernel_start, 2 * BZ_PREF);
	sparse_free(s);

	/* Not relocatable: refused. */
	make_bz(bz);
	bz[0x234] = 0;
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "not relocatable");
	put(bz + 0x258, 0x80000, 8);
	expect_linux_error(&(struct loader_config){ .ram_bytes = ram }, bz, sizeof(bz), NULL, 0, "below 1 MiB");

	/* No pref_address: 1 MiB, as boot.rst loads bzImages. */
	s = sparse_new(ram);
	make_bz(bz);
	put(bz + 0x258, 0, 8);
	assert_int_equal(linux_load(s, &(struct loader_config){ .ram_bytes = ram }, bz, sizeof(bz), NULL, 0, &b), 0);
	assert_int_equal(b.kernel_start, MIB);
	sparse_free(s);

	/* init_size smaller than the file: the file's size counts. */
	s = sparse_new(ram);
	make_bz(bz);
	put(bz + 0x260, 0x1000, 4);
	assert_int_equal(linux_load(s, &(struct loader_config){ .ram_bytes = ram }, bz, sizeof(bz), NULL, 0, &b), 0);
	assert_int_equal(b.kernel_end, BZ_PREF + BZ_PM_SIZE);
	sparse_free(s);

	/* Kernel too big for RAM: 24 MiB ends before pref + init_size; 25 MiB does not. */
	make_bz(bz);
	expect_linux_error(&(struct loader_config){ .ram_bytes = 24 * MIB }, bz, sizeof(bz), NULL, 0, "does not fit");
	expect_linux_error(&(struct loader_config){ .ram_bytes = 16 * MIB }, bz, sizeof(bz), NULL, 0, "does not fit");
	assert_int_equal(loader_linux_load(NULL, &(struct loader_config){ .ram_bytes = 25 * MIB }, bz, sizeof(bz), NULL, 0,
					   &b, why, sizeof(why)),
			 0);
	/* A reserved range pushing a relocatable kernel past the boot area. */
	expect_linux_error(&(struct loader_config){ .ram_bytes = 25 * MIB,
						    .reserved = (struct loader_range[]){ { BZ_PREF, 0x1000, 2 } },
						    .reserved_count = 1 },
			   bz, sizeof(bz), NULL, 0, "does not fit");
}

static void test_linux_initrd(void **state)
{
	static uint8_t bz[BZ_SIZE];
	static uint8_t initrd[16 * MIB];
	struct loader_boot b;
	char why[200];
	const uint64_t ram = 32 * MIB, area = ram - 0x10000;

	make_bz(bz);
	/* Room above the kernel [16 MiB, 24 MiB): under the boot area. */
	assert_int_equal(loader_linux_load(NULL, &(struct loader_config){ .ram_bytes = ram }, bz, sizeof(bz), initrd,
					   4 * MIB, &b, why, sizeof(why)),
			 0);
	assert_int_equal(b.initrd_start, (area - 4 * MIB) & ~0xfffull);
	/* 8 MiB no longer fits above the kernel: below it. */
	assert_int_equal(loader_linux_load(NULL, &(struct loader_config){ .ram_bytes = ram }, bz, sizeof(bz), initrd,
					   8 * MIB, &b, why, sizeof(why)),
			 0);
	assert_int_equal(b.initrd_start, 8 * MIB);
	assert_int_equal(b.initrd_end, 16 * MIB);
	/* A reserved range under the boot area: the initrd goes below it. */
	assert_int_equal(loader_linux_load(NULL,
					   &(struct loader_config){ .ram_bytes = ram,
								    .reserved = (struct loader_range[]){ { area - 0x1800, 0x800, 3 } },
								    .reserved_count = 1 },
					   bz, sizeof(bz), initrd, 0x1001, &b, why, sizeof(why)),
			 0);
	assert_int_equal(b.initrd_start, area - 0x3000);
	/* initrd_addr_max is the highest byte it may use. */
	put(bz + 0x22c, 0x17ffffff, 4);
	assert_int_equal(loader_linux_load(NULL, &(struct loader_config){ .ram_bytes = 1 * GIB }, bz, sizeof(bz), initrd,
					   0x1000, &b, why, sizeof(why)),
			 0);
	assert_int_equal(b.initrd_start, 0x18000000 - 0x1000);
	assert_int_equal(b.initrd_end, 0x18000000);
	make_bz(bz);
	/* 15 MiB just fits below the kernel, from 1 MiB; 16 MiB fits nowhere. */
	assert_int_equal(loader_linux_load(NULL, &(struct loader_config){ .ram_bytes = ram }, bz, sizeof(bz), initrd,
					   15 * MIB, &b, why, sizeof(why)),
			 0);
	assert_int_equal(b.initrd_start, MIB);
	expect_linux_error(&(struct loader_config){ .ram_bytes = ram }, bz, sizeof(bz), initrd, 16 * MIB,
			   "no room for the initrd");
	expect_linux_error(&(struct loader_config){ .ram_bytes = ram }, bz, sizeof(bz), NULL, 100, "no initrd data");
}

static void test_linux_cmdline(void **state)
{
	static uint8_t bz[BZ_SIZE];
	static char line[LOADER_CMDLINE_MAX + 2];
	struct sparse *s = sparse_new(64 * MIB);
	struct loader_boot b;

	make_bz(bz);
	put(bz + 0x238, 4096, 4);
	memset(line, 'x', LOADER_CMDLINE_MAX - 1);
	line[LOADER_CMDLINE_MAX - 1] = '\0';
	/* 2047 characters: the most Keel takes. */
	assert_int_equal(linux_load(s, &(struct loader_config){ .ram_bytes = 64 * MIB, .cmdline = line }, bz, sizeof(bz),
				    NULL, 0, &b),
			 0);
	check_boot_params(s, &b, bz, line, NULL, 0);
	sparse_free(s);
	line[LOADER_CMDLINE_MAX - 1] = 'x';
	line[LOADER_CMDLINE_MAX] = '\0';
	expect_linux_error(&(struct loader_config){ .ram_bytes = 64 * MIB, .cmdline = line }, bz, sizeof(bz), NULL, 0,
			   "longer than 2047 characters");
	line[LOADER_CMDLINE_MAX] = 'x';
	line[LOADER_CMDLINE_MAX + 1] = '\0';
	expect_linux_error(&(struct loader_config){ .ram_bytes = 64 * MIB, .cmdline = line }, bz, sizeof(bz), NULL, 0,
			   "longer than 2047 characters");
	/* The kernel's own cmdline_size. */
	put(bz + 0x238, 255, 4);
	memset(line, 'y', 256);
	line[256] = '\0';
	expect_linux_error(&(struct loader_config){ .ram_bytes = 64 * MIB, .cmdline = line }, bz, sizeof(bz), NULL, 0,
			   "256 characters; this kernel takes at most 255");
	line[255] = '\0';
	s = sparse_new(64 * MIB);
	assert_int_equal(linux_load(s, &(struct loader_config){ .ram_bytes = 64 * MIB, .cmdline = line }, bz, sizeof(bz),
				    NULL, 0, &b),
			 0);
	check_boot_params(s, &b, bz, line, NULL, 0);
	sparse_free(s);
}

static void test_linux_rsdp(void **state)
{
	static uint8_t bz[BZ_SIZE];
	const struct loader_config cfg = { .ram_bytes = 64 * MIB, .acpi_rsdp = 0x3fef000 };
	struct sparse *s;
	struct loader_boot b;

	for (unsigned version = 0x020c; version <= 0x020f; version++) {
		s = sparse_new(64 * MIB);
		make_bz(bz);
		put(bz + 0x206, version, 2);
		assert_int_equal(linux_load(s, &cfg, bz, sizeof(bz), NULL, 0, &b), 0);
		assert_int_equal(b.linux_version, version);
		assert_int_equal(rd(s, b.info + 0x070, 8), version >= 0x020e ? 0x3fef000 : 0);
		sparse_free(s);
	}
}

static void test_linux_rejects(void **state)
{
	static uint8_t bz[BZ_SIZE];
	const struct loader_config cfg = { .ram_bytes = 64 * MIB };

	make_bz(bz);
	expect_linux_error(&cfg, NULL, 0, NULL, 0, "not a Linux kernel");
	expect_linux_error(&cfg, bz, 0x1f0, NULL, 0, "not a Linux kernel");
	expect_linux_error(&cfg, bz, 0x204, NULL, 0, "truncated");
	expect_linux_error(&cfg, bz, 0x250, NULL, 0, "truncated");
	expect_linux_error(&cfg, bz, BZ_SETUP_SIZE, NULL, 0, "truncated Linux kernel: 4 setup sectors");
	expect_linux_error(&cfg, bz, sizeof(bz) - 1, NULL, 0, "syssize");
	put(bz + 0x1fe, 0, 2);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "no boot sector signature");
	make_bz(bz);
	memcpy(bz + 0x202, "HdrX", 4);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "no setup header signature");
	make_bz(bz);
	put(bz + 0x206, 0x020b, 2);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "boot protocol 2.11 is too old");
	make_bz(bz);
	put(bz + 0x206, 0x0205, 2);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "boot protocol 2.05 is too old");
	make_bz(bz);
	bz[0x201] = 0x50; /* header would end at 0x252 */
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "bad setup header");
	bz[0x201] = 0x90; /* at 0x292, past boot_params' room */
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "bad setup header");
	bz[0x201] = 0x6a;
	bz[0x200] = 0xe9;
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "bad setup header");
	make_bz(bz);
	bz[0x211] = 0;
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "LOADED_HIGH");
	make_bz(bz);
	put(bz + 0x236, 0x2, 2);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "no 64-bit entry point");
	make_bz(bz);
	put(bz + 0x260, 0, 4);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "init_size is 0");
	make_bz(bz);
	put(bz + 0x230, 0x300000, 4);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "kernel_alignment");
	put(bz + 0x230, 0x800, 4);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "kernel_alignment");
	make_bz(bz);
	put(bz + 0x258, 0x1000800, 8);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "not page-aligned");
	put(bz + 0x258, ~0ull & ~0xfffull, 8);
	expect_linux_error(&cfg, bz, sizeof(bz), NULL, 0, "does not fit");
	/* setup_sects 0 means 4: the same image loads. */
	make_bz(bz);
	bz[0x1f1] = 0;
	{
		struct loader_boot b;
		char why[200];

		assert_int_equal(loader_linux_load(NULL, &cfg, bz, sizeof(bz), NULL, 0, &b, why, sizeof(why)), 0);
	}
	/* The configuration: RAM size, reserved ranges. */
	make_bz(bz);
	expect_linux_error(&(struct loader_config){ .ram_bytes = 64 * MIB + 4096 }, bz, sizeof(bz), NULL, 0,
			   "not a multiple of 1 MiB");
	expect_linux_error(&(struct loader_config){ .ram_bytes = 0 }, bz, sizeof(bz), NULL, 0, "not a multiple of 1 MiB");
	expect_linux_error(&(struct loader_config){ .ram_bytes = 64 * MIB,
						    .reserved = (struct loader_range[]){ { 64 * MIB - 0x2000, 0x1000, 3 } },
						    .reserved_count = 1 },
			   bz, sizeof(bz), NULL, 0, "overlaps the boot area");
	expect_linux_error(&(struct loader_config){ .ram_bytes = 64 * MIB,
						    .reserved = (struct loader_range[]){ { 0x1000, 0, 3 } },
						    .reserved_count = 1 },
			   bz, sizeof(bz), NULL, 0, "size 0");
}

/* RAM need not be zero: boot_params, the page tables and the TSS are
 * written whole. */
static void test_linux_dirty_ram(void **state)
{
	static uint8_t bz[BZ_SIZE];
	static uint8_t junk[0x10000];
	const uint64_t ram = 64 * MIB, area = ram - 0x10000;
	struct sparse *s = sparse_new(ram);
	struct vm_ram_writer w = writer(s);
	struct loader_boot b;

	memset(junk, 0xee, sizeof(junk));
	w.write(w.ctx, area, junk, sizeof(junk));
	make_bz(bz);
	assert_int_equal(linux_load(s, &(struct loader_config){ .ram_bytes = ram, .cmdline = "quiet" }, bz, sizeof(bz),
				    NULL, 0, &b),
			 0);
	check_boot_params(s, &b, bz, "quiet", NULL, 0);
	check_long_mode_area(s, area);
	for (uint64_t a = area + 0x7000; a < area + 0x7068; a++)
		assert_int_equal(rd(s, a, 1), 0);
	for (uint64_t a = area + 0x2000; a < area + 0x6000; a += 8)
		assert_int_equal(rd(s, a, 8), ((a - area - 0x2000) / 8) << 21 | 0x83);
	for (uint64_t a = area + 0x1020; a < area + 0x2000; a += 8)
		assert_int_equal(rd(s, a, 8), 0);
	sparse_free(s);
}

/* ---- Multiboot ---- */

static int mb_load(struct sparse *s, const struct loader_config *cfg, const uint8_t *k, size_t size,
		   const struct loader_module *mods, unsigned n, struct loader_boot *b)
{
	char why[256] = "";
	struct vm_ram_writer w = writer(s);
	int rc = loader_multiboot_load(&w, cfg, k, size, mods, n, b, why, sizeof(why));

	if (rc)
		fail_msg("refused: %s", why);
	return rc;
}

static void expect_mb_error(const struct loader_config *cfg, const uint8_t *k, size_t size,
			    const struct loader_module *mods, unsigned n, const char *reason)
{
	struct loader_boot b;
	char why[256] = "";

	memset(&b, 0x5a, sizeof(b));
	assert_int_equal(loader_multiboot_load(&forbidden, cfg, k, size, mods, n, &b, why, sizeof(why)), -1);
	if (!strstr(why, reason))
		fail_msg("'%s' does not say '%s'", why, reason);
	assert_true(boot_is_zero(&b));
	assert_int_equal(loader_multiboot_load(NULL, cfg, k, size, mods, n, &b, why, sizeof(why)), -1);
}

struct mbi {
	uint32_t flags, mem_lower, mem_upper, cmdline, mods_count, mods_addr, mmap_length, mmap_addr, name;
};

static struct mbi read_mbi(struct sparse *s, uint64_t at)
{
	return (struct mbi){ (uint32_t)rd(s, at, 4),      (uint32_t)rd(s, at + 4, 4),  (uint32_t)rd(s, at + 8, 4),
			     (uint32_t)rd(s, at + 16, 4), (uint32_t)rd(s, at + 20, 4), (uint32_t)rd(s, at + 24, 4),
			     (uint32_t)rd(s, at + 44, 4), (uint32_t)rd(s, at + 48, 4), (uint32_t)rd(s, at + 64, 4) };
}

static void expect_guest_string(struct sparse *s, uint64_t at, const char *want)
{
	char got[LOADER_CMDLINE_MAX];

	sparse_read(s, at, got, strlen(want) + 1);
	assert_memory_equal(got, want, strlen(want) + 1);
}

/* The mmap at m.mmap_addr lists exactly the loader's map. */
static void check_mmap(struct sparse *s, const struct mbi *m, const struct loader_boot *b)
{
	assert_int_equal(m->mmap_length, 24 * b->map_count);
	for (unsigned i = 0; i < b->map_count; i++) {
		uint64_t e = m->mmap_addr + 24ull * i;

		assert_int_equal(rd(s, e, 4), 20);
		assert_int_equal(rd(s, e + 4, 8), b->map[i].gpa);
		assert_int_equal(rd(s, e + 12, 8), b->map[i].size);
		assert_int_equal(rd(s, e + 20, 4), b->map[i].type);
	}
}

static void test_multiboot_aout(void **state)
{
	static uint8_t k[AOUT_SIZE];
	const uint64_t ram = 512 * MIB, area = ram - 0x10000;
	struct sparse *s = sparse_new(ram);
	struct vm_ram_writer w = writer(s);
	struct loader_boot b;
	struct mbi m;
	uint8_t junk[0x4000];

	/* Dirty RAM where the .bss goes: it must come out zero. */
	memset(junk, 0xee, sizeof(junk));
	w.write(w.ctx, AOUT_LOAD, junk, sizeof(junk));
	make_aout(k, 0x00010003);
	assert_int_equal(mb_load(s, &(struct loader_config){ .ram_bytes = ram, .cmdline = "kernel -v" }, k, sizeof(k),
				 NULL, 0, &b),
			 0);
	assert_int_equal(b.format, LOADER_MULTIBOOT);
	assert_int_equal(b.entry, AOUT_ENTRY);
	assert_int_equal(b.kernel_start, AOUT_LOAD);
	assert_int_equal(b.kernel_end, AOUT_BSS_END);
	assert_int_equal(b.info, area + 0x8000);
	for (uint64_t a = AOUT_LOAD; a < AOUT_LOAD_END; a++)
		assert_int_equal(rd(s, a, 1), k[a - AOUT_LOAD]);
	for (uint64_t a = AOUT_LOAD_END; a < AOUT_BSS_END; a++)
		assert_int_equal(rd(s, a, 1), 0);

	m = read_mbi(s, b.info);
	assert_int_equal(m.flags, 0x24d); /* mem, cmdline, mods, mmap, boot loader name */
	assert_int_equal(m.mem_lower, 640);
	assert_int_equal(m.mem_upper, (ram - MIB) / KIB);
	assert_int_equal(m.cmdline, area + 0x9000);
	expect_guest_string(s, m.cmdline, "kernel -v");
	assert_int_equal(m.mods_count, 0);
	expect_guest_string(s, m.name, "Keel");
	check_mmap(s, &m, &b);
	assert_int_equal(b.map_count, 1);
	/* GDT: null, 0x08 flat 32-bit code, 0x10 flat data, 0x18 busy TSS. */
	assert_int_equal(rd(s, area + 0x6000, 8), 0);
	assert_int_equal(rd(s, area + 0x6008, 8), 0x00cf9b000000ffffull);
	assert_int_equal(rd(s, area + 0x6010, 8), 0x00cf93000000ffffull);
	assert_int_equal(rd(s, area + 0x6018, 8) >> 40 & 0xff, 0x8b);
	sparse_free(s);

	/* load_end_addr 0: the whole file; bss_end_addr 0: no .bss. */
	s = sparse_new(ram);
	put(k + 0x34, 0, 4);
	put(k + 0x38, 0, 4);
	assert_int_equal(mb_load(s, &(struct loader_config){ .ram_bytes = ram }, k, sizeof(k), NULL, 0, &b), 0);
	assert_int_equal(b.kernel_end, AOUT_LOAD + AOUT_SIZE);
	assert_int_equal(rd(s, AOUT_LOAD + AOUT_SIZE - 1, 1), file_byte(AOUT_SIZE - 1));
	expect_guest_string(s, read_mbi(s, b.info).cmdline, "");
	sparse_free(s);

	/* A header further in: load_addr below header_addr by its offset. */
	s = sparse_new(ram);
	make_aout(k, 0x00010000);
	memmove(k + 0x400, k + 0x20, 32);
	memset(k + 0x20, 0, 32);
	put(k + 0x40c, AOUT_LOAD + 0x400, 4);
	assert_int_equal(mb_load(s, &(struct loader_config){ .ram_bytes = ram }, k, sizeof(k), NULL, 0, &b), 0);
	assert_int_equal(rd(s, AOUT_LOAD + 0x400, 4), MB_MAGIC);
	sparse_free(s);
}

static void test_multiboot_registers(void **state)
{
	static uint8_t k[AOUT_SIZE];
	const uint64_t ram = 5 * GIB, area = 3 * GIB - 0x10000;
	struct loader_boot b;
	struct regs r;
	char why[200];

	make_aout(k, 0x00010002);
	assert_int_equal(loader_multiboot_load(NULL, &(struct loader_config){ .ram_bytes = ram }, k, sizeof(k), NULL, 0,
					       &b, why, sizeof(why)),
			 0);
	registers(&r, &b);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RIP)->reg64, AOUT_ENTRY);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RAX)->reg64, 0x2badb002);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RBX)->reg64, area + 0x8000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSP)->reg64, 3 * GIB);
	for (uint32_t n = HV_X64_REGISTER_RAX; n <= HV_X64_REGISTER_R15; n++)
		if (n != HV_X64_REGISTER_RSP && n != HV_X64_REGISTER_RAX && n != HV_X64_REGISTER_RBX)
			assert_int_equal(reg(&r, n)->reg64, 0);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RFLAGS)->reg64, 0x2);  /* IF, VM clear */
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR0)->reg64, 0x31);    /* PE ET NE, PG clear */
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR3)->reg64, 0);
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR4)->reg64, 0);
	assert_int_equal(reg(&r, HV_X64_REGISTER_EFER)->reg64, 0);
	expect_segment(&r, HV_X64_REGISTER_CS, 0, 0xffffffff, 0x08, 0xc09b);
	expect_segment(&r, HV_X64_REGISTER_DS, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_ES, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_FS, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_GS, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_SS, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_TR, area + 0x7000, 0x67, 0x18, 0x8b);
	assert_int_equal(reg(&r, HV_X64_REGISTER_GDTR)->table.base, area + 0x6000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_GDTR)->table.limit, 0x1f);
	assert_int_equal(reg(&r, HV_X64_REGISTER_IDTR)->table.limit, 0);
}

static void test_multiboot_elf(void **state)
{
	static uint8_t k[ELF_SIZE];
	const uint64_t ram = 64 * MIB;

	for (int cls = 32; cls <= 64; cls += 32) {
		struct sparse *s = sparse_new(ram);
		struct vm_ram_writer w = writer(s);
		struct loader_boot b;
		uint8_t junk[0x2000];

		memset(junk, 0xee, sizeof(junk));
		w.write(w.ctx, 0x200000 + ELF_SIZE, junk, sizeof(junk));
		make_elf(k, cls, 0x200000, 0x3);
		assert_int_equal(mb_load(s, &(struct loader_config){ .ram_bytes = ram }, k, sizeof(k), NULL, 0, &b), 0);
		assert_int_equal(b.entry, 0x200100);
		assert_int_equal(b.kernel_start, 0x200000);
		assert_int_equal(b.kernel_end, 0x200000 + ELF_SIZE + 0x2000);
		for (uint64_t a = 0; a < ELF_SIZE; a++)
			assert_int_equal(rd(s, 0x200000 + a, 1), k[a]);
		for (uint64_t a = ELF_SIZE; a < ELF_SIZE + 0x2000; a++)
			assert_int_equal(rd(s, 0x200000 + a, 1), 0);
		assert_int_equal(read_mbi(s, b.info).flags, 0x24d);
		sparse_free(s);
	}
	/* With flag bit 16 the address fields win, ELF or not. */
	make_elf(k, 32, 0x200000, 0x00010000);
	put(k + 0x8c, 0x300080, 4); /* header_addr: the file loads at 0x300000 */
	put(k + 0x90, 0x300000, 4);
	put(k + 0x94, 0, 4);
	put(k + 0x98, 0, 4);
	put(k + 0x9c, 0x300100, 4);
	{
		struct loader_boot b;
		char why[200];

		assert_int_equal(loader_multiboot_load(NULL, &(struct loader_config){ .ram_bytes = ram }, k, sizeof(k), NULL,
						       0, &b, why, sizeof(why)),
				 0);
		assert_int_equal(b.kernel_start, 0x300000);
		assert_int_equal(b.entry, 0x300100);
	}
	/* ELF segments are checked as vm_elf_check does, and against reserved ranges. */
	make_elf(k, 32, 0x200000, 0x3);
	expect_mb_error(&(struct loader_config){ .ram_bytes = 2 * MIB }, k, sizeof(k), NULL, 0, "does not fit");
	expect_mb_error(&(struct loader_config){ .ram_bytes = ram,
						 .reserved = (struct loader_range[]){ { 0x202000, 0x1000, 2 } },
						 .reserved_count = 1 },
			k, sizeof(k), NULL, 0, "overlaps the reserved range");
	put(k + 24, 0x900000, 4);
	expect_mb_error(&(struct loader_config){ .ram_bytes = ram }, k, sizeof(k), NULL, 0, "entry point");
	memset(k, 0, 4);
	expect_mb_error(&(struct loader_config){ .ram_bytes = ram }, k, sizeof(k), NULL, 0, "not an ELF file");
}

static void test_multiboot_modules(void **state)
{
	static uint8_t k[AOUT_SIZE], m0[0x1800], m2[0x10];
	const uint64_t ram = 64 * MIB, area = ram - 0x10000;
	const struct loader_module mods[] = {
		{ m0, sizeof(m0), "first.bin arg=1" },
		{ NULL, 0, NULL },
		{ m2, sizeof(m2), "third" },
	};
	struct sparse *s = sparse_new(ram);
	struct loader_boot b;
	struct mbi m;

	memset(m0, 0x11, sizeof(m0));
	memset(m2, 0x33, sizeof(m2));
	make_aout(k, 0x00010001);
	assert_int_equal(mb_load(s, &(struct loader_config){ .ram_bytes = ram }, k, sizeof(k), mods, 3, &b), 0);
	/* In order, page-aligned, after the kernel's .bss. */
	assert_int_equal(b.module_count, 3);
	assert_int_equal(b.module_start[0], AOUT_BSS_END);
	assert_int_equal(b.module_end[0], AOUT_BSS_END + sizeof(m0));
	assert_int_equal(b.module_start[1], AOUT_BSS_END + 0x2000);
	assert_int_equal(b.module_end[1], AOUT_BSS_END + 0x2000);
	assert_int_equal(b.module_start[2], AOUT_BSS_END + 0x2000);
	m = read_mbi(s, b.info);
	assert_int_equal(m.mods_count, 3);
	assert_int_equal(m.mods_addr, area + 0x8400);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t e = m.mods_addr + 16 * i;

		assert_int_equal(rd(s, e, 4), b.module_start[i]);
		assert_int_equal(rd(s, e + 4, 4), b.module_end[i]);
		assert_int_equal(rd(s, e, 4) % 4096, 0);
		assert_int_equal(rd(s, e + 12, 4), 0);
	}
	expect_guest_string(s, rd(s, m.mods_addr + 8, 4), "first.bin arg=1");
	assert_int_equal(rd(s, m.mods_addr + 16 + 8, 4), 0); /* no string */
	expect_guest_string(s, rd(s, m.mods_addr + 32 + 8, 4), "third");
	assert_true(rd(s, m.mods_addr + 8, 4) >= area + 0x9800);
	assert_true(rd(s, m.mods_addr + 32 + 8, 4) < area + 0xc000);
	assert_int_equal(rd(s, b.module_start[0], 1), 0x11);
	assert_int_equal(rd(s, b.module_end[0] - 1, 1), 0x11);
	assert_int_equal(rd(s, b.module_start[2], 1), 0x33);
	sparse_free(s);

	/* A reserved range in the way is skipped. */
	s = sparse_new(ram);
	assert_int_equal(mb_load(s,
				 &(struct loader_config){ .ram_bytes = ram,
							  .reserved = (struct loader_range[]){ { AOUT_BSS_END + 0x1000, 0x10, 2 } },
							  .reserved_count = 1 },
				 k, sizeof(k), mods, 3, &b),
			 0);
	assert_int_equal(b.module_start[0], AOUT_BSS_END + 0x2000);
	assert_int_equal(b.module_start[2], AOUT_BSS_END + 0x4000);
	sparse_free(s);

	/* No room: the modules would reach the boot area. */
	{
		static uint8_t big[3 * MIB];
		const struct loader_module fits[] = { { big, 2 * MIB - AOUT_BSS_END - 0x10000, NULL } };
		const struct loader_module too_big[] = { { m0, sizeof(m0), NULL },
							 { big, 2 * MIB - AOUT_BSS_END - 0x10000, NULL } };
		struct loader_boot dry;
		char why[200];

		assert_int_equal(loader_multiboot_load(NULL, &(struct loader_config){ .ram_bytes = 2 * MIB }, k, sizeof(k),
						       fits, 1, &dry, why, sizeof(why)),
				 0);
		assert_int_equal(dry.module_end[0], 2 * MIB - 0x10000);
		expect_mb_error(&(struct loader_config){ .ram_bytes = 2 * MIB }, k, sizeof(k), too_big, 2,
				"no room for modules: module 1");
		expect_mb_error(&(struct loader_config){ .ram_bytes = 2 * MIB }, k, sizeof(k),
				(struct loader_module[]){ { big, sizeof(big), NULL } }, 1, "no room for modules");
	}
}

static void test_multiboot_memory(void **state)
{
	static uint8_t k[AOUT_SIZE];
	const struct loader_range low_reserved[] = { { 0x9fc00, 0x400, LOADER_MEMORY_RESERVED },
						     { 0x800000, 0x1000, LOADER_MEMORY_ACPI } };
	struct loader_boot b;
	struct sparse *s;
	struct mbi m;

	make_aout(k, 0x00010002);
	/* 5 GiB: mem_upper up to the hole, the map past it. */
	s = sparse_new(5 * GIB);
	assert_int_equal(mb_load(s, &(struct loader_config){ .ram_bytes = 5 * GIB }, k, sizeof(k), NULL, 0, &b), 0);
	m = read_mbi(s, b.info);
	assert_int_equal(m.mem_lower, 640);
	assert_int_equal(m.mem_upper, (3 * GIB - MIB) / KIB);
	check_mmap(s, &m, &b);
	assert_int_equal(b.map_count, 2);
	assert_int_equal(rd(s, m.mmap_addr + 24 + 4, 8), 4 * GIB);
	assert_int_equal(rd(s, m.mmap_addr + 24 + 12, 8), 2 * GIB);
	check_map(b.map, b.map_count, 5 * GIB, NULL, 0);
	sparse_free(s);

	/* Reserved ranges cut mem_lower and mem_upper short. */
	s = sparse_new(64 * MIB);
	assert_int_equal(mb_load(s, &(struct loader_config){ .ram_bytes = 64 * MIB, .reserved = low_reserved,
							     .reserved_count = 2 },
				 k, sizeof(k), NULL, 0, &b),
			 0);
	m = read_mbi(s, b.info);
	assert_int_equal(m.mem_lower, 639);
	assert_int_equal(m.mem_upper, (0x800000 - MIB) / KIB);
	check_mmap(s, &m, &b);
	check_map(b.map, b.map_count, 64 * MIB, low_reserved, 2);
	sparse_free(s);

	/* 2 MiB: mem_upper to the end of RAM. */
	s = sparse_new(2 * MIB);
	assert_int_equal(mb_load(s, &(struct loader_config){ .ram_bytes = 2 * MIB }, k, sizeof(k), NULL, 0, &b), 0);
	assert_int_equal(read_mbi(s, b.info).mem_upper, 1024);
	sparse_free(s);
}

static void test_multiboot_rejects(void **state)
{
	static uint8_t k[AOUT_SIZE];
	static char line[LOADER_CMDLINE_MAX + 1];
	static char long_string[LOADER_CMDLINE_MAX + 1];
	const struct loader_config cfg = { .ram_bytes = 64 * MIB };
	struct loader_module many[LOADER_MODULES_MAX + 1];

	make_aout(k, 0x00010003);
	put(k + 0x28, get(k + 0x28, 4) ^ 1, 4);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "bad checksum");
	make_aout(k, 0x00010007);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "video mode");
	make_aout(k, 0x00010020);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "unsupported multiboot features (flags 0x20)");
	make_aout(k, 0x80010000); /* optional bits 17-31 are ignored */
	{
		struct loader_boot b;
		char why[200];

		assert_int_equal(loader_multiboot_load(NULL, &cfg, k, sizeof(k), NULL, 0, &b, why, sizeof(why)), 0);
	}
	memset(k, 0, sizeof(k));
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "no multiboot header");
	expect_mb_error(&cfg, NULL, 0, NULL, 0, "no multiboot header");
	make_aout(k, 0x00000003);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "not an ELF file");

	/* a.out address fields that do not add up. */
	make_aout(k, 0x00010000);
	expect_mb_error(&cfg, k, 0x30, NULL, 0, "truncated multiboot header");
	put(k + 0x30, AOUT_LOAD + 0x24, 4);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "lies above header_addr");
	put(k + 0x30, AOUT_LOAD - 0x10, 4);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "before the header");
	make_aout(k, 0x00010000);
	put(k + 0x34, AOUT_LOAD, 4);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "not above load_addr");
	put(k + 0x34, AOUT_LOAD + AOUT_SIZE + 1, 4);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "truncated multiboot kernel");
	make_aout(k, 0x00010000);
	put(k + 0x38, AOUT_LOAD_END - 1, 4);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "bss_end_addr");
	make_aout(k, 0x00010000);
	put(k + 0x3c, AOUT_LOAD_END, 4);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "entry_addr");
	make_aout(k, 0x00010000);
	put(k + 0x38, 64 * MIB - 0x10000 + 1, 4); /* .bss into the boot area */
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "does not fit");
	expect_mb_error(&(struct loader_config){ .ram_bytes = 64 * MIB,
						 .reserved = (struct loader_range[]){ { AOUT_LOAD_END, 0x10, 2 } },
						 .reserved_count = 1 },
			k, sizeof(k), NULL, 0, "does not fit");
	make_aout(k, 0x00010000);
	put(k + 0x2c, 0x20, 4); /* header_addr: the file would load at 0 */
	put(k + 0x30, 0, 4);
	put(k + 0x34, 0, 4);
	put(k + 0x38, 0, 4);
	put(k + 0x3c, 0x40, 4);
	expect_mb_error(&cfg, k, sizeof(k), NULL, 0, "does not fit");

	/* Command line and module limits. */
	make_aout(k, 0x00010000);
	memset(line, 'c', LOADER_CMDLINE_MAX);
	line[LOADER_CMDLINE_MAX] = '\0';
	expect_mb_error(&(struct loader_config){ .ram_bytes = 64 * MIB, .cmdline = line }, k, sizeof(k), NULL, 0,
			"longer than 2047 characters");
	for (unsigned i = 0; i <= LOADER_MODULES_MAX; i++)
		many[i] = (struct loader_module){ k, 16, NULL };
	expect_mb_error(&cfg, k, sizeof(k), many, LOADER_MODULES_MAX + 1, "17 modules (at most 16)");
	expect_mb_error(&cfg, k, sizeof(k), NULL, 1, "no module list");
	expect_mb_error(&cfg, k, sizeof(k), (struct loader_module[]){ { NULL, 5, NULL } }, 1, "module 0 has no data");
	memset(long_string, 's', LOADER_CMDLINE_MAX);
	expect_mb_error(&cfg, k, sizeof(k), (struct loader_module[]){ { k, 1, long_string } }, 1,
			"module 0's string is longer");
	long_string[LOADER_CMDLINE_MAX - 1] = '\0';
	for (unsigned i = 0; i < 6; i++)
		many[i] = (struct loader_module){ k, 16, long_string };
	{
		struct loader_boot b;
		char why[200];

		/* Five strings of 2 KiB fit in 10 KiB; six do not. */
		assert_int_equal(loader_multiboot_load(NULL, &cfg, k, sizeof(k), many, 5, &b, why, sizeof(why)), 0);
	}
	expect_mb_error(&cfg, k, sizeof(k), many, 6, "module strings take more than");
	expect_mb_error(&(struct loader_config){ .ram_bytes = 64 * MIB,
						 .reserved = (struct loader_range[]){ { 64 * MIB - 0x100, 0x200, 2 } },
						 .reserved_count = 1 },
			k, sizeof(k), NULL, 0, "overlaps the boot area");
}

/* Module strings land in the strings region, all five long ones. */
static void test_multiboot_module_strings(void **state)
{
	static uint8_t k[AOUT_SIZE];
	static char strings[5][LOADER_CMDLINE_MAX];
	struct loader_module mods[5];
	struct sparse *s = sparse_new(64 * MIB);
	struct loader_boot b;
	struct mbi m;

	make_aout(k, 0x00010000);
	for (unsigned i = 0; i < 5; i++) {
		memset(strings[i], 'a' + i, LOADER_CMDLINE_MAX - 1);
		strings[i][LOADER_CMDLINE_MAX - 1] = '\0';
		mods[i] = (struct loader_module){ k, 0x100, strings[i] };
	}
	assert_int_equal(mb_load(s, &(struct loader_config){ .ram_bytes = 64 * MIB }, k, sizeof(k), mods, 5, &b), 0);
	m = read_mbi(s, b.info);
	for (unsigned i = 0; i < 5; i++) {
		uint64_t at = rd(s, m.mods_addr + 16 * i + 8, 4);

		assert_true(at >= b.area + 0x9800 && at + LOADER_CMDLINE_MAX <= b.area + 0xc000);
		expect_guest_string(s, at, strings[i]);
		assert_int_equal(b.module_start[i], AOUT_BSS_END + 0x1000 * i);
	}
	sparse_free(s);
}

/* ---- The host's own kernel ---- */

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
		data = malloc((size_t)n);
		if (data && fread(data, 1, (size_t)n, f) == (size_t)n)
			*size = (size_t)n;
		else {
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	return data;
}

static void test_real_bzimage(void **state)
{
	const char *path = getenv("KEEL_TEST_BZIMAGE");
	glob_t g = { 0 };
	uint8_t *bz;
	size_t size = 0, setup_size;
	struct sparse *s;
	struct loader_boot b;
	uint8_t initrd[4096];
	struct regs r;

	if (!path || !*path) {
		if (glob("/boot/vmlinuz-*", 0, NULL, &g) || !g.gl_pathc) {
			globfree(&g);
			print_message("no /boot/vmlinuz-* on this host\n");
			skip();
		}
		path = g.gl_pathv[0];
	}
	bz = read_file(path, &size);
	if (!bz) {
		globfree(&g);
		print_message("%s is not readable\n", path);
		skip();
	}
	print_message("%s: %zu bytes, protocol %u.%02u, init_size %#llx\n", path, size, bz[0x207], bz[0x206],
		      (unsigned long long)get(bz + 0x260, 4));
	assert_int_equal(loader_detect(bz, size), LOADER_LINUX_BZIMAGE);
	setup_size = ((size_t)(bz[0x1f1] ? bz[0x1f1] : 4) + 1) * 512;
	memset(initrd, 0x77, sizeof(initrd));
	s = sparse_new(1 * GIB);
	assert_int_equal(linux_load(s,
				    &(struct loader_config){ .ram_bytes = 1 * GIB, .cmdline = "console=ttyS0",
							     .acpi_rsdp = 0x3ffe0000 },
				    bz, size, initrd, sizeof(initrd), &b),
			 0);
	assert_int_equal(b.kernel_start, get(bz + 0x258, 8));
	assert_true(b.kernel_end - b.kernel_start >= get(bz + 0x260, 4));
	check_kernel_copied(s, b.kernel_start, bz, setup_size, size);
	check_boot_params(s, &b, bz, "console=ttyS0", NULL, 0);
	registers(&r, &b);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RIP)->reg64, b.kernel_start + 0x200);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSI)->reg64, b.info);
	sparse_free(s);
	free(bz);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_map),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_detect_rejects),
		cmocka_unit_test(test_linux_512m),
		cmocka_unit_test(test_linux_5g),
		cmocka_unit_test(test_linux_registers),
		cmocka_unit_test(test_linux_placement),
		cmocka_unit_test(test_linux_initrd),
		cmocka_unit_test(test_linux_cmdline),
		cmocka_unit_test(test_linux_rsdp),
		cmocka_unit_test(test_linux_rejects),
		cmocka_unit_test(test_linux_dirty_ram),
		cmocka_unit_test(test_multiboot_aout),
		cmocka_unit_test(test_multiboot_registers),
		cmocka_unit_test(test_multiboot_elf),
		cmocka_unit_test(test_multiboot_modules),
		cmocka_unit_test(test_multiboot_memory),
		cmocka_unit_test(test_multiboot_rejects),
		cmocka_unit_test(test_multiboot_module_strings),
		cmocka_unit_test(test_real_bzimage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
