/*
 * spin64.elf: spins forever with interrupts off, so that a test can check
 * that a child that never exits on its own does not starve the parent or
 * other children.
 */
#include "tests/guests/lib.h"

const char guest_name[] = "spin64";

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	(void)ram_bytes;
	(void)low_bytes;
	say(OUT_COM1, "spinning with interrupts off");
	__asm__ volatile("cli\n1:\tjmp 1b" ::: "memory");
	__builtin_unreachable();
}
