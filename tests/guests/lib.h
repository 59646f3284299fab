/*
 * What every test guest shares: output on COM1 and on the Keel test device,
 * test results in the one-line-per-test format of docs/devices.md, the IDT
 * and the stop request.  Built for 32-bit and 64-bit guests alike.
 */
#ifndef KEEL_GUESTS_LIB_H
#define KEEL_GUESTS_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each guest defines its name (every line it prints starts with it) and
 * guest_main(), which the entry file calls with the RAM size in bytes and the
 * part of it below 3 GiB (docs/guests.md). */
extern const char guest_name[];
void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes);

/* Keel test device (docs/devices.md). */
#define TESTDEV_CONSOLE 0x5e0 /* byte: console line */
#define TESTDEV_VERSION 0x5e2 /* 16-bit read: 1 */
#define TESTDEV_CONTROL 0x5e4 /* 32-bit read: magic; 32-bit write: stop, value = exit code */
#define TESTDEV_HOST    0x5e6 /* 16-bit read: 1 when the parent asks the guest to stop */
#define TESTDEV_MAGIC   0x4b45454cu

#define COM1 0x3f8

/* Where print() writes. */
#define OUT_COM1    1u
#define OUT_TESTDEV 2u
#define OUT_BOTH    (OUT_COM1 | OUT_TESTDEV)

/* printf subset: %c %s %d %u %x %p, l and ll, a 0 flag and a width.  Output
 * is cut at 256 bytes a call. */
void print(unsigned sinks, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line "NAME: ..." */
#define say(sinks, fmt, ...) print(sinks, "%s: " fmt "\n", guest_name, ##__VA_ARGS__)

/*
 * Tests: test_begin() names one, test_expect()/test_fail() report problems
 * and test_end() writes its result line to both outputs:
 *   PASS NAME: test
 *   FAIL NAME: test: detail          (the first problem; later ones go to COM1)
 */
void test_begin(const char *name);
bool test_expect(const char *step, uint64_t got, uint64_t want);
void test_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void test_end(void);
extern unsigned tests_passed, tests_failed;

/* n / d and n % d without libgcc (32-bit guests have no 64-bit divide). */
uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem);

/* Interrupts.  Gates are interrupt gates (IF cleared on entry) in CS 0x08,
 * the code segment docs/guests.md sets up. */
void idt_set(unsigned vector, void (*handler)(void));
/* The same with another code segment, and a gate DPL (3: INT n from user
 * mode may use it). */
void idt_set_gate(unsigned vector, void (*handler)(void), uint16_t selector, unsigned dpl);
void idt_set_exceptions(void); /* vectors 0-31: guest_exception() */
#ifndef __x86_64__
/* A task gate (DPL 0) to the TSS `tss_selector`; a gate that is not present. */
void idt_set_task_gate(unsigned vector, uint16_t tss_selector);
void idt_clear(unsigned vector);
#endif
#ifdef __x86_64__
/* Deliver `vector` on the TSS's interrupt stack `ist` (1-7; 0: none). */
void idt_set_ist(unsigned vector, unsigned ist);
#endif
void idt_load(void);

/* Incremented by timer_isr (the asm entry file), nothing else. */
extern volatile uint32_t timer_ticks;
void timer_isr(void);

/* Called by the exception stubs with no recovery armed: prints
 * "FAIL NAME: exception V at rip X" and stops with exit code 0x100 + V. */
void guest_exception(uintptr_t vector, uintptr_t error, uintptr_t rip) __attribute__((noreturn));
/* A stop request with this exit code, then CLI; HLT forever. */
void guest_stop(uint32_t code) __attribute__((noreturn));

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
