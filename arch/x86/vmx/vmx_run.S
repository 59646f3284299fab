/*
 * void vmx_vp_loop(struct vp *vp)
 *
 * The VM-entry loop.  Guest GPRs (RAX included; RSP is in the VMCS) live in
 * vp->gpr[]; vp->rip is moved to and from GUEST_RIP.  HOST_RSP is set
 * once to the loop's frame and HOST_RIP points at vmx_exit_entry, so a VM
 * exit lands there with the stack as it was at entry.  After each exit
 * vmx_exit(vp, s) runs; the loop ends when it returns 0 or an entry fails.
 * The launched flag is the vmx_vp's (vp->arch).
 */
#define S_LAUNCHED   0
#define VMCS_HOST_RSP  0x6c14
#define VMCS_GUEST_RIP 0x681e
#include "arch/x86/guest_gprs.h"

	.text
	.globl vmx_vp_loop, vmx_exit_entry
vmx_vp_loop:
	HOST_SAVE                 /* s at (%rsp); the stack is 16-byte aligned */
	mov $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
.Lenter:
	mov (%rsp), %rdi
	mov $VMCS_GUEST_RIP, %rax
	vmwrite GUEST_RIP(%rdi), %rax
	mov VP_ARCH(%rdi), %rax
	cmpq $0, S_LAUNCHED(%rax)  /* flags survive the loads below */
	mov GUEST_GPR(0)(%rdi), %rax
	GUEST_LOAD_GPRS
	jne 1f
	vmlaunch
	jmp .Lfailed
1:	vmresume
.Lfailed:
	mov (%rsp), %rdi
	call vmx_entry_failed
	jmp .Lout

vmx_exit_entry:
	GUEST_SAVE_GPRS
	mov %rax, GUEST_GPR(0)(%rdi)
	mov $VMCS_GUEST_RIP, %rax
	vmread %rax, GUEST_RIP(%rdi)
	mov VP_ARCH(%rdi), %rsi   /* the vmx_vp, vmx_exit's second argument */
	movq $1, S_LAUNCHED(%rsi)
	call vmx_exit
	test %eax, %eax
	jnz .Lenter
.Lout:
	HOST_RESTORE
	ret
	.section .note.GNU-stack,"",@progbits
