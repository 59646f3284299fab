/*
 * The hypercall table: every call Keel answers, one row each, sorted by
 * code (docs/hypercalls.md lists them).  Pure data: the host unit test
 * checks it with hypercall_table_valid.
 */
#include "hv/hypercall_table.h"

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/abi/tlfs_port.h"

/* A write carries its data after the header; a read returns it as output. */
static uint16_t guest_memory_size(const void *fixed, size_t *in_len, size_t *out_len)
{
	const struct keel_guest_memory_input *in = fixed;

	if (in->length > KEEL_GUEST_MEMORY_MAX || (in->flags & ~KEEL_GUEST_MEMORY_WRITE))
		return HV_STATUS_INVALID_PARAMETER;
	*in_len = sizeof(*in) + (in->flags & KEEL_GUEST_MEMORY_WRITE ? in->length : 0);
	*out_len = in->flags & KEEL_GUEST_MEMORY_WRITE ? 0 : in->length;
	return HV_STATUS_SUCCESS;
}

#define PARENT_SLOW (HC_PARENT_ONLY | HC_SLOW)
#define PARENT_REP  (HC_PARENT_ONLY | HC_SLOW | HC_REP)
#define REG_VALUE   sizeof(union hv_register_value)

/* Sorted by code (hypercall_find searches it; the unit test checks it). */
const struct hypercall_row hypercall_table[] = {
	{ HVCALL_NOTIFY_LONG_SPIN_WAIT, HC_FAST | HC_SLOW, .fn = hc_null, .name = "NotifyLongSpinWait" },
	{ HVCALL_CREATE_PARTITION, PARENT_SLOW, .in_size = sizeof(struct hv_input_create_partition),
	  .out_size = 8, .fn = hc_create_partition, .name = "CreatePartition" },
	{ HVCALL_INITIALIZE_PARTITION, PARENT_SLOW, .in_size = 8, .fn = hc_partition_op, .name = "InitializePartition" },
	{ HVCALL_FINALIZE_PARTITION, PARENT_SLOW, .in_size = 8, .fn = hc_partition_op, .name = "FinalizePartition" },
	{ HVCALL_DELETE_PARTITION, PARENT_SLOW, .in_size = 8, .fn = hc_partition_op, .name = "DeletePartition" },
	{ HVCALL_GET_PARTITION_PROPERTY, PARENT_SLOW, .in_size = sizeof(struct hv_input_get_partition_property),
	  .out_size = 8, .fn = hc_partition_property, .name = "GetPartitionProperty" },
	{ HVCALL_SET_PARTITION_PROPERTY, PARENT_SLOW, .in_size = sizeof(struct hv_input_set_partition_property),
	  .fn = hc_partition_property, .name = "SetPartitionProperty" },
	{ HVCALL_GET_PARTITION_ID, HC_SLOW, .out_size = 8, .fn = hc_get_partition_id, .name = "GetPartitionId" },
	{ HVCALL_DEPOSIT_MEMORY, PARENT_REP, HV_DEPOSIT_MEMORY_MAX_PAGES, .in_size = sizeof(struct hv_input_deposit_memory),
	  .in_elem = 8, .fn = hc_deposit_memory, .name = "DepositMemory" },
	{ HVCALL_WITHDRAW_MEMORY, PARENT_REP, HV_WITHDRAW_MEMORY_MAX_PAGES,
	  .in_size = sizeof(struct hv_input_withdraw_memory), .out_elem = 8, .fn = hc_withdraw_memory,
	  .name = "WithdrawMemory" },
	{ HVCALL_GET_MEMORY_BALANCE, PARENT_SLOW, .in_size = 8, .out_size = sizeof(struct hv_output_get_memory_balance),
	  .fn = hc_get_memory_balance, .name = "GetMemoryBalance" },
	{ HVCALL_MAP_GPA_PAGES, PARENT_REP, HV_MAP_GPA_MAX_PAGES, .in_size = sizeof(struct hv_input_map_gpa_pages),
	  .in_elem = 8, .fn = hc_map_gpa_pages, .name = "MapGpaPages" },
	{ HVCALL_UNMAP_GPA_PAGES, PARENT_REP, 0xfff, .in_size = sizeof(struct hv_input_unmap_gpa_pages),
	  .fn = hc_unmap_gpa_pages, .name = "UnmapGpaPages" },
	{ HVCALL_CREATE_VP, PARENT_SLOW, .in_size = sizeof(struct hv_input_create_vp), .fn = hc_create_vp,
	  .name = "CreateVp" },
	{ HVCALL_DELETE_VP, PARENT_SLOW, .in_size = sizeof(struct hv_input_delete_vp), .fn = hc_delete_vp,
	  .name = "DeleteVp" },
	{ HVCALL_GET_VP_REGISTERS, PARENT_REP, HV_GET_VP_REGISTERS_MAX, .in_size = sizeof(struct hv_input_vp_registers),
	  .in_elem = 4, .out_elem = REG_VALUE, .fn = hc_get_vp_registers, .name = "GetVpRegisters" },
	{ HVCALL_SET_VP_REGISTERS, PARENT_REP, HV_SET_VP_REGISTERS_MAX, .in_size = sizeof(struct hv_input_vp_registers),
	  .in_elem = sizeof(struct hv_register_assoc), .fn = hc_set_vp_registers, .name = "SetVpRegisters" },
	{ HVCALL_DELETE_PORT, HC_PARENT_ONLY | HC_FAST | HC_SLOW, .in_size = sizeof(struct hv_input_delete_port),
	  .fn = hc_delete_port, .name = "DeletePort" },
	{ HVCALL_DISCONNECT_PORT, HC_PARENT_ONLY | HC_FAST | HC_SLOW, .in_size = sizeof(struct hv_input_disconnect_port),
	  .fn = hc_disconnect_port, .name = "DisconnectPort" },
	{ HVCALL_POST_MESSAGE, HC_SLOW, .in_size = sizeof(struct hv_input_post_message), .fn = hc_post_message,
	  .name = "PostMessage" },
	{ HVCALL_SIGNAL_EVENT, HC_FAST | HC_SLOW, .in_size = sizeof(struct hv_input_signal_event),
	  .fn = hc_signal_event, .name = "SignalEvent" },
	{ HVCALL_ASSERT_VIRTUAL_INTERRUPT, PARENT_SLOW, .in_size = sizeof(struct hv_input_assert_virtual_interrupt),
	  .fn = hc_assert_virtual_interrupt, .name = "AssertVirtualInterrupt" },
	{ HVCALL_CREATE_PORT, PARENT_SLOW, .in_size = sizeof(struct hv_input_create_port), .fn = hc_create_port,
	  .name = "CreatePort" },
	{ HVCALL_CONNECT_PORT, PARENT_SLOW, .in_size = sizeof(struct hv_input_connect_port), .fn = hc_connect_port,
	  .name = "ConnectPort" },
	{ KEEL_HVCALL_NULL, HC_FAST | HC_SLOW, .fn = hc_null, .name = "KeelNull" },
	{ KEEL_HVCALL_GET_INFO, PARENT_SLOW, .out_size = sizeof(struct keel_hv_info), .fn = hc_get_info,
	  .name = "KeelGetInfo" },
	{ KEEL_HVCALL_GET_VP_STATE, PARENT_SLOW, .in_size = sizeof(struct keel_vp_state_input),
	  .out_size = sizeof(struct keel_vp_state), .fn = hc_get_vp_state, .name = "KeelGetVpState" },
	{ KEEL_HVCALL_GUEST_MEMORY, PARENT_SLOW, .in_size = sizeof(struct keel_guest_memory_input),
	  .size = guest_memory_size, .fn = hc_guest_memory, .name = "KeelGuestMemory" },
	{ KEEL_HVCALL_APIC_ACCESS, PARENT_SLOW, .in_size = sizeof(struct keel_apic_access), .out_size = 4,
	  .fn = hc_apic_access, .name = "KeelApicAccess" },
	{ KEEL_HVCALL_MAP_WINDOW, PARENT_REP, KEEL_MAP_WINDOW_MAX_PAGES, .in_size = sizeof(struct keel_map_window_input),
	  .in_elem = 8, .fn = hc_map_window, .name = "KeelMapWindow" },
	{ KEEL_HVCALL_UNMAP_WINDOW, PARENT_REP, 0xfff, .in_size = sizeof(struct keel_unmap_window_input),
	  .fn = hc_unmap_window, .name = "KeelUnmapWindow" },
};

const size_t hypercall_table_len = sizeof(hypercall_table) / sizeof(hypercall_table[0]);
