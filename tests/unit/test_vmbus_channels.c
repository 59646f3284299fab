/*
 * Host unit tests for VMBus channels: offers, GPADLs, open/close, rescind,
 * the rings (vsp/vmbus/ring.c) and the integration services
 * (vsp/ic/ic.c), with this file playing Linux 6.1's hv_vmbus and hv_utils:
 * a fake child memory the host "maps", ring reads and writes done as the
 * child does them, and answers built as hv_utils builds them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vsp/ic/ic.h"
#include "vsp/ic/ic_abi.h"
#include "vsp/vmbus/ring.h"
#include "vsp/vmbus/server.h"
#include "vsp/vmbus/vmbus_abi.h"

#define CHILD_PAGES 64
#define GPADL_RING  0xe1e10u

static uint8_t child[CHILD_PAGES * 4096] __attribute__((aligned(4096)));

static struct {
	unsigned posts;
	size_t len[64];
	uint8_t msg[64][240];
	unsigned maps, unmaps, mapped_pages;
	unsigned opens, closes, open_fail;
	uint32_t open_vp;
	unsigned signals[VMBUS_CHANNELS_MAX + 1];
} host;

static int post(void *ctx, const void *msg, size_t len)
{
	(void)ctx;
	assert_true(host.posts < 64 && len <= 240);
	memcpy(host.msg[host.posts], msg, len);
	host.len[host.posts++] = len;
	return 0;
}

/* Only runs of consecutive pages can be mapped here. */
static void *map(void *ctx, const uint64_t *pfns, uint32_t n)
{
	(void)ctx;
	for (uint32_t i = 0; i < n; i++)
		if (pfns[i] >= CHILD_PAGES || pfns[i] != pfns[0] + i)
			return NULL;
	host.maps++;
	host.mapped_pages += n;
	return child + pfns[0] * 4096;
}

static void unmap(void *ctx, void *at, uint32_t n)
{
	(void)ctx;
	(void)at;
	host.unmaps++;
	host.mapped_pages -= n;
}

static int open_channel(void *ctx, uint32_t relid, uint32_t vp)
{
	(void)ctx;
	(void)relid;
	host.open_vp = vp;
	if (host.open_fail)
		return -1;
	host.opens++;
	return 0;
}

static void close_channel(void *ctx, uint32_t relid)
{
	(void)ctx;
	(void)relid;
	host.closes++;
}

static void signal_child(void *ctx, uint32_t relid)
{
	(void)ctx;
	assert_true(relid >= 1 && relid <= VMBUS_CHANNELS_MAX);
	host.signals[relid]++;
}

static uint64_t ref_now;
static uint64_t reference(void *ctx)
{
	(void)ctx;
	return ref_now;
}

static uint64_t utc(void *ctx)
{
	(void)ctx;
	return IC_UNIX_EPOCH_1601 + 1700000000ull * 10000000ull;
}

static const struct ic_clock clock = { reference, utc, NULL };
static struct vmbus_server server;
static struct ic ics[IC_KINDS];

static int setup(void **state)
{
	const struct vmbus_host h = { post, map, unmap, open_channel, close_channel, signal_child, NULL };

	(void)state;
	memset(&host, 0, sizeof(host));
	memset(child, 0, sizeof(child));
	ref_now = 1000;
	vmbus_server_init(&server, &h);
	for (int k = 0; k < IC_KINDS; k++) {
		ic_init(&ics[k], k, &clock);
		assert_int_equal(vmbus_server_offer(&server, ic_service(k), &ics[k]), k + 1);
	}
	return 0;
}

static void send_msg(const void *msg, size_t len)
{
	vmbus_server_message(&server, msg, len);
}

static uint32_t type_of(unsigned i)
{
	uint32_t t;

	memcpy(&t, host.msg[i], 4);
	return t;
}

static void connect_child(void)
{
	struct vmbus_initiate_contact c = { .header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
					    .version_requested = VMBUS_VERSION_WIN10_V5_3,
					    .msg_sint = VMBUS_MESSAGE_SINT };
	struct vmbus_msg_header h = { .msgtype = VMBUS_MSG_REQUESTOFFERS };

	send_msg(&c, sizeof(c));
	send_msg(&h, sizeof(h));
}

/* GPADL_HEADER (+ bodies) for pages first..first+n, as Linux splits it. */
static void gpadl(uint32_t relid, uint32_t handle, uint64_t first, uint32_t n)
{
	uint8_t msg[240];
	struct vmbus_gpadl_header h = { .header.msgtype = VMBUS_MSG_GPADL_HEADER, .child_relid = relid,
					.gpadl = handle, .range_buflen = (uint16_t)(8 + 8 * n), .rangecount = 1,
					.byte_count = n * 4096 };
	uint32_t here = n < VMBUS_GPADL_HEADER_PFNS ? n : VMBUS_GPADL_HEADER_PFNS, sent = 0;

	memcpy(msg, &h, sizeof(h));
	for (uint32_t i = 0; i < here; i++, sent++) {
		uint64_t pfn = first + sent;
		memcpy(msg + sizeof(h) + 8 * i, &pfn, 8);
	}
	send_msg(msg, sizeof(h) + 8 * here);
	while (sent < n) {
		struct vmbus_gpadl_body b = { .header.msgtype = VMBUS_MSG_GPADL_BODY, .gpadl = handle };
		uint32_t m = n - sent < VMBUS_GPADL_BODY_PFNS ? n - sent : VMBUS_GPADL_BODY_PFNS;

		memcpy(msg, &b, sizeof(b));
		for (uint32_t i = 0; i < m; i++, sent++) {
			uint64_t pfn = first + sent;
			memcpy(msg + sizeof(b) + 8 * i, &pfn, 8);
		}
		send_msg(msg, sizeof(b) + 8 * m);
	}
}

static struct vmbus_gpadl_created created(unsigned i)
{
	struct vmbus_gpadl_created c;

	assert_int_equal(type_of(i), VMBUS_MSG_GPADL_CREATED);
	memcpy(&c, host.msg[i], sizeof(c));
	return c;
}

static struct vmbus_open_result open_result(unsigned i)
{
	struct vmbus_open_result r;

	assert_int_equal(type_of(i), VMBUS_MSG_OPENCHANNEL_RESULT);
	memcpy(&r, host.msg[i], sizeof(r));
	return r;
}

static void open_msg(uint32_t relid, uint32_t handle, uint32_t offset, uint32_t vp)
{
	struct vmbus_open_channel o = { .header.msgtype = VMBUS_MSG_OPENCHANNEL, .child_relid = relid, .openid = relid,
					.ringbuffer_gpadl = handle, .target_vp = vp, .downstream_page_offset = offset };

	send_msg(&o, sizeof(o));
}

/* ---- the child's side of a ring, as Linux does it ---- */

struct child_ring {
	struct vmbus_ring_header *hdr;
	uint8_t *data;
	uint32_t size;
};

static struct child_ring child_ring(uint64_t first_page, uint32_t pages)
{
	struct child_ring r = { (void *)(child + first_page * 4096), child + (first_page + 1) * 4096,
				(pages - 1) * 4096 };
	return r;
}

/* Read one packet's payload; returns its length, 0 if empty. */
static size_t child_read(struct child_ring *r, struct vmbus_packet_desc *d, uint8_t *payload)
{
	uint32_t rd = r->hdr->read_index, len;

	if (rd == r->hdr->write_index)
		return 0;
	for (uint32_t i = 0; i < sizeof(*d); i++)
		((uint8_t *)d)[i] = r->data[(rd + i) % r->size];
	len = d->len8 * 8u - d->offset8 * 8u;
	for (uint32_t i = 0; i < len; i++)
		payload[i] = r->data[(rd + d->offset8 * 8u + i) % r->size];
	r->hdr->read_index = (rd + d->len8 * 8u + 8) % r->size;
	return len;
}

/* Write one in-band packet; true when the host must be signalled. */
static bool child_write(struct child_ring *r, uint64_t trans_id, const void *payload, size_t len)
{
	struct vmbus_packet_desc d = { VMBUS_PACKET_DATA_INBAND, 2, (uint16_t)((16 + len + 7) / 8), 0, trans_id };
	uint32_t wr = r->hdr->write_index, total = d.len8 * 8u + 8, at = wr;
	uint64_t trailer = (uint64_t)wr << 32;
	uint8_t pkt[8192] = { 0 };

	memcpy(pkt, &d, 16);
	memcpy(pkt + 16, payload, len);
	memcpy(pkt + d.len8 * 8u, &trailer, 8);
	for (uint32_t i = 0; i < total; i++, at = (at + 1) % r->size)
		r->data[at] = pkt[i];
	r->hdr->write_index = at;
	return !r->hdr->interrupt_mask && r->hdr->read_index == wr;
}

/* Open IC channel relid on pages [base, base+8): 4 + 4, as hv_utils does. */
static void open_ic(uint32_t relid, uint64_t base)
{
	unsigned p = host.posts;

	gpadl(relid, GPADL_RING + relid, base, 8);
	assert_int_equal(created(p).creation_status, 0);
	open_msg(relid, GPADL_RING + relid, 4, 0);
	assert_int_equal(open_result(p + 1).status, 0);
	/* hv_util sets the feature bit in both rings */
	child_ring(base, 4).hdr->feature_bits = 1;
	child_ring(base + 4, 4).hdr->feature_bits = 1;
}

/* What the guest's KVP daemon reports, by index; then HV_S_CONT. */
static const char *const kvp_keys[] = { "FullyQualifiedDomainName", "OSName", "NetworkAddressIPv4" };
static const char *const kvp_values[] = { "lx", "Lin\033ux", "10.0.0.2" };

/* s as UTF-16LE with its NUL into out: its size in bytes. */
static uint32_t utf16(uint8_t *out, const char *s)
{
	uint32_t n = 0;

	for (; *s; s++, n += 2)
		out[n] = (uint8_t)*s, out[n + 1] = 0;
	out[n] = out[n + 1] = 0;
	return n + 2;
}

static void kvp_answer(uint8_t *body, struct ic_header *h)
{
	struct ic_kvp_enumerate e;

	memcpy(&e, body, sizeof(e));
	assert_int_equal(e.operation, IC_KVP_OP_ENUMERATE);
	assert_int_equal(e.pool, IC_KVP_POOL_AUTO);
	if (e.index >= sizeof(kvp_keys) / sizeof(kvp_keys[0])) {
		h->status = 0x80070103u; /* HV_S_CONT: no more */
		return;
	}
	e.value_type = IC_KVP_REG_SZ;
	e.key_size = utf16(e.key, kvp_keys[e.index]);
	e.value_size = utf16(e.value, kvp_values[e.index]);
	memcpy(body, &e, sizeof(e));
}

/* hv_utils' answer to what the host's ring holds: versions chosen, a
 * heartbeat's seq + 1, KVP from the table above, everything else echoed
 * with the response flag. */
static void child_answer(uint32_t relid, uint64_t base)
{
	struct child_ring in = child_ring(base + 4, 4), out = child_ring(base, 4);
	struct vmbus_packet_desc d;
	static uint8_t buf[4096];
	size_t len;

	while ((len = child_read(&in, &d, buf))) {
		struct ic_header h;

		memcpy(&h, buf + 8, sizeof(h));
		if (h.msgtype == IC_MSG_NEGOTIATE) {
			struct ic_negotiate n;
			struct ic_version v[2];

			memcpy(&n, buf + IC_BODY_OFFSET, sizeof(n));
			memcpy(&v[0], buf + IC_BODY_OFFSET + 8, 4);                           /* first framework */
			memcpy(&v[1], buf + IC_BODY_OFFSET + 8 + 4 * n.framework_count, 4); /* first service */
			n.framework_count = n.message_count = 1;
			memcpy(buf + IC_BODY_OFFSET, &n, sizeof(n));
			memcpy(buf + IC_BODY_OFFSET + 8, v, sizeof(v));
		} else if (h.msgtype == IC_MSG_HEARTBEAT) {
			uint64_t seq;

			memcpy(&seq, buf + IC_BODY_OFFSET, 8);
			seq++;
			memcpy(buf + IC_BODY_OFFSET, &seq, 8);
		} else if (h.msgtype == IC_MSG_KVP) {
			kvp_answer(buf + IC_BODY_OFFSET, &h);
		}
		h.flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
		memcpy(buf + 8, &h, sizeof(h));
		if (child_write(&out, d.trans_id, buf, len))
			vmbus_server_event(&server, relid);
	}
}

/* ---- tests ---- */

static void test_offers(void **state)
{
	struct vmbus_offer_channel o;

	(void)state;
	connect_child();
	assert_int_equal(host.posts, 1 + IC_KINDS + 1);
	for (unsigned i = 0; i < IC_KINDS; i++) {
		assert_int_equal(type_of(1 + i), VMBUS_MSG_OFFERCHANNEL);
		assert_int_equal(host.len[1 + i], 196);
		memcpy(&o, host.msg[1 + i], sizeof(o));
		assert_int_equal(o.child_relid, i + 1);
		assert_int_equal(o.connection_id, VMBUS_CHANNEL_CONNECTION(i + 1));
		assert_int_equal(o.monitor_allocated, 0);
		assert_int_equal(o.is_dedicated_interrupt, 1);
		assert_memory_equal(&o.if_type, &ic_service(i)->type, 16);
	}
	memcpy(&o, host.msg[1], sizeof(o));
	assert_int_equal(o.if_type.b[0], 0x39); /* heartbeat 57164f39-... */
	assert_int_equal(type_of(1 + IC_KINDS), VMBUS_MSG_ALLOFFERS_DELIVERED);
}

static void test_gpadl_with_bodies(void **state)
{
	(void)state;
	connect_child();
	host.posts = 0;
	gpadl(1, 0x100, 2, 60); /* header 26 + bodies 28 + 6 */
	assert_int_equal(host.posts, 1);
	assert_int_equal(created(0).creation_status, 0);
	assert_int_equal(created(0).gpadl, 0x100);
	assert_int_equal(host.maps, 1);
	assert_int_equal(host.mapped_pages, 60);
	gpadl(1, 0x100, 2, 1);  /* the handle is taken */
	assert_int_not_equal(created(1).creation_status, 0);
	gpadl(1, 0x101, 62, 4); /* beyond the child's memory: the host cannot map it */
	assert_int_not_equal(created(2).creation_status, 0);
	gpadl(9, 0x102, 0, 1);  /* no such channel */
	assert_int_not_equal(created(3).creation_status, 0);
	struct vmbus_gpadl_teardown t = { .header.msgtype = VMBUS_MSG_GPADL_TEARDOWN, .child_relid = 1, .gpadl = 0x100 };
	send_msg(&t, sizeof(t));
	assert_int_equal(type_of(4), VMBUS_MSG_GPADL_TORNDOWN);
	assert_int_equal(host.mapped_pages, 0);
	assert_int_equal(host.unmaps, 1);
	send_msg(&t, sizeof(t)); /* again: answered, nothing unmapped twice */
	assert_int_equal(type_of(5), VMBUS_MSG_GPADL_TORNDOWN);
	assert_int_equal(host.unmaps, 1);
}

static void test_ic_negotiation_and_heartbeat(void **state)
{
	(void)state;
	connect_child();
	open_ic(1, 0);
	assert_int_equal(host.opens, 1);
	assert_int_equal(ics[IC_HEARTBEAT].state, IC_NEGOTIATING);
	assert_int_equal(host.signals[1], 1); /* the negotiation, into an empty ring */
	assert_string_equal(ic_health(&ics[IC_HEARTBEAT], ref_now), "none");
	child_answer(1, 0);
	assert_int_equal(ics[IC_HEARTBEAT].state, IC_READY);
	assert_int_equal(ics[IC_HEARTBEAT].framework, 0x00030000);
	assert_int_equal(ics[IC_HEARTBEAT].version, 0x00030000);
	for (int i = 0; i < 5; i++) {
		ref_now += IC_HEARTBEAT_PERIOD;
		vmbus_server_tick(&server, ref_now);
		child_answer(1, 0);
	}
	assert_int_equal(ics[IC_HEARTBEAT].beats, 5);
	assert_int_equal(ics[IC_HEARTBEAT].bad, 0);
	assert_string_equal(ic_health(&ics[IC_HEARTBEAT], ref_now), "ok");
	/* The child stops answering: lost after IC_HEARTBEAT_LOST. */
	for (int i = 0; i < 6; i++) {
		ref_now += IC_HEARTBEAT_PERIOD;
		vmbus_server_tick(&server, ref_now);
	}
	assert_string_equal(ic_health(&ics[IC_HEARTBEAT], ref_now), "lost");
	assert_true(ics[IC_HEARTBEAT].timeouts >= 1);
}

static void test_shutdown_and_timesync(void **state)
{
	struct child_ring in = child_ring(8 + 4, 4);
	struct vmbus_packet_desc d;
	uint8_t buf[4096];

	(void)state;
	connect_child();
	open_ic(2, 8);
	assert_int_equal(ic_shutdown(&ics[IC_SHUTDOWN]), -1); /* not negotiated yet */
	child_answer(2, 8);
	assert_int_equal(ics[IC_SHUTDOWN].version, 0x00030002);
	assert_int_equal(ic_shutdown(&ics[IC_SHUTDOWN]), 0);
	/* The request is as long as Linux requires: 28 + 2060. */
	struct vmbus_ring_header saved = *in.hdr;
	assert_int_equal(child_read(&in, &d, buf), 2088);
	*in.hdr = saved;
	child_answer(2, 8);
	assert_true(ics[IC_SHUTDOWN].shutdown_answered);
	assert_int_equal(ics[IC_SHUTDOWN].shutdown_status, IC_S_OK);

	open_ic(3, 16);
	child_answer(3, 16); /* negotiation: 4.0, then a SYNC at once, answered too */
	assert_int_equal(ics[IC_TIMESYNC].version, 0x00040000);
	assert_int_equal(ics[IC_TIMESYNC].syncs, 1);
	struct child_ring tin = child_ring(16 + 4, 4);
	tin.hdr->read_index = 16 + 48 + 8;  /* the SYNC, after the negotiation */
	assert_int_equal(child_read(&tin, &d, buf), (IC_BODY_OFFSET + sizeof(struct ic_timesync) + 7) & ~7u);
	struct ic_timesync t;
	memcpy(&t, buf + IC_BODY_OFFSET, sizeof(t));
	assert_int_equal(t.flags, IC_TIMESYNC_SYNC);
	assert_int_equal(t.reference_time, ref_now);
	assert_true(t.parent_time > IC_UNIX_EPOCH_1601);
}

static void test_kvp(void **state)
{
	struct ic *kvp = &ics[IC_KVP];

	(void)state;
	connect_child();
	open_ic(4, 24);
	ref_now += IC_TIMEOUT * 4;    /* no daemon yet: the negotiation waits */
	vmbus_server_tick(&server, ref_now);
	assert_int_equal(kvp->state, IC_NEGOTIATING);
	child_answer(4, 24);          /* negotiation, then the whole pool */
	assert_int_equal(kvp->version, 0x00040000);
	assert_int_equal(kvp->kvp_rounds, 1);
	assert_int_equal(kvp->kvp_count, 3);
	assert_string_equal(ic_kvp_value(kvp, "FullyQualifiedDomainName"), "lx");
	assert_string_equal(ic_kvp_value(kvp, "OSName"), "Lin?ux"); /* no control bytes reach the console */
	assert_string_equal(ic_kvp_value(kvp, "NetworkAddressIPv4"), "10.0.0.2");
	assert_null(ic_kvp_value(kvp, "OSVersion"));
	assert_int_equal(kvp->bad, 0);
	/* Again after IC_KVP_PERIOD. */
	ref_now += IC_KVP_PERIOD;
	vmbus_server_tick(&server, ref_now);
	child_answer(4, 24);
	assert_int_equal(kvp->kvp_rounds, 2);
}

static void test_open_refusals(void **state)
{
	(void)state;
	connect_child();
	gpadl(1, 0x200, 0, 8);
	gpadl(2, 0x201, 8, 3);
	host.posts = 0;
	open_msg(1, 0x999, 4, 0); /* no such GPADL */
	open_msg(1, 0x201, 1, 0); /* another channel's GPADL */
	open_msg(1, 0x200, 1, 0); /* a ring of one page */
	open_msg(1, 0x200, 7, 0);
	open_msg(1, 0x200, 0xffffffffu, 0);
	open_msg(2, 0x201, 2, 0); /* 3 pages: no room for two rings */
	open_msg(9, 0x200, 4, 0); /* no such channel */
	for (unsigned i = 0; i < 7; i++)
		assert_int_not_equal(open_result(i).status, 0);
	host.open_fail = 1;      /* the hypervisor refuses the ports */
	open_msg(1, 0x200, 4, 3);
	assert_int_not_equal(open_result(7).status, 0);
	assert_int_equal(host.open_vp, 3);
	host.open_fail = 0;
	open_msg(1, 0x200, 4, 0);
	assert_int_equal(open_result(8).status, 0);
	open_msg(1, 0x200, 4, 0); /* open already */
	assert_int_not_equal(open_result(9).status, 0);
	assert_int_equal(server.refused, 9 + 0);
}

static void test_close_teardown_unload(void **state)
{
	struct vmbus_relid_msg close = { .header.msgtype = VMBUS_MSG_CLOSECHANNEL, .child_relid = 1 };
	struct vmbus_gpadl_teardown t = { .header.msgtype = VMBUS_MSG_GPADL_TEARDOWN, .child_relid = 2, .gpadl = GPADL_RING + 2 };
	struct vmbus_msg_header unload = { .msgtype = VMBUS_MSG_UNLOAD };

	(void)state;
	connect_child();
	open_ic(1, 0);
	open_ic(2, 8);
	open_ic(3, 16);
	send_msg(&close, sizeof(close));
	assert_int_equal(host.closes, 1);
	assert_int_equal(server.channels[0].state, VMBUS_CHANNEL_OFFERED);
	assert_int_equal(ics[IC_HEARTBEAT].state, IC_CLOSED);
	/* Tearing down a ring GPADL under an open channel closes it first. */
	send_msg(&t, sizeof(t));
	assert_int_equal(host.closes, 2);
	assert_int_equal(server.channels[1].state, VMBUS_CHANNEL_OFFERED);
	/* UNLOAD: nothing stays open or mapped. */
	send_msg(&unload, sizeof(unload));
	assert_int_equal(host.closes, 3);
	assert_int_equal(host.mapped_pages, 0);
	assert_int_equal(host.maps, host.unmaps);
	assert_int_equal(server.state, VMBUS_DISCONNECTED);
	/* A new connection sees the same offers and can open again. */
	connect_child();
	open_ic(1, 0);
	assert_int_equal(server.channels[0].state, VMBUS_CHANNEL_OPEN);
	vmbus_server_reset(&server);
	assert_int_equal(host.mapped_pages, 0);
	assert_int_equal(host.opens, host.closes);
}

static void test_rescind(void **state)
{
	struct vmbus_relid_msg released = { .header.msgtype = VMBUS_MSG_RELID_RELEASED, .child_relid = 1 };
	struct vmbus_relid_msg m;

	(void)state;
	connect_child();
	open_ic(1, 0);
	unsigned p = host.posts;
	assert_int_equal(vmbus_server_rescind(&server, 1), 0);
	assert_int_equal(type_of(p), VMBUS_MSG_RESCIND_CHANNELOFFER);
	memcpy(&m, host.msg[p], sizeof(m));
	assert_int_equal(m.child_relid, 1);
	assert_int_equal(host.mapped_pages, 0); /* the host let go of the pages */
	assert_int_equal(server.channels[0].state, VMBUS_CHANNEL_RESCINDED);
	assert_int_equal(vmbus_server_offer(&server, ic_service(IC_HEARTBEAT), &ics[0]), IC_KINDS + 1); /* relid 1 still held */
	send_msg(&released, sizeof(released));
	assert_int_equal(server.channels[0].state, VMBUS_CHANNEL_FREE);
	assert_int_equal(vmbus_server_offer(&server, ic_service(IC_HEARTBEAT), &ics[0]), 1);
	assert_int_equal(type_of(host.posts - 1), VMBUS_MSG_OFFERCHANNEL); /* hot add */
	assert_int_equal(vmbus_server_rescind(&server, 7), -1);
}

static void test_hostile_rings(void **state)
{
	struct child_ring out = child_ring(0, 4);
	uint8_t big[64] = { 0 };

	(void)state;
	connect_child();
	open_ic(1, 0);
	/* An answer for a transaction never sent, then garbage lengths. */
	child_write(&out, 12345, big, sizeof(big));
	vmbus_server_event(&server, 1);
	assert_int_equal(ics[IC_HEARTBEAT].bad, 1);
	assert_int_equal(server.channels[0].state, VMBUS_CHANNEL_OPEN);
	out.hdr->write_index = 12;             /* not a multiple of 8 */
	vmbus_server_event(&server, 1);
	assert_int_equal(server.broken_rings, 1);
	assert_int_equal(server.channels[0].state, VMBUS_CHANNEL_OFFERED);
	assert_int_equal(ics[IC_HEARTBEAT].state, IC_CLOSED);

	open_ic(2, 8);
	struct child_ring o2 = child_ring(8, 4);
	struct vmbus_packet_desc d = { VMBUS_PACKET_DATA_INBAND, 2, 0xffff, 0, 1 };
	memcpy(o2.data, &d, sizeof(d));
	o2.hdr->write_index = 64;              /* a packet longer than the data */
	vmbus_server_event(&server, 2);
	assert_int_equal(server.broken_rings, 2);

	open_ic(3, 16);
	child_answer(3, 16);
	child_ring(16 + 4, 4).hdr->read_index = 4093 * 8; /* the child's read index, beyond the ring */
	ref_now += IC_TIMESYNC_PERIOD;
	vmbus_server_tick(&server, ref_now);  /* timesync retries: the write finds the ring broken */
	assert_int_equal(server.broken_rings, 3);
	vmbus_server_event(&server, 0);
	vmbus_server_event(&server, 99);
	vmbus_server_reset(&server);
	assert_int_equal(host.mapped_pages, 0);
}

static void test_ring_wrap_and_pending_send(void **state)
{
	struct vmbus_ring r;
	struct child_ring c = child_ring(40, 2); /* 4096 bytes of data */
	uint8_t payload[1000], got[1100];
	struct vmbus_packet_desc d;
	int signals = 0, full = 0;

	(void)state;
	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	vmbus_ring_init(&r, child + 40 * 4096, 2, true);
	c.hdr->feature_bits = 1;
	/* Write until full, the child reading every other time: wraps around. */
	for (int i = 0; i < 40; i++) {
		int s = vmbus_ring_write(&r, VMBUS_PACKET_DATA_INBAND, 0, (uint64_t)i, payload, sizeof(payload));
		if (s < 0) {
			full++;
			assert_int_not_equal(c.hdr->pending_send_sz, 0);
			while (child_read(&c, &d, got))
				assert_memory_equal(got, payload, sizeof(payload));
			continue;
		}
		signals += s;
		if (i % 2)
			assert_int_equal(child_read(&c, &d, got), 1000);
	}
	assert_true(full > 0);
	assert_true(signals > 0);
	assert_int_equal(c.hdr->write_index, r.index);

	/* As reader: the child blocked on pending_send_sz is woken once the room is there. */
	struct vmbus_ring in;
	struct child_ring w = child_ring(44, 2);
	bool more;
	vmbus_ring_init(&in, child + 44 * 4096, 2, false);
	w.hdr->feature_bits = 1;
	child_write(&w, 1, payload, sizeof(payload));
	child_write(&w, 2, payload, sizeof(payload));
	child_write(&w, 3, payload, sizeof(payload));
	w.hdr->pending_send_sz = 2000;        /* the child waits for 2000 free bytes */
	assert_int_equal(vmbus_ring_read(&in, got, sizeof(got)), 16 + 1000);
	assert_int_equal(vmbus_ring_read_done(&in, &more), 1);
	assert_true(more);
	assert_int_equal(vmbus_ring_read(&in, got, 100), 0); /* too long for the buffer: skipped */
	assert_int_equal(in.oversized, 2);
	assert_int_equal(vmbus_ring_read_done(&in, &more), 0); /* already had room */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_offers, setup),
		cmocka_unit_test_setup(test_gpadl_with_bodies, setup),
		cmocka_unit_test_setup(test_ic_negotiation_and_heartbeat, setup),
		cmocka_unit_test_setup(test_shutdown_and_timesync, setup),
		cmocka_unit_test_setup(test_kvp, setup),
		cmocka_unit_test_setup(test_open_refusals, setup),
		cmocka_unit_test_setup(test_close_teardown_unload, setup),
		cmocka_unit_test_setup(test_rescind, setup),
		cmocka_unit_test_setup(test_hostile_rings, setup),
		cmocka_unit_test_setup(test_ring_wrap_and_pending_send, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
