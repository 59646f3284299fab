/*
 * CPUID policy: the real CPU's answers, with the hypervisor-present bit set,
 * hardware virtualization hidden, and the TLFS leaves 0x40000000+ answered
 * from a table built at boot.
 */
#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/version.h"
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/partition.h"
#include "hv/pcpu.h"
#include "hv/vcpu_ops.h"

#define CPUID1_ECX_MONITOR    (1u << 3)
#define CPUID1_ECX_VMX        (1u << 5)
#define CPUID1_ECX_X2APIC     (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_XSAVE      (1u << 26)
#define CPUID1_ECX_OSXSAVE    (1u << 27)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID_D1_EAX_XSAVES   (1u << 3)
#define CPUID_EXT1_ECX_SVM    (1u << 2)
#define HV_LEAVES (HV_CPUID_MAX_LEAF - HV_CPUID_VENDOR_AND_MAX + 1)

static struct cpuid_regs hv_leaves[HV_LEAVES];

void cpuid_policy_init(void)
{
	struct cpuid_regs *l = hv_leaves;
	uint32_t sig[3];

	memset(hv_leaves, 0, sizeof(hv_leaves));
	memcpy(sig, hv_boot.vendor, sizeof(sig));
	l[0] = (struct cpuid_regs){ HV_CPUID_MAX_LEAF, sig[0], sig[1], sig[2] };
	l[1].eax = HV_INTERFACE_SIGNATURE;
	/* Version: build number in EAX, major.minor in EBX (TLFS §2.4.3). */
	l[2].eax = 1;
	l[2].ebx = 0u << 16 | 1u;
	l[3].eax = HV_ACCESS_HYPERCALL_MSRS | HV_ACCESS_VP_INDEX | HV_ACCESS_PARTITION_REFERENCE_COUNTER |
		   HV_ACCESS_SYNIC_REGS | HV_ACCESS_SYNTHETIC_TIMER_REGS | HV_ACCESS_FREQUENCY_MSRS;
	l[3].edx = HV_FEATURE_GUEST_CRASH_MSRS | HV_FEATURE_FREQUENCY_MSRS;
	l[5].eax = 1;                 /* maximum virtual processors */
	l[5].ebx = pcpu_count;        /* maximum logical processors */
	l[6].eax = HV_HW_MSR_BITMAPS | HV_HW_SLAT;
}

/* Leaf 1 ECX: a hypervisor, no VMX; OSXSAVE mirrors the VP's own CR4 (the
 * CPU's reflects the hypervisor's). */
static __attribute__((noinline)) uint32_t leaf1_ecx(struct vp *vp, uint32_t ecx)
{
	ecx = (ecx | CPUID1_ECX_HYPERVISOR) & ~(CPUID1_ECX_VMX | CPUID1_ECX_OSXSAVE);
	if (!xstate_guest_xcr0_mask())
		return ecx & ~CPUID1_ECX_XSAVE;
	if (vcpu_get_reg(vp, VP_REG_CR4) & CR4_OSXSAVE)
		ecx |= CPUID1_ECX_OSXSAVE;
	return ecx;
}

/* Leaf 0xD (SDM vol. 1 §13.2) for what the VP may enable and has enabled:
 * sub-leaf 0 the XCR0 components offered and the sizes for them and for
 * its XCR0; sub-leaf 1 without XSAVES (no supervisor state is offered);
 * components not offered have no sub-leaf. */
static __attribute__((noinline)) struct cpuid_regs xsave_leaf(struct vp *vp, uint32_t sub, struct cpuid_regs r)
{
	uint64_t mask = xstate_guest_xcr0_mask();

	if (sub == 0)
		return (struct cpuid_regs){ (uint32_t)mask, xstate_size_for(vp->xstate.xcr0), xstate_size_for(mask),
					    (uint32_t)(mask >> 32) };
	if (sub == 1)
		return (struct cpuid_regs){ r.eax & ~CPUID_D1_EAX_XSAVES, 0, 0, 0 };
	if (sub < 64 && (mask & (1ull << sub)))
		return r;
	return (struct cpuid_regs){ 0, 0, 0, 0 };
}

bool cpuid_exit(struct vp *vp)
{
	uint32_t leaf = (uint32_t)vp->gpr[GPR_RAX];
	struct cpuid_regs r;

	vp->stats.cpuid++;
	if ((leaf & 0xffff0000u) == HV_CPUID_VENDOR_AND_MAX) {
		uint32_t i = leaf - HV_CPUID_VENDOR_AND_MAX;

		r = i < HV_LEAVES ? hv_leaves[i] : (struct cpuid_regs){ 0, 0, 0, 0 };
	} else {
		r = cpuid(leaf, (uint32_t)vp->gpr[GPR_RCX]);
		if (leaf == 1) {
			r.ecx = leaf1_ecx(vp, r.ecx);
			if (!vp->partition->is_parent) {
				/* Its own APIC (hv/interrupt.h): x2APIC, no TSC deadline, no MONITOR. */
				r.ecx = (r.ecx | CPUID1_ECX_X2APIC) & ~(CPUID1_ECX_TSC_DEADLINE | CPUID1_ECX_MONITOR);
				r.ebx = (r.ebx & 0x00ffffffu) | vp->index << 24;
			}
		}
		else if (leaf == 0xd)
			r = xsave_leaf(vp, (uint32_t)vp->gpr[GPR_RCX], r);
		else if (leaf == 0x80000001)
			r.ecx &= ~CPUID_EXT1_ECX_SVM;
		else if (leaf == 0x8000000a)
			r = (struct cpuid_regs){ 0, 0, 0, 0 };
	}
	vp->gpr[GPR_RAX] = r.eax;
	vp->gpr[GPR_RBX] = r.ebx;
	vp->gpr[GPR_RCX] = r.ecx;
	vp->gpr[GPR_RDX] = r.edx;
	if (vp_skip_instruction(vp)) {
		partition_crash(vp->partition, "cannot decode the CPUID instruction");
		return vp_continues(vp);
	}
	return true;
}
