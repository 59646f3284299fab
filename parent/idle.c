/* Sleeping until an interrupt; contract in idle.h. */
#include "parent/idle.h"

#include <stdint.h>

#include "parent/kernel.h"
#include "parent/wallclock.h"
#include "parent/x86.h"

#define MSR_APIC_BASE   0x1bu
#define APIC_BASE_XAPIC (1ull << 11)
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_LVT_TIMER  0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR  0x390
#define APIC_TIMER_DIV  0x3e0
#define APIC_SVR_ENABLE (1u << 8)
#define LVT_PERIODIC    (1u << 17)
#define LVT_MASKED      (1u << 16)
#define SPURIOUS_VECTOR 0xff

volatile uint32_t *idle_apic; /* the EOI register, for isr.S */
static int ready;

void idt_set_interrupt(unsigned vector, void (*handler)(void));
void isr_wake(void);
void isr_spurious(void);

static void apic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)((uintptr_t)idle_apic - APIC_EOI + reg) = v;
}

static uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)((uintptr_t)idle_apic - APIC_EOI + reg);
}

int idle_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), t0, hz = parent_tsc_hz();
	uint32_t per_ms;

	if (!(base & APIC_BASE_XAPIC))
		return -1;
	idle_apic = (volatile uint32_t *)((base & ~0xfffull) + APIC_EOI);
	idt_set_interrupt(IDLE_VECTOR_TICK, isr_wake);
	idt_set_interrupt(IDLE_VECTOR_MESSAGE, isr_wake);
	idt_set_interrupt(SPURIOUS_VECTOR, isr_spurious);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
	apic_write(APIC_TIMER_DIV, 0x3); /* divide by 16 */
	apic_write(APIC_LVT_TIMER, LVT_MASKED | IDLE_VECTOR_TICK);
	/* Timer counts per millisecond, measured against the TSC. */
	apic_write(APIC_TIMER_INIT, 0xffffffffu);
	t0 = rdtsc();
	while (rdtsc() - t0 < hz / 1000)
		pause();
	per_ms = 0xffffffffu - apic_read(APIC_TIMER_CUR);
	if (!per_ms)
		per_ms = 1;
	apic_write(APIC_LVT_TIMER, LVT_PERIODIC | IDLE_VECTOR_TICK);
	apic_write(APIC_TIMER_INIT, per_ms * (IDLE_TICK_US / 1000));
	ready = 1;
	return 0;
}

void idle_wait(void)
{
	if (ready)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	else
		pause();
	wallclock_refine();
}
