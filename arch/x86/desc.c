/* GDT, TSS and IDT setup (SDM vol. 3 §3.4.5, §6.14). */
#include "arch/x86/desc.h"

#include <string.h>

#include "hv/pcpu.h"

struct idt_entry {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_entry) == 16, "IDT gate layout");

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
extern const uint64_t exception_stubs[32];  /* exception_entry.S */
extern const uint64_t interrupt_stubs[224]; /* vectors 32-255 */

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t h = v < 32 ? exception_stubs[v] : interrupt_stubs[v - 32];

		idt[v] = (struct idt_entry){
			.offset_lo = h & 0xffff,
			.selector = GDT_CODE64,
			/* #DF, NMI and #MC run on IST1 so a broken stack still reports. */
			.ist = (v == 8 || v == 2 || v == 18) ? 1 : 0,
			.type_attr = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
			.offset_mid = (h >> 16) & 0xffff,
			.offset_hi = h >> 32,
		};
	}
}

void desc_load(struct pcpu *p)
{
	struct arch_pcpu *a = &p->arch;
	uint64_t tss = (uint64_t)&a->tss;
	struct table_ptr gdtr = { sizeof(a->gdt) - 1, (uint64_t)a->gdt };
	struct table_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	memset(&a->tss, 0, sizeof(a->tss));
	a->tss.ist[0] = (uint64_t)a->ist_stack + sizeof(a->ist_stack);
	a->tss.iomap_base = sizeof(a->tss);
	a->gdt[0] = 0;
	a->gdt[1] = 0x00af9a000000ffffull; /* code: P, DPL0, exec/read, L */
	a->gdt[2] = 0x00cf92000000ffffull; /* data: P, DPL0, read/write */
	/* 64-bit available TSS: 16-byte system descriptor. */
	a->gdt[3] = (sizeof(a->tss) - 1) | ((tss & 0xffffff) << 16) | (0x89ull << 40) |
		    (((tss >> 24) & 0xff) << 56);
	a->gdt[4] = tss >> 32;

	__asm__ volatile("lgdt %0\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 "xor %%eax, %%eax\n\t"
			 "mov %%ax, %%fs\n\t"
			 "mov %%ax, %%gs\n\t"
			 "pushq %2\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "ltr %w3\n\t"
			 "lidt %4"
			 :
			 : "m"(gdtr), "r"((uint64_t)GDT_DATA), "i"(GDT_CODE64), "r"(GDT_TSS), "m"(idtr)
			 : "rax", "memory");
	pcpu_install(p);
}
