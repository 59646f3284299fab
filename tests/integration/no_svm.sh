#!/usr/bin/env bash
# A CPU with neither SVM nor VMX: the hypervisor refuses to start, saying why.
. "$(dirname "$0")/_lib.sh"

case "$KEEL_EMU" in
qemu-*|kvm) KEEL_EMU=qemu-nosvm ;;
*) skip "no CPU model without virtualization extensions for $KEEL_EMU" ;;
esac

boot --timeout 90 --expect 'neither AMD-V \(SVM\) nor Intel VT-x'
lacks 'Keel parent partition'
