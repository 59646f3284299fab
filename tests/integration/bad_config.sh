#!/usr/bin/env bash
# An unknown key in keel.cfg: the loader names the file and line, then
# returns to the firmware.
# A loader test: the CPU does not matter, one emulator is enough.
# emulators: once
. "$(dirname "$0")/_lib.sh"

esp=$(private_esp)
cfg=$esp/keel/keel.cfg
[ -f "$cfg" ] || die "the ESP has no keel/keel.cfg"
printf '\nno_such_key = 1\n' >> "$cfg"
line=$(wc -l < "$cfg")

boot --esp "$esp" --timeout "$(per_emu 90 300)" \
	--expect 'keel-loader: error: keel\.cfg:[0-9]+:' \
	--expect 'keel-loader: returning to firmware'

in_order 'keel-loader: error: keel\.cfg:[0-9]+:' 'keel-loader: returning to firmware'
has "keel-loader: error: keel\\.cfg:$line:"
lacks 'Keel hypervisor 0\.1\.0'
