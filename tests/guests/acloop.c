/*
 * acloop.elf (32-bit): alignment checks from a hostile guest.
 *  1. At CPL 3, with CR0.AM and EFLAGS.AC set, a misaligned load raises
 *     #AC.  The hypervisor intercepts #AC and reflects it: the guest's own
 *     handler (CPL 0, through the TSS's ESP0) must see it once, with error
 *     code 0.
 *  2. Then the delivery loop of CVE-2015-5307: the #AC gate now leads to a
 *     conforming code segment, so delivery stays at CPL 3 and pushes its
 *     frame on the current stack, which is misaligned: every delivery
 *     raises the next #AC before the handler runs (SDM vol. 3 §6.12.1.1,
 *     §6.15 "Alignment Check Exception").  On a CPU that checks alignment
 *     the guest never gets out; what must hold is that its pCPU keeps
 *     scheduling other children and that `vm stop --force` stops it.
 * A CPU that does not check alignment says so instead of either step.
 */
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

const char guest_name[] = "acloop";

#define CR0_AM     (1u << 18)
#define EFLAGS_AC  (1u << 18)
#define EFLAGS_USER 0x3002u     /* IOPL 3 (COM1 and the test device from CPL 3), bit 1 */
#define PDE_US     0x4u
#define TSS_BELOW  0x7000u      /* docs/guests.md: the TSS at LOW - 0x7000 */
#define TSS_ESP0   4u           /* 32-bit TSS (SDM vol. 3 §8.2.1) */
#define TSS_SS0    8u

/* The boot GDT's four entries (null, code 0x08, data 0x10, TSS 0x18), then
 * flat 32-bit user code 0x20 and data 0x28 (DPL 3) and a conforming code
 * segment 0x30 (DPL 0), as SDM vol. 3 §3.4.5 encodes them. */
#define KERNEL_DS     0x10
#define USER_CS       (0x20 | 3)
#define USER_DS       (0x28 | 3)
#define CONFORMING_CS 0x30
static uint64_t gdt[7] __attribute__((aligned(8)));

static uint8_t kernel_stack[4096] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));
static uint32_t words[2] __attribute__((aligned(8)));
volatile uint32_t ac_count, ac_error = ~0u;

struct __attribute__((packed)) table_pointer {
	uint16_t limit;
	uint32_t base;
};

/* ac_isr: #AC at CPL 0 (after a privilege change the frame is error code,
 * EIP, CS, EFLAGS, ESP, SS): count it, note the error code, return with AC
 * clear so that the load runs again unchecked.  ac_loop_isr: the same from
 * the conforming segment, at CPL 3 on the faulting stack.  halt_isr: INT
 * 0x80 from user mode, to halt at CPL 0.  user_entry: CPL 3 from IRET. */
void ac_isr(void);
void ac_loop_isr(void);
void halt_isr(void);
void user_entry(void);
void user_main(void);
__asm__(".text\n"
	".globl ac_isr, ac_loop_isr, halt_isr, user_entry\n"
	"ac_isr:\n\t"
	"push %eax\n\t"
	"mov 4(%esp), %eax\n\t"
	"mov %eax, ac_error\n\t"
	"incl ac_count\n\t"
	"pop %eax\n\t"
	"add $4, %esp\n\t"
	"andl $~0x40000, 8(%esp)\n\t"
	"iret\n"
	"ac_loop_isr:\n\t"
	"add $4, %esp\n\t"
	"andl $~0x40000, 8(%esp)\n\t"
	"incl ac_count\n\t"
	"iret\n"
	"halt_isr:\n\t"
	"cli\n\t"
	"hlt\n\t"
	"jmp halt_isr\n"
	"user_entry:\n\t"
	"mov $0x2b, %ax\n\t" /* USER_DS */
	"mov %ax, %ds\n\t"
	"mov %ax, %es\n\t"
	"mov %ax, %fs\n\t"
	"mov %ax, %gs\n\t"
	"call user_main\n\t"
	"int $0x80\n");

/* A 4-byte load one byte past an aligned word, with EFLAGS.AC set. */
static void misaligned_load(void)
{
	uint32_t v;

	__asm__ volatile("pushf; orl %2, (%%esp); popf\n\t"
			 "movl 1(%1), %0\n\t"
			 "pushf; andl %3, (%%esp); popf"
			 : "=&r"(v)
			 : "r"(words), "i"(EFLAGS_AC), "i"(~EFLAGS_AC)
			 : "memory", "cc");
}

void user_main(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	test_begin("alignment check reflected");
	test_expect("running at CPL 3", cs & 3, 3);
	misaligned_load();
	if (ac_count == 0) {
		say(OUT_COM1, "no alignment check on this CPU: no #AC, no loop");
		return;
	}
	test_expect("#AC deliveries", ac_count, 1);
	test_expect("#AC error code", ac_error, 0);
	test_end();

	/* The IDT is ordinary memory here: the gate changes without LIDT. */
	idt_set_gate(17, ac_loop_isr, CONFORMING_CS, 0);
	ac_count = 0;
	say(OUT_COM1, "entering the #AC loop");
	__asm__ volatile("mov %%esp, %%ebx\n\t"
			 "pushf; orl %1, (%%esp); popf\n\t"
			 "dec %%esp\n\t"
			 "movl 1(%0), %%eax\n\t"
			 "mov %%ebx, %%esp\n\t"
			 "pushf; andl %2, (%%esp); popf"
			 :
			 : "r"(words), "i"(EFLAGS_AC), "i"(~EFLAGS_AC)
			 : "eax", "ebx", "memory", "cc");
	say(OUT_COM1, "no #AC loop on this CPU: the handler ran %u times", ac_count);
}

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	struct table_pointer gp;
	uint8_t *tss = (uint8_t *)(low_bytes - TSS_BELOW);
	uint32_t *pd, cr0, cr3;

	(void)ram_bytes;
	__asm__ volatile("sgdt %0" : "=m"(gp));
	memcpy(gdt, (const void *)(uintptr_t)gp.base, 4 * sizeof(gdt[0]));
	gdt[4] = 0x00cffa000000ffffull; /* code, DPL 3 */
	gdt[5] = 0x00cff2000000ffffull; /* data, DPL 3 */
	gdt[6] = 0x00cf9e000000ffffull; /* code, conforming, DPL 0 */
	gp.limit = sizeof(gdt) - 1;
	gp.base = (uint32_t)(uintptr_t)gdt;
	__asm__ volatile("lgdt %0" ::"m"(gp) : "memory");
	/* Load TR again from an available TSS descriptor.  QEMU's TCG takes a
	 * privilege change through a TR whose cached type is busy (as the start
	 * state has it, docs/guests.md) for an invalid TSS and aborts itself;
	 * LTR caches the type as available. */
	gdt[3] &= ~(1ull << 41);
	__asm__ volatile("ltr %w0" ::"r"(0x18) : "memory");

	/* The stack a CPL 3 -> 0 interrupt switches to. */
	*(uint32_t *)(tss + TSS_ESP0) = (uint32_t)(uintptr_t)(kernel_stack + sizeof(kernel_stack));
	*(uint32_t *)(tss + TSS_SS0) = KERNEL_DS;

	/* User access to everything: U/S in every 4 MiB page. */
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	pd = (uint32_t *)(uintptr_t)(cr3 & ~0xfffu);
	for (unsigned i = 0; i < 1024; i++)
		pd[i] |= PDE_US;
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0 | CR0_AM) : "memory");

	idt_set_exceptions();
	idt_set(17, ac_isr);
	idt_set_gate(0x80, halt_isr, 0x08, 3);
	idt_load();

	say(OUT_COM1, "to CPL 3");
	__asm__ volatile("push %0\n\t"
			 "push %1\n\t"
			 "push %2\n\t"
			 "push %3\n\t"
			 "push %4\n\t"
			 "iret"
			 :
			 : "i"(USER_DS), "r"((uint32_t)(uintptr_t)(user_stack + sizeof(user_stack) - 16)),
			   "i"(EFLAGS_USER), "i"(USER_CS), "r"((uint32_t)(uintptr_t)user_entry)
			 : "memory");
	__builtin_unreachable();
}
