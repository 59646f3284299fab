/*
 * The last steps before the hypervisor runs: its page tables, the final
 * memory map and ExitBootServices (UEFI 2.x §7.4).
 */
#include "boot/loader.h"
#include "boot/memmap.h"
#include "boot/paging.h"

#define MEMMAP_SLACK_DESCRIPTORS 16
/* Retyping a deferred range and its staging copy splits at most 4 descriptors. */
#define MEMMAP_SPLITS_PER_DEFERRED 4
#define EBS_ATTEMPTS 8

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

/* The end of the highest range the firmware's memory map describes. */
static int highest_address(struct loader *ld, uint64_t *end)
{
	UINTN size = 0, key, desc_size;
	UINT32 desc_version;
	EFI_STATUS st;

	st = ld->bs->GetMemoryMap(&size, NULL, &key, &desc_size, &desc_version);
	if (st != EFI_BUFFER_TOO_SMALL)
		return loader_error(ld, st, "cannot read the memory map (%s)", efi_status_text(st));
	size += MEMMAP_SLACK_DESCRIPTORS * desc_size;
	UINTN cap = size;
	uint8_t *map = mem_alloc_pool(ld, cap);
	if (!map)
		return loader_error(ld, EFI_OUT_OF_RESOURCES, "out of memory reading the memory map");
	st = ld->bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &desc_size,
				  &desc_version);
	if (EFI_ERROR(st)) {
		mem_free_pool(ld, map);
		return loader_error(ld, st, "cannot read the memory map (%s)", efi_status_text(st));
	}
	*end = 0;
	for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
		uint64_t e = d->PhysicalStart + d->NumberOfPages * LOADER_PAGE_SIZE;
		if (e > *end)
			*end = e;
	}
	mem_free_pool(ld, map);
	return 0;
}

/*
 * Identity-map [0, max(4 GiB, top of the memory map)) and map the
 * hypervisor region at its link address, all with 2 MiB pages.  The high
 * mapping stops at the top of the address space when the region is larger
 * than the room above hv_virt_base.
 */
int handoff_build_page_tables(struct loader *ld)
{
	const struct boot_info *info = ld->info;
	uint64_t top = 0;

	if (highest_address(ld, &top) < 0)
		return -1;
	if (top > PAGING_ADDR)
		top = PAGING_ADDR + 1;
	top = round_up(top, PAGING_LARGE_SIZE);
	if (top < (4ull << 30))
		top = 4ull << 30;

	uint64_t virt = info->hv_virt_base;
	uint64_t size = info->hv_phys_size;
	uint64_t room = 0 - virt;
	if (size > room)
		size = room;

	size_t count = paging_tables_needed(top, virt, size);
	EFI_PHYSICAL_ADDRESS phys;
	EFI_STATUS st = mem_alloc_pages(ld, AllocateAnyPages, EfiLoaderData, count, &phys);
	if (EFI_ERROR(st))
		return loader_error(ld, st, "not enough memory for the page tables (%zu KiB)",
				    count * 4);

	struct paging_pool pool = {
		.pages = (uint64_t *)(UINTN)phys,
		.phys = phys,
		.count = count,
	};
	uint64_t *pml4 = paging_pml4(&pool);
	if (!pml4 || paging_map(&pool, pml4, 0, 0, top) < 0 ||
	    paging_map(&pool, pml4, virt, info->hv_phys_base, size) < 0)
		return loader_error(ld, EFI_LOAD_ERROR, "cannot build the page tables "
				    "(identity map to 0x%llx, hypervisor at 0x%llx)",
				    (unsigned long long)top, (unsigned long long)virt);
	ld->pml4 = phys;
	loader_debug(ld, "page tables at 0x%llx: identity map to 0x%llx, 0x%llx -> 0x%llx "
		     "(%llu MiB), %zu tables", (unsigned long long)phys, (unsigned long long)top,
		     (unsigned long long)virt, (unsigned long long)info->hv_phys_base,
		     (unsigned long long)MIB(size), pool.used);
	return 0;
}

/*
 * Fetch the final memory map into a buffer with slack for the
 * buffer's own allocation and call ExitBootServices with its key, retrying
 * with a fresh map when the key went stale.  Nothing may allocate or print
 * between GetMemoryMap and ExitBootServices.  On success boot services are
 * gone and nothing may be printed any more.
 */
int handoff_exit_boot_services(struct loader *ld)
{
	UINTN size = 0, cap, key, desc_size;
	UINT32 desc_version;
	EFI_STATUS st;
	int tried_exit = 0;

	st = ld->bs->GetMemoryMap(&size, NULL, &key, &desc_size, &desc_version);
	if (st != EFI_BUFFER_TOO_SMALL)
		return loader_error(ld, st, "cannot read the memory map (%s)", efi_status_text(st));
	UINTN slack = MEMMAP_SLACK_DESCRIPTORS + MEMMAP_SPLITS_PER_DEFERRED * ld->deferred_count;
	cap = size + slack * desc_size;
	void *map = mem_alloc_pool(ld, cap);
	if (!map)
		return loader_error(ld, EFI_OUT_OF_RESOURCES, "out of memory for the memory map");

	for (int attempt = 0; attempt < EBS_ATTEMPTS; attempt++) {
		size = cap;
		st = ld->bs->GetMemoryMap(&size, map, &key, &desc_size, &desc_version);
		if (st == EFI_BUFFER_TOO_SMALL && !tried_exit) {
			mem_free_pool(ld, map);
			cap = size + slack * desc_size;
			map = mem_alloc_pool(ld, cap);
			if (!map)
				return loader_error(ld, EFI_OUT_OF_RESOURCES,
						    "out of memory for the memory map");
			continue;
		}
		if (EFI_ERROR(st))
			return loader_error(ld, st, "cannot read the memory map (%s)",
					    efi_status_text(st));
		st = ld->bs->ExitBootServices(ld->image, key);
		if (st == EFI_SUCCESS) {
			ld->info->memmap_phys = (uint64_t)(UINTN)map;
			ld->info->memmap_entries = (uint32_t)(size / desc_size);
			ld->info->memmap_desc_size = (uint32_t)desc_size;
			ld->info->memmap_desc_version = desc_version;
			ld->memmap_capacity = cap / desc_size;
			return 0;
		}
		if (st != EFI_INVALID_PARAMETER)
			break;
		tried_exit = 1;
	}
	return loader_error(ld, st, "ExitBootServices failed (%s)", efi_status_text(st));
}

/*
 * Runs with boot services gone and the loader's page tables live (every page
 * writable).  The destinations were boot-services or free memory that
 * mem_claim_after_exit checked holds no live firmware state; the staging
 * copies become free memory for the hypervisor.
 */
void handoff_place_deferred(struct loader *ld)
{
	struct boot_info *info = ld->info;
	size_t count = info->memmap_entries;
	void *map = (void *)(UINTN)info->memmap_phys;

	for (unsigned i = 0; i < ld->deferred_count; i++) {
		const struct loader_deferred *d = &ld->deferred[i];
		unsigned char *dst = (unsigned char *)(UINTN)d->dest;
		const unsigned char *src = (const unsigned char *)(UINTN)d->staging;
		for (uint64_t n = 0; n < d->size; n++)
			dst[n] = src[n];
		memmap_set_type(map, &count, info->memmap_desc_size, ld->memmap_capacity,
				d->dest, d->dest + d->size, BOOT_MEM_LOADER_DATA);
		memmap_set_type(map, &count, info->memmap_desc_size, ld->memmap_capacity,
				d->staging, d->staging + d->size, BOOT_MEM_CONVENTIONAL);
	}
	info->memmap_entries = (uint32_t)count;
}
