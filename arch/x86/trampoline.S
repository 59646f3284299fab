/*
 * Application-processor start code, copied below 1 MiB and entered by a
 * STARTUP IPI in real mode at CS:IP = page:0.  It walks real -> protected ->
 * long mode on temporary page tables (identity for the first 2 MiB plus the
 * hypervisor's top-level entry for its image), then jumps to ap_entry64 in
 * the image.  Data the BSP fills lives at TRAMP_DATA (see smp.c).
 */
#define TRAMP_DATA   0xf00
#define D_TEMP_CR3   (TRAMP_DATA + 0x00)
#define D_HV_CR3     (TRAMP_DATA + 0x08)
#define D_STACK      (TRAMP_DATA + 0x10)
#define D_PCPU       (TRAMP_DATA + 0x18)
#define D_ENTRY      (TRAMP_DATA + 0x20)
#define D_EFER       (TRAMP_DATA + 0x28)
#define OFF(sym)     ((sym) - trampoline_start)

	.section .rodata
	.globl trampoline_start, trampoline_end
	.code16
trampoline_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $TRAMP_DATA, %sp
	xor %ebx, %ebx
	mov %cs, %bx
	shl $4, %ebx                        /* EBX = linear base of this page */
	lea OFF(tramp_gdt)(%ebx), %eax
	mov %eax, OFF(tramp_gdtr) + 2
	lgdtl OFF(tramp_gdtr)
	mov %cr0, %eax
	or $1, %eax                         /* CR0.PE */
	mov %eax, %cr0
	pushl $0x08
	lea OFF(tramp_pm32)(%ebx), %eax
	pushl %eax
	lretl

	.code32
tramp_pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $0x20, %eax                      /* CR4.PAE */
	mov %eax, %cr4
	mov D_TEMP_CR3(%ebx), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx               /* EFER: LME (+ NXE when used) */
	rdmsr
	or D_EFER(%ebx), %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax                /* CR0.PG | CR0.PE */
	mov %eax, %cr0
	lea OFF(tramp_lm64)(%ebx), %eax
	pushl $0x18
	pushl %eax
	lret

	.code64
tramp_lm64:
	mov D_HV_CR3(%rbx), %rsi
	mov D_STACK(%rbx), %rdx
	mov D_PCPU(%rbx), %rdi
	mov D_ENTRY(%rbx), %rax
	jmp *%rax

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff            /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff            /* 0x10: data */
	.quad 0x00af9a000000ffff            /* 0x18: 64-bit code */
tramp_gdtr:
	.word 4 * 8 - 1
	.long 0
trampoline_end:

	.text
	.code64
	/* ap_entry64(pcpu = RDI, hv_cr3 = RSI, stack = RDX): now in the image. */
	.globl ap_entry64
ap_entry64:
	mov %rsi, %cr3
	mov %rdx, %rsp
	xor %ebp, %ebp
	call ap_main
1:	cli
	hlt
	jmp 1b
	.section .note.GNU-stack,"",@progbits
