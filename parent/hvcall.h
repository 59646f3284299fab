/* The parent's side of the hypercall interface (TLFS §3). */
#ifndef KEEL_PARENT_HVCALL_H
#define KEEL_PARENT_HVCALL_H

#include <stdint.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"

/* Set the guest OS ID and enable the hypercall page; 0 or -1. */
int hvcall_init(void);
/* Issue one hypercall through the page; returns RAX (status | reps << 32). */
uint64_t hvcall(uint64_t control, uint64_t input, uint64_t output);
/* The hypercall page (valid after hvcall_init). */
extern uint8_t hypercall_page[4096];

#endif
