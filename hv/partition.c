/* The parent partition: creation, its memory view, and its faults. */
#include "hv/partition.h"

#include <stdio.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/abi/parent_boot.h"
#include "hv/abi/tlfs.h"
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/intercept.h"
#include "hv/log.h"
#include "hv/pcpu.h"
#include "hv/port.h"
#include "hv/run.h"
#include "hv/synic.h"
#include "hv/vcpu_ops.h"
#include "hv/window.h"

struct partition parent_partition;
struct partition *partitions[PARTITION_MAX] = { [PARENT_PARTITION_ID] = &parent_partition };

struct partition *partition_get(uint64_t id)
{
	return id > 0 && id < PARTITION_MAX ? partitions[id] : NULL;
}

/* Layout of the parent's boot area (hv/abi/parent_boot.h). */
#define AREA_BOOT_PAGE   0x0000
#define AREA_MEMMAP      0x1000
#define AREA_MEMMAP_MAX  0xf000
#define AREA_TABLES      0x10000 /* PML4, PDPT, 4 PDs */
#define AREA_MIN_SIZE    0x20000

void *partition_gpa_to_hva(struct partition *p, uint64_t gpa, size_t size, bool write)
{
	uint64_t hpa;
	unsigned rights;

	bool found;

	if (size == 0 || size > 4096 || ((gpa ^ (gpa + size - 1)) & ~0xfffull))
		return NULL;
	if (p->is_parent && window_contains(gpa))
		return NULL; /* the window is for the parent's own loads and stores */
	spin_lock(&p->slat_lock);
	found = pt_lookup(&p->slat, gpa, &hpa, &rights);
	spin_unlock(&p->slat_lock);
	if (!found || !(rights & (write ? PT_WRITE : PT_READ)))
		return NULL;
	/* Never hypervisor memory, only what the identity map reaches, and
	 * only RAM: a partition's overlay and hypercall pages are never its
	 * device memory (the parent's APIC page, say).  Whether a page is RAM
	 * never changes: pages found to be RAM are remembered (any VP may
	 * store one; every value stored was checked). */
	if (hv_owns(hpa, size) || hpa + size > hv_direct_map_top)
		return NULL;
	{
		uint64_t page = hpa & ~0xfffull, *known = &p->ram_pages_known[(page >> 12) % PARTITION_RAM_CACHE];

		if (*known != page) {
			if (!hv_ram_page(page))
				return NULL;
			*known = page;
		}
	}
	return phys_to_virt(hpa);
}

void partition_crash(struct partition *p, const char *why)
{
	if (!p->is_parent) {
		struct vp *vp = this_pcpu()->current;

		if (vp && vp->partition == p)
			run_crash(vp, why);
		else
			p->crash_reason = why;
		return;
	}
	log_err("parent partition crashed: %s", why);
	run_stop_machine();
}

void partition_guest_crash(struct partition *p, uint64_t ctl)
{
	const uint64_t *cp = p->crash_params;
	size_t len = 0;

	if ((ctl & HV_CRASH_CTL_CRASH_MESSAGE) && cp[4]) {
		/* The message, up to the end of its page and of crash_text, with
		 * anything unprintable shown as '?'; a trailing newline dropped. */
		size_t want = cp[4] < sizeof(p->crash_text) - 1 ? cp[4] : sizeof(p->crash_text) - 1;
		size_t room = 4096 - (cp[3] & 0xfff), n = want < room ? want : room;
		const char *msg = partition_gpa_to_hva(p, cp[3], n, false);

		for (; msg && len < n && msg[len] && msg[len] != '\n'; len++)
			p->crash_text[len] = msg[len] >= 0x20 && msg[len] < 0x7f ? msg[len] : '?';
	}
	if (len)
		p->crash_text[len] = 0;
	else
		snprintf(p->crash_text, sizeof(p->crash_text), "guest crash report P0-P4 %#lx %#lx %#lx %#lx %#lx",
			 cp[0], cp[1], cp[2], cp[3], cp[4]);
	partition_crash(p, p->crash_text);
}

/* First page tables for the parent: identity [0, 4 GiB) with 2 MiB pages. */
static uint64_t build_parent_tables(uint64_t area)
{
	uint64_t *pml4 = phys_to_virt(area + AREA_TABLES);
	uint64_t *pdpt = phys_to_virt(area + AREA_TABLES + 0x1000);

	memset(pml4, 0, 6 * 4096);
	pml4[0] = (area + AREA_TABLES + 0x1000) | 3;
	for (int i = 0; i < 4; i++) {
		uint64_t pd_phys = area + AREA_TABLES + 0x2000 + i * 0x1000;
		uint64_t *pd = phys_to_virt(pd_phys);

		pdpt[i] = pd_phys | 3;
		for (int j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i << 30) + ((uint64_t)j << 21) + 0x83; /* P, RW, PS */
	}
	return area + AREA_TABLES;
}

static uint64_t fill_boot_page(uint64_t area)
{
	struct parent_boot *pb = phys_to_virt(area + AREA_BOOT_PAGE);
	size_t map_bytes = (size_t)hv_boot.memmap_entries * hv_boot.memmap_desc_size;

	if (map_bytes > AREA_MEMMAP_MAX)
		return 0;
	memset(pb, 0, sizeof(*pb));
	pb->magic = PARENT_BOOT_MAGIC;
	pb->version = PARENT_BOOT_VERSION;
	pb->size = sizeof(*pb);
	pb->boot_area = area;
	pb->boot_area_size = hv_boot.parent_boot_area_size;
	pb->image_start = hv_boot.parent_phys_start;
	pb->image_end = hv_boot.parent_phys_end;
	pb->acpi_rsdp = hv_boot.acpi_rsdp;
	memcpy(phys_to_virt(area + AREA_MEMMAP), (const void *)hv_boot.memmap_phys, map_bytes);
	pb->memmap_phys = area + AREA_MEMMAP;
	pb->memmap_entries = hv_boot.memmap_entries;
	pb->memmap_desc_size = hv_boot.memmap_desc_size;
	pb->log_level = hv_boot.log_level;
	pb->module_count = hv_boot.module_count;
	memcpy(pb->modules, hv_boot.modules, sizeof(pb->modules));
	memcpy(pb->startup_module, hv_boot.startup_module, sizeof(pb->startup_module));
	return area + AREA_BOOT_PAGE;
}

int parent_create(void)
{
	struct partition *p = &parent_partition;
	uint64_t area = hv_boot.parent_boot_area;
	uint64_t top = hv_ram_top > (4ull << 30) ? hv_ram_top : 4ull << 30;
	struct vp_start start = { 0 };
	uint64_t boot_page;

	if (hv_boot.parent_boot_area_size < AREA_MIN_SIZE || hv_owns(area, hv_boot.parent_boot_area_size)) {
		log_err("parent boot area %#lx is unusable", area);
		return -1;
	}
	p->id = PARENT_PARTITION_ID;
	p->is_parent = true;
	p->serial = PARENT_PARTITION_ID;
	if (ipc_parent_init())
		return -1;
	memset(p->ram_pages_known, 0xff, sizeof(p->ram_pages_known)); /* nothing known yet */
	if (pt_init(&p->slat, vcpu->slat_format, &hv_pt_ops))
		return -1;
	top = (top + PT_LARGE_SIZE - 1) & ~(PT_LARGE_SIZE - 1);
	/* Everything the hypervisor does not own, GPA == HPA: device memory
	 * and holes uncacheable, RAM write-back (formats without memory
	 * types leave this to the MTRRs).  The hypervisor region is 2 MiB
	 * aligned, so only whole large pages come out. */
	if (pt_map(&p->slat, 0, 0, top, PT_RWX | PT_UNCACHED, true))
		goto fail;
	for (uint32_t i = 0; i < hv_boot.memmap_entries; i++) {
		const struct boot_memdesc *d = memmap_entry(&hv_boot, i);

		if (memtype_is_ram(d->type) &&
		    pt_map(&p->slat, d->phys_start, d->phys_start, d->pages * 4096, PT_RWX, true))
			goto fail;
	}
	if (pt_unmap(&p->slat, hv_boot.hv_phys_base, hv_boot.hv_phys_size))
		goto fail;
	/* Adjacent RAM ranges of the map leave 2 MiB blocks split in 4 KiB
	 * pages; merge them now, as giving pages to children and taking them
	 * back does later, so the map's shape does not drift. */
	for (uint64_t block = 0; block < top; block += PT_LARGE_SIZE)
		pt_collapse(&p->slat, block);

	boot_page = fill_boot_page(area);
	if (!boot_page)
		goto fail;
	start.rip = hv_boot.parent_entry;
	start.rsp = area + hv_boot.parent_boot_area_size - 64;
	start.rflags = 2;
	start.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	start.cr3 = build_parent_tables(area);
	start.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	start.efer = EFER_LME | EFER_LMA | EFER_SCE | (rdmsr(MSR_EFER) & EFER_NXE);
	start.pat = 0x0007040600070406ull; /* the power-on PAT */
	start.rdi = boot_page;
	p->vps[0] = vp_create(p, 0, &start);
	if (!p->vps[0])
		goto fail;
	msr_policy_parent(p->vps[0]);
	vcpu_set_slat_root(p->vps[0], p->slat.root);
	log_info("parent partition: entry %#lx, %lu KiB of RAM, boot page %#lx", start.rip,
		 partition_ram_bytes() >> 10, boot_page);
	return 0;
fail:
	pt_destroy(&p->slat);
	return -1;
}

uint64_t partition_ram_bytes(void)
{
	extern struct partition *partitions[PARTITION_MAX];
	uint64_t total = 0;

	/* Less what children hold: deposits and mapped guest memory. */
	for (uint32_t i = PARENT_PARTITION_ID + 1; i < PARTITION_MAX; i++)
		if (partitions[i])
			total -= (partitions[i]->pool_total + partitions[i]->mapped_pages) * 4096;
	for (uint32_t i = 0; i < hv_boot.memmap_entries; i++) {
		const struct boot_memdesc *d = memmap_entry(&hv_boot, i);

		if (memtype_is_ram(d->type) && d->type != BOOT_MEMTYPE_HYPERVISOR)
			total += d->pages * 4096;
	}
	return total;
}

bool partition_gpa_fault(struct vp *vp)
{
	struct partition *p = vp->partition;
	uint64_t gpa = vp->exit.gpa_fault.gpa;
	uint64_t hpa, page, maxphys;
	unsigned rights;

	bool found;
	int err;

	spin_lock(&p->slat_lock);
	found = pt_lookup(&p->slat, gpa, &hpa, &rights);
	spin_unlock(&p->slat_lock);
	if (!p->is_parent) {
		/* Nothing mapped there: the parent's devices answer. */
		if (!found)
			return intercept_unmapped_gpa(vp);
		partition_crash(p, "access to guest memory its mapping does not allow");
		return vp_continues(vp);
	}
	if (hv_owns(gpa & ~0xfffull, 4096)) {
		log_warn("partition %u: access to hypervisor memory at %#lx (rip %#lx) refused: #GP injected",
			 p->id, gpa, vp->rip);
		vcpu_inject_exception(vp, X86_EXC_GP, true, 0);
		return vp_continues(vp);
	}
	if (window_contains(gpa)) {
		log_warn("partition %u: access to an empty or read-only window page at %#lx (rip %#lx): #GP injected", p->id, gpa,
			 vp->rip);
		vcpu_inject_exception(vp, X86_EXC_GP, true, 0);
		return vp_continues(vp);
	}
	if (hv_ram_page(gpa & ~0xfffull)) {
		/* RAM missing from the parent's map belongs to a child now. */
		log_warn("partition %u: access to a child's memory at %#lx (rip %#lx) refused: #GP injected",
			 p->id, gpa, vp->rip);
		vcpu_inject_exception(vp, X86_EXC_GP, true, 0);
		return vp_continues(vp);
	}
	if (found) {
		/* Mapped with all rights, yet faulting: do not loop forever. */
		partition_crash(p, "second-level fault on a mapped page");
		return vp_continues(vp);
	}
	maxphys = 1ull << (cpuid(0x80000008, 0).eax & 0xff);
	if (gpa >= maxphys) {
		vcpu_inject_exception(vp, X86_EXC_GP, true, 0);
		return vp_continues(vp);
	}
	/* Device memory above the boot-time map (e.g. 64-bit PCI BARs): pass
	 * through on first touch, 2 MiB at a time where the region allows. */
	page = gpa & ~(PT_LARGE_SIZE - 1);
	spin_lock(&p->slat_lock);
	err = hv_owns(page, PT_LARGE_SIZE)
		      ? pt_map(&p->slat, gpa & ~0xfffull, gpa & ~0xfffull, 4096, PT_RWX | PT_UNCACHED, false)
		      : pt_map(&p->slat, page, page, PT_LARGE_SIZE, PT_RWX | PT_UNCACHED, true);
	spin_unlock(&p->slat_lock);
	if (err) {
		partition_crash(p, "out of hypervisor memory for second-level tables");
		return vp_continues(vp);
	}
	vcpu_flush_slat(vp);
	return true;
}
