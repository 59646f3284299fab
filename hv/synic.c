/* SynIC registers, message delivery and event flags; contract in synic.h. */
#include "hv/synic.h"

#include <string.h>

#include "arch/x86/apic.h"
#include "hv/abi/tlfs.h"
#include "hv/interrupt.h"
#include "hv/partition.h"
#include "hv/pcpu.h"
#include "hv/run.h"
#include "hv/stimer.h"
#include "hv/vcpu_ops.h"

void synic_init(struct synic *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		s->sint[i] = HV_SYNIC_SINT_RESET_VALUE;
}

static bool enabled(const struct synic *s, uint64_t page_msr)
{
	return (s->scontrol & HV_SYNIC_SCONTROL_ENABLE) && (page_msr & HV_SYNIC_PAGE_ENABLE);
}

/* One of t's overlay pages (SIM or SIEF), or NULL while it is off or not
 * RAM of t's (lock held). */
static void *page_of(struct vp *t, uint64_t page_msr)
{
	if (!enabled(&t->synic, page_msr))
		return NULL;
	return partition_gpa_to_hva(t->partition, page_msr & HV_SYNIC_PAGE_GPA_MASK, 4096, true);
}

/* Raise SINT `sint` of t unless it is masked or polled (lock held). */
static void raise_sint(struct vp *t, unsigned sint)
{
	uint64_t v = t->synic.sint[sint];
	uint8_t vector = (uint8_t)(v & HV_SYNIC_SINT_VECTOR_MASK);

	if (v & (HV_SYNIC_SINT_MASKED | HV_SYNIC_SINT_POLLING))
		return;
	if (t->partition->is_parent) {
		apic_send_fixed(pcpus[0]->apic_id, vector);
		return;
	}
	vp_irq_post(t, vector);
	run_kick(t);
}

static void hand_back(struct synic_msg *m)
{
	__atomic_store_n(&m->busy, false, __ATOMIC_RELEASE);
}

/*
 * Move queued messages of one SINT into its slot while the slot is empty
 * (lock held).  The receiver empties a slot by storing
 * HV_MESSAGE_TYPE_NONE and then reads the pending flag; here the flag is
 * set with a locked operation before the type is read again, so one of the
 * two sides always sees the other.
 */
static void deliver(struct vp *t, unsigned sint, struct hv_message_page *page)
{
	struct msg_queue *q = &t->synic.queue[sint];
	struct hv_message *slot;

	if (!page || !q->head)
		return;
	slot = &page->sint_message[sint];
	while (q->head) {
		volatile uint32_t *type = &slot->header.message_type;
		struct synic_msg *m;

		if (*type != HV_MESSAGE_TYPE_NONE) {
			__atomic_fetch_or(&slot->header.message_flags, HV_MESSAGE_FLAG_PENDING, __ATOMIC_SEQ_CST);
			if (*type != HV_MESSAGE_TYPE_NONE)
				return;
		}
		m = container_of(msg_queue_pop(q), struct synic_msg, link);
		memcpy(slot->payload, m->msg.payload, m->msg.header.payload_size);
		slot->header.payload_size = m->msg.header.payload_size;
		slot->header.message_flags = q->head ? HV_MESSAGE_FLAG_PENDING : 0;
		slot->header.reserved = 0;
		slot->header.sender = m->msg.header.sender;
		if (m->msg.header.message_type == HV_MESSAGE_TYPE_TIMER_EXPIRED)
			slot->timer.delivery_time = reference_time_now();
		__atomic_store_n(type, m->msg.header.message_type, __ATOMIC_RELEASE);
		hand_back(m);
		raise_sint(t, sint);
	}
}

static void deliver_all(struct vp *t)
{
	struct hv_message_page *page = page_of(t, t->synic.simp);

	for (unsigned i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		deliver(t, i, page);
}

void synic_queue(struct vp *t, unsigned sint, struct synic_msg *m)
{
	struct synic *s = &t->synic;

	spin_lock(&s->lock);
	m->to = t;
	m->sint = (uint8_t)sint;
	/* A sender still waiting (an intercept completed before it was
	 * delivered) keeps its place; its entry carries the new message. */
	msg_queue_post(&s->queue[sint], &m->link);
	deliver(t, sint, page_of(t, s->simp));
	spin_unlock(&s->lock);
}

void synic_unqueue(struct vp *t, struct synic_msg *m)
{
	struct synic *s = &t->synic;

	spin_lock(&s->lock);
	if (m->to == t && msg_queue_remove(&s->queue[m->sint], &m->link))
		hand_back(m);
	spin_unlock(&s->lock);
}

void synic_flush(struct vp *t)
{
	struct synic *s = &t->synic;
	struct msg_link *l;

	spin_lock(&s->lock);
	for (unsigned i = 0; i < HV_SYNIC_SINT_COUNT; i++)
		while ((l = msg_queue_pop(&s->queue[i])))
			hand_back(container_of(l, struct synic_msg, link));
	spin_unlock(&s->lock);
}

uint16_t synic_ready(struct vp *t, bool events)
{
	const struct synic *s = &t->synic;
	uint64_t page = events ? __atomic_load_n(&s->siefp, __ATOMIC_RELAXED) : __atomic_load_n(&s->simp, __ATOMIC_RELAXED);

	return enabled(s, page) ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_SYNIC_STATE;
}

uint16_t synic_signal(struct vp *t, unsigned sint, unsigned flag)
{
	struct synic *s = &t->synic;
	struct hv_synic_event_flags_page *page;
	uint8_t bit = (uint8_t)HV_EVENT_FLAG_BIT(flag), old;

	spin_lock(&s->lock);
	page = page_of(t, s->siefp);
	if (!page) {
		spin_unlock(&s->lock);
		return HV_STATUS_INVALID_SYNIC_STATE;
	}
	old = __atomic_fetch_or(&page->sint_event_flags[sint].flags[HV_EVENT_FLAG_BYTE(flag)], bit, __ATOMIC_SEQ_CST);
	if (!(old & bit))
		raise_sint(t, sint);
	spin_unlock(&s->lock);
	return HV_STATUS_SUCCESS;
}

void synic_post(struct vp *src)
{
	synic_queue(parent_partition.vps[0], HV_SYNIC_INTERCEPTION_SINT, &src->intercept);
}

void synic_cancel(struct vp *src)
{
	synic_unqueue(parent_partition.vps[0], &src->intercept);
}

/* The vectors of unmasked auto-EOI SINTs (after a SINT write, lock held). */
static void update_auto_eoi(struct synic *s)
{
	memset(s->auto_eoi, 0, sizeof(s->auto_eoi));
	for (unsigned i = 0; i < HV_SYNIC_SINT_COUNT; i++) {
		uint64_t v = s->sint[i];
		uint8_t vector = (uint8_t)(v & HV_SYNIC_SINT_VECTOR_MASK);

		if ((v & HV_SYNIC_SINT_AUTO_EOI) && !(v & HV_SYNIC_SINT_MASKED))
			s->auto_eoi[vector >> 5] |= 1u << (vector & 31);
	}
}

int synic_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	struct synic *s = &vp->synic;
	uint64_t *reg;

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
		if (!write) {
			*value = 0;
			return 0;
		}
		spin_lock(&s->lock);
		deliver_all(vp);
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
	update_auto_eoi(s);
	deliver_all(vp); /* a page or SINT may just have been enabled */
	spin_unlock(&s->lock);
	return 0;
}
