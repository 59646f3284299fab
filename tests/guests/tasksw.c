/*
 * tasksw.elf (32-bit): hardware task switches (SDM vol. 3 §8.3), which
 * VT-x cannot run in the guest (every one exits and the hypervisor does
 * it) while AMD-V runs them in the guest.  Task A (main) switches to task
 * B by JMP, by CALL and through a task gate (INT 0x40); #GP reaches task
 * D through a task gate with its error code on D's stack; a #GP whose gate
 * is missing becomes #DF, which reaches task C through a task gate.  Each
 * checks what the processor must have done: registers saved to and loaded
 * from the TSSs, the resume EIP (after a CALL, JMP or INT, at a fault),
 * busy bits, the back link and NT, and CR0.TS.
 */
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

const char guest_name[] = "tasksw";

#define CR0_TS    (1u << 3)
#define EFLAGS_NT (1u << 14)
#define TSS_A     0x20
#define TSS_B     0x28
#define TSS_C     0x30
#define TSS_D     0x38
#define BAD_SEL   0x1230 /* beyond the GDT's limit: #GP(0x1230) */

/* The 32-bit TSS (SDM vol. 3 Figure 8-2). */
struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
};
_Static_assert(sizeof(struct tss32) == 104, "32-bit TSS");

/* The boot GDT's four entries, then the TSSs of tasks A-D. */
uint64_t task_gdt[8] __attribute__((aligned(8)));
struct tss32 tss_a, tss_b, tss_c, tss_d;
static uint8_t stack_b[2048] __attribute__((aligned(16)));
static uint8_t stack_c[2048] __attribute__((aligned(16)));
static uint8_t stack_d[2048] __attribute__((aligned(16)));

/* What tasks B, C and D saw. */
volatile uint32_t b_ebx, b_eflags, b_desc_a, c_error, c_link, c_eip_a, d_error, d_eflags, d_eip_a;
volatile uint16_t b_tr, c_tr, d_tr;

/* Task entry points; each starts again at its entry when switched to a
 * second time with its TSS as it left it. */
void task_b_jmp(void);
void task_b_iret(void);
void task_c(void);
void task_d(void);
extern const char b_jmp_back[], jmp_after[], call_after[], int_after[], gp_at[], df_at[];
__asm__(".text\n"
	".globl task_b_jmp, task_b_iret, task_c, task_d, b_jmp_back\n"
	/* B by JMP: note what it sees, JMP back to A. */
	"task_b_jmp:\n\t"
	"mov %ebx, b_ebx\n\t"
	"pushf\n\t"
	"popl b_eflags\n\t"
	"str b_tr\n\t"
	"mov task_gdt+36, %eax\n\t"
	"mov %eax, b_desc_a\n\t"
	"ljmp $0x20, $0\n"
	"b_jmp_back:\n\t"
	"jmp task_b_jmp\n"
	/* B by CALL or INT: the same, then IRET to the task that nested it. */
	"task_b_iret:\n\t"
	"mov %ebx, b_ebx\n\t"
	"pushf\n\t"
	"popl b_eflags\n\t"
	"str b_tr\n\t"
	"mov task_gdt+36, %eax\n\t"
	"mov %eax, b_desc_a\n\t"
	"iret\n\t"
	"jmp task_b_iret\n"
	/* C for #DF: take the error code, step A past the fault, IRET. */
	"task_c:\n\t"
	"popl c_error\n\t"
	"str c_tr\n\t"
	"mov tss_c, %eax\n\t"
	"mov %eax, c_link\n\t"
	"mov tss_a+0x20, %eax\n\t"
	"mov %eax, c_eip_a\n\t"
	"addl $2, tss_a+0x20\n\t"
	"iret\n\t"
	"jmp task_c\n"
	/* D for #GP: the same. */
	"task_d:\n\t"
	"popl d_error\n\t"
	"pushf\n\t"
	"popl d_eflags\n\t"
	"str d_tr\n\t"
	"mov tss_a+0x20, %eax\n\t"
	"mov %eax, d_eip_a\n\t"
	"addl $2, tss_a+0x20\n\t"
	"iret\n\t"
	"jmp task_d\n");

struct __attribute__((packed)) table_pointer {
	uint16_t limit;
	uint32_t base;
};

/* An available 32-bit TSS, DPL 0 (SDM vol. 3 §8.2.2). */
static uint64_t tss_descriptor(const struct tss32 *t)
{
	uint64_t base = (uint32_t)(uintptr_t)t, limit = sizeof(*t) - 1;

	return (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 | (limit & 0xf0000) << 32 |
	       (base >> 24) << 56;
}

static unsigned desc_type(unsigned index)
{
	return (unsigned)(task_gdt[index] >> 40) & 0xf;
}

/* A task that starts at `entry` on its own stack, in A's address space. */
static void task_image(struct tss32 *t, void (*entry)(void), uint8_t *stack, size_t size, uint32_t ebx)
{
	uint32_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	memset(t, 0, sizeof(*t));
	t->cr3 = cr3;
	t->eip = (uint32_t)(uintptr_t)entry;
	t->eflags = 0x2;
	t->esp = (uint32_t)(uintptr_t)(stack + size);
	t->ebx = ebx;
	t->cs = 0x08;
	t->ss = t->ds = t->es = t->fs = t->gs = 0x10;
	t->iomap = sizeof(*t);
}

static uint32_t read_cr0_clear_ts(void)
{
	uint32_t cr0;

	__asm__ volatile("mov %%cr0, %0; clts" : "=r"(cr0));
	return cr0;
}

static uint16_t str(void)
{
	uint16_t tr;

	__asm__ volatile("str %0" : "=r"(tr));
	return tr;
}

static uint32_t eflags(void)
{
	uint32_t f;

	__asm__ volatile("pushf; pop %0" : "=r"(f));
	return f;
}

static void jmp_test(void)
{
	uint32_t edi;

	test_begin("task switch by JMP");
	task_image(&tss_b, task_b_jmp, stack_b, sizeof(stack_b), 0xb0b0b0b0);
	__asm__ volatile("mov $0x12345678, %%edi\n\t"
			 "ljmp $0x28, $0\n"
			 ".globl jmp_after\n"
			 "jmp_after:\n\t"
			 "mov %%edi, %0"
			 : "=r"(edi)
			 :
			 : "edi", "memory");
	test_expect("B's EBX from its TSS", b_ebx, 0xb0b0b0b0);
	test_expect("B's TR", b_tr, TSS_B);
	test_expect("B's NT", b_eflags & EFLAGS_NT, 0);
	test_expect("A's type while B ran (available)", (b_desc_a >> 8) & 0xf, 0x9);
	test_expect("A's EDI kept", edi, 0x12345678);
	test_expect("A's TR", str(), TSS_A);
	test_expect("A's saved EIP (after the JMP)", tss_a.eip, (uint32_t)(uintptr_t)jmp_after);
	test_expect("B's saved EIP (after its JMP)", tss_b.eip, (uint32_t)(uintptr_t)b_jmp_back);
	test_expect("B's saved EBX", tss_b.ebx, 0xb0b0b0b0);
	test_expect("A busy", desc_type(4), 0xb);
	test_expect("B available", desc_type(5), 0x9);
	test_expect("CR0.TS set", read_cr0_clear_ts() & CR0_TS, CR0_TS);
	test_end();
}

/* To B by CALL (far call to its TSS) or by INT 0x40 (a task gate): B
 * is nested, sees NT and the back link, and IRET returns. */
static void nested_test(bool by_int)
{
	test_begin(by_int ? "task switch through a task gate (INT 0x40)" : "task switch by CALL and back by IRET");
	task_image(&tss_b, task_b_iret, stack_b, sizeof(stack_b), by_int ? 0xb2b2b2b2 : 0xb1b1b1b1);
	if (by_int)
		__asm__ volatile("int $0x40\n"
				 ".globl int_after\n"
				 "int_after:" ::: "memory");
	else
		__asm__ volatile("lcall $0x28, $0\n"
				 ".globl call_after\n"
				 "call_after:" ::: "memory");
	test_expect("B's EBX from its TSS", b_ebx, by_int ? 0xb2b2b2b2 : 0xb1b1b1b1);
	test_expect("B's TR", b_tr, TSS_B);
	test_expect("B's NT", b_eflags & EFLAGS_NT, EFLAGS_NT);
	test_expect("A's type while B ran (busy)", (b_desc_a >> 8) & 0xf, 0xb);
	test_expect("B's back link", tss_b.link, TSS_A);
	test_expect("B's saved NT (IRET clears it)", tss_b.eflags & EFLAGS_NT, 0);
	test_expect("A's NT", eflags() & EFLAGS_NT, 0);
	test_expect("A's TR", str(), TSS_A);
	test_expect("A's saved EIP (after the instruction)", tss_a.eip,
		    (uint32_t)(uintptr_t)(by_int ? int_after : call_after));
	test_expect("B available", desc_type(5), 0x9);
	test_expect("A busy", desc_type(4), 0xb);
	read_cr0_clear_ts();
	test_end();
}

/* #GP through a task gate: D gets the error code on its stack. */
static void fault_test(void)
{
	test_begin("#GP through a task gate, with its error code");
	idt_set_task_gate(13, TSS_D);
	__asm__ volatile("mov %0, %%ax\n"
			 ".globl gp_at\n"
			 "gp_at:\n\t"
			 "mov %%ax, %%ds" ::"i"(BAD_SEL)
			 : "eax", "memory");
	test_expect("D's error code", d_error, BAD_SEL);
	test_expect("D's TR", d_tr, TSS_D);
	test_expect("D's NT", d_eflags & EFLAGS_NT, EFLAGS_NT);
	test_expect("A's saved EIP (at the fault)", d_eip_a, (uint32_t)(uintptr_t)gp_at);
	test_expect("D's back link", tss_d.link, TSS_A);
	test_expect("D available", desc_type(7), 0x9);
	read_cr0_clear_ts();
	test_end();
}

/* A #GP whose gate is not present: #NP while delivering it, so #DF
 * (SDM vol. 3 Table 6-5), through the task gate to C, error code 0. */
static void double_fault_test(void)
{
	test_begin("#DF through a task gate");
	idt_set_task_gate(8, TSS_C);
	idt_clear(13);
	__asm__ volatile("mov %0, %%ax\n"
			 ".globl df_at\n"
			 "df_at:\n\t"
			 "mov %%ax, %%ds" ::"i"(BAD_SEL)
			 : "eax", "memory");
	idt_set_exceptions();
	test_expect("C's error code", c_error, 0);
	test_expect("C's TR", c_tr, TSS_C);
	test_expect("C's back link", c_link, TSS_A);
	test_expect("A's saved EIP (at the fault)", c_eip_a, (uint32_t)(uintptr_t)df_at);
	test_expect("C available", desc_type(6), 0x9);
	read_cr0_clear_ts();
	test_end();
}

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	struct table_pointer gp;

	(void)ram_bytes;
	(void)low_bytes;
	__asm__ volatile("sgdt %0" : "=m"(gp));
	memcpy(task_gdt, (const void *)(uintptr_t)gp.base, 4 * sizeof(task_gdt[0]));
	/* A's CR3 and LDT are static fields: a switch saves neither. */
	task_image(&tss_a, NULL, NULL, 0, 0);
	task_gdt[4] = tss_descriptor(&tss_a);
	task_gdt[5] = tss_descriptor(&tss_b);
	task_gdt[6] = tss_descriptor(&tss_c);
	task_gdt[7] = tss_descriptor(&tss_d);
	gp.limit = sizeof(task_gdt) - 1;
	gp.base = (uint32_t)(uintptr_t)task_gdt;
	__asm__ volatile("lgdt %0; ltr %w1" ::"m"(gp), "r"(TSS_A) : "memory");
	task_image(&tss_c, task_c, stack_c, sizeof(stack_c), 0);
	task_image(&tss_d, task_d, stack_d, sizeof(stack_d), 0);
	idt_set_exceptions();
	idt_set_task_gate(0x40, TSS_B);
	idt_load();

	jmp_test();
	nested_test(false);
	nested_test(true);
	fault_test();
	double_fault_test();
	say(OUT_BOTH, "done: %u passed, %u failed", tests_passed, tests_failed);
}
