/*
 * Waiting without spinning.  The parent's CPU sleeps (HLT) until an
 * interrupt: its local APIC timer ticks every IDLE_TICK_US so that polled
 * devices (the serial console) are looked at, and the hypervisor raises
 * IDLE_VECTOR_MESSAGE when it puts an intercept message into the SynIC
 * slot (SINT0 is programmed with that vector by vstack_init()).
 */
#ifndef KEEL_PARENT_IDLE_H
#define KEEL_PARENT_IDLE_H

#define IDLE_VECTOR_TICK    0x30
#define IDLE_VECTOR_MESSAGE 0x31
#define IDLE_TICK_US        2000

/* Program the local APIC and the two vectors; 0 or -1 (then idle_wait
 * only pauses). */
int idle_init(void);
/* Sleep until the next interrupt; interrupts are off again on return. */
void idle_wait(void);

#endif
