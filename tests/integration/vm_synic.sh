#!/usr/bin/env bash
# SynIC, ports and connections end to end (tests/guests/synictest.c): two
# children at once on one AP, each with its own echo channel to the parent
# (parent/echo_abi.h): SynIC registers, privileges, the refusals of
# HvPostMessage and HvSignalEvent, message and event round trips with and
# without auto-EOI, masked and polled SINTs, and a full slot's queue (the
# pending flag, order, 16 buffers a port).  Each stops itself with the
# number of failed tests as exit code.  Then a third child reuses a freed
# partition id and passes too, while beside it a fourth, vmbustest, is a
# minimal VMBus client (tests/guests/vmbustest.c): versions, offers, refused
# GPADL and open, the heartbeat service over its rings, a hostile round
# (unknown connections, malformed messages, bad GPADLs, impossible rings),
# a ring it breaks, UNLOAD.
# Last, stimertest runs the synthetic timers in message mode
# (tests/guests/stimertest.c) on the AP while a fourth synictest keeps it
# busy beside it (exits, messages and events of its own on the same pCPU).
. "$(dirname "$0")/_lib.sh"

cat > "$SCRIPT" <<SCRIPT
vm create s1 --kernel synictest --memory 4M
vm create s2 --kernel synictest --memory 4M
vm start s1
vm start s2
@nowait vm console s1
@expect (s1 is stopped|s1 is crashed|error: vm console)
@nowait vm console s2
@expect (s2 is stopped|s2 is crashed|error: vm console)
vm info s1
vm info s2
vm delete s1
vm delete s2
vm create s3 --kernel synictest --memory 4M
vm create vb --kernel vmbustest --memory 4M
vm start vb
vm start s3
@nowait vm console vb
@expect (vb is stopped|vb is crashed|error: vm console)
vm info vb
@nowait vm console s3
@expect (s3 is stopped|s3 is crashed|error: vm console)
vm info s3
vm delete s3
vm delete vb
vm create st --kernel stimertest --memory 4M
vm create s4 --kernel synictest --memory 4M
vm start s4
vm start st
@nowait vm console st
@expect (st is stopped|st is crashed|error: vm console)
vm info st
@nowait vm console s4
@expect (s4 is stopped|s4 is crashed|error: vm console)
vm info s4
vm delete st
vm delete s4
SCRIPT
boot --smp 2 --script "$SCRIPT" --timeout "$(per_emu 150 800)"

for t in 'synic registers' 'post and signal refusals' 'no SIM page: echo refused, events arrive' \
	'message round trips, auto-EOI' 'message round trips, guest EOI' 'event round trips' \
	'masked SINT: message, no interrupt' 'polled SINT: message, no interrupt' \
	'full slot: queue, pending flag, 16 buffers'; do
	[ "$(grep -c "^PASS synictest: $t\$" "$TRANSCRIPT")" -ge 4 ] || die "not 4 times: PASS synictest: $t"
done
lacks '^FAIL synictest'
[ "$(grep -c '^exit_reason: stop request' "$TRANSCRIPT")" -eq 6 ] || die "not 6 guests stopped themselves"
[ "$(grep -c '^exit_code: 0$' "$TRANSCRIPT")" -eq 6 ] || die "a guest reported failures"
ok "four synictest children passed"
for t in 'timer registers' 'message mode: one-shot expiration message' 'message mode: periodic, then stopped' \
	'two timers at once: pending flag, EOM' 'direct and message mode side by side'; do
	has "^PASS stimertest: $t\$"
done
lacks '^FAIL stimertest'
ok "stimertest passed"
for t in 'vmbus versions' 'vmbus offers' 'vmbus refusals' 'vmbus heartbeat over rings' \
	'vmbus hostile client' 'vmbus broken ring, unload'; do
	has "^PASS vmbustest: $t\$"
done
lacks '^FAIL vmbustest'
# 2 refusals, then the hostile round's 7 GPADLs and 4 opens; its 5 malformed
# messages dropped.
has '^vmbus_gpadls: 0 \(0 pages mapped\), 13 refused, 1 broken rings$'
has '^ic heartbeat: closed, version 3\.0 \(framework 3\.0\), 0 bad answers, 0 timeouts, [1-9][0-9]* beats$'
has '^vmbus_messages_dropped: 5$'
ok "vmbustest passed"
