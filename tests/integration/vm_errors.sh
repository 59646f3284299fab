#!/usr/bin/env bash
# emulators: qemu-svm bochs-vmx
# Every refusal of the vm commands in one boot (2 CPUs): each bad `vm create`
# (unknown image, name taken, bad names, sizes that do not parse, are out of
# range or not whole MiB, more memory than the parent has, images that are not
# ELF, for another machine or too big, too many VMs, missing and unknown
# options) prints one `error: vm create: ...` line and changes nothing (`vm
# list`, `hv info`, `mem`); start/stop/delete/info refuse unknown VMs and the
# wrong state; `vm stop` of a guest that does not answer gives up after 10 s;
# crashed VMs show their reason, refuse a plain stop or a start, and go away
# with `vm stop --force` or `vm delete`; `vm console` returns when its VM is
# not (or no longer) running.
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_vm_lib.sh"

esp=$(private_esp)
vm_guests "$esp"

long_name=$(printf 'n%.0s' $(seq 32))
create_errors=(
	"vm create web --image nosuch --memory 16M|no boot module named 'nosuch'"
	"vm create keep --image halt64 --memory 1M|a VM named 'keep' exists already"
	"vm create bad.name --image halt64 --memory 1M|bad name 'bad.name' \\(use 1 to 31 characters"
	"vm create $long_name --image halt64 --memory 1M|bad name '$long_name'"
	"vm create web --image halt64 --memory lots|memory size 'lots' does not parse"
	"vm create web --image halt64 --memory 300G|memory size 300G is out of range \\(1M to 256G\\)"
	"vm create web --image halt64 --memory 4G|not enough free memory in the parent for 4G of RAM \\([0-9.]+ [MG]iB free\\)"
	"vm create web --image halt64 --memory 512K|memory size 512K is out of range"
	"vm create web --image halt64 --memory 1025K|memory size 1025K is not a multiple of 1 MiB"
	"vm create web --image halt64 --memory 3G|not enough free memory in the parent for 3G"
	"vm create web --image startup --memory 1M|image 'startup' is neither a Linux bzImage \\(64-bit boot protocol\\), a multiboot kernel nor a Keel ELF guest"
	"vm create web --image arm64 --memory 1M|image 'arm64': unsupported machine 183 for ELF64 \\(need x86-64\\)"
	"vm create web --image guest64 --memory 1M|image 'guest64': does not fit: segment 0 at 0x100000"
	"vm create web --image halt64|no --memory SIZE given"
	"vm create web --memory 1M|no --kernel MODULE given"
	"vm create web --image halt64 --memory 1M --vcpus 0|--vcpus 0 is out of range \\(1 to 64\\)"
	"vm create web --image halt64 --memory 1M --vcpus 65|--vcpus 65 is out of range"
	"vm create web --image halt64 --memory 1M --vcpus two|--vcpus 'two' is not a number"
	"vm create web --image halt64 --memory 1M --initrd guest32|--initrd needs a Linux kernel; 'halt64' is ELF"
	"vm create web --image halt64 --memory 1M --module guest32|--module needs a multiboot kernel"
	"vm create web --image halt64 --memory 1M --cmdline quiet|--cmdline needs a Linux or multiboot kernel"
	"vm create web --image halt64 --memory 1M --initrd nosuch --initrd x|--initrd given twice"
	"vm create --image halt64 --memory 1M|no name"
	"vm create web --image halt64 --memory 1M --cpus 2|unknown option '--cpus'"
	"vm create web --image halt64 --memory|--memory needs a value"
	"vm create web --image halt64 --image halt64 --memory 1M|--image given twice"
)
other_errors=(
	"vm start nosuch|vm start: no VM named 'nosuch'"
	"vm stop keep|vm stop: keep is not running \\(it is created\\)"
	"vm stop keep --now|vm stop: unknown option '--now'"
	"vm stop|vm stop: usage: vm stop NAME \\[--force\\]"
	"vm info nosuch|vm info: no VM named 'nosuch'"
	"vm delete nosuch|vm delete: no VM named 'nosuch'"
	"vm console nosuch|vm console: no VM named 'nosuch'"
)

{
	printf 'hv info\nmem\nvm create keep --image halt64 --memory 1M\nvm list\nhv info\nmem\n'
	for e in "${create_errors[@]}" "${other_errors[@]}"; do
		printf '%s\n' "${e%%|*}"
	done
	printf 'vm console keep\nvm list\nhv info\nmem\n'
	for i in $(seq 2 16); do
		printf 'vm create v%d --image halt64 --memory 1M\n' "$i"
	done
	printf 'vm create v17 --image halt64 --memory 1M\nvm list\n'
	for i in $(seq 2 16); do
		printf 'vm delete v%d\n' "$i"
	done
	cat <<'CMDS'
vm start keep
vm start keep
vm delete keep
vm create c1 --image crash64 --memory 1M
vm create c2 --image crash64 --memory 1M
vm create c3 --image crash64 --memory 1M
vm start c1
vm start c2
vm stop keep
vm list
vm info c1
vm stop c1
vm start c1
vm stop c1 --force
vm delete c1
vm delete c2
vm start c3
vm console c3
vm delete c3
vm stop keep --force
vm stop keep --force
vm delete keep
vm list
hv info
mem
CMDS
} > "$SCRIPT"
boot --esp "$esp" --smp 2 --script "$SCRIPT" --timeout "$(per_emu 150 850)"

# refused N CMD REGEX: the Nth reply to CMD is exactly one line, an error
# matching REGEX.
refused() {
	local out
	out=$(nth_output "$1" "$2")
	[ -n "$out" ] || die "no reply to '$2'"
	[ "$(wc -l <<<"$out")" -eq 1 ] || die "'$2' printed more than one line: $out"
	grep -Eq -- "^error: vm [a-z]+: " <<<"$out" && grep -Eq -- "$3" <<<"$out" ||
		die "'$2' printed '$out', expected /$3/"
	ok "$2 -> $out"
}

# memory_at N: the Nth `hv info` and `mem` facts in $WORK/memory.N.
memory_at() {
	memory_facts "$1" > "$WORK/memory.$1"
	grep -q '^hv_free: [0-9]' "$WORK/memory.$1" || die "no hv info #$1"
	grep -q '^heap_used: [0-9]' "$WORK/memory.$1" || die "no mem #$1"
}

has '^vm: created keep: partition [0-9]+, 1M, 1 vCPU, image halt64 \(ELF64 x86-64, entry 0x10000, 1 segments\)'
declare -A seen=(["vm create keep --image halt64 --memory 1M"]=1)
for e in "${create_errors[@]}" "${other_errors[@]}"; do
	cmd=${e%%|*}
	seen[$cmd]=$((${seen[$cmd]:-0} + 1))
	refused "${seen[$cmd]}" "$cmd" "${e#*|}"
done

# Nothing the refusals did shows.
nth_output 1 "vm list" > "$WORK/list.1"
nth_output 2 "vm list" > "$WORK/list.2"
grep -Eq '^keep +[0-9]+ +created +1M +1 +0 +- *$' "$WORK/list.1" || die "vm list: $(cat "$WORK/list.1")"
same_lines "$WORK/list.1" "$WORK/list.2" "vm list after the refusals"
memory_at 2
memory_at 3
same_lines "$WORK/memory.2" "$WORK/memory.3" "hv info and mem after the refusals"

out=$(nth_output 1 "vm console keep")
grep -q '^\[console keep: Ctrl-\] detaches\]$' <<<"$out" || die "vm console keep: $out"
grep -q '^\[console keep: keep is created\]$' <<<"$out" || die "vm console keep: $out"
ok "vm console of a created VM returns"

# Sixteen VMs at most.
refused 1 "vm create v17 --image halt64 --memory 1M" "too many VMs \\(at most 16\\)"
[ "$(nth_output 3 "vm list" | grep -Ec '^(keep|v[0-9]+) ')" -eq 16 ] || die "vm list does not show 16 VMs"
ok "16 VMs listed"
for i in $(seq 2 16); do
	[ "$(nth_output 1 "vm delete v$i")" = "vm: v$i deleted" ] || die "vm delete v$i failed"
done
ok "v2..v16 deleted"

# Running and crashed VMs.
[ "$(nth_output 1 "vm start keep")" = "vm: keep started" ] || die "vm start keep failed"
refused 2 "vm start keep" "keep is running already"
refused 1 "vm delete keep" "keep is running; stop it first \\('vm stop keep'\\)"
nth_output 2 "vm stop keep" | grep -Eq "^error: vm stop: keep did not stop within 10 s; use 'vm stop keep --force'$" ||
	die "vm stop keep: $(nth_output 2 "vm stop keep")"
ok "a guest that does not answer is not stopped"
nth_output 4 "vm list" > "$WORK/list.4"
grep -Eq '^keep +[0-9]+ +running ' "$WORK/list.4" || die "keep is not running: $(cat "$WORK/list.4")"
grep -Eq '^c1 +[0-9]+ +crashed ' "$WORK/list.4" || die "c1 is not crashed: $(cat "$WORK/list.4")"
grep -Eq '^c2 +[0-9]+ +crashed ' "$WORK/list.4" || die "c2 is not crashed: $(cat "$WORK/list.4")"
ok "keep still running, c1 and c2 crashed"
nth_output 1 "vm info c1" | grep -q '^state: crashed$' || die "vm info c1: no 'state: crashed'"
nth_output 1 "vm info c1" | grep -q '^crash_reason: triple fault' || die "vm info c1: no crash reason"
ok "vm info c1: crashed, triple fault"
refused 1 "vm stop c1" "c1 has crashed \\(triple fault.*\\); use 'vm stop c1 --force' or 'vm delete c1'"
refused 2 "vm start c1" "c1 has crashed \\(triple fault.*\\); use 'vm stop c1 --force' first"
[ "$(nth_output 1 "vm stop c1 --force")" = "vm: c1 stopped" ] || die "vm stop c1 --force failed"
[ "$(nth_output 1 "vm delete c1")" = "vm: c1 deleted" ] || die "vm delete c1 failed"
[ "$(nth_output 1 "vm delete c2")" = "vm: c2 deleted" ] || die "vm delete of the crashed c2 failed"
ok "crashed VMs stopped with --force and deleted"
out=$(nth_output 1 "vm console c3")
grep -q '^\[console c3: c3 is crashed\]$' <<<"$out" || die "vm console c3: $out"
ok "vm console returns when its VM crashes"
[ "$(nth_output 1 "vm stop keep --force")" = "vm: keep stopped" ] || die "vm stop keep --force failed"
refused 2 "vm stop keep --force" "keep is not running \\(it is stopped\\)"
[ "$(nth_output 2 "vm delete keep")" = "vm: keep deleted" ] || die "vm delete keep failed"
[ "$(nth_output 5 "vm list" | wc -l)" -eq 1 ] || die "VMs left: $(nth_output 5 "vm list")"
ok "no VM left"

# Every page is back in the hypervisor and the parent.  (The heap's break
# is left out: freeing the first VM lets newlib trim the slack the boot left
# at the top of the heap; vm_lifecycle compares it exactly after that.)
memory_at 1
memory_at 4
grep -v heap_used "$WORK/memory.1" > "$WORK/memory.1.pages"
grep -v heap_used "$WORK/memory.4" > "$WORK/memory.4.pages"
same_lines "$WORK/memory.1.pages" "$WORK/memory.4.pages" "hv free and parent memory after all the VMs"
