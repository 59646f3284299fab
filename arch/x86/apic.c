/* Local xAPIC access through its MMIO page. */
#include "arch/x86/apic.h"

#include "arch/x86/cpu.h"

#define APIC_ID        0x020
#define APIC_ICR_LOW   0x300
#define APIC_ICR_HIGH  0x310
#define ICR_INIT       (5u << 8)
#define ICR_STARTUP    (6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_PENDING    (1u << 12)

static uint64_t apic_base;

void apic_init(void)
{
	apic_base = rdmsr(MSR_APIC_BASE) & 0xffffff000ull;
}

uint32_t apic_id(void)
{
	return mmio_read32(apic_base + APIC_ID) >> 24;
}

static void send_ipi(uint32_t dest, uint32_t low)
{
	mmio_write32(apic_base + APIC_ICR_HIGH, dest << 24);
	mmio_write32(apic_base + APIC_ICR_LOW, low);
	for (int i = 0; i < 1000000 && (mmio_read32(apic_base + APIC_ICR_LOW) & ICR_PENDING); i++)
		cpu_relax();
}

void apic_send_init(uint32_t dest)
{
	send_ipi(dest, ICR_INIT | ICR_LEVEL_ASSERT);
}

void apic_send_startup(uint32_t dest, uint8_t vector)
{
	send_ipi(dest, ICR_STARTUP | vector);
}
