/*
 * One message out of a SINT's slot of the parent's SynIC message page (TLFS
 * "SynIC Message Flags"): copy it, free the slot (type NONE), then write EOM
 * if the hypervisor set the pending flag meanwhile, so that it delivers the
 * next.  The intercepts (SINT0, parent/intercept.c) and the children's
 * messages (parent/ipc.c) arrive this way.
 */
#ifndef KEEL_PARENT_SIM_SLOT_H
#define KEEL_PARENT_SIM_SLOT_H

#include <stdbool.h>
#include <string.h>

#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "parent/x86.h"

static inline bool sim_slot_take(struct hv_message *slot, struct hv_message *out)
{
	size_t size;

	if (__atomic_load_n(&slot->header.message_type, __ATOMIC_ACQUIRE) == HV_MESSAGE_TYPE_NONE)
		return false;
	/* The header, then as much payload as it says (at most 240 bytes). */
	size = slot->header.payload_size;
	memcpy(out, slot, sizeof(out->header) + (size < sizeof(out->payload) ? size : sizeof(out->payload)));
	__atomic_store_n(&slot->header.message_type, HV_MESSAGE_TYPE_NONE, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (slot->header.message_flags & HV_MESSAGE_FLAG_PENDING)
		wrmsr(HV_X64_MSR_EOM, 0);
	return true;
}

#endif
