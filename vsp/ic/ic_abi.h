/*
 * Integration-service messages (hv_utils' side: Linux 6.1
 * include/linux/hyperv.h and drivers/hv/hv_util.c; docs/vmbus-protocol.md
 * section 6).  Each is the payload of an in-band VMBus packet: a pipe
 * header, an IC header, then the body.  The child answers in the same
 * buffer, so a request is sent as long as its answer.  Little-endian.
 */
#ifndef KEEL_VSP_IC_ABI_H
#define KEEL_VSP_IC_ABI_H

#include <stdint.h>

struct ic_pipe_header {
	uint32_t flags;                 /* 1: data */
	uint32_t msgsize;               /* bytes after this header */
};

struct ic_version {
	uint16_t major, minor;
};

struct ic_header {
	struct ic_version framework;
	uint16_t msgtype;               /* IC_MSG_* */
	struct ic_version message;
	uint16_t msgsize;               /* body bytes */
	uint32_t status;                /* IC_S_OK, ... */
	uint8_t transaction;
	uint8_t flags;                  /* IC_FLAG_* */
	uint16_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct ic_header) == 20, "IC layout");

/* pipe header + IC header: where every body starts */
#define IC_BODY_OFFSET 28u

#define IC_MSG_NEGOTIATE 0u
#define IC_MSG_HEARTBEAT 1u
#define IC_MSG_KVP       2u
#define IC_MSG_SHUTDOWN  3u
#define IC_MSG_TIMESYNC  4u

#define IC_FLAG_TRANSACTION 1u
#define IC_FLAG_REQUEST     2u
#define IC_FLAG_RESPONSE    4u

#define IC_S_OK   0x00000000u
#define IC_E_FAIL 0x80004005u

/* Negotiation: counts, then the versions (struct ic_version): first the
 * framework's, then the service's. */
struct ic_negotiate {
	uint16_t framework_count;
	uint16_t message_count;
	uint32_t reserved;
};
_Static_assert(sizeof(struct ic_negotiate) == 8, "IC layout");

struct ic_heartbeat {
	uint64_t seq;                   /* the answer: seq + 1 */
	uint32_t reserved[8];
};
_Static_assert(sizeof(struct ic_heartbeat) == 40, "IC layout");

struct ic_shutdown {
	uint32_t reason;
	uint32_t timeout_seconds;
	uint32_t flags;                 /* 0: shut down; 2: reboot (bit 0: forced) */
	uint8_t message[2048];
};
_Static_assert(sizeof(struct ic_shutdown) == 2060, "IC layout");
#define IC_SHUTDOWN_REASON_PLANNED 0x80000000u

/* Time sync 4.0 */
struct ic_timesync {
	uint64_t parent_time;           /* UTC, 100 ns since 1601-01-01 */
	uint64_t reference_time;        /* the child's reference time then */
	uint8_t flags;                  /* IC_TIMESYNC_* */
	uint8_t leap_flags;
	uint8_t stratum;
	uint8_t reserved[5];
};
_Static_assert(sizeof(struct ic_timesync) == 24, "IC layout");
#define IC_TIMESYNC_SYNC   1u       /* set the clock now */
#define IC_TIMESYNC_SAMPLE 2u       /* a periodic sample */
/* Key-value pair exchange: enumerate one key of a pool (Linux's
 * hv_kvp_msg_enumerate after its hv_kvp_hdr, packed).  Strings are
 * UTF-16LE, sizes in bytes with the NUL. */
#define IC_KVP_OP_ENUMERATE 3u
#define IC_KVP_POOL_AUTO    2u   /* what the guest's daemon generates */
#define IC_KVP_KEY_BYTES    512u
#define IC_KVP_VALUE_BYTES  2048u
#define IC_KVP_REG_SZ       1u

struct ic_kvp_enumerate {
	uint8_t operation;
	uint8_t pool;
	uint16_t pad;
	uint32_t index;
	uint32_t value_type;
	uint32_t key_size;
	uint32_t value_size;
	uint8_t key[IC_KVP_KEY_BYTES];
	uint8_t value[IC_KVP_VALUE_BYTES];
} __attribute__((packed));
_Static_assert(sizeof(struct ic_kvp_enumerate) == 4 + 2576, "IC layout");

/* 1601-01-01 to 1970-01-01 in 100 ns units */
#define IC_UNIX_EPOCH_1601 116444736000000000ull

#endif
