/*
 * TLFS hypercalls from a 64-bit test guest through its hypercall page:
 * hvcall_init() sets the guest OS id and enables the page; the helpers
 * return the TLFS status.  hvcall_input is the one input page.
 */
#ifndef KEEL_TESTS_GUESTS_HVCALL_H
#define KEEL_TESTS_GUESTS_HVCALL_H

#include <stdint.h>

extern uint8_t hvcall_input[4096];

void hvcall_init(void);
/* Control in RCX, input GPA (fast: value) in RDX, output GPA in R8. */
uint16_t hypercall(uint64_t control, uint64_t input, uint64_t output);
/* HvCallPostMessage of payload[0..size) on `connection`. */
uint16_t post(uint32_t connection, uint32_t type, const void *payload, uint32_t size);
/* ... retrying while the port has no free buffer, as Linux does. */
uint16_t post_retry(uint32_t connection, uint32_t type, const void *payload, uint32_t size);
/* HvCallSignalEvent, fast, as Linux issues it. */
uint16_t signal(uint32_t connection, uint16_t flag);

#endif
