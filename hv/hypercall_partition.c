/*
 * The TLFS partition-management hypercalls (TLFS "Partition Management",
 * "Virtual Processor Management", "Memory Management"), parent only.
 * Input is copied once into a private buffer and validated there; output is
 * built privately and copied out.  Rep calls resume at the rep start index
 * and report the index reached (TLFS §3.7).  The buffers are static:
 * hypercalls of the parent run on one pCPU at a time (it has one VP).
 */
#include "hv/hypercall_partition.h"

#include <string.h>

#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/child.h"
#include "hv/intercept.h"
#include "hv/partition.h"
#include "hv/run.h"
#include "hv/vcpu_ops.h"

static uint8_t input[HV_PAGE_SIZE] __attribute__((aligned(8)));
static uint8_t output[HV_PAGE_SIZE] __attribute__((aligned(8)));

/* Copy `size` bytes of input from the caller's GPA (8-byte aligned, within
 * one page).  Returns a TLFS status. */
static uint16_t read_input(struct vp *vp, uint64_t gpa, size_t size)
{
	const void *src;

	if (gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if (size == 0)
		return HV_STATUS_SUCCESS;
	src = partition_gpa_to_hva(vp->partition, gpa, size, false);
	if (!src)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(input, src, size);
	return HV_STATUS_SUCCESS;
}

static uint16_t write_output(struct vp *vp, uint64_t gpa, size_t size)
{
	void *dst;

	if (gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	dst = partition_gpa_to_hva(vp->partition, gpa, size, true);
	if (!dst)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(dst, output, size);
	return HV_STATUS_SUCCESS;
}

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

/* ---- dispatch ---- */

/* The partition named at the start of the input, with `size` bytes read. */
static uint16_t target(struct vp *vp, size_t size, struct partition **p)
{
	uint16_t st = read_input(vp, vp->gpr[GPR_RDX], size);
	uint64_t id;

	if (st)
		return st;
	memcpy(&id, input, sizeof(id));
	*p = child_by_id(id);
	return *p ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARTITION_ID;
}

/* Run reps [start, count) of fn; returns status, sets *done to the index reached. */
#define FOR_REPS(i, start, count, done, body)   \
	do {                                     \
		for (i = (start); i < (count); i++) { \
			uint16_t rep_status_ = (body);   \
			if (rep_status_) {               \
				*(done) = i;             \
				return rep_status_;      \
			}                                \
		}                                        \
		*(done) = i;                             \
	} while (0)

static uint16_t call(struct vp *vp, uint16_t code, uint32_t reps, uint32_t start, uint32_t *done);

bool hypercall_partition(struct vp *vp, uint16_t code, uint64_t control, uint16_t *status, uint32_t *done)
{
	uint32_t reps = HV_HYPERCALL_REP_COUNT(control), start = HV_HYPERCALL_REP_START(control);

	*done = 0;
	switch (code) {
	case HVCALL_CREATE_PARTITION:
	case HVCALL_INITIALIZE_PARTITION:
	case HVCALL_FINALIZE_PARTITION:
	case HVCALL_DELETE_PARTITION:
	case HVCALL_GET_PARTITION_ID:
	case HVCALL_DEPOSIT_MEMORY:
	case HVCALL_WITHDRAW_MEMORY:
	case HVCALL_GET_MEMORY_BALANCE:
	case HVCALL_MAP_GPA_PAGES:
	case HVCALL_UNMAP_GPA_PAGES:
	case HVCALL_CREATE_VP:
	case HVCALL_DELETE_VP:
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
	case HVCALL_GET_PARTITION_PROPERTY:
	case HVCALL_SET_PARTITION_PROPERTY:
		break;
	default:
		return false;
	}
	if (!vp->partition->is_parent) {
		*status = HV_STATUS_ACCESS_DENIED;
		return true;
	}
	if ((control & HV_HYPERCALL_FAST) || start > reps) {
		/* All of these are memory-based; a rep start past the count is
		 * malformed (TLFS §3.7). */
		*status = HV_STATUS_INVALID_HYPERCALL_INPUT;
		return true;
	}
	*status = call(vp, code, reps, start, done);
	return true;
}

static uint16_t call(struct vp *vp, uint16_t code, uint32_t reps, uint32_t start, uint32_t *done)
{
	struct partition *p;
	uint64_t out = vp->gpr[GPR_R8];
	uint16_t st;
	uint32_t i;

	switch (code) {
	case HVCALL_GET_PARTITION_ID:
		memcpy(output, &vp->partition->id, 4);
		memset(output + 4, 0, 4);
		return write_output(vp, out, 8);
	case HVCALL_CREATE_PARTITION: {
		uint64_t id;

		if ((st = read_input(vp, vp->gpr[GPR_RDX], sizeof(struct hv_input_create_partition))))
			return st;
		if ((st = child_create(&id)))
			return st;
		memcpy(output, &id, 8);
		if ((st = write_output(vp, out, 8))) {
			struct partition *np = partition_get(id);

			child_finalize(np);
			child_delete(np);
		}
		return st;
	}
	case HVCALL_GET_PARTITION_PROPERTY:
	case HVCALL_SET_PARTITION_PROPERTY: {
		struct hv_input_set_partition_property in;
		bool set = code == HVCALL_SET_PARTITION_PROPERTY;

		if ((st = target(vp, set ? sizeof(in) : sizeof(struct hv_input_get_partition_property), &p)))
			return st;
		memcpy(&in, input, set ? sizeof(in) : sizeof(struct hv_input_get_partition_property));
		/* Keel knows one property: the CPU weight (1..10000, 100 = default). */
		if (in.property_code != HV_PARTITION_PROPERTY_CPU_WEIGHT)
			return HV_STATUS_INVALID_PARAMETER;
		if (!set) {
			uint64_t w = p->cpu_weight ? p->cpu_weight : SCHED_WEIGHT_DEFAULT;

			memcpy(output, &w, 8);
			return write_output(vp, out, 8);
		}
		if (in.property_value < SCHED_WEIGHT_MIN || in.property_value > SCHED_WEIGHT_MAX)
			return HV_STATUS_INVALID_PARAMETER;
		p->cpu_weight = (uint32_t)in.property_value;
		for (i = 0; i < PARTITION_MAX_VPS; i++)
			if (p->vps[i])
				run_set_weight(p->vps[i], p->cpu_weight);
		return HV_STATUS_SUCCESS;
	}
	case HVCALL_INITIALIZE_PARTITION:
		return (st = target(vp, 8, &p)) ? st : child_initialize(p);
	case HVCALL_FINALIZE_PARTITION:
		return (st = target(vp, 8, &p)) ? st : child_finalize(p);
	case HVCALL_DELETE_PARTITION:
		return (st = target(vp, 8, &p)) ? st : child_delete(p);
	case HVCALL_GET_MEMORY_BALANCE: {
		struct hv_output_get_memory_balance b;

		if ((st = target(vp, 8, &p)))
			return st;
		b = (struct hv_output_get_memory_balance){ p->pool_free, p->pool_total - p->pool_free };
		memcpy(output, &b, sizeof(b));
		return write_output(vp, out, sizeof(b));
	}
	case HVCALL_DEPOSIT_MEMORY: {
		const uint64_t *list = (const uint64_t *)(input + 8);

		if (reps > HV_DEPOSIT_MEMORY_MAX_PAGES)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		if ((st = target(vp, 8 + 8ull * reps, &p)))
			return st;
		FOR_REPS(i, start, reps, done, child_deposit(p, list[i]));
		return HV_STATUS_SUCCESS;
	}
	case HVCALL_WITHDRAW_MEMORY: {
		uint64_t *list = (uint64_t *)output;

		if (reps > HV_WITHDRAW_MEMORY_MAX_PAGES || !reps)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		if ((st = target(vp, sizeof(struct hv_input_withdraw_memory), &p)))
			return st;
		/* Check the output first: pages withdrawn must be reported. */
		if (!partition_gpa_to_hva(vp->partition, out, 8ull * reps, true) || (out & 7))
			return HV_STATUS_INVALID_PARAMETER;
		memset(output, 0, 8ull * reps);
		for (i = start; i < reps; i++)
			if ((st = child_withdraw(p, &list[i])))
				break;
		*done = i;
		write_output(vp, out, 8ull * reps);
		return i == reps ? HV_STATUS_SUCCESS : st;
	}
	case HVCALL_MAP_GPA_PAGES: {
		struct hv_input_map_gpa_pages h;
		const uint64_t *list = (const uint64_t *)(input + sizeof(h));

		if (reps > HV_MAP_GPA_MAX_PAGES)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		if ((st = target(vp, sizeof(h) + 8ull * reps, &p)))
			return st;
		memcpy(&h, input, sizeof(h));
		FOR_REPS(i, start, reps, done, child_map(p, h.target_gpa_base + i, list[i], h.map_flags));
		return HV_STATUS_SUCCESS;
	}
	case HVCALL_UNMAP_GPA_PAGES: {
		struct hv_input_unmap_gpa_pages h;

		if ((st = target(vp, sizeof(h), &p)))
			return st;
		memcpy(&h, input, sizeof(h));
		FOR_REPS(i, start, reps, done, child_unmap(p, h.target_gpa_base + i));
		return HV_STATUS_SUCCESS;
	}
	case HVCALL_CREATE_VP: {
		struct hv_input_create_vp c;

		if ((st = target(vp, sizeof(c), &p)))
			return st;
		memcpy(&c, input, sizeof(c));
		return c.flags ? HV_STATUS_INVALID_PARAMETER : child_create_vp(p, c.vp_index);
	}
	case HVCALL_DELETE_VP: {
		struct hv_input_delete_vp d;

		if ((st = target(vp, sizeof(d), &p)))
			return st;
		memcpy(&d, input, sizeof(d));
		return child_delete_vp(p, d.vp_index);
	}
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS: {
		bool get = code == HVCALL_GET_VP_REGISTERS;
		size_t elem = get ? 4 : sizeof(struct hv_register_assoc);
		struct hv_input_vp_registers h;
		struct vp *tvp;

		if (reps > (get ? HV_GET_VP_REGISTERS_MAX : HV_SET_VP_REGISTERS_MAX))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		if ((st = target(vp, sizeof(h) + elem * reps, &p)))
			return st;
		memcpy(&h, input, sizeof(h));
		if (h.vp_index >= PARTITION_MAX_VPS || !(tvp = p->vps[h.vp_index]))
			return HV_STATUS_INVALID_VP_INDEX;
		/* Its state is on another pCPU while it runs: it must wait
		 * (suspended, or in an intercept) unless only the explicit
		 * suspend register is set. */
		if (!tvp->suspended && !tvp->intercept_suspended && !(code == HVCALL_SET_VP_REGISTERS && reps - start == 1 &&
					  ((const struct hv_register_assoc *)(input + sizeof(h)))[start].name ==
						  HV_REGISTER_EXPLICIT_SUSPEND))
			return HV_STATUS_INVALID_VP_STATE;
		if (get) {
			union hv_register_value *values = (union hv_register_value *)output;
			const uint32_t *names = (const uint32_t *)(input + sizeof(h));

			for (i = start; i < reps; i++)
				if ((st = get_register(tvp, names[i], &values[i])))
					break;
			*done = i;
			if (i > start && write_output(vp, out, sizeof(*values) * reps))
				return HV_STATUS_INVALID_PARAMETER;
			return i == reps ? HV_STATUS_SUCCESS : st;
		}
		{
			const struct hv_register_assoc *a = (const struct hv_register_assoc *)(input + sizeof(h));
			bool resume = false;

			/* Checked per element: a call that starts the VP
			 * (ExplicitSuspend = 0) writes nothing after that. */
			for (i = start; i < reps; i++) {
				if (a[i].name != HV_REGISTER_EXPLICIT_SUSPEND && !tvp->suspended &&
				    !tvp->intercept_suspended) {
					st = HV_STATUS_INVALID_VP_STATE;
					break;
				}
				if ((st = set_register(tvp, a[i].name, &a[i].value, &resume)))
					break;
			}
			*done = i;
			if (resume)
				intercept_complete(tvp);
			return i == reps ? HV_STATUS_SUCCESS : st;
		}
	}
	}
	return HV_STATUS_INVALID_HYPERCALL_CODE;
}
