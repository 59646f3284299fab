#!/usr/bin/env bash
# Four CPUs (two on Bochs, which is enough for the multi-CPU check there and
# keeps the slower emulator's run short), and a startup script:
# keel/startup.txt runs before the first interactive command is answered.
. "$(dirname "$0")/_lib.sh"

smp=$(per_emu 4 2)

esp=$(private_esp)
mkdir -p "$esp/keel"
printf 'version\n' > "$esp/keel/startup.txt"

# Child VPs on the application processors (selftest run).  Bochs' AMD-V
# takes no interrupt exit from a guest spinning with IF clear, so a
# `cli; jmp .` child is never preempted there: the run is skipped on it.
run_children=1
[ "$KEEL_EMU" = bochs-svm ] && run_children=0
{
	printf 'hv info\n'
	[ "$run_children" = 1 ] && printf 'selftest run\n'
} > "$SCRIPT"
boot --esp "$esp" --smp "$smp" --script "$SCRIPT" --timeout "$(per_emu 240 400)"

in_order 'Keel loader 0\.1\.0' 'Keel hypervisor 0\.1\.0' 'Keel parent partition 0\.1\.0' '^keel> '
has "^[[:space:]]*backend: $(expected_backend)([^a-z]|\$)"
has "^[[:space:]]*pcpus:[[:space:]]*$smp([^0-9]|\$)"
before 'Keel 0\.1\.0' '^[[:space:]]*pcpus:'
if [ "$run_children" = 1 ]; then
	has 'run: PASS'
	has 'run: the spinning children were preempted'
	has 'crash reason: triple fault'
fi
