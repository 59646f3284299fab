/* Exception entry stubs: push a uniform frame and call exception_report. */
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
	mov %rsp, %rdi
	and $-16, %rsp
	call exception_report      /* does not return: the pCPU stops */
1:	cli
	hlt
	jmp 1b

	.section .rodata
	.globl exception_stubs
	.balign 8
exception_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad exc_\v
.endr
	.section .note.GNU-stack,"",@progbits
