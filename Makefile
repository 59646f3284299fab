# Keel — one non-recursive build.  Fragments (*/build.mk) add rules to this
# one make process; nothing here calls make recursively.
#
#   make          build the bootable ESP tree under build/esp
#   make run      install what is missing, build, boot in QEMU at the CLI
#   make test     unit tests (ASan/UBSan) + emulator runs; ends "N passed, N failed"
#   make fuzz     libFuzzer targets for guest-fed parsers, FUZZ_SECONDS each (tests/fuzz)
#   make bench    cost figures in instructions (qemu-svm --icount), against tests/bench/baseline.txt

BUILD   := build
ESP     := $(BUILD)/esp
CC      := gcc
LD      := ld
OBJCOPY := objcopy

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
# Freestanding code shared by the hypervisor and the parent.
FREESTANDING := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-builtin-printf -mno-red-zone -fno-omit-frame-pointer $(WARN)

NEWLIB_PREFIX := $(BUILD)/newlib
NEWLIB_STAMP  := $(NEWLIB_PREFIX)/.built
NEWLIB_INC    := $(NEWLIB_PREFIX)/x86_64-elf/include
NEWLIB_LIB    := $(NEWLIB_PREFIX)/x86_64-elf/lib

# Host unit tests (cmocka) under ASan and UBSan.
UNIT_CFLAGS := -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	$(WARN) -I. -DKEEL_HOST_TEST
UNIT_LIBS   := -lcmocka
UNIT_TESTS  :=

ESP_FILES :=

.PHONY: all run test unit integration clean bootstrap bench
all: esp

include tools/build.mk
include boot/build.mk
include arch/x86/build.mk
include hv/build.mk
include parent/build.mk
include tests/guests/build.mk
include $(sort $(wildcard tests/unit/*.mk))
include tests/fuzz/fuzz.mk

esp: $(ESP_FILES)

run: bootstrap
	$(MAKE) esp
	tools/keel-run --smp 2

bootstrap:
	@tools/bootstrap --check || tools/bootstrap

unit: $(UNIT_TESTS)
	@tools/run-tests --unit $(UNIT_TESTS)

test: bootstrap
	$(MAKE) esp $(UNIT_TESTS)
	tools/run-tests $(UNIT_TESTS)

bench: bootstrap
	$(MAKE) esp
	tools/bench --check tests/bench/baseline.txt

clean:
	rm -rf $(BUILD)/esp $(BUILD)/hv $(BUILD)/parent $(BUILD)/boot $(BUILD)/unit

distclean:
	rm -rf $(BUILD)
