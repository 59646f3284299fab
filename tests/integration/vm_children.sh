#!/usr/bin/env bash
# emulators: qemu-svm bochs-vmx bochs-svm
# Children at work, in one boot with 2 CPUs: guest64 and guest32
# (tests/guests) run at once and pass their tests (CPUID, port I/O, MMIO
# emulated by the parent, the synthetic timer), each console followed live
# and detached with Ctrl-]; then the hostile guest attacks (memory outside
# its RAM, VMX/SVM instructions, random hypercalls and MSRs) and
# triple-faults: it is shown crashed with the reason while the other two
# keep running, the parent answering all along.  guest64 stops when asked,
# guest32 is stopped by force, and after the deletes every page is back.
# tasksw switches tasks by JMP, CALL/IRET, INT through a task gate, and
# takes #GP and #DF through task gates (on VT-x every task switch exits
# and the hypervisor performs it).
# Bochs' AMD-V stops the whole emulator at a guest's triple fault (it takes
# no shutdown intercept), so the hostile guest is left out on bochs-svm.
. "$(dirname "$0")/_lib.sh"

hostile=1
[ "$KEEL_EMU" = bochs-svm ] && hostile=0

slow=$(per_emu 1 4)
{
	echo 'hv info'
	echo 'vm create web --image guest64 --memory 8M'
	echo 'vm create old --image guest32 --memory 4M'
	echo 'vm create bad --image hostile --memory 4M'
	echo 'vm start web'
	echo 'vm start old'
	echo '@nowait vm console web'
	echo '@expect ^(PASS|FAIL) guest64: (all|[0-9]+ failed)'
	echo '@expect guest64: tick 1$'
	echo '@send 1d'
	echo '@nowait vm console old'
	echo '@expect ^(PASS|FAIL) guest32: (all|[0-9]+ failed)'
	echo '@expect guest32: tick [0-9]+$'
	echo '@send 1d'
	if [ "$hostile" = 1 ]; then
		echo 'vm start bad'
		echo '@nowait vm console bad'
		echo '@expect console bad: bad is crashed'
		echo 'vm list'
		echo 'vm info bad'
	fi
	echo 'vm create task --image tasksw --memory 4M'
	echo 'vm start task'
	echo '@nowait vm console task'
	echo '@expect tasksw: done: [0-9]+ passed, [0-9]+ failed$|task is crashed'
	echo '@send 1d'
	echo 'vm info task'
	echo 'vm stop task --force'
	echo 'vm delete task'
	echo '@nowait vm console web'
	echo '@expect guest64: tick [0-9]+$'
	echo '@send 1d'
	echo 'vm stop web'
	echo 'vm stop old --force'
	echo 'vm list'
	echo 'vm delete web'
	echo 'vm delete old'
	echo 'vm delete bad'
	echo 'vm list'
	echo 'hv info'
} > "$SCRIPT"
boot --smp 2 --script "$SCRIPT" --timeout $((300 * slow))

has '^PASS guest64: all$'
has '^PASS guest32: all$'
lacks '^FAIL guest'
has 'console web: detached'
has 'console old: detached'
in_order 'guest64: tick 1$' 'console web: detached' 'guest32: tick' 'console old: detached'
if [ "$hostile" = 1 ]; then
	has '^hostile: phase 2 '
	has '^hostile:   invd: returned$'     # intercepted and skipped, as a WBINVD
	has '^hostile: phase 3 '
	has '^hostile: phase 4 '
	has '^hostile: all phases survived'
	has '^bad +[0-9]+ crashed '
	has '^web +[0-9]+ running '
	has '^old +[0-9]+ running '
	has "^crash_reason: .*triple fault"
fi
# Hardware task switches (VT-x: every one emulated by the hypervisor).
for t in 'task switch by JMP' 'task switch by CALL and back by IRET' \
	'task switch through a task gate \(INT 0x40\)' '#GP through a task gate, with its error code' \
	'#DF through a task gate'; do
	has "^PASS tasksw: $t\$"
done
has '^tasksw: done: 5 passed, 0 failed$'
has 'vm: web stopped \(exit code 0\)'
has 'vm: old stopped'
# The hypervisor's and the parent's memory are what they were before.
hv_free=$(grep -E '^hv_free:' "$TRANSCRIPT" | sed -n '1p;$p' | uniq | wc -l)
parent_mem=$(grep -E '^parent_memory:' "$TRANSCRIPT" | sed -n '1p;$p' | uniq | wc -l)
[ "$hv_free" = 1 ] && [ "$parent_mem" = 1 ] || die "memory differs after the deletes: $(grep -E '^(hv_free|parent_memory):' "$TRANSCRIPT" | tr '\n' ' ')"
ok "hv_free and parent_memory unchanged after the deletes"
