/*
 * Hypercall dispatch (TLFS §3): the control word in RCX, input/output GPAs
 * in RDX/R8 (or values, for fast calls), the result in RAX.
 */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/guest_mem.h"
#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/version.h"
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/hypercall_partition.h"
#include "hv/partition.h"
#include "hv/pcpu.h"
#include "hv/run.h"
#include "hv/vcpu_ops.h"

static uint16_t get_info(struct vp *vp, uint64_t control)
{
	struct partition *p = vp->partition;
	uint64_t out_gpa = vp->gpr[GPR_R8];
	struct keel_hv_info *out;

	if (!p->is_parent)
		return HV_STATUS_ACCESS_DENIED;
	if (control & HV_HYPERCALL_FAST)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (out_gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	out = partition_gpa_to_hva(p, out_gpa, sizeof(*out), true);
	if (!out)
		return HV_STATUS_INVALID_PARAMETER;
	memset(out, 0, sizeof(*out));
	out->backend = vcpu->backend_id;
	out->pcpus = pcpu_count;
	out->hv_memory_bytes = hv_boot.hv_phys_size;
	out->hv_free_bytes = hv_frames.free_frames * FRAME_SIZE;
	out->parent_memory_bytes = partition_ram_bytes();
	out->features = vcpu->features();
	out->version = 0 << 16 | 1 << 8 | 0;
	out->parent_exits = vp->stats.exits;
	out->time_slice_us = hv_boot.time_slice_us;
	memcpy(out->vendor, hv_boot.vendor, sizeof(out->vendor));
	return HV_STATUS_SUCCESS;
}

/* VP `index` of the child partition `id`: a TLFS status. */
static uint16_t child_vp(uint64_t id, uint32_t index, struct partition **p, struct vp **t)
{
	*p = partition_get(id);
	if (!*p || (*p)->is_parent)
		return HV_STATUS_INVALID_PARTITION_ID;
	if (index >= PARTITION_MAX_VPS || !(*t = (*p)->vps[index]))
		return HV_STATUS_INVALID_VP_INDEX;
	return HV_STATUS_SUCCESS;
}

static uint16_t get_vp_state(struct vp *vp, uint64_t control)
{
	struct keel_vp_state_input in;
	struct keel_vp_state out = { 0 };
	const void *src;
	void *dst;
	struct partition *p;
	struct vp *t;
	uint16_t st;

	if (!vp->partition->is_parent)
		return HV_STATUS_ACCESS_DENIED;
	if ((control & HV_HYPERCALL_FAST) || (vp->gpr[GPR_RDX] & 7) || (vp->gpr[GPR_R8] & 7))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	src = partition_gpa_to_hva(vp->partition, vp->gpr[GPR_RDX], sizeof(in), false);
	dst = partition_gpa_to_hva(vp->partition, vp->gpr[GPR_R8], sizeof(out), true);
	if (!src || !dst)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(&in, src, sizeof(in));
	if ((st = child_vp(in.partition_id, in.vp_index, &p, &t)))
		return st;
	out.state = t->run_state; /* enum vp_run_state matches KEEL_VP_* */
	out.pcpu = t->host ? t->host->index : 0;
	out.exits = t->stats.exits;
	if (t->run_state == VP_CRASHED && p->crash_reason)
		strncpy(out.reason, p->crash_reason, sizeof(out.reason) - 1);
	memcpy(dst, &out, sizeof(out));
	return HV_STATUS_SUCCESS;
}

static uint16_t guest_memory(struct vp *vp, uint64_t control)
{
	struct keel_guest_memory_input in;
	const uint8_t *src;
	struct guest_paging g;
	struct partition *p;
	struct vp *t;
	void *dst = NULL;
	uint16_t st;

	if (!vp->partition->is_parent)
		return HV_STATUS_ACCESS_DENIED;
	if ((control & HV_HYPERCALL_FAST) || (vp->gpr[GPR_RDX] & 7) || (vp->gpr[GPR_R8] & 7))
		return HV_STATUS_INVALID_ALIGNMENT;
	src = partition_gpa_to_hva(vp->partition, vp->gpr[GPR_RDX], sizeof(in), false);
	if (!src)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(&in, src, sizeof(in));
	if (in.length > KEEL_GUEST_MEMORY_MAX || (in.flags & ~KEEL_GUEST_MEMORY_WRITE))
		return HV_STATUS_INVALID_PARAMETER;
	if (in.flags & KEEL_GUEST_MEMORY_WRITE)
		src = partition_gpa_to_hva(vp->partition, vp->gpr[GPR_RDX], sizeof(in) + in.length, false);
	else
		dst = partition_gpa_to_hva(vp->partition, vp->gpr[GPR_R8], in.length ? in.length : 1, true);
	if (!src || (!(in.flags & KEEL_GUEST_MEMORY_WRITE) && !dst))
		return HV_STATUS_INVALID_PARAMETER;
	if ((st = child_vp(in.partition_id, in.vp_index, &p, &t)))
		return st;
	if (!t->suspended && !t->intercept_suspended)
		return HV_STATUS_INVALID_VP_STATE;
	g = (struct guest_paging){ vcpu_get_reg(t, VP_REG_CR0), vcpu_get_reg(t, VP_REG_CR3),
				   vcpu_get_reg(t, VP_REG_CR4), vcpu_get_reg(t, VP_REG_EFER) };
	if (in.flags & KEEL_GUEST_MEMORY_WRITE)
		return guest_write_linear(p, &g, in.linear, src + sizeof(in), in.length) == in.length
			       ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
	return guest_read_linear(p, &g, in.linear, dst, in.length) == in.length ? HV_STATUS_SUCCESS
										 : HV_STATUS_INVALID_PARAMETER;
}

bool hypercall_exit(struct vp *vp)
{
	struct partition *p = vp->partition;
	uint64_t control = vp->gpr[GPR_RCX];
	uint32_t done = 0;
	uint16_t status;

	vp->stats.hypercalls++;
	/* Only CPL 0 with the hypercall page enabled may call (TLFS §3.2). */
	if (!(p->hypercall_msr & HV_HYPERCALL_ENABLE) || vcpu_get_reg(vp, VP_REG_CPL) != 0) {
		vcpu_inject_exception(vp, X86_EXC_UD, false, 0);
		return true;
	}
	if (control & HV_HYPERCALL_RSVD_MASK) {
		status = HV_STATUS_INVALID_HYPERCALL_INPUT;
	} else {
		switch (HV_HYPERCALL_CODE(control)) {
		case KEEL_HVCALL_NULL:
		case HVCALL_NOTIFY_LONG_SPIN_WAIT:
			status = HV_STATUS_SUCCESS;
			break;
		case KEEL_HVCALL_GET_INFO:
			status = get_info(vp, control);
			break;
		case KEEL_HVCALL_GUEST_MEMORY:
			status = guest_memory(vp, control);
			break;
		case KEEL_HVCALL_GET_VP_STATE:
			status = get_vp_state(vp, control);
			break;
		default:
			if (!hypercall_partition(vp, HV_HYPERCALL_CODE(control), control, &status, &done))
				status = HV_STATUS_INVALID_HYPERCALL_CODE;
			break;
		}
	}
	vp->gpr[GPR_RAX] = HV_HYPERCALL_RESULT(status, done);
	if (vp_skip_instruction(vp)) {
		partition_crash(p, "cannot decode the hypercall instruction");
		return vp_continues(vp);
	}
	return true;
}
