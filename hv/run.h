/*
 * Running child VPs.  The parent's VP owns the bootstrap processor (its
 * devices' interrupts go to it directly); child VPs run on the application
 * processors, each of which schedules its queue (hv/sched.c) with its local
 * APIC timer ending slices.  With one pCPU, children cannot run.
 */
#ifndef KEEL_HV_RUN_H
#define KEEL_HV_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vp.h"

/* TSC ticks per time slice (keel.cfg time_slice, 10 ms by default). */
uint64_t run_slice_tsc(void);

/* The application processor's scheduling loop; never returns. */
void run_loop(void) __attribute__((noreturn));
/* Put a stopped child VP on a pCPU's queue; TLFS status. */
uint16_t run_start(struct vp *vp);
/* Take a child VP off its pCPU, waiting (boundedly) for it to leave the
 * CPU; -1 if it did not (its pCPU takes no exit from it).  On 0 its pCPU
 * has let go of it completely (pcpu.owner): its state may be read,
 * changed or freed. */
int run_stop(struct vp *vp);
/* After any exit of a child: whether its slice (or the wait for its next
 * timer expiry) is over, by the clock rather than by the timer interrupt,
 * which some CPUs do not turn into an exit while the guest has IF clear. */
bool run_slice_over(struct vp *vp);
/* The running child VP's timers changed (on its pCPU): its slice now ends
 * at the scheduler's end or its next timer expiry, whichever is first. */
void run_timer_changed(struct vp *vp);
/* In a child's exit: it waits for the parent to complete an intercept. */
void run_wait_intercept(struct vp *vp);
/* The parent completed it: queue the VP again (if it was not stopped). */
void run_resume_intercept(struct vp *vp);
/* A new scheduler weight for a child VP (SCHED_WEIGHT_MIN..MAX). */
/* From any CPU, after posting it an interrupt (vp_irq_post): wake the VP
 * if it is halted and make its pCPU look (an exit if it is in guest
 * mode).  The caller keeps the VP from being deleted meanwhile. */
void run_kick(struct vp *vp);
void run_set_weight(struct vp *vp, uint32_t weight);
/* Stop a child VP for a fault it caused (on its own pCPU, in its exit). */
void run_crash(struct vp *vp, const char *why);
/* The parent partition is gone: stop every pCPU (children included) with
 * interrupts off, after the caller logged why.  Never returns. */
void run_stop_machine(void) __attribute__((noreturn));
/* Exit policy hooks for child VPs: false = leave the CPU. */
bool run_after_interrupt(struct vp *vp);
bool run_halt(struct vp *vp);
/* PAUSE: the guest spins, most likely on a lock or an acknowledgement that
 * another VP of its partition owes it.  If one of those waits for this
 * pCPU and the spinner has been at it for RUN_SPIN_WINDOW_US of this turn,
 * it gives way (sched_yield) and leaves the CPU (a short loop bounded by a
 * count of PAUSEs finishes first).  If none waits, it goes on without
 * PAUSE exits for the rest of this turn: one such exit per turn. */
#define RUN_SPIN_WINDOW_US 20
bool run_pause(struct vp *vp);

#endif
