/*
 * vmbustest.elf: a minimal VMBus client, speaking to the parent's VMBus
 * server as Linux's hv_vmbus and hv_utils do (docs/vmbus-protocol.md), so
 * the hypervisor's side of VMBus (messages on SINT2, event ports both
 * ways, the parent's window onto these pages) runs on every emulator.
 * Version negotiation (a refused version, then 5.3), the four offers, a GPADL
 * the parent cannot map and an open it must refuse, then the heartbeat
 * channel: a ring GPADL, open, IC negotiation and three beats answered
 * over the rings; close and teardown; a second open whose ring this guest
 * breaks (the parent must close it, not crash); UNLOAD.  Between them a
 * hostile round: posts and signals to unknown connections, malformed
 * messages, bad GPADLs and impossible ring sizes, all refused or dropped.  The SINT is
 * polled: messages and flags are read from the SIM and SIEF pages.
 */
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "tests/guests/hvcall.h"
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"
#include "vsp/ic/ic_abi.h"
#include "vsp/vmbus/vmbus_abi.h"

#define MSR_SVR       0x80f
#define MSR_REF_TIME  HV_X64_MSR_TIME_REF_COUNT
#define RING_PAGES    4          /* each way, as hv_utils */
#define GPADL_RING    0xe1e10u

const char guest_name[] = "vmbustest";

static struct hv_message_page sim __attribute__((aligned(4096)));
static struct hv_synic_event_flags_page sief __attribute__((aligned(4096)));
static uint8_t rings[2 * RING_PAGES][4096] __attribute__((aligned(4096)));
static uint8_t msg[240];
static uint32_t msg_len;
static uint32_t heartbeat_relid, heartbeat_connection;

static const uint8_t heartbeat_type[16] = { 0x39, 0x4f, 0x16, 0x57, 0x15, 0x91, 0x78, 0x4e,
					    0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d };

static struct hv_message *slot(void) { return &sim.sint_message[VMBUS_MESSAGE_SINT]; }

static bool msg_ready(void) { return __atomic_load_n(&slot()->header.message_type, __ATOMIC_ACQUIRE) != 0; }

static bool wait_until(bool (*fn)(void), unsigned ms)
{
	uint64_t end = rdmsr(MSR_REF_TIME) + (uint64_t)ms * 10000;

	while (!fn()) {
		if (rdmsr(MSR_REF_TIME) > end)
			return false;
		pause();
	}
	return true;
}

/* The next channel message from the host into msg: its type, 0 if none
 * came within 2 s. */
static uint32_t receive(void)
{
	uint32_t type;

	if (!wait_until(msg_ready, 2000))
		return 0;
	msg_len = slot()->header.payload_size;
	memcpy(msg, slot()->payload, msg_len <= sizeof(msg) ? msg_len : sizeof(msg));
	__atomic_store_n(&slot()->header.message_type, HV_MESSAGE_TYPE_NONE, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (slot()->header.message_flags & HV_MESSAGE_FLAG_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
	memcpy(&type, msg, 4);
	return type;
}

static uint16_t send(const void *m, uint32_t len)
{
	return post_retry(VMBUS_MESSAGE_CONNECTION_ID, VMBUS_POST_MESSAGE_TYPE, m, len);
}

/* ---- rings, the client's side ---- */

static struct vmbus_ring_header *out_hdr(void) { return (void *)rings[0]; }
static uint8_t *out_data(void) { return rings[1]; }
static struct vmbus_ring_header *in_hdr(void) { return (void *)rings[RING_PAGES]; }
static uint8_t *in_data(void) { return rings[RING_PAGES + 1]; }
#define RING_DATA ((RING_PAGES - 1) * 4096u)

static bool channel_flag(void)
{
	uint8_t *f = &sief.sint_event_flags[VMBUS_MESSAGE_SINT].flags[HV_EVENT_FLAG_BYTE(heartbeat_relid)];
	uint8_t bit = HV_EVENT_FLAG_BIT(heartbeat_relid);

	return __atomic_fetch_and(f, (uint8_t)~bit, __ATOMIC_SEQ_CST) & bit;
}

static bool in_ready(void)
{
	return __atomic_load_n(&in_hdr()->write_index, __ATOMIC_ACQUIRE) != in_hdr()->read_index;
}

/* The next packet from the host: its payload into buf, its length (0: none
 * within 3 s), its transaction id in *trans. */
static uint32_t ring_read(uint8_t *buf, uint64_t *trans)
{
	struct vmbus_packet_desc d;
	uint32_t rd, len;
	uint64_t end = rdmsr(MSR_REF_TIME) + 3000 * 10000ull;

	/* Up to 3 s for the signal of a packet; a flag left set by a packet
	 * already read (seen before its signal came) is passed over. */
	while (!in_ready()) {
		uint64_t now = rdmsr(MSR_REF_TIME);

		if (now >= end || !wait_until(channel_flag, (unsigned)((end - now) / 10000)))
			return 0;
	}
	rd = in_hdr()->read_index;
	for (uint32_t i = 0; i < sizeof(d); i++)
		((uint8_t *)&d)[i] = in_data()[(rd + i) % RING_DATA];
	len = (d.len8 - d.offset8) * 8u;
	if (d.len8 < 2 || len > 4096)
		return 0;
	for (uint32_t i = 0; i < len; i++)
		buf[i] = in_data()[(rd + d.offset8 * 8u + i) % RING_DATA];
	__atomic_store_n(&in_hdr()->read_index, (rd + d.len8 * 8u + 8) % RING_DATA, __ATOMIC_RELEASE);
	*trans = d.trans_id;
	return len;
}

static void ring_write(const uint8_t *payload, uint32_t len, uint64_t trans)
{
	struct vmbus_packet_desc d = { VMBUS_PACKET_DATA_INBAND, 2, (uint16_t)((16 + len + 7) / 8), 0, trans };
	uint32_t wr = out_hdr()->write_index, at = wr;
	uint64_t trailer = (uint64_t)wr << 32;
	static uint8_t pkt[4096 + 32];

	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, &d, sizeof(d));
	memcpy(pkt + sizeof(d), payload, len);
	memcpy(pkt + d.len8 * 8u, &trailer, 8);
	for (uint32_t i = 0; i < d.len8 * 8u + 8; i++, at = (at + 1) % RING_DATA)
		out_data()[at] = pkt[i];
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&out_hdr()->write_index, at, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!out_hdr()->interrupt_mask && out_hdr()->read_index == wr)
		signal(heartbeat_connection, 0);
}

/* ---- the steps ---- */

static void contact(uint32_t version, uint8_t want)
{
	struct vmbus_initiate_contact c = { .header.msgtype = VMBUS_MSG_INITIATE_CONTACT, .version_requested = version,
					    .msg_sint = VMBUS_MESSAGE_SINT, .monitor_page1 = 0x3000, .monitor_page2 = 0x4000 };
	struct vmbus_version_response r;

	test_expect("post contact", post_retry(VMBUS_MESSAGE_CONNECTION_ID_4, 1, &c, sizeof(c)), 0);
	test_expect("version response", receive(), VMBUS_MSG_VERSION_RESPONSE);
	memcpy(&r, msg, sizeof(r));
	test_expect("version supported", r.version_supported, want);
	if (want)
		test_expect("message connection", r.msg_conn_id, VMBUS_MESSAGE_CONNECTION_ID);
}

static void test_connect(void)
{
	test_begin("vmbus versions");
	contact(0x00060000, 0);
	contact(VMBUS_VERSION_WIN10_V5_3, 1);
	test_end();
}

static void test_offers(void)
{
	struct vmbus_msg_header h = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
	struct vmbus_offer_channel o;
	unsigned offers = 0;
	uint32_t type;

	test_begin("vmbus offers");
	test_expect("post", send(&h, sizeof(h)), 0);
	while ((type = receive()) == VMBUS_MSG_OFFERCHANNEL) {
		offers++;
		memcpy(&o, msg, sizeof(o));
		test_expect("offer length", msg_len, sizeof(o));
		test_expect("no monitor page", o.monitor_allocated, 0);
		if (!memcmp(&o.if_type, heartbeat_type, 16)) {
			heartbeat_relid = o.child_relid;
			heartbeat_connection = o.connection_id;
		}
	}
	test_expect("all offers delivered", type, VMBUS_MSG_ALLOFFERS_DELIVERED);
	test_expect("offers", offers, 4);
	test_expect("heartbeat offered", heartbeat_relid != 0, 1);
	test_end();
}

static void gpadl(uint32_t handle, uint64_t first_pfn, uint32_t pages)
{
	uint8_t m[240];
	struct vmbus_gpadl_header h = { .header.msgtype = VMBUS_MSG_GPADL_HEADER, .child_relid = heartbeat_relid,
					.gpadl = handle, .range_buflen = (uint16_t)(8 + 8 * pages), .rangecount = 1,
					.byte_count = pages * 4096 };

	memcpy(m, &h, sizeof(h));
	for (uint32_t i = 0; i < pages; i++) {
		uint64_t pfn = first_pfn + i;
		memcpy(m + sizeof(h) + 8 * i, &pfn, 8);
	}
	send(m, sizeof(h) + 8 * pages);
}

static uint32_t created_status(uint32_t handle)
{
	struct vmbus_gpadl_created c;

	if (!test_expect("gpadl created", receive(), VMBUS_MSG_GPADL_CREATED))
		return ~0u;
	memcpy(&c, msg, sizeof(c));
	test_expect("gpadl handle", c.gpadl, handle);
	return c.creation_status;
}

static uint32_t open_status(uint32_t handle)
{
	struct vmbus_open_channel o = { .header.msgtype = VMBUS_MSG_OPENCHANNEL, .child_relid = heartbeat_relid,
					.openid = heartbeat_relid, .ringbuffer_gpadl = handle, .target_vp = 0,
					.downstream_page_offset = RING_PAGES };
	struct vmbus_open_result r;

	send(&o, sizeof(o));
	if (!test_expect("open result", receive(), VMBUS_MSG_OPENCHANNEL_RESULT))
		return ~0u;
	memcpy(&r, msg, sizeof(r));
	test_expect("open relid", r.child_relid, heartbeat_relid);
	return r.status;
}

static void test_refusals(void)
{
	test_begin("vmbus refusals");
	gpadl(0x77, 0xfffff000u, 2); /* not this child's memory */
	test_expect("foreign pages refused", created_status(0x77) != 0, 1);
	test_expect("open without a GPADL refused", open_status(0x78) != 0, 1);
	test_end();
}

/* Open the heartbeat channel on fresh rings: 0 or a failure. */
static bool open_heartbeat(uint32_t handle)
{
	memset(rings, 0, sizeof(rings));
	gpadl(handle, (uintptr_t)rings / 4096, 2 * RING_PAGES);
	if (!test_expect("ring gpadl", created_status(handle), 0) || !test_expect("open", open_status(handle), 0))
		return false;
	out_hdr()->feature_bits = in_hdr()->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	return true;
}

/* Answer the host's next IC request as hv_utils does; its message type,
 * or -1 when none came. */
static int answer(void)
{
	static uint8_t buf[4096];
	struct ic_header h;
	uint64_t trans;
	uint32_t len = ring_read(buf, &trans);

	if (len < IC_BODY_OFFSET)
		return -1;
	memcpy(&h, buf + sizeof(struct ic_pipe_header), sizeof(h));
	if (h.msgtype == IC_MSG_NEGOTIATE) {
		struct ic_negotiate n = { 1, 1, 0 };
		struct ic_version v[2] = { { 3, 0 }, { 3, 0 } };

		memcpy(buf + IC_BODY_OFFSET, &n, sizeof(n));
		memcpy(buf + IC_BODY_OFFSET + sizeof(n), v, sizeof(v));
	} else if (h.msgtype == IC_MSG_HEARTBEAT) {
		uint64_t seq;

		memcpy(&seq, buf + IC_BODY_OFFSET, 8);
		seq++;
		memcpy(buf + IC_BODY_OFFSET, &seq, 8);
	}
	h.flags = IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE;
	memcpy(buf + sizeof(struct ic_pipe_header), &h, sizeof(h));
	ring_write(buf, len, trans);
	return h.msgtype;
}

static void test_heartbeat(void)
{
	struct vmbus_relid_msg close = { .header.msgtype = VMBUS_MSG_CLOSECHANNEL, .child_relid = heartbeat_relid };
	struct vmbus_gpadl_teardown t = { .header.msgtype = VMBUS_MSG_GPADL_TEARDOWN, .child_relid = heartbeat_relid,
					  .gpadl = GPADL_RING };
	unsigned beats = 0;

	test_begin("vmbus heartbeat over rings");
	if (open_heartbeat(GPADL_RING)) {
		test_expect("ic negotiation", answer(), IC_MSG_NEGOTIATE);
		for (int i = 0; i < 3; i++)
			beats += answer() == IC_MSG_HEARTBEAT;
		test_expect("beats", beats, 3);
	}
	send(&close, sizeof(close));
	send(&t, sizeof(t));
	test_expect("torn down", receive(), VMBUS_MSG_GPADL_TORNDOWN);
	test_end();
}

/* A GPADL header for the heartbeat channel, every field the caller's. */
static void gpadl_raw(uint32_t handle, uint16_t rangecount, uint32_t byte_count, uint16_t buflen,
		      const uint64_t *pfns, uint32_t n)
{
	uint8_t m[240];
	struct vmbus_gpadl_header h = { .header.msgtype = VMBUS_MSG_GPADL_HEADER, .child_relid = heartbeat_relid,
					.gpadl = handle, .range_buflen = buflen, .rangecount = rangecount,
					.byte_count = byte_count };

	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), pfns, 8 * n);
	send(m, sizeof(h) + 8 * n);
}

static uint32_t open_at(uint32_t handle, uint32_t offset)
{
	struct vmbus_open_channel o = { .header.msgtype = VMBUS_MSG_OPENCHANNEL, .child_relid = heartbeat_relid,
					.openid = heartbeat_relid, .ringbuffer_gpadl = handle,
					.downstream_page_offset = offset };
	struct vmbus_open_result r;

	send(&o, sizeof(o));
	if (receive() != VMBUS_MSG_OPENCHANNEL_RESULT)
		return ~0u;
	memcpy(&r, msg, sizeof(r));
	return r.status;
}

static bool torn_down(uint32_t handle)
{
	struct vmbus_gpadl_teardown t = { .header.msgtype = VMBUS_MSG_GPADL_TEARDOWN, .child_relid = heartbeat_relid,
					  .gpadl = handle };

	send(&t, sizeof(t));
	return receive() == VMBUS_MSG_GPADL_TORNDOWN;
}

/*
 * A hostile client: posts and signals to connections nobody made, channel
 * messages too short or of no known type, and GPADLs and opens with wrong
 * counts, foreign or repeated pages and impossible ring sizes.  Each is
 * refused (a failure status) or dropped (no answer), and the server still
 * answers in order afterwards.  HOSTILE_REFUSED and HOSTILE_DROPPED are
 * what vm info must count (tests/integration/vm_synic.sh).
 */
static void test_hostile(void)
{
	uint64_t ring = (uintptr_t)rings / 4096, pfns[40], far = 0x7fffffffull;
	uint32_t x = 0x2545f491, bad_posts = 0, bad_signals = 0, answered = 0, type;
	struct vmbus_gpadl_body body = { .header.msgtype = VMBUS_MSG_GPADL_BODY, .gpadl = 0xbad0 };
	struct vmbus_relid_msg close = { .header.msgtype = VMBUS_MSG_CLOSECHANNEL, .child_relid = heartbeat_relid };
	struct vmbus_msg_header unknown = { .msgtype = 0x7777 }, request = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
	uint8_t short_msg[2] = { 3, 0 }, body_msg[sizeof(body) + 8 * 20] = { 0 };

	test_begin("vmbus hostile client");
	for (int i = 0; i < 64; i++) {
		x = x * 1103515245u + 12345u;
		bad_posts += post(0x100000u | (x >> 12), 1 + (x & 7), &x, 4) == HV_STATUS_INVALID_CONNECTION_ID;
		bad_signals += signal(0x100000u | (x & 0xfffff), (uint16_t)(x >> 20)) == HV_STATUS_INVALID_CONNECTION_ID;
	}
	test_expect("posts to unknown connections refused", bad_posts, 64);
	test_expect("signals to unknown connections refused", bad_signals, 64);
	/* Dropped without an answer (5). */
	send(short_msg, sizeof(short_msg));
	send(&unknown, sizeof(unknown));
	memcpy(body_msg, &body, sizeof(body));
	send(body_msg, sizeof(body) + 8);       /* a body for no GPADL */
	send(&close, sizeof(close));            /* closing a channel not open */
	for (uint32_t i = 0; i < 40; i++)
		pfns[i] = ring + (i % (2 * RING_PAGES));
	gpadl_raw(0xbad1, 1, 40 * 4096, 8 + 8 * 40, pfns, 26); /* the header's share of 40 pages */
	body.gpadl = 0xbad1;
	memcpy(body_msg, &body, sizeof(body));
	send(body_msg, sizeof(body_msg));       /* 20 more: 46 of 40 */
	/* Refused GPADLs (7): each answered with a failure. */
	gpadl_raw(0xbad2, 2, 2 * 4096, 8 + 16, pfns, 2);
	answered += created_status(0xbad2) != 0;
	gpadl_raw(0xbad3, 1, 0, 8, pfns, 0);
	answered += created_status(0xbad3) != 0;
	gpadl_raw(0xbad4, 1, 129 * 4096, 8 + 8 * 129, pfns, 26);
	answered += created_status(0xbad4) != 0;
	gpadl_raw(0xbad5, 1, 2 * 4096, 8 + 8 * 3, pfns, 2);   /* range_buflen for 3 pages */
	answered += created_status(0xbad5) != 0;
	gpadl_raw(0xbad6, 1, 2 * 4096, 8 + 16, &far, 1);      /* a page far beyond its RAM */
	gpadl_raw(0xbad6, 1, 4096, 8 + 8, &far, 1);
	answered += created_status(0xbad6) != 0;
	answered += created_status(0xbad6) != 0;              /* (the first: too few PFNs) */
	gpadl_raw(0xbad1, 1, 4096, 8 + 8, pfns, 1);          /* a handle in use */
	answered += created_status(0xbad1) != 0;
	test_expect("bad GPADLs refused", answered, 7);
	/* The same page twice is two mappings of it: accepted. */
	pfns[1] = pfns[0];
	gpadl_raw(0xbad7, 1, 2 * 4096, 8 + 16, pfns, 2);
	test_expect("a page twice", created_status(0xbad7), 0);
	test_expect("its teardown", torn_down(0xbad7), 1);
	/* Impossible ring sizes on a 4-page GPADL (4 refused opens). */
	for (uint32_t i = 0; i < 4; i++)
		pfns[i] = ring + i;
	gpadl_raw(0xbad8, 1, 4 * 4096, 8 + 32, pfns, 4);
	test_expect("a 4-page GPADL", created_status(0xbad8), 0);
	test_expect("open, no host ring", open_at(0xbad8, 0) != 0, 1);
	test_expect("open, a 1-page child ring", open_at(0xbad8, 1) != 0, 1);
	test_expect("open, a 1-page host ring", open_at(0xbad8, 3) != 0, 1);
	test_expect("open, offset beyond", open_at(0xbad8, 1000) != 0, 1);
	test_expect("teardown", torn_down(0xbad8), 1);
	test_expect("incomplete GPADL torn down", torn_down(0xbad1), 1);
	/* Still in order: the offers again, nothing else first. */
	send(&request, sizeof(request));
	type = receive();
	test_expect("offers again", type, VMBUS_MSG_OFFERCHANNEL);
	while (type == VMBUS_MSG_OFFERCHANNEL)
		type = receive();
	test_expect("all offers delivered", type, VMBUS_MSG_ALLOFFERS_DELIVERED);
	test_end();
}

static bool answer_taken(void)
{
	return __atomic_load_n(&out_hdr()->read_index, __ATOMIC_ACQUIRE) == out_hdr()->write_index;
}

static void test_broken_ring(void)
{
	struct vmbus_msg_header unload = { .msgtype = VMBUS_MSG_UNLOAD };

	test_begin("vmbus broken ring, unload");
	if (open_heartbeat(GPADL_RING + 1)) {
		test_expect("ic negotiation", answer(), IC_MSG_NEGOTIATE);
		test_expect("answer read", wait_until(answer_taken, 2000), 1);
		out_hdr()->write_index = 12; /* not a multiple of 8: the host must give up on it */
		signal(heartbeat_connection, 0);
	}
	test_expect("post unload", send(&unload, sizeof(unload)), 0);
	test_expect("unload response", receive(), VMBUS_MSG_UNLOAD_RESPONSE);
	test_end();
}

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	(void)ram_bytes;
	(void)low_bytes;
	idt_set_exceptions();
	idt_load();
	wrmsr(MSR_SVR, 0x1ff);
	hvcall_init();
	wrmsr(HV_X64_MSR_SIMP, (uintptr_t)&sim | HV_SYNIC_PAGE_ENABLE);
	wrmsr(HV_X64_MSR_SIEFP, (uintptr_t)&sief | HV_SYNIC_PAGE_ENABLE);
	wrmsr(HV_X64_MSR_SINT(VMBUS_MESSAGE_SINT), 0x52 | HV_SYNIC_SINT_POLLING);
	wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_SCONTROL_ENABLE);

	test_connect();
	test_offers();
	test_refusals();
	test_heartbeat();
	test_hostile();
	test_broken_ring();
	say(OUT_BOTH, "done: %u passed, %u failed", tests_passed, tests_failed);
	guest_stop(tests_failed);
}
