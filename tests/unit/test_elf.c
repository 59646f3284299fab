/*
 * Unit tests for boot/elf.c: ELF64 images are built in memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/elf.h"

#define HV_BASE 0xffffffff80000000ull
#define FILE_MAX 8192

/* An image under construction: header, up to 20 program headers, then data. */
struct image {
	unsigned char bytes[FILE_MAX];
	size_t size;
	struct elf64_ehdr eh;
	struct elf64_phdr ph[20];
};

static struct image img;
static struct elf_image out;
static char err[ELF_ERROR_LEN];

static void image_init(uint64_t entry)
{
	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, "\x7f" "ELF", 4);
	img.eh.e_ident[4] = ELF_CLASS_64;
	img.eh.e_ident[5] = ELF_DATA_LSB;
	img.eh.e_ident[6] = ELF_VERSION_CUR;
	img.eh.e_type = ELF_TYPE_EXEC;
	img.eh.e_machine = ELF_MACHINE_X8664;
	img.eh.e_version = ELF_VERSION_CUR;
	img.eh.e_entry = entry;
	img.eh.e_phoff = sizeof(struct elf64_ehdr);
	img.eh.e_ehsize = sizeof(struct elf64_ehdr);
	img.eh.e_phentsize = sizeof(struct elf64_phdr);
	img.size = 0x1000; /* data starts at 0x1000 */
}

/* Append a program header; filesz bytes of pattern `fill` go at the end of the file. */
static struct elf64_phdr *image_add(uint32_t type, uint64_t vaddr, uint64_t paddr,
				    uint64_t filesz, uint64_t memsz, unsigned char fill)
{
	struct elf64_phdr *ph = &img.ph[img.eh.e_phnum++];
	ph->p_type = type;
	ph->p_flags = 4;
	ph->p_offset = img.size;
	ph->p_vaddr = vaddr;
	ph->p_paddr = paddr;
	ph->p_filesz = filesz;
	ph->p_memsz = memsz;
	ph->p_align = 0x1000;
	assert_true(img.size + filesz <= FILE_MAX);
	memset(img.bytes + img.size, fill, filesz);
	img.size += filesz;
	return ph;
}

/* Lay the header and program headers into the byte image. */
static void image_finish(void)
{
	memcpy(img.bytes, &img.eh, sizeof(img.eh));
	memcpy(img.bytes + sizeof(img.eh), img.ph, sizeof(img.ph[0]) * img.eh.e_phnum);
}

static int parse_image(void)
{
	image_finish();
	memset(err, 'x', sizeof(err));
	return elf_parse(img.bytes, img.size, &out, err, sizeof(err));
}

static void expect_error(const char *want)
{
	int rc = parse_image();
	if (rc == 0 || strcmp(err, want) != 0)
		fail_msg("rc %d, got \"%s\", wanted \"%s\"", rc, err, want);
}

/* The hypervisor's shape: text, rodata, data + bss, linked high. */
static void build_good_hv(void)
{
	image_init(HV_BASE + 0x1010);
	image_add(ELF_PT_LOAD, HV_BASE + 0x1000, HV_BASE + 0x1000, 0x300, 0x300, 0xc3);
	image_add(6 /* PT_PHDR */, 0, 0, 0, 0, 0);
	image_add(ELF_PT_LOAD, HV_BASE + 0x2000, HV_BASE + 0x2000, 0x80, 0x80, 0x11);
	image_add(ELF_PT_LOAD, HV_BASE + 0x3000, HV_BASE + 0x3000, 0x40, 0x5000, 0x22);
	image_add(0x6474e551 /* PT_GNU_STACK */, 0, 0, 0, 0, 0);
}

static void test_good_hypervisor(void **state)
{
	build_good_hv();
	assert_int_equal(parse_image(), 0);
	assert_string_equal(err, "");
	assert_int_equal(out.entry, HV_BASE + 0x1010);
	assert_int_equal(out.segment_count, 3);
	assert_int_equal(out.vaddr_min, HV_BASE + 0x1000);
	assert_int_equal(out.vaddr_end, HV_BASE + 0x8000);
	assert_int_equal(out.paddr_min, HV_BASE + 0x1000);
	assert_int_equal(out.paddr_end, HV_BASE + 0x8000);

	const struct elf_segment *s = &out.segments[2];
	assert_int_equal(s->vaddr, HV_BASE + 0x3000);
	assert_int_equal(s->filesz, 0x40);
	assert_int_equal(s->memsz, 0x5000);
	assert_int_equal(s->offset, 0x1000 + 0x300 + 0x80);
	assert_int_equal(img.bytes[s->offset], 0x22);
	assert_int_equal(out.segments[0].offset, 0x1000);
	assert_int_equal(out.segments[0].flags, 4);
}

static void test_good_identity_parent(void **state)
{
	/* Segments listed out of address order; a zero-sized PT_LOAD is skipped. */
	image_init(0x1000000);
	image_add(ELF_PT_LOAD, 0x1200000, 0x1200000, 0x10, 0x2000, 0xaa);
	image_add(ELF_PT_LOAD, 0x1000000, 0x1000000, 0x100, 0x100, 0xbb);
	image_add(ELF_PT_LOAD, 0x5000000, 0x5000000, 0, 0, 0);
	assert_int_equal(parse_image(), 0);
	assert_int_equal(out.segment_count, 2);
	assert_int_equal(out.paddr_min, 0x1000000);
	assert_int_equal(out.paddr_end, 0x1202000);
	assert_int_equal(out.vaddr_min, 0x1000000);
	assert_int_equal(out.vaddr_end, 0x1202000);
}

static void test_entry_at_segment_edges(void **state)
{
	image_init(0x400000);
	image_add(ELF_PT_LOAD, 0x400000, 0x400000, 0x10, 0x10, 0x90);
	assert_int_equal(parse_image(), 0);

	image_init(0x40000f);
	image_add(ELF_PT_LOAD, 0x400000, 0x400000, 0x10, 0x10, 0x90);
	assert_int_equal(parse_image(), 0);

	image_init(0x400010);
	image_add(ELF_PT_LOAD, 0x400000, 0x400000, 0x10, 0x10, 0x90);
	expect_error("entry point 0x400010 lies outside the loadable segments");

	image_init(0x3fffff);
	image_add(ELF_PT_LOAD, 0x400000, 0x400000, 0x10, 0x10, 0x90);
	expect_error("entry point 0x3fffff lies outside the loadable segments");
}

static void test_segment_at_end_of_file(void **state)
{
	/* File bytes exactly up to the end of the file are fine. */
	build_good_hv();
	assert_int_equal(parse_image(), 0);
	img.size -= 1;
	expect_error("segment 3: data lies outside the file");
}

static void test_not_elf(void **state)
{
	assert_int_equal(elf_parse("", 0, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "not an ELF file");
	assert_int_equal(elf_parse("\x7f" "EL", 3, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "not an ELF file");
	assert_int_equal(elf_parse("MZ\x90\x00 this is a PE file", 22, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "not an ELF file");
	assert_int_equal(elf_parse("#!/bin/sh\n", 10, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "not an ELF file");
}

static void test_truncated_header(void **state)
{
	build_good_hv();
	image_finish();
	assert_int_equal(elf_parse(img.bytes, 63, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "truncated ELF header (file is 63 bytes)");
	assert_int_equal(elf_parse(img.bytes, 4, &out, err, sizeof(err)), -1);
	assert_string_equal(err, "truncated ELF header (file is 4 bytes)");
}

static void test_wrong_class_data_machine(void **state)
{
	build_good_hv();
	img.eh.e_ident[4] = 1; /* ELFCLASS32 */
	expect_error("not an x86-64 ELF (it is a 32-bit ELF)");

	build_good_hv();
	img.eh.e_ident[5] = 2; /* ELFDATA2MSB */
	expect_error("not an x86-64 ELF (it is big-endian)");

	build_good_hv();
	img.eh.e_machine = 3; /* EM_386 */
	expect_error("not an x86-64 ELF (e_machine is 3)");

	build_good_hv();
	img.eh.e_machine = 183; /* EM_AARCH64 */
	expect_error("not an x86-64 ELF (e_machine is 183)");
}

static void test_version_and_type(void **state)
{
	build_good_hv();
	img.eh.e_ident[6] = 0;
	expect_error("unsupported ELF version");

	build_good_hv();
	img.eh.e_version = 2;
	expect_error("unsupported ELF version");

	build_good_hv();
	img.eh.e_type = 3; /* ET_DYN */
	expect_error("not an executable ELF (e_type is 3, ET_EXEC is needed)");

	build_good_hv();
	img.eh.e_type = 1; /* ET_REL */
	expect_error("not an executable ELF (e_type is 1, ET_EXEC is needed)");
}

static void test_program_header_table(void **state)
{
	build_good_hv();
	img.eh.e_phnum = 0;
	expect_error("no program headers");

	build_good_hv();
	img.eh.e_phentsize = 32;
	expect_error("bad program header size 32 (expected 56)");

	build_good_hv();
	img.eh.e_phoff = img.size;
	expect_error("program headers lie outside the file");

	build_good_hv();
	img.eh.e_phoff = img.size - 56 * 5 + 1;
	expect_error("program headers lie outside the file");

	build_good_hv();
	img.eh.e_phoff = 0xfffffffffffffff0ull;
	expect_error("program headers lie outside the file");

	/* e_phoff exactly fitting the table at the end of the file is fine. */
	build_good_hv();
	image_finish();
	memcpy(img.bytes + img.size, img.ph, 56 * 5);
	img.eh.e_phoff = img.size;
	img.size += 56 * 5;
	memcpy(img.bytes, &img.eh, sizeof(img.eh));
	assert_int_equal(elf_parse(img.bytes, img.size, &out, err, sizeof(err)), 0);
	assert_int_equal(out.segment_count, 3);
}

static void test_filesz_larger_than_memsz(void **state)
{
	build_good_hv();
	img.ph[2].p_filesz = 0x81;
	expect_error("segment 2: file size 0x81 is larger than memory size 0x80");

	/* Also for a zero-sized segment, which is otherwise skipped. */
	build_good_hv();
	image_add(ELF_PT_LOAD, 0x1000, 0x1000, 0x10, 0, 0);
	expect_error("segment 5: file size 0x10 is larger than memory size 0x0");
}

static void test_data_outside_file(void **state)
{
	build_good_hv();
	img.ph[0].p_offset = img.size + 1;
	expect_error("segment 0: data lies outside the file");

	build_good_hv();
	img.ph[0].p_offset = img.size - 0x10;
	expect_error("segment 0: data lies outside the file");

	build_good_hv();
	img.ph[3].p_offset = 0xffffffffffffffc0ull; /* offset + filesz wraps to 0 */
	expect_error("segment 3: data lies outside the file");
}

static void test_address_overflow(void **state)
{
	build_good_hv();
	img.ph[3].p_vaddr = 0xfffffffffffff000ull; /* + 0x5000 wraps */
	expect_error("segment 3: virtual address range overflows");

	build_good_hv();
	img.ph[0].p_paddr = 0xffffffffffffff00ull;
	expect_error("segment 0: physical address range overflows");
}

static void test_overlap(void **state)
{
	build_good_hv();
	img.ph[2].p_vaddr = HV_BASE + 0x12ff; /* last byte of segment 0 */
	expect_error("segment 2 overlaps an earlier segment");

	build_good_hv();
	img.ph[3].p_vaddr = HV_BASE + 0x1000 - 0x4fff; /* ends one byte into segment 0 */
	expect_error("segment 3 overlaps an earlier segment");

	/* Touching but not overlapping is fine. */
	build_good_hv();
	img.ph[2].p_vaddr = HV_BASE + 0x1300;
	assert_int_equal(parse_image(), 0);
}

static void test_no_loadable_segments(void **state)
{
	image_init(0x1000);
	image_add(4 /* PT_NOTE */, 0, 0, 0x10, 0x10, 0);
	expect_error("no loadable segments");

	image_init(0x1000);
	image_add(ELF_PT_LOAD, 0x1000, 0x1000, 0, 0, 0);
	expect_error("no loadable segments");
}

static void test_too_many_segments(void **state)
{
	image_init(0x10000);
	for (int i = 0; i < ELF_MAX_SEGMENTS; i++)
		image_add(ELF_PT_LOAD, 0x10000 + 0x1000 * (uint64_t)i, 0x10000 + 0x1000 * (uint64_t)i,
			  8, 8, (unsigned char)i);
	assert_int_equal(parse_image(), 0);
	assert_int_equal(out.segment_count, ELF_MAX_SEGMENTS);
	image_add(ELF_PT_LOAD, 0x100000, 0x100000, 8, 8, 0xff);
	expect_error("too many loadable segments (at most 16)");
}

static void test_error_buffer_optional(void **state)
{
	assert_int_equal(elf_parse("nope", 4, &out, NULL, 0), -1);
	char small[8];
	assert_int_equal(elf_parse("nope", 4, &out, small, sizeof(small)), -1);
	assert_string_equal(small, "not an ");
}

static void test_unaligned_buffer(void **state)
{
	/* The parser must not assume the file is aligned. */
	static unsigned char shifted[FILE_MAX + 1];
	build_good_hv();
	image_finish();
	memcpy(shifted + 1, img.bytes, img.size);
	assert_int_equal(elf_parse(shifted + 1, img.size, &out, err, sizeof(err)), 0);
	assert_int_equal(out.segment_count, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_hypervisor),
		cmocka_unit_test(test_good_identity_parent),
		cmocka_unit_test(test_entry_at_segment_edges),
		cmocka_unit_test(test_segment_at_end_of_file),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_wrong_class_data_machine),
		cmocka_unit_test(test_version_and_type),
		cmocka_unit_test(test_program_header_table),
		cmocka_unit_test(test_filesz_larger_than_memsz),
		cmocka_unit_test(test_data_outside_file),
		cmocka_unit_test(test_address_overflow),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_no_loadable_segments),
		cmocka_unit_test(test_too_many_segments),
		cmocka_unit_test(test_error_buffer_optional),
		cmocka_unit_test(test_unaligned_buffer),
	};
	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
