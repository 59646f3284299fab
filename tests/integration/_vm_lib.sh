# Helpers of the vm_* scenarios: source it after _lib.sh.
#
# vm_guests ESP assembles them (binutils, as the build uses) into
# $WORK/guests, copies them into ESP's \keel\ and declares them as modules in
# its keel.cfg:
#
#   halt64   64-bit; HLT with interrupts off, forever (never answers a stop
#            request).  Linked at 64 KiB, so 1 MiB of RAM is enough.
#   check64  64-bit, for exactly 1 MiB of RAM: checks the entry state of
#            docs/guests.md (RFLAGS, RDI, RSI, RSP, CR0, CR3, CR4, EFER, other
#            GPRs 0, the GDT's code, data and TSS descriptors, GDTR, TR,
#            RAM read/write), then halts; on any mismatch it executes UD2,
#            which (no IDT) triple-faults at an address naming the check.
#   check32  the same in 32-bit protected mode (CR4.PSE, EFER 0, 8-byte TSS).
#   crash64  64-bit; waits 3 s of reference time (HV_X64_MSR_TIME_REF_COUNT),
#            then triple-faults.
#   arm64    halt64 with e_machine 183 (AArch64): not an image a child runs.

vm_guests() {
	local esp=$1 dir=$WORK/guests
	mkdir -p "$dir"

	cat > "$dir/halt64.S" <<'EOF'
	.code64
	.globl _start
_start:	cli
1:	hlt
	jmp 1b
EOF

	cat > "$dir/check64.S" <<'EOF'
	.code64
	.globl _start
_start:	pushfq				/* RFLAGS = 2 */
	popq %rax
	cmp $2, %rax
	jne bad
	cmp $0x100000, %rdi		/* RDI = RAM */
	jne bad
	lea -0x10000(%rdi), %rax	/* RSP = CR3 = RAM - 64 KiB */
	cmp %rax, %rsp
	jne bad
	mov %cr3, %rbx
	cmp %rax, %rbx
	jne bad
	cmp %rdi, %rsi			/* RSI = RAM below 3 GiB = RAM */
	jne bad
	xor %rax, %rax			/* the other GPRs are 0 */
	or %rcx, %rax
	or %rdx, %rax
	or %rbp, %rax
	or %r9, %rax
	or %r10, %rax
	or %r11, %rax
	or %r12, %rax
	or %r13, %rax
	or %r14, %rax
	or %r15, %rax
	jnz bad
	mov %cr0, %rax			/* PG WP NE ET PE */
	cmp $0x80010031, %eax
	jne bad
	mov %cr4, %rax			/* PAE */
	cmp $0x20, %rax
	jne bad
	mov $0xc0000080, %ecx		/* EFER: NXE LMA LME */
	rdmsr
	cmp $0xd00, %eax
	jne bad
	mov $0x10, %ax			/* the GDT's data and code descriptors load */
	mov %ax, %ds
	mov %ax, %ss
	pushq $0x08
	lea 1f(%rip), %rax
	pushq %rax
	lretq
1:	str %ax				/* TR = 0x18 */
	cmp $0x18, %ax
	jne bad
	sgdt -16(%rsp)			/* GDTR: 4 entries (the TSS takes 16 bytes) */
	cmpw $0x27, -16(%rsp)
	jne bad
	lea -0x8000(%rdi), %rax
	cmp %rax, -14(%rsp)
	jne bad
	movq $0x1234, 0x80000		/* RAM through the identity map */
	cmpq $0x1234, 0x80000
	jne bad
2:	hlt
	jmp 2b
bad:	ud2
EOF

	cat > "$dir/check32.S" <<'EOF'
	.code32
	.globl _start
_start:	pushfl
	popl %eax
	cmp $2, %eax
	jne bad
	cmp $0x100000, %edi
	jne bad
	lea -0x10000(%edi), %eax
	cmp %eax, %esp
	jne bad
	mov %cr3, %ebx
	cmp %eax, %ebx
	jne bad
	cmp %edi, %esi			/* ESI = RAM below 3 GiB = RAM */
	jne bad
	xor %eax, %eax
	or %ecx, %eax
	or %edx, %eax
	or %ebp, %eax
	jnz bad
	mov %cr0, %eax
	cmp $0x80010031, %eax
	jne bad
	mov %cr4, %eax			/* PSE */
	cmp $0x10, %eax
	jne bad
	mov $0xc0000080, %ecx		/* EFER 0 */
	rdmsr
	test %eax, %eax
	jnz bad
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %ss
	ljmp $0x08, $1f
1:	str %ax
	cmp $0x18, %ax
	jne bad
	sgdt -8(%esp)			/* GDTR: 4 entries of 8 bytes */
	cmpw $0x1f, -8(%esp)
	jne bad
	lea -0x8000(%edi), %eax
	cmp %eax, -6(%esp)
	jne bad
	movl $0x1234, 0x80000
	cmpl $0x1234, 0x80000
	jne bad
2:	hlt
	jmp 2b
bad:	ud2
EOF

	cat > "$dir/crash64.S" <<'EOF'
	.code64
	.globl _start
_start:	mov $0x40000020, %ecx		/* HV_X64_MSR_TIME_REF_COUNT, 100 ns units */
	rdmsr
	shl $32, %rdx
	or %rax, %rdx
	mov %rdx, %rsi
1:	rdmsr
	shl $32, %rdx
	or %rax, %rdx
	sub %rsi, %rdx
	cmp $30000000, %rdx		/* 3 s */
	jb 1b
	ud2				/* no IDT: triple fault */
EOF

	# Every failed check gets its own UD2, so the crash address names it.
	local g bits
	for g in halt64 check64 check32 crash64; do
		bits=64
		[ "$g" = check32 ] && bits=32
		awk '/jne bad|jnz bad/ { n++; sub(/bad/, "bad" n) } { print }
		     END { for (i = 1; i <= n; i++) print "bad" i ":\tud2" }' "$dir/$g.S" > "$dir/$g.s"
		as --"$bits" -o "$dir/$g.o" "$dir/$g.s" || die "cannot assemble $g"
		ld -m "$([ "$bits" = 64 ] && echo elf_x86_64 || echo elf_i386)" -N -Ttext=0x10000 -e _start \
			--no-warn-rwx-segments -o "$dir/$g.elf" "$dir/$g.o" 2>/dev/null ||
			ld -m "$([ "$bits" = 64 ] && echo elf_x86_64 || echo elf_i386)" -N -Ttext=0x10000 -e _start \
				-o "$dir/$g.elf" "$dir/$g.o" || die "cannot link $g"
	done
	cp "$dir/halt64.elf" "$dir/arm64.elf"
	printf '\267\000' | dd of="$dir/arm64.elf" bs=1 seek=18 conv=notrunc status=none

	for g in halt64 check64 check32 crash64 arm64; do
		cp "$dir/$g.elf" "$esp/keel/$g.elf"
		printf 'module = %s \\keel\\%s.elf\n' "$g" "$g" >> "$esp/keel/keel.cfg"
	done
}

# nth_output N CMD: the reply to the Nth (from 1) "keel> CMD", or
# "startup: CMD" of the startup script, up to the next of either.
nth_output() {
	awk -v cmd="$2" -v want="$1" '
		{ line = $0; sub(/[ \t]+$/, "", line) }
		found && /^(keel> |startup: )/ { exit }
		found { print }
		(line == "keel> " cmd || line == "startup: " cmd) && ++seen == want { found = 1 }' "$TRANSCRIPT"
}

# memory_facts N: the Nth `hv info` and `mem` replies without the parent's
# exit count (which every command changes).
memory_facts() {
	nth_output "$1" "hv info" | grep -v '^parent_exits:'
	nth_output "$1" mem
}

# same_lines A B WHAT: the files hold the same lines.
same_lines() {
	diff -u "$1" "$2" >&2 || die "$3 changed (diff above)"
	ok "$3 unchanged: $(tr '\n' ' ' < "$1" | cut -c1-120)"
}
