/* Integration services; contract in ic.h. */
#include "vsp/ic/ic.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "vsp/ic/ic_abi.h"

#define V(major, minor) ((uint32_t)(major) << 16 | (minor))

struct ic_kind_info {
	const char *name;
	uint8_t msgtype;
	uint32_t versions[4];           /* offered, newest first; 0 ends */
};

/* Framework versions offered to every service. */
static const uint32_t frameworks[] = { V(3, 0), V(1, 0) };

static const struct ic_kind_info kinds[IC_KINDS] = {
	[IC_HEARTBEAT] = { "heartbeat", IC_MSG_HEARTBEAT, { V(3, 0), V(1, 0) } },
	[IC_SHUTDOWN] = { "shutdown", IC_MSG_SHUTDOWN, { V(3, 2), V(3, 1), V(3, 0), V(1, 0) } },
	[IC_TIMESYNC] = { "timesync", IC_MSG_TIMESYNC, { V(4, 0) } },
	[IC_KVP] = { "kvp", IC_MSG_KVP, { V(4, 0), V(3, 0) } },
};

/* The largest request: KVP's. */
static uint8_t request[IC_BODY_OFFSET + sizeof(struct ic_kvp_enumerate)];
_Static_assert(sizeof(struct ic_kvp_enumerate) >= sizeof(struct ic_shutdown), "request buffer");

const char *ic_state_name(enum ic_state state)
{
	static const char *const names[] = { "closed", "negotiating", "ready", "failed" };

	return state <= IC_FAILED ? names[state] : "?";
}

const char *ic_version_text(uint32_t version, char *buf)
{
	snprintf(buf, 8, "%u.%u", (version >> 16) % 100, (version & 0xffff) % 100);
	return buf;
}

void ic_init(struct ic *ic, enum ic_kind kind, const struct ic_clock *clock)
{
	memset(ic, 0, sizeof(*ic));
	ic->kind = kind;
	ic->clock = clock;
}

static uint64_t now(const struct ic *ic)
{
	return ic->clock->reference(ic->clock->ctx);
}

/* Frame body[0..len) as a request of type msgtype and send it. */
static int send_request(struct ic *ic, uint8_t msgtype, const void *body, size_t len)
{
	struct ic_pipe_header pipe = { .flags = 1, .msgsize = (uint32_t)(sizeof(struct ic_header) + len) };
	struct ic_header h = {
		.framework = { (uint16_t)(ic->framework >> 16), (uint16_t)ic->framework },
		.msgtype = msgtype,
		.message = { (uint16_t)(ic->version >> 16), (uint16_t)ic->version },
		.msgsize = (uint16_t)len,
		.flags = IC_FLAG_TRANSACTION | IC_FLAG_REQUEST,
	};
	static uint64_t trans_ids;

	if (msgtype == IC_MSG_NEGOTIATE)
		h.framework = h.message = (struct ic_version){ 1, 0 };
	h.transaction = (uint8_t)++trans_ids;
	memcpy(request, &pipe, sizeof(pipe));
	memcpy(request + sizeof(pipe), &h, sizeof(h));
	memcpy(request + IC_BODY_OFFSET, body, len);
	if (vmbus_channel_send(ic->channel, trans_ids, request, IC_BODY_OFFSET + len))
		return -1;
	ic->trans_id = trans_ids;
	ic->msgtype = msgtype;
	ic->sent_at = now(ic);
	return 0;
}

static void negotiate(struct ic *ic)
{
	struct {
		struct ic_negotiate n;
		struct ic_version v[2 + 4];
	} body = { 0 };
	unsigned n = 0;

	body.n.framework_count = 2;
	for (unsigned i = 0; i < 2; i++)
		body.v[n++] = (struct ic_version){ (uint16_t)(frameworks[i] >> 16), (uint16_t)frameworks[i] };
	for (unsigned i = 0; i < 4 && kinds[ic->kind].versions[i]; i++, body.n.message_count++)
		body.v[n++] = (struct ic_version){ (uint16_t)(kinds[ic->kind].versions[i] >> 16),
						   (uint16_t)kinds[ic->kind].versions[i] };
	ic->state = IC_NEGOTIATING;
	if (send_request(ic, IC_MSG_NEGOTIATE, &body, sizeof(body.n) + n * sizeof(body.v[0])))
		ic->state = IC_FAILED;
}

static void heartbeat(struct ic *ic)
{
	struct ic_heartbeat beat = { .seq = ++ic->seq };

	send_request(ic, IC_MSG_HEARTBEAT, &beat, sizeof(beat));
}

static void timesync(struct ic *ic, uint8_t flags)
{
	struct ic_timesync t = { .parent_time = ic->clock->utc(ic->clock->ctx), .flags = flags };

	t.reference_time = now(ic);
	if (!send_request(ic, IC_MSG_TIMESYNC, &t, sizeof(t)))
		ic->last_sample = t.reference_time;
}

static void kvp_enumerate(struct ic *ic)
{
	static struct ic_kvp_enumerate e;

	memset(&e, 0, sizeof(e));
	e.operation = IC_KVP_OP_ENUMERATE;
	e.pool = IC_KVP_POOL_AUTO;
	e.index = ic->kvp_index;
	send_request(ic, IC_MSG_KVP, &e, sizeof(e));
}

/* UTF-16LE text[0..bytes) as printable ASCII (anything else '?'), up to
 * its NUL. */
static void ascii(char *out, size_t cap, const uint8_t *text, uint32_t bytes)
{
	size_t n = 0;

	for (uint32_t i = 0; i + 1 < bytes && n < cap; i += 2) {
		uint16_t c = (uint16_t)(text[i] | text[i + 1] << 8);

		if (!c)
			break;
		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
}

static void kvp_answered(struct ic *ic, const struct ic_header *h, const uint8_t *body, size_t len)
{
	static struct ic_kvp_enumerate e;
	uint32_t i = ic->kvp_index;

	if (len < sizeof(e)) {
		ic->bad++;
		return;
	}
	memcpy(&e, body, sizeof(e));
	if (h->status != IC_S_OK || i >= IC_KVP_PAIRS) {
		/* The pool ends here (HV_S_CONT, or an error): a round done. */
		ic->kvp_count = i;
		ic->kvp_index = 0;
		ic->kvp_rounds++;
		ic->kvp_round_at = now(ic);
		return;
	}
	if (e.index != i || e.key_size > IC_KVP_KEY_BYTES || e.value_size > IC_KVP_VALUE_BYTES) {
		ic->bad++;
		return;
	}
	ascii(ic->kvp[i].key, IC_KVP_KEY_MAX, e.key, e.key_size);
	ascii(ic->kvp[i].value, IC_KVP_VALUE_MAX, e.value, e.value_size);
	if (ic->kvp_count < i + 1)
		ic->kvp_count = i + 1;
	ic->kvp_index = i + 1;
	kvp_enumerate(ic);
}

const char *ic_kvp_value(const struct ic *ic, const char *key)
{
	for (uint32_t i = 0; i < ic->kvp_count && i < IC_KVP_PAIRS; i++)
		if (!strcmp(ic->kvp[i].key, key))
			return ic->kvp[i].value;
	return NULL;
}

int ic_shutdown(struct ic *ic)
{
	static struct ic_shutdown s;

	if (ic->kind != IC_SHUTDOWN || ic->state != IC_READY || ic->trans_id)
		return -1;
	memset(&s, 0, sizeof(s));
	s.reason = IC_SHUTDOWN_REASON_PLANNED;
	s.timeout_seconds = 0;
	s.flags = 0;
	if (send_request(ic, IC_MSG_SHUTDOWN, &s, sizeof(s)))
		return -1;
	ic->shutdown_sent = true;
	return 0;
}

const char *ic_health(const struct ic *hb, uint64_t at)
{
	if (!hb->beats)
		return "none";
	return hb->state == IC_READY && at - hb->last_beat < IC_HEARTBEAT_LOST ? "ok" : "lost";
}

static bool offered(const uint32_t *list, unsigned n, struct ic_version v)
{
	for (unsigned i = 0; i < n && list[i]; i++)
		if (list[i] == V(v.major, v.minor))
			return true;
	return false;
}

/* The child's choice: one framework and one service version, both ours. */
static void negotiated(struct ic *ic, const uint8_t *body, size_t len)
{
	struct ic_negotiate n;
	struct ic_version v[2];

	if (len < sizeof(n) + sizeof(v)) {
		ic->state = IC_FAILED;
		return;
	}
	memcpy(&n, body, sizeof(n));
	memcpy(v, body + sizeof(n), sizeof(v));
	if (n.framework_count != 1 || n.message_count != 1 || !offered(frameworks, 2, v[0]) ||
	    !offered(kinds[ic->kind].versions, 4, v[1])) {
		ic->state = IC_FAILED;
		return;
	}
	ic->framework = V(v[0].major, v[0].minor);
	ic->version = V(v[1].major, v[1].minor);
	ic->state = IC_READY;
}

static void answered(struct ic *ic, const struct ic_header *h, const uint8_t *body, size_t len)
{
	struct ic_heartbeat beat;

	switch (ic->msgtype) {
	case IC_MSG_NEGOTIATE:
		negotiated(ic, body, len);
		break;
	case IC_MSG_HEARTBEAT:
		if (len < sizeof(beat)) {
			ic->bad++;
			break;
		}
		memcpy(&beat, body, sizeof(beat));
		if (beat.seq != ic->seq + 1) {
			ic->bad++;
			break;
		}
		ic->beats++;
		ic->last_beat = now(ic);
		break;
	case IC_MSG_SHUTDOWN:
		ic->shutdown_answered = true;
		ic->shutdown_status = h->status;
		break;
	case IC_MSG_TIMESYNC:
		ic->syncs++;
		break;
	case IC_MSG_KVP:
		kvp_answered(ic, h, body, len);
		break;
	}
}

static void ic_packet(struct vmbus_channel *c, const struct vmbus_packet_desc *d, const uint8_t *payload, size_t len)
{
	struct ic *ic = c->priv;
	struct ic_header h;

	if (d->type != VMBUS_PACKET_DATA_INBAND || len < IC_BODY_OFFSET || !ic->trans_id || d->trans_id != ic->trans_id) {
		ic->bad++;
		return;
	}
	memcpy(&h, payload + sizeof(struct ic_pipe_header), sizeof(h));
	if (h.msgtype != ic->msgtype || !(h.flags & IC_FLAG_RESPONSE)) {
		ic->bad++;
		return;
	}
	ic->trans_id = 0;
	answered(ic, &h, payload + IC_BODY_OFFSET, len - IC_BODY_OFFSET);
	/* Set the clock, and learn about the guest, as soon as the versions
	 * are agreed. */
	if (ic->state == IC_READY && h.msgtype == IC_MSG_NEGOTIATE) {
		if (ic->kind == IC_TIMESYNC && !ic->syncs)
			timesync(ic, IC_TIMESYNC_SYNC);
		else if (ic->kind == IC_KVP)
			kvp_enumerate(ic);
	}
}

static void ic_open(struct vmbus_channel *c)
{
	struct ic *ic = c->priv;
	enum ic_kind kind = ic->kind;
	const struct ic_clock *clock = ic->clock;
	uint64_t beats = ic->beats, last_beat = ic->last_beat;

	ic_init(ic, kind, clock);
	ic->beats = beats;        /* health survives a reload of hv_utils */
	ic->last_beat = last_beat;
	/* (what the guest reported goes: a new daemon reports afresh) */
	ic->channel = c;
	negotiate(ic);
}

static void ic_tick(struct vmbus_channel *c, uint64_t at)
{
	struct ic *ic = c->priv;

	if (ic->trans_id) {
		if (ic->kind == IC_KVP && (ic->state == IC_NEGOTIATING || at - ic->sent_at < IC_KVP_TIMEOUT))
			return;
		if (at - ic->sent_at < IC_TIMEOUT)
			return;
		ic->trans_id = 0;      /* given up */
		ic->timeouts++;
		if (ic->state == IC_NEGOTIATING)
			ic->state = IC_FAILED;
	}
	if (ic->state != IC_READY)
		return;
	if (ic->kind == IC_HEARTBEAT && at - ic->sent_at >= IC_HEARTBEAT_PERIOD)
		heartbeat(ic);
	else if (ic->kind == IC_TIMESYNC && at - ic->last_sample >= IC_TIMESYNC_PERIOD)
		timesync(ic, ic->syncs ? IC_TIMESYNC_SAMPLE : IC_TIMESYNC_SYNC);
	else if (ic->kind == IC_KVP && at - ic->kvp_round_at >= IC_KVP_PERIOD)
		kvp_enumerate(ic);
}

static void ic_close(struct vmbus_channel *c)
{
	struct ic *ic = c->priv;

	ic->channel = NULL;
	ic->trans_id = 0;
	ic->state = IC_CLOSED;
}

/* if_type: the GUIDs hv_utils matches (docs/vmbus-protocol.md 6.1), in
 * wire order; instances are Keel's own ("KEEL" ... "ic" n). */
#define KEEL_IC_INSTANCE(n) { { 0x4b, 0x45, 0x45, 0x4c, 0, 0, 0, 0, 0x69, 0x63, 0, 0, 0, 0, 0, n } }
#define IC_OPS .open = ic_open, .packet = ic_packet, .tick = ic_tick, .close = ic_close

static const struct vmbus_service services[IC_KINDS] = {
	[IC_HEARTBEAT] = { "heartbeat",
			   { { 0x39, 0x4f, 0x16, 0x57, 0x15, 0x91, 0x78, 0x4e, 0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42,
			       0x2d } },
			   KEEL_IC_INSTANCE(1), IC_OPS },
	[IC_SHUTDOWN] = { "shutdown",
			  { { 0x31, 0x60, 0x0b, 0x0e, 0x13, 0x52, 0x34, 0x49, 0x81, 0x8b, 0x38, 0xd9, 0x0c, 0xed, 0x39,
			      0xdb } },
			  KEEL_IC_INSTANCE(2), IC_OPS },
	[IC_TIMESYNC] = { "timesync",
			  { { 0x30, 0xe6, 0x27, 0x95, 0xae, 0xd0, 0x7b, 0x49, 0xad, 0xce, 0xe8, 0x0a, 0xb0, 0x17, 0x5c,
			      0xaf } },
			  KEEL_IC_INSTANCE(3), IC_OPS },
	[IC_KVP] = { "kvp",
		     { { 0xe7, 0xf4, 0xa0, 0xa9, 0x45, 0x5a, 0x96, 0x4d, 0xb8, 0x27, 0x8a, 0x84, 0x1e, 0x8c, 0x03,
			 0xe6 } },
		     KEEL_IC_INSTANCE(4), IC_OPS },
};

const struct vmbus_service *ic_service(enum ic_kind kind)
{
	return &services[kind];
}
