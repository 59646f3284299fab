/*
 * Hypercall dispatch (TLFS "Hypercall Interface"): the control word in RCX,
 * input/output GPAs in RDX/R8 (or input values, for fast calls), the result
 * in RAX.  Every call is a row of hypercall_table (hv/hypercall_table.c); the dispatcher checks the
 * control word against it, copies the input once into this pCPU's private
 * buffer, runs the handler, and copies the output out once.
 */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/guest_mem.h"
#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/version.h"
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/hypercall_table.h"
#include "hv/window.h"
#include "hv/interrupt.h"
#include "hv/partition.h"
#include "hv/pcpu.h"
#include "hv/run.h"
#include "hv/vcpu_ops.h"


uint16_t hc_null(struct hypercall *hc)
{
	return HV_STATUS_SUCCESS;
}

uint16_t hc_get_info(struct hypercall *hc)
{
	struct keel_hv_info *out = (struct keel_hv_info *)hc->out;

	out->backend = vcpu->backend_id;
	out->pcpus = pcpu_count;
	out->hv_memory_bytes = hv_boot.hv_phys_size;
	out->hv_free_bytes = hv_frames.free_frames * FRAME_SIZE;
	out->parent_memory_bytes = partition_ram_bytes();
	out->features = vcpu->features();
	out->version = 0 << 16 | 1 << 8 | 0;
	out->parent_exits = hc->vp->stats.exits;
	out->time_slice_us = hv_boot.time_slice_us;
	out->window_base = window_base;
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

/* The ABI's kinds from the neutral exit reasons; what no kind names, and
 * exits a backend handles alone (VT-x CR writes), are "other".  Read
 * racily while the VP runs: a report, not an account; the total returned
 * is their sum, so the two agree. */
static enum keel_exit_kind kind_of(enum vm_exit_reason r)
{
	switch (r) {
	case VM_EXIT_CPUID: return KEEL_EXIT_CPUID;
	case VM_EXIT_HYPERCALL: return KEEL_EXIT_HYPERCALL;
	case VM_EXIT_MSR_READ:
	case VM_EXIT_MSR_WRITE: return KEEL_EXIT_MSR;
	case VM_EXIT_IO: return KEEL_EXIT_IO;
	case VM_EXIT_GPA_FAULT: return KEEL_EXIT_GPA;
	case VM_EXIT_HLT: return KEEL_EXIT_HLT;
	case VM_EXIT_PAUSE: return KEEL_EXIT_PAUSE;
	case VM_EXIT_EXTERNAL_INTR:
	case VM_EXIT_SLICE_END: return KEEL_EXIT_INTERRUPT;
	case VM_EXIT_EXCEPTION: return KEEL_EXIT_EXCEPTION;
	default: return KEEL_EXIT_OTHER;
	}
}

static uint64_t exits_by_kind(const struct vp_stats *st, uint64_t out[KEEL_EXIT_KINDS])
{
	uint64_t named = 0;

	memset(out, 0, KEEL_EXIT_KINDS * sizeof(out[0]));
	for (unsigned r = 0; r < VM_EXIT_REASON_COUNT; r++) {
		enum keel_exit_kind k = kind_of((enum vm_exit_reason)r);

		if (k == KEEL_EXIT_OTHER)
			continue;
		out[k] += st->by_reason[r];
		named += st->by_reason[r];
	}
	out[KEEL_EXIT_OTHER] = st->exits > named ? st->exits - named : 0;
	return named + out[KEEL_EXIT_OTHER];
}

uint16_t hc_get_vp_state(struct hypercall *hc)
{
	struct keel_vp_state_input in;
	struct keel_vp_state *out = (struct keel_vp_state *)hc->out;
	struct partition *p;
	struct vp *t;
	uint16_t st;

	memcpy(&in, hc->in, sizeof(in));
	if ((st = child_vp(in.partition_id, in.vp_index, &p, &t)))
		return st;
	out->state = t->run_state; /* enum vp_run_state matches KEEL_VP_* */
	out->pcpu = t->host ? t->host->index : 0;
	out->exits = exits_by_kind(&t->stats, out->exits_by_kind);
	if (t->run_state == VP_CRASHED && p->crash_reason)
		strncpy(out->reason, p->crash_reason, sizeof(out->reason) - 1);
	return HV_STATUS_SUCCESS;
}

uint16_t hc_guest_memory(struct hypercall *hc)
{
	struct keel_guest_memory_input in;
	struct guest_paging g;
	struct partition *p;
	struct vp *t;
	uint16_t st;
	size_t n;

	memcpy(&in, hc->in, sizeof(in));
	if ((st = child_vp(in.partition_id, in.vp_index, &p, &t)))
		return st;
	if (!t->suspended && !t->intercept_suspended)
		return HV_STATUS_INVALID_VP_STATE;
	g = (struct guest_paging){ vcpu_get_reg(t, VP_REG_CR0), vcpu_get_reg(t, VP_REG_CR3),
				   vcpu_get_reg(t, VP_REG_CR4), vcpu_get_reg(t, VP_REG_EFER) };
	if (in.flags & KEEL_GUEST_MEMORY_WRITE)
		n = guest_write_linear(p, &g, in.linear, hc->in + sizeof(in), in.length);
	else
		n = guest_read_linear(p, &g, in.linear, hc->out, in.length);
	return n == in.length ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
}

uint16_t hc_apic_access(struct hypercall *hc)
{
	struct keel_apic_access in;
	struct partition *p;
	struct vp *t;
	uint16_t st;

	memcpy(&in, hc->in, sizeof(in));
	if ((st = child_vp(in.partition_id, in.vp_index, &p, &t)))
		return st;
	if (in.offset >= 0x1000 || (in.offset & 0xf) || (in.flags & ~KEEL_APIC_ACCESS_WRITE))
		return HV_STATUS_INVALID_PARAMETER;
	if (!t->suspended && !t->intercept_suspended)
		return HV_STATUS_INVALID_VP_STATE;
	if (vp_irq_mmio(t, in.offset, in.flags & KEEL_APIC_ACCESS_WRITE, &in.value) != VLAPIC_OK)
		return HV_STATUS_INVALID_VP_STATE;
	if (in.flags & KEEL_APIC_ACCESS_WRITE) {
		/* The parent, which made the access, is the one to tell. */
		in.value = t->level_eoi;
		t->level_eoi = 0;
	}
	memcpy(hc->out, &in.value, sizeof(in.value));
	return HV_STATUS_SUCCESS;
}

/* Copy [from, to) of the input at gpa into the private buffer. */
static uint16_t copy_in(struct vp *vp, uint64_t gpa, uint8_t *buf, size_t from, size_t to)
{
	const uint8_t *src;
	uint16_t st;

	if (to == from)
		return HV_STATUS_SUCCESS;
	if ((st = hypercall_check_block(gpa, to)))
		return st;
	src = partition_gpa_to_hva(vp->partition, gpa + from, to - from, false);
	if (!src)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(buf + from, src, to - from);
	return HV_STATUS_SUCCESS;
}

/* The caller's output block, checked before the call has any effect. */
static uint16_t output_ok(struct vp *vp, uint64_t gpa, size_t len)
{
	uint16_t st;

	if (!len)
		return HV_STATUS_SUCCESS;
	if ((st = hypercall_check_block(gpa, len)))
		return st;
	return partition_gpa_to_hva(vp->partition, gpa, len, true) ? HV_STATUS_SUCCESS
								  : HV_STATUS_INVALID_PARAMETER;
}

static void copy_out(struct vp *vp, uint64_t gpa, const uint8_t *buf, size_t from, size_t to)
{
	uint8_t *dst;

	if (to <= from)
		return;
	/* Checked by output_ok; looked up again in case the call changed the caller's map. */
	dst = partition_gpa_to_hva(vp->partition, gpa + from, to - from, true);
	if (dst)
		memcpy(dst, buf + from, to - from);
}

static uint16_t dispatch(struct hypercall *hc)
{
	struct vp *vp = hc->vp;
	struct pcpu *cpu = this_pcpu();
	uint64_t in_gpa = vp->gpr[GPR_RDX], out_gpa = vp->gpr[GPR_R8];
	const struct hypercall_row *row;
	struct hypercall_shape s;
	uint16_t st;

	if (hc->control & HV_HYPERCALL_RSVD_MASK)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	row = hypercall_find(hypercall_table, hypercall_table_len, HV_HYPERCALL_CODE(hc->control));
	if (!row)
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	if ((st = hypercall_check(row, hc->control, vp->partition->is_parent, &s)))
		return st;
	hc->rep_start = hc->done = s.rep_start;
	hc->rep_count = s.rep_count;
	hc->in = cpu->hypercall_in;
	hc->out = cpu->hypercall_out;
	hc->in_len = s.in_len;
	hc->out_len = s.out_len;
	if (s.fast) {
		memcpy(cpu->hypercall_in, &in_gpa, 8);
		memcpy(cpu->hypercall_in + 8, &out_gpa, 8);
	} else {
		if (row->size) {
			if ((st = copy_in(vp, in_gpa, cpu->hypercall_in, 0, row->in_size)))
				return st;
			if ((st = row->size(cpu->hypercall_in, &hc->in_len, &hc->out_len)))
				return st;
		}
		if ((st = copy_in(vp, in_gpa, cpu->hypercall_in, row->size ? row->in_size : 0, hc->in_len)) ||
		    (st = output_ok(vp, out_gpa, hc->out_len)))
			return st;
		memset(cpu->hypercall_out, 0, hc->out_len);
	}
	st = row->fn(hc);
	if (s.fast)
		return st;
	if (row->flags & HC_REP) {
		copy_out(vp, out_gpa, hc->out, 0, row->out_size);
		copy_out(vp, out_gpa, hc->out, row->out_size + (size_t)row->out_elem * hc->rep_start,
			 row->out_size + (size_t)row->out_elem * hc->done);
	} else if (st == HV_STATUS_SUCCESS) {
		copy_out(vp, out_gpa, hc->out, 0, hc->out_len);
	}
	return st;
}

bool hypercall_exit(struct vp *vp)
{
	struct partition *p = vp->partition;
	struct hypercall hc;
	uint16_t status;

	/* Only CPL 0 with the hypercall page enabled may call (TLFS §3.2). */
	if (!(p->hypercall_msr & HV_HYPERCALL_ENABLE) || vcpu_get_reg(vp, VP_REG_CPL) != 0) {
		vcpu_inject_exception(vp, X86_EXC_UD, false, 0);
		return true;
	}
	hc.vp = vp;
	hc.control = vp->gpr[GPR_RCX];
	hc.done = 0;
	status = dispatch(&hc);
	vp->gpr[GPR_RAX] = HV_HYPERCALL_RESULT(status, hc.done);
	if (vp_skip_instruction(vp)) {
		partition_crash(p, "cannot decode the hypercall instruction");
		return vp_continues(vp);
	}
	return true;
}
