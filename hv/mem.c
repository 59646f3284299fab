/*
 * The hypervisor's memory: its frame allocator over the region the loader
 * reserved, and its own page tables — an identity map of all physical
 * memory (no execute) plus the image at its link address with W^X.
 */
#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/hv.h"
#include "hv/log.h"

struct frame_allocator hv_frames;
uint64_t hv_ram_top;
uint64_t hv_direct_map_top;

extern char __text_start[], __text_end[], __rodata_end[], __image_end[];

bool memtype_is_ram(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_LOADER_CODE:
	case BOOT_MEM_LOADER_DATA:
	case BOOT_MEM_BS_CODE:
	case BOOT_MEM_BS_DATA:
	case BOOT_MEM_RT_CODE:
	case BOOT_MEM_RT_DATA:
	case BOOT_MEM_CONVENTIONAL:
	case BOOT_MEM_ACPI_RECLAIM:
	case BOOT_MEM_ACPI_NVS:
	case BOOT_MEM_PERSISTENT:
	case BOOT_MEMTYPE_HYPERVISOR:
		return true;
	default:
		return false;
	}
}

/* The RAM of the memory map as sorted, merged ranges, so that hv_ram_page
 * (every overlay, hypercall and deposited page) costs a binary search, not
 * a walk of a server's hundreds of map entries. */
struct ram_range {
	uint64_t start, end;
};
static struct ram_range *ram_ranges; /* (i) after mem_init */
static uint32_t ram_range_count;

bool hv_ram_page(uint64_t phys)
{
	uint32_t lo = 0, hi = ram_range_count;

	if (hv_owns(phys, 4096))
		return false;
	while (lo < hi) { /* the first range starting above phys */
		uint32_t mid = (lo + hi) / 2;

		if (ram_ranges[mid].start <= phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && phys + 4096 <= ram_ranges[lo - 1].end;
}

static void build_ram_ranges(void)
{
	uint64_t bytes = (uint64_t)hv_boot.memmap_entries * sizeof(struct ram_range);
	uint64_t at = frame_alloc_contig(&hv_frames, (bytes + 4095) / 4096 ? (bytes + 4095) / 4096 : 1, 1);
	uint32_t n = 0;

	if (!at)
		panic("no memory for the RAM ranges");
	ram_ranges = (struct ram_range *)at;
	for (uint32_t i = 0; i < hv_boot.memmap_entries; i++) {
		const struct boot_memdesc *d = memmap_entry(&hv_boot, i);
		struct ram_range r = { d->phys_start, d->phys_start + d->pages * 4096 };
		uint32_t j = n;

		if (!memtype_is_ram(d->type) || r.end <= r.start)
			continue;
		for (; j > 0 && ram_ranges[j - 1].start > r.start; j--) /* insertion sort */
			ram_ranges[j] = ram_ranges[j - 1];
		ram_ranges[j] = r;
		n++;
	}
	ram_range_count = 0;
	for (uint32_t i = 0; i < n; i++) { /* merge touching and overlapping ranges */
		struct ram_range *last = ram_range_count ? &ram_ranges[ram_range_count - 1] : NULL;

		if (last && ram_ranges[i].start <= last->end) {
			if (ram_ranges[i].end > last->end)
				last->end = ram_ranges[i].end;
		} else {
			ram_ranges[ram_range_count++] = ram_ranges[i];
		}
	}
}

/* The loader left the memory map in memory the parent owns: keep a copy. */
static void keep_memmap(void)
{
	uint64_t bytes = (uint64_t)hv_boot.memmap_entries * hv_boot.memmap_desc_size;
	uint64_t pages = (bytes + 4095) / 4096;
	uint64_t copy = frame_alloc_contig(&hv_frames, pages, 1);

	if (!copy)
		panic("no memory for the memory map");
	memcpy((void *)copy, (const void *)hv_boot.memmap_phys, bytes);
	hv_boot.memmap_phys = copy;
	build_ram_ranges();
}

static void *identity(uint64_t phys) { return (void *)phys; }
static uint64_t identity_back(const void *v) { return (uint64_t)v; }

static uint64_t pt_alloc(void *ctx) { return frame_alloc(&hv_frames); }
static void pt_free(void *ctx, uint64_t phys) { frame_free(&hv_frames, phys, 1); }
static void *pt_virt(void *ctx, uint64_t phys) { return (void *)phys; }

const struct pt_ops hv_pt_ops = { pt_alloc, pt_free, pt_virt, NULL };

static uint64_t link_to_phys(const void *v)
{
	return (uint64_t)v - hv_boot.hv_virt_base + hv_boot.hv_phys_base;
}

void mem_init(void)
{
	static struct pt_format host_format;
	struct page_table pt;
	uint64_t top = 4ull << 30;
	uint64_t base = hv_boot.hv_virt_base;
	uint64_t text = (uint64_t)__text_start, text_end = (uint64_t)__text_end;
	uint64_t ro_end = (uint64_t)__rodata_end, image_end = (uint64_t)__image_end;
	int err = 0;

	if (frame_init(&hv_frames, (const void *)hv_boot.memmap_phys, hv_boot.memmap_entries,
		       hv_boot.memmap_desc_size, hv_boot.hv_phys_base, hv_boot.hv_image_size, identity,
		       identity_back))
		panic("no hypervisor memory in the UEFI map");
	keep_memmap();
	for (uint32_t i = 0; i < hv_boot.memmap_entries; i++) {
		const struct boot_memdesc *d = memmap_entry(&hv_boot, i);
		uint64_t end = d->phys_start + d->pages * 4096;

		if (memtype_is_ram(d->type) && end > hv_ram_top)
			hv_ram_top = end;
		if (end > top)
			top = end;
	}
	top = (top + PT_LARGE_SIZE - 1) & ~(PT_LARGE_SIZE - 1);

	host_format = pt_format_x86_host;
	if (cpuid(0x80000001, 0).edx & (1u << 20))
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	else
		host_format.nx = 0;

	if (pt_init(&pt, &host_format, &hv_pt_ops))
		panic("out of memory for page tables");
	err |= pt_map(&pt, 0, 0, top, PT_READ | PT_WRITE, true);
	err |= pt_map(&pt, text, link_to_phys(__text_start), text_end - text, PT_READ | PT_EXEC, false);
	err |= pt_map(&pt, text_end, link_to_phys(__text_end), ro_end - text_end, PT_READ, false);
	err |= pt_map(&pt, ro_end, link_to_phys(__rodata_end), image_end - ro_end, PT_READ | PT_WRITE, false);
	err |= pt_map(&pt, base + hv_boot.hv_image_size, hv_boot.hv_phys_base + hv_boot.hv_image_size,
		      hv_boot.hv_phys_size - hv_boot.hv_image_size, PT_READ | PT_WRITE, true);
	if (err)
		panic("out of memory for page tables");
	hv_direct_map_top = top;
	write_cr0(read_cr0() | CR0_WP);
	write_cr3(pt.root);
	log_info("memory: region %#lx-%#lx (%lu KiB), %lu KiB free, RAM top %#lx",
		 hv_boot.hv_phys_base, hv_boot.hv_phys_base + hv_boot.hv_phys_size,
		 hv_boot.hv_phys_size >> 10, (hv_frames.free_frames * FRAME_SIZE) >> 10, hv_ram_top);
}
