#!/usr/bin/env bash
# The parent partition's ELF is missing: the loader says so and stops.
. "$(dirname "$0")/_lib.sh"

esp=$(private_esp)
[ -f "$esp/keel/parent.elf" ] || die "the ESP has no keel/parent.elf"
rm "$esp/keel/parent.elf"

boot --esp "$esp" --timeout 90 --expect 'keel-loader: error: .*parent\.elf.*not found'
lacks 'Keel hypervisor 0\.1\.0'
