/*
 * The synthetic interrupt controller of every VP, the parent's and the
 * children's alike (TLFS "Inter-Partition Communication"): the SynIC MSRs,
 * message delivery into a VP's SIM page and event flags in its SIEF page.
 *
 * Messages.  Every sender is a struct synic_msg: a child's intercept (for
 * the parent's VP 0, SINT0), a message port's buffer (hv/port.c).  A SINT's
 * slot is written only while it is empty (type HV_MESSAGE_TYPE_NONE); until
 * then messages wait on the SINT's queue in order and the slot's
 * message-pending flag is set, and the next goes in when the receiver
 * writes HV_X64_MSR_EOM, enables its SIM page or writes the SINT.  A port
 * buffer is handed back (busy cleared) once its message is in the slot.
 *
 * Events.  synic_signal sets a flag in the SINT's area of the SIEF page
 * with a locked OR; only a flag that was clear raises the SINT.
 *
 * Raising a SINT: nothing when it is masked or polled.  For the parent,
 * whose VP owns the BSP and takes its interrupts directly, a fixed IPI with
 * the SINT's vector to the BSP.  For a child VP, the vector through its
 * virtual local APIC (posted and kicked: it may run on any pCPU); with
 * auto-EOI set in the SINT, the vector is not left in service when the
 * guest takes it (vp_irq_injected asks synic_auto_eoi).
 *
 * Locks: a VP's SynIC lock protects its registers and queues; it is taken
 * inside ipc_lock (hv/port.h) and outside the pCPU locks (run_kick) and a
 * partition's slat_lock.
 */
#ifndef KEEL_HV_SYNIC_H
#define KEEL_HV_SYNIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vp.h"

void synic_init(struct synic *s);
/* SynIC MSR access: 0, VCPU_MSR_FAULT or VCPU_MSR_UNKNOWN (as guest_msr). */
int synic_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value);

/* Queue m (m->msg filled) for SINT `sint` of t and deliver what fits.  The
 * caller keeps t from being deleted meanwhile. */
void synic_queue(struct vp *t, unsigned sint, struct synic_msg *m);
/* Take m off t's queue if it has not been delivered; a port buffer is handed back. */
void synic_unqueue(struct vp *t, struct synic_msg *m);
/* t is going away: every message still queued for it is dropped (its
 * buffer handed back). */
void synic_flush(struct vp *t);
/* HV_STATUS_SUCCESS if t takes messages (events: event flags) now,
 * HV_STATUS_INVALID_SYNIC_STATE if its SynIC or the page is disabled. */
uint16_t synic_ready(struct vp *t, bool events);
/* Set event flag `flag` of SINT `sint` of t; raise the SINT if it was
 * clear.  A TLFS status (INVALID_SYNIC_STATE as synic_ready). */
uint16_t synic_signal(struct vp *t, unsigned sint, unsigned flag);

/* Intercepts: queue src's message (src->intercept) for the parent's SINT0;
 * take it off again if it has not been delivered. */
void synic_post(struct vp *src);
void synic_cancel(struct vp *src);

/* Is `vector` one of the VP's unmasked auto-EOI SINT vectors? */
static inline bool synic_auto_eoi(const struct vp *vp, uint8_t vector)
{
	return vp->synic.auto_eoi[vector >> 5] & (1u << (vector & 31));
}

#endif
