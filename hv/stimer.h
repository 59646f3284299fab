/*
 * Partition reference time and the synthetic timer children use (TLFS
 * "Timers"; docs/guests.md).  Reference time counts 100 ns units from the
 * hypervisor's start, derived from the TSC, whose rate is measured once
 * against the PIT at boot.  A child VP has timers 0-3, one-shot (COUNT is
 * the absolute expiry) or periodic (COUNT is the period), each in direct
 * mode (the expiry raises its vector in the VP's local APIC) or message
 * mode (HV_MESSAGE_TYPE_TIMER_EXPIRED on its SINT of the VP's own SynIC,
 * hv/synic.h).  The VP's pCPU checks them at its interrupt look
 * (hv/interrupt.c), so the timers are the running VP's (field tag (r));
 * a queued message is the SynIC's until delivered.
 */
#ifndef KEEL_HV_STIMER_H
#define KEEL_HV_STIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vp.h"

/* Measure the TSC rate (BSP, once, before any VP runs). */
void stimer_calibrate(void);
uint64_t tsc_hz(void);
/* TLFS timer MSRs: 0, VCPU_MSR_FAULT or VCPU_MSR_UNKNOWN. */
int stimer_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value);
/* Fire the timers due by TSC `now` (periodic ones re-armed); on the
 * VP's own pCPU, holding no lock. */
void stimer_check(struct vp *vp, uint64_t now);
/* The reference time now (HV_X64_MSR_TIME_REF_COUNT). */
uint64_t reference_time_now(void);
/* Nanoseconds since the hypervisor's start (the virtual APIC's clock) and back. */
uint64_t ns_of_tsc(uint64_t tsc);
uint64_t tsc_of_ns(uint64_t ns);
/* Fill a reference TSC page (TLFS "Timers", reference TSC page) with the
 * scale and offset HV_X64_MSR_TIME_REF_COUNT uses (hv/reftime.h), then a
 * valid sequence: a child reads the same time either way. */
struct hv_reference_tsc_page;
void stimer_reference_page(struct hv_reference_tsc_page *page);
/* TSC of the next expiry, or SCHED_NO_DEADLINE. */
uint64_t stimer_deadline(const struct vp *vp);

#endif
