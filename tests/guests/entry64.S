/*
 * 64-bit guests: entry point, exception and timer interrupt entries, and
 * guard_call() (guard.h), the recovery point hostile.elf runs its risky
 * instructions under.  Frames: SDM vol. 3 §6.14.2 (64-bit mode always
 * pushes SS, RSP, RFLAGS, CS, RIP, then the error code if the vector has one).
 */
	.code64

	.section .text.entry, "ax"
	.globl _start
_start:
	/* docs/guests.md: RDI = RAM bytes, RSI = RAM below 3 GiB (both
	 * guest_main's arguments), RSP = that - 64 KiB (16-byte
	 * aligned), RFLAGS = 0x2.  The call leaves RSP = 8 mod 16 at
	 * guest_main's entry, as the SysV ABI wants. */
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
	call	guest_main
1:	cli
	hlt
	jmp	1b

	.text

/* Every stub leaves the same frame: vector, error code (0 when the CPU
 * pushes none), RIP, CS, RFLAGS, RSP, SS. */
.macro STUB vec, has_error
	.p2align 4
exception_\vec:
	.if \has_error == 0
	pushq	$0
	.endif
	pushq	$\vec
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
	cmpq	$0, guard_resume_rip(%rip)
	je	1f
	/* A guard_call() is running: note the fault, drop the frame and
	 * continue at its recovery point on its stack.  RAX is free: the
	 * recovery point sets it. */
	mov	0(%rsp), %rax
	mov	%rax, guard_vector(%rip)
	mov	16(%rsp), %rax
	mov	%rax, guard_rip(%rip)
	incq	guard_faults(%rip)
	mov	guard_resume_rsp(%rip), %rsp
	mov	guard_resume_rip(%rip), %rax
	movq	$0, guard_resume_rip(%rip)
	cld
	jmp	*%rax
1:	mov	0(%rsp), %rdi		/* vector */
	mov	8(%rsp), %rsi		/* error code */
	mov	16(%rsp), %rdx		/* RIP */
	and	$-16, %rsp
	call	guest_exception		/* does not return */
2:	cli
	hlt
	jmp	2b

/* Synthetic timer vector: count the tick.  INC changes only RFLAGS, which
 * IRETQ restores; no EOI (docs/guests.md "Timer"). */
	.p2align 4
	.globl timer_isr
timer_isr:
	incl	timer_ticks(%rip)
	/* End of interrupt: the x2APIC EOI register (docs/guests.md). */
	push	%rax
	push	%rcx
	push	%rdx
	mov	$0x80b, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

/*
 * long guard_call(void (*fn)(void *), void *arg): calls fn(arg); returns -1
 * when it returns, or the vector of the first exception it raised, having
 * abandoned fn's frame.  Callee-saved registers are restored either way.
 * Not reentrant.
 */
	.globl guard_call
guard_call:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$8, %rsp		/* RSP = 0 mod 16 at the call below */
	mov	%rsp, guard_resume_rsp(%rip)
	lea	2f(%rip), %rax
	mov	%rax, guard_resume_rip(%rip)
	mov	%rdi, %rax
	mov	%rsi, %rdi
	call	*%rax
	movq	$0, guard_resume_rip(%rip)
	mov	$-1, %rax
	jmp	3f
2:	mov	guard_vector(%rip), %rax	/* from exception_common */
3:	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret

	.section .rodata
	.p2align 3
	.globl exception_stubs
exception_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	exception_\v
	.endr

	.bss
	.p2align 3
guard_resume_rip:	.quad 0
guard_resume_rsp:	.quad 0
	.globl guard_vector, guard_rip, guard_faults
guard_vector:		.quad 0
guard_rip:		.quad 0
guard_faults:		.quad 0

	.section .note.GNU-stack, "", @progbits
