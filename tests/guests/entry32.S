/*
 * 32-bit guests: entry point, exception and timer interrupt entries.
 * Frames: SDM vol. 3 §6.12.1; with no privilege change the CPU pushes
 * EFLAGS, CS, EIP, then the error code if the vector has one.
 */
	.code32

	.section .text.entry, "ax"
	.globl _start
_start:
	/* docs/guests.md: EDI = RAM bytes, ESI = RAM below 3 GiB, ESP =
	 * that - 64 KiB (16-byte aligned), EFLAGS = 0x2.  ESP is 0 mod 16
	 * at the call, as the i386 SysV ABI (as GCC uses it) wants. */
	cld
	xor	%ebp, %ebp
	/* The local APIC starts in xAPIC mode, as on hardware: switch it to
	 * x2APIC (IA32_APIC_BASE 0x1b bit 10), then software-enable it (SVR,
	 * MSR 0x80f: bit 8, spurious vector 0xff) so that it accepts
	 * interrupts. */
	mov	$0x1b, %ecx
	rdmsr
	or	$0x400, %eax
	wrmsr
	mov	$0x80f, %ecx
	mov	$0x1ff, %eax
	xor	%edx, %edx
	wrmsr
	sub	$8, %esp
	push	%esi
	push	%edi
	call	guest_main
1:	cli
	hlt
	jmp	1b

	.text

/* Every stub leaves the same frame: vector, error code (0 when the CPU
 * pushes none), EIP, CS, EFLAGS. */
.macro STUB vec, has_error
	.p2align 4
exception_\vec:
	.if \has_error == 0
	pushl	$0
	.endif
	pushl	$\vec
	jmp	exception_common
.endm

	/* #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21,
	 * #VC 29 and #SX 30 push an error code (SDM vol. 3 Table 6-1,
	 * APM vol. 2 Table 8-1); the others do not. */
	.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	STUB	\v, 0
	.endr
	.irp v, 8,10,11,12,13,14,17,21,29,30
	STUB	\v, 1
	.endr

exception_common:
	mov	0(%esp), %eax		/* vector */
	mov	4(%esp), %edx		/* error code */
	mov	8(%esp), %ecx		/* EIP */
	and	$-16, %esp
	sub	$4, %esp
	push	%ecx
	push	%edx
	push	%eax
	call	guest_exception		/* does not return */
1:	cli
	hlt
	jmp	1b

/* Synthetic timer vector: count the tick.  INC changes only EFLAGS, which
 * IRET restores; no EOI (docs/guests.md "Timer"). */
	.p2align 4
	.globl timer_isr
timer_isr:
	incl	timer_ticks
	/* End of interrupt: the x2APIC EOI register (docs/guests.md). */
	push	%eax
	push	%ecx
	push	%edx
	mov	$0x80b, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	pop	%edx
	pop	%ecx
	pop	%eax
	iret

	.section .rodata
	.p2align 2
	.globl exception_stubs
exception_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long	exception_\v
	.endr

	.section .note.GNU-stack, "", @progbits
