/*
 * The TLFS partition-management hypercalls (TLFS "Partition Management",
 * "Virtual Processor Management", "Memory Management"), parent only: the
 * handlers of their rows in the hypercall table (hv/hypercall.c), which
 * copies the input in and the output out and checks the control word.
 */
#include "hv/hypercall_table.h"

#include <string.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/child.h"
#include "hv/intercept.h"
#include "hv/interrupt.h"
#include "hv/partition.h"
#include "hv/run.h"
#include "hv/vcpu_ops.h"
#include "hv/window.h"

/* A child named by id (never the parent itself). */
static struct partition *child_by_id(uint64_t id)
{
	struct partition *p = partition_get(id);

	return p && !p->is_parent ? p : NULL;
}

/* ---- registers ---- */

static const enum vp_seg seg_of[] = { VP_SEG_ES, VP_SEG_CS, VP_SEG_SS, VP_SEG_DS,
				      VP_SEG_FS, VP_SEG_GS, VP_SEG_LDTR, VP_SEG_TR };

static uint16_t get_register(struct vp *vp, uint32_t name, union hv_register_value *v)
{
	struct vp_segment s;

	memset(v, 0, sizeof(*v));
	if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15) {
		unsigned r = name - HV_X64_REGISTER_RAX;

		v->reg64 = r == GPR_RSP ? vcpu_get_reg(vp, VP_REG_RSP) : vp->gpr[r];
	} else if (name >= HV_X64_REGISTER_ES && name <= HV_X64_REGISTER_TR) {
		vcpu_get_segment(vp, seg_of[name - HV_X64_REGISTER_ES], &s);
		v->segment = (struct hv_x64_segment_register){ s.base, s.limit, s.selector, s.attributes };
	} else if (name == HV_X64_REGISTER_GDTR || name == HV_X64_REGISTER_IDTR) {
		vcpu_get_segment(vp, name == HV_X64_REGISTER_GDTR ? VP_SEG_GDTR : VP_SEG_IDTR, &s);
		v->table.limit = (uint16_t)s.limit;
		v->table.base = s.base;
	} else {
		switch (name) {
		case HV_X64_REGISTER_RIP: v->reg64 = vp->rip; break;
		case HV_X64_REGISTER_RFLAGS: v->reg64 = vcpu_get_reg(vp, VP_REG_RFLAGS); break;
		case HV_X64_REGISTER_CR0: v->reg64 = vcpu_get_reg(vp, VP_REG_CR0); break;
		case HV_X64_REGISTER_CR3: v->reg64 = vcpu_get_reg(vp, VP_REG_CR3); break;
		case HV_X64_REGISTER_CR4: v->reg64 = vcpu_get_reg(vp, VP_REG_CR4); break;
		case HV_X64_REGISTER_EFER: v->reg64 = vcpu_get_reg(vp, VP_REG_EFER); break;
		case HV_REGISTER_VP_INDEX: v->reg64 = vp->index; break;
		case HV_REGISTER_EXPLICIT_SUSPEND: v->reg64 = vp->suspended; break;
		case HV_REGISTER_INTERCEPT_SUSPEND: v->reg64 = vp->intercept_suspended; break;
		default: return HV_STATUS_INVALID_PARAMETER;
		}
	}
	return HV_STATUS_SUCCESS;
}

static uint16_t set_register(struct vp *vp, uint32_t name, const union hv_register_value *v, bool *resume)
{
	if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15) {
		unsigned r = name - HV_X64_REGISTER_RAX;

		if (r == GPR_RSP)
			vcpu_set_reg(vp, VP_REG_RSP, v->reg64);
		else
			vp->gpr[r] = v->reg64;
	} else if (name >= HV_X64_REGISTER_ES && name <= HV_X64_REGISTER_TR) {
		struct vp_segment s = { v->segment.base, v->segment.limit, v->segment.selector, v->segment.attributes };

		vcpu_set_segment(vp, seg_of[name - HV_X64_REGISTER_ES], &s);
	} else if (name == HV_X64_REGISTER_GDTR || name == HV_X64_REGISTER_IDTR) {
		struct vp_segment s = { v->table.base, v->table.limit, 0, 0 };

		vcpu_set_segment(vp, name == HV_X64_REGISTER_GDTR ? VP_SEG_GDTR : VP_SEG_IDTR, &s);
	} else {
		switch (name) {
		case HV_X64_REGISTER_RIP: vp->rip = v->reg64; break;
		case HV_X64_REGISTER_RFLAGS: vcpu_set_reg(vp, VP_REG_RFLAGS, v->reg64); break;
		case HV_X64_REGISTER_CR0: vcpu_set_reg(vp, VP_REG_CR0, v->reg64); break;
		case HV_X64_REGISTER_CR3: vcpu_set_reg(vp, VP_REG_CR3, v->reg64); break;
		case HV_X64_REGISTER_CR4: vcpu_set_reg(vp, VP_REG_CR4, v->reg64); break;
		case HV_X64_REGISTER_EFER: vcpu_set_reg(vp, VP_REG_EFER, v->reg64); break;
		case HV_REGISTER_EXPLICIT_SUSPEND: {
			bool suspend = v->reg64 & HV_SUSPEND_REGISTER_SUSPENDED;
			uint16_t st = HV_STATUS_SUCCESS;

			if (suspend)
				st = run_stop(vp) ? HV_STATUS_INVALID_VP_STATE : HV_STATUS_SUCCESS;
			else
				st = run_start(vp);
			if (st == HV_STATUS_SUCCESS)
				vp->suspended = suspend;
			return st;
		}
		case HV_REGISTER_INTERCEPT_SUSPEND:
			/* Clearing it completes the intercept: done at the end
			 * of the call, after the other registers (see call()). */
			if (v->reg64 & HV_SUSPEND_REGISTER_SUSPENDED)
				return vp->intercept_suspended ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
			*resume = vp->intercept_suspended;
			break;
		default: return HV_STATUS_INVALID_PARAMETER;
		}
	}
	return HV_STATUS_SUCCESS;
}

/* ---- handlers ---- */

/* The child named by the partition id that starts every input here. */
static uint16_t target(const struct hypercall *hc, struct partition **p)
{
	uint64_t id;

	memcpy(&id, hc->in, sizeof(id));
	*p = child_by_id(id);
	return *p ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARTITION_ID;
}

uint16_t hc_get_partition_id(struct hypercall *hc)
{
	uint64_t id = hc->vp->partition->id;

	memcpy(hc->out, &id, sizeof(id));
	return HV_STATUS_SUCCESS;
}

uint16_t hc_create_partition(struct hypercall *hc)
{
	uint64_t id;
	uint16_t st = child_create(&id);

	if (!st)
		memcpy(hc->out, &id, sizeof(id));
	return st;
}

/* A child's port ranges without devices (hv/abi/keel_hypercall.h); the
 * parent is no target here, its ports are its hardware's. */
static uint16_t absent_ports_property(struct hypercall *hc, struct partition *p, bool set, uint64_t value)
{
	if (!set) {
		uint64_t v = __atomic_load_n(&p->absent_ports, __ATOMIC_RELAXED);

		memcpy(hc->out, &v, sizeof(v));
		return HV_STATUS_SUCCESS;
	}
	for (unsigned i = 0; i < 2; i++)
		if (keel_absent_first(value, i) > keel_absent_last(value, i))
			return HV_STATUS_INVALID_PARAMETER;
	__atomic_store_n(&p->absent_ports, value, __ATOMIC_RELAXED);
	return HV_STATUS_SUCCESS;
}

uint16_t hc_partition_property(struct hypercall *hc)
{
	struct hv_input_set_partition_property in = { 0 };
	bool set = HV_HYPERCALL_CODE(hc->control) == HVCALL_SET_PARTITION_PROPERTY;
	struct partition *p;
	uint16_t st;

	if ((st = target(hc, &p)))
		return st;
	memcpy(&in, hc->in, hc->in_len);
	if (in.property_code == KEEL_PARTITION_PROPERTY_ABSENT_PORTS)
		return absent_ports_property(hc, p, set, in.property_value);
	/* The TLFS property Keel knows: the CPU weight (1..10000, 100 = default). */
	if (in.property_code != HV_PARTITION_PROPERTY_CPU_WEIGHT)
		return HV_STATUS_INVALID_PARAMETER;
	if (!set) {
		uint64_t w = p->cpu_weight ? p->cpu_weight : SCHED_WEIGHT_DEFAULT;

		memcpy(hc->out, &w, sizeof(w));
		return HV_STATUS_SUCCESS;
	}
	if (in.property_value < SCHED_WEIGHT_MIN || in.property_value > SCHED_WEIGHT_MAX)
		return HV_STATUS_INVALID_PARAMETER;
	p->cpu_weight = (uint32_t)in.property_value;
	for (unsigned i = 0; i < PARTITION_MAX_VPS; i++)
		if (p->vps[i])
			run_set_weight(p->vps[i], p->cpu_weight);
	return HV_STATUS_SUCCESS;
}

uint16_t hc_partition_op(struct hypercall *hc)
{
	struct partition *p;
	uint16_t st = target(hc, &p);

	if (st)
		return st;
	switch (HV_HYPERCALL_CODE(hc->control)) {
	case HVCALL_INITIALIZE_PARTITION: return child_initialize(p);
	case HVCALL_FINALIZE_PARTITION: return child_finalize(p);
	default: return child_delete(p);
	}
}

uint16_t hc_get_memory_balance(struct hypercall *hc)
{
	struct hv_output_get_memory_balance b;
	struct partition *p;
	uint16_t st = target(hc, &p);

	if (st)
		return st;
	b = (struct hv_output_get_memory_balance){ p->pool_free, p->pool_total - p->pool_free };
	memcpy(hc->out, &b, sizeof(b));
	return HV_STATUS_SUCCESS;
}

uint16_t hc_deposit_memory(struct hypercall *hc)
{
	const uint64_t *list = (const uint64_t *)(hc->in + sizeof(struct hv_input_deposit_memory));
	struct partition *p;
	uint16_t st = target(hc, &p);

	for (hc->done = hc->rep_start; !st && hc->done < hc->rep_count; hc->done++)
		if ((st = child_deposit(p, list[hc->done])))
			break;
	return st;
}

uint16_t hc_withdraw_memory(struct hypercall *hc)
{
	uint64_t *list = (uint64_t *)hc->out;
	struct partition *p;
	uint16_t st = target(hc, &p);

	for (hc->done = hc->rep_start; !st && hc->done < hc->rep_count; hc->done++)
		if ((st = child_withdraw(p, &list[hc->done])))
			break;
	return st;
}

uint16_t hc_map_gpa_pages(struct hypercall *hc)
{
	struct hv_input_map_gpa_pages h;
	const uint64_t *list = (const uint64_t *)(hc->in + sizeof(h));
	struct partition *p;
	uint16_t st = target(hc, &p);

	memcpy(&h, hc->in, sizeof(h));
	for (hc->done = hc->rep_start; !st && hc->done < hc->rep_count; hc->done++)
		if ((st = child_map(p, h.target_gpa_base + hc->done, list[hc->done], h.map_flags)))
			break;
	return st;
}

uint16_t hc_unmap_gpa_pages(struct hypercall *hc)
{
	struct hv_input_unmap_gpa_pages h;
	struct partition *p;
	uint16_t st = target(hc, &p);

	memcpy(&h, hc->in, sizeof(h));
	for (hc->done = hc->rep_start; !st && hc->done < hc->rep_count; hc->done++)
		if ((st = child_unmap(p, h.target_gpa_base + hc->done)))
			break;
	return st;
}

uint16_t hc_map_window(struct hypercall *hc)
{
	struct keel_map_window_input h;
	const uint64_t *list = (const uint64_t *)(hc->in + sizeof(h));
	struct partition *p;
	uint16_t st = target(hc, &p);

	memcpy(&h, hc->in, sizeof(h));
	if (!st && (h.reserved || h.window_page >= KEEL_WINDOW_PAGES))
		st = HV_STATUS_INVALID_PARAMETER;
	for (hc->done = hc->rep_start; !st && hc->done < hc->rep_count; hc->done++)
		if ((st = window_map(p, h.window_page + hc->done, list[hc->done], h.flags)))
			break;
	return st;
}

uint16_t hc_unmap_window(struct hypercall *hc)
{
	struct keel_unmap_window_input h;
	struct partition *p;
	uint16_t st = target(hc, &p);

	memcpy(&h, hc->in, sizeof(h));
	if (!st && h.window_page >= KEEL_WINDOW_PAGES)
		st = HV_STATUS_INVALID_PARAMETER;
	for (hc->done = hc->rep_start; !st && hc->done < hc->rep_count; hc->done++)
		if ((st = window_unmap(p, h.window_page + hc->done)))
			break;
	return st;
}

uint16_t hc_create_vp(struct hypercall *hc)
{
	struct hv_input_create_vp c;
	struct partition *p;
	uint16_t st = target(hc, &p);

	if (st)
		return st;
	memcpy(&c, hc->in, sizeof(c));
	return c.flags ? HV_STATUS_INVALID_PARAMETER : child_create_vp(p, c.vp_index);
}

uint16_t hc_delete_vp(struct hypercall *hc)
{
	struct hv_input_delete_vp d;
	struct partition *p;
	uint16_t st = target(hc, &p);

	if (st)
		return st;
	memcpy(&d, hc->in, sizeof(d));
	return child_delete_vp(p, d.vp_index);
}

/* The VP named by a register call's header. */
static uint16_t register_target(const struct hypercall *hc, struct vp **t)
{
	struct hv_input_vp_registers h;
	struct partition *p;
	uint16_t st = target(hc, &p);

	if (st)
		return st;
	memcpy(&h, hc->in, sizeof(h));
	if (h.vp_index >= PARTITION_MAX_VPS || !(*t = p->vps[h.vp_index]))
		return HV_STATUS_INVALID_VP_INDEX;
	return HV_STATUS_SUCCESS;
}

/* A VP's state is on another pCPU while it runs: it must be parked. */
static bool parked(const struct vp *t)
{
	return t->suspended || t->intercept_suspended;
}

uint16_t hc_get_vp_registers(struct hypercall *hc)
{
	const uint32_t *names = (const uint32_t *)(hc->in + sizeof(struct hv_input_vp_registers));
	union hv_register_value *values = (union hv_register_value *)hc->out;
	struct vp *t;
	uint16_t st = register_target(hc, &t);

	if (!st && !parked(t))
		st = HV_STATUS_INVALID_VP_STATE;
	for (hc->done = hc->rep_start; !st && hc->done < hc->rep_count; hc->done++)
		if ((st = get_register(t, names[hc->done], &values[hc->done])))
			break;
	return st;
}

/*
 * Checked per element: once an element clears ExplicitSuspend (the VP
 * runs), any later element but that register stops the call.  Clearing
 * InterceptSuspend completes the intercept after the call's other
 * registers are set.
 */
uint16_t hc_set_vp_registers(struct hypercall *hc)
{
	const struct hv_register_assoc *a =
		(const struct hv_register_assoc *)(hc->in + sizeof(struct hv_input_vp_registers));
	bool resume = false;
	struct vp *t;
	uint16_t st = register_target(hc, &t);

	for (hc->done = hc->rep_start; !st && hc->done < hc->rep_count; hc->done++) {
		const struct hv_register_assoc *e = &a[hc->done];

		if (e->name != HV_REGISTER_EXPLICIT_SUSPEND && !parked(t))
			st = HV_STATUS_INVALID_VP_STATE;
		else
			st = set_register(t, e->name, &e->value, &resume);
		if (st)
			break;
	}
	if (resume)
		intercept_complete(t);
	return st;
}

/*
 * Fixed and lowest-priority interrupts, edge- or level-triggered, for the
 * parent's emulated devices (its IOAPIC).  Physical destination: the VP whose APIC
 * ID is `destination` (the VP index), or every VP for 0xffffffff (0xff in
 * xAPIC terms is left to the caller); logical: every VP whose APIC
 * matches, the first of them for lowest priority.  A level-triggered
 * vector's EOI is reported back to the parent (vp_irq_post_level).  The
 * other types are refused with HV_STATUS_INVALID_PARAMETER; so is a VTL
 * other than 0 and a vector below 16.  No VP matching is not an error (as on a bus).
 */
uint16_t hc_assert_virtual_interrupt(struct hypercall *hc)
{
	struct hv_input_assert_virtual_interrupt in;
	struct partition *p;
	uint16_t st = target(hc, &p);
	bool logical, lowest, level;

	if (st)
		return st;
	memcpy(&in, hc->in, sizeof(in));
	if (in.reserved0 || in.reserved1 || in.target_vtl || in.vector < 16 || in.vector > 255 ||
	    (in.control.flags & ~(HV_INTERRUPT_CONTROL_LEVEL_TRIGGERED | HV_INTERRUPT_CONTROL_LOGICAL_DEST)) ||
	    (in.control.interrupt_type != HV_X64_INTERRUPT_TYPE_FIXED &&
	     in.control.interrupt_type != HV_X64_INTERRUPT_TYPE_LOWEST_PRIORITY))
		return HV_STATUS_INVALID_PARAMETER;
	logical = in.control.flags & HV_INTERRUPT_CONTROL_LOGICAL_DEST;
	level = in.control.flags & HV_INTERRUPT_CONTROL_LEVEL_TRIGGERED;
	lowest = in.control.interrupt_type == HV_X64_INTERRUPT_TYPE_LOWEST_PRIORITY;
	/* The parent's calls run one at a time on its one VP: no VP of p is
	 * created or deleted meanwhile.  A matching VP's APIC ID and (x2APIC)
	 * logical ID follow from its index and never change. */
	for (unsigned i = 0; i < PARTITION_MAX_VPS; i++) {
		struct vp *t = p->vps[i];

		if (!t)
			continue;
		if (logical ? !vlapic_match(&t->lapic, (uint32_t)in.destination, true, true)
			    : !(in.destination == 0xffffffffu || in.destination == t->index))
			continue;
		if (level)
			vp_irq_post_level(t, (uint8_t)in.vector);
		else
			vp_irq_post(t, (uint8_t)in.vector);
		run_kick(t);
		if (lowest)
			break;
	}
	return HV_STATUS_SUCCESS;
}

