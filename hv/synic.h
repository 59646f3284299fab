/*
 * The synthetic interrupt controller: SynIC MSRs of every VP, and message
 * delivery into a VP's SIM page.  Keel sends one kind of message: a child's
 * intercept, to the parent's VP 0 on SINT0.  A slot is written only while
 * it is empty; when it is full the sender is queued and the slot's
 * message-pending flag set, and the next message goes in when the receiver
 * writes HV_X64_MSR_EOM (TLFS "SynIC Message Flags").  Each delivery raises
 * SINT0's vector at the parent's CPU unless SINT0 is masked or polled
 * (docs/intercepts.md).
 */
#ifndef KEEL_HV_SYNIC_H
#define KEEL_HV_SYNIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vp.h"

void synic_init(struct synic *s);
/* SynIC MSR access: 0, VCPU_MSR_FAULT or VCPU_MSR_UNKNOWN (as guest_msr). */
int synic_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value);
/* Queue src's message (src->msg) for the parent's SINT0 and deliver what fits. */
void synic_post(struct vp *src);
/* Take src's message off the queue if it has not been delivered. */
void synic_cancel(struct vp *src);

#endif
