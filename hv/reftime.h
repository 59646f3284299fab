/*
 * Partition reference time from the TSC, in the form of the TLFS reference
 * TSC page ("Timers", Partition Reference TSC Mechanism): reference time in
 * 100 ns units = ((TSC * scale) >> 64) + offset, a 64x64 multiply keeping
 * the high half.  HV_X64_MSR_TIME_REF_COUNT and the page use the same
 * scale and offset, so a child reads the same value either way.
 *
 * Pure: no hardware, no state of its own, so the same file links into the
 * hypervisor (hv/stimer.c) and into a host unit test.
 */
#ifndef KEEL_HV_REFTIME_H
#define KEEL_HV_REFTIME_H

#include <stdint.h>

#define REFTIME_HZ 10000000u /* 100 ns units */

struct reftime {
	uint64_t scale;  /* reference units per TSC tick, as a 0.64 fixed-point fraction */
	int64_t offset;  /* reference time at TSC 0 (negative: time 0 is at tsc_zero) */
};

/* The scale and offset for a TSC running at tsc_hz whose count tsc_zero is
 * reference time 0.  Needs tsc_hz > REFTIME_HZ (a scale below 1.0): -1
 * otherwise, 0 on success. */
int reftime_init(struct reftime *r, uint64_t tsc_hz, uint64_t tsc_zero);

/* Reference time at TSC `tsc` (the reference TSC page's formula). */
static inline uint64_t reftime_of_tsc(const struct reftime *r, uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * r->scale) >> 64) + (uint64_t)r->offset;
}

#endif
