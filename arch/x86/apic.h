/* The local xAPIC (SDM vol. 3 ch. 10); x2APIC is not used (QEMU TCG refuses it). */
#ifndef KEEL_ARCH_X86_APIC_H
#define KEEL_ARCH_X86_APIC_H

#include <stdbool.h>
#include <stdint.h>

void apic_init(void);
uint32_t apic_id(void);
/* INIT then STARTUP IPIs to `apic_id`, starting it at vector * 4 KiB. */
void apic_send_init(uint32_t apic_id);
void apic_send_startup(uint32_t apic_id, uint8_t vector);


/* Vectors the hypervisor uses on its own pCPUs. */
#define APIC_VECTOR_TIMER    0xec  /* end of a VP's time slice */
#define APIC_VECTOR_WAKE     0xed  /* "look at your run queue" */
#define APIC_VECTOR_SPURIOUS 0xff

void apic_eoi(void);
/* The vector is in service (ISR): an interrupt is being handled, not an
 * exception with the same number. */
bool apic_in_service(uint8_t vector);
void apic_send_fixed(uint32_t apic_id, uint8_t vector);
/* Enable this pCPU's local APIC and measure its timer against the TSC. */
void apic_local_init(void);
/* A timer interrupt after `tsc_ticks` (converted to timer ticks), and again
 * every `tsc_ticks` until re-armed or stopped: an expiry whose interrupt got
 * lost on the way is followed by another (docs/architecture.md, "Stalls
 * under QEMU TCG").  Callers re-arm or stop it within a period and keep the period
 * long enough that a late stop costs one interrupt, not a storm. */
void apic_timer_arm(uint64_t tsc_ticks);
void apic_timer_stop(void);

#endif
