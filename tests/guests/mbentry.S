/*
 * Entry of the multiboot test kernel (mboot.c): a multiboot v1 header
 * (Multiboot Specification 0.6.96 §3.1; flags: modules page-aligned,
 * memory information), then the entry the boot loader jumps to in 32-bit
 * protected mode with paging off, EAX = 0x2BADB002 and EBX = the
 * information structure.  The machine state promises no stack: ours is
 * in .bss.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003

	.code32
	.section .text.entry, "ax"
	.globl _start
	.p2align 2
multiboot_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
_start:
	cld
	mov	$stack_top, %esp
	xor	%ebp, %ebp
	/* Software-enable the local APIC, in the xAPIC mode it starts in:
	 * SVR (offset 0xf0 of the page at 0xfee00000) = 0x1ff. */
	mov	%eax, %esi
	movl	$0x1ff, 0xfee000f0
	sub	$8, %esp
	push	%ebx
	push	%esi
	call	mboot_main
1:	cli
	hlt
	jmp	1b

	/* lib.c's idt_set_exceptions() wants handlers; this kernel installs
	 * none, so every entry is the halt above. */
	.section .rodata
	.p2align 2
	.globl exception_stubs
exception_stubs:
	.rept 32
	.long	1b
	.endr

	.bss
	.p2align 4
stack:
	.skip	16384
stack_top:
	.section .note.GNU-stack, "", @progbits
