/* A child's CMOS clock; contract in rtc.h. */
#include "parent/vstack/rtc.h"

#include <string.h>

#define REG_A       0x0a
#define REG_B       0x0b
#define REG_C       0x0c
#define REG_D       0x0d
#define REG_CENTURY 0x32

void rtc_init(struct rtc *rtc)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->reg_b = RTC_REG_B_24H;
}

/* Days since 1970-01-01 of a civil date: shift the year to start in March,
 * so the leap day ends it, then count whole 400-year eras. */
static int64_t days_of(int year, unsigned month, unsigned day)
{
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;                                   /* 0..399 */
	int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1; /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */

	return era * 146097 + doe - 719468;
}

int64_t rtc_unix_of(const struct rtc_date *d)
{
	return days_of(d->year, d->month, d->day) * 86400 + d->hour * 3600 + d->minute * 60 + d->second;
}

void rtc_date_of(int64_t t, struct rtc_date *d)
{
	int64_t days = t / 86400, rem = t % 86400;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	d->hour = (unsigned)(rem / 3600);
	d->minute = (unsigned)(rem % 3600 / 60);
	d->second = (unsigned)(rem % 60);
	d->weekday = (unsigned)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	d->day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	d->month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	d->year = (int)(yoe + era * 400 + (d->month <= 2));
}

static uint8_t encode(const struct rtc *rtc, unsigned v)
{
	return (rtc->reg_b & RTC_REG_B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t read_reg(const struct rtc *rtc, uint8_t reg, int64_t now)
{
	struct rtc_date d;
	unsigned hour;

	rtc_date_of(now, &d);
	switch (reg) {
	case 0x00: return encode(rtc, d.second);
	case 0x02: return encode(rtc, d.minute);
	case 0x04:
		if (rtc->reg_b & RTC_REG_B_24H)
			return encode(rtc, d.hour);
		hour = d.hour % 12 ? d.hour % 12 : 12;
		return (uint8_t)(encode(rtc, hour) | (d.hour >= 12 ? 0x80 : 0));
	case 0x06: return encode(rtc, d.weekday + 1);
	case 0x07: return encode(rtc, d.day);
	case 0x08: return encode(rtc, d.month);
	case 0x09: return encode(rtc, (unsigned)d.year % 100);
	case REG_CENTURY: return encode(rtc, (unsigned)d.year / 100);
	case REG_A: return 0x26;
	case REG_B: return rtc->reg_b;
	case REG_C: return 0;
	case REG_D: return 0x80;
	case 0x01: case 0x03: case 0x05: return 0; /* alarms */
	}
	return rtc->ram[reg];
}

bool rtc_io(struct rtc *rtc, uint16_t port, bool write, uint32_t *value, int64_t now)
{
	if (port == RTC_PORT_INDEX) {
		if (write)
			rtc->index = (uint8_t)(*value & 0x7f);
		else
			*value = 0xff; /* the index register is write-only */
		return true;
	}
	if (port != RTC_PORT_DATA)
		return false;
	if (!write) {
		*value = read_reg(rtc, rtc->index, now);
		return true;
	}
	if (rtc->index == REG_B)
		rtc->reg_b = (uint8_t)(*value & (RTC_REG_B_DM | RTC_REG_B_24H));
	else if (rtc->index >= 0x0e && rtc->index != REG_CENTURY)
		rtc->ram[rtc->index] = (uint8_t)*value;
	return true;
}
