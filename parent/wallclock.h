/*
 * The parent's idea of the wall-clock time (UTC): the machine's CMOS clock,
 * read once at the first call, plus the TSC since; the idle loop then finds
 * where the CMOS clock's second begins (wallclock_refine), so the time is
 * good to milliseconds rather than to a second.  Children's clocks
 * (parent/vstack/rtc.h) follow it.
 */
#ifndef KEEL_PARENT_WALLCLOCK_H
#define KEEL_PARENT_WALLCLOCK_H

#include <stdint.h>

/* Unix seconds now; 0 (1970) if the machine's clock cannot be read. */
int64_t wallclock_now(void);
/* The same in 100 ns units since 1970. */
uint64_t wallclock_now_100ns(void);
/* From the idle loop and each poll for intercepts (never from an
 * interrupt: it uses the CMOS index port): a cheap look at the CMOS clock
 * until its second has been seen to begin. */
void wallclock_refine(void);

#endif
