/*
 * A child's CMOS real-time clock (MC146818-compatible, ports 0x70/0x71 on a
 * PC), enough for an OS to read the date at boot:
 *
 *   0x70  write: bits 6:0 select a register (bit 7, NMI disable, ignored)
 *   0x71  the selected register
 *
 * Registers 0x00 seconds, 0x02 minutes, 0x04 hours, 0x06 day of week
 * (1 = Sunday), 0x07 day of month, 0x08 month, 0x09 year (last two
 * digits), 0x32 century: the time the caller passes in (UTC), in BCD, or
 * binary once register B's DM bit is set; 24-hour format unless B's 24/12
 * bit is clear.  0x0a (A): 0x26, never update-in-progress.  0x0b (B): 0x02
 * at reset; the guest may change DM (bit 2) and 24/12 (bit 1), the other
 * bits read 0.  0x0c (C): 0 (no interrupts).  0x0d (D): 0x80 (battery
 * good).  Writes to the time registers and the alarms are ignored: the
 * clock follows the parent's.  Registers 0x0e-0x7f are battery-backed RAM
 * (zero at reset, 0x32 excepted).  Index ports other than 0x70/0x71 are
 * not the RTC's.
 *
 * Pure C with the conversion between Unix time and the civil calendar;
 * shared with the host unit tests.
 */
#ifndef KEEL_PARENT_VSTACK_RTC_H
#define KEEL_PARENT_VSTACK_RTC_H

#include <stdbool.h>
#include <stdint.h>

#define RTC_PORT_INDEX 0x70
#define RTC_PORT_DATA  0x71

#define RTC_REG_B_24H 0x02
#define RTC_REG_B_DM  0x04 /* binary, else BCD */

struct rtc {
	uint8_t index;
	uint8_t reg_b;
	uint8_t ram[128];
};

struct rtc_date {
	int year;         /* e.g. 2026 */
	unsigned month;   /* 1..12 */
	unsigned day;     /* 1..31 */
	unsigned hour, minute, second;
	unsigned weekday; /* 0 = Sunday */
};

void rtc_init(struct rtc *rtc);

/* An access to `port` at Unix time `now` (seconds, UTC).  Returns whether
 * the port is the RTC's; a read's byte is in *value. */
bool rtc_io(struct rtc *rtc, uint16_t port, bool write, uint32_t *value, int64_t now);

/* Unix seconds <-> calendar (proleptic Gregorian, UTC); years 1970-9999. */
void rtc_date_of(int64_t unix_seconds, struct rtc_date *d);
int64_t rtc_unix_of(const struct rtc_date *d);

#endif
