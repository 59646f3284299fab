/* Reference time and the synthetic timers; contract in stimer.h. */
#include "hv/stimer.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "hv/interrupt.h"
#include "hv/log.h"
#include "hv/partition.h"
#include "hv/reftime.h"
#include "hv/sched.h"
#include "hv/synic.h"
#include "hv/vcpu_ops.h"

#define PIT_HZ        1193182u
#define PIT_TICKS     11932u   /* 10 ms */
#define TSC_HZ_FLOOR  16000000u /* above REFTIME_HZ: the reference TSC page needs a scale below 1 */

static uint64_t tsc_rate;      /* (i) TSC ticks per second */
static uint64_t tsc_base;      /* (i) TSC at reference time 0 */
static struct reftime reftime; /* (i) reference time of a TSC count (the reference TSC page's terms) */
static uint64_t ns_per_tsc32;  /* (i) nanoseconds per TSC tick, << 32 */
static uint64_t tsc_per_ns24;  /* (i) TSC ticks per nanosecond, << 24 */
static uint64_t tsc_per_ref24; /* (i) TSC ticks per reference unit, << 24 */

void stimer_calibrate(void)
{
	uint64_t t0, t1;

	/* PIT channel 2, mode 0, gated on with the speaker off; OUT2 (port
	 * 0x61 bit 5) rises when the count reaches 0. */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);
	outb(0x42, PIT_TICKS & 0xff);
	outb(0x42, PIT_TICKS >> 8);
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20) && rdtsc() - t0 < (1ull << 40))
		cpu_relax();
	t1 = rdtsc();
	tsc_rate = (t1 - t0) * PIT_HZ / PIT_TICKS;
	if (tsc_rate < TSC_HZ_FLOOR)
		tsc_rate = TSC_HZ_FLOOR; /* no PIT answer: assume a slow clock rather than divide by 0 */
	tsc_base = t1;
	reftime_init(&reftime, tsc_rate, tsc_base); /* cannot fail above the floor */
	tsc_per_ref24 = (tsc_rate << 24) / REFTIME_HZ;
	ns_per_tsc32 = (1000000000ull << 32) / tsc_rate;
	tsc_per_ns24 = (tsc_rate << 24) / 1000000000ull;
	log_info("TSC: %lu kHz", tsc_rate / 1000);
}

uint64_t tsc_hz(void)
{
	return tsc_rate;
}

static uint64_t ref_of_tsc(uint64_t tsc)
{
	return reftime_of_tsc(&reftime, tsc);
}

void stimer_reference_page(struct hv_reference_tsc_page *page)
{
	/* Invalid while it changes (a sibling VP may be reading it), then
	 * valid for good: the TSC's rate and the scale never change. */
	__atomic_store_n(&page->tsc_sequence, 0, __ATOMIC_RELEASE);
	page->reserved0 = 0;
	page->tsc_scale = reftime.scale;
	page->tsc_offset = reftime.offset;
	__atomic_store_n(&page->tsc_sequence, 1, __ATOMIC_RELEASE);
}

static uint64_t tsc_of_ref(uint64_t ref)
{
	return tsc_base + (uint64_t)(((unsigned __int128)ref * tsc_per_ref24) >> 24);
}

uint64_t ns_of_tsc(uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)(tsc - tsc_base) * ns_per_tsc32) >> 32);
}

uint64_t tsc_of_ns(uint64_t ns)
{
	return tsc_base + (uint64_t)(((unsigned __int128)ns * tsc_per_ns24) >> 24);
}

uint64_t reference_time_now(void)
{
	return ref_of_tsc(rdtsc());
}

/* When timer t expires, in host TSC; 0 if it is not armed. */
static uint64_t expiry_tsc(const struct stimer *t)
{
	uint64_t tsc;

	if (!t->expiry_ref)
		return 0;
	tsc = tsc_of_ref(t->expiry_ref);
	return tsc ? tsc : 1;
}

/* The earliest armed expiry of the VP's timers (hv/interrupt.c looks at it). */
static void update_next(struct stimers *st)
{
	st->next_tsc = 0;
	for (unsigned i = 0; i < HV_SYNIC_STIMER_COUNT; i++) {
		uint64_t tsc = expiry_tsc(&st->t[i]);

		if (tsc && (!st->next_tsc || tsc < st->next_tsc))
			st->next_tsc = tsc;
	}
}

static uint8_t vector_of(uint64_t config)
{
	return (uint8_t)((config & HV_STIMER_APIC_VECTOR_MASK) >> HV_STIMER_APIC_VECTOR_SHIFT);
}

static unsigned sint_of(uint64_t config)
{
	return (unsigned)((config & HV_STIMER_SINT_MASK) >> HV_STIMER_SINT_SHIFT);
}

/* Where an expiry can go: a direct-mode vector an interrupt may use, or a
 * message SINT other than 0 (TLFS: SINTx 0 leaves the timer disabled). */
static bool has_target(uint64_t config)
{
	return (config & HV_STIMER_DIRECT_MODE) ? vector_of(config) >= 32 : sint_of(config) != 0;
}

/* (Re)arm from the current config and count. */
static void arm(struct vp *vp, struct stimer *t)
{
	uint64_t now = ref_of_tsc(rdtsc());

	vp->irq_recheck = true; /* its deadline moves (hv/interrupt.h) */
	t->expiry_ref = 0;
	if ((t->config & HV_STIMER_ENABLE) && t->count)
		t->expiry_ref = (t->config & HV_STIMER_PERIODIC) ? now + t->count : t->count;
	update_next(&vp->stimer);
}

static int timer_msr(struct vp *vp, unsigned n, bool count, bool write, uint64_t *value)
{
	struct stimer *t = &vp->stimer.t[n];

	if (!write) {
		*value = count ? t->count : t->config;
		return 0;
	}
	if (count) {
		t->count = *value;
		if (!*value)
			t->config &= ~HV_STIMER_ENABLE;
		else if ((t->config & HV_STIMER_AUTO_ENABLE) && has_target(t->config))
			t->config |= HV_STIMER_ENABLE;
	} else {
		/* A direct-mode vector below 32 is refused; message mode on
		 * SINT 0 is taken but stays disabled. */
		if ((*value & HV_STIMER_RESERVED_MASK) ||
		    ((*value & HV_STIMER_ENABLE) && (*value & HV_STIMER_DIRECT_MODE) && vector_of(*value) < 32))
			return VCPU_MSR_FAULT;
		t->config = has_target(*value) ? *value : *value & ~HV_STIMER_ENABLE;
	}
	arm(vp, t);
	return 0;
}

int stimer_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	switch (msr) {
	case HV_X64_MSR_TIME_REF_COUNT:
		if (write)
			return VCPU_MSR_FAULT;
		*value = ref_of_tsc(rdtsc());
		return 0;
	case HV_X64_MSR_TSC_FREQUENCY:
		if (write)
			return VCPU_MSR_FAULT;
		*value = tsc_rate;
		return 0;
	case HV_X64_MSR_APIC_FREQUENCY:
		if (write)
			return VCPU_MSR_FAULT;
		*value = VLAPIC_TIMER_HZ;
		return 0;
	default:
		/* The timers are children's: the parent's VP takes no
		 * virtual interrupts (hv/interrupt.h). */
		if (msr < HV_X64_MSR_STIMER0_CONFIG || msr > HV_X64_MSR_STIMER3_COUNT || vp->partition->is_parent)
			return VCPU_MSR_UNKNOWN;
		return timer_msr(vp, (msr - HV_X64_MSR_STIMER0_CONFIG) / 2, msr & 1, write, value);
	}
}

/* Message mode: HV_MESSAGE_TYPE_TIMER_EXPIRED on the timer's SINT of its
 * own VP.  A message still waiting for its slot takes this expiry in
 * (periodic timers are lazy, as the TLFS allows). */
static void send_message(struct vp *vp, unsigned n, struct stimer *t)
{
	struct synic_msg *m = &t->msg;

	if (__atomic_exchange_n(&m->busy, true, __ATOMIC_ACQUIRE))
		return;
	memset(&m->msg, 0, sizeof(m->msg));
	m->msg.header.message_type = HV_MESSAGE_TYPE_TIMER_EXPIRED;
	m->msg.header.payload_size = sizeof(m->msg.timer);
	m->msg.timer.timer_index = n;
	m->msg.timer.expiration_time = t->expiry_ref;
	synic_queue(vp, sint_of(t->config), m); /* the delivery time is set in the slot */
}

static void expire(struct vp *vp, unsigned n, struct stimer *t, uint64_t now)
{
	if (t->config & HV_STIMER_DIRECT_MODE)
		vp_irq_raise(vp, vector_of(t->config));
	else
		send_message(vp, n, t);
	if (!(t->config & HV_STIMER_PERIODIC)) {
		t->config &= ~HV_STIMER_ENABLE;
		t->expiry_ref = 0;
		return;
	}
	t->expiry_ref += t->count;
	if (expiry_tsc(t) <= now) /* missed periods merge into this one */
		t->expiry_ref = ref_of_tsc(now) + t->count;
}

void stimer_check(struct vp *vp, uint64_t now)
{
	struct stimers *st = &vp->stimer;

	if (!st->next_tsc || now < st->next_tsc)
		return;
	for (unsigned i = 0; i < HV_SYNIC_STIMER_COUNT; i++) {
		uint64_t tsc = expiry_tsc(&st->t[i]);

		if (tsc && now >= tsc)
			expire(vp, i, &st->t[i], now);
	}
	update_next(st);
}

uint64_t stimer_deadline(const struct vp *vp)
{
	return vp->stimer.next_tsc ? vp->stimer.next_tsc : SCHED_NO_DEADLINE;
}
