/*
 * Host unit test for what `vm create` accepts and what `vm start` builds
 * (parent/vm_parse.c, parent/vm_image.c): names, memory sizes, the create
 * options, guest images checked against docs/guests.md on crafted ELF
 * headers, and the boot area and entry registers of both modes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parent/vm_image.h"
#include "parent/vm_parse.h"

#define MIB (1ull << 20)

/* ---- names ---- */

static void test_names(void **state)
{
	char longest[VM_NAME_LEN_MAX + 2];

	assert_true(vm_name_valid("a"));
	assert_true(vm_name_valid("web-1_X"));
	assert_true(vm_name_valid("0"));
	memset(longest, 'n', VM_NAME_LEN_MAX);
	longest[VM_NAME_LEN_MAX] = '\0';
	assert_true(vm_name_valid(longest));
	longest[VM_NAME_LEN_MAX] = 'n';
	longest[VM_NAME_LEN_MAX + 1] = '\0';
	assert_false(vm_name_valid(longest));
	assert_false(vm_name_valid(""));
	assert_false(vm_name_valid("a b"));
	assert_false(vm_name_valid("a.b"));
	assert_false(vm_name_valid("a/b"));
	assert_false(vm_name_valid("caf\xc3\xa9"));
}

/* ---- sizes ---- */

static void expect_size(const char *text, uint64_t want)
{
	char why[128] = "";
	uint64_t bytes = 0;

	assert_int_equal(vm_parse_memory(text, &bytes, why, sizeof(why)), 0);
	assert_int_equal(bytes, want);
}

static void expect_size_error(const char *text, const char *reason)
{
	char why[128] = "";
	uint64_t bytes = 12345;

	assert_int_equal(vm_parse_memory(text, &bytes, why, sizeof(why)), -1);
	assert_int_equal(bytes, 12345);
	assert_non_null(strstr(why, reason));
}

static void test_memory(void **state)
{
	expect_size("1M", MIB);
	expect_size("64M", 64 * MIB);
	expect_size("1536MiB", 1536 * MIB);
	expect_size("3G", 3ull << 30);
	expect_size("1048576", MIB);
	expect_size("2048K", 2 * MIB);
	expect_size_error("lots", "does not parse");
	expect_size_error("", "does not parse");
	expect_size_error("64X", "does not parse");
	expect_size_error("-1M", "does not parse");
	expect_size_error("0", "out of range");
	expect_size_error("512K", "out of range");
	expect_size("3073M", 3073 * MIB);
	expect_size("5G", 5ull << 30);
	expect_size("256G", 256ull << 30);
	expect_size_error("257G", "out of range");
	expect_size_error("262145M", "out of range");
	expect_size_error("1025K", "not a multiple of 1 MiB");
	expect_size_error("1048577", "not a multiple of 1 MiB");
}

static void test_format_size(void **state)
{
	char buf[24];

	vm_format_size(3ull << 30, buf, sizeof(buf));
	assert_string_equal(buf, "3G");
	vm_format_size(1536 * MIB, buf, sizeof(buf));
	assert_string_equal(buf, "1536M");
	vm_format_size(MIB, buf, sizeof(buf));
	assert_string_equal(buf, "1M");
	vm_format_size(4096, buf, sizeof(buf));
	assert_string_equal(buf, "4 KiB");
	vm_format_size(0, buf, sizeof(buf));
	assert_string_equal(buf, "0 bytes");
}

/* ---- create options ---- */

/* Split `line` (words separated by single blanks) into argv. */
static int split(char *line, char **argv)
{
	int argc = 0;

	for (char *w = strtok(line, " "); w; w = strtok(NULL, " "))
		argv[argc++] = w;
	return argc;
}

static void expect_create(const char *text, const char *name, const char *image, const char *memory)
{
	char line[128], why[128] = "", *argv[16];
	struct vm_create_args a;
	int argc;

	strcpy(line, text);
	argc = split(line, argv);
	assert_int_equal(vm_parse_create(argc, argv, &a, why, sizeof(why)), 0);
	assert_string_equal(a.name, name);
	assert_string_equal(a.image, image);
	assert_string_equal(a.memory, memory);
}

static void expect_create_error(const char *text, const char *reason)
{
	char line[128], why[128] = "", *argv[16];
	struct vm_create_args a;
	int argc;

	strcpy(line, text);
	argc = split(line, argv);
	assert_int_equal(vm_parse_create(argc, argv, &a, why, sizeof(why)), -1);
	assert_non_null(strstr(why, reason));
}

static void test_vcpus(void **state)
{
	char why[128];
	unsigned n = 0;

	assert_int_equal(vm_parse_vcpus("1", &n, why, sizeof(why)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(vm_parse_vcpus("64", &n, why, sizeof(why)), 0);
	assert_int_equal(n, 64);
	assert_int_equal(vm_parse_vcpus("0", &n, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "out of range"));
	assert_int_equal(vm_parse_vcpus("65", &n, why, sizeof(why)), -1);
	assert_int_equal(vm_parse_vcpus("1000", &n, why, sizeof(why)), -1);
	assert_int_equal(vm_parse_vcpus("", &n, why, sizeof(why)), -1);
	assert_int_equal(vm_parse_vcpus("2x", &n, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a number"));
	assert_int_equal(n, 64);
}

static void test_create_args(void **state)
{
	expect_create("vm create web --image guest64 --memory 64M", "web", "guest64", "64M");
	expect_create("vm create --memory 1M --image g web", "web", "g", "1M");
	expect_create("vm create --image g web --memory 2M", "web", "g", "2M");
	expect_create_error("vm create", "no name");
	expect_create_error("vm create --image g --memory 1M", "no name");
	expect_create_error("vm create web --image g", "no --memory");
	expect_create_error("vm create web --image g --memory", "--memory needs a value");
	expect_create_error("vm create web --image g --memory 1M --cpus 2", "unknown option '--cpus'");
	{
		char line[] = "vm create lx --kernel k --initrd i --cmdline console=ttyS0 --module a --module b --vcpus 4 --memory 64M";
		char why[128] = "", *argv[32];
		struct vm_create_args a;
		int argc = split(line, argv);

		assert_int_equal(vm_parse_create(argc, argv, &a, why, sizeof(why)), 0);
		assert_string_equal(a.initrd, "i");
		assert_string_equal(a.cmdline, "console=ttyS0");
		assert_string_equal(a.vcpus, "4");
		assert_int_equal(a.module_count, 2);
		assert_string_equal(a.modules[0], "a");
		assert_string_equal(a.modules[1], "b");
	}
	{
		char line[512] = "vm create lx --kernel k --memory 64M", why[128] = "", *argv[64];
		struct vm_create_args a;
		int argc;

		for (int i = 0; i <= VM_MODULES_MAX; i++)
			strcat(line, " --module m");
		argc = split(line, argv);
		assert_int_equal(vm_parse_create(argc, argv, &a, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "too many --module"));
	}
	expect_create_error("vm create web --image g --image h --memory 1M", "--image given twice");
	expect_create_error("vm create web --image g --kernel h --memory 1M", "--kernel given twice");
	expect_create("vm create lx --kernel linux --memory 512M", "lx", "linux", "512M");
	expect_create_error("vm create web --memory 1M", "no --kernel");
	expect_create_error("vm create web --kernel g --memory 1M --initrd", "--initrd needs a value");
	expect_create_error("vm create web --kernel g --memory 1M --vcpus 1 --vcpus 2", "--vcpus given twice");
	expect_create_error("vm create web other --image g --memory 1M", "unexpected word 'other'");
}

/* ---- crafted ELF images ---- */

struct seg {
	uint32_t type;
	uint64_t paddr, filesz, memsz;
};

struct elf_file {
	uint8_t bytes[8192];
	size_t size;
	size_t phoff;      /* where the program headers start */
	size_t data[VM_ELF_SEGMENTS + 1]; /* file offset of each segment's bytes */
};

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An ELF image of class 64 or 32 whose segment i holds filesz bytes of
 * value 0x11 * (i + 1). */
static void make_elf(struct elf_file *f, int cls, uint16_t machine, uint64_t entry, const struct seg *segs,
		     unsigned n)
{
	bool is64 = cls == 64;
	size_t eh = is64 ? 64 : 52, ph = is64 ? 56 : 32, at = eh + ph * n;
	uint8_t *b = f->bytes;

	memset(f, 0, sizeof(*f));
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = is64 ? 2 : 1;
	b[5] = 1;
	b[6] = 1;
	put(b + 16, 2, 2); /* ET_EXEC */
	put(b + 18, machine, 2);
	put(b + 20, 1, 4);
	put(b + 24, entry, is64 ? 8 : 4);
	put(b + (is64 ? 32 : 28), eh, is64 ? 8 : 4);
	put(b + (is64 ? 52 : 40), eh, 2);
	put(b + (is64 ? 54 : 42), ph, 2);
	put(b + (is64 ? 56 : 44), n, 2);
	f->phoff = eh;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = b + eh + i * ph;

		assert_true(at + segs[i].filesz <= sizeof(f->bytes));
		f->data[i] = at;
		memset(b + at, 0x11 * (i + 1), segs[i].filesz);
		put(p, segs[i].type, 4);
		if (is64) {
			put(p + 4, 7, 4);
			put(p + 8, at, 8);
			put(p + 16, segs[i].paddr, 8);
			put(p + 24, segs[i].paddr, 8);
			put(p + 32, segs[i].filesz, 8);
			put(p + 40, segs[i].memsz, 8);
		} else {
			put(p + 4, at, 4);
			put(p + 8, segs[i].paddr, 4);
			put(p + 12, segs[i].paddr, 4);
			put(p + 16, segs[i].filesz, 4);
			put(p + 20, segs[i].memsz, 4);
			put(p + 24, 7, 4);
		}
		at += segs[i].filesz;
	}
	f->size = at;
}

static const struct seg one_seg[] = { { 1, 0x100000, 0x100, 0x1000 } };

static void expect_elf_error(const struct elf_file *f, uint64_t ram, const char *reason)
{
	struct vm_elf e;
	char why[160] = "";

	assert_int_equal(vm_elf_check(f->bytes, f->size, ram, &e, why, sizeof(why)), -1);
	if (!strstr(why, reason))
		fail_msg("reason '%s' does not contain '%s'", why, reason);
}

static void test_elf_valid(void **state)
{
	static const struct seg segs[] = {
		{ 1, 0x200000, 0x40, 0x40 }, { 4, 0, 0, 0 }, { 1, 0x300000, 0x10, 0x2000 },
	};
	struct elf_file f;
	struct vm_elf e;
	char why[160] = "";

	make_elf(&f, 64, 62, 0x300100, segs, 3); /* entry in the .bss part: still inside */
	assert_int_equal(vm_elf_check(f.bytes, f.size, 4 * MIB, &e, why, sizeof(why)), 0);
	assert_true(e.long_mode);
	assert_int_equal(e.entry, 0x300100);
	assert_int_equal(e.segment_count, 2); /* the PT_NOTE is skipped */
	assert_int_equal(e.segments[0].paddr, 0x200000);
	assert_int_equal(e.segments[0].offset, f.data[0]);
	assert_int_equal(e.segments[0].filesz, 0x40);
	assert_int_equal(e.segments[1].paddr, 0x300000);
	assert_int_equal(e.segments[1].offset, f.data[2]);
	assert_int_equal(e.segments[1].filesz, 0x10);
	assert_int_equal(e.segments[1].memsz, 0x2000);

	make_elf(&f, 32, 3, 0x100010, one_seg, 1);
	assert_int_equal(vm_elf_check(f.bytes, f.size, 2 * MIB, &e, why, sizeof(why)), 0);
	assert_false(e.long_mode);
	assert_int_equal(e.entry, 0x100010);
	assert_int_equal(e.segment_count, 1);
	assert_int_equal(e.segments[0].memsz, 0x1000);
}

static void test_elf_unaligned(void **state)
{
	static uint8_t copy[sizeof(((struct elf_file *)0)->bytes) + 1];
	struct elf_file f;
	struct vm_elf e;
	char why[160] = "";

	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	memcpy(copy + 1, f.bytes, f.size);
	assert_int_equal(vm_elf_check(copy + 1, f.size, 2 * MIB, &e, why, sizeof(why)), 0);
	assert_int_equal(e.segments[0].paddr, 0x100000);
}

static void test_elf_not_elf(void **state)
{
	struct elf_file f;

	memset(&f, 0, sizeof(f));
	strcpy((char *)f.bytes, "version\nhv info\n");
	f.size = strlen((char *)f.bytes);
	expect_elf_error(&f, 2 * MIB, "not an ELF file");
	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	f.size = 15;
	expect_elf_error(&f, 2 * MIB, "not an ELF file");
	f.size = 63;
	expect_elf_error(&f, 2 * MIB, "truncated ELF header");
	make_elf(&f, 32, 3, 0x100000, one_seg, 1);
	f.size = 51;
	expect_elf_error(&f, 2 * MIB, "truncated ELF header");
}

static void test_elf_unsupported(void **state)
{
	struct elf_file f;

	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	f.bytes[4] = 3;
	expect_elf_error(&f, 2 * MIB, "unsupported ELF class 3");
	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	f.bytes[5] = 2;
	expect_elf_error(&f, 2 * MIB, "not a little-endian");
	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	put(f.bytes + 16, 3, 2); /* ET_DYN */
	expect_elf_error(&f, 2 * MIB, "ELF type 3 is not an executable");
	make_elf(&f, 64, 183, 0x100000, one_seg, 1); /* EM_AARCH64 */
	expect_elf_error(&f, 2 * MIB, "unsupported machine 183 for ELF64 (need x86-64)");
	make_elf(&f, 64, 3, 0x100000, one_seg, 1);
	expect_elf_error(&f, 2 * MIB, "unsupported machine 3 for ELF64");
	make_elf(&f, 32, 62, 0x100000, one_seg, 1);
	expect_elf_error(&f, 2 * MIB, "unsupported machine 62 for ELF32 (need i386)");
}

static void test_elf_program_headers(void **state)
{
	static struct seg many[VM_ELF_SEGMENTS + 1];
	struct elf_file f;

	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	put(f.bytes + 54, 64, 2);
	expect_elf_error(&f, 2 * MIB, "program header size 64 is wrong");
	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	put(f.bytes + 32, f.size - 10, 8);
	expect_elf_error(&f, 2 * MIB, "program headers lie beyond the end");
	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	put(f.bytes + 32, ~0ull - 8, 8);
	expect_elf_error(&f, 2 * MIB, "program headers lie beyond the end");
	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	put(f.bytes + 56, 0, 2);
	expect_elf_error(&f, 2 * MIB, "no PT_LOAD segment");
	for (unsigned i = 0; i <= VM_ELF_SEGMENTS; i++)
		many[i] = (struct seg){ 1, 0x100000 + i * 0x1000, 0x10, 0x10 };
	make_elf(&f, 64, 62, 0x100000, many, VM_ELF_SEGMENTS);
	assert_int_equal(vm_elf_check(f.bytes, f.size, 2 * MIB, &(struct vm_elf){ 0 }, (char[160]){ 0 }, 160), 0);
	make_elf(&f, 64, 62, 0x100000, many, VM_ELF_SEGMENTS + 1);
	expect_elf_error(&f, 2 * MIB, "more than 16 PT_LOAD segments");
}

static void test_elf_segments(void **state)
{
	struct elf_file f;
	struct seg s;
	struct vm_elf e;
	char why[160] = "";

	s = (struct seg){ 1, 0x100000, 0x200, 0x100 };
	make_elf(&f, 64, 62, 0x100000, &s, 1);
	expect_elf_error(&f, 2 * MIB, "segment 0: file size 0x200 exceeds its memory size 0x100");
	s = (struct seg){ 1, 0x100000, 0x100, 0x100 };
	make_elf(&f, 64, 62, 0x100000, &s, 1);
	f.size -= 1;
	expect_elf_error(&f, 2 * MIB, "segment 0: its bytes lie beyond the end of the file");
	make_elf(&f, 64, 62, 0x100000, &s, 1);
	put(f.bytes + f.phoff + 8, ~0ull - 0x10, 8); /* p_offset + p_filesz wraps */
	expect_elf_error(&f, 2 * MIB, "its bytes lie beyond the end of the file");

	/* [0x1000, RAM - 64 KiB): the first page and the boot area are refused. */
	s = (struct seg){ 1, 0xfff, 0x10, 0x10 };
	make_elf(&f, 64, 62, 0xfff, &s, 1);
	expect_elf_error(&f, MIB, "does not fit: segment 0 at 0xfff-0x100f is outside [0x1000, 0xf0000)");
	s = (struct seg){ 1, 0x1000, 0x10, 0xef000 };
	make_elf(&f, 64, 62, 0x1000, &s, 1);
	assert_int_equal(vm_elf_check(f.bytes, f.size, MIB, &e, why, sizeof(why)), 0);
	s.memsz++;
	make_elf(&f, 64, 62, 0x1000, &s, 1);
	expect_elf_error(&f, MIB, "does not fit: segment 0 at 0x1000-0xf0001");
	s = (struct seg){ 1, 0x100000, 0x10, 0x10 };
	make_elf(&f, 64, 62, 0x100000, &s, 1);
	expect_elf_error(&f, MIB, "does not fit");
	assert_int_equal(vm_elf_check(f.bytes, f.size, 2 * MIB, &e, why, sizeof(why)), 0);
	s = (struct seg){ 1, 0xfffffffffffff000ull, 0x10, 0x2000 };
	make_elf(&f, 64, 62, 0xfffffffffffff000ull, &s, 1);
	expect_elf_error(&f, 3ull << 30, "beyond 2^64");
	s = (struct seg){ 1, 0x100000, 0x10, 0x10 };
	make_elf(&f, 64, 62, 0x100000, &s, 1);
	expect_elf_error(&f, 0x8000, "does not fit"); /* less RAM than the boot area */
}

static void test_elf_entry(void **state)
{
	static const struct seg segs[] = { { 1, 0x100000, 0x10, 0x20 }, { 1, 0x200000, 0x10, 0x10 } };
	struct elf_file f;

	make_elf(&f, 64, 62, 0x100020, segs, 2);
	expect_elf_error(&f, 4 * MIB, "entry point 0x100020 is not inside a segment");
	make_elf(&f, 64, 62, 0xfffff, segs, 2);
	expect_elf_error(&f, 4 * MIB, "entry point 0xfffff is not inside a segment");
	make_elf(&f, 32, 3, 0x180000, segs, 2);
	expect_elf_error(&f, 4 * MIB, "entry point 0x180000 is not inside a segment");
}

/* ---- the boot image ---- */

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* A flat buffer standing for guest-physical [0, size). */
struct flat {
	uint8_t *bytes;
	uint64_t size;
};

static void flat_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct flat *f = ctx;

	assert_true(gpa <= f->size && len <= f->size - gpa);
	memcpy(f->bytes + gpa, src, len);
}

static void build_flat(uint8_t *ram, uint64_t ram_bytes, const void *image, const struct vm_elf *e)
{
	struct flat f = { ram, ram_bytes };

	vm_image_build(&(struct vm_ram_writer){ flat_write, &f }, ram_bytes, image, e);
}

static void test_image_64(void **state)
{
	static const struct seg segs[] = { { 1, 0x1000, 0x30, 0x30 }, { 1, 0x80000, 0x20, 0x3000 } };
	const uint64_t ram_bytes = 2 * MIB, tables = ram_bytes - 0x10000, gdt = ram_bytes - 0x8000,
		       tss = ram_bytes - 0x7000;
	struct elf_file f;
	struct vm_elf e;
	char why[160];
	uint8_t *ram = calloc(1, ram_bytes);
	uint64_t desc;

	make_elf(&f, 64, 62, 0x1000, segs, 2);
	assert_int_equal(vm_elf_check(f.bytes, f.size, ram_bytes, &e, why, sizeof(why)), 0);
	build_flat(ram, ram_bytes, f.bytes, &e);

	/* Segments at p_paddr, .bss zero, nothing around them. */
	assert_int_equal(ram[0xfff], 0);
	assert_int_equal(ram[0x1000], 0x11);
	assert_int_equal(ram[0x102f], 0x11);
	assert_int_equal(ram[0x1030], 0);
	assert_int_equal(ram[0x80000], 0x22);
	assert_int_equal(ram[0x8001f], 0x22);
	for (uint64_t a = 0x80020; a < 0x83000; a++)
		assert_int_equal(ram[a], 0);

	/* PML4 -> PDPT -> 4 page directories of 2 MiB pages over [0, 4 GiB). */
	assert_int_equal(get64(ram + tables), (tables + 0x1000) | 3);
	assert_int_equal(get64(ram + tables + 8), 0);
	for (uint64_t g = 0; g < 4; g++)
		assert_int_equal(get64(ram + tables + 0x1000 + 8 * g), (tables + 0x2000 + g * 0x1000) | 3);
	assert_int_equal(get64(ram + tables + 0x1000 + 32), 0);
	assert_int_equal(get64(ram + tables + 0x2000), 0x83);
	assert_int_equal(get64(ram + tables + 0x2000 + 8), 0x200083);
	assert_int_equal(get64(ram + tables + 0x3000), 0x40000083);
	assert_int_equal(get64(ram + tables + 0x5000 + 8 * 511), 0xffe00083);
	assert_int_equal(get64(ram + tables + 0x6000), 0); /* nothing past the 4th directory */

	/* GDT: null, 64-bit code, flat data, a 16-byte busy TSS. */
	assert_int_equal(get64(ram + gdt), 0);
	assert_int_equal(get64(ram + gdt + 0x08), 0x00af9b000000ffffull);
	assert_int_equal(get64(ram + gdt + 0x10), 0x00cf93000000ffffull);
	desc = get64(ram + gdt + 0x18);
	assert_int_equal(desc & 0xffff, 0x67);                            /* limit 15:0 */
	assert_int_equal((desc >> 16 & 0xffffff) | (desc >> 56) << 24, tss); /* base 31:0 */
	assert_int_equal(desc >> 40 & 0xff, 0x8b);                         /* P, busy TSS */
	assert_int_equal(desc >> 48 & 0xff, 0);                            /* limit 19:16, flags */
	assert_int_equal(get64(ram + gdt + 0x20), 0);                      /* base 63:32 */
	for (uint64_t a = tss; a < tss + 0x68; a++)
		assert_int_equal(ram[a], 0);
	free(ram);
}

static void test_image_32(void **state)
{
	const uint64_t ram_bytes = MIB, tables = ram_bytes - 0x10000, gdt = ram_bytes - 0x8000;
	struct elf_file f;
	struct vm_elf e;
	char why[160];
	uint8_t *ram = calloc(1, ram_bytes);
	uint64_t desc;

	make_elf(&f, 32, 3, 0x1000, &(struct seg){ 1, 0x1000, 0x10, 0x10 }, 1);
	assert_int_equal(vm_elf_check(f.bytes, f.size, ram_bytes, &e, why, sizeof(why)), 0);
	build_flat(ram, ram_bytes, f.bytes, &e);
	assert_int_equal(ram[0x1000], 0x11);

	/* One page directory of 4 MiB pages over [0, 4 GiB). */
	assert_int_equal(get32(ram + tables), 0x83);
	assert_int_equal(get32(ram + tables + 4), 0x400083);
	assert_int_equal(get32(ram + tables + 4 * 1023), 0xffc00083);
	assert_int_equal(get64(ram + tables + 0x1000), 0);

	assert_int_equal(get64(ram + gdt + 0x08), 0x00cf9b000000ffffull);
	assert_int_equal(get64(ram + gdt + 0x10), 0x00cf93000000ffffull);
	desc = get64(ram + gdt + 0x18);
	assert_int_equal((desc >> 16 & 0xffffff) | (desc >> 56) << 24, ram_bytes - 0x7000);
	assert_int_equal(desc >> 40 & 0xff, 0x8b);
	assert_int_equal(get64(ram + gdt + 0x20), 0);
	free(ram);
}

struct regs {
	uint32_t names[VM_ENTRY_REGISTERS];
	union hv_register_value values[VM_ENTRY_REGISTERS];
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

static void registers(struct regs *r, int cls, uint64_t ram_bytes, uint64_t entry)
{
	struct elf_file f;
	struct vm_elf e;
	char why[160];

	make_elf(&f, cls, cls == 64 ? 62 : 3, entry, one_seg, 1);
	assert_int_equal(vm_elf_check(f.bytes, f.size, ram_bytes, &e, why, sizeof(why)), 0);
	r->n = vm_image_registers(ram_bytes, &e, r->names, r->values);
	assert_int_equal(r->n, VM_ENTRY_REGISTERS);
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

static void test_registers_64(void **state)
{
	const uint64_t ram_bytes = 64 * MIB;
	struct regs r;

	registers(&r, 64, ram_bytes, 0x100040);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RIP)->reg64, 0x100040);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSP)->reg64, ram_bytes - 0x10000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RDI)->reg64, ram_bytes);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSI)->reg64, ram_bytes);
	for (uint32_t n = HV_X64_REGISTER_RAX; n <= HV_X64_REGISTER_R15; n++)
		if (n != HV_X64_REGISTER_RSP && n != HV_X64_REGISTER_RDI && n != HV_X64_REGISTER_RSI)
			assert_int_equal(reg(&r, n)->reg64, 0);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RFLAGS)->reg64, 0x2);
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR0)->reg64, 0x80010031); /* PG WP NE ET PE */
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR3)->reg64, ram_bytes - 0x10000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR4)->reg64, 0x20);       /* PAE */
	assert_int_equal(reg(&r, HV_X64_REGISTER_EFER)->reg64, 0xd00);     /* NXE LMA LME */
	expect_segment(&r, HV_X64_REGISTER_CS, 0, 0xffffffff, 0x08, 0xa09b);
	expect_segment(&r, HV_X64_REGISTER_DS, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_ES, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_FS, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_GS, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_SS, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_TR, ram_bytes - 0x7000, 0x67, 0x18, 0x8b);
	expect_segment(&r, HV_X64_REGISTER_LDTR, 0, 0, 0, 0);
	assert_int_equal(reg(&r, HV_X64_REGISTER_GDTR)->table.base, ram_bytes - 0x8000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_GDTR)->table.limit, 0x27);
	assert_int_equal(reg(&r, HV_X64_REGISTER_IDTR)->table.base, 0);
	assert_int_equal(reg(&r, HV_X64_REGISTER_IDTR)->table.limit, 0);
}

static void test_registers_32(void **state)
{
	const uint64_t ram_bytes = 3ull << 30;
	struct regs r;

	registers(&r, 32, ram_bytes, 0x100000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RIP)->reg64, 0x100000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSP)->reg64, ram_bytes - 0x10000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RDI)->reg64, ram_bytes);
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR0)->reg64, 0x80010031);
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR3)->reg64, ram_bytes - 0x10000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR4)->reg64, 0x10); /* PSE */
	assert_int_equal(reg(&r, HV_X64_REGISTER_EFER)->reg64, 0);
	expect_segment(&r, HV_X64_REGISTER_CS, 0, 0xffffffff, 0x08, 0xc09b);
	expect_segment(&r, HV_X64_REGISTER_SS, 0, 0xffffffff, 0x10, 0xc093);
	expect_segment(&r, HV_X64_REGISTER_TR, ram_bytes - 0x7000, 0x67, 0x18, 0x8b);
	assert_int_equal(reg(&r, HV_X64_REGISTER_GDTR)->table.base, ram_bytes - 0x8000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_GDTR)->table.limit, 0x1f);
	assert_int_equal(reg(&r, HV_X64_REGISTER_IDTR)->table.limit, 0);
}

/* RAM above 3 GiB: 3 GiB below the hole, the rest from 4 GiB; the boot
 * area at the top of the low part, where RSP, CR3, GDTR and TR point. */
static void test_layout_above_3g(void **state)
{
	const uint64_t ram_bytes = 5ull << 30, low = 3ull << 30;
	struct regs r;

	assert_int_equal(vm_low_ram(MIB), MIB);
	assert_int_equal(vm_low_ram(low), low);
	assert_int_equal(vm_low_ram(ram_bytes), low);
	assert_int_equal(vm_ram_gpa(ram_bytes, 0), 0);
	assert_int_equal(vm_ram_gpa(ram_bytes, low - 1), low - 1);
	assert_int_equal(vm_ram_gpa(ram_bytes, low), 4ull << 30);
	assert_int_equal(vm_ram_gpa(ram_bytes, ram_bytes - 1), (6ull << 30) - 1);
	/* Tables: 2560 page tables (+2), 6 directories, a PDPT, the PML4. */
	assert_true(vm_slat_pages(ram_bytes) >= 2560 + 6 + 1 + 1);
	assert_true(vm_slat_pages(ram_bytes) <= 2560 + 6 + 1 + 1 + 8);
	assert_true(vm_slat_pages(MIB) >= 1 + 1 + 1 + 1);

	registers(&r, 64, ram_bytes, 0x100000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSP)->reg64, low - 0x10000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_CR3)->reg64, low - 0x10000);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RDI)->reg64, ram_bytes);
	assert_int_equal(reg(&r, HV_X64_REGISTER_RSI)->reg64, low);
	expect_segment(&r, HV_X64_REGISTER_TR, low - 0x7000, 0x67, 0x18, 0x8b);
	assert_int_equal(reg(&r, HV_X64_REGISTER_GDTR)->table.base, low - 0x8000);
}

/* Writes into a 5 GiB layout go only to the image and the boot area. */
static uint64_t write_lo, write_hi;

static void range_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	(void)ctx;
	(void)src;
	if (gpa < write_lo)
		write_lo = gpa;
	if (gpa + len > write_hi)
		write_hi = gpa + len;
}

static void test_image_above_3g(void **state)
{
	struct elf_file f;
	struct vm_elf e;
	char why[160];

	make_elf(&f, 64, 62, 0x100000, one_seg, 1);
	assert_int_equal(vm_elf_check(f.bytes, f.size, 5ull << 30, &e, why, sizeof(why)), 0);
	write_lo = ~0ull;
	write_hi = 0;
	vm_image_build(&(struct vm_ram_writer){ range_write, NULL }, 5ull << 30, f.bytes, &e);
	assert_int_equal(write_lo, one_seg[0].paddr);
	assert_int_equal(write_hi, 3ull << 30); /* the boot area ends at the hole */
	/* A segment must lie below the boot area in low RAM, not above 4 GiB. */
	make_elf(&f, 64, 62, 0x100000000ull, &(struct seg){ 1, 0x100000000ull, 0x10, 0x10 }, 1);
	assert_int_equal(vm_elf_check(f.bytes, f.size, 5ull << 30, &e, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "does not fit"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_vcpus),
		cmocka_unit_test(test_elf_valid),
		cmocka_unit_test(test_elf_unaligned),
		cmocka_unit_test(test_elf_not_elf),
		cmocka_unit_test(test_elf_unsupported),
		cmocka_unit_test(test_elf_program_headers),
		cmocka_unit_test(test_elf_segments),
		cmocka_unit_test(test_elf_entry),
		cmocka_unit_test(test_image_64),
		cmocka_unit_test(test_image_32),
		cmocka_unit_test(test_registers_64),
		cmocka_unit_test(test_registers_32),
		cmocka_unit_test(test_layout_above_3g),
		cmocka_unit_test(test_image_above_3g),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
