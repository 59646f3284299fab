/*
 * churn.elf: the busiest guest to delete.  Synthetic timer 0 fires every
 * 100 us; the guest halts between ticks and on every tick reads the test
 * device's stop request (port I/O: an intercept the parent serves).  So at
 * any moment its VP is running, halted, inside an exit, or waiting for
 * the parent: `selftest churn` deletes it at all of these.
 */
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

#define TIMER_VECTOR 0x40
#define TIMER_PERIOD 1000u /* reference time units (100 ns): 100 us */

const char guest_name[] = "churn";

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	(void)ram_bytes;
	(void)low_bytes;
	idt_set_exceptions();
	idt_set(TIMER_VECTOR, timer_isr);
	idt_load();
	wrmsr(HV_X64_MSR_STIMER0_CONFIG, HV_STIMER_ENABLE | HV_STIMER_PERIODIC | HV_STIMER_DIRECT_MODE |
						 ((uint64_t)TIMER_VECTOR << HV_STIMER_APIC_VECTOR_SHIFT));
	wrmsr(HV_X64_MSR_STIMER0_COUNT, TIMER_PERIOD);
	for (;;) {
		sti_hlt();
		if (inw(TESTDEV_HOST) == 1)
			guest_stop(0);
	}
}
