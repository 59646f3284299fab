#!/usr/bin/env bash
# emulators: qemu-svm
# VMBus across restarts: a Linux child (1 vCPU) whose initramfs loads its
# integration services at boot (keel.vmbus on its command line: hv_vmbus,
# hv_utils and hv_kvp_daemon, tools/guest-linux.d/rcS) is started, seen
# healthy (heartbeat ok, every service ready, its host name from KVP) and
# stopped through its shutdown service, three times in a row; in the third
# it reboots first (`reboot -f`: the VM boots again, its console stays
# attached, and VMBus and the services come up again).  `hv info`
# and `mem` read the same after the first and the third stop (nothing
# leaks per round: window pages, ports, frames), and after the delete as
# before the create.  The baseline is taken after a vmbustest child has
# come and gone: the first mapping into the parent's windows makes the
# page-table pages above them (8 KiB), which stay for every later child.
KEEL_WITH_LINUX=1
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/_vm_lib.sh"

{
	echo '@ontimeout vm info v'
	echo 'vm create warm --kernel vmbustest --memory 4M'
	echo 'vm start warm'
	echo '@nowait vm console warm'
	echo '@expect (warm is stopped|warm is crashed)'
	echo 'vm delete warm'
	echo 'hv info'
	echo 'mem'
	echo 'vm create v --kernel linux --initrd initrd --cmdline "console=ttyS0 keel.vmbus" --memory 128M'
	for round in 1 2 3; do
		echo 'vm start v'
		echo '@nowait vm console v'
		echo '@expect (keel-child: integration services up|Kernel panic|v is crashed)'
		if [ "$round" = 3 ]; then
			echo '@nowait reboot -f'
			echo '@expect (the guest reset; booting it again|v is stopped|v is crashed)'
			# Anchored: the line before the reboot ends with the echo of "reboot -f"
			# and is also after the last send.
			echo '@expect (^keel-child: integration services up$|Kernel panic|v is crashed)'
		fi
		echo '@nowait sleep 3; echo round-ready'
		echo '@expect ^round-ready'
		echo '@send 1d'
		echo 'vm list'
		echo 'vm info v'
		echo 'vm stop v'
		echo 'hv info'
		echo 'mem'
	done
	echo 'vm delete v'
	echo 'hv info'
	echo 'mem'
} > "$SCRIPT"
boot --smp 2 --memory 1024 --script "$SCRIPT" --timeout 900

[ "$(grep -c '^keel-child: integration services up' "$TRANSCRIPT")" -eq 4 ] || die "not 4 boots with the services"
has '^\[vm v: the guest reset; booting it again\]$'   # round 3's reboot -f
has '^guest_resets: 1$'
[ "$(grep -Ec '^v +[0-9]+ running .* ok *$' "$TRANSCRIPT")" -eq 3 ] || die "not healthy 3 times"
[ "$(grep -c '^vm: v stopped' "$TRANSCRIPT")" -eq 3 ] || die "not 3 stops through the shutdown service"
for ic in heartbeat shutdown timesync kvp; do
	[ "$(grep -c "^ic $ic: ready" "$TRANSCRIPT")" -eq 3 ] || die "ic $ic not ready 3 times"
done
[ "$(grep -c '^kvp FullyQualifiedDomainName: keel-child$' "$TRANSCRIPT")" -eq 3 ] || die "no host name from KVP 3 times"
lacks '^error: vm'
for bad in 'BUG' 'WARNING' 'Call Trace' 'Kernel panic'; do
	lacks "$bad"
done

memory_at() {
	memory_facts "$1" > "$WORK/memory.$1"
	grep -q '^hv_free: [0-9]' "$WORK/memory.$1" || die "no hv info #$1"
}
for n in 1 2 4 5; do memory_at "$n"; done
same_lines "$WORK/memory.2" "$WORK/memory.4" "hv info and mem from the first stop to the third"
grep -v heap_used "$WORK/memory.1" > "$WORK/memory.1.pages"
grep -v heap_used "$WORK/memory.5" > "$WORK/memory.5.pages"
same_lines "$WORK/memory.1.pages" "$WORK/memory.5.pages" "hv free and parent memory after the delete"
