/* Dispatch of vendor-neutral exits; no logging on the common paths. */
#include "hv/exit.h"

#include "arch/x86/cpu.h"
#include "hv/abi/keel_hypercall.h"
#include "hv/intercept.h"
#include "hv/log.h"
#include "hv/pcpu.h"
#include "hv/partition.h"
#include "hv/run.h"
#include "hv/vcpu_ops.h"

/* XSETBV (SDM vol. 2): #UD without CR4.OSXSAVE, #GP at CPL > 0 or for an
 * XCR0 the CPU or Keel does not offer; else the VP's XCR0 (in the CPU
 * now: the VP is running) changes. */
static bool xsetbv_exit(struct vp *vp)
{
	uint64_t value = (vp->gpr[GPR_RDX] << 32) | (uint32_t)vp->gpr[GPR_RAX];

	if (!(vcpu_get_reg(vp, VP_REG_CR4) & CR4_OSXSAVE)) {
		vcpu_inject_exception(vp, X86_EXC_UD, false, 0);
		return true;
	}
	if (vcpu_get_reg(vp, VP_REG_CPL) != 0 ||
	    xstate_set_xcr(&vp->xstate, (uint32_t)vp->gpr[GPR_RCX], value, true)) {
		vcpu_inject_exception(vp, X86_EXC_GP, true, 0);
		return true;
	}
	if (vp_skip_instruction(vp))
		partition_crash(vp->partition, "cannot decode an XSETBV instruction");
	return vp_continues(vp);
}

/* A child's IN or OUT at a port its partition has no device on
 * (KEEL_PARTITION_PROPERTY_ABSENT_PORTS), answered here as an empty bus
 * does: reads all ones (a 32-bit IN zero-extends into RAX), writes go
 * nowhere.  False when the parent must see it. */
static bool absent_port(struct vp *vp)
{
	const struct vm_exit *e = &vp->exit;
	uint64_t ranges = __atomic_load_n(&vp->partition->absent_ports, __ATOMIC_RELAXED);
	bool absent = false;

	if (!ranges || e->io.string || !e->next_rip)
		return false;
	for (unsigned i = 0; i < 2; i++)
		absent |= (uint32_t)(ranges >> (32 * i)) && e->io.port >= keel_absent_first(ranges, i) &&
			  e->io.port <= keel_absent_last(ranges, i);
	if (!absent)
		return false;
	if (e->io.in)
		vp->gpr[GPR_RAX] = e->io.size == 4 ? 0xffffffffull : vp->gpr[GPR_RAX] | ((1ull << (8 * e->io.size)) - 1);
	vp->rip = e->next_rip;
	return true;
}

/* The exits that are not on a hot path. */
static __attribute__((noinline)) bool handle_other(struct vp *vp)
{
	struct vm_exit *e = &vp->exit;

	switch (e->reason) {
	case VM_EXIT_CPUID:
	case VM_EXIT_HYPERCALL:
	case VM_EXIT_MSR_READ:
	case VM_EXIT_MSR_WRITE:
	case VM_EXIT_GPA_FAULT:
		break; /* handled in vp_handle_exit */
	case VM_EXIT_VIRT_INSN:
		vcpu_inject_exception(vp, X86_EXC_UD, false, 0);
		break;
	case VM_EXIT_EXTERNAL_INTR:
		return run_after_interrupt(vp);
	case VM_EXIT_SLICE_END:
		this_pcpu()->preempt = 1;
		return run_after_interrupt(vp);
	case VM_EXIT_NONE:
		break;
	case VM_EXIT_HLT:
		if (!vp->partition->is_parent)
			return run_halt(vp);
		partition_crash(vp->partition, "unexpected HLT exit");
		break;
	case VM_EXIT_PAUSE:
		return run_pause(vp);
	case VM_EXIT_SHUTDOWN:
		partition_crash(vp->partition, "triple fault (shutdown)");
		return false;
	case VM_EXIT_XSETBV:
		return xsetbv_exit(vp);
	case VM_EXIT_INVD:
		/* As WBINVD: the second level maps all guest memory write-back
		 * and coherent, so writing back and invalidating changes nothing
		 * a guest can see; the instruction is skipped. */
		if (vp_skip_instruction(vp))
			partition_crash(vp->partition, "cannot decode INVD");
		break;
	case VM_EXIT_EXCEPTION:
		if (e->exception.vector == X86_EXC_MC) {
			/* The hardware failed while this partition ran: it stops,
			 * the others go on (TLFS leaves #MC policy to the host). */
			log_err("partition %u: machine check at rip %#lx", vp->partition->id, vp->rip);
			partition_crash(vp->partition, "machine check");
			return false;
		}
		/* Reflected as it came; the backend has updated DR6 for #DB. */
		vcpu_inject_exception(vp, e->exception.vector, e->exception.has_error, e->exception.error);
		break;
	case VM_EXIT_ENTRY_FAILED:
		partition_crash(vp->partition, "the CPU refused the guest state on entry");
		return false;
	case VM_EXIT_IO:
		if (!vp->partition->is_parent)
			return absent_port(vp) ? vp_continues(vp) : intercept_io(vp);
		partition_crash(vp->partition, "unexpected port I/O exit");
		break;
	case VM_EXIT_UNHANDLED:
	case VM_EXIT_REASON_COUNT: /* not a reason */
		log_err("partition %u: unexpected exit %#x at rip %#lx", vp->partition->id, e->hw_code,
			vp->rip);
		partition_crash(vp->partition, "unexpected exit");
		return false;
	}
	return vp_continues(vp);
}

bool vp_handle_exit(struct vp *vp)
{
	vp->stats.exits++;
	vp->stats.by_reason[vp->exit.reason]++;
	switch (vp->exit.reason) {
	case VM_EXIT_CPUID:
		return cpuid_exit(vp);
	case VM_EXIT_HYPERCALL:
		return hypercall_exit(vp);
	case VM_EXIT_MSR_READ:
		return msr_exit(vp, false);
	case VM_EXIT_MSR_WRITE:
		return msr_exit(vp, true);
	case VM_EXIT_GPA_FAULT:
		return partition_gpa_fault(vp);
	default:
		return handle_other(vp);
	}
}
