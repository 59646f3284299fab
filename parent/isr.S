/* Exception entry for the parent kernel, and probe_read64. */
	.text
.macro STUB vec
isr_\vec:
	.if (\vec != 8 && \vec != 10 && \vec != 11 && \vec != 12 && \vec != 13 && \vec != 14 && \vec != 17 && \vec != 21)
	pushq $0
	.endif
	pushq $\vec
	jmp isr_common
.endm
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB \v
.endr

isr_common:
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
	mov %rsp, %rdi
	mov %rsp, %rbx
	and $-16, %rsp
	call exception_handle      /* returns only if the fault was expected */
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
	add $16, %rsp
	iretq

/* The idle wake-up interrupts (parent/idle.c): acknowledge and return. */
	.globl isr_wake, isr_spurious
isr_wake:
	pushq %rax
	movq idle_apic(%rip), %rax
	movl $0, (%rax)
	popq %rax
isr_spurious:
	iretq

/* int probe_read64(uint64_t addr, uint64_t *out) */
	.globl probe_read64
probe_read64:
	lea 1f(%rip), %rax
	mov %rax, fault_resume_rip(%rip)
	mov %rsp, fault_resume_rsp(%rip)
	mov (%rdi), %rax
	mov %rax, (%rsi)
	movq $0, fault_resume_rip(%rip)
	xor %eax, %eax
	ret
1:	movq $0, fault_resume_rip(%rip)
	mov $-1, %eax
	ret

/* int probe_call(void (*fn)(uint64_t), uint64_t arg): 0, or -1 if fn faulted. */
	.globl probe_call
probe_call:
	push %rbx
	lea 1f(%rip), %rax
	mov %rax, fault_resume_rip(%rip)
	mov %rsp, fault_resume_rsp(%rip)
	mov %rdi, %rax
	mov %rsi, %rdi
	call *%rax
	movq $0, fault_resume_rip(%rip)
	pop %rbx
	xor %eax, %eax
	ret
1:	movq $0, fault_resume_rip(%rip)
	pop %rbx
	mov $-1, %eax
	ret

	.section .rodata
	.globl isr_stubs
	.balign 8
isr_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr_\v
.endr
	.section .note.GNU-stack,"",@progbits
