#!/usr/bin/env bash
# emulators: bochs-vmx
# Debian's own kernel (tools/guest-linux) with 2 vCPUs on Intel VT-x: the
# application processor starts in real mode at its SIPI (unrestricted
# guest), both CPUs come up and init runs on the Hyper-V TSC page, with no
# kernel warning (WARN splat, unchecked MSR, BUG; the notice "RETBleed:
# WARNING: Spectre v2 mitigation leaves CPU vulnerable" is expected: Keel
# does not offer IBRS to children).  Bochs is slow: the run stops at init
# (about 2.5 min).
KEEL_WITH_LINUX=1
. "$(dirname "$0")/_lib.sh"

cat > "$SCRIPT" <<'SCRIPT'
@ontimeout vm info lx
vm create lx --kernel linux --initrd initrd --cmdline "console=ttyS0" --memory 160M --vcpus 2
vm start lx
@nowait vm console lx
@expect (keel-child: init on [0-9]+ CPUs, clocksource [a-z_]+|Kernel panic|lx is crashed|lx is stopped)
@send 1d
vm info lx
vm stop lx --force
SCRIPT
boot --smp 2 --memory 640 --script "$SCRIPT" --timeout 600

has '^vcpus: 2$'
has 'smp: Brought up 1 node, 2 CPUs'
has "keel-child: init on 2 CPUs, clocksource hyperv_clocksource_tsc_page"
has '^vp 1: (running|halted|queued)'
for bad in 'unchecked MSR access' 'BUG' 'WARNING: CPU' 'Call Trace' 'soft lockup' 'self-detected stall' \
	'Kernel panic' 'crash_reason'; do
	lacks "$bad"
done
