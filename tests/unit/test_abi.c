/*
 * Host test for the TLFS ABI headers (hv/abi/tlfs_partition.h,
 * hv/abi/tlfs_synic.h).  The headers carry their own _Static_asserts; this
 * compiles them with the host compiler next to hv/abi/tlfs.h (so clashing
 * definitions fail the build) and repeats a few layout checks at run time,
 * including reading a message laid out byte by byte as the TLFS describes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/abi/tlfs_synic.h"

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void test_hypercall_blocks(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct hv_input_create_partition), 56);
	assert_int_equal(offsetof(struct hv_input_create_partition, disabled_xsave_features), 40);
	assert_int_equal(sizeof(struct hv_input_map_gpa_pages), 24);
	assert_int_equal(offsetof(struct hv_input_map_gpa_pages, source_gpa_page_list), 24);
	assert_int_equal(sizeof(struct hv_input_install_intercept), 24);
	assert_int_equal(sizeof(struct hv_input_create_vp), 40);
	assert_int_equal(offsetof(struct hv_input_get_vp_registers, names), 16);
	assert_int_equal(offsetof(struct hv_input_set_vp_registers, elements), 16);
	assert_int_equal(sizeof(struct hv_register_assoc), 32);
	assert_int_equal(sizeof(struct hv_input_assert_virtual_interrupt), 32);
	assert_int_equal(sizeof(struct hv_input_post_message), 256);
	assert_int_equal(sizeof(struct hv_input_start_virtual_processor), 240);

	/* Lists must fit in one page with their header. */
	assert_true(16 + HV_SET_VP_REGISTERS_MAX * 32 <= HV_PAGE_SIZE);
	assert_true(24 + HV_MAP_GPA_MAX_PAGES * 8 <= HV_PAGE_SIZE);
	assert_int_equal(HV_GET_VP_REGISTERS_MAX, 256);
}

static void test_register_value(void **state)
{
	union hv_register_value v;
	struct hv_x64_segment_register cs = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10,
		.attributes = 0xb | HV_X64_SEGMENT_NON_SYSTEM | HV_X64_SEGMENT_PRESENT |
			      HV_X64_SEGMENT_LONG | HV_X64_SEGMENT_GRANULARITY,
	};
	uint8_t raw[16];

	(void)state;
	memset(&v, 0, sizeof(v));
	v.segment = cs;
	memcpy(raw, &v, sizeof(raw));
	assert_int_equal(raw[12], 0x10);     /* selector at byte 12 */
	assert_int_equal(raw[14], 0x9b);     /* type/S/DPL/P */
	assert_int_equal(raw[15], 0xa0);     /* L and G */

	memset(&v, 0, sizeof(v));
	v.table.limit = 0xfff;
	v.table.base = 0x1000;
	assert_int_equal(v.reg128[0] >> 48, 0xfff);
	assert_int_equal(v.reg128[1], 0x1000);

	assert_int_equal(HV_X64_REGISTER_RIP, 0x00020010);
	assert_int_equal(HV_X64_REGISTER_GDTR, 0x00070001);
	assert_int_equal(HV_X64_REGISTER_PAT, 0x00080004);
	assert_int_equal(HV_REGISTER_SINT(15), 0x000a000f);
	assert_int_equal(HV_REGISTER_STIMER_COUNT(3), 0x000b0007);
	assert_int_equal(HV_X64_PENDING_INTERRUPTION(HV_X64_PENDING_TYPE_EXCEPTION, 13, 1, 0x18),
			 0x00000018000d0017ull);
}

static void test_io_port_message(void **state)
{
	uint8_t slot[HV_MESSAGE_SIZE];
	struct hv_message msg;

	(void)state;
	memset(slot, 0, sizeof(slot));
	put32(slot + 0, HV_MESSAGE_TYPE_X64_IO_PORT_INTERCEPT);
	slot[4] = sizeof(struct hv_x64_io_port_intercept_message);
	slot[5] = HV_MESSAGE_FLAG_PENDING;
	put64(slot + 8, 7);                        /* sender partition */
	put32(slot + 16 + 0, 2);                   /* vp_index */
	slot[16 + 4] = 1;                          /* instruction length */
	slot[16 + 5] = HV_INTERCEPT_ACCESS_WRITE;
	put64(slot + 16 + 24, 0xfff0);             /* rip */
	slot[16 + 40] = 0xf8;                      /* port 0x3f8 */
	slot[16 + 41] = 0x03;
	slot[16 + 42] = 1 | HV_X64_IO_ACCESS_REP_PREFIX;
	put64(slot + 16 + 48, 0x41);               /* rax */
	put64(slot + 16 + 120, 0x5000);            /* rdi */
	memcpy(&msg, slot, sizeof(msg));

	assert_int_equal(msg.header.message_type, HV_MESSAGE_TYPE_X64_IO_PORT_INTERCEPT);
	assert_int_equal(msg.header.payload_size, 128);
	assert_true(msg.header.message_flags & HV_MESSAGE_FLAG_PENDING);
	assert_int_equal(msg.header.sender, 7);
	assert_int_equal(msg.io_port.header.vp_index, 2);
	assert_int_equal(msg.io_port.header.intercept_access_type, HV_INTERCEPT_ACCESS_WRITE);
	assert_int_equal(msg.io_port.header.rip, 0xfff0);
	assert_int_equal(msg.io_port.port_number, 0x3f8);
	assert_int_equal(msg.io_port.access_info & HV_X64_IO_ACCESS_SIZE_MASK, 1);
	assert_int_equal(msg.io_port.rax, 0x41);
	assert_int_equal(msg.io_port.rdi, 0x5000);
}

static void test_synic_layout(void **state)
{
	struct hv_synic_event_flags_page sief;
	uint64_t sint = 0x40 | HV_SYNIC_SINT_AUTO_EOI;

	(void)state;
	assert_int_equal(sizeof(struct hv_message_page), 4096);
	assert_int_equal(offsetof(struct hv_message_page, sint_message[2]), 512);
	assert_int_equal(offsetof(struct hv_synic_event_flags_page, sint_event_flags[3]), 768);
	assert_int_equal(offsetof(struct hv_x64_memory_intercept_message, guest_physical_address), 56);
	assert_int_equal(offsetof(struct hv_x64_memory_intercept_message, r15), 232);
	assert_int_equal(offsetof(struct hv_x64_exception_intercept_message, rdi), 168);
	assert_int_equal(offsetof(struct hv_x64_msr_intercept_message, rax), 56);

	memset(&sief, 0, sizeof(sief));
	sief.sint_event_flags[2].flags[HV_EVENT_FLAG_BYTE(13)] |= HV_EVENT_FLAG_BIT(13);
	assert_int_equal(((uint8_t *)&sief)[2 * 256 + 1], 0x20);

	assert_int_equal(HV_X64_MSR_SINT(15), 0x4000009f);
	assert_int_equal(HV_X64_MSR_STIMER_CONFIG(3), 0x400000b6);
	assert_int_equal(sint & HV_SYNIC_SINT_VECTOR_MASK, 0x40);
	assert_false(sint & HV_SYNIC_SINT_MASKED);
	assert_int_equal(HV_SYNIC_SINT_PRESERVED_MASK &
			 (HV_SYNIC_SINT_VECTOR_MASK | HV_SYNIC_SINT_MASKED |
			  HV_SYNIC_SINT_AUTO_EOI | HV_SYNIC_SINT_POLLING), 0);
	assert_int_equal(HV_STIMER_RESERVED_MASK &
			 (HV_STIMER_ENABLE | HV_STIMER_PERIODIC | HV_STIMER_LAZY |
			  HV_STIMER_AUTO_ENABLE | HV_STIMER_APIC_VECTOR_MASK |
			  HV_STIMER_DIRECT_MODE | HV_STIMER_SINT_MASK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hypercall_blocks),
		cmocka_unit_test(test_register_value),
		cmocka_unit_test(test_io_port_message),
		cmocka_unit_test(test_synic_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
