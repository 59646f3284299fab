/* Dispatch of vendor-neutral exits; no logging on the common paths. */
#include "hv/exit.h"

#include "arch/x86/cpu.h"
#include "hv/log.h"
#include "hv/pcpu.h"
#include "hv/partition.h"
#include "hv/run.h"
#include "hv/vcpu_ops.h"

bool vp_handle_exit(struct vp *vp)
{
	struct vm_exit *e = &vp->exit;

	vp->stats.exits++;
	switch (e->reason) {
	case VM_EXIT_CPUID:
		return cpuid_exit(vp);
	case VM_EXIT_HYPERCALL:
		hypercall_exit(vp);
		break;
	case VM_EXIT_MSR_READ:
		msr_exit(vp, false);
		break;
	case VM_EXIT_MSR_WRITE:
		msr_exit(vp, true);
		break;
	case VM_EXIT_GPA_FAULT:
		partition_gpa_fault(vp);
		break;
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
	case VM_EXIT_SHUTDOWN:
		partition_crash(vp->partition, "triple fault (shutdown)");
		return false;
	case VM_EXIT_ENTRY_FAILED:
		partition_crash(vp->partition, "the CPU refused the guest state on entry");
		return false;
	case VM_EXIT_IO:
		/* Intercept forwarding to the parent is not there yet. */
		partition_crash(vp->partition, "port I/O (intercepts are not forwarded to the parent yet)");
		return false;
	case VM_EXIT_UNHANDLED:
		log_err("partition %u: unexpected exit %#x at rip %#lx", vp->partition->id, e->hw_code,
			vp->rip);
		partition_crash(vp->partition, "unexpected exit");
		return false;
	}
	return !(vp->partition->crash_reason && !vp->partition->is_parent);
}
