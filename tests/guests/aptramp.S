/*
 * Application processor start for the APIC test kernel (apictest.c).  The
 * bootstrap processor copies ap_trampoline..ap_trampoline_end to
 * AP_TRAMPOLINE (a page below 1 MiB) and sends INIT and SIPI with vector
 * AP_TRAMPOLINE >> 12; each AP starts there in real mode with CS =
 * vector << 8, IP = 0 (SDM vol. 3 §9.4.4.1), loads the GDT below, enters
 * 32-bit protected mode with paging off, takes a stack by its arrival
 * number and calls ap_main().
 */
#define AP_STACK_SIZE 4096
#define AP_MAX        64

	.code16
	.section .text
	.globl ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	ap_gdt_pointer - ap_trampoline
	mov	%cr0, %eax
	or	$1, %eax		/* PE */
	mov	%eax, %cr0
	ljmpl	$0x08, $ap_entry32
	.p2align 3
ap_gdt_pointer:
	.word	ap_gdt_end - ap_gdt - 1
	.long	ap_gdt
ap_trampoline_end:

	.code32
ap_entry32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%ax, %fs
	mov	%ax, %gs
	mov	$1, %eax
	lock xadd %eax, ap_arrivals	/* eax: how many came before */
	and	$(AP_MAX - 1), %eax
	inc	%eax
	imul	$AP_STACK_SIZE, %eax
	lea	ap_stacks(%eax), %esp
	xor	%ebp, %ebp
	call	ap_main
1:	cli
	hlt
	jmp	1b

	/* The bootstrap processor loads it too (apictest.c), so that CS 0x08
	 * and the IDT's gates agree on every processor. */
	.section .rodata
	.p2align 3
	.globl ap_gdt, ap_gdt_pointer_linear
ap_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: flat data */
ap_gdt_end:
ap_gdt_pointer_linear:
	.word	ap_gdt_end - ap_gdt - 1
	.long	ap_gdt

	.data
	.p2align 2
	.globl ap_arrivals
ap_arrivals:
	.long	0

	.bss
	.p2align 4
ap_stacks:
	.skip	AP_STACK_SIZE * AP_MAX
	.section .note.GNU-stack, "", @progbits
