/*
 * fmt: a small freestanding snprintf for the loader and its pure parsers.
 *
 * Supported conversions: %% %c %s %d %i %u %x %X %p, with an optional '0' flag,
 * a decimal field width, and the length modifiers l, ll and z.  Anything else
 * is copied through literally.  The output is always NUL-terminated when
 * size > 0; the return value is the length the full output would have had.
 */
#ifndef KEEL_BOOT_FMT_H
#define KEEL_BOOT_FMT_H

#include <stddef.h>

size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, __builtin_va_list ap);
size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
