/*
 * Partition reference time and the synthetic timer children use (TLFS
 * "Timers"; docs/guests.md).  Reference time counts 100 ns units from the
 * hypervisor's start, derived from the TSC, whose rate is measured once
 * against the PIT at boot.  Only timer 0 in direct mode is provided: an
 * expiry raises its vector in the VP's local APIC (hv/interrupt.c).
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
/* The timer's vector if it expired by TSC `now` (re-armed if periodic), else 0. */
uint8_t stimer_check(struct vp *vp, uint64_t now);
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
