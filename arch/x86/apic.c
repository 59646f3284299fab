/* Local xAPIC access through its MMIO page. */
#include "arch/x86/apic.h"

#include "arch/x86/cpu.h"

#define APIC_ID        0x020
#define APIC_ISR       0x100 /* eight 32-bit words at a 16-byte stride */
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

bool apic_in_service(uint8_t vector)
{
	return (mmio_read32(apic_base + APIC_ISR + 0x10 * (vector >> 5)) >> (vector & 31)) & 1;
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

#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_LVT_TIMER  0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR  0x390
#define APIC_TIMER_DIV  0x3e0
#define APIC_SVR_ENABLE (1u << 8)
#define LVT_MASKED      (1u << 16)
#define LVT_PERIODIC    (1u << 17)

/* Timer ticks per 2^16 TSC ticks, measured once on the BSP (all local APIC
 * timers run from the same bus clock). */
static uint64_t timer_per_tsc_16;

void apic_eoi(void)
{
	mmio_write32(apic_base + APIC_EOI, 0);
}

void apic_send_fixed(uint32_t dest, uint8_t vector)
{
	send_ipi(dest, vector);
}

void apic_local_init(void)
{
	mmio_write32(apic_base + APIC_SVR, APIC_SVR_ENABLE | APIC_VECTOR_SPURIOUS);
	mmio_write32(apic_base + APIC_TIMER_DIV, 0x3); /* divide by 16 */
	mmio_write32(apic_base + APIC_LVT_TIMER, LVT_MASKED | APIC_VECTOR_TIMER);
	if (!timer_per_tsc_16) {
		uint64_t t0, spent;
		uint32_t left;

		mmio_write32(apic_base + APIC_TIMER_INIT, 0xffffffffu);
		t0 = rdtsc();
		while (rdtsc() - t0 < 2000000)
			cpu_relax();
		left = mmio_read32(apic_base + APIC_TIMER_CUR);
		spent = rdtsc() - t0;
		mmio_write32(apic_base + APIC_TIMER_INIT, 0);
		timer_per_tsc_16 = ((uint64_t)(0xffffffffu - left) << 16) / (spent ? spent : 1);
		if (!timer_per_tsc_16)
			timer_per_tsc_16 = 1;
	}
}

void apic_timer_arm(uint64_t tsc_ticks)
{
	uint64_t count = (tsc_ticks * timer_per_tsc_16) >> 16;

	if (count == 0)
		count = 1;
	if (count > 0xffffffffu)
		count = 0xffffffffu;
	mmio_write32(apic_base + APIC_LVT_TIMER, APIC_VECTOR_TIMER | LVT_PERIODIC); /* unmasked */
	mmio_write32(apic_base + APIC_TIMER_INIT, (uint32_t)count);
}

void apic_timer_stop(void)
{
	mmio_write32(apic_base + APIC_TIMER_INIT, 0);
}
