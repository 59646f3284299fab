#!/usr/bin/env bash
# The APIC test kernel (tests/guests/apictest.c, multiboot) as a
# multiprocessor child, 2 CPUs: 64 vCPUs on QEMU, 8 on Bochs (time).  It
# first checks the xAPIC mode the BSP starts in (base MSR; the register page
# at 0xfee00000, emulated through the parent: ID, version, SVR, TPR, a self
# IPI through the ICR and its EOI) and COM1's interrupt through the IOAPIC
# level-triggered (raised again after each EOI through the page while the
# line is high), switches to x2APIC, then finds its processors in the MADT, starts the APs with INIT and SIPI
# (real mode at the SIPI vector), then checks fixed IPIs by physical and
# logical destination and with every shorthand, the SELF IPI MSR, lowest
# priority (one target), NMIs (one AP, all but self, self with IF clear), the TPR holding an interrupt back, the timer in
# one-shot, periodic and masked modes, INIT/SIPI of a running AP, and
# COM1's interrupt edge- and level-triggered again (EOI MSR); it
# leaves through the exit port with code 16 when all passed.
. "$(dirname "$0")/_lib.sh"

vcpus=$(per_emu 64 8)
cat > "$SCRIPT" <<SCRIPT
vm create ap --kernel apictest --memory 16M --vcpus $vcpus
vm start ap
@nowait vm console ap
@expect (ap is stopped|ap is crashed|error: vm console)
vm info ap
vm delete ap
SCRIPT
boot --smp 2 --script "$SCRIPT" --timeout "$(per_emu 120 600)"

has "^apictest: $vcpus CPUs in the MADT"
for t in xapic 'ioapic level, xapic eoi' x2apic madt init-sipi 'fixed ipi, physical' 'fixed ipi, shorthands' 'fixed ipi, logical' \
	'lowest priority ipi' nmi 'init-sipi of a running ap' tpr 'timer one-shot' 'timer periodic' 'timer masked' \
	'ioapic edge' 'ioapic level'; do
	has "^PASS apictest: $t\$"
done
has '^PASS apictest: all'
has "^vp $((vcpus - 1)): stopped"
has '^exit_reason: exit port'
has '^exit_code: 16'
