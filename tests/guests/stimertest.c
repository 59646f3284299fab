/*
 * stimertest.elf: a child's synthetic timers 0-3 (TLFS "Timers") in message
 * mode: the registers and their refusals, a one-shot timer's expiration
 * message (type, size, index, expiration and delivery time), a periodic
 * one's steady messages and its stop, two timers expiring together behind
 * one slot (the pending flag, EOM), and a direct-mode timer beside them.
 */
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "tests/guests/guard.h"
#include "tests/guests/hvcall.h"
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

#define TIMER_SINT    3
#define SINT_VECTOR   0x60
#define DIRECT_VECTOR 0x61
#define MSR_SVR       0x80f
#define MSR_EOI       0x80b
#define MS            10000ull /* reference time units */

const char guest_name[] = "stimertest";

static struct hv_message_page sim __attribute__((aligned(4096)));

static volatile uint32_t sint_hits, direct_hits;

__attribute__((interrupt)) static void sint_isr(void *frame)
{
	(void)frame;
	sint_hits++; /* auto-EOI */
}

__attribute__((interrupt)) static void direct_isr(void *frame)
{
	(void)frame;
	direct_hits++;
	wrmsr(MSR_EOI, 0);
}

static uint64_t now(void) { return rdmsr(HV_X64_MSR_TIME_REF_COUNT); }
static struct hv_message *slot(void) { return &sim.sint_message[TIMER_SINT]; }
static bool slot_full(void) { return __atomic_load_n(&slot()->header.message_type, __ATOMIC_ACQUIRE) != 0; }

static bool wait_full(unsigned ms)
{
	uint64_t end = now() + ms * MS;

	sti();
	while (!slot_full())
		if (now() > end)
			return false;
	return true;
}

static void wait_ms(unsigned ms)
{
	uint64_t end = now() + ms * MS;

	sti();
	while (now() < end)
		pause();
}

/* Empty the slot as the TLFS asks: type to none, then EOM if more wait. */
static void slot_done(void)
{
	__atomic_store_n(&slot()->header.message_type, HV_MESSAGE_TYPE_NONE, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (slot()->header.message_flags & HV_MESSAGE_FLAG_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
}

static uint64_t message_config(bool periodic)
{
	return HV_STIMER_ENABLE | (periodic ? HV_STIMER_PERIODIC : 0) | ((uint64_t)TIMER_SINT << HV_STIMER_SINT_SHIFT);
}

static uint64_t wrmsr_fault(uint32_t msr, uint64_t value)
{
	return (uint64_t)guard_wrmsr(msr, value);
}

static void test_registers(void)
{
	uint32_t r[4];
	bool zero = true;

	test_begin("timer registers");
	cpuid(HV_CPUID_FEATURES, 0, r);
	test_expect("timer MSRs (CPUID 0x40000003 EAX)", r[0] & HV_ACCESS_SYNTHETIC_TIMER_REGS,
		    HV_ACCESS_SYNTHETIC_TIMER_REGS);
	test_expect("direct mode (EDX bit 19)", r[3] & HV_FEATURE_STIMER_DIRECT_MODE, HV_FEATURE_STIMER_DIRECT_MODE);
	for (unsigned i = 0; i < HV_SYNIC_STIMER_COUNT; i++)
		zero &= !rdmsr(HV_X64_MSR_STIMER_CONFIG(i)) && !rdmsr(HV_X64_MSR_STIMER_COUNT(i));
	test_expect("all four zero at start", zero, 1);
	test_expect("reserved bit 13: #GP", wrmsr_fault(HV_X64_MSR_STIMER_CONFIG(2), 1ull << 13), 13);
	test_expect("reserved bit 20: #GP", wrmsr_fault(HV_X64_MSR_STIMER_CONFIG(2), 1ull << 20), 13);
	test_expect("direct mode, vector 15: #GP",
		    wrmsr_fault(HV_X64_MSR_STIMER_CONFIG(1),
				HV_STIMER_ENABLE | HV_STIMER_DIRECT_MODE | (15ull << HV_STIMER_APIC_VECTOR_SHIFT)), 13);
	test_expect("a fifth timer: #GP", wrmsr_fault(HV_X64_MSR_STIMER3_COUNT + 1, 0), 13);
	wrmsr(HV_X64_MSR_STIMER_CONFIG(3), HV_STIMER_ENABLE | HV_STIMER_PERIODIC);
	test_expect("message mode on SINT 0 stays disabled", rdmsr(HV_X64_MSR_STIMER_CONFIG(3)), HV_STIMER_PERIODIC);
	wrmsr(HV_X64_MSR_STIMER_COUNT(3), 5 * MS);
	test_expect("and is not enabled by COUNT", rdmsr(HV_X64_MSR_STIMER_CONFIG(3)) & HV_STIMER_ENABLE, 0);
	wrmsr(HV_X64_MSR_STIMER_COUNT(3), 0);
	wrmsr(HV_X64_MSR_STIMER_CONFIG(3), 0);
	wait_ms(20);
	test_expect("no message from it", slot_full(), 0);
	test_end();
}

static void test_one_shot(void)
{
	uint64_t due = now() + 10 * MS;
	uint32_t hits = sint_hits;
	struct hv_message *m = slot();

	test_begin("message mode: one-shot expiration message");
	wrmsr(HV_X64_MSR_STIMER_COUNT(1), due);
	wrmsr(HV_X64_MSR_STIMER_CONFIG(1), message_config(false));
	if (test_expect("message arrives", wait_full(2000), 1)) {
		test_expect("not early", now() >= due, 1);
		test_expect("type", m->header.message_type, HV_MESSAGE_TYPE_TIMER_EXPIRED);
		test_expect("size", m->header.payload_size, sizeof(struct hv_timer_message_payload));
		test_expect("sender", m->header.sender, 0);
		test_expect("timer index", m->timer.timer_index, 1);
		test_expect("expiration time", m->timer.expiration_time, due);
		test_expect("delivered after it", m->timer.delivery_time >= due, 1);
		test_expect("flags", m->header.message_flags, 0);
		slot_done();
	}
	wait_ms(2);
	test_expect("one interrupt", sint_hits - hits, 1);
	test_expect("one-shot: ENABLE cleared", rdmsr(HV_X64_MSR_STIMER_CONFIG(1)) & HV_STIMER_ENABLE, 0);
	wait_ms(20);
	test_expect("no second message", slot_full(), 0);
	test_end();
}

static void test_periodic(void)
{
	const uint64_t period = 5 * MS;
	uint64_t last = 0;
	unsigned got = 0, steps_ok = 1;

	test_begin("message mode: periodic, then stopped");
	wrmsr(HV_X64_MSR_STIMER_COUNT(2), period);
	wrmsr(HV_X64_MSR_STIMER_CONFIG(2), message_config(true));
	while (got < 6 && wait_full(2000)) {
		struct hv_message *m = slot();
		uint64_t e = m->timer.expiration_time;

		/* A period apart, or more when the VP missed some (lazy). */
		if (m->header.message_type != HV_MESSAGE_TYPE_TIMER_EXPIRED || m->timer.timer_index != 2 ||
		    m->timer.delivery_time < e || (got && e - last < period))
			steps_ok = 0;
		last = e;
		got++;
		slot_done();
	}
	test_expect("six messages", got, 6);
	test_expect("each later by a period or more", steps_ok, 1);
	wrmsr(HV_X64_MSR_STIMER_CONFIG(2), 0);
	if (slot_full())
		slot_done(); /* one may have expired before the stop */
	wait_ms(20);
	test_expect("none after the stop", slot_full(), 0);
	test_end();
}

/* Timers 0 and 3 expire together: one message in the slot with the pending
 * flag, the other after EOM.  Timer 3 is enabled by its COUNT write
 * (auto-enable). */
static void test_two_at_once(void)
{
	uint64_t due = now() + 10 * MS;
	unsigned seen = 0;

	test_begin("two timers at once: pending flag, EOM");
	wrmsr(HV_X64_MSR_STIMER_CONFIG(0), message_config(false));
	wrmsr(HV_X64_MSR_STIMER_CONFIG(3), HV_STIMER_AUTO_ENABLE | ((uint64_t)TIMER_SINT << HV_STIMER_SINT_SHIFT));
	wrmsr(HV_X64_MSR_STIMER_COUNT(3), due);
	test_expect("COUNT enabled timer 3", rdmsr(HV_X64_MSR_STIMER_CONFIG(3)) & HV_STIMER_ENABLE, HV_STIMER_ENABLE);
	wrmsr(HV_X64_MSR_STIMER_COUNT(0), due);
	if (test_expect("first message", wait_full(2000), 1)) {
		wait_ms(20); /* both have expired */
		test_expect("pending flag", slot()->header.message_flags & HV_MESSAGE_FLAG_PENDING, HV_MESSAGE_FLAG_PENDING);
		seen |= 1u << slot()->timer.timer_index;
		slot_done();
		if (test_expect("second message after EOM", wait_full(100), 1)) {
			test_expect("its flags", slot()->header.message_flags, 0);
			seen |= 1u << slot()->timer.timer_index;
			slot_done();
		}
	}
	test_expect("timers 0 and 3", seen, 0x9);
	test_end();
}

/* A direct-mode timer and a message-mode one run side by side. */
static void test_direct_beside(void)
{
	uint32_t d0 = direct_hits;
	unsigned messages = 0, others = 0;
	uint64_t end;

	test_begin("direct and message mode side by side");
	wrmsr(HV_X64_MSR_STIMER_COUNT(1), 2 * MS);
	wrmsr(HV_X64_MSR_STIMER_CONFIG(1), HV_STIMER_ENABLE | HV_STIMER_PERIODIC | HV_STIMER_DIRECT_MODE |
						   ((uint64_t)DIRECT_VECTOR << HV_STIMER_APIC_VECTOR_SHIFT));
	wrmsr(HV_X64_MSR_STIMER_COUNT(2), 10 * MS);
	wrmsr(HV_X64_MSR_STIMER_CONFIG(2), message_config(true));
	end = now() + 100 * MS;
	while (now() < end) {
		if (wait_full(5)) {
			if (slot()->timer.timer_index == 2)
				messages++;
			else
				others++;
			slot_done();
		}
	}
	wrmsr(HV_X64_MSR_STIMER_CONFIG(1), 0);
	wrmsr(HV_X64_MSR_STIMER_CONFIG(2), 0);
	test_expect("direct interrupts (>= 10)", direct_hits - d0 >= 10, 1);
	test_expect("messages (>= 3)", messages >= 3, 1);
	test_expect("no message from the direct timer", others, 0);
	test_end();
}

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	(void)ram_bytes;
	(void)low_bytes;
	idt_set_exceptions();
	idt_set(SINT_VECTOR, (void (*)(void))sint_isr);
	idt_set(DIRECT_VECTOR, (void (*)(void))direct_isr);
	idt_load();
	wrmsr(MSR_SVR, 0x1ff);
	hvcall_init();
	wrmsr(HV_X64_MSR_SIMP, (uintptr_t)&sim | HV_SYNIC_PAGE_ENABLE);
	wrmsr(HV_X64_MSR_SINT(TIMER_SINT), SINT_VECTOR | HV_SYNIC_SINT_AUTO_EOI);
	wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_SCONTROL_ENABLE);

	test_registers();
	test_one_shot();
	test_periodic();
	test_two_at_once();
	test_direct_beside();
	say(OUT_BOTH, "done: %u passed, %u failed", tests_passed, tests_failed);
	guest_stop(tests_failed);
}
