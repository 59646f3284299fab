/*
 * CPUID policy: the real CPU's answers, with the hypervisor-present bit set,
 * hardware virtualization hidden, and the TLFS leaves 0x40000000+ answered
 * from a table built at boot.  Children see the CPU's leaves filtered to
 * what Keel virtualizes and a topology of their own (cpuid_child;
 * docs/guests.md "CPUID").
 */
#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_port.h"
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
/* 0x40000003 EAX: what children have beyond the parent's privileges (the
 * reference TSC page, hv/msr.c; the synthetic timers, hv/stimer.h). */
#define HV_CHILD_ACCESS (HV_ACCESS_PARTITION_REFERENCE_TSC | HV_ACCESS_SYNTHETIC_TIMER_REGS)

/* 0x40000003 EBX: what only the parent may do (hv/port.h). */
#define HV_PARENT_PRIVILEGES (HV_PRIVILEGE_CREATE_PORT | HV_PRIVILEGE_CONNECT_PORT)

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
		   HV_ACCESS_SYNIC_REGS | HV_ACCESS_FREQUENCY_MSRS;
	l[3].ebx = HV_PRIVILEGE_POST_MESSAGES | HV_PRIVILEGE_SIGNAL_EVENTS | HV_PARENT_PRIVILEGES;
	l[3].edx = HV_FEATURE_GUEST_CRASH_MSRS | HV_FEATURE_FREQUENCY_MSRS;
	l[5].eax = PARTITION_MAX_VPS; /* maximum virtual processors */
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
 * its XCR0; sub-leaf 1 without XSAVES (no supervisor state is offered),
 * EBX the compacted (XSAVEC) size for its XCR0;
 * components not offered have no sub-leaf. */
static __attribute__((noinline)) struct cpuid_regs xsave_leaf(struct vp *vp, uint32_t sub, struct cpuid_regs r)
{
	uint64_t mask = xstate_guest_xcr0_mask();

	if (sub == 0)
		return (struct cpuid_regs){ (uint32_t)mask, xstate_size_for(vp->xstate.xcr0), xstate_size_for(mask),
					    (uint32_t)(mask >> 32) };
	if (sub == 1)
		return (struct cpuid_regs){ r.eax & ~CPUID_D1_EAX_XSAVES, xstate_compacted_size_for(vp->xstate.xcr0), 0,
					    0 };
	if (sub < 64 && (mask & (1ull << sub)))
		return r;
	return (struct cpuid_regs){ 0, 0, 0, 0 };
}

/* The bits of leaves 1, 7 and 0x8000000x a child keeps (every other bit
 * reads 0): what its processor state covers without an MSR, interrupt
 * source or instruction Keel does not virtualize (docs/guests.md).  Gone
 * are MCE/MCA, MTRRs, debug store and performance monitoring (PDCM, the
 * PMU, AMD's core counters, IBS), thermal and power control (ACPI, TM,
 * EST, leaf 6 but ARAT), MONITOR/MWAIT, PCID/INVPCID, TSC deadline and
 * TSC_ADJUST, speculation control and ARCH_CAPABILITIES, PKU, CET, SGX,
 * PT, LA57, TSX, WAITPKG, RDT, XFD, OSVW, SME/SEV and VMX/SVM.  IA32_PAT stays
 * (hv/msr.c keeps it per VP). */
#define CHILD_LEAF1_EDX 0x1f8bab7fu /* FPU VME DE PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 SS HTT */
#define CHILD_LEAF1_ECX 0xfef83203u /* SSE3 PCLMUL SSSE3 FMA CX16 SSE4.1/4.2 x2APIC MOVBE POPCNT AES XSAVE OSXSAVE AVX F16C RDRAND HYPERVISOR */
#define CHILD_LEAF7_EBX 0xfdbf03a9u /* FSGSBASE BMI1 AVX2 SMEP BMI2 ERMS AVX512F/DQ RDSEED ADX SMAP AVX512IFMA CLFLUSHOPT CLWB AVX512PF/ER/CD SHA AVX512BW/VL */
#define CHILD_LEAF7_ECX 0x00405f42u /* AVX512VBMI VBMI2 GFNI VAES VPCLMULQDQ VNNI BITALG VPOPCNTDQ RDPID */
#define CHILD_LEAF7_EDX 0x0000051cu /* AVX512 4VNNIW/4FMAPS FSRM MD_CLEAR VP2INTERSECT */
#define CHILD_LEAFD1_EAX 0x0000000fu /* XSAVEOPT XSAVEC XGETBV1 XSAVES (xsave_leaf drops it); no XFD */
#define CHILD_EXT1_ECX  0x002109f3u /* LAHF CMP_LEGACY ALTMOVCR8 ABM SSE4A MISALIGNSSE 3DNOWPREFETCH XOP FMA4 TBM */
#define CHILD_EXT8_EBX  0x00000205u /* CLZERO XSAVEERPTR WBNOINVD; no IRPERF, IBPB/IBRS/STIBP/SSBD, PPIN, CPPC */
#define CHILD_MAX_EXT_LEAF 0x80000008u /* nothing above: SVM, SME/SEV, AMD topology, extended features */
#define CPUID6_EAX_ARAT     (1u << 2)   /* the APIC timer runs in every C-state (the virtual one does) */
#define CPUID_EXT7_EDX_INVARIANT_TSC (1u << 8)
#define TOPOLOGY_CORE_SHIFT 6       /* x2APIC ID bits for the VPs of a partition (64 at most) */

/* What a child sees beside the TLFS leaves: the host's leaves filtered to
 * what Keel virtualizes, its own APIC (x2APIC, ID = VP index) and a
 * topology that depends on the partition alone: VP i is core i of package
 * 0, one thread per core, wherever it runs. */
static __attribute__((noinline)) struct cpuid_regs cpuid_child(struct vp *vp, uint32_t leaf, uint32_t sub,
							       struct cpuid_regs r)
{
	const struct cpuid_regs zero = { 0, 0, 0, 0 };
	unsigned vps = 0;

	switch (leaf) {
	case 1:
		r.ebx = (r.ebx & 0x0000ffffu) | vp->index << 24 | (uint32_t)PARTITION_MAX_VPS << 16;
		r.ecx = (r.ecx & CHILD_LEAF1_ECX) | CPUID1_ECX_X2APIC;
		r.edx &= CHILD_LEAF1_EDX;
		break;
	case 5: case 0xa: /* MONITOR, performance monitoring */
		return zero;
	case 6: /* power and thermal: none (no APERF/MPERF, EPB, HWP, sensors) */
		return (struct cpuid_regs){ CPUID6_EAX_ARAT, 0, 0, 0 };
	case 7:
		if (sub != 0)
			return zero;
		r = (struct cpuid_regs){ 0, r.ebx & CHILD_LEAF7_EBX, r.ecx & CHILD_LEAF7_ECX, r.edx & CHILD_LEAF7_EDX };
		break;
	case 0xd:
		if (sub == 1)
			r.eax &= CHILD_LEAFD1_EAX;
		break;
	case 0xb: case 0x1f:
		for (unsigned i = 0; i < PARTITION_MAX_VPS; i++)
			vps += vp->partition->vps[i] != NULL;
		if (sub == 0)
			r = (struct cpuid_regs){ 0, 1, 1u << 8, vp->index };
		else if (sub == 1)
			r = (struct cpuid_regs){ TOPOLOGY_CORE_SHIFT, vps, 2u << 8 | 1, vp->index };
		else
			r = (struct cpuid_regs){ 0, 0, sub, vp->index };
		break;
	case 0x80000000:
		if (r.eax > CHILD_MAX_EXT_LEAF)
			r.eax = CHILD_MAX_EXT_LEAF;
		break;
	case 0x80000001:
		r.ecx &= CHILD_EXT1_ECX;
		break;
	case 0x80000007:
		r = (struct cpuid_regs){ 0, 0, 0, CPUID_EXT7_EDX_INVARIANT_TSC }; /* the TSC runs at one rate */
		break;
	case 0x80000008:
		r.ebx &= CHILD_EXT8_EBX;
		r.ecx = (TOPOLOGY_CORE_SHIFT << 12) | (PARTITION_MAX_VPS - 1); /* APIC ID size, cores - 1 */
		break;
	default:
		if (leaf > CHILD_MAX_EXT_LEAF && leaf <= 0x8fffffffu)
			return zero;
	}
	return r;
}

/* A leaf of the processor's, as the VP may see it. */
static __attribute__((noinline)) struct cpuid_regs cpuid_processor(struct vp *vp, uint32_t leaf)
{
	uint32_t sub = (uint32_t)vp->gpr[GPR_RCX];
	struct cpuid_regs r = cpuid(leaf, sub);

	if (leaf == 1)
		r.ecx = leaf1_ecx(vp, r.ecx);
	if (!vp->partition->is_parent)
		r = cpuid_child(vp, leaf, sub, r);
	if (leaf == 0xd)
		r = xsave_leaf(vp, sub, r);
	else if (leaf == 0x80000001)
		r.ecx &= ~CPUID_EXT1_ECX_SVM;
	else if (leaf == 0x8000000a)
		r = (struct cpuid_regs){ 0, 0, 0, 0 };
	return r;
}

/* The TLFS leaves are the common case (and the benchmark's): answered
 * here from the table; the processor's leaves in cpuid_processor. */
bool cpuid_exit(struct vp *vp)
{
	uint32_t leaf = (uint32_t)vp->gpr[GPR_RAX];
	struct cpuid_regs r;

	if ((leaf & 0xffff0000u) == HV_CPUID_VENDOR_AND_MAX) {
		uint32_t i = leaf - HV_CPUID_VENDOR_AND_MAX;

		r = i < HV_LEAVES ? hv_leaves[i] : (struct cpuid_regs){ 0, 0, 0, 0 };
		if (i == 3 && !vp->partition->is_parent) {
			r.eax |= HV_CHILD_ACCESS;
			r.edx |= HV_FEATURE_STIMER_DIRECT_MODE; /* hv/stimer.c: direct and message mode */
			r.ebx &= ~HV_PARENT_PRIVILEGES;
		}
	} else {
		r = cpuid_processor(vp, leaf);
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
