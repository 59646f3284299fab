/* Partition-management hypercalls from the parent; contract in hvpart.h. */
#include "parent/hvpart.h"

#include <string.h>

#include "hv/abi/tlfs.h"
#include "parent/hvcall.h"

static uint8_t in_page[4096] __attribute__((aligned(4096)));
static uint8_t out_page[4096] __attribute__((aligned(4096)));

static uint16_t simple(uint16_t code)
{
	return (uint16_t)hvcall(code, (uint64_t)in_page, (uint64_t)out_page);
}

/* Issue a rep call until all n reps are done or one fails (TLFS §3.7). */
static uint16_t rep(uint16_t code, size_t n, size_t *done)
{
	size_t start = 0;
	uint64_t result = 0;
	uint16_t status = HV_STATUS_SUCCESS;

	while (start < n) {
		uint64_t control = code | ((uint64_t)n << 32) | ((uint64_t)start << 48);

		result = hvcall(control, (uint64_t)in_page, (uint64_t)out_page);
		status = (uint16_t)result;
		start = (result >> 32) & 0xfff;
		if (status != HV_STATUS_SUCCESS)
			break;
	}
	if (done)
		*done = start;
	return status;
}

uint16_t hv_create_partition(uint64_t *id)
{
	uint16_t st;

	memset(in_page, 0, sizeof(struct hv_input_create_partition));
	st = simple(HVCALL_CREATE_PARTITION);
	memcpy(id, out_page, 8);
	return st;
}

uint16_t hv_partition_op(uint16_t code, uint64_t id)
{
	memcpy(in_page, &id, 8);
	return simple(code);
}

uint16_t hv_deposit(uint64_t id, const uint64_t *pfns, size_t n, size_t *done)
{
	if (n > HV_DEPOSIT_MEMORY_MAX_PAGES)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(in_page, &id, 8);
	memcpy(in_page + 8, pfns, n * 8);
	return rep(HVCALL_DEPOSIT_MEMORY, n, done);
}

uint16_t hv_withdraw(uint64_t id, uint64_t *pfns, size_t n, size_t *done)
{
	uint16_t st;

	if (n > HV_WITHDRAW_MEMORY_MAX_PAGES)
		return HV_STATUS_INVALID_PARAMETER;
	memset(in_page, 0, sizeof(struct hv_input_withdraw_memory));
	memcpy(in_page, &id, 8);
	st = rep(HVCALL_WITHDRAW_MEMORY, n, done);
	memcpy(pfns, out_page, n * 8);
	return st;
}

uint16_t hv_memory_balance(uint64_t id, uint64_t *available, uint64_t *in_use)
{
	struct hv_output_get_memory_balance b;
	uint16_t st;

	memcpy(in_page, &id, 8);
	st = simple(HVCALL_GET_MEMORY_BALANCE);
	memcpy(&b, out_page, sizeof(b));
	*available = b.pages_available;
	*in_use = b.pages_in_use;
	return st;
}

uint16_t hv_map_gpa(uint64_t id, uint64_t target_pfn, const uint64_t *pfns, size_t n, uint32_t flags, size_t *done)
{
	struct hv_input_map_gpa_pages h = { id, target_pfn, flags, 0 };

	if (n > HV_MAP_GPA_MAX_PAGES)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(in_page, &h, sizeof(h));
	memcpy(in_page + sizeof(h), pfns, n * 8);
	return rep(HVCALL_MAP_GPA_PAGES, n, done);
}

uint16_t hv_unmap_gpa(uint64_t id, uint64_t target_pfn, size_t n, size_t *done)
{
	struct hv_input_unmap_gpa_pages h = { id, target_pfn, 0, 0 };

	memcpy(in_page, &h, sizeof(h));
	return rep(HVCALL_UNMAP_GPA_PAGES, n, done);
}

uint16_t hv_map_window(uint64_t id, uint64_t window_page, const uint64_t *pfns, size_t n, uint32_t flags, size_t *done)
{
	struct keel_map_window_input h = { id, window_page, flags, 0 };

	if (n > KEEL_MAP_WINDOW_MAX_PAGES)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(in_page, &h, sizeof(h));
	memcpy(in_page + sizeof(h), pfns, n * 8);
	return rep(KEEL_HVCALL_MAP_WINDOW, n, done);
}

uint16_t hv_unmap_window(uint64_t id, uint64_t window_page, size_t n, size_t *done)
{
	struct keel_unmap_window_input h = { id, window_page };

	memcpy(in_page, &h, sizeof(h));
	return rep(KEEL_HVCALL_UNMAP_WINDOW, n, done);
}

uint16_t hv_create_vp(uint64_t id, uint32_t index)
{
	struct hv_input_create_vp c = { .partition_id = id, .vp_index = index };

	memcpy(in_page, &c, sizeof(c));
	return simple(HVCALL_CREATE_VP);
}

uint16_t hv_set_partition_property(uint64_t id, uint32_t code, uint64_t value)
{
	struct hv_input_set_partition_property in = { id, code, 0, value };

	memcpy(in_page, &in, sizeof(in));
	return simple(HVCALL_SET_PARTITION_PROPERTY);
}

uint16_t hv_get_partition_property(uint64_t id, uint32_t code, uint64_t *value)
{
	struct hv_input_get_partition_property in = { id, code, 0 };
	uint16_t st;

	memcpy(in_page, &in, sizeof(in));
	st = simple(HVCALL_GET_PARTITION_PROPERTY);
	memcpy(value, out_page, sizeof(*value));
	return st;
}

uint16_t hv_delete_vp(uint64_t id, uint32_t index)
{
	struct hv_input_delete_vp d = { id, index, 0 };

	memcpy(in_page, &d, sizeof(d));
	return simple(HVCALL_DELETE_VP);
}

uint16_t hv_set_registers(uint64_t id, uint32_t vp, const uint32_t *names, const union hv_register_value *values,
			  size_t n)
{
	struct hv_input_vp_registers h = { .partition_id = id, .vp_index = vp };
	struct hv_register_assoc *a = (struct hv_register_assoc *)(in_page + sizeof(h));

	if (n > HV_SET_VP_REGISTERS_MAX)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(in_page, &h, sizeof(h));
	for (size_t i = 0; i < n; i++)
		a[i] = (struct hv_register_assoc){ .name = names[i], .value = values[i] };
	return rep(HVCALL_SET_VP_REGISTERS, n, NULL);
}

uint16_t hv_get_registers(uint64_t id, uint32_t vp, const uint32_t *names, union hv_register_value *values,
			  size_t n)
{
	struct hv_input_vp_registers h = { .partition_id = id, .vp_index = vp };
	uint16_t st;

	if (n > HV_GET_VP_REGISTERS_MAX || sizeof(h) + 4 * n > sizeof(in_page))
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(in_page, &h, sizeof(h));
	memcpy(in_page + sizeof(h), names, 4 * n);
	st = rep(HVCALL_GET_VP_REGISTERS, n, NULL);
	memcpy(values, out_page, n * sizeof(*values));
	return st;
}

const char *hv_status_name(uint16_t s)
{
	switch (s) {
	case HV_STATUS_SUCCESS: return "success";
	case HV_STATUS_INVALID_HYPERCALL_CODE: return "invalid hypercall code";
	case HV_STATUS_INVALID_HYPERCALL_INPUT: return "invalid hypercall input";
	case HV_STATUS_INVALID_ALIGNMENT: return "invalid alignment";
	case HV_STATUS_INVALID_PARAMETER: return "invalid parameter";
	case HV_STATUS_ACCESS_DENIED: return "access denied";
	case HV_STATUS_INVALID_PARTITION_STATE: return "invalid partition state";
	case HV_STATUS_INSUFFICIENT_MEMORY: return "insufficient memory";
	case HV_STATUS_INVALID_PARTITION_ID: return "invalid partition id";
	case HV_STATUS_INVALID_VP_INDEX: return "invalid VP index";
	default: return "error";
	}
}

uint16_t hv_assert_interrupt(uint64_t id, uint32_t type, bool logical, bool level, uint64_t dest,
			    uint32_t vector)
{
	struct hv_input_assert_virtual_interrupt in = {
		.target_partition_id = id,
		.control = { type, (logical ? HV_INTERRUPT_CONTROL_LOGICAL_DEST : 0) |
					   (level ? HV_INTERRUPT_CONTROL_LEVEL_TRIGGERED : 0) },
		.destination = dest,
		.vector = vector,
	};

	memcpy(in_page, &in, sizeof(in));
	return simple(HVCALL_ASSERT_VIRTUAL_INTERRUPT);
}

uint16_t hv_create_port(uint64_t port_partition, uint32_t port_id, uint64_t connection_partition, uint32_t sint,
			uint32_t vp, uint16_t base_flag, uint16_t flag_count)
{
	struct hv_input_create_port in = { .port_partition = port_partition, .port_id = port_id,
					   .connection_partition = connection_partition };

	in.port_info.port_type = flag_count ? HV_PORT_TYPE_EVENT : HV_PORT_TYPE_MESSAGE;
	in.port_info.event.target_sint = sint;
	in.port_info.event.target_vp = vp;
	in.port_info.event.base_flag_number = base_flag;
	in.port_info.event.flag_count = flag_count;
	memcpy(in_page, &in, sizeof(in));
	return simple(HVCALL_CREATE_PORT);
}

uint16_t hv_delete_port(uint64_t port_partition, uint32_t port_id)
{
	struct hv_input_delete_port in = { port_partition, port_id, 0 };

	memcpy(in_page, &in, sizeof(in));
	return simple(HVCALL_DELETE_PORT);
}

uint16_t hv_connect_port(uint64_t connection_partition, uint32_t connection_id, uint64_t port_partition,
			 uint32_t port_id, uint32_t port_type)
{
	struct hv_input_connect_port in = { .connection_partition = connection_partition,
					    .connection_id = connection_id, .port_partition = port_partition,
					    .port_id = port_id };

	in.connection_info.port_type = port_type;
	memcpy(in_page, &in, sizeof(in));
	return simple(HVCALL_CONNECT_PORT);
}

uint16_t hv_disconnect_port(uint64_t connection_partition, uint32_t connection_id)
{
	struct hv_input_disconnect_port in = { connection_partition, connection_id, 0 };

	memcpy(in_page, &in, sizeof(in));
	return simple(HVCALL_DISCONNECT_PORT);
}

uint16_t hv_post_message(uint32_t connection_id, uint32_t type, const void *payload, uint32_t size)
{
	struct hv_input_post_message *in = (struct hv_input_post_message *)in_page;

	if (size > sizeof(in->payload))
		return HV_STATUS_INVALID_PARAMETER;
	memset(in, 0, sizeof(*in));
	in->connection_id = connection_id;
	in->message_type = type;
	in->payload_size = size;
	memcpy(in->payload, payload, size);
	return simple(HVCALL_POST_MESSAGE);
}

uint16_t hv_signal_event(uint32_t connection_id, uint16_t flag)
{
	/* The fast form, as guests use it: the input in RDX. */
	return (uint16_t)hvcall(HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST, connection_id | (uint64_t)flag << 32, 0);
}
