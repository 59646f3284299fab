/*
 * tprhalt.elf: the task priority through CR8.
 *  1. A self IPI (x2APIC SELF IPI MSR) of class 4 waits while CR8 is 4 and
 *     is delivered once a MOV to CR8 lowers it to 0 (AMD-V: the CR8 write
 *     is intercepted while an interrupt waits, decoded and applied to
 *     V_TPR; VT-x: CR8 exits, the task priority is the VP's).
 *  2. It raises CR8 to 15 (every interrupt class masked), enables
 *     interrupts and halts, forever.  What it must not do is mask the
 *     hypervisor's own interrupts on the pCPU it shares with other
 *     children: they keep running, and `vm stop --force` stops it.
 */
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

const char guest_name[] = "tprhalt";

#define MSR_EOI      0x80b
#define MSR_SELF_IPI 0x83f
#define IPI_VECTOR   0x48 /* class 4 */

static volatile uint32_t ipi_hits;

__attribute__((interrupt)) static void ipi_isr(void *frame)
{
	(void)frame;
	ipi_hits++;
	wrmsr(MSR_EOI, 0);
}

static void spin(unsigned rounds)
{
	for (volatile unsigned i = 0; i < rounds; i++)
		__asm__ volatile("pause");
}

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	uint64_t tpr;

	(void)ram_bytes;
	(void)low_bytes;
	idt_set_exceptions();
	idt_set(IPI_VECTOR, (void (*)(void))ipi_isr);
	idt_load();

	test_begin("cr8 holds an interrupt back");
	__asm__ volatile("mov %0, %%cr8" ::"r"(4ul));
	wrmsr(MSR_SELF_IPI, IPI_VECTOR);
	__asm__ volatile("sti" ::: "memory");
	spin(100000);
	test_expect("held while CR8 is 4", ipi_hits, 0);
	__asm__ volatile("mov %0, %%cr8" ::"r"(0ul) : "memory");
	spin(100000);
	test_expect("delivered once a MOV to CR8 lowers it", ipi_hits, 1);
	__asm__ volatile("cli" ::: "memory");
	test_end();

	__asm__ volatile("mov %1, %%cr8; mov %%cr8, %0" : "=r"(tpr) : "r"(15ul));
	say(OUT_COM1, "CR8 reads %lu; halting with interrupts on", (unsigned long)tpr);
	for (;;)
		__asm__ volatile("sti; hlt" ::: "memory");
}
