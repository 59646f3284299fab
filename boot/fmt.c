/*
 * Freestanding formatted output into a bounded buffer.  No libc, no
 * allocation; safe to link into the UEFI loader and into host unit tests.
 */
#include "boot/fmt.h"

#include <stdint.h>

struct fmt_out {
	char *buf;
	size_t size;
	size_t len; /* characters the full output needs so far */
};

static void fmt_put(struct fmt_out *out, char c)
{
	if (out->size && out->len < out->size - 1)
		out->buf[out->len] = c;
	out->len++;
}

static void fmt_number(struct fmt_out *out, uint64_t value, unsigned base,
		       int upper, int negative, unsigned width, char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	unsigned n = 0;

	do {
		tmp[n++] = digits[value % base];
		value /= base;
	} while (value);

	unsigned used = n + (negative ? 1 : 0);
	if (negative && pad == '0')
		fmt_put(out, '-');
	while (width > used) {
		fmt_put(out, pad);
		width--;
	}
	if (negative && pad != '0')
		fmt_put(out, '-');
	while (n)
		fmt_put(out, tmp[--n]);
}

size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, __builtin_va_list ap)
{
	struct fmt_out out = { buf, size, 0 };

	while (*fmt) {
		if (*fmt != '%') {
			fmt_put(&out, *fmt++);
			continue;
		}
		const char *start = fmt++;
		char pad = ' ';
		unsigned width = 0;
		int longness = 0; /* 0 int, 1 long, 2 long long, 3 size_t */

		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		if (*fmt == 'l') {
			longness = 1;
			fmt++;
			if (*fmt == 'l') {
				longness = 2;
				fmt++;
			}
		} else if (*fmt == 'z') {
			longness = 3;
			fmt++;
		}

		char conv = *fmt;
		if (conv)
			fmt++;
		switch (conv) {
		case '%':
			fmt_put(&out, '%');
			break;
		case 'c':
			fmt_put(&out, (char)__builtin_va_arg(ap, int));
			break;
		case 's': {
			const char *s = __builtin_va_arg(ap, const char *);
			unsigned len = 0;
			if (!s)
				s = "(null)";
			for (const char *p = s; *p; p++)
				len++;
			while (width > len) {
				fmt_put(&out, ' ');
				width--;
			}
			while (*s)
				fmt_put(&out, *s++);
			break;
		}
		case 'd':
		case 'i': {
			int64_t v;
			if (longness == 0)
				v = __builtin_va_arg(ap, int);
			else if (longness == 1)
				v = __builtin_va_arg(ap, long);
			else if (longness == 2)
				v = __builtin_va_arg(ap, long long);
			else
				v = (int64_t)__builtin_va_arg(ap, size_t);
			uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
			fmt_number(&out, mag, 10, 0, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v;
			if (longness == 0)
				v = __builtin_va_arg(ap, unsigned int);
			else if (longness == 1)
				v = __builtin_va_arg(ap, unsigned long);
			else if (longness == 2)
				v = __builtin_va_arg(ap, unsigned long long);
			else
				v = __builtin_va_arg(ap, size_t);
			fmt_number(&out, v, conv == 'u' ? 10 : 16, conv == 'X', 0, width, pad);
			break;
		}
		case 'p':
			fmt_put(&out, '0');
			fmt_put(&out, 'x');
			fmt_number(&out, (uintptr_t)__builtin_va_arg(ap, void *), 16, 0, 0, width, pad);
			break;
		default:
			/* Unknown conversion: copy it through so the mistake is visible. */
			while (start < fmt)
				fmt_put(&out, *start++);
			break;
		}
	}

	if (size)
		buf[out.len < size ? out.len : size - 1] = '\0';
	return out.len;
}

size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	size_t n = fmt_vsnprintf(buf, size, fmt, ap);
	__builtin_va_end(ap);
	return n;
}
