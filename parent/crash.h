/*
 * The parent's last words: a fault it cannot recover from, or a bring-up
 * step that failed before the heap exists.  Nothing here allocates or uses
 * newlib's stdio, so it works in any state the kernel can still run code in.
 */
#ifndef KEEL_PARENT_CRASH_H
#define KEEL_PARENT_CRASH_H

#include <stdint.h>

/* Print "PANIC: parent: TEXT" on COM1 as one line, report it to the hypervisor through the
 * TLFS guest crash MSRs (HV_X64_MSR_CRASH_P0-P4 and CRASH_CTL with a
 * message; the hypervisor logs "parent partition crashed: TEXT" and stops
 * the machine), and halt if that returns. */
void crash_report(const char *text, uint64_t p0, uint64_t p1, uint64_t p2) __attribute__((noreturn));

/* Append to a fixed buffer without allocating: a string, a number in hex
 * ("0x..."), a decimal number.  Returns the new length, never past size-1. */
unsigned crash_append(char *buf, unsigned len, unsigned size, const char *s);
unsigned crash_append_hex(char *buf, unsigned len, unsigned size, uint64_t v);
unsigned crash_append_dec(char *buf, unsigned len, unsigned size, uint64_t v);

#endif
