/* The parent's window onto child memory; contract in window.h. */
#include "hv/window.h"

#include "arch/x86/cpu.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/vcpu_ops.h"

#define PAGE 4096ull

uint64_t window_base;

void window_init(void)
{
	uint64_t top = 4ull << 30, span = KEEL_WINDOW_COUNT * KEEL_WINDOW_BYTES;
	uint64_t maxphys = 1ull << (cpuid(0x80000008, 0).eax & 0xff);

	/* Above everything the firmware described, RAM or device memory. */
	for (uint32_t i = 0; i < hv_boot.memmap_entries; i++) {
		const struct boot_memdesc *d = memmap_entry(&hv_boot, i);

		if (d->phys_start + d->pages * PAGE > top)
			top = d->phys_start + d->pages * PAGE;
	}
	top = (top + KEEL_WINDOW_BYTES - 1) & ~(KEEL_WINDOW_BYTES - 1);
	if (top + span > maxphys) {
		log_warn("no room for the parent's windows onto child memory below %#lx", maxphys);
		return;
	}
	window_base = top;
	log_info("windows onto child memory at %#lx-%#lx", top, top + span - 1);
}

static uint64_t slot(const struct partition *p, uint64_t window_page)
{
	return window_base + p->id * KEEL_WINDOW_BYTES + window_page * PAGE;
}

uint16_t window_map(struct partition *p, uint64_t window_page, uint64_t child_pfn, uint32_t flags)
{
	struct partition *parent = &parent_partition;
	uint64_t hpa, old;
	unsigned rights;
	bool found;
	int err;

	if (p->state != PARTITION_INITIALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (!window_base || window_page >= KEEL_WINDOW_PAGES || child_pfn >= (1ull << 52) / PAGE ||
	    (flags & ~(HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE)) || !(flags & HV_MAP_GPA_READABLE))
		return HV_STATUS_INVALID_PARAMETER;
	/* The child's pages change only through the parent's hypercalls,
	 * which run one at a time: the page cannot go between here and the
	 * map below. */
	spin_lock(&p->slat_lock);
	found = pt_lookup(&p->slat, child_pfn * PAGE, &hpa, &rights);
	spin_unlock(&p->slat_lock);
	if (!found)
		return HV_STATUS_INVALID_PARAMETER;
	spin_lock(&parent->slat_lock);
	err = pt_lookup(&parent->slat, slot(p, window_page), &old, &rights)
		      ? 1
		      : pt_map(&parent->slat, slot(p, window_page), hpa & ~(PAGE - 1), PAGE,
			       PT_READ | (flags & HV_MAP_GPA_WRITABLE ? PT_WRITE : 0), false)
				? 2
				: 0;
	spin_unlock(&parent->slat_lock);
	if (err)
		return err == 1 ? HV_STATUS_INVALID_PARAMETER : HV_STATUS_INSUFFICIENT_MEMORY;
	/* A not-present entry is never cached: nothing to flush. */
	p->window_pages++;
	return HV_STATUS_SUCCESS;
}

uint16_t window_unmap(struct partition *p, uint64_t window_page)
{
	struct partition *parent = &parent_partition;
	uint64_t hpa;
	unsigned rights;
	int err;

	if (!window_base || window_page >= KEEL_WINDOW_PAGES)
		return HV_STATUS_INVALID_PARAMETER;
	spin_lock(&parent->slat_lock);
	err = !pt_lookup(&parent->slat, slot(p, window_page), &hpa, &rights) ||
	      pt_unmap(&parent->slat, slot(p, window_page), PAGE);
	spin_unlock(&parent->slat_lock);
	if (err)
		return HV_STATUS_INVALID_PARAMETER;
	vcpu_flush_slat(parent->vps[0]); /* before the parent runs again */
	p->window_pages--;
	return HV_STATUS_SUCCESS;
}

static int is_page(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned rights)
{
	return pa == *(const uint64_t *)ctx;
}

bool window_holds(struct partition *p, uint64_t hpa)
{
	struct partition *parent = &parent_partition;
	int found;

	if (!p->window_pages)
		return false;
	hpa &= ~(PAGE - 1);
	spin_lock(&parent->slat_lock);
	found = pt_for_each_leaf_in(&parent->slat, slot(p, 0), KEEL_WINDOW_BYTES, is_page, &hpa);
	spin_unlock(&parent->slat_lock);
	return found;
}

void window_revoke(struct partition *p)
{
	struct partition *parent = &parent_partition;
	int err;

	if (!p->window_pages)
		return;
	spin_lock(&parent->slat_lock);
	err = pt_unmap(&parent->slat, slot(p, 0), KEEL_WINDOW_BYTES); /* whole 2 MiB blocks: cannot fail */
	spin_unlock(&parent->slat_lock);
	if (err)
		panic("cannot empty the window of partition %u", p->id);
	vcpu_flush_slat(parent->vps[0]);
	p->window_pages = 0;
}
