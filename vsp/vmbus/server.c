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

const char *vmbus_channel_state_name(enum vmbus_channel_state state)
{
	switch (state) {
	case VMBUS_CHANNEL_OFFERED:
		return "offered";
	case VMBUS_CHANNEL_OPEN:
		return "open";
	case VMBUS_CHANNEL_RESCINDED:
		return "rescinded";
	default:
		return "free";
	}
}

void vmbus_server_init(struct vmbus_server *s, const struct vmbus_host *host)
{
	memset(s, 0, sizeof(*s));
	s->host = *host;
	for (unsigned i = 0; i < VMBUS_CHANNELS_MAX; i++) {
		s->channels[i].server = s;
		s->channels[i].relid = i + 1;
		s->channels[i].gpadl = -1;
	}
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

static struct vmbus_channel *channel(struct vmbus_server *s, uint32_t relid)
{
	return relid >= 1 && relid <= VMBUS_CHANNELS_MAX ? &s->channels[relid - 1] : NULL;
}

static struct vmbus_gpadl *gpadl_by_handle(struct vmbus_server *s, uint32_t handle)
{
	for (unsigned i = 0; i < VMBUS_GPADLS_MAX; i++)
		if (s->gpadls[i].used && s->gpadls[i].handle == handle)
			return &s->gpadls[i];
	return NULL;
}

/* ---- channels ---- */

static void send_offer(struct vmbus_server *s, const struct vmbus_channel *c)
{
	struct vmbus_offer_channel o = {
		.header.msgtype = VMBUS_MSG_OFFERCHANNEL,
		.if_type = c->service->type,
		.if_instance = c->service->instance,
		.child_relid = c->relid,
		.is_dedicated_interrupt = 1,
		.connection_id = VMBUS_CHANNEL_CONNECTION(c->relid),
	};

	reply(s, &o, sizeof(o));
}

int vmbus_server_offer(struct vmbus_server *s, const struct vmbus_service *service, void *priv)
{
	for (unsigned i = 0; i < VMBUS_CHANNELS_MAX; i++) {
		struct vmbus_channel *c = &s->channels[i];

		if (c->state != VMBUS_CHANNEL_FREE)
			continue;
		c->service = service;
		c->priv = priv;
		c->state = VMBUS_CHANNEL_OFFERED;
		if (s->state == VMBUS_CONNECTED && s->offers_requested)
			send_offer(s, c);
		return (int)c->relid;
	}
	return -1;
}

/* Stop using the rings; the GPADL stays until the child tears it down. */
static void close_channel(struct vmbus_server *s, struct vmbus_channel *c)
{
	if (c->state != VMBUS_CHANNEL_OPEN)
		return;
	if (c->service->close)
		c->service->close(c);
	s->host.close(s->host.ctx, c->relid);
	c->state = VMBUS_CHANNEL_OFFERED;
	c->gpadl = -1;
}

static void unmap_gpadl(struct vmbus_server *s, struct vmbus_gpadl *g)
{
	for (unsigned i = 0; i < VMBUS_CHANNELS_MAX; i++)
		if (s->channels[i].state == VMBUS_CHANNEL_OPEN && s->channels[i].gpadl == g - s->gpadls)
			close_channel(s, &s->channels[i]);
	if (g->at)
		s->host.unmap(s->host.ctx, g->at, g->pages);
	memset(g, 0, sizeof(*g));
}

int vmbus_server_rescind(struct vmbus_server *s, uint32_t relid)
{
	struct vmbus_channel *c = channel(s, relid);
	struct vmbus_relid_msg m = { .header.msgtype = VMBUS_MSG_RESCIND_CHANNELOFFER, .child_relid = relid };

	if (!c || (c->state != VMBUS_CHANNEL_OFFERED && c->state != VMBUS_CHANNEL_OPEN))
		return -1;
	close_channel(s, c);
	/* The host lets go of the channel's pages now; the child's teardowns
	 * that follow are answered all the same. */
	for (unsigned i = 0; i < VMBUS_GPADLS_MAX; i++)
		if (s->gpadls[i].used && s->gpadls[i].relid == relid)
			unmap_gpadl(s, &s->gpadls[i]);
	if (s->state == VMBUS_CONNECTED && s->offers_requested) {
		c->state = VMBUS_CHANNEL_RESCINDED;
		reply(s, &m, sizeof(m));
	} else {
		c->state = VMBUS_CHANNEL_FREE; /* the child never heard of it */
	}
	return 0;
}

void vmbus_server_reset(struct vmbus_server *s)
{
	for (unsigned i = 0; i < VMBUS_CHANNELS_MAX; i++) {
		close_channel(s, &s->channels[i]);
		if (s->channels[i].state == VMBUS_CHANNEL_RESCINDED)
			s->channels[i].state = VMBUS_CHANNEL_FREE;
	}
	for (unsigned i = 0; i < VMBUS_GPADLS_MAX; i++)
		if (s->gpadls[i].used)
			unmap_gpadl(s, &s->gpadls[i]);
	s->state = VMBUS_DISCONNECTED;
	s->version = 0;
	s->offers_requested = false;
}

unsigned vmbus_server_gpadls(const struct vmbus_server *s, uint64_t *pages)
{
	unsigned n = 0;

	*pages = 0;
	for (unsigned i = 0; i < VMBUS_GPADLS_MAX; i++)
		if (s->gpadls[i].used && s->gpadls[i].at) {
			n++;
			*pages += s->gpadls[i].pages;
		}
	return n;
}

/* ---- messages ---- */

/* Accept a version we speak, on the SINT the child's port uses; the
 * connection for later messages is VMBUS_MESSAGE_CONNECTION_ID. */
static void initiate_contact(struct vmbus_server *s, const struct vmbus_initiate_contact *in)
{
	struct vmbus_version_response out = { .header.msgtype = VMBUS_MSG_VERSION_RESPONSE };
	bool ok = supported(in->version_requested);

	if (ok && in->version_requested >= VMBUS_VERSION_WIN10_V5 && in->msg_sint != VMBUS_MESSAGE_SINT)
		ok = false;
	if (ok) {
		/* A new contact starts over (a kexec'd kernel). */
		vmbus_server_reset(s);
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

static void request_offers(struct vmbus_server *s)
{
	s->offers_requested = true;
	for (unsigned i = 0; i < VMBUS_CHANNELS_MAX; i++)
		if (s->channels[i].state == VMBUS_CHANNEL_OFFERED || s->channels[i].state == VMBUS_CHANNEL_OPEN)
			send_offer(s, &s->channels[i]);
	reply_header(s, VMBUS_MSG_ALLOFFERS_DELIVERED);
}

static void gpadl_created(struct vmbus_server *s, uint32_t relid, uint32_t handle, uint32_t status)
{
	struct vmbus_gpadl_created out = { .header.msgtype = VMBUS_MSG_GPADL_CREATED, .child_relid = relid,
					   .gpadl = handle, .creation_status = status };

	if (status)
		s->refused++;
	reply(s, &out, sizeof(out));
}

/* All pages there: map them and answer. */
static void gpadl_complete(struct vmbus_server *s, struct vmbus_gpadl *g)
{
	uint32_t relid = g->relid, handle = g->handle;

	g->at = s->host.map(s->host.ctx, g->pfns, g->pages);
	if (!g->at) {
		memset(g, 0, sizeof(*g));
		gpadl_created(s, relid, handle, VMBUS_STATUS_FAILED);
		return;
	}
	g->complete = true;
	gpadl_created(s, relid, handle, 0);
}

static void gpadl_header(struct vmbus_server *s, const uint8_t *msg, size_t len)
{
	struct vmbus_gpadl_header h;
	struct vmbus_channel *c;
	struct vmbus_gpadl *g = NULL;
	uint32_t pages, here;

	memcpy(&h, msg, sizeof(h));
	c = channel(s, h.child_relid);
	pages = (uint32_t)(((uint64_t)h.byte_offset + h.byte_count + VMBUS_RING_PAGE - 1) / VMBUS_RING_PAGE);
	if (!c || (c->state != VMBUS_CHANNEL_OFFERED && c->state != VMBUS_CHANNEL_OPEN) || h.rangecount != 1 ||
	    h.byte_offset >= VMBUS_RING_PAGE || !h.byte_count || pages > VMBUS_GPADL_PAGES_MAX ||
	    h.range_buflen != 8 + 8 * pages || !h.gpadl || gpadl_by_handle(s, h.gpadl)) {
		gpadl_created(s, h.child_relid, h.gpadl, VMBUS_STATUS_FAILED);
		return;
	}
	here = pages < VMBUS_GPADL_HEADER_PFNS ? pages : VMBUS_GPADL_HEADER_PFNS;
	if (len < sizeof(h) + 8 * here) {
		gpadl_created(s, h.child_relid, h.gpadl, VMBUS_STATUS_FAILED);
		return;
	}
	for (unsigned i = 0; i < VMBUS_GPADLS_MAX && !g; i++)
		if (!s->gpadls[i].used)
			g = &s->gpadls[i];
	if (!g) {
		gpadl_created(s, h.child_relid, h.gpadl, VMBUS_STATUS_FAILED);
		return;
	}
	g->used = true;
	g->handle = h.gpadl;
	g->relid = h.child_relid;
	g->pages = pages;
	g->received = here;
	memcpy(g->pfns, msg + sizeof(h), 8 * here);
	if (g->received == g->pages)
		gpadl_complete(s, g);
}

static void gpadl_body(struct vmbus_server *s, const uint8_t *msg, size_t len)
{
	struct vmbus_gpadl_body b;
	struct vmbus_gpadl *g;
	size_t n = (len - sizeof(b)) / 8;

	memcpy(&b, msg, sizeof(b));
	g = gpadl_by_handle(s, b.gpadl);
	if (!g || g->complete || !n || n > g->pages - g->received) {
		s->dropped++;
		return;
	}
	memcpy(g->pfns + g->received, msg + sizeof(b), 8 * n);
	g->received += (uint32_t)n;
	if (g->received == g->pages)
		gpadl_complete(s, g);
}

static void gpadl_teardown(struct vmbus_server *s, const struct vmbus_gpadl_teardown *t)
{
	struct vmbus_gpadl_torndown out = { .header.msgtype = VMBUS_MSG_GPADL_TORNDOWN, .gpadl = t->gpadl };
	struct vmbus_gpadl *g = gpadl_by_handle(s, t->gpadl);

	/* Unknown handles too get their answer: Linux waits for it. */
	if (g)
		unmap_gpadl(s, g);
	reply(s, &out, sizeof(out));
}

static void open_channel(struct vmbus_server *s, const struct vmbus_open_channel *o)
{
	struct vmbus_open_result out = { .header.msgtype = VMBUS_MSG_OPENCHANNEL_RESULT, .child_relid = o->child_relid,
					 .openid = o->openid, .status = VMBUS_STATUS_FAILED };
	struct vmbus_channel *c = channel(s, o->child_relid);
	struct vmbus_gpadl *g = gpadl_by_handle(s, o->ringbuffer_gpadl);
	uint32_t off = o->downstream_page_offset;

	if (!c || c->state != VMBUS_CHANNEL_OFFERED || !g || !g->complete || g->relid != c->relid || off < 2 ||
	    off > g->pages || g->pages - off < 2) {
		s->refused++;
		reply(s, &out, sizeof(out));
		return;
	}
	for (unsigned i = 0; i < VMBUS_CHANNELS_MAX; i++)
		if (s->channels[i].state == VMBUS_CHANNEL_OPEN && s->channels[i].gpadl == g - s->gpadls) {
			s->refused++;
			reply(s, &out, sizeof(out));
			return;
		}
	vmbus_ring_init(&c->in, g->at, off, false);
	vmbus_ring_init(&c->out, (uint8_t *)g->at + (size_t)off * VMBUS_RING_PAGE, g->pages - off, true);
	if (c->in.broken || c->out.broken || s->host.open(s->host.ctx, c->relid, o->target_vp)) {
		s->refused++;
		reply(s, &out, sizeof(out));
		return;
	}
	c->state = VMBUS_CHANNEL_OPEN;
	c->openid = o->openid;
	c->target_vp = o->target_vp;
	c->gpadl = (int)(g - s->gpadls);
	c->packets_in = c->packets_out = c->signals_out = 0;
	c->send_failures = 0;
	out.status = 0;
	reply(s, &out, sizeof(out));
	if (c->service->open)
		c->service->open(c);
}

static void relid_message(struct vmbus_server *s, uint32_t type, uint32_t relid)
{
	struct vmbus_channel *c = channel(s, relid);

	if (type == VMBUS_MSG_CLOSECHANNEL && c && c->state == VMBUS_CHANNEL_OPEN)
		close_channel(s, c);
	else if (type == VMBUS_MSG_RELID_RELEASED && c && c->state == VMBUS_CHANNEL_RESCINDED)
		c->state = VMBUS_CHANNEL_FREE;
	else
		s->dropped++;
}

/* The smallest message of each type the child may send; 0: not one. */
static size_t min_length(uint32_t type)
{
	switch (type) {
	case VMBUS_MSG_REQUESTOFFERS:
	case VMBUS_MSG_UNLOAD:
		return sizeof(struct vmbus_msg_header);
	case VMBUS_MSG_INITIATE_CONTACT:
		return sizeof(struct vmbus_initiate_contact);
	case VMBUS_MSG_OPENCHANNEL:
		return sizeof(struct vmbus_open_channel);
	case VMBUS_MSG_CLOSECHANNEL:
	case VMBUS_MSG_RELID_RELEASED:
		return sizeof(struct vmbus_relid_msg);
	case VMBUS_MSG_GPADL_HEADER:
		return sizeof(struct vmbus_gpadl_header);
	case VMBUS_MSG_GPADL_BODY:
		return sizeof(struct vmbus_gpadl_body) + 8;
	case VMBUS_MSG_GPADL_TEARDOWN:
		return sizeof(struct vmbus_gpadl_teardown);
	default:
		return 0;
	}
}

void vmbus_server_message(struct vmbus_server *s, const void *msg, size_t len)
{
	union {
		struct vmbus_msg_header h;
		struct vmbus_initiate_contact contact;
		struct vmbus_open_channel open;
		struct vmbus_relid_msg relid;
		struct vmbus_gpadl_teardown teardown;
	} m;
	size_t need;

	if (len < sizeof(m.h) || len > 240) {
		s->dropped++;
		return;
	}
	memcpy(&m.h, msg, sizeof(m.h));
	need = min_length(m.h.msgtype);
	if (!need || len < need || (s->state != VMBUS_CONNECTED && m.h.msgtype != VMBUS_MSG_INITIATE_CONTACT)) {
		s->dropped++;
		return;
	}
	memcpy(&m, msg, need < sizeof(m) ? need : sizeof(m));
	switch (m.h.msgtype) {
	case VMBUS_MSG_INITIATE_CONTACT:
		initiate_contact(s, &m.contact);
		break;
	case VMBUS_MSG_REQUESTOFFERS:
		request_offers(s);
		break;
	case VMBUS_MSG_GPADL_HEADER:
		gpadl_header(s, msg, len);
		break;
	case VMBUS_MSG_GPADL_BODY:
		gpadl_body(s, msg, len);
		break;
	case VMBUS_MSG_GPADL_TEARDOWN:
		gpadl_teardown(s, &m.teardown);
		break;
	case VMBUS_MSG_OPENCHANNEL:
		open_channel(s, &m.open);
		break;
	case VMBUS_MSG_CLOSECHANNEL:
	case VMBUS_MSG_RELID_RELEASED:
		relid_message(s, m.h.msgtype, m.relid.child_relid);
		break;
	case VMBUS_MSG_UNLOAD:
		vmbus_server_reset(s);
		s->unloads++;
		reply_header(s, VMBUS_MSG_UNLOAD_RESPONSE);
		break;
	}
}

/* ---- rings ---- */

static void broken(struct vmbus_server *s, struct vmbus_channel *c)
{
	s->broken_rings++;
	close_channel(s, c);
}

void vmbus_server_event(struct vmbus_server *s, uint32_t relid)
{
	struct vmbus_channel *c = channel(s, relid);
	bool more = true;
	int n;

	if (!c || c->state != VMBUS_CHANNEL_OPEN)
		return;
	while (more && c->state == VMBUS_CHANNEL_OPEN) {
		while ((n = vmbus_ring_read(&c->in, s->packet, sizeof(s->packet))) > 0) {
			struct vmbus_packet_desc d;

			memcpy(&d, s->packet, sizeof(d));
			c->packets_in++;
			c->service->packet(c, &d, s->packet + d.offset8 * 8, (size_t)n - d.offset8 * 8u);
			if (c->state != VMBUS_CHANNEL_OPEN)
				return;
		}
		if (n < 0) {
			broken(s, c);
			return;
		}
		if (vmbus_ring_read_done(&c->in, &more) > 0)
			s->host.signal(s->host.ctx, c->relid);
	}
}

void vmbus_server_tick(struct vmbus_server *s, uint64_t now)
{
	for (unsigned i = 0; i < VMBUS_CHANNELS_MAX; i++) {
		struct vmbus_channel *c = &s->channels[i];

		if (c->state == VMBUS_CHANNEL_OPEN && c->service->tick)
			c->service->tick(c, now);
	}
}

int vmbus_channel_send(struct vmbus_channel *c, uint64_t trans_id, const void *payload, size_t len)
{
	int r;

	if (c->state != VMBUS_CHANNEL_OPEN)
		return -1;
	r = vmbus_ring_write(&c->out, VMBUS_PACKET_DATA_INBAND, 0, trans_id, payload, len);
	if (r < 0) {
		c->send_failures++;
		if (c->out.broken)
			broken(c->server, c);
		return -1;
	}
	c->packets_out++;
	if (r) {
		c->signals_out++;
		c->server->host.signal(c->server->host.ctx, c->relid);
	}
	return 0;
}
