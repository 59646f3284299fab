/*
 * A child VP's interrupts: its virtual local APIC (hv/vlapic.c) and what
 * raises vectors in it (synthetic timer 0, the APIC timer, IPIs), and the
 * one vector offered to the backend for injection (vp->pending_vector).
 *
 * Who touches what: the VP's APIC is its pCPU's while it runs and the
 * parent's (hypercalls) while it is parked, like its registers (field tag
 * (r) in hv/vp.h).  The backend injects only pending_vector, which
 * vp_irq_update() keeps current at every exit: the highest requested
 * vector above the class in service.  The task priority is the backend's
 * to apply (it holds the guest's CR8: SVM's V_TPR lets the CPU deliver
 * once the guest lowers it, VT-x exits on CR8 writes), and run_halt()'s.
 * When the guest has taken the vector (injected at entry, or a virtual
 * interrupt the CPU delivered), the backend reports it with
 * vp_irq_injected(), which moves it from IRR to ISR.  An offered vector
 * not yet taken is offered anew, so a higher one that arrives meanwhile
 * goes first.
 */
#ifndef KEEL_HV_INTERRUPT_H
#define KEEL_HV_INTERRUPT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "hv/vp.h"

/* Reset the APIC for a new VP: x2APIC mode, as firmware that enabled it
 * leaves it (docs/guests.md); VP 0 is the bootstrap processor. */
void vp_irq_reset(struct vp *vp);
/* IA32_APIC_BASE and the x2APIC MSRs 0x800-0x8ff of a child: 0,
 * VCPU_MSR_FAULT or VCPU_MSR_UNKNOWN (as guest_msr). */
int vp_irq_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value);
/* An xAPIC register access (KEEL_HVCALL_APIC_ACCESS) for a VP that does
 * not run: VLAPIC_* status.  A timer change takes effect when it runs. */
int vp_irq_mmio(struct vp *vp, uint32_t offset, bool write, uint32_t *value);
/* Expired timers raise their vectors; offer the highest requested one
 * (vp->pending_vector) for the backend to inject when the guest's IF,
 * interrupt shadow and task priority allow. */
void vp_irq_refresh(struct vp *vp);

/* At every child exit: vp_irq_refresh() only when something changed
 * (vp->irq_recheck: a vector raised, taken or withdrawn, an APIC or timer
 * register written) or a timer is due.  The common exit costs a load and
 * a compare. */
static inline void vp_irq_update(struct vp *vp)
{
	if (vp->irq_recheck || __atomic_load_n(&vp->posted_any, __ATOMIC_ACQUIRE) || rdtsc() >= vp->irq_deadline)
		vp_irq_refresh(vp);
}

/* From any CPU: a fixed interrupt with `vector` (16..255) for `vp`, which
 * takes it into its APIC at its next look (vp_irq_update); then
 * run_kick(vp) makes it look. */
void vp_irq_post(struct vp *vp, uint8_t vector);
/* The same, level-triggered: the guest's EOI of it is reported to the
 * parent (an HV_MESSAGE_TYPE_X64_APIC_EOI intercept, or the output of
 * KEEL_HVCALL_APIC_ACCESS), as an IOAPIC's Remote IRR needs. */
void vp_irq_post_level(struct vp *vp, uint8_t vector);

/* From any CPU, then run_kick(vp): an INIT (the VP resets its APIC and
 * waits for a SIPI) and a SIPI (a VP waiting for one starts in real mode
 * at vector << 12; otherwise it is ignored, as on hardware). */
void vp_irq_post_nmi(struct vp *vp);
void vp_irq_post_init(struct vp *vp);
void vp_irq_post_sipi(struct vp *vp, uint8_t vector);
/* The backend injected (or the CPU delivered) `vector`. */
void vp_irq_injected(struct vp *vp, uint8_t vector);
/* TSC of the VP's next timer expiry, or SCHED_NO_DEADLINE. */
uint64_t vp_irq_deadline(const struct vp *vp);
/* Hand `vector` to the VP's APIC as a fixed, edge-triggered interrupt. */
void vp_irq_raise(struct vp *vp, uint8_t vector);

#endif
