/*
 * Task switches of a VT-x guest.  They cannot run in VMX non-root
 * operation: every CALL or JMP to a TSS or task gate, IRET with NT set and
 * event delivery through a task gate in the IDT exits (reason 9, SDM
 * vol. 3 §26.4.2) after the CPU has checked the gate.  The switch is done
 * here as the processor does it (SDM vol. 3 §8.3, 32-bit TSS):
 *   1. the new TSS's descriptor must be a present 32-bit TSS, available
 *      (busy for IRET), its limit at least 0x67; else #GP, #TS or #NP;
 *   2. the old task's EIP, EFLAGS, general registers and selectors go to
 *      its TSS (read and written through the old paging);
 *   3. JMP and IRET clear the old descriptor's busy bit, all but IRET set
 *      the new one's; CALL and a gate write the back link and set NT;
 *   4. TR, CR0.TS, CR3 (with the PDPTEs under PAE), EIP, EFLAGS, the
 *      registers, LDTR and the segments come from the new TSS; a fault
 *      while loading the segments is the new task's (#TS, #NP);
 *   5. an exception with an error code pushes it on the new stack.
 * The event a task gate delivered is consumed, not delivered again.  A
 * 16-bit TSS is not emulated: that partition is crashed with a reason.
 */
#include <stddef.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/guest_mem.h"
#include "arch/x86/vmx/vmx.h"
#include "hv/partition.h"
#include "hv/vcpu_ops.h"

/* Exit qualification bits 31:30 (SDM vol. 3 Table 28-2). */
enum { SOURCE_CALL, SOURCE_IRET, SOURCE_JMP, SOURCE_GATE };

#define TSS32_MIN_LIMIT 0x67u
#define TYPE_TSS32      0x9u /* available; busy is 0xb */
#define TYPE_BUSY       0x2u
#define TYPE_LDT        0x2u

/* The 32-bit TSS (SDM vol. 3 Figure 8-2): registers in the encoding
 * order of GPR_*, selectors in the order of VP_SEG_ES..GS. */
struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t gpr[8];
	uint32_t seg[6];
	uint32_t ldt;
	uint16_t trap, iomap;
};
_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS");
_Static_assert(offsetof(struct tss32, eip) == 0x20 && offsetof(struct tss32, seg) == 0x48 &&
		       offsetof(struct tss32, ldt) == 0x60,
	       "32-bit TSS layout");
#define TSS_DYNAMIC_FIRST offsetof(struct tss32, eip) /* what a switch saves: EIP .. GS */
#define TSS_DYNAMIC_SIZE  (offsetof(struct tss32, ldt) - TSS_DYNAMIC_FIRST)

struct task_switch {
	struct vp *vp;
	struct guest_paging paging;
	uint64_t gdt_base;
	uint32_t gdt_limit;
	/* A fault to raise instead (vector, error code); 0 = none. */
	uint8_t fault;
	uint32_t fault_error;
};

static bool fault(struct task_switch *t, uint8_t vector, uint16_t selector)
{
	t->fault = vector;
	t->fault_error = selector & 0xfffc;
	return false;
}

/* A descriptor in the GDT or the LDT (SDM vol. 3 §3.4.5). */
static bool read_descriptor(struct task_switch *t, uint16_t selector, uint64_t *desc, uint64_t *where)
{
	uint64_t base = t->gdt_base;
	uint32_t limit = t->gdt_limit;

	if (selector & 4) {
		struct vp_segment ldtr;

		vcpu_get_segment(t->vp, VP_SEG_LDTR, &ldtr);
		if (!ldtr.attributes)
			return false;
		base = ldtr.base;
		limit = ldtr.limit;
	}
	if ((uint32_t)(selector | 7) > limit)
		return false;
	*where = base + (selector & ~7u);
	return guest_read_linear(t->vp->partition, &t->paging, *where, desc, 8) == 8;
}

static bool write_descriptor(struct task_switch *t, uint64_t where, uint64_t desc)
{
	return guest_write_linear(t->vp->partition, &t->paging, where, &desc, 8) == 8;
}

static unsigned desc_type(uint64_t d) { return (d >> 40) & 0xf; }
static bool desc_present(uint64_t d) { return d & (1ull << 47); }
static bool desc_system(uint64_t d) { return !(d & (1ull << 44)); }
static unsigned desc_dpl(uint64_t d) { return (d >> 45) & 3; }

/* The hidden part a selector load caches (VMX access-rights form). */
static struct vp_segment desc_segment(uint16_t selector, uint64_t d)
{
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));

	if (d & (1ull << 55)) /* G: 4 KiB units */
		limit = (limit << 12) | 0xfff;
	return (struct vp_segment){
		.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24),
		.limit = limit,
		.selector = selector,
		.attributes = (uint16_t)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 12)),
	};
}

/* The new task's LDTR and segments; a fault here is raised in the new
 * task (SDM vol. 3 §8.3, step 12 onwards). */
static bool load_segments(struct task_switch *t, const struct tss32 *n)
{
	static const enum vp_seg order[] = { VP_SEG_CS, VP_SEG_SS, VP_SEG_DS, VP_SEG_ES, VP_SEG_FS, VP_SEG_GS };
	uint16_t ldt = (uint16_t)n->ldt, cs = (uint16_t)n->seg[VP_SEG_CS];
	struct vp_segment seg = { 0 };
	uint64_t d, where;

	if (ldt & ~3u) {
		if ((ldt & 4) || !read_descriptor(t, ldt, &d, &where) || !desc_system(d) || desc_type(d) != TYPE_LDT)
			return fault(t, X86_EXC_TS, ldt);
		if (!desc_present(d))
			return fault(t, X86_EXC_NP, ldt);
		seg = desc_segment(ldt, d);
	}
	vcpu_set_segment(t->vp, VP_SEG_LDTR, &seg);

	if (n->eflags & RFLAGS_VM) {
		/* Virtual-8086 mode: real-mode style segments at CPL 3. */
		for (unsigned i = 0; i < 6; i++) {
			seg = (struct vp_segment){ (uint64_t)(uint16_t)n->seg[order[i]] << 4, 0xffff,
						   (uint16_t)n->seg[order[i]], 0xf3 };
			vcpu_set_segment(t->vp, order[i], &seg);
		}
		return true;
	}
	for (unsigned i = 0; i < 6; i++) {
		uint16_t sel = (uint16_t)n->seg[order[i]];
		bool code = order[i] == VP_SEG_CS, stack = order[i] == VP_SEG_SS;

		if (!(sel & ~3u)) {
			if (code || stack)
				return fault(t, X86_EXC_TS, sel);
			seg = (struct vp_segment){ 0, 0, sel, 0 }; /* null: unusable */
			vcpu_set_segment(t->vp, order[i], &seg);
			continue;
		}
		if (!read_descriptor(t, sel, &d, &where) || desc_system(d))
			return fault(t, X86_EXC_TS, sel);
		/* CS code at DPL = its RPL (conforming: DPL <= RPL); SS writable
		 * data at DPL = RPL = CS.RPL; the others readable. */
		if (code && (!(desc_type(d) & 8) || ((desc_type(d) & 4) ? desc_dpl(d) > (sel & 3u)
								       : desc_dpl(d) != (sel & 3u))))
			return fault(t, X86_EXC_TS, sel);
		if (stack && ((desc_type(d) & 0xa) != 2 || desc_dpl(d) != (cs & 3u) || (sel & 3u) != (cs & 3u)))
			return fault(t, X86_EXC_TS, sel);
		if (!code && !stack && (desc_type(d) & 0xa) == 8) /* execute-only code */
			return fault(t, X86_EXC_TS, sel);
		if (!desc_present(d))
			return fault(t, stack ? X86_EXC_SS : X86_EXC_NP, sel);
		d |= 1ull << 40; /* accessed, as the load marks it */
		seg = desc_segment(sel, d);
		vcpu_set_segment(t->vp, order[i], &seg);
	}
	return true;
}

/* CR3 of the new task; under PAE paging its four PDPTEs are loaded as
 * MOV to CR3 would (SDM vol. 3 §4.4.1), and translations of the old
 * address space are dropped. */
static bool load_cr3(struct task_switch *t, uint32_t cr3)
{
	struct vp *vp = t->vp;

	if (!(t->paging.cr0 & CR0_PG))
		return true;
	if ((t->paging.cr4 & CR4_PAE) && !(t->paging.efer & EFER_LMA)) {
		const uint64_t *pdpte = partition_gpa_to_hva(vp->partition, cr3 & ~0x1fu, 32, false);

		if (!pdpte)
			return false;
		for (unsigned i = 0; i < 4; i++)
			vmwrite(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	}
	vcpu_set_reg(vp, VP_REG_CR3, cr3);
	vcpu_flush_slat(vp);
	return true;
}

/* Returns NULL when the switch is done (or ends in a fault the guest
 * gets), else why the partition cannot go on. */
static const char *task_switch(struct task_switch *t, uint16_t selector, unsigned source, uint32_t idt)
{
	struct vp *vp = t->vp;
	struct vp_segment tr, gdtr;
	uint64_t old_desc, new_desc, old_where, new_where;
	struct tss32 old, new;
	uint64_t rflags = vcpu_get_reg(vp, VP_REG_RFLAGS);
	uint32_t eip = (uint32_t)vp->rip;
	unsigned type = idt & VMX_INTR_TYPE_MASK;
	bool nested = source == SOURCE_CALL || source == SOURCE_GATE;

	vcpu_get_segment(vp, VP_SEG_GDTR, &gdtr);
	vcpu_get_segment(vp, VP_SEG_TR, &tr);
	t->gdt_base = gdtr.base;
	t->gdt_limit = gdtr.limit;

	/* The old task resumes after the instruction unless a fault, an
	 * external interrupt or an NMI came through the gate. */
	if (source != SOURCE_GATE || !(idt & VMX_INTR_VALID) ||
	    (type != VMX_INTR_TYPE_EXCEPTION && type != VMX_INTR_TYPE_EXTERNAL && type != VMX_INTR_TYPE_NMI))
		eip += (uint32_t)vmread(VMCS_EXIT_INSTRUCTION_LENGTH);

	/* 1. The new TSS. */
	if ((selector & 4) || !read_descriptor(t, selector, &new_desc, &new_where) || !desc_system(new_desc))
		return fault(t, source == SOURCE_IRET ? X86_EXC_TS : X86_EXC_GP, selector), NULL;
	if ((desc_type(new_desc) & ~TYPE_BUSY) == 0x1)
		return "a task switch to a 16-bit TSS (not emulated)";
	if ((desc_type(new_desc) & ~TYPE_BUSY) != TYPE_TSS32 ||
	    !!(desc_type(new_desc) & TYPE_BUSY) != (source == SOURCE_IRET))
		return fault(t, source == SOURCE_IRET ? X86_EXC_TS : X86_EXC_GP, selector), NULL;
	if (!desc_present(new_desc))
		return fault(t, X86_EXC_NP, selector), NULL;
	if (desc_segment(selector, new_desc).limit < TSS32_MIN_LIMIT)
		return fault(t, X86_EXC_TS, selector), NULL;
	if ((tr.attributes & 0xf) != (TYPE_TSS32 | TYPE_BUSY))
		return "a task switch from a 16-bit TSS (not emulated)";
	if (tr.limit < TSS32_MIN_LIMIT)
		return fault(t, X86_EXC_TS, tr.selector), NULL;
	if (guest_read_linear(vp->partition, &t->paging, desc_segment(selector, new_desc).base, &new,
			      sizeof(new)) != sizeof(new))
		return "a task switch to a TSS outside the guest's memory";
	if ((tr.selector & ~7u) != (selector & ~7u) && !read_descriptor(t, tr.selector, &old_desc, &old_where))
		return "a task switch from a TSS whose descriptor is gone";

	/* 2. The old task's state into its TSS. */
	old.eip = eip;
	old.eflags = (uint32_t)(source == SOURCE_IRET ? rflags & ~RFLAGS_NT : rflags);
	for (unsigned i = 0; i < 8; i++)
		old.gpr[i] = (uint32_t)(i == GPR_RSP ? vcpu_get_reg(vp, VP_REG_RSP) : vp->gpr[i]);
	for (unsigned i = 0; i < 6; i++) {
		struct vp_segment s;

		vcpu_get_segment(vp, (enum vp_seg)i, &s);
		old.seg[i] = s.selector;
	}
	if (guest_write_linear(vp->partition, &t->paging, tr.base + TSS_DYNAMIC_FIRST,
			       (const uint8_t *)&old + TSS_DYNAMIC_FIRST, TSS_DYNAMIC_SIZE) != TSS_DYNAMIC_SIZE)
		return "a task switch from a TSS the guest cannot write";

	/* 3. Busy bits and the back link. */
	if ((tr.selector & ~7u) == (selector & ~7u))
		old_where = new_where, old_desc = new_desc;
	if (source == SOURCE_JMP || source == SOURCE_IRET) {
		old_desc &= ~(1ull << 41);
		if (!write_descriptor(t, old_where, old_desc))
			return "a task switch with a read-only GDT";
		if (old_where == new_where)
			new_desc = old_desc;
	}
	if (source != SOURCE_IRET && !write_descriptor(t, new_where, new_desc | (1ull << 41)))
		return "a task switch with a read-only GDT";
	if (nested) {
		uint16_t link = tr.selector;

		new.link = link;
		new.eflags |= RFLAGS_NT;
		if (guest_write_linear(vp->partition, &t->paging, desc_segment(selector, new_desc).base, &link,
				       2) != 2)
			return "a task switch to a TSS the guest cannot write";
	}

	/* 4. The new task. */
	tr = desc_segment(selector, new_desc | (1ull << 41));
	vcpu_set_segment(vp, VP_SEG_TR, &tr);
	vcpu_set_reg(vp, VP_REG_CR0, vcpu_get_reg(vp, VP_REG_CR0) | CR0_TS);
	if (!load_cr3(t, new.cr3))
		return "a task switch to page tables outside the guest's memory";
	t->paging.cr3 = new.cr3;
	vp->rip = new.eip;
	vcpu_set_reg(vp, VP_REG_RFLAGS, new.eflags);
	for (unsigned i = 0; i < 8; i++) {
		if (i == GPR_RSP)
			vcpu_set_reg(vp, VP_REG_RSP, new.gpr[i]);
		else
			vp->gpr[i] = new.gpr[i];
	}
	if (!load_segments(t, &new))
		return NULL; /* the new task's fault */

	/* 5. The error code of the exception the gate delivered. */
	if (source == SOURCE_GATE && (idt & VMX_INTR_VALID) && (idt & VMX_INTR_ERROR_VALID)) {
		struct vp_segment ss;
		uint32_t error = (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR), esp = new.gpr[GPR_RSP] - 4;
		bool big;

		vcpu_get_segment(vp, VP_SEG_SS, &ss);
		big = ss.attributes & (1u << 14); /* B: ESP, else SP (which wraps) */
		if (!big)
			esp = (new.gpr[GPR_RSP] & 0xffff0000u) | (esp & 0xffff);
		if (guest_write_linear(vp->partition, &t->paging, (uint32_t)(ss.base + (big ? esp : esp & 0xffff)),
				       &error, 4) != 4)
			return "a task switch whose new stack the guest cannot write";
		vcpu_set_reg(vp, VP_REG_RSP, esp);
	}
	return NULL;
}

void vmx_task_switch(struct vmx_vp *s)
{
	struct vp *vp = s->vp;
	uint64_t qual = vmread(VMCS_EXIT_QUALIFICATION);
	uint32_t idt = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
	unsigned source = (qual >> 30) & 3;
	struct task_switch t = {
		.vp = vp,
		.paging = { vcpu_get_reg(vp, VP_REG_CR0), vcpu_get_reg(vp, VP_REG_CR3), vcpu_get_reg(vp, VP_REG_CR4),
			    vcpu_get_reg(vp, VP_REG_EFER) },
	};
	const char *why;

	/* The event the gate delivered is the switch: not delivered again. */
	if (source == SOURCE_GATE)
		vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	why = task_switch(&t, (uint16_t)qual, source, idt);
	if (why)
		partition_crash(vp->partition, why);
	else if (t.fault)
		vcpu_inject_exception(vp, t.fault, true, t.fault_error);
}
