/* Reference time and synthetic timer 0; contract in stimer.h. */
#include "hv/stimer.h"

#include "arch/x86/cpu.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "hv/log.h"
#include "hv/reftime.h"
#include "hv/sched.h"
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

/* (Re)arm from the current config and count. */
static void arm(struct vp *vp)
{
	struct stimer *t = &vp->stimer;
	uint64_t now = ref_of_tsc(rdtsc());

	vp->irq_recheck = true; /* its deadline moves (hv/interrupt.h) */
	t->expiry_tsc = 0;
	if (!(t->config & HV_STIMER_ENABLE) || !t->count)
		return;
	t->expiry_tsc = tsc_of_ref((t->config & HV_STIMER_PERIODIC) ? now + t->count : t->count);
	if (!t->expiry_tsc)
		t->expiry_tsc = 1;
}

int stimer_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	struct stimer *t = &vp->stimer;

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
	case HV_X64_MSR_STIMER0_CONFIG:
		if (!write) {
			*value = t->config;
			return 0;
		}
		/* Direct mode only, with a vector an interrupt may use. */
		if ((*value & HV_STIMER_RESERVED_MASK) ||
		    ((*value & HV_STIMER_ENABLE) &&
		     (!(*value & HV_STIMER_DIRECT_MODE) ||
		      ((*value & HV_STIMER_APIC_VECTOR_MASK) >> HV_STIMER_APIC_VECTOR_SHIFT) < 32)))
			return VCPU_MSR_FAULT;
		t->config = *value;
		arm(vp);
		return 0;
	case HV_X64_MSR_STIMER0_COUNT:
		if (!write) {
			*value = t->count;
			return 0;
		}
		t->count = *value;
		if (!*value)
			t->config &= ~HV_STIMER_ENABLE;
		else if ((t->config & HV_STIMER_AUTO_ENABLE) && (t->config & HV_STIMER_DIRECT_MODE) &&
			 ((t->config & HV_STIMER_APIC_VECTOR_MASK) >> HV_STIMER_APIC_VECTOR_SHIFT) >= 32)
			t->config |= HV_STIMER_ENABLE;
		arm(vp);
		return 0;
	default:
		return VCPU_MSR_UNKNOWN;
	}
}

uint8_t stimer_check(struct vp *vp, uint64_t now)
{
	struct stimer *t = &vp->stimer;
	uint8_t vector;
	uint64_t period;

	if (!t->expiry_tsc || now < t->expiry_tsc)
		return 0;
	vector = (uint8_t)((t->config & HV_STIMER_APIC_VECTOR_MASK) >> HV_STIMER_APIC_VECTOR_SHIFT);
	if (!(t->config & HV_STIMER_PERIODIC)) {
		t->config &= ~HV_STIMER_ENABLE;
		t->expiry_tsc = 0;
		return vector;
	}
	period = tsc_of_ref(t->count) - tsc_base;
	t->expiry_tsc += period ? period : 1;
	if (t->expiry_tsc <= now) /* missed periods merge into this one */
		t->expiry_tsc = now + (period ? period : 1);
	return vector;
}

uint64_t stimer_deadline(const struct vp *vp)
{
	return vp->stimer.expiry_tsc ? vp->stimer.expiry_tsc : SCHED_NO_DEADLINE;
}
