/* Exception entry stubs: push a uniform frame and call exception_report,
 * which stops the pCPU or returns for an event it dismissed. */
	.text
.macro STUB vec
exc_\vec:
	.if (\vec != 8 && \vec != 10 && \vec != 11 && \vec != 12 && \vec != 13 && \vec != 14 && \vec != 17 && \vec != 21)
	pushq $0                    /* no error code: keep the frame uniform */
	.endif
	pushq $\vec
	jmp exception_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB \v
.endr

exception_common:
	/* Frame (low to high): r15..rax, vector, error, rip, cs, rflags, rsp, ss */
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rbx
	pushq %rbp
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	mov %rsp, %rbx
	mov %rsp, %rdi
	and $-16, %rsp
	call exception_report      /* returns only for a dismissed NMI or interrupt */
	mov %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rbp
	popq %rbx
	popq %rdx
	popq %rcx
	popq %rax
	add (%rsp), %rsp           /* the vector slot holds the bytes to drop */
	iretq

/* External interrupts (vectors 32-255): save the caller-saved registers,
 * call interrupt_handle(vector), return.  The hypervisor enables interrupts
 * only in short windows (idle, and right after an interrupt exit). */
.macro ISTUB vec
irq_\vec:
	pushq $\vec
	jmp interrupt_common
.endm
.altmacro
.set v, 32
.rept 224
	ISTUB %v
	.set v, v+1
.endr

interrupt_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	movq 72(%rsp), %rdi        /* vector */
	mov %rsp, %rax
	and $-16, %rsp
	pushq %rax
	pushq %rax
	call interrupt_handle
	popq %rax
	mov %rax, %rsp
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	add $8, %rsp
	iretq

	.section .rodata
	.globl interrupt_stubs
	.balign 8
interrupt_stubs:
.macro IENTRY vec
	.quad irq_\vec
.endm
.set v, 32
.rept 224
	IENTRY %v
	.set v, v+1
.endr

	.globl exception_stubs
	.balign 8
exception_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad exc_\v
.endr
	.section .note.GNU-stack,"",@progbits
