#!/usr/bin/env bash
# emulators: qemu-svm bochs-vmx
# VM lifecycles in one boot (2 CPUs).  First the entry state: check64 and
# check32 (tests/integration/_vm_lib.sh) verify the registers, descriptor
# tables and paging of docs/guests.md and halt, which `vm list` shows as
# running (a failed check would triple-fault: crashed); stopped and started
# again they boot afresh and pass again.  guest64 stops when asked.  Then
# 100 rounds of vm create / start / stop --force / delete of a 1 MiB child,
# after which `hv info` and `mem` read exactly as before them: no page of the
# parent or the hypervisor, and no byte of the parent's heap, is lost.
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_vm_lib.sh"

cycles=100
esp=$(private_esp)
vm_guests "$esp"

# The rounds run from the startup script (keel/startup.txt): the same CLI,
# without a prompt round trip per command, which keeps the run short on Bochs.
{
	# The parent's heap top settles with the first VM freed (newlib trims
	# the slack the boot left); the baseline is taken after one round.
	printf 'vm create warm --image halt64 --memory 1M\nvm start warm\nvm stop warm --force\nvm delete warm\n'
	printf 'hv info\nmem\n'
	for i in $(seq "$cycles"); do
		printf 'vm create life --image halt64 --memory 1M\nvm start life\nvm stop life --force\nvm delete life\n'
	done
	printf 'vm list\nhv info\nmem\n'
} > "$esp/keel/startup.txt"

cat > "$SCRIPT" <<'CMDS'
vm create c64 --image check64 --memory 1M
vm create c32 --image check32 --memory 1M
vm start c64
vm start c32
vm list
vm stop c64 --force
vm stop c32 --force
vm start c64
vm start c32
vm list
vm info c64
vm stop c64 --force
vm stop c32 --force
vm delete c64
vm delete c32
vm create g64 --image guest64 --memory 16M
vm start g64
vm stop g64
vm info g64
vm console g64
vm delete g64
vm list
CMDS
boot --esp "$esp" --smp 2 --script "$SCRIPT" --timeout "$(per_emu 240 800)"

# The entry state checks passed on both boots of each child.
for n in 2 3; do
	out=$(nth_output "$n" "vm list")
	grep -Eq '^c64 +[0-9]+ +running +1M +1 +[1-9][0-9]* +none *$' <<<"$out" || die "check64, boot $n: $out"
	grep -Eq '^c32 +[0-9]+ +running +1M +1 +[1-9][0-9]* +none *$' <<<"$out" || die "check32, boot $n: $out"
done
ok "check64 and check32 halted with the docs/guests.md entry state, twice"
lacks 'crashed'

# A guest that answers: guest64 (tests/guests) runs its tests, and `vm stop`
# asks it to stop, which it does with the number of failed tests.
[ "$(nth_output 1 "vm stop g64")" = "vm: g64 stopped (exit code 0)" ] ||
	die "vm stop g64: $(nth_output 1 "vm stop g64")"
ok "guest64 stopped on request, exit code 0"
nth_output 1 "vm info g64" | grep -Eq '^tests: [1-9][0-9]* passed, 0 failed$' || die "vm info g64: no test results"
nth_output 1 "vm info g64" | grep -q '^exit_code: 0$' || die "vm info g64: no exit code"
ok "vm info g64: $(nth_output 1 "vm info g64" | grep '^tests:')"
out=$(nth_output 1 "vm console g64")
grep -q '^PASS guest64: all$' <<<"$out" || die "vm console g64 does not replay the guest's output"
grep -q '^guest64: stopping on request' <<<"$out" || die "vm console g64: no 'stopping on request'"
grep -q '^\[console g64: g64 is stopped\]$' <<<"$out" || die "vm console g64 did not return"
ok "vm console g64 replays the log of a stopped VM and returns"

# Every round succeeded.
[ "$(grep -c '^vm: created life: partition [0-9]*, 1M, 1 vCPU, image halt64' "$TRANSCRIPT")" -eq "$cycles" ] ||
	die "not $cycles creates"
[ "$(grep -c '^vm: life started$' "$TRANSCRIPT")" -eq "$cycles" ] || die "not $cycles starts"
[ "$(grep -c '^vm: life stopped$' "$TRANSCRIPT")" -eq "$cycles" ] || die "not $cycles stops"
[ "$(grep -c '^vm: life deleted$' "$TRANSCRIPT")" -eq "$cycles" ] || die "not $cycles deletes"
ok "$cycles rounds of create, start, stop --force, delete"
lacks '^error: vm'
[ "$(nth_output 1 "vm list" | wc -l)" -eq 1 ] || die "VMs left after the rounds: $(nth_output 1 "vm list")"
[ "$(nth_output 4 "vm list" | wc -l)" -eq 1 ] || die "VMs left: $(nth_output 4 "vm list")"

# Memory before and after the rounds, exactly.
memory_facts 1 > "$WORK/memory.1"
memory_facts 2 > "$WORK/memory.2"
grep -q '^hv_free: [0-9]' "$WORK/memory.1" || die "no hv info before the rounds"
grep -q '^heap_used: [0-9]' "$WORK/memory.1" || die "no mem before the rounds"
same_lines "$WORK/memory.1" "$WORK/memory.2" "hv info and mem over $cycles rounds"
