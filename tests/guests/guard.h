/*
 * Running an instruction that may fault (64-bit guests, entry64.S): with
 * the exception entries installed (idt_set_exceptions(), idt_load()),
 * guard_call() turns any exception inside fn into a return value instead of
 * a stop.
 */
#ifndef KEEL_GUESTS_GUARD_H
#define KEEL_GUESTS_GUARD_H

#include <stdint.h>

#include "tests/guests/x86.h"

#define GUARD_OK (-1L)

/* fn(arg); GUARD_OK, or the vector of the exception that ended fn early. */
long guard_call(void (*fn)(void *), void *arg);

struct guard_msr {
	uint32_t msr;
	uint64_t value;
};

static inline void guard_do_wrmsr(void *arg)
{
	const struct guard_msr *m = arg;

	wrmsr(m->msr, m->value);
}

/* WRMSR: GUARD_OK, or the vector it raised (13 for #GP). */
static inline long guard_wrmsr(uint32_t msr, uint64_t value)
{
	struct guard_msr m = { msr, value };

	return guard_call(guard_do_wrmsr, &m);
}

/* Last recovered fault (written by the exception entry). */
extern volatile uint64_t guard_vector, guard_rip, guard_faults;

#endif
