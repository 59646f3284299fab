#!/usr/bin/env bash
# Four CPUs (two on Bochs, which is enough for the multi-CPU check there and
# keeps the slower emulator's run short), and a startup script:
# keel/startup.txt runs before the first interactive command is answered.
. "$(dirname "$0")/_lib.sh"

smp=$(per_emu 4 2)

esp=$(private_esp)
mkdir -p "$esp/keel"
printf 'version\n' > "$esp/keel/startup.txt"

printf 'hv info\n' > "$SCRIPT"
boot --esp "$esp" --smp "$smp" --script "$SCRIPT" --timeout "$(per_emu 240 400)"

in_order 'Keel loader 0\.1\.0' 'Keel hypervisor 0\.1\.0' 'Keel parent partition 0\.1\.0' '^keel> '
has "^[[:space:]]*backend: $(expected_backend)([^a-z]|\$)"
has "^[[:space:]]*pcpus:[[:space:]]*$smp([^0-9]|\$)"
before 'Keel 0\.1\.0' '^[[:space:]]*pcpus:'
