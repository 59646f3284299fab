#!/usr/bin/env bash
# One CPU: banners, hypervisor facts, the isolation, CPU-policy and
# partition-management self-tests, exit costs, memory, version and help, all in one boot.
. "$(dirname "$0")/_lib.sh"

cat > "$SCRIPT" <<'CMDS'
hv info
selftest isolation
selftest cpu
selftest partitions
selftest run
bench exits
mem
version
help
CMDS
boot --smp 1 --script "$SCRIPT" --timeout "$(per_emu 180 400)"

in_order 'Keel loader 0\.1\.0' 'Keel hypervisor 0\.1\.0' 'Keel parent partition 0\.1\.0' '^keel> '
has "^[[:space:]]*backend: $(expected_backend)([^a-z]|\$)"
has '^[[:space:]]*pcpus:[[:space:]]*1([^0-9]|$)'
positive hv_memory
positive parent_memory
has 'isolation: PASS'
has 'cpu policy: PASS'
has 'partitions: PASS'
has 'partitions: window at 0x[0-9a-f]+ maps, reads, writes, refuses and unmaps child pages'
has '^child_windows: 0x[0-9a-f]+ \(64 x 1024 MiB\)'
has 'run: child VPs need a second pCPU; this machine has 1'
has 'partitions: 100 create/map/delete cycles; hv free [0-9]+ KiB and parent [0-9]+ KiB unchanged'
has 'cpuid_exit: [0-9]+ ticks'
has 'hypercall_exit: [0-9]+ ticks'
has 'Keel 0\.1\.0'
help_text=$(output_of help)
[ -n "$help_text" ] || die "no output between 'keel> help' and the next prompt"
grep -q poweroff <<<"$help_text" || die "help does not list poweroff"
ok "help lists poweroff"
