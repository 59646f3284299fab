/* A child VP's interrupts; contract in interrupt.h. */
#include "hv/interrupt.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/partition.h"
#include "hv/run.h"
#include "hv/sched.h"
#include "hv/stimer.h"
#include "hv/synic.h"
#include "hv/vcpu_ops.h"

#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST  0x8ffu

void vp_irq_reset(struct vp *vp)
{
	vlapic_reset(&vp->lapic, vp->index, vp->index == 0);
	vp->irq_recheck = true;
	vp->pending_vector = 0;
	memset(vp->posted, 0, sizeof(vp->posted));
	memset(vp->posted_level, 0, sizeof(vp->posted_level));
	vp->level_eoi = 0;
	vp->posted_init = false;
	vp->posted_sipi = 0;
	vp->posted_nmi = false;
	vp->nmi_blocked = false;
	vp->posted_any = false;
	vp->wait_sipi = vp->index != 0; /* application processors wait for a SIPI */
}

void vp_irq_raise(struct vp *vp, uint8_t vector)
{
	vlapic_accept(&vp->lapic, VLAPIC_DM_FIXED, vector, false);
	vp->irq_recheck = true;
}

/* Whether `t` is a destination of `ipi`, sent by `from`. */
static bool ipi_targets(const struct vp *from, const struct vp *t, const struct vlapic_ipi *ipi)
{
	switch (ipi->shorthand) {
	case VLAPIC_SH_SELF: return t == from;
	case VLAPIC_SH_ALL: return true;
	case VLAPIC_SH_OTHERS: return t != from;
	default: return vlapic_match(&t->lapic, ipi->dest, ipi->logical, ipi->x2apic);
	}
}

/*
 * An IPI from vp's APIC to the VPs of its partition.  The sender's own APIC
 * is its pCPU's; every other VP gets it posted and kicked.  No VP of the
 * partition is freed while one of them runs (child_delete_vp), and a VP's
 * APIC ID and x2APIC logical ID follow from its index, so reading another
 * VP's destination fields here is safe.  Lowest priority goes to the first
 * VP that matches.  NMI, SMI and ExtINT are not delivered yet.
 */
static void send_ipi(struct vp *vp, const struct vlapic_ipi *ipi)
{
	struct partition *p = vp->partition;

	for (unsigned i = 0; i < PARTITION_MAX_VPS; i++) {
		struct vp *t = p->vps[i];

		if (!t || !ipi_targets(vp, t, ipi))
			continue;
		if (t == vp) {
			/* IPIs are edge-triggered: the ICR's trigger mode only
			 * ever meant INIT level de-assert (SDM 11.6.1), so no
			 * IPI sets the TMR or asks for an EOI report. */
			vlapic_accept(&vp->lapic, ipi->mode, ipi->vector, false);
			vp->irq_recheck = true;
		} else if (ipi->mode == VLAPIC_DM_FIXED || ipi->mode == VLAPIC_DM_LOWEST) {
			vp_irq_post(t, ipi->vector);
			run_kick(t);
		} else if (ipi->mode == VLAPIC_DM_NMI) {
			vp_irq_post_nmi(t);
			run_kick(t);
		} else if (ipi->mode == VLAPIC_DM_INIT) {
			vp_irq_post_init(t);
			run_kick(t);
		} else if (ipi->mode == VLAPIC_DM_SIPI) {
			vp_irq_post_sipi(t, ipi->vector);
			run_kick(t);
		}
		if (ipi->mode == VLAPIC_DM_LOWEST)
			break;
	}
}

static void act(struct vp *vp, const struct vlapic_action *a)
{
	if (a->eoi)
		vp->level_eoi = a->eoi_vector;
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

int vp_irq_mmio(struct vp *vp, uint32_t offset, bool write, uint32_t *value)
{
	struct vlapic_action a = { 0 };
	int rc;

	vp->irq_recheck = true;
	vlapic_set_tpr(&vp->lapic, (uint8_t)(vcpu_get_reg(vp, VP_REG_TPR) << 4));
	if (!write)
		return vlapic_mmio_read(&vp->lapic, offset, value, ns_of_tsc(rdtsc()));
	rc = vlapic_mmio_write(&vp->lapic, offset, *value, ns_of_tsc(rdtsc()), &a);
	if (rc != VLAPIC_OK)
		return rc;
	vcpu_set_reg(vp, VP_REG_TPR, vlapic_get_tpr(&vp->lapic) >> 4);
	if (a.eoi)
		vp->level_eoi = a.eoi_vector;
	if (a.send_ipi)
		send_ipi(vp, &a.ipi);
	return VLAPIC_OK;
}

void vp_irq_post(struct vp *vp, uint8_t vector)
{
	__atomic_fetch_or(&vp->posted[vector / 32], 1u << (vector % 32), __ATOMIC_RELEASE);
	__atomic_store_n(&vp->posted_any, true, __ATOMIC_SEQ_CST);
}

void vp_irq_post_level(struct vp *vp, uint8_t vector)
{
	__atomic_fetch_or(&vp->posted_level[vector / 32], 1u << (vector % 32), __ATOMIC_RELAXED);
	vp_irq_post(vp, vector);
}

void vp_irq_post_init(struct vp *vp)
{
	__atomic_store_n(&vp->posted_init, true, __ATOMIC_RELEASE);
	__atomic_store_n(&vp->posted_any, true, __ATOMIC_SEQ_CST);
}

void vp_irq_post_nmi(struct vp *vp)
{
	__atomic_store_n(&vp->posted_nmi, true, __ATOMIC_RELEASE);
	__atomic_store_n(&vp->posted_any, true, __ATOMIC_SEQ_CST);
}

void vp_irq_post_sipi(struct vp *vp, uint8_t vector)
{
	__atomic_store_n(&vp->posted_sipi, VP_SIPI_PENDING | vector, __ATOMIC_RELEASE);
	__atomic_store_n(&vp->posted_any, true, __ATOMIC_SEQ_CST);
}

/* The state after INIT and a SIPI with `vector` (SDM 10.4.7.3, 9.1.1): real
 * mode at vector << 12 (CS = vector << 8, IP = 0), the other segments at 0
 * with 64 KiB limits, paging and protection off. */
static void start_at_sipi(struct vp *vp, uint8_t vector)
{
	const struct vp_segment code = { (uint64_t)vector << 12, 0xffff, (uint16_t)(vector << 8), 0x9b };
	const struct vp_segment data = { 0, 0xffff, 0, 0x93 };
	const struct vp_segment ldtr = { 0, 0xffff, 0, 0x82 }, tr = { 0, 0xffff, 0, 0x8b };
	const struct vp_segment table = { 0, 0xffff, 0, 0 };

	vcpu_set_segment(vp, VP_SEG_CS, &code);
	vcpu_set_segment(vp, VP_SEG_DS, &data);
	vcpu_set_segment(vp, VP_SEG_ES, &data);
	vcpu_set_segment(vp, VP_SEG_FS, &data);
	vcpu_set_segment(vp, VP_SEG_GS, &data);
	vcpu_set_segment(vp, VP_SEG_SS, &data);
	vcpu_set_segment(vp, VP_SEG_LDTR, &ldtr);
	vcpu_set_segment(vp, VP_SEG_TR, &tr);
	vcpu_set_segment(vp, VP_SEG_GDTR, &table);
	vcpu_set_segment(vp, VP_SEG_IDTR, &table);
	vcpu_set_reg(vp, VP_REG_CR0, CR0_ET | CR0_CD | CR0_NW);
	vcpu_set_reg(vp, VP_REG_CR3, 0);
	vcpu_set_reg(vp, VP_REG_CR4, 0);
	vcpu_set_reg(vp, VP_REG_EFER, 0);
	vcpu_set_reg(vp, VP_REG_RFLAGS, 2);
	vcpu_set_reg(vp, VP_REG_RSP, 0);
	vcpu_set_reg(vp, VP_REG_TPR, 0);
	memset(vp->gpr, 0, sizeof(vp->gpr));
	vp->rip = 0;
	vp->wait_sipi = false;
}

/* Take what other CPUs posted (the flag first: a post after it sets it
 * again and is taken at the next look). */
static void take_posted(struct vp *vp)
{
	uint32_t sipi;

	__atomic_store_n(&vp->posted_any, false, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&vp->posted_init, false, __ATOMIC_ACQUIRE)) {
		vlapic_init_reset(&vp->lapic);
		vp->pending_vector = 0;
		vp->lapic.nmi_pending = false;
		vp->nmi_blocked = false;
		vp->wait_sipi = true;
	}
	if (__atomic_exchange_n(&vp->posted_nmi, false, __ATOMIC_ACQUIRE) && !vp->wait_sipi)
		vp->lapic.nmi_pending = true; /* (an AP in wait-for-SIPI ignores it) */
	sipi = __atomic_exchange_n(&vp->posted_sipi, 0, __ATOMIC_ACQUIRE);
	if ((sipi & VP_SIPI_PENDING) && vp->wait_sipi)
		start_at_sipi(vp, (uint8_t)sipi);
	for (unsigned i = 0; i < 8; i++) {
		uint32_t bits = __atomic_exchange_n(&vp->posted[i], 0, __ATOMIC_ACQUIRE), level;

		if (!bits)
			continue;
		/* Only the level bits of the vectors taken: a level bit set
		 * for a post not yet in posted[] stays for its turn. */
		level = __atomic_fetch_and(&vp->posted_level[i], ~bits, __ATOMIC_ACQUIRE) & bits;
		while (bits) {
			unsigned b = (unsigned)__builtin_ctz(bits);

			bits &= bits - 1;
			vlapic_accept(&vp->lapic, VLAPIC_DM_FIXED, (uint8_t)(i * 32 + b), level >> b & 1);
		}
	}
}

void vp_irq_refresh(struct vp *vp)
{
	uint64_t now = rdtsc();
	int requested;

	stimer_check(vp, now); /* first: a timer message posts its SINT's vector */
	if (__atomic_load_n(&vp->posted_any, __ATOMIC_ACQUIRE))
		take_posted(vp);
	if (vp->lapic.timer_deadline != UINT64_MAX)
		vlapic_timer_expire(&vp->lapic, ns_of_tsc(now));
	vp->irq_deadline = vp_irq_deadline(vp);
	vp->irq_recheck = false; /* raising above asked again: this is the look */
	requested = vlapic_requested(&vp->lapic);
	vp->pending_vector = requested > 0 ? (uint8_t)requested : 0;
}

void vp_irq_injected(struct vp *vp, uint8_t vector)
{
	/* A SynIC vector with auto-EOI is not left in service (TLFS SINTx
	 * AutoEoi): it was the highest, so the EOI ends just it. */
	if (vlapic_ack(&vp->lapic, vector) && synic_auto_eoi(vp, vector))
		vlapic_eoi(&vp->lapic, NULL);
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
