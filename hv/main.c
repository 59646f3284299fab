/*
 * The hypervisor's C entry on the bootstrap processor: take the loader's
 * hand-off, build memory and per-CPU state, pick the backend, start the other
 * pCPUs, create the parent partition and run it.
 */
#include <string.h>

#include "arch/x86/acpi.h"
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/serial.h"
#include "hv/abi/version.h"
#include "hv/exit.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/partition.h"
#include "hv/pcpu.h"
#include "hv/stimer.h"
#include "hv/vcpu_ops.h"
#include "hv/window.h"

struct boot_info hv_boot;
static struct pcpu bsp_pcpu;
static struct acpi_info acpi;

void hv_main(uint64_t boot_info_phys);

static void take_boot_info(uint64_t phys)
{
	const struct boot_info *bi = (const struct boot_info *)phys;

	if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION || bi->size != sizeof(*bi))
		panic("boot_info at %#lx has magic %#lx version %u size %u; this loader does not match",
		      phys, bi->magic, bi->version, bi->size);
	memcpy(&hv_boot, bi, sizeof(hv_boot));
	hv_boot.startup_module[BOOT_MODULE_NAME_LEN - 1] = 0;
	if (hv_boot.module_count > BOOT_MAX_MODULES)
		hv_boot.module_count = BOOT_MAX_MODULES;
	if (hv_boot.time_slice_us < 100 || hv_boot.time_slice_us > 1000000)
		hv_boot.time_slice_us = 10000; /* the loader's default */
	if (hv_boot.log_level <= BOOT_LOG_DEBUG)
		log_level = (int)hv_boot.log_level;
}

/* The parent's VP runs here until the parent stops. */
static __attribute__((noreturn)) void run_parent(void)
{
	struct vp *vp = parent_partition.vps[0];

	this_pcpu()->current = vp;
	xstate_load(&vp->xstate); /* the bootstrap processor runs nothing else */
	for (;;)
		vcpu_run(vp); /* returns only when the exit policy asks to */
}

void hv_main(uint64_t boot_info_phys)
{
	serial_init();
	take_boot_info(boot_info_phys);
	log_info("Keel hypervisor %s", KEEL_VERSION);
	mem_init();

	idt_init();
	bsp_pcpu.index = 0;
	desc_load(&bsp_pcpu);
	pcpus[0] = &bsp_pcpu;
	apic_init();
	stimer_calibrate();
	bsp_pcpu.apic_id = apic_id();

	if (vcpu_select()) {
		panic("this CPU has neither AMD-V (SVM) nor Intel VT-x; Keel cannot run here");
	}
	xstate_cpu_init();
	if (vcpu_enable_cpu())
		panic("cannot enable %s on the bootstrap processor", vcpu->name);
	log_info("backend: %s (features %#x)", vcpu->name, vcpu->features());

	if (acpi_parse(hv_boot.acpi_rsdp, &acpi) || acpi.cpu_count == 0) {
		/* No MADT (OVMF under Bochs has no ACPI): the firmware's list. */
		acpi.cpu_count = hv_boot.cpu_count < ACPI_MAX_CPUS ? hv_boot.cpu_count : ACPI_MAX_CPUS;
		memcpy(acpi.apic_ids, hv_boot.apic_ids, acpi.cpu_count * sizeof(acpi.apic_ids[0]));
		log_info("no ACPI MADT; %u CPUs from the firmware's MP services", acpi.cpu_count);
	}
	pcpu_count = smp_start_aps(&acpi);
	log_info("pcpus: %u online of %u", pcpu_count, acpi.cpu_count ? acpi.cpu_count : 1);

	cpuid_policy_init();
	window_init();
	if (parent_create())
		panic("cannot create the parent partition");
	log_info("starting the parent partition");
	run_parent();
}
