#!/usr/bin/env bash
# A multiboot v1 kernel (tests/guests/mboot.c) as a child, 2 CPUs: detected
# as multiboot, booted with a command line and one module; it checks its
# machine state (EAX magic, protected mode, paging off) and the information
# structure (memory sizes and map, command line, module, loader name),
# prints PASS and leaves through the exit port with code 16: `vm info`
# shows `exit_reason: exit port`, `exit_code: 16`.  (VT-x runs it with
# unrestricted guest.)  Again with "reset" on its command line, it writes
# the reset register at once: a reset so soon after the boot stops the VM
# instead of booting it again.
. "$(dirname "$0")/_lib.sh"

cat > "$SCRIPT" <<'SCRIPT'
vm create mb --kernel mboot --cmdline "mboot hello" --module startup --memory 16M
vm info mb
vm start mb
@nowait vm console mb
@expect (mb is stopped|mb is crashed|error: vm console)
vm info mb
vm create mb2 --kernel mboot --initrd startup --memory 16M
vm delete mb
vm create mr --kernel mboot --cmdline "mboot hello reset" --module startup --memory 16M
vm start mr
@nowait vm console mr
@expect (mr is stopped|mr is crashed|error: vm console)
vm info mr
SCRIPT
boot --smp 2 --script "$SCRIPT"

has '^vm: created mb: partition [0-9]+, 16M, 1 vCPU, image mboot \(multiboot, entry 0x[0-9a-f]+, 1 modules\)'
has '^format: multiboot'
has '^cmdline: mboot hello'
has "^mboot: cmdline 'mboot hello', loader 'Keel'"
has "^mboot: module 'startup' at "
has '^PASS mboot: all'
has '^mboot: mmap e0000 \+1000 type 2$'    # the ACPI tables
has '^mboot: mmap ff000 \+1000 type 2$'    # the reset vector's code
has '^exit_reason: exit port'
has '^exit_code: 16'
has '^exit_reason: guest reset within 1 s of its boot \(not booted again\)$'
has '^guest_resets: 0$'
lacks 'mr: the guest reset; booting it again'
has '^error: vm create: --initrd needs a Linux kernel; .mboot. is multiboot'
