/*
 * The VMBus server of one child: the channel-message state machine of the
 * host side of VMBus (docs/vmbus-protocol.md).  Pure C behind a narrow
 * interface: messages come in through vmbus_server_message(), replies go
 * out through the host's post() callback, so the same code runs in the
 * parent (parent/ipc.c) and in host unit tests (tests/unit/test_vmbus.c).
 *
 * Done so far: version negotiation (the versions Linux 6.1 proposes from
 * WIN8 to WIN10 5.3; others are answered "not supported", as Hyper-V
 * does), the offers (none yet: REQUESTOFFERS is answered with
 * ALLOFFERS_DELIVERED alone) and UNLOAD.  A message is copied once by the
 * caller and checked here: too short, of an unknown type, or out of order
 * (anything but INITIATE_CONTACT before a version is agreed) is counted
 * and dropped.
 */
#ifndef KEEL_VSP_VMBUS_SERVER_H
#define KEEL_VSP_VMBUS_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct vmbus_host {
	/* Post a channel message to the child (its VMBus SINT): 0, or
	 * nonzero when the hypervisor refused it. */
	int (*post)(void *ctx, const void *msg, size_t len);
	void *ctx;
};

enum vmbus_state { VMBUS_DISCONNECTED, VMBUS_CONNECTED };

struct vmbus_server {
	struct vmbus_host host;
	enum vmbus_state state;
	uint32_t version;            /* agreed, while connected */
	uint32_t target_vcpu;        /* from INITIATE_CONTACT */
	uint32_t refused_versions;   /* INITIATE_CONTACTs answered "not supported" */
	uint32_t dropped;            /* malformed or out-of-order messages */
	uint32_t post_failures;      /* replies the hypervisor refused */
	uint32_t unloads;
};

void vmbus_server_init(struct vmbus_server *s, const struct vmbus_host *host);
/* One message from the child: msg[0..len), len <= 240. */
void vmbus_server_message(struct vmbus_server *s, const void *msg, size_t len);
/* "5.3", "not connected", ... for reports. */
const char *vmbus_version_name(uint32_t version);

#endif
