#!/usr/bin/env bash
# The parent partition's ELF is missing: the loader says so and stops.
# A loader test: the CPU does not matter, one emulator is enough.
# emulators: once
. "$(dirname "$0")/_lib.sh"

esp=$(private_esp)
[ -f "$esp/keel/parent.elf" ] || die "the ESP has no keel/parent.elf"
rm "$esp/keel/parent.elf"

boot --esp "$esp" --timeout "$(per_emu 90 300)" --expect 'keel-loader: error: .*parent\.elf.*not found'
lacks 'Keel hypervisor 0\.1\.0'
