/* Intercept messages for the parent; contract in intercept.h. */
#include "hv/intercept.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/guest_mem.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/partition.h"
#include "hv/run.h"
#include "hv/synic.h"
#include "hv/vcpu_ops.h"

#define CS_ATTR_L (1u << 13) /* TLFS segment attributes: L is bit 13, D/B 14 */
#define CS_ATTR_D (1u << 14)

static struct hv_x64_segment_register segment(struct vp *vp, enum vp_seg which)
{
	struct vp_segment s;

	vcpu_get_segment(vp, which, &s);
	return (struct hv_x64_segment_register){ s.base, s.limit, s.selector, s.attributes };
}

/* The common header; returns the instruction's linear address. */
static uint64_t fill_header(struct vp *vp, struct hv_x64_intercept_message_header *h, uint8_t access)
{
	uint64_t cr0 = vcpu_get_reg(vp, VP_REG_CR0), efer = vcpu_get_reg(vp, VP_REG_EFER);
	bool long_mode;

	h->vp_index = vp->index;
	h->instruction_length = vp->exit.next_rip > vp->rip && vp->exit.next_rip - vp->rip <= 15
					? (uint8_t)(vp->exit.next_rip - vp->rip) : 0;
	h->intercept_access_type = access;
	h->execution_state = (uint16_t)((vcpu_get_reg(vp, VP_REG_CPL) & HV_X64_EXEC_STATE_CPL_MASK) |
					(cr0 & CR0_PE ? HV_X64_EXEC_STATE_CR0_PE : 0) |
					(efer & EFER_LMA ? HV_X64_EXEC_STATE_EFER_LMA : 0));
	h->cs_segment = segment(vp, VP_SEG_CS);
	h->rip = vp->rip;
	h->rflags = vcpu_get_reg(vp, VP_REG_RFLAGS);
	long_mode = (efer & EFER_LMA) && (h->cs_segment.attributes & CS_ATTR_L);
	return long_mode ? vp->rip : (uint32_t)(h->cs_segment.base + vp->rip);
}

/* Up to 16 instruction bytes at linear `la`; how many could be read. */
static uint8_t fetch(struct vp *vp, uint64_t la, uint8_t bytes[16])
{
	struct guest_paging g = { vcpu_get_reg(vp, VP_REG_CR0), vcpu_get_reg(vp, VP_REG_CR3),
				  vcpu_get_reg(vp, VP_REG_CR4), vcpu_get_reg(vp, VP_REG_EFER) };

	memset(bytes, 0, 16);
	return (uint8_t)guest_read_linear(vp->partition, &g, la, bytes, 16);
}

static bool send(struct vp *vp, uint32_t type, uint8_t size)
{
	vp->intercept.msg.header.message_type = type;
	vp->intercept.msg.header.payload_size = size;
	vp->intercept.msg.header.message_flags = 0;
	vp->intercept.msg.header.sender = vp->partition->id;
	vp->intercept_built = true;
	run_wait_intercept(vp);
	return false;
}

bool intercept_io(struct vp *vp)
{
	struct hv_x64_io_port_intercept_message *m = &vp->intercept.msg.io_port;
	const struct vm_exit *e = &vp->exit;
	uint64_t la;

	memset(m, 0, sizeof(*m));
	la = fill_header(vp, &m->header, e->io.in ? HV_INTERCEPT_ACCESS_READ : HV_INTERCEPT_ACCESS_WRITE);
	m->port_number = e->io.port;
	m->access_info = (uint8_t)((e->io.size & HV_X64_IO_ACCESS_SIZE_MASK) |
				   (e->io.string ? HV_X64_IO_ACCESS_STRING_OP : 0) |
				   (e->io.rep ? HV_X64_IO_ACCESS_REP_PREFIX : 0));
	/* IN and OUT need no decoding once their length is known. */
	if (e->io.string || !m->header.instruction_length)
		m->instruction_byte_count = fetch(vp, la, m->instruction_bytes);
	m->rax = vp->gpr[GPR_RAX];
	m->ds_segment = segment(vp, VP_SEG_DS);
	m->es_segment = segment(vp, VP_SEG_ES);
	m->rcx = vp->gpr[GPR_RCX];
	m->rsi = vp->gpr[GPR_RSI];
	m->rdi = vp->gpr[GPR_RDI];
	return send(vp, HV_MESSAGE_TYPE_X64_IO_PORT_INTERCEPT, sizeof(*m));
}

bool intercept_unmapped_gpa(struct vp *vp)
{
	struct hv_x64_memory_intercept_message *m = &vp->intercept.msg.memory;
	const struct vm_exit *e = &vp->exit;
	uint8_t access = e->gpa_fault.access & VM_ACCESS_EXEC    ? HV_INTERCEPT_ACCESS_EXECUTE
			 : e->gpa_fault.access & VM_ACCESS_WRITE ? HV_INTERCEPT_ACCESS_WRITE
								 : HV_INTERCEPT_ACCESS_READ;
	uint64_t la;

	memset(m, 0, sizeof(*m));
	la = fill_header(vp, &m->header, access);
	m->cache_type = HV_CACHE_TYPE_UNCACHED;
	m->instruction_byte_count = fetch(vp, la, m->instruction_bytes);
	m->guest_physical_address = e->gpa_fault.gpa;
	m->ds_segment = segment(vp, VP_SEG_DS);
	m->ss_segment = segment(vp, VP_SEG_SS);
	memcpy(&m->rax, vp->gpr, sizeof(vp->gpr)); /* rax..r15 in the GPR order */
	m->rsp = vcpu_get_reg(vp, VP_REG_RSP);
	return send(vp, HV_MESSAGE_TYPE_UNMAPPED_GPA, sizeof(*m));
}

bool intercept_apic_eoi(struct vp *vp)
{
	struct hv_x64_apic_eoi_message *m = &vp->intercept.msg.apic_eoi;

	m->vp_index = vp->index;
	m->interrupt_vector = vp->level_eoi;
	vp->level_eoi = 0;
	return send(vp, HV_MESSAGE_TYPE_X64_APIC_EOI, sizeof(*m));
}

void intercept_post(struct vp *vp)
{
	vp->intercept_built = false;
	vp->intercept_suspended = true;
	synic_post(vp);
}

void intercept_complete(struct vp *vp)
{
	/* Completed before the parent saw it: the message is stale.  (The VP
	 * waits, so nothing posts for it meanwhile; intercept.link.queued is stable.) */
	if (vp->intercept.link.queued)
		synic_cancel(vp);
	vp->intercept_suspended = false;
	run_resume_intercept(vp);
}
