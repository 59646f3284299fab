/*
 * VMBus channel messages: the payloads of HvPostMessage (message type 1)
 * between a child's hv_vmbus and the parent's VMBus server, as Linux
 * 6.1's drivers/hv expects them (docs/vmbus-protocol.md section 4 has the
 * sources and every message; only those Keel handles so far are here).
 * Little-endian; natural alignment gives the offsets the asserts check.
 */
#ifndef KEEL_VSP_VMBUS_ABI_H
#define KEEL_VSP_VMBUS_ABI_H

#include <stddef.h>
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

/* ---- offers ---- */

/* A GUID as it travels (the Windows byte order of its text form). */
struct vmbus_guid {
	uint8_t b[16];
};

struct vmbus_offer_channel {
	struct vmbus_msg_header header;
	struct vmbus_guid if_type;      /* the device class: what drivers match */
	struct vmbus_guid if_instance;  /* this device */
	uint64_t reserved1;
	uint64_t reserved2;
	uint16_t chn_flags;
	uint16_t mmio_megabytes;
	uint8_t user_def[120];
	uint16_t sub_channel_index;     /* 0: a primary channel */
	uint16_t reserved3;
	uint32_t child_relid;           /* 1..2047: the channel's id */
	uint8_t monitorid;
	uint8_t monitor_allocated;      /* bit 0; Keel: 0, events are hypercalls */
	uint16_t is_dedicated_interrupt; /* bit 0 */
	uint32_t connection_id;         /* the child signals the host on it */
} __attribute__((packed));
_Static_assert(sizeof(struct vmbus_offer_channel) == 196, "VMBus layout");
_Static_assert(offsetof(struct vmbus_offer_channel, child_relid) == 184, "VMBus layout");

/* RESCIND_CHANNELOFFER, RELID_RELEASED, CLOSECHANNEL */
struct vmbus_relid_msg {
	struct vmbus_msg_header header;
	uint32_t child_relid;
};
_Static_assert(sizeof(struct vmbus_relid_msg) == 12, "VMBus layout");

/* ---- channels ---- */

struct vmbus_open_channel {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t openid;
	uint32_t ringbuffer_gpadl;
	uint32_t target_vp;             /* VP for the host's interrupts */
	uint32_t downstream_page_offset; /* pages: where the host->child ring starts */
	uint8_t user_data[120];
};
_Static_assert(sizeof(struct vmbus_open_channel) == 148, "VMBus layout");

struct vmbus_open_result {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t openid;
	uint32_t status;                /* 0: open */
};
_Static_assert(sizeof(struct vmbus_open_result) == 20, "VMBus layout");

/* ---- GPADLs: guest page lists the host maps ---- */

/* The fixed part of GPADL_HEADER; pfns (8 bytes each, only 4-byte
 * aligned in the message) follow at offset 28. */
struct vmbus_gpadl_header {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t gpadl;
	uint16_t range_buflen;          /* 8 + 8 * pfns */
	uint16_t rangecount;            /* Keel: 1 */
	uint32_t byte_count;            /* the range */
	uint32_t byte_offset;
} __attribute__((packed));
_Static_assert(sizeof(struct vmbus_gpadl_header) == 28, "VMBus layout");
#define VMBUS_GPADL_HEADER_PFNS ((240 - 28) / 8)   /* 26 */

/* GPADL_BODY: pfns follow at offset 16. */
struct vmbus_gpadl_body {
	struct vmbus_msg_header header;
	uint32_t msgnumber;             /* Linux sends 0: not relied on */
	uint32_t gpadl;
};
_Static_assert(sizeof(struct vmbus_gpadl_body) == 16, "VMBus layout");
#define VMBUS_GPADL_BODY_PFNS ((240 - 16) / 8)     /* 28 */

struct vmbus_gpadl_created {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t gpadl;
	uint32_t creation_status;       /* 0: created */
};
_Static_assert(sizeof(struct vmbus_gpadl_created) == 20, "VMBus layout");

struct vmbus_gpadl_teardown {
	struct vmbus_msg_header header;
	uint32_t child_relid;
	uint32_t gpadl;
};
_Static_assert(sizeof(struct vmbus_gpadl_teardown) == 16, "VMBus layout");

struct vmbus_gpadl_torndown {
	struct vmbus_msg_header header;
	uint32_t gpadl;
};
_Static_assert(sizeof(struct vmbus_gpadl_torndown) == 12, "VMBus layout");

/* ---- ring buffers (docs/vmbus-protocol.md section 5) ---- */

/* The first page of each ring; the data area follows it. */
struct vmbus_ring_header {
	uint32_t write_index;           /* producer's: byte offset into the data */
	uint32_t read_index;            /* consumer's */
	uint32_t interrupt_mask;        /* consumer's: nonzero, no interrupts */
	uint32_t pending_send_sz;       /* producer's: blocked until this much is free */
	uint32_t reserved1[12];
	uint32_t feature_bits;          /* bit 0: pending_send_sz is honoured */
};
_Static_assert(offsetof(struct vmbus_ring_header, feature_bits) == 64, "VMBus layout");
#define VMBUS_RING_FEAT_PENDING_SEND_SZ 1u

/* Every packet starts so; len8 * 8 bytes, then an 8-byte trailer. */
struct vmbus_packet_desc {
	uint16_t type;                  /* VMBUS_PACKET_* */
	uint16_t offset8;               /* payload start, 8-byte units (2) */
	uint16_t len8;                  /* whole packet, 8-byte units, no trailer */
	uint16_t flags;                 /* bit 0: completion requested */
	uint64_t trans_id;
};
_Static_assert(sizeof(struct vmbus_packet_desc) == 16, "VMBus layout");
#define VMBUS_PACKET_DATA_INBAND 6u
#define VMBUS_PACKET_COMP        11u

#endif
