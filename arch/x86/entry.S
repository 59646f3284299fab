/*
 * Hypervisor entry from the UEFI loader: RDI = physical address of
 * struct boot_info, paging on (identity + image at its link address),
 * interrupts off.  Switch to the boot stack and enter C.
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	cli
	lea boot_stack_top(%rip), %rsp
	xor %ebp, %ebp
	call hv_main
1:	cli
	hlt
	jmp 1b

	.bss
	.balign 16
boot_stack:
	.skip 16384
boot_stack_top:
	.section .note.GNU-stack,"",@progbits
