/* The few ACPI tables the hypervisor reads: MADT (CPUs) and FADT (PM timer). */
#ifndef KEEL_ARCH_X86_ACPI_H
#define KEEL_ARCH_X86_ACPI_H

#include <stdint.h>

#define ACPI_MAX_CPUS 64

struct acpi_info {
	uint32_t cpu_count;                 /* enabled local APICs */
	uint32_t apic_ids[ACPI_MAX_CPUS];
	uint16_t pm_timer_port;             /* 0 if none */
	uint8_t pm_timer_32bit;
};

/* Parse the tables under the RSDP; 0 or -1 if the RSDP is unusable. */
int acpi_parse(uint64_t rsdp, struct acpi_info *out);
/* Busy-wait using the ACPI PM timer (3.579545 MHz). */
void acpi_udelay(const struct acpi_info *a, uint32_t us);

#endif
