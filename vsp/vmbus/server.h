/*
 * The VMBus server of one child: the host side of VMBus
 * (docs/vmbus-protocol.md), pure C behind a narrow interface.  Channel
 * messages come in through vmbus_server_message() and signals through
 * vmbus_server_event(); replies, page mappings and signals go out through
 * the host's callbacks, so the same code runs in the parent (parent/ipc.c)
 * and in host unit tests (tests/unit/test_vmbus.c) and fuzzers.
 *
 * It speaks every version Linux 6.1 proposes (WIN8 to WIN10 5.3) and
 * answers the others "not supported", as Hyper-V does.  The host offers
 * services (vmbus_server_offer); a connected child asks for the offers,
 * describes its pages with GPADLs (the host maps them once they are
 * complete and unmaps them at teardown), opens channels on a ring GPADL
 * and exchanges packets with the service over the two rings (ring.h).
 * UNLOAD, a new INITIATE_CONTACT and vmbus_server_reset() close every
 * channel and unmap every GPADL: after them the host holds no mapping of
 * the child's pages.
 *
 * Every message is copied once by the caller and checked here: too short,
 * of an unknown type, out of order or naming what does not exist is
 * counted and dropped, except where Linux would wait forever for the
 * answer (GPADL_CREATED, OPENCHANNEL_RESULT, GPADL_TORNDOWN): those are
 * answered with a failure status.
 *
 * Concurrency: none.  One caller (the parent's one CPU) drives a server.
 */
#ifndef KEEL_VSP_VMBUS_SERVER_H
#define KEEL_VSP_VMBUS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vsp/vmbus/ring.h"
#include "vsp/vmbus/vmbus_abi.h"

#define VMBUS_CHANNELS_MAX     8     /* relids 1..8 */
#define VMBUS_GPADLS_MAX       16
#define VMBUS_GPADL_PAGES_MAX  128   /* 512 KiB a GPADL */
#define VMBUS_PACKET_MAX       8192  /* the largest packet a service reads */
/* The connection id a child signals channel `relid` on. */
#define VMBUS_CHANNEL_CONNECTION(relid) (0x2000u | (relid))
/* OPENCHANNEL_RESULT / GPADL_CREATED status for a refusal (NTSTATUS
 * STATUS_UNSUCCESSFUL; Linux only tests for nonzero). */
#define VMBUS_STATUS_FAILED    0xc0000001u

struct vmbus_host {
	/* Post a channel message to the child (its VMBus SINT): 0, or
	 * nonzero when the hypervisor refused it. */
	int (*post)(void *ctx, const void *msg, size_t len);
	/* Map the child's pages pfns[0..n) at consecutive host addresses,
	 * readable and writable: their address, or NULL. */
	void *(*map)(void *ctx, const uint64_t *pfns, uint32_t n);
	void (*unmap)(void *ctx, void *at, uint32_t n);
	/* Make channel relid's signals both ways (the child's interrupts go
	 * to target_vp): 0, or nonzero to refuse the open. */
	int (*open)(void *ctx, uint32_t relid, uint32_t target_vp);
	void (*close)(void *ctx, uint32_t relid);
	/* Signal the child: channel relid has something for it. */
	void (*signal)(void *ctx, uint32_t relid);
	void *ctx;
};

struct vmbus_channel;

/* What the host offers on a channel. */
struct vmbus_service {
	const char *name;
	struct vmbus_guid type, instance;
	/* The child opened the channel; rings ready. */
	void (*open)(struct vmbus_channel *c);
	/* One packet from the child: its descriptor, then payload[0..len). */
	void (*packet)(struct vmbus_channel *c, const struct vmbus_packet_desc *d, const uint8_t *payload,
		       size_t len);
	/* Time passes (100 ns units, any monotonic base), channel open. */
	void (*tick)(struct vmbus_channel *c, uint64_t now);
	/* Closed by the child, by UNLOAD or by a reset. */
	void (*close)(struct vmbus_channel *c);
};

enum vmbus_state { VMBUS_DISCONNECTED, VMBUS_CONNECTED };
enum vmbus_channel_state { VMBUS_CHANNEL_FREE, VMBUS_CHANNEL_OFFERED, VMBUS_CHANNEL_OPEN, VMBUS_CHANNEL_RESCINDED };

struct vmbus_channel {
	struct vmbus_server *server;
	const struct vmbus_service *service;
	void *priv;                     /* the service's */
	uint32_t relid;
	enum vmbus_channel_state state;
	uint32_t openid, target_vp;
	int gpadl;                      /* index into server->gpadls while open */
	struct vmbus_ring in, out;      /* child -> host, host -> child */
	uint64_t packets_in, packets_out, signals_out;
	uint32_t send_failures;
};

struct vmbus_gpadl {
	bool used, complete;
	uint32_t handle, relid;
	uint32_t pages, received;
	uint64_t pfns[VMBUS_GPADL_PAGES_MAX]; /* while incomplete */
	void *at;                       /* mapped, once complete */
};

struct vmbus_server {
	struct vmbus_host host;
	enum vmbus_state state;
	uint32_t version;               /* agreed, while connected */
	uint32_t target_vcpu;           /* from INITIATE_CONTACT */
	bool offers_requested;
	struct vmbus_channel channels[VMBUS_CHANNELS_MAX]; /* relid = index + 1 */
	struct vmbus_gpadl gpadls[VMBUS_GPADLS_MAX];
	uint32_t refused_versions;      /* INITIATE_CONTACTs answered "not supported" */
	uint32_t dropped;               /* malformed or out-of-order messages */
	uint32_t refused;               /* GPADLs and opens answered with a failure */
	uint32_t broken_rings;          /* channels closed because the child broke a ring */
	uint32_t post_failures;         /* replies the hypervisor refused */
	uint32_t unloads;
	uint8_t packet[VMBUS_PACKET_MAX];
};

void vmbus_server_init(struct vmbus_server *s, const struct vmbus_host *host);
/* Offer a service: its relid, or -1 when every channel is taken.  Sent at
 * once when the child has asked for offers already. */
int vmbus_server_offer(struct vmbus_server *s, const struct vmbus_service *service, void *priv);
/* Take an offer back (closing the channel); the relid is free again when
 * the child releases it.  -1 when relid is not offered. */
int vmbus_server_rescind(struct vmbus_server *s, uint32_t relid);
/* One message from the child: msg[0..len), len <= 240. */
void vmbus_server_message(struct vmbus_server *s, const void *msg, size_t len);
/* The child signalled channel relid: serve its ring. */
void vmbus_server_event(struct vmbus_server *s, uint32_t relid);
/* Time passes for the services of open channels. */
void vmbus_server_tick(struct vmbus_server *s, uint64_t now);
/* As if the child unloaded: every channel closed, every GPADL unmapped,
 * disconnected; offers stay. */
void vmbus_server_reset(struct vmbus_server *s);
/* GPADLs mapped now (pages in *pages). */
unsigned vmbus_server_gpadls(const struct vmbus_server *s, uint64_t *pages);
/* "5.3", "not connected", ... for reports. */
const char *vmbus_version_name(uint32_t version);
const char *vmbus_channel_state_name(enum vmbus_channel_state state);

/* A service sends an in-band packet on its open channel: 0, or -1 (no
 * room, or the channel is closed or broken). */
int vmbus_channel_send(struct vmbus_channel *c, uint64_t trans_id, const void *payload, size_t len);

#endif
