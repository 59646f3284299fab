/*
 * Running an instruction that may fault (64-bit guests, entry64.S): with
 * the exception entries installed (idt_set_exceptions(), idt_load()),
 * guard_call() turns any exception inside fn into a return value instead of
 * a stop.
 */
#ifndef KEEL_GUESTS_GUARD_H
#define KEEL_GUESTS_GUARD_H

#include <stdint.h>

#define GUARD_OK (-1L)

/* fn(arg); GUARD_OK, or the vector of the exception that ended fn early. */
long guard_call(void (*fn)(void *), void *arg);

/* Last recovered fault (written by the exception entry). */
extern volatile uint64_t guard_vector, guard_rip, guard_faults;

#endif
