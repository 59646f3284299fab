/* The VMBus server's channel messages; contract in server.h. */
#include "vsp/vmbus/server.h"

#include <stdbool.h>
#include <string.h>

#include "vsp/vmbus/vmbus_abi.h"

/* What Keel accepts: every version Linux 6.1 proposes, newest first. */
static const struct {
	uint32_t version;
	const char *name;
} versions[] = {
	{ VMBUS_VERSION_WIN10_V5_3, "5.3" }, { VMBUS_VERSION_WIN10_V5_2, "5.2" },
	{ VMBUS_VERSION_WIN10_V5_1, "5.1" }, { VMBUS_VERSION_WIN10_V5, "5.0" },
	{ VMBUS_VERSION_WIN10_V4_1, "4.1" }, { VMBUS_VERSION_WIN10, "4.0" },
	{ VMBUS_VERSION_WIN8_1, "3.0" },     { VMBUS_VERSION_WIN8, "2.4" },
};

const char *vmbus_version_name(uint32_t version)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (versions[i].version == version)
			return versions[i].name;
	return "unknown";
}

static bool supported(uint32_t version)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (versions[i].version == version)
			return true;
	return false;
}

void vmbus_server_init(struct vmbus_server *s, const struct vmbus_host *host)
{
	memset(s, 0, sizeof(*s));
	s->host = *host;
}

static void reply(struct vmbus_server *s, const void *msg, size_t len)
{
	if (s->host.post(s->host.ctx, msg, len))
		s->post_failures++;
}

static void reply_header(struct vmbus_server *s, uint32_t type)
{
	struct vmbus_msg_header h = { .msgtype = type };

	reply(s, &h, sizeof(h));
}

/* Accept a version we speak, on the SINT the child's port uses; the
 * connection for later messages is VMBUS_MESSAGE_CONNECTION_ID. */
static void initiate_contact(struct vmbus_server *s, const struct vmbus_initiate_contact *in)
{
	struct vmbus_version_response out = { .header.msgtype = VMBUS_MSG_VERSION_RESPONSE };
	bool ok = supported(in->version_requested);

	if (ok && in->version_requested >= VMBUS_VERSION_WIN10_V5 && in->msg_sint != VMBUS_MESSAGE_SINT)
		ok = false;
	if (ok) {
		/* A new contact starts over (after UNLOAD, or a kexec'd kernel). */
		s->state = VMBUS_CONNECTED;
		s->version = in->version_requested;
		s->target_vcpu = in->target_vcpu;
		out.version_supported = 1;
		out.msg_conn_id = VMBUS_MESSAGE_CONNECTION_ID;
	} else {
		s->refused_versions++;
	}
	reply(s, &out, sizeof(out));
}

void vmbus_server_message(struct vmbus_server *s, const void *msg, size_t len)
{
	struct vmbus_initiate_contact contact;
	struct vmbus_msg_header h;

	if (len < sizeof(h)) {
		s->dropped++;
		return;
	}
	memcpy(&h, msg, sizeof(h));
	if (h.msgtype == VMBUS_MSG_INITIATE_CONTACT) {
		if (len < sizeof(contact)) {
			s->dropped++;
			return;
		}
		memcpy(&contact, msg, sizeof(contact));
		initiate_contact(s, &contact);
		return;
	}
	if (s->state != VMBUS_CONNECTED) {
		s->dropped++;
		return;
	}
	switch (h.msgtype) {
	case VMBUS_MSG_REQUESTOFFERS:
		reply_header(s, VMBUS_MSG_ALLOFFERS_DELIVERED);
		break;
	case VMBUS_MSG_UNLOAD:
		s->state = VMBUS_DISCONNECTED;
		s->version = 0;
		s->unloads++;
		reply_header(s, VMBUS_MSG_UNLOAD_RESPONSE);
		break;
	default:
		s->dropped++;
		break;
	}
}
