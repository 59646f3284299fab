/*
 * The processor list from the firmware's MP services protocol (UEFI PI
 * spec vol. 2, EFI_MP_SERVICES_PROTOCOL), for machines whose firmware
 * publishes no ACPI MADT.  gnu-efi does not declare the protocol, so the
 * parts used are declared here.
 */
#include "boot/loader.h"

#define MP_STATUS_BSP     0x1
#define MP_STATUS_ENABLED 0x2

typedef struct {
	UINT64 ProcessorId; /* the local APIC ID */
	UINT32 StatusFlag;
	UINT32 Package, Core, Thread;
} MP_PROCESSOR_INFORMATION;

typedef struct MP_SERVICES MP_SERVICES;
struct MP_SERVICES {
	EFI_STATUS(EFIAPI *GetNumberOfProcessors)(MP_SERVICES *self, UINTN *count, UINTN *enabled);
	EFI_STATUS(EFIAPI *GetProcessorInfo)(MP_SERVICES *self, UINTN number, MP_PROCESSOR_INFORMATION *info);
	/* StartupAllAPs, StartupThisAP, SwitchBSP, EnableDisableAP, WhoAmI: unused. */
};

static EFI_GUID mp_services_guid = { 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } };

void find_processors(struct loader *ld)
{
	struct boot_info *info = ld->info;
	MP_SERVICES *mp = NULL;
	UINTN count = 0, enabled = 0;

	info->cpu_count = 0;
	if (EFI_ERROR(ld->bs->LocateProtocol(&mp_services_guid, NULL, (void **)&mp)) || !mp ||
	    EFI_ERROR(mp->GetNumberOfProcessors(mp, &count, &enabled))) {
		loader_debug(ld, "no MP services protocol");
		return;
	}
	for (UINTN i = 0; i < count && info->cpu_count < BOOT_MAX_CPUS; i++) {
		MP_PROCESSOR_INFORMATION p;

		if (EFI_ERROR(mp->GetProcessorInfo(mp, i, &p)) || !(p.StatusFlag & MP_STATUS_ENABLED))
			continue;
		if (p.StatusFlag & MP_STATUS_BSP && info->cpu_count) {
			info->apic_ids[info->cpu_count++] = info->apic_ids[0];
			info->apic_ids[0] = (uint32_t)p.ProcessorId;
		} else {
			info->apic_ids[info->cpu_count++] = (uint32_t)p.ProcessorId;
		}
	}
	loader_debug(ld, "MP services: %u enabled processors", info->cpu_count);
}
