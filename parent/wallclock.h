/*
 * The parent's idea of the wall-clock time (UTC): the machine's CMOS clock,
 * read once at the first call, plus the TSC since.  Children's clocks
 * (parent/vstack/rtc.h) follow it.
 */
#ifndef KEEL_PARENT_WALLCLOCK_H
#define KEEL_PARENT_WALLCLOCK_H

#include <stdint.h>

/* Unix seconds now; 0 (1970) if the machine's clock cannot be read. */
int64_t wallclock_now(void);
/* The same in 100 ns units since 1970. */
uint64_t wallclock_now_100ns(void);

#endif
