/*
 * Second-level TLB coherence across pCPUs.  A change that removes or
 * reduces a child's second-level mapping is followed by tlb_shootdown()
 * before the page changes owner (is zeroed and handed back):
 *
 *  - the partition's generation (tlb_gen) goes up;
 *  - every other pCPU that is running one of its VPs right now (pcpu.current)
 *    gets a wake-up IPI, which makes it leave guest mode, and the caller
 *    waits until that pCPU has counted an exit (pcpu.exit_seq) after the
 *    generation went up;
 *  - on each exit a child's pCPU calls tlb_exit_check() before it enters the
 *    guest again, and flushes the VP's translations when the generation
 *    moved (SVM: the ASID's TLB entries, VMX: INVEPT for its EPTP).
 *
 * A VP that is not running is flushed when it next starts on any pCPU (the
 * backends flush at every vcpu_run entry), so it needs no IPI.  Ownership:
 * tlb_gen is written by the parent's hypercalls (on the BSP) and read by
 * every pCPU; exit_seq is written only by its pCPU and read by shooters.
 * The shooter holds no lock while it waits, and the pCPUs it waits for
 * take no lock the shooter could hold, so the wait cannot deadlock.
 */
#ifndef KEEL_HV_TLB_H
#define KEEL_HV_TLB_H

#include <stdbool.h>

#include "hv/partition.h"
#include "hv/pcpu.h"

/* After changing p's second-level tables: returns once no pCPU can use a
 * translation from before the change. */
void tlb_shootdown(struct partition *p);

/* In a child's exit, before it re-enters: count the exit and say whether
 * its translations must be flushed first (its partition's generation moved
 * since it last flushed). */
static inline bool tlb_exit_check(struct vp *vp)
{
	struct pcpu *p = this_pcpu();
	uint64_t gen;

	__atomic_store_n(&p->exit_seq, p->exit_seq + 1, __ATOMIC_SEQ_CST);
	gen = __atomic_load_n(&vp->partition->tlb_gen, __ATOMIC_SEQ_CST);
	if (gen == vp->tlb_gen_seen)
		return false;
	vp->tlb_gen_seen = gen;
	return true;
}

/* At a VP's start on a pCPU (the backend flushes then): it is current. */
static inline void tlb_entry_flushed(struct vp *vp)
{
	vp->tlb_gen_seen = __atomic_load_n(&vp->partition->tlb_gen, __ATOMIC_SEQ_CST);
}

#endif
