/*
 * hostile.elf phase 2: every VMX and SVM instruction, each in a function
 * that loads garbage into the registers and memory it reads, executes it
 * and returns.  hostile.c runs each under guard_call(); outside a VMM the
 * CPU raises #UD for all of them except the hypercall of the running
 * backend (VMCALL on VT-x, VMMCALL on AMD-V), which returns a status.
 * Last, INVD, which must return.
 *
 * hostile_insns[] is { const char *name; void (*fn)(void *); } per entry,
 * ending at hostile_insns_end.
 */
	.code64

#define GARBAGE 0xdeadbeefcafebabe

	.section .rodata.insns, "a"
	.p2align 3
	.globl hostile_insns, hostile_insns_end
hostile_insns:

.macro TRY name
	.section .rodata.insn_names, "a"
name_\name:
	.asciz "\name"
	.section .rodata.insns, "a"
	.quad	name_\name, try_\name
	.text
	.p2align 4
try_\name:
	lea	garbage(%rip), %rsi
	movabs	$GARBAGE, %rax
	mov	%rax, %rbx
	mov	%rax, %rcx
	mov	%rax, %rdx
	mov	%rax, %r8
.endm

/* Every callee-saved register the entries change (RBX) is restored by
 * guard_call() whether the entry returns or faults. */

/* VMX (SDM vol. 3 ch. 31). */
TRY vmxon
	vmxon	(%rsi)
	ret
TRY vmxoff
	vmxoff
	ret
TRY vmptrld
	vmptrld	(%rsi)
	ret
TRY vmptrst
	vmptrst	(%rsi)
	ret
TRY vmclear
	vmclear	(%rsi)
	ret
TRY vmread
	vmread	%rax, %rbx
	ret
TRY vmread_mem
	vmread	%rax, 8(%rsi)
	ret
TRY vmwrite
	vmwrite	%rbx, %rax
	ret
TRY vmwrite_mem
	vmwrite	8(%rsi), %rax
	ret
TRY vmlaunch
	vmlaunch
	ret
TRY vmresume
	vmresume
	ret
TRY vmcall
	vmcall
	ret
TRY invept
	invept	(%rsi), %rax
	ret
TRY invvpid
	invvpid	(%rsi), %rax
	ret
TRY vmfunc
	xor	%eax, %eax		/* EPTP switching, the one VM function */
	vmfunc
	ret
TRY vmfunc_garbage
	vmfunc
	ret

/* SVM (APM vol. 3 "VMRUN" and neighbours). */
TRY vmrun
	vmrun	%rax
	ret
TRY vmrun_ram
	mov	%rsi, %rax		/* a page of our own RAM as the "VMCB" */
	vmrun	%rax
	ret
TRY vmload
	vmload	%rax
	ret
TRY vmsave
	vmsave	%rax
	ret
TRY vmmcall
	vmmcall
	ret
TRY stgi
	stgi
	ret
TRY clgi
	clgi
	ret
TRY skinit
	skinit	%eax
	ret
TRY invlpga
	invlpga	%rax, %ecx
	ret

/* INVD would drop every partition's dirty cache lines: the hypervisor
 * intercepts it and takes it as WBINVD (a no-op on coherent write-back
 * memory), so it returns. */
TRY invd
	invd
	ret

	.section .rodata.insns, "a"
hostile_insns_end:

	.data
	.p2align 12
garbage:
	.fill	4096, 1, 0xa5

	.section .note.GNU-stack, "", @progbits
