#!/usr/bin/env bash
# emulators: qemu-svm
# Debian's own kernel and a busybox initramfs (tools/guest-linux) as two
# children at once, with 4 vCPUs and with 1, in one boot (2 CPUs): the first
# reaches the shell through its console, answers `nproc` (4) and
# /proc/interrupts (timer interrupts on every CPU; keys reach it through the
# emulated COM1 and its IOAPIC interrupt), runs on the Hyper-V TSC page,
# logs no kernel warning, its date (from the emulated CMOS clock, which
# rtc_cmos binds as rtc0) is the host's, hv_vmbus (loaded by hand)
# negotiates VMBus 5.3 with the parent's server, hv_utils binds heartbeat,
# shutdown and time sync (the heartbeat is ok in `vm info` and `vm list`),
# a clock set wrong in the guest is set right again by time sync when
# hv_utils is reloaded (and is within 2 s of the parent's, measured in the
# guest against rtc0, after the first load and after the reload; the
# parent's `date` within 2 s of the host's), its KVP daemon reports the host
# name, OS, kernel and a network address, and `vm stop` shuts Linux down
# through the shutdown service ("guest powered off"); `vm info`'s exits by
# kind add up to its exits, and its stray accesses stay few (the hypervisor
# answers the PCI configuration ports Linux probes at boot).
# The second leaves through the exit port (0xf4, as QEMU's isa-debug-exit)
# with code 42.  A third with 16 vCPUs reaches init, and `reboot -f` boots
# it again (Linux restarts through the BIOS: the code at the reset vector
# writes the reset register).  Bad Linux input gets one
# error line: a memory too small for the kernel, a command line over 2 KiB.
KEEL_WITH_LINUX=1
. "$(dirname "$0")/_lib.sh"

long_cmdline=$(printf 'x%.0s' $(seq 2100))
# The guest's clock, and how far it is from the parent's: the parent's
# clock is what the guest's CMOS clock (rtc0) shows, so the guest's time
# just after rtc0's second changes, less the new second, is the offset,
# within the few milliseconds one read of rtc0 takes.  The markers the
# script waits for are quoted in the commands, so the console's echo of a
# command (wrapped at 80 columns) cannot match them.
clock_probe=$(cat <<'PROBE'
r=/sys/class/rtc/rtc0/since_epoch; if read a < $r; then b=$a; while [ "$b" = "$a" ]; do read b < $r; done; adjtimex | awk -v p="$b" '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "guest-clock: %d.%06d parent %+.3f s\n", s, u, s + u / 1e6 - p }'; else echo 'guest-clock: no rtc0'; fi
PROBE
)
cat > "$SCRIPT" <<SCRIPT
@ontimeout vm info lx
@ontimeout vm info ly
@ontimeout vm info l16
vm create lx --kernel linux --initrd initrd --cmdline "console=ttyS0" --memory 256M --vcpus 4
vm create ly --kernel linux --initrd initrd --cmdline "console=ttyS0" --memory 128M
vm info lx
vm create tiny --kernel linux --memory 16M
vm create long --kernel linux --cmdline "$long_cmdline" --memory 256M
vm start lx
vm start ly
@nowait vm console lx
@expect Enter 'help' for a list
@nowait nproc
@expect ^[0-9]+\s*$
@nowait grep -E "LOC|HVS|ttyS0" /proc/interrupts; date -u +%Y-%m-%dT%H
@expect ^[0-9]{4}-
@nowait insmod /lib/modules/\$(uname -r)/kernel/drivers/hv/hv_vmbus.ko; dmesg | grep -i 'vmbus version'; echo vmbus-'done'
@expect ^vmbus-done
@nowait insmod /lib/modules/\$(uname -r)/kernel/drivers/hv/hv_utils.ko; sleep 3; dmesg | grep 'IC version'; $clock_probe; echo utils-'done'
@expect ^utils-done
@nowait date -s '2001-02-03 04:05:06' >/dev/null; rmmod hv_utils; insmod /lib/modules/\$(uname -r)/kernel/drivers/hv/hv_utils.ko; sleep 3; echo "resync: \$(date -u +%Y-%m-%dT%H)"; $clock_probe
@expect ^resync:
@expect ^guest-clock: ([0-9]|no rtc0$)
@nowait insmod /lib/modules/\$(uname -r)/kernel/drivers/net/dummy.ko; ifconfig dummy0 10.0.0.2 up; echo '10.0.0.2 keel-child' >> /etc/hosts; hv_kvp_daemon; sleep 4; echo kvp-'done'
@expect ^kvp-done
@send 1d
date
vm info lx
vm list
vm stop lx
vm info lx
@nowait vm console ly
@expect Enter 'help' for a list
@nowait printf '\\052' | dd of=/dev/port bs=1 seek=244 count=1
@expect ly is stopped
vm info ly
vm delete lx
vm delete ly
vm create l16 --kernel linux --initrd initrd --cmdline "console=ttyS0" --memory 256M --vcpus 16
vm start l16
@nowait vm console l16
@expect (keel-child: init on [0-9]+ CPUs, clocksource [a-z_]+|Kernel panic|l16 is crashed)
@nowait reboot -f
@expect (the guest reset; booting it again|l16 is stopped|l16 is crashed|Kernel panic)
@send 1d
vm info l16
vm stop l16 --force
vm delete l16
SCRIPT
hour_before=$(date -u +%Y-%m-%dT%H)
boot --smp 2 --memory 1024 --script "$SCRIPT" --timeout 360
hour_after=$(date -u +%Y-%m-%dT%H)

has '^vm: created lx: partition [0-9]+, 256M, 4 vCPUs, image linux \(Linux bzImage, boot protocol 2\.[0-9]+, at 0x[0-9a-f]+; initrd initrd, [0-9]+ KiB at 0x[0-9a-f]+\)'
has '^format: Linux bzImage'
has '^cmdline: console=ttyS0$'
has '^vcpus: 4$'
has '^error: vm create: linux: .*(fit|memory|small)'
has '^error: vm create: the command line is too long \(2100 bytes; at most 2047\)'
has '^keel-child: init on 4 CPUs, clocksource hyperv_clocksource_tsc_page'
has '^keel-child: init on 1 CPUs, clocksource hyperv_clocksource_tsc_page'
has 'Switched APIC routing to physical x2apic'       # from the xAPIC mode every CPU starts in
has 'smp: Brought up 1 node, 16 CPUs'
has 'keel-child: init on 16 CPUs, clocksource hyperv_clocksource_tsc_page'
has '^vp 15: (running|halted|queued)'
has '^\[vm l16: the guest reset; booting it again\]$'   # reboot -f, through the reset vector
has '^guest_resets: 1$'
has '^4\s*$'                                 # nproc
has '^ *HVS: +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9]* +Hyper-V stimer0 interrupts'
has '^vp 3: stopped'
has 'Enter .help. for a list of built-in commands'
has 'ttyS0$'
has 'reboot: Power down'
has '^exit_reason: guest powered off'
has '^exit_reason: exit port'
has '^exit_code: 42'
has 'hv_vmbus: Vmbus version:5\.3'
has 'hv_utils: Heartbeat IC version 3\.0'
has 'hv_utils: Shutdown IC version 3\.2'
has 'hv_utils: TimeSync IC version 4\.0'
has 'hv_utils: KVP IC version 4\.0'
has '^ic kvp: ready, version 4\.0'
has '^kvp FullyQualifiedDomainName: keel-child$'
has '^kvp OSName: Linux$'
has '^kvp OSBuildNumber: 6\.1\.[0-9]+-[0-9]+-amd64$'
has '^kvp NetworkAddressIPv4: 10\.0\.0\.2$'
has '^ic heartbeat: ready, version 3\.0 \(framework 3\.0\), 0 bad answers'
has '^ic shutdown: ready, version 3\.2'
has '^ic timesync: ready, version 4\.0'
has '^channel 1: heartbeat, open \(vp 0\), [1-9][0-9]* packets in'
has '^heartbeat: ok, [1-9][0-9]* beats'
has '^lx +[0-9]+ running .* ok *$'
has "resync: ($hour_before|$hour_after)\$"   # set wrong, then right by time sync
# Clocks: the guest's against the parent's, measured inside the guest
# after time sync at hv_utils' load and again after the reload, within 2 s;
# against the host's when their lines arrived, the parent's `date` within
# 2 s and the guest's within 5 s (the console's latency is in these).
[ "$(grep -c '^guest-clock: [0-9.]* parent ' "$TRANSCRIPT")" -eq 2 ] || die "not two guest-clock lines"
awk '$1 == "guest-clock:" { d = $4; printf "ok: guest clock %+.3f s from the parent'"'"'s\n", d
	if (d > 2 || d < -2) bad = 1 } END { exit bad }' "$TRANSCRIPT" || die "guest clock off the parent's by more than 2 s"
awk '$2 == "date:" { sub(/\)/, "", $5); d = $5 - $1; printf "ok: the parent'"'"'s clock %+.3f s from the host\n", d
	if (d > 2 || d < -2) bad = 1 } END { exit bad }' "$LINE_TIMES" || die "the parent's clock off by more than 2 s"
awk '$2 == "guest-clock:" { d = $3 - $1; printf "ok: guest clock %+.3f s from the host\n", d
	if (d > 5 || d < -5) bad = 1 } END { exit bad }' "$LINE_TIMES" || die "guest clock off by more than 5 s"
has '^vm: lx stopped'
# Exits by kind in vm info: they add up to the exits, and a Linux boot has
# port I/O (its PCI probe), MSR accesses and halts among them.
awk '$1 == "exits:" { want = $2 } $1 == "exits_by_kind:" { n++; sum = 0; gsub(",", ""); for (i = 3; i <= NF; i += 2) sum += $i
	if (sum != want) { printf "exits_by_kind adds up to %d, not %d\n", sum, want; bad = 1 } }
	END { if (!n) { print "no exits_by_kind line"; bad = 1 } exit bad }' "$TRANSCRIPT" || die "exits by kind"
has '^exits_by_kind: cpuid [1-9][0-9]*, hypercall [0-9]+, msr [1-9][0-9]*, io [1-9][0-9]*, gpa [0-9]+, hlt [1-9][0-9]*, interrupt [0-9]+, exception 0, pause [0-9]+, other [0-9]+$'
# Four VPs on one pCPU spin on each other (IPIs, locks): their PAUSEs exit
# and give way to the VP they wait for.
has '^exits_by_kind: .*, pause [1-9][0-9]*, other'
# No PCI bus: the hypervisor answers the configuration ports itself, so
# Linux's probe of 8,192 slots (about 33,000 accesses) no longer reaches the
# parent as stray accesses.
awk '$1 == "stray_accesses:" { n++; if ($2 >= 1000) { printf "stray_accesses: %d\n", $2; bad = 1 } }
	END { exit bad || !n }' "$TRANSCRIPT" || die "PCI configuration accesses reach the parent"
ok "stray accesses below 1000 in every vm info"
has '^vmbus_gpadls: 0 \(0 pages mapped\)'
has '^vmbus_messages_dropped: 0$'
has '^interrupts: [1-9][0-9]* delivered, 0 refused'
has "^($hour_before|$hour_after)\$"   # the guest's date, from its CMOS clock
lacks 'Unable to read current time from RTC'
has 'rtc_cmos 00:0[0-9]: registered as rtc0'
for bad in 'unchecked MSR access' 'BUG' 'WARNING' 'Call Trace' 'soft lockup' 'self-detected stall' \
	'Kernel panic'; do
	lacks "$bad"
done
lacks '^error: vm (start|console|info|delete)'
