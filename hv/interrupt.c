/* A child VP's interrupts; contract in interrupt.h. */
#include "hv/interrupt.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/partition.h"
#include "hv/run.h"
#include "hv/sched.h"
#include "hv/stimer.h"
#include "hv/vcpu_ops.h"

#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST  0x8ffu

void vp_irq_reset(struct vp *vp)
{
	vlapic_reset(&vp->lapic, vp->index, vp->index == 0);
	vp->irq_recheck = true;
	vlapic_set_base(&vp->lapic, vlapic_get_base(&vp->lapic) | VLAPIC_BASE_X2APIC);
	vp->pending_vector = 0;
	memset(vp->posted, 0, sizeof(vp->posted));
	vp->posted_any = false;
}

void vp_irq_raise(struct vp *vp, uint8_t vector)
{
	vlapic_accept(&vp->lapic, VLAPIC_DM_FIXED, vector, false);
	vp->irq_recheck = true;
}

/*
 * An IPI from vp's APIC.  Children have one VP for now: a destination
 * other than the sender itself is not delivered (multiprocessor partitions
 * come with the wake-up of the target's pCPU).
 */
static void send_ipi(struct vp *vp, const struct vlapic_ipi *ipi)
{
	bool to_self = ipi->shorthand == VLAPIC_SH_SELF || ipi->shorthand == VLAPIC_SH_ALL ||
		       (ipi->shorthand == VLAPIC_SH_NONE &&
			vlapic_match(&vp->lapic, ipi->dest, ipi->logical, ipi->x2apic));

	if (to_self)
		vlapic_accept(&vp->lapic, ipi->mode, ipi->vector, ipi->level_triggered);
}

static void act(struct vp *vp, const struct vlapic_action *a)
{
	if (a->send_ipi)
		send_ipi(vp, &a->ipi);
	if (a->timer_changed)
		run_timer_changed(vp);
}

int vp_irq_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	struct vlapic_action a = { 0 };
	int rc;

	if (msr == MSR_APIC_BASE) {
		if (!write) {
			*value = vlapic_get_base(&vp->lapic);
			return 0;
		}
		vp->irq_recheck = true;
		return vlapic_set_base(&vp->lapic, *value) == VLAPIC_OK ? 0 : VCPU_MSR_FAULT;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST)
		return VCPU_MSR_UNKNOWN;
	vp->irq_recheck = true;
	/* The task priority lives in the backend (CR8) while the VP runs. */
	vlapic_set_tpr(&vp->lapic, (uint8_t)(vcpu_get_reg(vp, VP_REG_TPR) << 4));
	if (!write)
		return vlapic_msr_read(&vp->lapic, msr, value, ns_of_tsc(rdtsc())) == VLAPIC_OK ? 0 : VCPU_MSR_FAULT;
	rc = vlapic_msr_write(&vp->lapic, msr, *value, ns_of_tsc(rdtsc()), &a);
	if (rc != VLAPIC_OK)
		return VCPU_MSR_FAULT;
	vcpu_set_reg(vp, VP_REG_TPR, vlapic_get_tpr(&vp->lapic) >> 4);
	act(vp, &a);
	return 0;
}

void vp_irq_post(struct vp *vp, uint8_t vector)
{
	__atomic_fetch_or(&vp->posted[vector / 32], 1u << (vector % 32), __ATOMIC_RELEASE);
	__atomic_store_n(&vp->posted_any, true, __ATOMIC_SEQ_CST);
}

/* Take what other CPUs posted (the flag first: a post after it sets it
 * again and is taken at the next look). */
static void take_posted(struct vp *vp)
{
	__atomic_store_n(&vp->posted_any, false, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < 8; i++) {
		uint32_t bits = __atomic_exchange_n(&vp->posted[i], 0, __ATOMIC_ACQUIRE);

		while (bits) {
			unsigned b = (unsigned)__builtin_ctz(bits);

			bits &= bits - 1;
			vlapic_accept(&vp->lapic, VLAPIC_DM_FIXED, (uint8_t)(i * 32 + b), false);
		}
	}
}

void vp_irq_refresh(struct vp *vp)
{
	uint64_t now = rdtsc();
	int requested;

	if (__atomic_load_n(&vp->posted_any, __ATOMIC_ACQUIRE))
		take_posted(vp);

	if (vp->stimer.expiry_tsc && now >= vp->stimer.expiry_tsc)
		vp_irq_raise(vp, stimer_check(vp, now));
	if (vp->lapic.timer_deadline != UINT64_MAX)
		vlapic_timer_expire(&vp->lapic, ns_of_tsc(now));
	vp->irq_deadline = vp_irq_deadline(vp);
	vp->irq_recheck = false; /* raising above asked again: this is the look */
	requested = vlapic_requested(&vp->lapic);
	vp->pending_vector = requested > 0 ? (uint8_t)requested : 0;
}

void vp_irq_injected(struct vp *vp, uint8_t vector)
{
	vlapic_ack(&vp->lapic, vector);
	vp->irq_recheck = true;
}

uint64_t vp_irq_deadline(const struct vp *vp)
{
	uint64_t s = stimer_deadline(vp), ns = vlapic_timer_deadline(&vp->lapic), t;

	if (ns == UINT64_MAX)
		return s;
	t = tsc_of_ns(ns);
	return t < s ? t : s;
}
