# Helpers shared by the integration scenarios: source it, do not run it.
#
# Environment (run-tests sets KEEL_ROOT, KEEL_RUN and, for each run, KEEL_EMU):
#   KEEL_ROOT  repository root            KEEL_RUN  tools/keel-run
#   KEEL_ESP   the built ESP (build/esp)  KEEL_EMU  emulator (default qemu-svm)
#
# A scenario exits 0 to pass, 1 to fail (die), 77 to skip.  It never writes
# into $KEEL_ESP: every change goes into a private copy (private_esp).

set -euo pipefail

KEEL_ROOT=${KEEL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KEEL_RUN=${KEEL_RUN:-$KEEL_ROOT/tools/keel-run}
KEEL_ESP=${KEEL_ESP:-$KEEL_ROOT/build/esp}
KEEL_EMU=${KEEL_EMU:-qemu-svm}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TRANSCRIPT=$WORK/transcript.txt
LINE_TIMES=$WORK/line-times.txt   # "HOST_UNIX_TIME LINE" per transcript line
SCRIPT=$WORK/script.txt

die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
ok() { echo "ok: $*"; }

need_esp() {
	[ -d "$KEEL_ESP" ] || die "no ESP at $KEEL_ESP (run make first)"
}

# private_esp: copy the built ESP to $WORK/esp and print that path.  The
# Linux kernel and initramfs (modules linux and initrd, 9 MB that a Bochs
# boot takes 10 s to load) are left out unless the scenario set
# KEEL_WITH_LINUX=1 before sourcing this file.
private_esp() {
	need_esp
	rm -rf "$WORK/esp"
	cp -R "$KEEL_ESP" "$WORK/esp"
	if [ "${KEEL_WITH_LINUX:-0}" != 1 ]; then
		rm -rf "$WORK/esp/keel/linux"
		sed -i '/\\keel\\linux\\/d' "$WORK/esp/keel/keel.cfg"
	fi
	printf '%s\n' "$WORK/esp"
}

# boot KEEL_RUN_ARGS...: one emulator run; the transcript lands in
# $TRANSCRIPT.  The scenario fails if keel-run does.  Without --esp, it
# boots a private_esp.
boot() {
	need_esp
	local esp_args=()
	case " $* " in *" --esp "*) ;; *) esp_args=(--esp "$(private_esp)") ;; esac
	echo "+ keel-run --emu $KEEL_EMU $*"
	local rc=0
	"$KEEL_RUN" --emu "$KEEL_EMU" --transcript "$TRANSCRIPT" --line-times "$LINE_TIMES" "${esp_args[@]}" "$@" || rc=$?
	[ "$rc" -eq 0 ] || die "keel-run exited with status $rc"
	echo "+ keel-run passed"
}

# on_bochs: true when $KEEL_EMU is one of keel-run's Bochs emulators.
on_bochs() {
	case "$KEEL_EMU" in bochs-*) return 0 ;; *) return 1 ;; esac
}

# per_emu QEMU_VALUE BOCHS_VALUE: print the value for $KEEL_EMU's emulator
# (e.g. a --timeout: Bochs runs about 5x slower than QEMU TCG).
per_emu() {
	if on_bochs; then echo "$2"; else echo "$1"; fi
}

# The backend name `hv info` should report on $KEEL_EMU (a regex).
expected_backend() {
	case "$KEEL_EMU" in
	*vmx) echo vmx ;;
	*svm) echo svm ;;
	*) echo '(svm|vmx)' ;;
	esac
}

# has REGEX: some transcript line matches the extended regex.
has() {
	grep -Eq -- "$1" "$TRANSCRIPT" || die "no transcript line matches /$1/"
	ok "/$1/: $(grep -Em1 -- "$1" "$TRANSCRIPT")"
}

# lacks REGEX: no transcript line matches.
lacks() {
	! grep -Eq -- "$1" "$TRANSCRIPT" || die "unexpected line: $(grep -Em1 -- "$1" "$TRANSCRIPT")"
	ok "no line matches /$1/"
}

# first_line REGEX [AFTER]: number of the first line after line AFTER
# (default 0) that matches REGEX; empty if none.
first_line() {
	grep -nE -- "$1" "$TRANSCRIPT" | awk -F: -v after="${2:-0}" '$1 > after { print $1; exit }'
}

# in_order REGEX...: lines matching the regexes appear in this order.
in_order() {
	local at=0 n re
	for re in "$@"; do
		n=$(first_line "$re" "$at")
		[ -n "$n" ] || die "no line matching /$re/ after line $at"
		at=$n
	done
	ok "in order: $*"
}

# before A B: the first line matching A comes before the first matching B.
before() {
	local a b
	a=$(first_line "$1")
	b=$(first_line "$2")
	[ -n "$a" ] || die "no line matches /$1/"
	[ -n "$b" ] || die "no line matches /$2/"
	[ "$a" -lt "$b" ] || die "/$1/ (line $a) is not before /$2/ (line $b)"
	ok "/$1/ (line $a) before /$2/ (line $b)"
}

# positive KEY: a line "KEY: N" with N > 0.
positive() {
	local n
	n=$(sed -nE "s/^[[:space:]]*$1:[[:space:]]*([0-9]+)([^0-9].*)?\$/\\1/p" "$TRANSCRIPT" | head -n1)
	[ -n "$n" ] || die "no line '$1: N'"
	[ "$n" -gt 0 ] || die "$1 is $n, expected > 0"
	ok "$1: $n"
}

# output_of CMD: the lines between the echoed "keel> CMD" and the next line
# that starts with the prompt.
output_of() {
	awk -v cmd="keel> $1" '
		{ line = $0; sub(/[ \t]+$/, "", line) }
		found && /^keel> / { exit }
		found { print }
		line == cmd { found = 1 }' "$TRANSCRIPT"
}
