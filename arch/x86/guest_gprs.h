/*
 * Assembler-only pieces shared by the backends' entry loops (svm_run.S,
 * vmx_run.S), whose argument is the neutral struct vp (hv/vp.h): guest GPR
 * n is at GUEST_GPR(n), the guest RIP after the 16 GPRs, and the pointer
 * to the backend's own state (vp->arch) after that.
 */
#ifndef KEEL_ARCH_X86_GUEST_GPRS_H
#define KEEL_ARCH_X86_GUEST_GPRS_H

#define GUEST_GPR(n) (8 * (n))
#define GUEST_RIP    GUEST_GPR(16)
#define VP_ARCH      GUEST_GPR(17)

/* Save the host's callee-saved registers and the loop argument (RDI);
 * leaves the stack 16-byte aligned with the argument at (%rsp). */
.macro HOST_SAVE
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi
.endm

.macro HOST_RESTORE
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
.endm

/* Load guest RCX..R15 from the state at RDI, RDI itself last.  RAX and
 * RSP are the caller's business (they live in the VMCB/VMCS or RAX is the
 * entry instruction's operand). */
.macro GUEST_LOAD_GPRS
	mov GUEST_GPR(1)(%rdi), %rcx
	mov GUEST_GPR(2)(%rdi), %rdx
	mov GUEST_GPR(3)(%rdi), %rbx
	mov GUEST_GPR(5)(%rdi), %rbp
	mov GUEST_GPR(6)(%rdi), %rsi
	mov GUEST_GPR(8)(%rdi), %r8
	mov GUEST_GPR(9)(%rdi), %r9
	mov GUEST_GPR(10)(%rdi), %r10
	mov GUEST_GPR(11)(%rdi), %r11
	mov GUEST_GPR(12)(%rdi), %r12
	mov GUEST_GPR(13)(%rdi), %r13
	mov GUEST_GPR(14)(%rdi), %r14
	mov GUEST_GPR(15)(%rdi), %r15
	mov GUEST_GPR(7)(%rdi), %rdi
.endm

/* Right after an exit, with the loop argument at (%rsp): store guest
 * RCX..R15 (RAX not included) and leave the state pointer in RDI. */
.macro GUEST_SAVE_GPRS
	push %rdi
	mov 8(%rsp), %rdi
	mov %rcx, GUEST_GPR(1)(%rdi)
	mov %rdx, GUEST_GPR(2)(%rdi)
	mov %rbx, GUEST_GPR(3)(%rdi)
	mov %rbp, GUEST_GPR(5)(%rdi)
	mov %rsi, GUEST_GPR(6)(%rdi)
	popq GUEST_GPR(7)(%rdi)
	mov %r8, GUEST_GPR(8)(%rdi)
	mov %r9, GUEST_GPR(9)(%rdi)
	mov %r10, GUEST_GPR(10)(%rdi)
	mov %r11, GUEST_GPR(11)(%rdi)
	mov %r12, GUEST_GPR(12)(%rdi)
	mov %r13, GUEST_GPR(13)(%rdi)
	mov %r14, GUEST_GPR(14)(%rdi)
	mov %r15, GUEST_GPR(15)(%rdi)
.endm

#endif
