/*
 * dbloop.elf: debug exceptions from a hostile guest.
 *  1. A single step (RFLAGS.TF) must reach its own #DB handler with DR6.BS
 *     set: the hypervisor intercepts #DB and reflects it.
 *  2. Then the delivery loop of CVE-2015-8104: #DB is delivered on IST1,
 *     and a write breakpoint (DR0/DR7) covers the slot where that delivery
 *     pushes SS, so every delivery raises the next #DB before the handler
 *     runs.  On a CPU that reports it, the guest never gets out again; what
 *     must hold is that its pCPU keeps scheduling other children and that
 *     `vm stop --force` stops it.
 */
#include "tests/guests/lib.h"

const char guest_name[] = "dbloop";

#define DR6_BS    (1ul << 14)
#define TSS_IST1  0x24          /* 64-bit TSS (SDM vol. 3 §8.7) */
#define TSS_BELOW 0x7000        /* docs/guests.md: TSS at LOW - 0x7000 */

volatile uint64_t db_count, db_dr6;
static uint8_t ist_stack[4096] __attribute__((aligned(16)));

/* #DB handler: count, note DR6, clear TF in the saved RFLAGS, return. */
void db_isr(void);
__asm__(".text\n"
	".globl db_isr\n"
	"db_isr:\n\t"
	"push %rax\n\t"
	"incq db_count(%rip)\n\t"
	"mov %db6, %rax\n\t"
	"mov %rax, db_dr6(%rip)\n\t"
	"andq $~0x100, 24(%rsp)\n\t" /* RFLAGS above RAX, RIP, CS */
	"pop %rax\n\t"
	"iretq\n");

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	uint64_t top = (uint64_t)(uintptr_t)ist_stack + sizeof(ist_stack), dr7;

	(void)ram_bytes;
	idt_set_exceptions();
	idt_set(1, db_isr);
	idt_load();

	test_begin("single step reflected");
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq; nop; nop" ::: "memory");
	test_expect("#DB deliveries", db_count, 1);
	test_expect("DR6.BS", !!(db_dr6 & DR6_BS), 1);
	test_end();

	*(volatile uint64_t *)(uintptr_t)(low_bytes - TSS_BELOW + TSS_IST1) = top;
	idt_set_ist(1, 1);
	idt_load();
	/* DR0 = the SS slot of an IST1 frame; DR7: L0, R/W0 = 01 (write),
	 * LEN0 = 10 (8 bytes) (SDM vol. 3 §17.2.4). */
	dr7 = 1ul | 1ul << 16 | 2ul << 18;
	__asm__ volatile("mov %0, %%db0; mov %1, %%db7" ::"r"(top - 8), "r"(dr7));
	say(OUT_COM1, "entering the #DB loop");
	db_count = 0;
	*(volatile uint64_t *)(uintptr_t)(top - 8) = 0; /* the first hit */
	__asm__ volatile("mov %0, %%db7" ::"r"(0ul));
	say(OUT_COM1, "no #DB loop on this CPU: the handler ran %llu times", (unsigned long long)db_count);
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}
