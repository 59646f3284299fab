/*
 * void svm_vp_loop(struct svm_vp *s)
 *
 * The VMRUN loop.  Guest GPRs live in s->vp.gpr[] (RSP and RAX in the
 * VMCB; RAX and RIP are copied across).  The VMCB is reached through its physical
 * address, which the hypervisor's identity map makes a valid pointer.
 * VMLOAD/VMSAVE move the guest's FS/GS/TR/LDTR/syscall MSRs; the host's are
 * reloaded from s->host_state_pa.  GIF is clear from before the guest
 * state is loaded until the host state is back (APM §15.17).  After each
 * exit svm_exit(s) runs; the loop ends when it returns 0.  Host callee-saved
 * registers are saved once per loop, not per exit.
 *
 * svm_vp_loop_child differs in one point: a child's VMCB masks interrupts
 * with the host's IF (V_INTR_MASKING), so the host sets IF across VMRUN
 * (GIF still holds interrupts until VMRUN and after #VMEXIT) and clears it
 * again before STGI; the exit policy takes the pending interrupt.
 */
#define S_VMCB_PA    0
#define S_HOST_STATE 8
#define GPR(n)       (16 + 8 * (n))
#define VP_RIP       (16 + 8 * 16)
#define VMCB_RAX     0x5f8
#define VMCB_RIP     0x578
	.text
.macro VP_LOOP child
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi                 /* s; the stack is now 16-byte aligned */
.Lenter\@:
	mov (%rsp), %rdi
	mov S_VMCB_PA(%rdi), %rax
	mov GPR(0)(%rdi), %rcx
	mov %rcx, VMCB_RAX(%rax)
	mov VP_RIP(%rdi), %rcx
	mov %rcx, VMCB_RIP(%rax)
	clgi
	.if \child
	sti                       /* a child's exits come from host interrupts */
	.endif
	mov GPR(1)(%rdi), %rcx
	mov GPR(2)(%rdi), %rdx
	mov GPR(3)(%rdi), %rbx
	mov GPR(5)(%rdi), %rbp
	mov GPR(6)(%rdi), %rsi
	mov GPR(8)(%rdi), %r8
	mov GPR(9)(%rdi), %r9
	mov GPR(10)(%rdi), %r10
	mov GPR(11)(%rdi), %r11
	mov GPR(12)(%rdi), %r12
	mov GPR(13)(%rdi), %r13
	mov GPR(14)(%rdi), %r14
	mov GPR(15)(%rdi), %r15
	mov GPR(7)(%rdi), %rdi
	vmload %rax
	vmrun %rax
	vmsave %rax
	push %rdi
	mov 8(%rsp), %rdi
	mov %rcx, GPR(1)(%rdi)
	mov %rdx, GPR(2)(%rdi)
	mov %rbx, GPR(3)(%rdi)
	mov %rbp, GPR(5)(%rdi)
	mov %rsi, GPR(6)(%rdi)
	popq GPR(7)(%rdi)
	mov %r8, GPR(8)(%rdi)
	mov %r9, GPR(9)(%rdi)
	mov %r10, GPR(10)(%rdi)
	mov %r11, GPR(11)(%rdi)
	mov %r12, GPR(12)(%rdi)
	mov %r13, GPR(13)(%rdi)
	mov %r14, GPR(14)(%rdi)
	mov %r15, GPR(15)(%rdi)
	mov VMCB_RAX(%rax), %rcx
	mov %rcx, GPR(0)(%rdi)
	mov VMCB_RIP(%rax), %rcx
	mov %rcx, VP_RIP(%rdi)
	mov S_HOST_STATE(%rdi), %rax
	vmload %rax               /* host FS/GS (per-CPU pointer), TR, ... */
	.if \child
	cli                       /* pending interrupts wait for the exit policy */
	.endif
	stgi
	call svm_exit
	test %eax, %eax
	jnz .Lenter\@
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
.endm

	.globl svm_vp_loop, svm_vp_loop_child
svm_vp_loop:
	VP_LOOP 0
svm_vp_loop_child:
	VP_LOOP 1
	.section .note.GNU-stack,"",@progbits
