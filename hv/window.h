/*
 * The parent's window onto child memory (hv/abi/keel_hypercall.h,
 * KEEL_HVCALL_MAP_WINDOW): child pages mapped into the parent's
 * second-level table at window_base + id * KEEL_WINDOW_BYTES, so that the
 * parent's VMBus server reads and writes rings while the child runs.
 *
 * Ownership: the window entries live in the parent's second-level table
 * (under its slat_lock, like every other entry there); they are changed
 * only by the parent's hypercalls, which run one at a time on the BSP, the
 * only pCPU that runs the parent, so a flush of the parent's VP there is a
 * complete shootdown.  A child page in a window stays the child's: the
 * window is a second mapping of it, and it is removed before the page can
 * change owner (child_unmap refuses while it is there; child_finalize
 * empties the window; p->window_pages counts its entries).
 */
#ifndef KEEL_HV_WINDOW_H
#define KEEL_HV_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/partition.h"

_Static_assert(PARTITION_MAX <= KEEL_WINDOW_COUNT, "a window for every partition id");

extern uint64_t window_base; /* (i) 0 when the address space has no room */

/* At boot, before the parent runs: place the windows above the memory map. */
void window_init(void);
/* True if gpa lies in some child's window. */
static inline bool window_contains(uint64_t gpa)
{
	return window_base && gpa >= window_base && gpa - window_base < KEEL_WINDOW_COUNT * KEEL_WINDOW_BYTES;
}

uint16_t window_map(struct partition *p, uint64_t window_page, uint64_t child_pfn, uint32_t flags);
uint16_t window_unmap(struct partition *p, uint64_t window_page);
/* True if p's window maps the host page hpa. */
bool window_holds(struct partition *p, uint64_t hpa);
/* Empty p's window. */
void window_revoke(struct partition *p);

#endif
