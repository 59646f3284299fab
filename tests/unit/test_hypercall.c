/*
 * Host unit test for the hypercall table (hv/hypercall_table.c) and the
 * checks the dispatcher makes before a handler runs (hv/hypercall_check.c):
 * lookups, access, fast/slow, rep count and start, parameter blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/hypercall_table.h"

/* The handlers are the hypervisor's; the table only names them. */
#define STUB(name) uint16_t name(struct hypercall *hc) { return 0; }
STUB(hc_null) STUB(hc_get_info) STUB(hc_get_vp_state) STUB(hc_guest_memory) STUB(hc_apic_access) STUB(hc_map_window) STUB(hc_unmap_window)
STUB(hc_get_partition_id) STUB(hc_create_partition) STUB(hc_partition_property)
STUB(hc_partition_op) STUB(hc_get_memory_balance) STUB(hc_deposit_memory)
STUB(hc_withdraw_memory) STUB(hc_map_gpa_pages) STUB(hc_unmap_gpa_pages) STUB(hc_create_vp) STUB(hc_assert_virtual_interrupt)
STUB(hc_delete_vp) STUB(hc_get_vp_registers) STUB(hc_set_vp_registers)
STUB(hc_create_port) STUB(hc_delete_port) STUB(hc_connect_port) STUB(hc_disconnect_port)
STUB(hc_post_message) STUB(hc_signal_event)

static uint64_t reps(uint16_t code, uint64_t count, uint64_t start)
{
	return code | count << 32 | start << 48;
}

static const struct hypercall_row *row(uint16_t code)
{
	const struct hypercall_row *r = hypercall_find(hypercall_table, hypercall_table_len, code);

	assert_non_null(r);
	assert_int_equal(r->code, code);
	return r;
}

static uint16_t check(uint64_t control, bool parent)
{
	struct hypercall_shape s;

	return hypercall_check(row(HV_HYPERCALL_CODE(control)), control, parent, &s);
}

static void test_table_is_valid(void **state)
{
	assert_true(hypercall_table_valid(hypercall_table, hypercall_table_len));
	assert_true(hypercall_table_len >= 20);
}

static void test_find(void **state)
{
	for (size_t i = 0; i < hypercall_table_len; i++)
		assert_ptr_equal(hypercall_find(hypercall_table, hypercall_table_len, hypercall_table[i].code),
				 &hypercall_table[i]);
	assert_null(hypercall_find(hypercall_table, hypercall_table_len, 0));
	assert_null(hypercall_find(hypercall_table, hypercall_table_len, 0x0047));
	assert_null(hypercall_find(hypercall_table, hypercall_table_len, 0x7ffe));
	assert_null(hypercall_find(hypercall_table, hypercall_table_len, 0xffff));
	assert_null(hypercall_find(hypercall_table, 0, KEEL_HVCALL_NULL));
}

static void test_reserved_bits(void **state)
{
	static const uint64_t bits[] = { 1ull << 27, 1ull << 31, 1ull << 44, 1ull << 47, 1ull << 60, 1ull << 63 };

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		assert_int_equal(check(KEEL_HVCALL_NULL | bits[i], true), HV_STATUS_INVALID_HYPERCALL_INPUT);
		assert_int_equal(check(reps(HVCALL_DEPOSIT_MEMORY, 1, 0) | bits[i], true),
				 HV_STATUS_INVALID_HYPERCALL_INPUT);
	}
	/* Variable header sizes: no Keel call takes one. */
	assert_int_equal(check(KEEL_HVCALL_NULL | 1ull << 17, true), HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(check(HVCALL_CREATE_PARTITION | 3ull << 17, true), HV_STATUS_INVALID_HYPERCALL_INPUT);
}

static void test_access(void **state)
{
	for (size_t i = 0; i < hypercall_table_len; i++) {
		const struct hypercall_row *r = &hypercall_table[i];
		uint64_t control = r->code | (r->flags & HC_SLOW ? 0 : HV_HYPERCALL_FAST) |
				   (r->flags & HC_REP ? 1ull << 32 : 0);
		struct hypercall_shape s;

		assert_int_equal(hypercall_check(r, control, true, &s), HV_STATUS_SUCCESS);
		assert_int_equal(hypercall_check(r, control, false, &s),
				 r->flags & HC_PARENT_ONLY ? HV_STATUS_ACCESS_DENIED : HV_STATUS_SUCCESS);
	}
	/* What a child may call today. */
	assert_int_equal(check(KEEL_HVCALL_NULL, false), HV_STATUS_SUCCESS);
	assert_int_equal(check(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HYPERCALL_FAST, false), HV_STATUS_SUCCESS);
	assert_int_equal(check(HVCALL_GET_PARTITION_ID, false), HV_STATUS_SUCCESS);
	assert_int_equal(check(KEEL_HVCALL_GET_INFO, false), HV_STATUS_ACCESS_DENIED);
	assert_int_equal(check(reps(HVCALL_MAP_GPA_PAGES, 1, 0), false), HV_STATUS_ACCESS_DENIED);
}

static void test_fast_and_slow(void **state)
{
	assert_int_equal(check(KEEL_HVCALL_NULL | HV_HYPERCALL_FAST, true), HV_STATUS_SUCCESS);
	assert_int_equal(check(KEEL_HVCALL_GET_INFO | HV_HYPERCALL_FAST, true), HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(check(reps(HVCALL_SET_VP_REGISTERS, 1, 0) | HV_HYPERCALL_FAST, true),
			 HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* Access is refused before the form is looked at. */
	assert_int_equal(check(KEEL_HVCALL_GET_INFO | HV_HYPERCALL_FAST, false), HV_STATUS_ACCESS_DENIED);
}

static void test_rep_count_and_start(void **state)
{
	struct hypercall_shape s;
	const struct hypercall_row *dep = row(HVCALL_DEPOSIT_MEMORY);

	/* A simple call takes neither a count nor a start. */
	assert_int_equal(check(reps(HVCALL_CREATE_VP, 1, 0), true), HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(check(reps(HVCALL_CREATE_VP, 0, 1), true), HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(check(reps(KEEL_HVCALL_NULL, 0xfff, 0xfff), true), HV_STATUS_INVALID_HYPERCALL_INPUT);
	/* A rep call needs at least one element, at most its maximum, and a start not past the count. */
	assert_int_equal(check(reps(HVCALL_DEPOSIT_MEMORY, 0, 0), true), HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(check(reps(HVCALL_DEPOSIT_MEMORY, HV_DEPOSIT_MEMORY_MAX_PAGES + 1, 0), true),
			 HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(check(reps(HVCALL_DEPOSIT_MEMORY, 4, 5), true), HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(check(reps(HVCALL_DEPOSIT_MEMORY, 0xfff, 0xfff), true), HV_STATUS_INVALID_HYPERCALL_INPUT);
	assert_int_equal(check(reps(HVCALL_DEPOSIT_MEMORY, 4, 4), true), HV_STATUS_SUCCESS);
	assert_int_equal(check(reps(HVCALL_UNMAP_GPA_PAGES, 0xfff, 0xffe), true), HV_STATUS_SUCCESS);

	assert_int_equal(hypercall_check(dep, reps(HVCALL_DEPOSIT_MEMORY, HV_DEPOSIT_MEMORY_MAX_PAGES, 7), true, &s),
			 HV_STATUS_SUCCESS);
	assert_false(s.fast);
	assert_int_equal(s.rep_start, 7);
	assert_int_equal(s.rep_count, HV_DEPOSIT_MEMORY_MAX_PAGES);
	assert_int_equal(s.in_len, HV_PAGE_SIZE);
	assert_int_equal(s.out_len, 0);

	assert_int_equal(hypercall_check(row(HVCALL_GET_VP_REGISTERS), reps(HVCALL_GET_VP_REGISTERS, 3, 1), true, &s),
			 HV_STATUS_SUCCESS);
	assert_int_equal(s.in_len, sizeof(struct hv_input_vp_registers) + 3 * 4);
	assert_int_equal(s.out_len, 3 * sizeof(union hv_register_value));
	assert_int_equal(hypercall_check(row(HVCALL_GET_VP_REGISTERS),
					 reps(HVCALL_GET_VP_REGISTERS, HV_GET_VP_REGISTERS_MAX, 0), true, &s),
			 HV_STATUS_SUCCESS);
	assert_int_equal(s.out_len, HV_PAGE_SIZE);
}

static void test_blocks(void **state)
{
	assert_int_equal(hypercall_check_block(0x1000, 8), HV_STATUS_SUCCESS);
	assert_int_equal(hypercall_check_block(0x1000, HV_PAGE_SIZE), HV_STATUS_SUCCESS);
	assert_int_equal(hypercall_check_block(0x1000, HV_PAGE_SIZE + 1), HV_STATUS_INVALID_ALIGNMENT);
	assert_int_equal(hypercall_check_block(0x1ff8, 8), HV_STATUS_SUCCESS);
	assert_int_equal(hypercall_check_block(0x1ff8, 16), HV_STATUS_INVALID_ALIGNMENT);
	assert_int_equal(hypercall_check_block(0x1004, 8), HV_STATUS_INVALID_ALIGNMENT);
	assert_int_equal(hypercall_check_block(0x1001, 0), HV_STATUS_INVALID_ALIGNMENT);
	assert_int_equal(hypercall_check_block(~0ull & ~7ull, 8), HV_STATUS_SUCCESS);
	assert_int_equal(hypercall_check_block(~0ull & ~7ull, 16), HV_STATUS_INVALID_ALIGNMENT);
}

static void test_guest_memory_sizes(void **state)
{
	const struct hypercall_row *r = row(KEEL_HVCALL_GUEST_MEMORY);
	struct keel_guest_memory_input in = { .length = 100 };
	size_t il = 0, ol = 0;

	assert_non_null(r->size);
	assert_int_equal(r->size(&in, &il, &ol), HV_STATUS_SUCCESS);
	assert_int_equal(il, sizeof(in));
	assert_int_equal(ol, 100);
	in.flags = KEEL_GUEST_MEMORY_WRITE;
	assert_int_equal(r->size(&in, &il, &ol), HV_STATUS_SUCCESS);
	assert_int_equal(il, sizeof(in) + 100);
	assert_int_equal(ol, 0);
	in.length = KEEL_GUEST_MEMORY_MAX;
	assert_int_equal(r->size(&in, &il, &ol), HV_STATUS_SUCCESS);
	assert_int_equal(il, HV_PAGE_SIZE);
	in.length = KEEL_GUEST_MEMORY_MAX + 1;
	assert_int_equal(r->size(&in, &il, &ol), HV_STATUS_INVALID_PARAMETER);
	in.length = 8;
	in.flags = 2;
	assert_int_equal(r->size(&in, &il, &ol), HV_STATUS_INVALID_PARAMETER);
}

static void test_bad_tables(void **state)
{
	struct hypercall_row t[2] = {
		{ 0x10, HC_SLOW, .fn = hc_null },
		{ 0x20, HC_SLOW, .fn = hc_null },
	};

	assert_true(hypercall_table_valid(t, 2));
	t[1].code = 0x10;
	assert_false(hypercall_table_valid(t, 2));          /* duplicate */
	t[1].code = 0x05;
	assert_false(hypercall_table_valid(t, 2));          /* unsorted */
	t[1] = (struct hypercall_row){ 0x20, HC_FAST, .out_size = 8, .fn = hc_null };
	assert_false(hypercall_table_valid(t, 2));          /* fast with output */
	t[1] = (struct hypercall_row){ 0x20, HC_FAST, .in_size = 24, .fn = hc_null };
	assert_false(hypercall_table_valid(t, 2));          /* fast input beyond RDX, R8 */
	t[1] = (struct hypercall_row){ 0x20, HC_SLOW | HC_REP, 600, .in_elem = 8, .fn = hc_null };
	assert_false(hypercall_table_valid(t, 2));          /* list beyond a page */
	t[1] = (struct hypercall_row){ 0x20, HC_SLOW, .in_elem = 8, .fn = hc_null };
	assert_false(hypercall_table_valid(t, 2));          /* elements on a simple call */
	t[1] = (struct hypercall_row){ 0x20, HC_SLOW, .name = "none" };
	assert_false(hypercall_table_valid(t, 2));          /* no handler */
	t[1] = (struct hypercall_row){ 0x20, HC_PARENT_ONLY, .fn = hc_null };
	assert_false(hypercall_table_valid(t, 2));          /* neither fast nor slow */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_valid),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_fast_and_slow),
		cmocka_unit_test(test_rep_count_and_start),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_guest_memory_sizes),
		cmocka_unit_test(test_bad_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
