/*
 * The parent's calls into the hypervisor's partition management (TLFS
 * hypercalls, hv/abi/tlfs_partition.h).  Each returns the TLFS status;
 * rep calls are driven to completion or to the first failing element.
 */
#ifndef KEEL_PARENT_HVPART_H
#define KEEL_PARENT_HVPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs_partition.h"
#include "hv/abi/tlfs_port.h"

uint16_t hv_create_partition(uint64_t *id);
uint16_t hv_partition_op(uint16_t code, uint64_t id); /* initialize, finalize, delete */
uint16_t hv_deposit(uint64_t id, const uint64_t *pfns, size_t n, size_t *done);
uint16_t hv_withdraw(uint64_t id, uint64_t *pfns, size_t n, size_t *done);
uint16_t hv_memory_balance(uint64_t id, uint64_t *available, uint64_t *in_use);
uint16_t hv_map_gpa(uint64_t id, uint64_t target_pfn, const uint64_t *pfns, size_t n, uint32_t flags, size_t *done);
uint16_t hv_unmap_gpa(uint64_t id, uint64_t target_pfn, size_t n, size_t *done);
/* The parent's window onto a child (KEEL_HVCALL_MAP_WINDOW): n <= KEEL_MAP_WINDOW_MAX_PAGES. */
uint16_t hv_map_window(uint64_t id, uint64_t window_page, const uint64_t *pfns, size_t n, uint32_t flags, size_t *done);
uint16_t hv_unmap_window(uint64_t id, uint64_t window_page, size_t n, size_t *done);
uint16_t hv_create_vp(uint64_t id, uint32_t index);
/* HvCallSet/GetPartitionProperty; Keel knows HV_PARTITION_PROPERTY_CPU_WEIGHT. */
uint16_t hv_set_partition_property(uint64_t id, uint32_t code, uint64_t value);
uint16_t hv_get_partition_property(uint64_t id, uint32_t code, uint64_t *value);
uint16_t hv_delete_vp(uint64_t id, uint32_t index);
/* HvCallAssertVirtualInterrupt: type HV_X64_INTERRUPT_TYPE_*, edge. */
uint16_t hv_assert_interrupt(uint64_t id, uint32_t type, bool logical, bool level, uint64_t dest,
			    uint32_t vector);
uint16_t hv_set_registers(uint64_t id, uint32_t vp, const uint32_t *names, const union hv_register_value *values,
			  size_t n);
uint16_t hv_get_registers(uint64_t id, uint32_t vp, const uint32_t *names, union hv_register_value *values,
			  size_t n);
/* Ports and connections (hv/abi/tlfs_port.h): a message port (flag_count
 * 0) or an event port of flags [base_flag, base_flag + flag_count). */
uint16_t hv_create_port(uint64_t port_partition, uint32_t port_id, uint64_t connection_partition, uint32_t sint,
			uint32_t vp, uint16_t base_flag, uint16_t flag_count);
uint16_t hv_delete_port(uint64_t port_partition, uint32_t port_id);
uint16_t hv_connect_port(uint64_t connection_partition, uint32_t connection_id, uint64_t port_partition,
			 uint32_t port_id, uint32_t port_type);
uint16_t hv_disconnect_port(uint64_t connection_partition, uint32_t connection_id);
uint16_t hv_post_message(uint32_t connection_id, uint32_t type, const void *payload, uint32_t size);
uint16_t hv_signal_event(uint32_t connection_id, uint16_t flag);
const char *hv_status_name(uint16_t status);

#endif
