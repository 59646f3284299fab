/*
 * synictest.elf: a child's SynIC, ports and connections, end to end with
 * the parent's echo channel (parent/echo_abi.h).  Checks the SynIC
 * registers, the privileges, every refusal of HvPostMessage and
 * HvSignalEvent it can provoke, message and event round trips with
 * auto-EOI and with the guest's own EOI, a masked and a polled SINT, and
 * the message queue behind a full slot: the pending flag, order, and the
 * port's 16 buffers (the parent's posts beyond them are refused).
 */
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/abi/tlfs_port.h"
#include "hv/abi/tlfs_synic.h"
#include "parent/echo_abi.h"
#include "tests/guests/guard.h"
#include "tests/guests/hvcall.h"
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

#define SINT_VECTOR   0x50
#define MSR_EOI       0x80b
#define MSR_SVR       0x80f
#define MSR_ISR0      0x810
#define MSR_REF_TIME  HV_X64_MSR_TIME_REF_COUNT
#define BURST         20

const char guest_name[] = "synictest";

static struct hv_message_page sim __attribute__((aligned(4096)));
static struct hv_synic_event_flags_page sief __attribute__((aligned(4096)));

static volatile uint32_t sint_hits;
static volatile uint32_t in_service_seen; /* the handler found its vector in service */
static volatile bool guest_eoi;           /* the handler EOIs (SINT without auto-EOI) */

__attribute__((interrupt)) static void sint_isr(void *frame)
{
	(void)frame;
	if (rdmsr(MSR_ISR0 + SINT_VECTOR / 32) & (1u << (SINT_VECTOR % 32)))
		in_service_seen++;
	sint_hits++;
	if (guest_eoi)
		wrmsr(MSR_EOI, 0);
}

static struct hv_message *slot(void) { return &sim.sint_message[ECHO_SINT]; }

static uint8_t *echo_flags(void) { return &sief.sint_event_flags[ECHO_SINT].flags[0]; }

static bool take_event(void)
{
	uint8_t bit = HV_EVENT_FLAG_BIT(ECHO_EVENT_FLAG);

	return __atomic_fetch_and(&echo_flags()[HV_EVENT_FLAG_BYTE(ECHO_EVENT_FLAG)], (uint8_t)~bit,
				  __ATOMIC_SEQ_CST) & bit;
}

/* Wait (interrupts on) until fn() is true or about `ms` have passed. */
static bool wait_until(bool (*fn)(void), unsigned ms)
{
	uint64_t end = rdmsr(MSR_REF_TIME) + (uint64_t)ms * 10000;

	sti(); /* (a fault recovered by guard_call leaves IF clear) */
	while (!fn()) {
		if (rdmsr(MSR_REF_TIME) > end)
			return false;
		pause();
	}
	return true;
}

static uint32_t hits_want;
static bool hits_reached(void) { return __atomic_load_n(&sint_hits, __ATOMIC_ACQUIRE) >= hits_want; }

/* The number of SINT interrupts since `since`, once it reaches `want` or
 * after `ms`. */
static uint32_t interrupts_since(uint32_t since, uint32_t want, unsigned ms)
{
	hits_want = since + want;
	wait_until(hits_reached, ms);
	return sint_hits - since;
}

static bool slot_full(void) { return __atomic_load_n(&slot()->header.message_type, __ATOMIC_ACQUIRE) != 0; }
static bool event_set(void) { return take_event(); }

/* Empty the slot as the TLFS asks: type to none, then EOM if more wait. */
static void slot_done(void)
{
	__atomic_store_n(&slot()->header.message_type, HV_MESSAGE_TYPE_NONE, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (slot()->header.message_flags & HV_MESSAGE_FLAG_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
}

static void set_sint(uint64_t flags) { wrmsr(HV_X64_MSR_SINT(ECHO_SINT), SINT_VECTOR | flags); }

static void test_registers(void)
{
	uint32_t r[4];
	bool reset = true;

	test_begin("synic registers");
	test_expect("SVERSION", rdmsr(HV_X64_MSR_SVERSION), HV_SYNIC_VERSION_1);
	test_expect("SCONTROL at reset", rdmsr(HV_X64_MSR_SCONTROL), 0);
	for (unsigned i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		reset &= rdmsr(HV_X64_MSR_SINT(i)) == HV_SYNIC_SINT_RESET_VALUE;
	test_expect("every SINT masked at reset", reset, 1);
	test_expect("SINT vector 15 unmasked: #GP", (uint64_t)guard_wrmsr(HV_X64_MSR_SINT(ECHO_SINT), 15), 13);
	cpuid(HV_CPUID_FEATURES, 0, r);
	test_expect("may post and signal (CPUID 0x40000003 EBX)",
		    r[1] & (HV_PRIVILEGE_POST_MESSAGES | HV_PRIVILEGE_SIGNAL_EVENTS),
		    HV_PRIVILEGE_POST_MESSAGES | HV_PRIVILEGE_SIGNAL_EVENTS);
	test_expect("may not create or connect ports", r[1] & (HV_PRIVILEGE_CREATE_PORT | HV_PRIVILEGE_CONNECT_PORT), 0);
	test_end();
}

static void test_refusals(void)
{
	static const uint8_t hello[8] = "hello";

	test_begin("post and signal refusals");
	test_expect("post: unknown connection", post(0x1234, 1, hello, 8), HV_STATUS_INVALID_CONNECTION_ID);
	test_expect("post: id above 24 bits", post(0x1000000 | ECHO_CONNECTION, 1, hello, 8),
		    HV_STATUS_INVALID_CONNECTION_ID);
	test_expect("post: type 0", post(ECHO_CONNECTION, 0, hello, 8), HV_STATUS_INVALID_PARAMETER);
	test_expect("post: hypervisor type", post(ECHO_CONNECTION, 0x80000001u, hello, 8), HV_STATUS_INVALID_PARAMETER);
	test_expect("post: 241 bytes", post(ECHO_CONNECTION, 1, hello, 241), HV_STATUS_INVALID_PARAMETER);
	test_expect("post: to an event port", post(ECHO_EVENT_CONNECTION, 1, hello, 8), HV_STATUS_INVALID_PORT_ID);
	test_expect("post: fast", hypercall(HVCALL_POST_MESSAGE | HV_HYPERCALL_FAST, ECHO_CONNECTION, 0),
		    HV_STATUS_INVALID_HYPERCALL_INPUT);
	test_expect("signal: unknown connection", signal(0x4321, 0), HV_STATUS_INVALID_CONNECTION_ID);
	test_expect("signal: a message port", signal(ECHO_CONNECTION, 0), HV_STATUS_INVALID_PORT_ID);
	test_expect("signal: flag beyond the port's", signal(ECHO_EVENT_CONNECTION, 1), HV_STATUS_INVALID_PARAMETER);
	test_expect("create port: not the parent", hypercall(HVCALL_CREATE_PORT, (uintptr_t)hvcall_input, 0),
		    HV_STATUS_ACCESS_DENIED);
	test_expect("connect port: not the parent", hypercall(HVCALL_CONNECT_PORT, (uintptr_t)hvcall_input, 0),
		    HV_STATUS_ACCESS_DENIED);
	test_end();
}

static struct echo_stats stats(void)
{
	struct echo_stats s = { 0 };

	if (post_retry(ECHO_CONNECTION, ECHO_TYPE_STATS, &s, 0) || !wait_until(slot_full, 2000))
		return s;
	if (slot()->header.message_type == ECHO_TYPE_STATS)
		memcpy(&s, slot()->payload, sizeof(s));
	slot_done();
	return s;
}

/* Without a SIM page the parent's answer is refused (INVALID_SYNIC_STATE);
 * events still arrive through the SIEF page. */
static void test_no_sim_page(void)
{
	static const uint8_t early[4] = "1st";
	struct echo_stats s;

	test_begin("no SIM page: echo refused, events arrive");
	test_expect("post", post_retry(ECHO_CONNECTION, 7, early, sizeof(early)), HV_STATUS_SUCCESS);
	test_expect("sync", post_retry(ECHO_CONNECTION, ECHO_TYPE_SYNC, early, 0), HV_STATUS_SUCCESS);
	test_expect("sync event", wait_until(event_set, 2000), 1);
	test_expect("nothing in the slot", slot()->header.message_type, 0);
	wrmsr(HV_X64_MSR_SIMP, (uintptr_t)&sim | HV_SYNIC_PAGE_ENABLE);
	s = stats();
	test_expect("echoes refused", s.dropped, 1);
	test_expect("with INVALID_SYNIC_STATE", s.last_status, HV_STATUS_INVALID_SYNIC_STATE);
	test_end();
}

/* n echoes, one at a time: type, size, payload and port, one interrupt each. */
static void round_trips(unsigned n, uint32_t type_base)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t payload[8] = { i, ~i, 0x5e6, i * 7 };
		uint32_t hits = sint_hits;
		struct hv_message *m = slot();

		if (!test_expect("post", post_retry(ECHO_CONNECTION, type_base + i, payload, sizeof(payload)), 0) ||
		    !test_expect("echo arrives", wait_until(slot_full, 2000), 1))
			return;
		test_expect("type", m->header.message_type, type_base + i);
		test_expect("size", m->header.payload_size, sizeof(payload));
		test_expect("port", m->header.port, ECHO_CONNECTION);
		test_expect("flags", m->header.message_flags, 0);
		test_expect("payload", memcmp(m->payload, payload, sizeof(payload)), 0);
		slot_done();
		test_expect("one interrupt", interrupts_since(hits, 1, 2000), 1);
	}
}

static void test_messages(void)
{
	test_begin("message round trips, auto-EOI");
	guest_eoi = false;
	set_sint(HV_SYNIC_SINT_AUTO_EOI);
	in_service_seen = 0;
	round_trips(10, 0x100);
	test_expect("vector never in service", in_service_seen, 0);
	test_end();

	test_begin("message round trips, guest EOI");
	guest_eoi = true;
	set_sint(0);
	in_service_seen = 0;
	round_trips(10, 0x200);
	test_expect("vector in service in the handler", in_service_seen, 10);
	test_end();
}

static void test_events(void)
{
	uint64_t t0, t1;
	uint32_t hits = sint_hits;
	unsigned n = 100, got = 0;

	test_begin("event round trips");
	guest_eoi = false;
	set_sint(HV_SYNIC_SINT_AUTO_EOI);
	t0 = rdtsc();
	for (unsigned i = 0; i < n; i++) {
		if (signal(ECHO_EVENT_CONNECTION, 0) != HV_STATUS_SUCCESS || !wait_until(event_set, 2000))
			break;
		got++;
	}
	t1 = rdtsc();
	test_expect("events back", got, n);
	test_expect("an interrupt each", interrupts_since(hits, n, 2000), n);
	say(OUT_COM1, "event round trip %llu ticks", (unsigned long long)udiv64(t1 - t0, n, NULL));
	test_end();
}

/* Masked: the message arrives, no interrupt.  Polled: likewise. */
static void test_masked_polled(void)
{
	static const uint64_t modes[2] = { HV_SYNIC_SINT_MASKED, HV_SYNIC_SINT_POLLING };
	static const char *const names[2] = { "masked SINT: message, no interrupt", "polled SINT: message, no interrupt" };

	for (unsigned i = 0; i < 2; i++) {
		uint32_t hits = sint_hits;

		test_begin(names[i]);
		set_sint(modes[i]);
		test_expect("post", post_retry(ECHO_CONNECTION, 0x300 + i, &hits, 4), 0);
		test_expect("echo arrives", wait_until(slot_full, 2000), 1);
		test_expect("type", slot()->header.message_type, 0x300 + i);
		slot_done();
		test_expect("no interrupt", interrupts_since(hits, 1, 20), 0);
		test_end();
	}
	set_sint(HV_SYNIC_SINT_AUTO_EOI);
}

/* The slot stays full while BURST echoes come back: one goes in, 16 wait
 * in the child's port buffers, the parent's other posts are refused.  Then
 * they come out in order, each with the pending flag but the last. */
static void test_queue(void)
{
	struct echo_stats before = stats(), after;
	uint32_t seq;
	unsigned got = 0, pending = 0, in_order = 1;
	static const uint8_t fill[1] = { 0 };

	test_begin("full slot: queue, pending flag, 16 buffers");
	test_expect("fill the slot", post_retry(ECHO_CONNECTION, 0x400, fill, 1), 0);
	test_expect("filled", wait_until(slot_full, 2000), 1);
	for (seq = 0; seq < BURST; seq++)
		if (!test_expect("burst post", post_retry(ECHO_CONNECTION, 0x500, &seq, 4), 0))
			break;
	test_expect("sync", post_retry(ECHO_CONNECTION, ECHO_TYPE_SYNC, fill, 0), 0);
	test_expect("sync event", wait_until(event_set, 2000), 1);
	test_expect("pending flag on the full slot", slot()->header.message_flags & HV_MESSAGE_FLAG_PENDING, 1);
	slot_done(); /* the filler; EOM lets the next in */
	while (wait_until(slot_full, 200)) {
		struct hv_message *m = slot();
		uint32_t v;

		memcpy(&v, m->payload, 4);
		if (m->header.message_type != 0x500 || v != got)
			in_order = 0;
		pending += m->header.message_flags & HV_MESSAGE_FLAG_PENDING;
		got++;
		slot_done();
	}
	test_expect("in order", in_order, 1);
	test_expect("queued echoes delivered", got, HV_PORT_MESSAGE_BUFFER_COUNT);
	test_expect("pending flags", pending, HV_PORT_MESSAGE_BUFFER_COUNT - 1);
	after = stats();
	test_expect("refused posts of the parent", after.dropped - before.dropped, BURST - HV_PORT_MESSAGE_BUFFER_COUNT);
	test_expect("refused for want of buffers", after.last_status, HV_STATUS_INSUFFICIENT_BUFFERS);
	test_end();
}

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	(void)ram_bytes;
	(void)low_bytes;
	idt_set_exceptions();
	idt_set(SINT_VECTOR, (void (*)(void))sint_isr);
	idt_load();
	wrmsr(MSR_SVR, 0x1ff); /* APIC software-enabled: it takes fixed interrupts */
	hvcall_init();

	test_registers();
	test_refusals();
	/* SynIC on, events on, no SIM page yet. */
	wrmsr(HV_X64_MSR_SIEFP, (uintptr_t)&sief | HV_SYNIC_PAGE_ENABLE);
	set_sint(HV_SYNIC_SINT_AUTO_EOI);
	wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_SCONTROL_ENABLE);
	test_no_sim_page();
	test_messages();
	test_events();
	test_masked_polled();
	test_queue();
	say(OUT_BOTH, "done: %u passed, %u failed", tests_passed, tests_failed);
	guest_stop(tests_failed);
}
