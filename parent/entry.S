/* Parent entry: RDI = struct parent_boot (hv/abi/parent_boot.h). */
	.section .text.entry, "ax"
	.globl _start
_start:
	cli
	lea stack_top(%rip), %rsp
	xor %ebp, %ebp
	call parent_main
1:	hlt
	jmp 1b

	.bss
	.balign 16
stack:
	.skip 65536
stack_top:
	.section .note.GNU-stack,"",@progbits
