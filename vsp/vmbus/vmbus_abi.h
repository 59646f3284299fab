/*
 * VMBus channel messages: the payloads of HvPostMessage (message type 1)
 * between a child's hv_vmbus and the parent's VMBus server, as Linux
 * 6.1's drivers/hv expects them (docs/vmbus-protocol.md section 4 has the
 * sources and every message; only those Keel handles so far are here).
 * Little-endian; natural alignment gives the offsets the asserts check.
 */
#ifndef KEEL_VSP_VMBUS_ABI_H
#define KEEL_VSP_VMBUS_ABI_H

#include <stdint.h>

/* The HvPostMessage type of every channel message. */
#define VMBUS_POST_MESSAGE_TYPE   1u
/* The child's connection ids for messages to the host: 4 from version
 * 5.0 on (INITIATE_CONTACT), 1 before and for what follows. */
#define VMBUS_MESSAGE_CONNECTION_ID   1u
#define VMBUS_MESSAGE_CONNECTION_ID_4 4u
/* The SINT the host's messages and events arrive on in the child. */
#define VMBUS_MESSAGE_SINT        2u

enum vmbus_msgtype {
	VMBUS_MSG_INVALID = 0,
	VMBUS_MSG_OFFERCHANNEL = 1,
	VMBUS_MSG_RESCIND_CHANNELOFFER = 2,
	VMBUS_MSG_REQUESTOFFERS = 3,
	VMBUS_MSG_ALLOFFERS_DELIVERED = 4,
	VMBUS_MSG_OPENCHANNEL = 5,
	VMBUS_MSG_OPENCHANNEL_RESULT = 6,
	VMBUS_MSG_CLOSECHANNEL = 7,
	VMBUS_MSG_GPADL_HEADER = 8,
	VMBUS_MSG_GPADL_BODY = 9,
	VMBUS_MSG_GPADL_CREATED = 10,
	VMBUS_MSG_GPADL_TEARDOWN = 11,
	VMBUS_MSG_GPADL_TORNDOWN = 12,
	VMBUS_MSG_RELID_RELEASED = 13,
	VMBUS_MSG_INITIATE_CONTACT = 14,
	VMBUS_MSG_VERSION_RESPONSE = 15,
	VMBUS_MSG_UNLOAD = 16,
	VMBUS_MSG_UNLOAD_RESPONSE = 17,
	VMBUS_MSG_COUNT = 25,       /* Linux 6.1 knows types below this */
};

/* Versions: major << 16 | minor. */
#define VMBUS_VERSION_WIN8        0x00020004u
#define VMBUS_VERSION_WIN8_1      0x00030000u
#define VMBUS_VERSION_WIN10       0x00040000u
#define VMBUS_VERSION_WIN10_V4_1  0x00040001u
#define VMBUS_VERSION_WIN10_V5    0x00050000u
#define VMBUS_VERSION_WIN10_V5_1  0x00050001u
#define VMBUS_VERSION_WIN10_V5_2  0x00050002u
#define VMBUS_VERSION_WIN10_V5_3  0x00050003u

struct vmbus_msg_header {
	uint32_t msgtype;           /* enum vmbus_msgtype */
	uint32_t padding;
};
_Static_assert(sizeof(struct vmbus_msg_header) == 8, "VMBus layout");

struct vmbus_initiate_contact {
	struct vmbus_msg_header header;
	uint32_t version_requested;
	uint32_t target_vcpu;       /* VP the host's messages go to */
	union {
		uint64_t interrupt_page; /* before 5.0 */
		struct {
			uint8_t msg_sint;   /* 5.0 on: the SINT for host messages */
			uint8_t msg_vtl;
			uint8_t reserved[2];
			uint32_t feature_flags;
		};
	};
	uint64_t monitor_page1;     /* host -> guest */
	uint64_t monitor_page2;     /* guest -> host */
};
_Static_assert(sizeof(struct vmbus_initiate_contact) == 40, "VMBus layout");

struct vmbus_version_response {
	struct vmbus_msg_header header;
	uint8_t version_supported;  /* nonzero: accepted */
	uint8_t connection_state;   /* 0 ok */
	uint16_t padding;
	uint32_t msg_conn_id;       /* 5.0 on: the connection for later messages */
};
_Static_assert(sizeof(struct vmbus_version_response) == 16, "VMBus layout");

#endif
