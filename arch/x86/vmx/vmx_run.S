/*
 * void vmx_vp_loop(struct vmx_vp *s)
 *
 * The VM-entry loop.  Guest GPRs (RAX included; RSP is in the VMCS) live in
 * s->vp.gpr[]; s->vp.rip is moved to and from GUEST_RIP.  HOST_RSP is set
 * once to the loop's frame and HOST_RIP points at vmx_exit_entry, so a VM
 * exit lands there with the stack as it was at entry.  After each exit
 * vmx_exit(s) runs; the loop ends when it returns 0 or an entry fails.
 */
#define S_LAUNCHED   0
#define GPR(n)       (16 + 8 * (n))
#define VP_RIP       (16 + 8 * 16)
#define VMCS_HOST_RSP  0x6c14
#define VMCS_GUEST_RIP 0x681e
	.text
	.globl vmx_vp_loop, vmx_exit_entry
vmx_vp_loop:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi                 /* s; the stack is now 16-byte aligned */
	mov $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
.Lenter:
	mov (%rsp), %rdi
	mov $VMCS_GUEST_RIP, %rax
	vmwrite VP_RIP(%rdi), %rax
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
	mov GPR(0)(%rdi), %rax
	cmpq $0, S_LAUNCHED(%rdi)
	mov GPR(7)(%rdi), %rdi
	jne 1f
	vmlaunch
	jmp .Lfailed
1:	vmresume
.Lfailed:
	mov (%rsp), %rdi
	call vmx_entry_failed
	jmp .Lout

vmx_exit_entry:
	push %rdi
	mov 8(%rsp), %rdi
	mov %rax, GPR(0)(%rdi)
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
	mov $VMCS_GUEST_RIP, %rax
	vmread %rax, VP_RIP(%rdi)
	movq $1, S_LAUNCHED(%rdi)
	call vmx_exit
	test %eax, %eax
	jnz .Lenter
.Lout:
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.section .note.GNU-stack,"",@progbits
