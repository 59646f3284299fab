/* The parent's GDT and IDT; exceptions are printed, expected ones resumed. */
#include <stdint.h>
#include <stdio.h>

#include "parent/crash.h"
#include "parent/kernel.h"

struct frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

struct gate {
	uint16_t lo, sel;
	uint8_t ist, attr;
	uint16_t mid;
	uint32_t hi, zero;
} __attribute__((packed));

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[3] = { 0, 0x00af9a000000ffffull, 0x00cf92000000ffffull };
static struct gate idt[256];
extern const uint64_t isr_stubs[32];

/* Set by probe_read64/probe_call around code that may fault: where to
 * resume, on which stack. */
uint64_t fault_resume_rip, fault_resume_rsp;
volatile int fault_vector = -1;

void exception_handle(struct frame *f);

static const char *const vector_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "BOUND range exceeded", "invalid opcode",
	"device not available", "double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection", "page fault", "reserved",
	"x87 floating point", "alignment check", "machine check", "SIMD floating point", "virtualization",
	"control protection",
};

/* An exception the parent cannot go on from: one line with everything
 * known about it, to COM1 and to the hypervisor (parent/crash.h).  No
 * newlib here: the fault may have come from malloc or stdio. */
static void report_fault(const struct frame *f, uint64_t cr2)
{
	static char line[200] __attribute__((aligned(256))); /* one page: the hypervisor reads it whole */
	const char *name = f->vector < 32 && vector_names[f->vector] ? vector_names[f->vector] : "exception";
	unsigned n = 0, size = sizeof(line);

	n = crash_append(line, n, size, "exception ");
	n = crash_append_dec(line, n, size, f->vector);
	n = crash_append(line, n, size, " (");
	n = crash_append(line, n, size, name);
	n = crash_append(line, n, size, ") error ");
	n = crash_append_hex(line, n, size, f->error);
	n = crash_append(line, n, size, " rip ");
	n = crash_append_hex(line, n, size, f->rip);
	n = crash_append(line, n, size, " rsp ");
	n = crash_append_hex(line, n, size, f->rsp);
	n = crash_append(line, n, size, " cr2 ");
	crash_append_hex(line, n, size, cr2);
	crash_report(line, f->vector, f->error, f->rip);
}

void exception_handle(struct frame *f)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	if (fault_resume_rip) {
		fault_vector = (int)f->vector;
		printf("parent: exception %lu (error %#lx) at rip %#lx, recovered\n", f->vector, f->error,
		       f->rip);
		f->rip = fault_resume_rip;
		f->rsp = fault_resume_rsp;
		return;
	}
	report_fault(f, cr2);
}

void idt_set_interrupt(unsigned vector, void (*handler)(void));
void idt_set_interrupt(unsigned vector, void (*handler)(void))
{
	uint64_t h = (uint64_t)handler;

	idt[vector & 0xff] = (struct gate){ h & 0xffff, 0x08, 0, 0x8e, (h >> 16) & 0xffff, h >> 32, 0 };
}

void desc_init(void)
{
	struct table_ptr gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };
	struct table_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	for (int v = 0; v < 32; v++) {
		uint64_t h = isr_stubs[v];

		idt[v] = (struct gate){ h & 0xffff, 0x08, 0, 0x8e, (h >> 16) & 0xffff, h >> 32, 0 };
	}
	__asm__ volatile("lgdt %0\n\t"
			 "mov $0x10, %%ax\n\t"
			 "mov %%ax, %%ds\n\t"
			 "mov %%ax, %%es\n\t"
			 "mov %%ax, %%ss\n\t"
			 "mov %%ax, %%fs\n\t"
			 "mov %%ax, %%gs\n\t"
			 "pushq $0x08\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "lidt %1"
			 :
			 : "m"(gdtr), "m"(idtr)
			 : "rax", "memory");
}
