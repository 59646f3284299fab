/* Child partitions; contract in child.h. */
#include "hv/child.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/run.h"
#include "hv/tlb.h"
#include "hv/port.h"
#include "hv/synic.h"
#include "hv/vcpu_ops.h"
#include "hv/window.h"

#define PAGE 4096ull

extern struct partition *partitions[PARTITION_MAX];

/* Guest-physical space a child may use: 39 bits, 512 GiB. */
#define CHILD_GPA_LIMIT (1ull << 39)

/* ---- the parent's side of a page move ---- */

/* The parent's page at pfn, if the parent holds it as RAM: its HPA. */
static int parent_take(uint64_t pfn, uint64_t *hpa)
{
	struct partition *parent = &parent_partition;
	uint64_t gpa = pfn * PAGE, pa;
	unsigned rights;
	int err;

	if (pfn >= (1ull << 40) || hv_owns(gpa, PAGE) || gpa + PAGE > hv_ram_top)
		return -1;
	spin_lock(&parent->slat_lock);
	err = !pt_lookup(&parent->slat, gpa, &pa, &rights) || (rights & PT_RWX) != PT_RWX || !hv_ram_page(pa) ||
	      pt_unmap(&parent->slat, gpa, PAGE);
	spin_unlock(&parent->slat_lock);
	if (err)
		return -1;
	vcpu_flush_slat(parent->vps[0]); /* the parent runs here, on the BSP, only */
	*hpa = pa;
	return 0;
}

/* Give a page back to the parent, identity-mapped, and merge its 2 MiB
 * block again when it is whole. */
static void parent_return(uint64_t hpa)
{
	struct partition *parent = &parent_partition;

	int err;

	memset(phys_to_virt(hpa), 0, PAGE); /* nothing of the child leaks back */
	spin_lock(&parent->slat_lock);
	err = pt_map(&parent->slat, hpa, hpa, PAGE, PT_RWX, false);
	if (!err)
		pt_collapse(&parent->slat, hpa);
	spin_unlock(&parent->slat_lock);
	if (err)
		panic("cannot give page %#lx back to the parent", hpa);
	vcpu_flush_slat(parent->vps[0]);
}

/* ---- the deposit pool: second-level tables of the child come from it ---- */

static uint64_t pool_alloc(void *ctx)
{
	struct partition *p = ctx;
	uint64_t page = p->pool_head;

	if (!page)
		return 0;
	p->pool_head = *(uint64_t *)phys_to_virt(page);
	p->pool_free--;
	memset(phys_to_virt(page), 0, PAGE);
	return page;
}

static void pool_free(void *ctx, uint64_t page)
{
	struct partition *p = ctx;

	*(uint64_t *)phys_to_virt(page) = p->pool_head;
	p->pool_head = page;
	p->pool_free++;
}

static void *pool_virt(void *ctx, uint64_t phys) { return phys_to_virt(phys); }

/* ---- lifecycle ---- */

/* Partition serials (hv/port.h); the parent's is its id. */
static uint64_t serials = PARENT_PARTITION_ID;

uint16_t child_create(uint64_t *id)
{
	uint64_t page;
	struct partition *p;

	for (uint32_t i = PARENT_PARTITION_ID + 1; i < PARTITION_MAX; i++) {
		if (partitions[i])
			continue;
		page = frame_alloc(&hv_frames);
		if (!page)
			return HV_STATUS_INSUFFICIENT_MEMORY;
		_Static_assert(sizeof(struct partition) <= PAGE, "partition fits a frame");
		p = phys_to_virt(page);
		p->id = i;
		p->state = PARTITION_CREATED;
		memset(p->ram_pages_known, 0xff, sizeof(p->ram_pages_known)); /* nothing known yet */
		p->slat_ops = (struct pt_ops){ pool_alloc, pool_free, pool_virt, p };
		p->serial = ++serials;
		spin_lock(&ipc_lock); /* published whole to posters (hv/port.h) */
		partitions[i] = p;
		spin_unlock(&ipc_lock);
		*id = i;
		return HV_STATUS_SUCCESS;
	}
	return HV_STATUS_INSUFFICIENT_MEMORY;
}

uint16_t child_initialize(struct partition *p)
{
	if (p->state != PARTITION_CREATED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (pt_init(&p->slat, vcpu->slat_format, &p->slat_ops))
		return HV_STATUS_INSUFFICIENT_MEMORY; /* deposit, then retry */
	p->state = PARTITION_INITIALIZED;
	return HV_STATUS_SUCCESS;
}

uint16_t child_finalize(struct partition *p)
{
	ipc_partition_teardown(p); /* nothing is posted to or from it any more */
	window_revoke(p);          /* the parent lets go of its pages */
	for (uint32_t i = 0; i < PARTITION_MAX_VPS; i++)
		if (p->vps[i] && child_delete_vp(p, i))
			return HV_STATUS_INVALID_VP_STATE;
	p->state = PARTITION_FINALIZED;
	return HV_STATUS_SUCCESS;
}

static int return_leaf(void *ctx, uint64_t va, uint64_t pa, uint64_t size, unsigned rights)
{
	for (uint64_t off = 0; off < size; off += PAGE)
		parent_return(pa + off);
	return 0;
}

uint16_t child_delete(struct partition *p)
{
	uint64_t page;

	if (p->state != PARTITION_FINALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (p->slat.root) {
		pt_for_each_leaf(&p->slat, return_leaf, NULL);
		pt_destroy(&p->slat); /* table pages go to the pool */
	}
	while ((page = pool_alloc(p)))
		parent_return(page);
	spin_lock(&ipc_lock); /* no post still looks at it */
	partitions[p->id] = NULL;
	spin_unlock(&ipc_lock);
	frame_free(&hv_frames, (uint64_t)p, 1);
	return HV_STATUS_SUCCESS;
}

/* ---- memory ---- */

uint16_t child_deposit(struct partition *p, uint64_t parent_pfn)
{
	uint64_t hpa;

	if (p->state == PARTITION_FINALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (parent_take(parent_pfn, &hpa))
		return HV_STATUS_INVALID_PARAMETER;
	pool_free(p, hpa);
	p->pool_total++;
	return HV_STATUS_SUCCESS;
}

uint16_t child_withdraw(struct partition *p, uint64_t *parent_pfn)
{
	uint64_t page = pool_alloc(p);

	if (!page)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	p->pool_total--;
	parent_return(page);
	*parent_pfn = page / PAGE;
	return HV_STATUS_SUCCESS;
}

uint16_t child_map(struct partition *p, uint64_t target_pfn, uint64_t parent_pfn, uint32_t flags)
{
	uint64_t gpa = target_pfn * PAGE, hpa, old;
	unsigned rights = 0, old_rights;
	int err;

	if (p->state != PARTITION_INITIALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (target_pfn >= CHILD_GPA_LIMIT / PAGE || (flags & ~(HV_MAP_GPA_PERMISSIONS_MASK | HV_MAP_GPA_NOT_CACHED)))
		return HV_STATUS_INVALID_PARAMETER;
	if (flags & HV_MAP_GPA_READABLE)
		rights |= PT_READ;
	if (flags & HV_MAP_GPA_WRITABLE)
		rights |= PT_WRITE;
	if (flags & HV_MAP_GPA_EXECUTABLE)
		rights |= PT_EXEC;
	if (!(rights & PT_READ))
		return HV_STATUS_INVALID_PARAMETER; /* NPT cannot express no-read */
	if (flags & HV_MAP_GPA_NOT_CACHED)
		rights |= PT_UNCACHED;
	spin_lock(&p->slat_lock);
	err = pt_lookup(&p->slat, gpa, &old, &old_rights);
	spin_unlock(&p->slat_lock);
	if (err)
		return HV_STATUS_INVALID_PARAMETER; /* unmap first */
	if (parent_take(parent_pfn, &hpa))
		return HV_STATUS_INVALID_PARAMETER;
	spin_lock(&p->slat_lock);
	err = pt_map(&p->slat, gpa, hpa, PAGE, rights, false);
	spin_unlock(&p->slat_lock);
	if (err) {
		parent_return(hpa);
		return HV_STATUS_INSUFFICIENT_MEMORY;
	}
	p->mapped_pages++;
	return HV_STATUS_SUCCESS;
}

uint16_t child_unmap(struct partition *p, uint64_t target_pfn)
{
	uint64_t gpa = target_pfn * PAGE, hpa;
	unsigned rights;
	int err;

	if (p->state != PARTITION_INITIALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (target_pfn >= CHILD_GPA_LIMIT / PAGE)
		return HV_STATUS_INVALID_PARAMETER;
	spin_lock(&p->slat_lock);
	err = !pt_lookup(&p->slat, gpa, &hpa, &rights);
	spin_unlock(&p->slat_lock);
	if (err)
		return HV_STATUS_INVALID_PARAMETER;
	if (window_holds(p, hpa))
		return HV_STATUS_OPERATION_DENIED; /* the parent's window still maps it */
	spin_lock(&p->slat_lock);
	err = pt_unmap(&p->slat, gpa, PAGE);
	spin_unlock(&p->slat_lock);
	if (err)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	/* No pCPU may write the page through an old translation once the
	 * parent has it back. */
	tlb_shootdown(p);
	p->mapped_pages--;
	parent_return(hpa & ~(PAGE - 1));
	return HV_STATUS_SUCCESS;
}

/* ---- virtual processors ---- */

uint16_t child_create_vp(struct partition *p, uint32_t index)
{
	/* A VP starts in the architectural reset state's long-mode cousin:
	 * nothing runs until the parent sets its registers. */
	struct vp_start start = { .rflags = 2, .cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG, .cr4 = CR4_PAE,
				  .efer = EFER_LME | EFER_LMA, .pat = 0x0007040600070406ull };

	if (p->state != PARTITION_INITIALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (index >= PARTITION_MAX_VPS)
		return HV_STATUS_INVALID_VP_INDEX;
	if (p->vps[index])
		return HV_STATUS_INVALID_PARAMETER;
	p->vps[index] = vp_create(p, index, &start);
	if (!p->vps[index])
		return HV_STATUS_INSUFFICIENT_MEMORY;
	p->vps[index]->suspended = true; /* until the parent clears ExplicitSuspend */
	vcpu_set_slat_root(p->vps[index], p->slat.root);
	return HV_STATUS_SUCCESS;
}

uint16_t child_delete_vp(struct partition *p, uint32_t index)
{
	struct vp *vp;

	if (index >= PARTITION_MAX_VPS || !p->vps[index])
		return HV_STATUS_INVALID_VP_INDEX;
	/* Its siblings reach it (IPIs, hv/interrupt.c) while they run: it
	 * goes only when none of them is on a pCPU. */
	for (unsigned i = 0; i < PARTITION_MAX_VPS; i++)
		if (i != index && p->vps[i] && __atomic_load_n(&p->vps[i]->host, __ATOMIC_ACQUIRE))
			return HV_STATUS_INVALID_VP_STATE;
	if (run_stop(p->vps[index]))
		return HV_STATUS_INVALID_VP_STATE; /* still on its CPU: keep it */
	vp = p->vps[index];
	spin_lock(&ipc_lock); /* no post or signal still reaches it (hv/port.h) */
	p->vps[index] = NULL;
	spin_unlock(&ipc_lock);
	synic_flush(vp);
	vp_destroy(vp);
	return HV_STATUS_SUCCESS;
}
