/* The parent's wall clock; contract in wallclock.h. */
#include "parent/wallclock.h"

#include <stdbool.h>

#include "parent/kernel.h"
#include "parent/vstack/rtc.h"
#include "parent/x86.h"

#define UIP_TRIES 1000000 /* an update takes under 2 ms */

static uint8_t cmos(uint8_t reg)
{
	outb(RTC_PORT_INDEX, reg);
	return inb(RTC_PORT_DATA);
}

static unsigned from(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10u + (v & 0xf);
}

/* The machine's CMOS clock, read between two updates, in Unix seconds. */
static int64_t read_cmos(void)
{
	struct rtc_date d;
	uint8_t b, hour;
	bool binary;
	unsigned century;
	long tries = UIP_TRIES;

	while ((cmos(0x0a) & 0x80) && --tries)
		;
	if (!tries)
		return 0;
	b = cmos(0x0b);
	binary = b & RTC_REG_B_DM;
	d.second = from(cmos(0x00), binary);
	d.minute = from(cmos(0x02), binary);
	hour = cmos(0x04);
	d.hour = from(hour & 0x7f, binary);
	if (!(b & RTC_REG_B_24H) && (hour & 0x80))
		d.hour = d.hour % 12 + 12;
	else if (!(b & RTC_REG_B_24H) && d.hour == 12)
		d.hour = 0;
	d.day = from(cmos(0x07), binary);
	d.month = from(cmos(0x08), binary);
	century = from(cmos(0x32), binary);
	d.year = (int)((century >= 19 && century <= 99 ? century : 20) * 100 + from(cmos(0x09), binary));
	if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || d.hour > 23 || d.minute > 59 ||
	    d.second > 59)
		return 0;
	return rtc_unix_of(&d);
}

static int64_t base;
static uint64_t base_tsc, hz;

static bool known, refined;
static uint8_t last_second; /* refining: the seconds register at the last look */
static uint64_t last_look;  /* ... and the TSC then */

static void start(void)
{
	if (known)
		return;
	known = true;
	hz = parent_tsc_hz();
	base = read_cmos();
	base_tsc = last_look = rdtsc();
	last_second = cmos(0x00);
}

/*
 * The CMOS clock counts whole seconds, so the first reading is up to a
 * second behind.  The parent's loops look at the seconds register (between
 * naps, and at each poll for intercepts); when it ticks within REFINE_GAP of the previous look, the start of
 * that second is known to within the gap, and the clock is set from it
 * (forward only, by under a second).  Waiting for the tick in one go would
 * hold the parent for up to a second.
 */
#define REFINE_GAP_MS 20

void wallclock_refine(void)
{
	uint64_t now;
	uint8_t second;

	start();
	if (refined || !hz || (cmos(0x0a) & 0x80))
		return;
	now = rdtsc();
	second = cmos(0x00);
	if (second != last_second && now - last_look < hz / 1000 * REFINE_GAP_MS) {
		int64_t t = read_cmos();

		if (t) {
			base = t;
			base_tsc = now;
			refined = true;
		}
	}
	last_second = second;
	last_look = now;
}

int64_t wallclock_now(void)
{
	start();
	return base + (int64_t)(hz ? (rdtsc() - base_tsc) / hz : 0);
}

uint64_t wallclock_now_100ns(void)
{
	uint64_t ticks;

	start();
	ticks = rdtsc() - base_tsc;
	if (!hz)
		return (uint64_t)base * 10000000u;
	/* ticks % hz < hz, so the product stays far below 2^64 */
	return ((uint64_t)base + ticks / hz) * 10000000u + ticks % hz * 10000000u / hz;
}
