/*
 * void svm_vmrun(struct vp *vp, uint64_t vmcb_pa, uint64_t host_state_pa)
 *
 * Runs the guest once.  vp->gpr[] (offset 0, 8 bytes each, RAX and RSP
 * excluded: they live in the VMCB) is loaded before VMRUN and stored after
 * #VMEXIT.  VMLOAD/VMSAVE move the guest's FS/GS/TR/LDTR/syscall MSRs; the
 * host's are reloaded from host_state_pa.  GIF is clear from before the
 * guest state is loaded until the host state is back (APM §15.17).
 */
#define GPR(n) (8 * (n))
	.text
	.globl svm_vmrun
svm_vmrun:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdx                 /* host state VMCB */
	push %rdi                 /* vp */
	mov %rsi, %rax            /* VMRUN takes the VMCB in RAX */
	clgi
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
	add $8, %rsp
	pop %rax
	vmload %rax               /* host FS/GS (per-CPU pointer), TR, ... */
	stgi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.section .note.GNU-stack,"",@progbits
