#!/usr/bin/env bash
# emulators: qemu-svm
# Costs tracked on every commit: tools/bench boots qemu-svm with --icount
# (instruction counts, exact run to run) and fails if a figure rises more
# than 10 % above tests/bench/baseline.txt.  A change that makes a figure
# cheaper should lower the baseline in the same commit.
. "$(dirname "$0")/_lib.sh"

need_esp
"$KEEL_ROOT/tools/bench" --esp "$KEEL_ESP" --check "$KEEL_ROOT/tests/bench/baseline.txt"
