/*
 * Output, test results, IDT and stop for the test guests (lib.h).
 */
#include <stdarg.h>

#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

unsigned tests_passed, tests_failed;
volatile uint32_t timer_ticks;

/* ---- output ---------------------------------------------------------- */

#define COM1_LSR      (COM1 + 5)
#define LSR_THR_EMPTY 0x20 /* PC16550D datasheet, LSR bit 5 */

static void com1_putc(char c)
{
	/* Bounded: a UART that never reports THRE must not hang the guest. */
	for (unsigned i = 0; i < 100000 && !(inb(COM1_LSR) & LSR_THR_EMPTY); i++)
		pause();
	outb(COM1, (uint8_t)c);
}

static void emit(unsigned sinks, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (sinks & OUT_COM1) {
			if (s[i] == '\n')
				com1_putc('\r');
			com1_putc(s[i]);
		}
		if (sinks & OUT_TESTDEV)
			outb(TESTDEV_CONSOLE, (uint8_t)s[i]);
	}
}

uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem)
{
#ifdef __x86_64__
	if (rem)
		*rem = (uint32_t)(n % d);
	return n / d;
#else
	/* Two DIVs of EDX:EAX by d; the high quotient first keeps EDX < d. */
	uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qhi, qlo, r;
	__asm__("divl %4" : "=a"(qhi), "=d"(r) : "a"(hi), "d"(0u), "rm"(d));
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	if (rem)
		*rem = r;
	return ((uint64_t)qhi << 32) | qlo;
#endif
}

struct fmt_buf {
	char *p;
	size_t len, cap;
};

static void put(struct fmt_buf *b, char c)
{
	if (b->len < b->cap)
		b->p[b->len++] = c;
}

static void put_number(struct fmt_buf *b, uint64_t v, unsigned base, bool negative, unsigned width,
		       char padc)
{
	char digits[24];
	unsigned n = 0;
	do {
		uint32_t r;
		v = udiv64(v, base, &r);
		digits[n++] = "0123456789abcdef"[r];
	} while (v);
	if (negative)
		digits[n++] = '-';
	for (unsigned i = n; i < width; i++)
		put(b, padc);
	while (n)
		put(b, digits[--n]);
}

static size_t format(char *out, size_t cap, const char *fmt, va_list ap)
{
	struct fmt_buf b = { out, 0, cap };
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&b, *f);
			continue;
		}
		char padc = ' ';
		unsigned width = 0, longs = 0;
		if (*++f == '0')
			padc = '0', f++;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (unsigned)(*f++ - '0');
		while (*f == 'l')
			longs++, f++;
		uint64_t v;
		switch (*f) {
		case 'c':
			put(&b, (char)va_arg(ap, int));
			break;
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				put(&b, *s);
			break;
		case 'd': {
			int64_t s = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
			put_number(&b, s < 0 ? -(uint64_t)s : (uint64_t)s, 10, s < 0, width, padc);
			break;
		}
		case 'u':
		case 'x':
			v = longs >= 2 ? va_arg(ap, unsigned long long)
			    : longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			put_number(&b, v, *f == 'u' ? 10 : 16, false, width, padc);
			break;
		case 'p':
			put(&b, '0'), put(&b, 'x');
			put_number(&b, (uintptr_t)va_arg(ap, void *), 16, false, width, padc);
			break;
		case '%':
			put(&b, '%');
			break;
		default: /* unknown conversion: show it, stop formatting */
			put(&b, '%');
			if (*f)
				put(&b, *f);
			return b.len;
		}
	}
	return b.len;
}

static void vprint(unsigned sinks, const char *fmt, va_list ap)
{
	char line[256];
	size_t n = format(line, sizeof(line), fmt, ap);
	emit(sinks, line, n);
}

void print(unsigned sinks, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(sinks, fmt, ap);
	va_end(ap);
}

/* ---- test results ------------------------------------------------------ */

static const char *test_name;
static unsigned test_problems;

void test_begin(const char *name)
{
	test_name = name;
	test_problems = 0;
}

static void test_problem(const char *fmt, va_list ap)
{
	char detail[200];
	size_t n = format(detail, sizeof(detail) - 1, fmt, ap);
	detail[n] = 0;
	if (test_problems++ == 0)
		print(OUT_BOTH, "FAIL %s: %s: %s\n", guest_name, test_name, detail);
	else
		print(OUT_COM1, "%s:   also: %s\n", guest_name, detail);
}

void test_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	test_problem(fmt, ap);
	va_end(ap);
}

bool test_expect(const char *step, uint64_t got, uint64_t want)
{
	if (got == want)
		return true;
	test_fail("%s: got 0x%llx, want 0x%llx", step, (unsigned long long)got, (unsigned long long)want);
	return false;
}

void test_end(void)
{
	if (test_problems) {
		tests_failed++;
		return;
	}
	tests_passed++;
	print(OUT_BOTH, "PASS %s: %s\n", guest_name, test_name);
}

/* ---- interrupts and stopping --------------------------------------------- */

/* Interrupt gate, present, DPL 0 (SDM vol. 3 §6.11, §6.14.1). */
#define GATE_INTERRUPT 0x8e
#define GATE_TASK      0x85 /* present, DPL 0 */
#define KERNEL_CS      0x08

#ifdef __x86_64__
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");
#else
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t zero;
	uint8_t type;
	uint16_t offset_high;
};
_Static_assert(sizeof(struct idt_gate) == 8, "32-bit IDT gate");
#endif

struct __attribute__((packed)) idt_pointer {
	uint16_t limit;
	uintptr_t base;
};

static struct idt_gate idt[256] __attribute__((aligned(16)));

/* The 32 exception entry points, in the asm entry file. */
extern const uintptr_t exception_stubs[32];

void idt_set(unsigned vector, void (*handler)(void))
{
	idt_set_gate(vector, handler, KERNEL_CS, 0);
}

void idt_set_gate(unsigned vector, void (*handler)(void), uint16_t selector, unsigned dpl)
{
	uintptr_t a = (uintptr_t)handler;
	struct idt_gate *g = &idt[vector & 0xff];
	g->offset_low = (uint16_t)a;
	g->selector = selector;
	g->type = (uint8_t)(GATE_INTERRUPT | (dpl & 3) << 5);
#ifdef __x86_64__
	g->ist = 0;
	g->offset_mid = (uint16_t)(a >> 16);
	g->offset_high = (uint32_t)(a >> 32);
	g->reserved = 0;
#else
	g->zero = 0;
	g->offset_high = (uint16_t)(a >> 16);
#endif
}

#ifndef __x86_64__
void idt_set_task_gate(unsigned vector, uint16_t tss_selector)
{
	idt[vector & 0xff] = (struct idt_gate){ .selector = tss_selector, .type = GATE_TASK };
}

void idt_clear(unsigned vector)
{
	idt[vector & 0xff] = (struct idt_gate){ 0 };
}
#endif

#ifdef __x86_64__
void idt_set_ist(unsigned vector, unsigned ist)
{
	idt[vector & 0xff].ist = (uint8_t)(ist & 7);
}
#endif

void idt_set_exceptions(void)
{
	for (unsigned v = 0; v < 32; v++)
		idt_set(v, (void (*)(void))exception_stubs[v]);
}

void idt_load(void)
{
	struct idt_pointer p = { sizeof(idt) - 1, (uintptr_t)idt };
	__asm__ volatile("lidt %0" ::"m"(p) : "memory");
}

void guest_stop(uint32_t code)
{
	outl(TESTDEV_CONTROL, code);
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

void guest_exception(uintptr_t vector, uintptr_t error, uintptr_t rip)
{
	if (vector == 14)
		print(OUT_BOTH, "FAIL %s: exception %u at rip %p (error 0x%lx, cr2 %p)\n", guest_name,
		      (unsigned)vector, (void *)rip, (unsigned long)error, (void *)read_cr2());
	else
		print(OUT_BOTH, "FAIL %s: exception %u at rip %p (error 0x%lx)\n", guest_name,
		      (unsigned)vector, (void *)rip, (unsigned long)error);
	guest_stop(0x100 + (uint32_t)vector);
}

/* ---- what the compiler may call -------------------------------------------- */

void *memset(void *s, int c, size_t n)
{
	uint8_t *p = s;
	while (n--)
		*p++ = (uint8_t)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}
