# Host fuzzing (libFuzzer, Debian's clang, ASan/UBSan) of every parser a
# guest can feed.  `make fuzz` runs each target for FUZZ_SECONDS (or until
# FUZZ_RUNS inputs, if that is set and comes first) and prints its runs; a
# crash stops it with the input in build/fuzz/.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 150
FUZZ_RUNS    ?=
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I.
FUZZ_TARGETS := vmbus rings ic

FUZZ_VMBUS_SRCS := vsp/vmbus/server.c vsp/vmbus/ring.c vsp/ic/ic.c

$(BUILD)/fuzz/fuzz_vmbus: tests/fuzz/fuzz_vmbus.c $(FUZZ_VMBUS_SRCS) $(wildcard vsp/vmbus/*.h vsp/ic/*.h) tests/fuzz/fake_host.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_vmbus.c $(FUZZ_VMBUS_SRCS)

$(BUILD)/fuzz/fuzz_ic: tests/fuzz/fuzz_ic.c $(FUZZ_VMBUS_SRCS) $(wildcard vsp/vmbus/*.h vsp/ic/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_ic.c $(FUZZ_VMBUS_SRCS)

$(BUILD)/fuzz/fuzz_rings: tests/fuzz/fuzz_rings.c $(FUZZ_VMBUS_SRCS) $(wildcard vsp/vmbus/*.h vsp/ic/*.h) tests/fuzz/fake_host.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_rings.c $(FUZZ_VMBUS_SRCS)

.PHONY: fuzz
fuzz: $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s$(if $(FUZZ_RUNS), or $(FUZZ_RUNS) runs)"; \
		if ! (cd $(BUILD)/fuzz && ./fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			$(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS)) -print_final_stats=1 \
			corpus-$$t > fuzz_$$t.log 2>&1); then \
			tail -40 $(BUILD)/fuzz/fuzz_$$t.log; echo "fuzz: $$t FAILED (log: $(BUILD)/fuzz/fuzz_$$t.log)"; exit 1; \
		fi; \
		echo "fuzz: $$t: $$(grep -E '^stat::number_of_executed_units' $(BUILD)/fuzz/fuzz_$$t.log | \
			awk '{print $$2}') runs, no crash"; \
	done
