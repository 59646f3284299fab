/* SynIC registers and message delivery; contract in synic.h. */
#include "hv/synic.h"

#include <string.h>

#include "arch/x86/apic.h"
#include "hv/partition.h"
#include "hv/pcpu.h"
#include "hv/vcpu_ops.h"

void synic_init(struct synic *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		s->sint[i] = HV_SYNIC_SINT_RESET_VALUE;
}

/* The receiver's SINT0 slot, or NULL while its SynIC or SIM page is off. */
static struct hv_message *sint0_slot(struct vp *t)
{
	struct synic *s = &t->synic;
	struct hv_message_page *page;

	if (!(s->scontrol & HV_SYNIC_SCONTROL_ENABLE) || !(s->simp & HV_SYNIC_PAGE_ENABLE))
		return NULL;
	page = partition_gpa_to_hva(t->partition, s->simp & HV_SYNIC_PAGE_GPA_MASK, 4096, true);
	return page ? &page->sint_message[HV_SYNIC_INTERCEPTION_SINT] : NULL;
}

/* Raise SINT0's vector on the receiver's pCPU unless it polls (or masked
 * it).  The receiver is the parent's VP, which owns the BSP and takes its
 * interrupts directly. */
static void notify(struct vp *t)
{
	uint64_t sint = t->synic.sint[HV_SYNIC_INTERCEPTION_SINT];

	if (sint & (HV_SYNIC_SINT_MASKED | HV_SYNIC_SINT_POLLING))
		return;
	apic_send_fixed(pcpus[0]->apic_id, (uint8_t)(sint & HV_SYNIC_SINT_VECTOR_MASK));
}

/*
 * Move queued messages into the slot while it is empty (lock held).  The
 * receiver empties a slot by storing HV_MESSAGE_TYPE_NONE and then reads
 * the pending flag; here the flag is set with a locked operation before
 * the type is read again, so one of the two sides always sees the other.
 */
static void deliver(struct vp *t)
{
	struct synic *s = &t->synic;
	struct hv_message *slot = sint0_slot(t);

	while (slot && s->queue.head) {
		volatile uint32_t *type = &slot->header.message_type;
		struct vp *src;

		if (*type != HV_MESSAGE_TYPE_NONE) {
			__atomic_fetch_or(&slot->header.message_flags, HV_MESSAGE_FLAG_PENDING, __ATOMIC_SEQ_CST);
			if (*type != HV_MESSAGE_TYPE_NONE)
				return;
		}
		src = container_of(msg_queue_pop(&s->queue), struct vp, msg_link);
		memcpy(slot->payload, src->msg.payload, src->msg.header.payload_size);
		slot->header.payload_size = src->msg.header.payload_size;
		slot->header.message_flags = s->queue.head ? HV_MESSAGE_FLAG_PENDING : 0;
		slot->header.sender = src->msg.header.sender;
		__atomic_store_n(type, src->msg.header.message_type, __ATOMIC_RELEASE);
		notify(t);
	}
}

void synic_post(struct vp *src)
{
	struct vp *t = parent_partition.vps[0];
	struct synic *s = &t->synic;

	spin_lock(&s->lock);
	/* A sender still waiting (its earlier message was completed before it
	 * was delivered) keeps its place; its entry carries the new message. */
	msg_queue_post(&s->queue, &src->msg_link);
	deliver(t);
	spin_unlock(&s->lock);
}

void synic_cancel(struct vp *src)
{
	struct synic *s = &parent_partition.vps[0]->synic;

	spin_lock(&s->lock);
	msg_queue_remove(&s->queue, &src->msg_link);
	spin_unlock(&s->lock);
}

int synic_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	struct synic *s = &vp->synic;
	uint64_t *reg;
	int rc = 0;

	switch (msr) {
	case HV_X64_MSR_SCONTROL: reg = &s->scontrol; break;
	case HV_X64_MSR_SIEFP: reg = &s->siefp; break;
	case HV_X64_MSR_SIMP: reg = &s->simp; break;
	case HV_X64_MSR_SVERSION:
		if (write)
			return VCPU_MSR_FAULT;
		*value = HV_SYNIC_VERSION_1;
		return 0;
	case HV_X64_MSR_EOM:
		if (!write)
			return VCPU_MSR_FAULT;
		spin_lock(&s->lock);
		deliver(vp);
		spin_unlock(&s->lock);
		return 0;
	default:
		if (msr < HV_X64_MSR_SINT0 || msr > HV_X64_MSR_SINT15)
			return VCPU_MSR_UNKNOWN;
		reg = &s->sint[msr - HV_X64_MSR_SINT0];
		if (write && (*value & HV_SYNIC_SINT_VECTOR_MASK) < HV_SYNIC_FIRST_VALID_VECTOR &&
		    !(*value & HV_SYNIC_SINT_MASKED) && !(*value & HV_SYNIC_SINT_POLLING))
			return VCPU_MSR_FAULT;
		break;
	}
	if (!write) {
		*value = *reg;
		return 0;
	}
	spin_lock(&s->lock);
	*reg = *value;
	deliver(vp); /* the page may just have been enabled */
	spin_unlock(&s->lock);
	return rc;
}
