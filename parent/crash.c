/* The parent's crash report; contract in crash.h. */
#include "parent/crash.h"

#include "hv/abi/tlfs.h"
#include "parent/serial.h"
#include "parent/x86.h"

unsigned crash_append(char *buf, unsigned len, unsigned size, const char *s)
{
	while (*s && len + 1 < size)
		buf[len++] = *s++;
	buf[len] = 0;
	return len;
}

unsigned crash_append_hex(char *buf, unsigned len, unsigned size, uint64_t v)
{
	char digits[19] = "0x";
	unsigned n = 2;
	int shift = 60;

	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		digits[n++] = "0123456789abcdef"[(v >> shift) & 0xf];
	digits[n] = 0;
	return crash_append(buf, len, size, digits);
}

unsigned crash_append_dec(char *buf, unsigned len, unsigned size, uint64_t v)
{
	char digits[21];
	unsigned n = sizeof(digits) - 1;

	digits[n] = 0;
	do
		digits[--n] = (char)('0' + v % 10);
	while (v /= 10);
	return crash_append(buf, len, size, digits + n);
}

void crash_report(const char *text, uint64_t p0, uint64_t p1, uint64_t p2)
{
	unsigned len = 0;
	uint32_t r[4];

	__asm__ volatile("cli");
	while (text[len])
		len++;
	serial_write("PANIC: parent: ", 15);
	serial_write(text, len);
	serial_write("\n", 1);
	cpuid(HV_CPUID_FEATURES, 0, r);
	if (r[3] & HV_FEATURE_GUEST_CRASH_MSRS) {
		wrmsr(HV_X64_MSR_CRASH_P0, p0);
		wrmsr(HV_X64_MSR_CRASH_P0 + 1, p1);
		wrmsr(HV_X64_MSR_CRASH_P0 + 2, p2);
		wrmsr(HV_X64_MSR_CRASH_P0 + 3, (uint64_t)text); /* GPA == address in the parent */
		wrmsr(HV_X64_MSR_CRASH_P4, len);
		wrmsr(HV_X64_MSR_CRASH_CTL, HV_CRASH_CTL_CRASH_NOTIFY | HV_CRASH_CTL_CRASH_MESSAGE);
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}
