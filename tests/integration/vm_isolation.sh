#!/usr/bin/env bash
# emulators: qemu-svm bochs-vmx bochs-svm
# Children that share a pCPU cannot see or starve each other (2 CPUs: every
# child runs on the one application processor), with 1 ms time slices:
#  - two neighbour guests each keep a marker in x87/SSE (AVX where the CPU
#    has it), XCR0, CR2, DR0-3, KERNEL_GS_BASE, TSC_AUX and PAT, and check it
#    over 1,000 times away from the CPU: neither loses its own state nor
#    sees the other's;
#  - tprhalt has a self IPI held by CR8 and delivered once a MOV to CR8
#    lowers it, then raises CR8 to 15 and halts with interrupts on; guest64 on the
#    same pCPU still runs to completion and `vm stop --force` stops tprhalt
#    (on VT-x, a guest CR8 reaching the CPU's TPR masked the hypervisor's
#    own interrupts);
#  - dbloop's single step reaches its own #DB handler (intercepted and
#    reflected), then it builds the #DB delivery loop of CVE-2015-8104;
#    guest64 keeps ticking meanwhile, and `vm stop --force` ends dbloop;
#  - acloop (32-bit) goes to CPL 3, where a misaligned load's #AC reaches
#    its own handler (intercepted and reflected), then builds the #AC
#    delivery loop of CVE-2015-5307 (a conforming handler, a misaligned
#    stack); guest64 keeps ticking and `vm stop --force` ends acloop.  A CPU
#    that does not check alignment (QEMU) says so; Bochs' models do.
# Before all that, `selftest contain` sends an NMI and fixed IPIs on
# exception vectors (on VT-x also INIT and SIPI) to the application
# processor (dismissed, not fatal), tries a hypercall page over the local
# APIC and moving IA32_APIC_BASE (refused) and MSRs outside the parent's
# allow-list (#GP).
# Then `selftest churn` creates, starts, stops and deletes a busy child
# (100 us timer, HLT, port I/O) 1,000 times (200 on Bochs), catching its VP
# running, halted, in an exit or waiting for the parent.
# Every page is back afterwards.
. "$(dirname "$0")/_lib.sh"

esp=$(private_esp)
echo "time_slice = 1ms" >> "$esp/keel/keel.cfg"

cat > "$SCRIPT" <<'EOS'
hv info
selftest contain
vm create a --image neighbour --memory 4M
vm create b --image neighbour --memory 5M
vm start a
vm start b
@nowait vm console a
@expect ^(PASS|FAIL) neighbour: state kept
@send 1d
@nowait vm console b
@expect ^(PASS|FAIL) neighbour: state kept
@send 1d
vm stop a
vm stop b
vm info a
vm info b
vm create t --image tprhalt --memory 4M
vm create g --image guest64 --memory 8M
vm start t
vm start g
@nowait vm console g
@expect ^(PASS|FAIL) guest64: (all|[0-9]+ failed)
@expect guest64: tick 1$
@send 1d
vm info t
vm stop t --force
vm create d --image dbloop --memory 4M
vm start d
@nowait vm console d
@expect dbloop: (entering the #DB loop|no #DB loop)
@send 1d
@nowait vm console g
@expect guest64: tick 4$
@send 1d
vm info d
vm stop d --force
vm create c --image acloop --memory 4M
vm start c
@nowait vm console c
@expect acloop: (entering the #AC loop|no alignment check|no #AC loop|FAIL)
@send 1d
@nowait vm console g
@expect guest64: tick 8$
@send 1d
vm info c
vm stop c --force
vm stop g
vm list
vm delete a
vm delete b
vm delete t
vm delete g
vm delete d
vm delete c
hv info
EOS
printf 'selftest churn %s\nhv info\n' "$(per_emu 1000 200)" >> "$SCRIPT"
boot --esp "$esp" --smp 2 --timeout "$(per_emu 240 900)" --script "$SCRIPT"

has '^contain: PASS$'
if [ "$KEEL_EMU" = bochs-vmx ]; then
	has '^contain: INIT, SIPI, an NMI'
fi
n=$(grep -c '^PASS neighbour: state kept$' "$TRANSCRIPT" || true)
[ "$n" = 2 ] || die "want 2 'PASS neighbour: state kept' lines, got $n"
ok "both neighbours kept their state"
has '^neighbour: [0-9]+ rounds, away 1000 times, 0 kinds of state lost$'
has '^vm: a stopped \(exit code 0\)$'
has '^vm: b stopped \(exit code 0\)$'
has '^neighbour: marker 0x4e00045a5a00'
has '^neighbour: marker 0x4e00055a5a00'
has '^  \| tprhalt: CR8 reads 15; halting with interrupts on$'
has '^  \| PASS tprhalt: cr8 holds an interrupt back$'
has '^PASS guest64: all$'
has '^vm: t stopped$'
has '^PASS dbloop: single step reflected$'
has '^vm: d stopped$'
has '^vm: g stopped \(exit code 0\)$'
in_order '^PASS dbloop: single step reflected$' 'guest64: tick 4$'
has '^vm: c stopped$'
if on_bochs; then
	# Bochs checks alignment: the reflection and the loop, with guest64
	# still ticking after acloop entered it.
	has '^PASS acloop: alignment check reflected$'
	in_order '^acloop: entering the #AC loop$' 'guest64: tick 8$'
	! grep -q '^acloop: no #AC loop' "$TRANSCRIPT" || die "the #AC loop did not form on $KEEL_EMU"
else
	has '^acloop: (no alignment check on this CPU|entering the #AC loop)'
fi
for key in hv_free parent_memory; do
	n=$(grep -E "^$key:" "$TRANSCRIPT" | sed -n '1p;$p' | uniq | wc -l)
	[ "$n" = 1 ] || die "$key differs after the deletes: $(grep -E "^$key:" "$TRANSCRIPT" | tr '\n' ' ')"
done
ok "hv_free and parent_memory unchanged"
has '^churn: PASS$'
has "^churn: $(per_emu 1000 200) rounds in [0-9]+ ms"
if grep -q '^dbloop: entering the #DB loop' "$TRANSCRIPT" && ! grep -q '^dbloop: no #DB loop' "$TRANSCRIPT"; then
	ok "the #DB loop formed and the pCPU kept scheduling"
else
	echo "note: $(grep -m1 '^dbloop: no #DB loop' "$TRANSCRIPT" || echo 'no loop line')"
fi
