/*
 * Tracked firmware allocations: everything the loader allocates is recorded
 * so that a failed boot hands all of it back before returning to the
 * firmware.  A successful boot keeps everything (mem_forget_all).
 */
#include "boot/loader.h"
#include "boot/fmt.h"

static void mem_record(struct loader *ld, EFI_PHYSICAL_ADDRESS phys, UINTN pages)
{
	if (ld->alloc_count < LOADER_MAX_ALLOCS) {
		ld->allocs[ld->alloc_count].phys = phys;
		ld->allocs[ld->alloc_count].pages = pages;
		ld->alloc_count++;
	}
}

static void mem_unrecord(struct loader *ld, unsigned i)
{
	for (; i + 1 < ld->alloc_count; i++)
		ld->allocs[i] = ld->allocs[i + 1];
	ld->alloc_count--;
}

EFI_STATUS mem_alloc_pages(struct loader *ld, EFI_ALLOCATE_TYPE how, UINT32 type,
			   UINTN pages, EFI_PHYSICAL_ADDRESS *phys)
{
	if (ld->alloc_count >= LOADER_MAX_ALLOCS)
		return EFI_OUT_OF_RESOURCES;
	EFI_STATUS st = ld->bs->AllocatePages(how, (EFI_MEMORY_TYPE)type, pages, phys);
	if (!EFI_ERROR(st))
		mem_record(ld, *phys, pages);
	return st;
}

void mem_track_pages(struct loader *ld, EFI_PHYSICAL_ADDRESS phys, UINTN pages)
{
	mem_record(ld, phys, pages);
}

void mem_free_pages(struct loader *ld, EFI_PHYSICAL_ADDRESS phys)
{
	for (unsigned i = ld->alloc_count; i-- > 0;) {
		if (ld->allocs[i].pages && ld->allocs[i].phys == phys) {
			ld->bs->FreePages(phys, ld->allocs[i].pages);
			mem_unrecord(ld, i);
			return;
		}
	}
}

void *mem_alloc_pool(struct loader *ld, UINTN size)
{
	void *p = NULL;
	if (ld->alloc_count >= LOADER_MAX_ALLOCS)
		return NULL;
	if (EFI_ERROR(ld->bs->AllocatePool(EfiLoaderData, size, &p)))
		return NULL;
	mem_record(ld, (EFI_PHYSICAL_ADDRESS)(UINTN)p, 0);
	return p;
}

void mem_free_pool(struct loader *ld, void *p)
{
	for (unsigned i = ld->alloc_count; i-- > 0;) {
		if (!ld->allocs[i].pages && ld->allocs[i].phys == (EFI_PHYSICAL_ADDRESS)(UINTN)p) {
			ld->bs->FreePool(p);
			mem_unrecord(ld, i);
			return;
		}
	}
}

void mem_release_all(struct loader *ld)
{
	while (ld->alloc_count) {
		struct loader_alloc *a = &ld->allocs[--ld->alloc_count];
		if (a->pages)
			ld->bs->FreePages(a->phys, a->pages);
		else
			ld->bs->FreePool((void *)(UINTN)a->phys);
	}
}

void mem_forget_all(struct loader *ld)
{
	ld->alloc_count = 0;
}

static const char *mem_type_name(UINT32 type)
{
	static const char *const names[] = {
		"reserved", "LoaderCode", "LoaderData", "BootServicesCode",
		"BootServicesData", "RuntimeServicesCode", "RuntimeServicesData",
		"free memory", "unusable memory", "ACPI reclaim memory", "ACPI NVS",
		"MMIO", "MMIO port space", "PAL code", "persistent memory",
	};
	if (type < sizeof(names) / sizeof(names[0]))
		return names[type];
	if (type == BOOT_MEMTYPE_HYPERVISOR)
		return "the hypervisor region";
	return "OS-defined memory";
}

/* A snapshot of the memory map in untracked pool memory; NULL on failure. */
static uint8_t *mem_get_map(struct loader *ld, UINTN *size, UINTN *desc_size)
{
	UINTN key;
	UINT32 desc_version;
	uint8_t *map;

	*size = 0;
	if (ld->bs->GetMemoryMap(size, NULL, &key, desc_size, &desc_version) != EFI_BUFFER_TOO_SMALL)
		return NULL;
	*size += 8 * *desc_size;
	if (EFI_ERROR(ld->bs->AllocatePool(EfiLoaderData, *size, (void **)&map)))
		return NULL;
	if (EFI_ERROR(ld->bs->GetMemoryMap(size, (EFI_MEMORY_DESCRIPTOR *)map, &key, desc_size,
					   &desc_version))) {
		ld->bs->FreePool(map);
		return NULL;
	}
	return map;
}

static int mem_overlaps(uint64_t s, uint64_t e, uint64_t start, uint64_t end)
{
	return s < end && start < e;
}

int mem_claim_after_exit(struct loader *ld, uint64_t start, uint64_t end)
{
	UINTN size, desc_size;
	uint64_t rsp, gdt, idt, covered = 0;
	int ok = 1;
	uint8_t *map = mem_get_map(ld, &size, &desc_size);

	if (!map)
		return 0;
	cpu_firmware_state(&rsp, &gdt, &idt);
	for (UINTN off = 0; ok && off + desc_size <= size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
		uint64_t s = d->PhysicalStart, e = s + d->NumberOfPages * LOADER_PAGE_SIZE;
		int live = (rsp >= s && rsp < e) || (gdt >= s && gdt < e) || (idt >= s && idt < e);
		if (!mem_overlaps(s, e, start, end))
			continue;
		if (live || (d->Type != EfiConventionalMemory && d->Type != EfiBootServicesCode &&
			     d->Type != EfiBootServicesData))
			ok = 0;
		covered += (e < end ? e : end) - (s > start ? s : start);
	}
	if (covered != end - start)
		ok = 0;

	/* Reserve the free parts so that no later allocation lands in them. */
	for (UINTN off = 0; ok && off + desc_size <= size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
		uint64_t s = d->PhysicalStart, e = s + d->NumberOfPages * LOADER_PAGE_SIZE;
		if (d->Type != EfiConventionalMemory || !mem_overlaps(s, e, start, end))
			continue;
		EFI_PHYSICAL_ADDRESS at = s > start ? s : start;
		uint64_t stop = e < end ? e : end;
		if (EFI_ERROR(mem_alloc_pages(ld, AllocateAddress, EfiLoaderData,
					      (stop - at) / LOADER_PAGE_SIZE, &at)))
			ok = 0;
	}
	ld->bs->FreePool(map);
	return ok;
}

void mem_describe_range(struct loader *ld, uint64_t start, uint64_t end,
			char *buf, size_t len)
{
	UINTN size, desc_size;
	uint64_t rsp, gdt, idt;
	int found = 0;
	uint8_t *map = mem_get_map(ld, &size, &desc_size);

	fmt_snprintf(buf, len, "there is no RAM at that address");
	if (!map)
		return;
	cpu_firmware_state(&rsp, &gdt, &idt);
	for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
		uint64_t s = d->PhysicalStart, e = s + d->NumberOfPages * LOADER_PAGE_SIZE;
		if (!mem_overlaps(s, e, start, end))
			continue;
		found = 1;
		const char *live = (rsp >= s && rsp < e) ? " holding the firmware's stack" :
				   (gdt >= s && gdt < e) ? " holding the firmware's GDT" :
				   (idt >= s && idt < e) ? " holding the firmware's IDT" : "";
		if (d->Type == EfiConventionalMemory && !live[0])
			continue;
		fmt_snprintf(buf, len, "0x%llx-0x%llx is %s%s", (unsigned long long)s,
			     (unsigned long long)e, mem_type_name(d->Type), live);
		break;
	}
	if (found && buf[0] == 'n')
		fmt_snprintf(buf, len, "part of it is not described by the memory map");
	ld->bs->FreePool(map);
}
