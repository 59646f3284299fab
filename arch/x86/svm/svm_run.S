/*
 * void svm_vp_loop(struct vp *vp)
 *
 * The VMRUN loop.  Guest GPRs live in vp->gpr[] (RSP and RAX in the
 * VMCB; RAX and RIP are copied across).  The VMCB is reached through its physical
 * address, which the hypervisor's identity map makes a valid pointer.
 * VMLOAD/VMSAVE move the guest's FS/GS/TR/LDTR/syscall MSRs; the host's are
 * reloaded from the svm_vp's host_state_pa (vp->arch).  GIF is clear from before the guest
 * state is loaded until the host state is back (APM §15.17).  After each
 * exit svm_exit(vp, s) (svm_exit_child(vp, s) for a child) runs; the loop ends
 * when it returns 0.  Host callee-saved
 * registers are saved once per loop, not per exit.
 *
 * svm_vp_loop_child differs in one point: a child's VMCB masks interrupts
 * with the host's IF (V_INTR_MASKING), so the host sets IF across VMRUN
 * (GIF still holds interrupts until VMRUN and after #VMEXIT) and clears it
 * again before STGI; the exit policy takes the pending interrupt.
 */
#define S_VMCB_PA    0
#define S_HOST_STATE 8
#define VMCB_RAX     0x5f8
#define VMCB_RIP     0x578
#include "arch/x86/guest_gprs.h"

	.text
.macro VP_LOOP child
	HOST_SAVE
.Lenter\@:
	mov (%rsp), %rdi
	mov VP_ARCH(%rdi), %rax
	mov S_VMCB_PA(%rax), %rax
	mov GUEST_GPR(0)(%rdi), %rcx
	mov %rcx, VMCB_RAX(%rax)
	mov GUEST_RIP(%rdi), %rcx
	mov %rcx, VMCB_RIP(%rax)
	clgi
	.if \child
	sti                       /* a child's exits come from host interrupts */
	.endif
	GUEST_LOAD_GPRS
	vmload %rax
	vmrun %rax
.Lvmsave\@:
	vmsave %rax
	/* Where the host resumes after an exit (svm.c: svm_host_state_fault) */
	.if \child
	.globl svm_child_vmsave_at
	.set svm_child_vmsave_at, .Lvmsave\@
	.else
	.globl svm_parent_vmsave_at
	.set svm_parent_vmsave_at, .Lvmsave\@
	.endif
	GUEST_SAVE_GPRS
	mov VMCB_RAX(%rax), %rcx
	mov %rcx, GUEST_GPR(0)(%rdi)
	mov VMCB_RIP(%rax), %rcx
	mov %rcx, GUEST_RIP(%rdi)
	mov VP_ARCH(%rdi), %rsi   /* the svm_vp, svm_exit's second argument */
	mov S_HOST_STATE(%rsi), %rax
	vmload %rax               /* host FS/GS (per-CPU pointer), TR, ... */
	.if \child
	cli                       /* pending interrupts wait for the exit policy */
	.endif
	stgi
	.if \child
	call svm_exit_child
	.else
	call svm_exit
	.endif
	test %eax, %eax
	jnz .Lenter\@
	HOST_RESTORE
	ret
.endm

	.globl svm_vp_loop, svm_vp_loop_child
svm_vp_loop:
	VP_LOOP 0
svm_vp_loop_child:
	VP_LOOP 1
	.section .note.GNU-stack,"",@progbits
