/*
 * TLFS "Inter-Partition Communication": ports, connections, and the
 * privileges to use them.  A port lives in the receiving partition and
 * names where its messages or event flags land (a SINT of one of its VPs);
 * a connection lives in the sending partition and binds a connection id to
 * one port.  HvPostMessage and HvSignalEvent (hv/abi/tlfs_partition.h) send
 * on a connection.  Layouts from the TLFS datatypes pages (HV_PORT_INFO,
 * HV_CONNECTION_INFO) and Linux include/hyperv; docs/vmbus-protocol.md
 * section 1 has the sources and where they disagree.
 */
#ifndef KEEL_ABI_TLFS_PORT_H
#define KEEL_ABI_TLFS_PORT_H

#include <stdint.h>

#define HVCALL_DELETE_PORT     0x0058 /* simple */
#define HVCALL_DISCONNECT_PORT 0x005b /* simple */
#define HVCALL_CREATE_PORT     0x0095 /* simple */
#define HVCALL_CONNECT_PORT    0x0096 /* simple */

/* HV_PARTITION_PRIVILEGE_MASK bits 63:32 = CPUID 0x40000003 EBX. */
#define HV_PRIVILEGE_POST_MESSAGES  (1u << 4)
#define HV_PRIVILEGE_SIGNAL_EVENTS  (1u << 5)
#define HV_PRIVILEGE_CREATE_PORT    (1u << 6)
#define HV_PRIVILEGE_CONNECT_PORT   (1u << 7)

/* HV_PORT_TYPE.  Keel provides message and event ports. */
#define HV_PORT_TYPE_MESSAGE 1u
#define HV_PORT_TYPE_EVENT   2u
#define HV_PORT_TYPE_MONITOR 3u

/* Message buffers the hypervisor keeps per message port: a post takes
 * one, delivery into the receiver's SIM slot returns it. */
#define HV_PORT_MESSAGE_BUFFER_COUNT 16

struct hv_port_info {
	uint32_t port_type;          /* HV_PORT_TYPE_* */
	uint32_t reserved0;
	union {
		struct {
			uint32_t target_sint;
			uint32_t target_vp;  /* VP index or HV_ANY_VP */
			uint64_t reserved;
		} message;
		struct {
			uint32_t target_sint;
			uint32_t target_vp;
			uint16_t base_flag_number;
			uint16_t flag_count;
			uint32_t reserved;
		} event;
		uint64_t raw[2];
	};
};
_Static_assert(sizeof(struct hv_port_info) == 24, "TLFS layout");

struct hv_connection_info {
	uint32_t port_type;          /* the port's type */
	uint32_t reserved0;
	uint64_t reserved[3];        /* message and event connections: zero */
};
_Static_assert(sizeof(struct hv_connection_info) == 32, "TLFS layout");

struct hv_input_create_port {
	uint64_t port_partition;     /* the receiver */
	uint32_t port_id;
	uint8_t port_vtl;
	uint8_t min_connection_vtl;
	uint16_t reserved;
	uint64_t connection_partition; /* the one partition that may connect */
	struct hv_port_info port_info;
	uint64_t proximity_domain_info;
};
_Static_assert(sizeof(struct hv_input_create_port) == 56, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_create_port, port_info) == 24, "TLFS layout");

struct hv_input_delete_port {
	uint64_t port_partition;
	uint32_t port_id;
	uint32_t reserved;
};
_Static_assert(sizeof(struct hv_input_delete_port) == 16, "TLFS layout");

struct hv_input_connect_port {
	uint64_t connection_partition; /* the sender */
	uint32_t connection_id;
	uint8_t connection_vtl;
	uint8_t reserved0;
	uint16_t reserved1;
	uint64_t port_partition;
	uint32_t port_id;
	uint32_t reserved2;
	struct hv_connection_info connection_info;
	uint64_t proximity_domain_info;
};
_Static_assert(sizeof(struct hv_input_connect_port) == 72, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_connect_port, connection_info) == 32, "TLFS layout");

struct hv_input_disconnect_port {
	uint64_t connection_partition;
	uint32_t connection_id;
	uint32_t reserved;           /* the TLFS input is 12 bytes; fast calls pad to 16 */
};
_Static_assert(sizeof(struct hv_input_disconnect_port) == 16, "TLFS layout");

#endif
