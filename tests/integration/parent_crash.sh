#!/usr/bin/env bash
# emulators: qemu-svm bochs-vmx
# The parent partition crashes on purpose and the run ends at once with a
# clear report instead of hanging.  Two boots:
#  1. `selftest fault`: a page fault the parent reports itself (vector, error
#     code, RIP, CR2 on COM1) and passes to the hypervisor through the TLFS
#     crash MSRs; the hypervisor logs "parent partition crashed: ..." and
#     halts every CPU; keel-run stops with that line, not a timeout.
#  2. `selftest fault triple`: a parent with no IDT triple-faults; the
#     hypervisor reports "parent partition crashed: triple fault".
# (bochs-svm stops the emulator at a guest triple fault: not run there.)
. "$(dirname "$0")/_lib.sh"

# crash_boot WHAT: boot 2 CPUs, run `selftest WHAT`; keel-run must fail fast.
crash_boot() {
	local rc=0 t0 t1 timeout
	timeout=$(per_emu 90 400)
	printf 'selftest %s\nversion\n' "$1" > "$SCRIPT"
	t0=$(date +%s)
	"$KEEL_RUN" --emu "$KEEL_EMU" --smp 2 --script "$SCRIPT" --timeout "$timeout" \
		--transcript "$TRANSCRIPT" 2> "$WORK/stderr" || rc=$?
	t1=$(date +%s)
	cat "$WORK/stderr"
	[ "$rc" -eq 1 ] || die "keel-run exited $rc, want 1 (the run failed)"
	grep -q 'parent partition crashed' "$WORK/stderr" "$TRANSCRIPT" || die "no crash report"
	! grep -q 'timeout' "$WORK/stderr" || die "the run timed out instead of ending at the crash"
	[ $((t1 - t0)) -lt "$timeout" ] || die "took $((t1 - t0)) s"
	ok "keel-run ended after $((t1 - t0)) s: $(cat "$WORK/stderr")"
	lacks '^keel> version'   # the command after the crash never ran
}

crash_boot fault
has '^fault: reading 0x7ff000000000'
has '^PANIC: parent: exception 14 \(page fault\) error 0x0 rip 0x[0-9a-f]+ rsp 0x[0-9a-f]+ cr2 0x7ff000000000$'
has '^hv\[0\]: error: parent partition crashed: exception 14 \(page fault\) error 0x0 rip 0x[0-9a-f]+ rsp 0x[0-9a-f]+ cr2 0x7ff000000000$'
has '^hv\[0\]: error: machine stopped: every processor halted$'

crash_boot "fault triple"
has '^hv\[0\]: error: parent partition crashed: triple fault \(shutdown\)$'
has '^hv\[0\]: error: machine stopped'
