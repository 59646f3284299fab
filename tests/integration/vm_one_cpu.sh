#!/usr/bin/env bash
# emulators: qemu-svm bochs-vmx
# One CPU: child VPs have no pCPU to run on, so `vm start` is refused with
# the reason and leaves the VM created, its pages back in the parent; the VM
# can still be deleted.
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_vm_lib.sh"

esp=$(private_esp)
vm_guests "$esp"
cat > "$SCRIPT" <<'CMDS'
vm create solo --image halt64 --memory 1M
hv info
mem
vm start solo
vm list
hv info
mem
vm delete solo
CMDS
boot --esp "$esp" --smp 1 --script "$SCRIPT" --timeout "$(per_emu 120 400)"

has '^vm: created solo: partition [0-9]+, 1M'
out=$(output_of "vm start solo" | grep -v '^hv\[') # the hypervisor says why too
[ "$out" = "error: vm start: child VPs need a second CPU (this machine has 1)" ] || die "vm start solo: $out"
ok "vm start solo -> $out"
output_of "vm list" | grep -Eq '^solo +[0-9]+ +created +1M +1 +0 +- *$' || die "vm list: $(output_of "vm list")"
ok "solo is still created"
# The refused start took every page back.
memory_facts 1 > "$WORK/before"
memory_facts 2 > "$WORK/after"
grep -q '^hv_free: [0-9]' "$WORK/before" || die "no hv info before the start"
same_lines "$WORK/before" "$WORK/after" "hv info and mem after the refused start"
has '^vm: solo deleted$'
