/*
 * Descriptor tables: one GDT with a 64-bit TSS per pCPU (VM entry needs a
 * valid host TR; firmware may leave TR = 0), one IDT shared by all pCPUs.
 */
#ifndef KEEL_ARCH_X86_DESC_H
#define KEEL_ARCH_X86_DESC_H

#include <stdint.h>

#define GDT_CODE64 0x08
#define GDT_DATA   0x10
#define GDT_TSS    0x18
#define GDT_ENTRIES 5

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "TSS layout (SDM vol. 3 §8.7)");

struct arch_pcpu {
	uint64_t gdt[GDT_ENTRIES];
	struct tss64 tss;
	uint8_t ist_stack[4096] __attribute__((aligned(16))); /* #DF, NMI, #MC */
	/* Backend areas (physical addresses), owned by arch/x86/<backend>. */
	uint64_t virt_area;   /* SVM host save area / VMXON region */
	uint64_t host_state;  /* SVM: VMCB holding host state for VMSAVE/VMLOAD */
};

struct pcpu;

/* Load this pCPU's GDT/TSS, reload segments, load the shared IDT and set GS. */
void desc_load(struct pcpu *p);
/* Build the shared IDT once on the BSP. */
void idt_init(void);

#endif
