#!/usr/bin/env bash
# A CPU with neither SVM nor VMX: Keel refuses to start, saying why.
# QEMU: qemu64 with SVM off; Bochs: an Intel model without VT-x
# (Celeron D 336) and an AMD model without AMD-V (K8 Clawhammer).
. "$(dirname "$0")/_lib.sh"

extra=()
case "$KEEL_EMU" in
qemu-*|kvm) KEEL_EMU=qemu-nosvm ;;
bochs-vmx) extra=(--emu-arg 'cpu: model=p4_prescott_celeron_336') ;;
bochs-svm) extra=(--emu-arg 'cpu: model=athlon64_clawhammer') ;;
*) skip "no CPU model without virtualization extensions for $KEEL_EMU" ;;
esac

boot "${extra[@]}" --timeout "$(per_emu 90 200)" --expect 'neither AMD-V \(SVM\) nor Intel VT-x'
lacks 'Keel parent partition'
