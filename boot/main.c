/*
 * Keel's UEFI loader: checks the CPU, reads \keel\keel.cfg from the ESP,
 * loads the hypervisor, the parent and the modules, builds the hand-off
 * (hv/abi/boot_info.h) and enters the hypervisor after ExitBootServices.
 *
 * Any failure prints "keel-loader: error: ..." and "keel-loader: returning
 * to firmware", frees everything the loader allocated and returns an error
 * status; the loader never hangs.
 */
#include "boot/loader.h"
#include "hv/abi/version.h"

#define CONFIG_PATH "\\keel\\keel.cfg"

static EFI_GUID acpi_20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID acpi_10_guid = ACPI_TABLE_GUID;

static struct loader the_loader;

static int guid_equal(const EFI_GUID *a, const EFI_GUID *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	for (unsigned i = 0; i < sizeof(EFI_GUID); i++) {
		if (x[i] != y[i])
			return 0;
	}
	return 1;
}

static void zero(void *p, UINTN n)
{
	unsigned char *b = p;
	while (n--)
		*b++ = 0;
}

static int read_config(struct loader *ld)
{
	char err[CONFIG_ERROR_LEN];
	EFI_PHYSICAL_ADDRESS text;
	UINT64 size;

	ld->cfg = mem_alloc_pool(ld, sizeof(*ld->cfg));
	if (!ld->cfg)
		return loader_error(ld, EFI_OUT_OF_RESOURCES, "out of memory");
	if (esp_read(ld, "", CONFIG_PATH, CONFIG_MAX_SIZE, &text, &size) < 0)
		return -1;
	int rc = config_parse((const char *)(UINTN)text, size, ld->cfg, err, sizeof(err));
	mem_free_pages(ld, text);
	if (rc < 0)
		return loader_error(ld, EFI_LOAD_ERROR, "%s", err);

	const struct keel_config *cfg = ld->cfg;
	ld->log_level = cfg->log_level;
	loader_debug(ld, "config: hypervisor %s, parent %s, hv_memory %llu MiB, log_level %s, "
		     "vendor \"%s\", %u module(s), startup \"%s\"", cfg->hypervisor, cfg->parent,
		     (unsigned long long)MIB(cfg->hv_memory), config_log_level_name(cfg->log_level),
		     cfg->vendor, cfg->module_count, cfg->startup);
	return 0;
}

/* Scratch memory below 4 GiB that the parent owns from its first instruction. */
static int alloc_parent_boot_area(struct loader *ld)
{
	EFI_PHYSICAL_ADDRESS area = 0xffffffffull;
	EFI_STATUS st = mem_alloc_pages(ld, AllocateMaxAddress, EfiLoaderData,
					LOADER_BOOT_AREA_SIZE / LOADER_PAGE_SIZE, &area);
	if (EFI_ERROR(st))
		return loader_error(ld, st, "cannot allocate the parent boot area (%llu KiB below 4 GiB)",
				    (unsigned long long)KIB(LOADER_BOOT_AREA_SIZE));
	zero((void *)(UINTN)area, LOADER_BOOT_AREA_SIZE);
	ld->info->parent_boot_area = area;
	ld->info->parent_boot_area_size = LOADER_BOOT_AREA_SIZE;
	return 0;
}

/*
 * The legacy way (ACPI 6.5 §5.2.5.1): an RSDP on a 16-byte boundary in the
 * BIOS area 0xE0000-0xFFFFF, with a valid checksum over its first 20 bytes.
 * Some firmware (OVMF on Bochs) publishes ACPI only there.
 */
static uint64_t scan_bios_rsdp(void)
{
	for (uint64_t p = 0xe0000; p < 0x100000; p += 16) {
		const unsigned char *b = (const unsigned char *)(UINTN)p;
		static const char sig[8] = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' };
		unsigned i = 0;
		while (i < 8 && b[i] == (unsigned char)sig[i])
			i++;
		if (i < 8)
			continue;
		unsigned char sum = 0;
		for (i = 0; i < 20; i++)
			sum += b[i];
		if (sum == 0)
			return p;
	}
	return 0;
}

/* The RSDP from the configuration table, ACPI 2.0+ preferred. */
static void find_rsdp(struct loader *ld)
{
	uint64_t rsdp10 = 0, rsdp20 = 0;

	for (UINTN i = 0; i < ld->st->NumberOfTableEntries; i++) {
		const EFI_CONFIGURATION_TABLE *t = &ld->st->ConfigurationTable[i];
		if (guid_equal(&t->VendorGuid, &acpi_20_guid))
			rsdp20 = (uint64_t)(UINTN)t->VendorTable;
		else if (guid_equal(&t->VendorGuid, &acpi_10_guid))
			rsdp10 = (uint64_t)(UINTN)t->VendorTable;
	}
	ld->info->acpi_rsdp = rsdp20 ? rsdp20 : rsdp10;
	if (ld->info->acpi_rsdp) {
		loader_debug(ld, "ACPI %s RSDP at 0x%llx", rsdp20 ? "2.0" : "1.0",
			     (unsigned long long)ld->info->acpi_rsdp);
		return;
	}
	ld->info->acpi_rsdp = scan_bios_rsdp();
	if (ld->info->acpi_rsdp)
		loader_debug(ld, "ACPI RSDP at 0x%llx (BIOS area)",
			     (unsigned long long)ld->info->acpi_rsdp);
	else
		loader_warn(ld, "the firmware publishes no ACPI RSDP");
}

/* The boot_info fields that come from the config. */
static void fill_boot_info(struct loader *ld)
{
	struct boot_info *info = ld->info;
	const struct keel_config *cfg = ld->cfg;

	info->magic = BOOT_INFO_MAGIC;
	info->version = BOOT_INFO_VERSION;
	info->size = sizeof(*info);
	info->log_level = cfg->log_level;
	info->time_slice_us = cfg->time_slice_us;
	for (unsigned i = 0; i < BOOT_VENDOR_LEN && cfg->vendor[i]; i++)
		info->vendor[i] = cfg->vendor[i];
	for (unsigned i = 0; i + 1 < BOOT_MODULE_NAME_LEN && cfg->startup[i]; i++)
		info->startup_module[i] = cfg->startup[i];
}

static int boot(struct loader *ld)
{
	if (cpu_check(ld) < 0 || cpu_check_paging(ld) < 0)
		return -1;
	if (esp_open(ld) < 0 || read_config(ld) < 0)
		return -1;

	EFI_PHYSICAL_ADDRESS info;
	EFI_STATUS st = mem_alloc_pages(ld, AllocateAnyPages, EfiLoaderData,
					EFI_SIZE_TO_PAGES(sizeof(struct boot_info)), &info);
	if (EFI_ERROR(st))
		return loader_error(ld, st, "out of memory for the boot information");
	ld->info = (struct boot_info *)(UINTN)info;
	zero(ld->info, sizeof(struct boot_info));

	if (load_hypervisor(ld) < 0 || load_parent(ld) < 0 || load_modules(ld) < 0)
		return -1;
	if (alloc_parent_boot_area(ld) < 0)
		return -1;
	find_rsdp(ld);
	find_processors(ld);
	if (handoff_build_page_tables(ld) < 0)
		return -1;
	fill_boot_info(ld);

	loader_info(ld, "starting hypervisor");
	esp_close(ld);
	if (handoff_exit_boot_services(ld) < 0)
		return -1;
	mem_forget_all(ld);
	cpu_switch_page_tables(ld->pml4);
	handoff_place_deferred(ld);
	cpu_enter_hypervisor(ld->hv_entry, (uint64_t)(UINTN)ld->info);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct loader *ld = &the_loader;

	ld->image = image;
	ld->st = systab;
	ld->bs = systab->BootServices;
	ld->status = EFI_LOAD_ERROR;
	ld->log_level = BOOT_LOG_INFO;
	con_init(systab);
	con_print("Keel loader " KEEL_VERSION "\n");

	/* The firmware arms a 5-minute watchdog for boot options (UEFI 2.x §3.1.2). */
	ld->bs->SetWatchdogTimer(0, 0, 0, NULL);

	boot(ld);

	con_print("keel-loader: returning to firmware\n");
	esp_close(ld);
	mem_release_all(ld);
	return ld->status;
}
