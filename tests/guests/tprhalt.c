/*
 * tprhalt.elf: raises its task priority to 15 through CR8 (every interrupt
 * class masked), enables interrupts and halts, forever.  What it must not
 * do is mask the hypervisor's own interrupts on the pCPU it shares with
 * other children: they keep running, and `vm stop --force` stops it.
 */
#include "tests/guests/lib.h"

const char guest_name[] = "tprhalt";

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	uint64_t tpr;

	(void)ram_bytes;
	(void)low_bytes;
	__asm__ volatile("mov %1, %%cr8; mov %%cr8, %0" : "=r"(tpr) : "r"(15ul));
	say(OUT_COM1, "CR8 reads %lu; halting with interrupts on", (unsigned long)tpr);
	for (;;)
		__asm__ volatile("sti; hlt" ::: "memory");
}
