/*
 * MSR policy: every MSR access of every VP exits but the parent's direct
 * MSRs (below).  The TLFS synthetic MSRs are here (children also have the
 * reference TSC and VP assist pages, and the few processor MSRs Linux
 * needs: child_cpu_msr), EFER and the backend's own MSRs in the backend;
 * anything else raises #GP.
 */
#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/abi/tlfs.h"
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/intercept.h"
#include "hv/interrupt.h"
#include "hv/log.h"
#include "hv/partition.h"
#include "hv/run.h"
#include "hv/stimer.h"
#include "hv/synic.h"
#include "hv/vcpu_ops.h"

/* Write the hypercall page (TLFS §3.13): the backend's call instruction and
 * RET, the rest of the page INT3. */
static int install_hypercall_page(struct partition *p, uint64_t gpa)
{
	uint8_t *page = partition_gpa_to_hva(p, gpa, 4096, true);

	if (!page)
		return -1;
	memset(page, 0xcc, 4096);
	memcpy(page, vcpu->hypercall_insn, vcpu->hypercall_insn_len);
	page[vcpu->hypercall_insn_len] = 0xc3;
	return 0;
}

/* An overlay-page MSR value (reference TSC page, VP assist page): its
 * reserved bits clear and, when enabled, a page of the partition's own RAM
 * (the rule for the hypercall page: partition_gpa_to_hva). */
static void *overlay_page(struct partition *p, uint64_t value, int *rc)
{
	void *page = NULL;

	*rc = 0;
	if (value & HV_OVERLAY_RESERVED)
		*rc = VCPU_MSR_FAULT;
	else if ((value & HV_OVERLAY_ENABLE) &&
		 !(page = partition_gpa_to_hva(p, value & HV_OVERLAY_GPA_MASK, 4096, true)))
		*rc = VCPU_MSR_FAULT;
	return page;
}

/* The overlay pages a child has (TLFS "Timers", reference TSC page;
 * "Virtual Processors", VP assist page); the parent has neither. */
static int overlay_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	struct partition *p = vp->partition;
	struct hv_reference_tsc_page *tsc_page;
	int rc;

	if (p->is_parent)
		return VCPU_MSR_UNKNOWN;
	switch (msr) {
	case HV_X64_MSR_REFERENCE_TSC:
		if (!write) {
			*value = p->reference_tsc_msr;
			return 0;
		}
		tsc_page = overlay_page(p, *value, &rc);
		if (rc)
			return rc;
		if (tsc_page)
			stimer_reference_page(tsc_page);
		p->reference_tsc_msr = *value;
		return 0;
	case HV_X64_MSR_VP_ASSIST_PAGE:
		/* Kept, and the page left as the guest made it: nothing Keel
		 * offers (enlightened VMCS, VSM, APIC EOI assist) uses it. */
		if (!write) {
			*value = vp->assist_page_msr;
			return 0;
		}
		overlay_page(p, *value, &rc);
		if (rc)
			return rc;
		vp->assist_page_msr = *value;
		return 0;
	default:
		return VCPU_MSR_UNKNOWN;
	}
}

static int synthetic_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	struct partition *p = vp->partition;

	switch (msr) {
	case HV_X64_MSR_GUEST_OS_ID:
		if (!write) {
			*value = p->guest_os_id;
			return 0;
		}
		p->guest_os_id = *value;
		if (!*value)
			p->hypercall_msr &= ~HV_HYPERCALL_ENABLE;
		return 0;
	case HV_X64_MSR_HYPERCALL:
		if (!write) {
			*value = p->hypercall_msr;
			return 0;
		}
		if (p->hypercall_msr & HV_HYPERCALL_LOCKED)
			return 0;
		if (*value & 0xffcull)
			return VCPU_MSR_FAULT;
		/* Enabling needs a guest OS identity first (TLFS §3.13). */
		if ((*value & HV_HYPERCALL_ENABLE) && !p->guest_os_id)
			return 0;
		if ((*value & HV_HYPERCALL_ENABLE) &&
		    install_hypercall_page(p, *value & HV_HYPERCALL_PAGE_MASK))
			return VCPU_MSR_FAULT;
		p->hypercall_msr = *value;
		return 0;
	case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_P4:
		if (write)
			p->crash_params[msr - HV_X64_MSR_CRASH_P0] = *value;
		else
			*value = p->crash_params[msr - HV_X64_MSR_CRASH_P0];
		return 0;
	case HV_X64_MSR_CRASH_CTL:
		if (!write) {
			*value = HV_CRASH_CTL_CRASH_NOTIFY | HV_CRASH_CTL_CRASH_MESSAGE;
			return 0;
		}
		if (*value & ~(HV_CRASH_CTL_CRASH_NOTIFY | HV_CRASH_CTL_CRASH_MESSAGE))
			return VCPU_MSR_FAULT;
		if (*value & HV_CRASH_CTL_CRASH_NOTIFY)
			partition_guest_crash(p, *value);
		return 0;
	case HV_X64_MSR_VP_INDEX:
		if (write)
			return VCPU_MSR_FAULT;
		*value = vp->index;
		return 0;
	default:
		return VCPU_MSR_UNKNOWN;
	}
}

/*
 * The MSRs every x86-64 OS programs for itself (syscall entry, SWAPGS,
 * SYSENTER, segment bases, TSC_AUX): per VP.  Writes are checked here as
 * the CPU would check them (SDM vol. 4, AMD APM vol. 2 §6.1.1), so that no
 * value a guest chooses can fault in the hypervisor when the backend loads
 * it; the backend keeps the values (VMCB, VMCS or its own copy).
 */
static int own_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	switch (msr) {
	case MSR_TSC_AUX:
		if (!write) {
			*value = vp->xstate.tsc_aux;
			return 0;
		}
		return xstate_set_tsc_aux(&vp->xstate, *value, true) ? VCPU_MSR_FAULT : 0;
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_SYSENTER_ESP:
	case MSR_SYSENTER_EIP:
		if (write && !is_canonical(*value))
			return VCPU_MSR_FAULT;
		break;
	case MSR_SFMASK:
		if (write && (*value >> 32))
			return VCPU_MSR_FAULT;
		break;
	case MSR_STAR:
	case MSR_SYSENTER_CS:
		break;
	default:
		return VCPU_MSR_UNKNOWN;
	}
	return vcpu_guest_msr(vp, msr, write, value) == 0 ? 0 : VCPU_MSR_FAULT;
}

/*
 * A child's view of the processor's own MSRs beyond those above: what
 * Linux reads or writes without a feature bit to tell it not to (Linux
 * 6.1 arch/x86/kernel/cpu/{intel,amd}.c, arch/x86/mm/pat, process.c).
 * Everything else a child's CPUID hides (MTRRs, MCA, performance counters,
 * speculation control, TSC_ADJUST, thermal and power: hv/cpuid.c) raises
 * #GP.  docs/guests.md lists them.
 */
#define MSR_UCODE_REV        0x8bu       /* IA32_BIOS_SIGN_ID (Intel), PATCH_LEVEL (AMD) */
#define MSR_MISC_ENABLE      0x1a0u
#define MISC_ENABLE_FAST_STRING   (1ull << 0)
#define MISC_ENABLE_BTS_UNAVAIL   (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL  (1ull << 12)
#define MSR_AMD_HWCR         0xc0010015u
#define HWCR_TSC_FREQ_SEL    (1ull << 24) /* the TSC counts at the P0 rate */
#define MSR_AMD_INT_PENDING  0xc0010055u /* K8 interrupt pending / C1E (erratum 400) */

/* Constant MSRs: a write of the value they read is accepted, any other
 * raises #GP (Linux changes these with msr_set_bit/_clear_bit, which
 * tolerate it). */
static const struct {
	uint32_t msr;
	uint64_t value;
} child_constant_msrs[] = {
	/* No microcode update (0 = none); Intel writes 0 before reading it
	 * (SDM vol. 3 §9.11.7.1), AMD only reads. */
	{ MSR_UCODE_REV, 0 },
	/* Fast strings on; no branch trace store, no PEBS (SDM vol. 4 §2.1). */
	{ MSR_MISC_ENABLE, MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL },
	/* AMD: family 10h+ Linux checks TscFreqSel once the TSC is invariant
	 * (CPUID 0x80000007 EDX[8]); BKDG/PPR "HWCR". */
	{ MSR_AMD_HWCR, HWCR_TSC_FREQ_SEL },
	/* AMD: K8/10h Linux reads it for erratum 400: no C1E (APM/BKDG). */
	{ MSR_AMD_INT_PENDING, 0 },
};

/* A PAT value with every entry a memory type (SDM vol. 3 §11.12.2:
 * 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-; 2 and 3 reserved). */
static bool pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t type = (uint8_t)(pat >> (8 * i));

		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

static int child_cpu_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	if (msr == MSR_PAT) {
		/* The VP's own PAT, in the VMCB or VMCS: it combines with the
		 * second-level memory types (RAM write-back) as on hardware. */
		if (write && !pat_valid(*value))
			return VCPU_MSR_FAULT;
		return vcpu_guest_msr(vp, msr, write, value) == 0 ? 0 : VCPU_MSR_FAULT;
	}
	for (unsigned i = 0; i < sizeof(child_constant_msrs) / sizeof(child_constant_msrs[0]); i++) {
		if (child_constant_msrs[i].msr != msr)
			continue;
		if (!write) {
			*value = child_constant_msrs[i].value;
			return 0;
		}
		return *value == child_constant_msrs[i].value ? 0 : VCPU_MSR_FAULT;
	}
	return VCPU_MSR_UNKNOWN;
}

/*
 * The parent's direct MSRs: its own per-CPU state, which VM entry and exit
 * (or the backend) keep apart from the hypervisor's.  Every other MSR
 * exits for every VP: EFER, the TLFS MSRs and the backend's own are
 * provided, IA32_APIC_BASE is the parent's to read but not to move, and
 * anything else raises #GP (MTRRs, SYSCFG, HWCR, microcode, ...).
 */
static const uint32_t parent_direct_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
	MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_TSC_AUX, MSR_PAT,
};

void msr_policy_parent(struct vp *vp)
{
	for (unsigned i = 0; i < sizeof(parent_direct_msrs) / sizeof(parent_direct_msrs[0]); i++)
		vcpu_msr_passthrough(vp, parent_direct_msrs[i]);
}

/* IA32_APIC_BASE: the parent drives its local APIC, but may not move it
 * (over hypervisor memory, say) or switch it off: a write must leave the
 * value as it is.  Children's virtual APICs: hv/interrupt.c. */
static int apic_base_msr(struct vp *vp, bool write, uint64_t *value)
{
	if (!vp->partition->is_parent)
		return VCPU_MSR_FAULT;
	if (!write) {
		*value = rdmsr(MSR_APIC_BASE);
		return 0;
	}
	return *value == rdmsr(MSR_APIC_BASE) ? 0 : VCPU_MSR_FAULT;
}

bool msr_exit(struct vp *vp, bool write)
{
	uint32_t msr = (uint32_t)vp->gpr[GPR_RCX];
	uint64_t value = write ? (vp->gpr[GPR_RDX] << 32) | (uint32_t)vp->gpr[GPR_RAX] : 0;
	int rc;

	rc = synthetic_msr(vp, msr, write, &value);
	if (rc == VCPU_MSR_UNKNOWN)
		rc = synic_msr(vp, msr, write, &value);
	if (rc == VCPU_MSR_UNKNOWN) {
		rc = stimer_msr(vp, msr, write, &value);
		/* A child's timer may now expire before its slice ends. */
		if (rc == 0 && write && !vp->partition->is_parent)
			run_timer_changed(vp);
	}
	if (rc == VCPU_MSR_UNKNOWN)
		rc = overlay_msr(vp, msr, write, &value);
	if (rc == VCPU_MSR_UNKNOWN)
		rc = own_msr(vp, msr, write, &value);
	if (rc == VCPU_MSR_UNKNOWN && !vp->partition->is_parent)
		rc = vp_irq_msr(vp, msr, write, &value);
	if (rc == VCPU_MSR_UNKNOWN && !vp->partition->is_parent)
		rc = child_cpu_msr(vp, msr, write, &value);
	if (rc == VCPU_MSR_UNKNOWN && msr == MSR_APIC_BASE)
		rc = apic_base_msr(vp, write, &value);
	if (rc == VCPU_MSR_UNKNOWN)
		rc = vcpu_guest_msr(vp, msr, write, &value);
	if (rc != 0) {
		vcpu_inject_exception(vp, X86_EXC_GP, true, 0);
		return true;
	}
	if (!write) {
		vp->gpr[GPR_RAX] = (uint32_t)value;
		vp->gpr[GPR_RDX] = value >> 32;
	}
	if (vp_skip_instruction(vp))
		partition_crash(vp->partition, "cannot decode an MSR instruction");
	if (vp->level_eoi && vp_continues(vp)) /* an x2APIC EOI of a level-triggered vector */
		return intercept_apic_eoi(vp);
	return vp_continues(vp);
}
