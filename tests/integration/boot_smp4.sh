#!/usr/bin/env bash
# Four CPUs, and a startup script: keel/startup.txt runs before the first
# interactive command is answered.
. "$(dirname "$0")/_lib.sh"

esp=$(private_esp)
mkdir -p "$esp/keel"
printf 'version\n' > "$esp/keel/startup.txt"

printf 'hv info\n' > "$SCRIPT"
boot --esp "$esp" --smp 4 --script "$SCRIPT" --timeout 240

in_order 'Keel loader 0\.1\.0' 'Keel hypervisor 0\.1\.0' 'Keel parent partition 0\.1\.0' '^keel> '
has "^[[:space:]]*backend: $(expected_backend)([^a-z]|\$)"
has '^[[:space:]]*pcpus:[[:space:]]*4([^0-9]|$)'
before 'Keel 0\.1\.0' '^[[:space:]]*pcpus:'
