/*
 * Loading the images the config names: the hypervisor into its reserved
 * region, the parent at its physical link addresses, and the modules
 * anywhere page-aligned.
 */
#include "boot/loader.h"
#include "boot/fmt.h"

#define UPPER_HALF 0xffff800000000000ull

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static uint64_t round_down(uint64_t v, uint64_t align)
{
	return v & ~(align - 1);
}

static void copy_bytes(void *dst, const void *src, uint64_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
}

static void zero_bytes(void *dst, uint64_t n)
{
	unsigned char *d = dst;
	while (n--)
		*d++ = 0;
}

/* Read and validate an ELF; the file stays in tracked pages at *file. */
static int load_elf_file(struct loader *ld, const char *path, struct elf_image *img,
			 EFI_PHYSICAL_ADDRESS *file)
{
	char err[ELF_ERROR_LEN];
	UINT64 size;

	if (esp_read(ld, "", path, 0, file, &size) < 0)
		return -1;
	if (elf_parse((const void *)(UINTN)*file, size, img, err, sizeof(err)) < 0) {
		mem_free_pages(ld, *file);
		return loader_error(ld, EFI_LOAD_ERROR, "%s: %s", path, err);
	}
	for (uint32_t i = 0; i < img->segment_count; i++) {
		const struct elf_segment *s = &img->segments[i];
		loader_debug(ld, "%s: segment vaddr 0x%llx paddr 0x%llx file 0x%llx mem 0x%llx", path,
			     (unsigned long long)s->vaddr, (unsigned long long)s->paddr,
			     (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	}
	return 0;
}

/*
 * Reserve hv_memory bytes, 2 MiB aligned, typed
 * BOOT_MEMTYPE_HYPERVISOR, and copy the hypervisor image to its start so
 * that hv_phys_base corresponds to hv_virt_base.
 */
int load_hypervisor(struct loader *ld)
{
	const struct keel_config *cfg = ld->cfg;
	struct boot_info *info = ld->info;
	UINTN region_pages = cfg->hv_memory / LOADER_PAGE_SIZE;
	UINTN slack_pages = LOADER_2M / LOADER_PAGE_SIZE;
	EFI_PHYSICAL_ADDRESS raw;
	EFI_STATUS st;

	st = ld->bs->AllocatePages(AllocateAnyPages, (EFI_MEMORY_TYPE)BOOT_MEMTYPE_HYPERVISOR,
				   region_pages + slack_pages, &raw);
	if (EFI_ERROR(st))
		return loader_error(ld, st, "not enough memory for the hypervisor (hv_memory = %llu MiB)",
				    (unsigned long long)MIB(cfg->hv_memory));
	EFI_PHYSICAL_ADDRESS base = round_up(raw, LOADER_2M);
	UINTN head = (base - raw) / LOADER_PAGE_SIZE;
	UINTN tail = slack_pages - head;
	if (head)
		ld->bs->FreePages(raw, head);
	if (tail)
		ld->bs->FreePages(base + cfg->hv_memory, tail);
	mem_track_pages(ld, base, region_pages);
	info->hv_phys_base = base;
	info->hv_phys_size = cfg->hv_memory;

	struct elf_image img;
	EFI_PHYSICAL_ADDRESS file;
	if (load_elf_file(ld, cfg->hypervisor, &img, &file) < 0)
		return -1;

	int rc = -1;
	if (img.vaddr_min < UPPER_HALF) {
		loader_error(ld, EFI_LOAD_ERROR, "%s: linked at 0x%llx, but the hypervisor must be "
			     "linked in the upper half (0x%llx or above)", cfg->hypervisor,
			     (unsigned long long)img.vaddr_min, (unsigned long long)UPPER_HALF);
		goto out;
	}
	uint64_t virt_base = round_down(img.vaddr_min, LOADER_2M);
	uint64_t image_size = round_up(img.vaddr_end - virt_base, LOADER_PAGE_SIZE);
	if (image_size > cfg->hv_memory || cfg->hv_memory - image_size < LOADER_HV_MIN_FREE) {
		loader_error(ld, EFI_BUFFER_TOO_SMALL, "hv_memory too small for the hypervisor image "
			     "(%s needs %llu KiB plus %llu MiB free; hv_memory = %llu MiB)",
			     cfg->hypervisor, (unsigned long long)KIB(image_size),
			     (unsigned long long)MIB(LOADER_HV_MIN_FREE),
			     (unsigned long long)MIB(cfg->hv_memory));
		goto out;
	}

	zero_bytes((void *)(UINTN)base, image_size);
	for (uint32_t i = 0; i < img.segment_count; i++) {
		const struct elf_segment *s = &img.segments[i];
		copy_bytes((void *)(UINTN)(base + (s->vaddr - virt_base)),
			   (const void *)(UINTN)(file + s->offset), s->filesz);
	}
	info->hv_virt_base = virt_base;
	info->hv_image_size = image_size;
	ld->hv_entry = img.entry;
	loader_info(ld, "hypervisor %s at 0x%llx (%llu KiB), region %llu MiB", cfg->hypervisor,
		    (unsigned long long)base, (unsigned long long)KIB(image_size),
		    (unsigned long long)MIB(cfg->hv_memory));
	loader_debug(ld, "hypervisor linked at 0x%llx, entry 0x%llx",
		     (unsigned long long)virt_base, (unsigned long long)img.entry);
	rc = 0;
out:
	mem_free_pages(ld, file);
	return rc;
}

/* One run of pages the parent's segments occupy, and where it is written now. */
struct parent_range {
	uint64_t start, end;
	uint64_t write;  /* == start, or a staging copy placed after ExitBootServices */
};

/*
 * Reserve [r->start, r->end) for the parent: allocate it now, or, when the
 * firmware still uses it for boot services, claim it for after
 * ExitBootServices and stage the contents elsewhere.
 */
static int reserve_parent_range(struct loader *ld, const char *path, struct parent_range *r)
{
	UINTN pages = (r->end - r->start) / LOADER_PAGE_SIZE;
	EFI_PHYSICAL_ADDRESS at = r->start;
	EFI_STATUS st = mem_alloc_pages(ld, AllocateAddress, EfiLoaderData, pages, &at);

	if (!EFI_ERROR(st)) {
		r->write = r->start;
		return 0;
	}
	if (mem_claim_after_exit(ld, r->start, r->end)) {
		EFI_PHYSICAL_ADDRESS staging;
		st = mem_alloc_pages(ld, AllocateAnyPages, EfiLoaderData, pages, &staging);
		if (EFI_ERROR(st))
			return loader_error(ld, st, "%s: not enough memory to stage 0x%llx-0x%llx "
					    "(%llu KiB)", path, (unsigned long long)r->start,
					    (unsigned long long)r->end,
					    (unsigned long long)KIB(r->end - r->start));
		struct loader_deferred *d = &ld->deferred[ld->deferred_count++];
		d->dest = r->start;
		d->staging = staging;
		d->size = r->end - r->start;
		r->write = staging;
		loader_debug(ld, "%s: 0x%llx-0x%llx is boot-services memory; staged at 0x%llx until "
			     "ExitBootServices", path, (unsigned long long)r->start,
			     (unsigned long long)r->end, (unsigned long long)staging);
		return 0;
	}

	char why[112];
	mem_describe_range(ld, r->start, r->end, why, sizeof(why));
	return loader_error(ld, st, "%s: cannot allocate 0x%llx-0x%llx for the parent image: "
			    "that range is not free memory (%s)", path,
			    (unsigned long long)r->start, (unsigned long long)r->end, why);
}

/*
 * The parent is identity-linked; each segment goes to its p_paddr.
 * Segments sharing pages are placed as one range.
 */
int load_parent(struct loader *ld)
{
	const char *path = ld->cfg->parent;
	struct boot_info *info = ld->info;
	struct elf_image img;
	EFI_PHYSICAL_ADDRESS file;
	uint32_t order[ELF_MAX_SEGMENTS];
	struct parent_range ranges[ELF_MAX_SEGMENTS];
	uint32_t range_of[ELF_MAX_SEGMENTS];
	uint32_t range_count = 0;

	if (load_elf_file(ld, path, &img, &file) < 0)
		return -1;

	int rc = -1;
	for (uint32_t i = 0; i < img.segment_count; i++) {
		const struct elf_segment *s = &img.segments[i];
		if (s->vaddr != s->paddr) {
			loader_error(ld, EFI_LOAD_ERROR, "%s: not identity-linked (a segment has "
				     "p_vaddr 0x%llx but p_paddr 0x%llx)", path,
				     (unsigned long long)s->vaddr, (unsigned long long)s->paddr);
			goto out;
		}
		if (s->paddr + s->memsz > 0x000ffffffffff000ull) {
			loader_error(ld, EFI_LOAD_ERROR, "%s: a segment lies beyond the physical "
				     "address space (0x%llx)", path, (unsigned long long)s->paddr);
			goto out;
		}
	}

	/* Insertion sort by physical address (at most ELF_MAX_SEGMENTS). */
	for (uint32_t i = 0; i < img.segment_count; i++) {
		uint32_t j = i;
		for (; j > 0 && img.segments[order[j - 1]].paddr > img.segments[i].paddr; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}

	/* Merge segments whose pages touch or overlap into ranges. */
	for (uint32_t k = 0; k < img.segment_count; k++) {
		const struct elf_segment *s = &img.segments[order[k]];
		uint64_t start = round_down(s->paddr, LOADER_PAGE_SIZE);
		uint64_t end = round_up(s->paddr + s->memsz, LOADER_PAGE_SIZE);
		if (range_count && start <= ranges[range_count - 1].end) {
			if (end > ranges[range_count - 1].end)
				ranges[range_count - 1].end = end;
		} else {
			ranges[range_count].start = start;
			ranges[range_count].end = end;
			range_count++;
		}
		range_of[order[k]] = range_count - 1;
	}

	for (uint32_t r = 0; r < range_count; r++) {
		if (reserve_parent_range(ld, path, &ranges[r]) < 0)
			goto out;
		zero_bytes((void *)(UINTN)ranges[r].write, ranges[r].end - ranges[r].start);
	}
	for (uint32_t i = 0; i < img.segment_count; i++) {
		const struct elf_segment *s = &img.segments[i];
		const struct parent_range *r = &ranges[range_of[i]];
		copy_bytes((void *)(UINTN)(r->write + (s->paddr - r->start)),
			   (const void *)(UINTN)(file + s->offset), s->filesz);
	}
	info->parent_entry = img.entry;
	info->parent_phys_start = img.paddr_min;
	info->parent_phys_end = img.paddr_end;
	loader_info(ld, "parent %s entry 0x%llx, loaded at 0x%llx-0x%llx", path,
		    (unsigned long long)img.entry, (unsigned long long)img.paddr_min,
		    (unsigned long long)img.paddr_end);
	rc = 0;
out:
	mem_free_pages(ld, file);
	return rc;
}

/* Every module goes into its own page-aligned EfiLoaderData pages. */
int load_modules(struct loader *ld)
{
	const struct keel_config *cfg = ld->cfg;
	struct boot_info *info = ld->info;

	for (uint32_t i = 0; i < cfg->module_count; i++) {
		const struct config_module *m = &cfg->modules[i];
		struct boot_module *bm = &info->modules[i];
		char what[BOOT_MODULE_NAME_LEN + 16];
		EFI_PHYSICAL_ADDRESS phys;
		UINT64 size;
		unsigned n;

		fmt_snprintf(what, sizeof(what), "module %s: ", m->name);
		if (esp_read(ld, what, m->path, 0, &phys, &size) < 0)
			return -1;
		bm->phys = phys;
		bm->size = size;
		for (n = 0; m->name[n]; n++)
			bm->name[n] = m->name[n];
		bm->name[n] = '\0';
		info->module_count = i + 1;
		loader_info(ld, "module %s %s at 0x%llx (%llu bytes)", m->name, m->path,
			    (unsigned long long)phys, (unsigned long long)size);
	}
	return 0;
}
