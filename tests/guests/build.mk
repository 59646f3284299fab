# Test guests for child partitions (tests/guests/README.md): freestanding
# ELF executables linked at 1 MiB (tests/guests/guest.ld), installed on the
# ESP as \keel\guests\NAME.elf and named as modules in boot/keel.cfg.

GUESTS_OUT     := $(BUILD)/guests
GUESTS         := guest64 guest32 hostile spin64 neighbour tprhalt dbloop acloop tasksw churn mboot apictest synictest stimertest vmbustest
GUESTS_CFLAGS  := -std=gnu11 -O2 -g -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
	-fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns -fcf-protection=none -Wall -Wextra -Werror -I.
GUESTS_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --build-id=none \
	-T tests/guests/guest.ld

# Every source builds for 64-bit guests under 64/ and for 32-bit ones under 32/.
$(GUESTS_OUT)/64/%.o: tests/guests/%.c
	@mkdir -p $(@D)
	$(CC) $(GUESTS_CFLAGS) -m64 -MMD -MP -c $< -o $@

$(GUESTS_OUT)/64/%.o: tests/guests/%.S
	@mkdir -p $(@D)
	$(CC) $(GUESTS_CFLAGS) -m64 -MMD -MP -c $< -o $@

$(GUESTS_OUT)/32/%.o: tests/guests/%.c
	@mkdir -p $(@D)
	$(CC) $(GUESTS_CFLAGS) -m32 -march=i686 -MMD -MP -c $< -o $@

$(GUESTS_OUT)/32/%.o: tests/guests/%.S
	@mkdir -p $(@D)
	$(CC) $(GUESTS_CFLAGS) -m32 -march=i686 -MMD -MP -c $< -o $@

GUEST64_OBJS := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o guest.o mmio.o)
GUEST32_OBJS := $(addprefix $(GUESTS_OUT)/32/,entry32.o lib.o guest.o mmio.o)
HOSTILE_OBJS := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o hostile.o hostile_insns.o)
SPIN64_OBJS  := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o spin64.o)
NEIGHBOUR_OBJS := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o neighbour.o)
TPRHALT_OBJS := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o tprhalt.o)
DBLOOP_OBJS  := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o dbloop.o)
ACLOOP_OBJS  := $(addprefix $(GUESTS_OUT)/32/,entry32.o lib.o acloop.o)
TASKSW_OBJS  := $(addprefix $(GUESTS_OUT)/32/,entry32.o lib.o tasksw.o)
CHURN_OBJS   := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o churn.o)
MBOOT_OBJS   := $(addprefix $(GUESTS_OUT)/32/,mbentry.o lib.o mboot.o)
APICTEST_OBJS := $(addprefix $(GUESTS_OUT)/32/,mbentry.o lib.o apictest.o aptramp.o)
SYNICTEST_OBJS := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o hvcall.o synictest.o)
STIMERTEST_OBJS := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o hvcall.o stimertest.o)
VMBUSTEST_OBJS := $(addprefix $(GUESTS_OUT)/64/,entry64.o lib.o hvcall.o vmbustest.o)

$(GUESTS_OUT)/guest64.elf: $(GUEST64_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(GUEST64_OBJS)

$(GUESTS_OUT)/guest32.elf: $(GUEST32_OBJS) tests/guests/guest.ld
	$(LD) -m elf_i386 $(GUESTS_LDFLAGS) -o $@ $(GUEST32_OBJS)

$(GUESTS_OUT)/hostile.elf: $(HOSTILE_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(HOSTILE_OBJS)

$(GUESTS_OUT)/spin64.elf: $(SPIN64_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(SPIN64_OBJS)

$(GUESTS_OUT)/neighbour.elf: $(NEIGHBOUR_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(NEIGHBOUR_OBJS)

$(GUESTS_OUT)/tprhalt.elf: $(TPRHALT_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(TPRHALT_OBJS)

$(GUESTS_OUT)/dbloop.elf: $(DBLOOP_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(DBLOOP_OBJS)

$(GUESTS_OUT)/acloop.elf: $(ACLOOP_OBJS) tests/guests/guest.ld
	$(LD) -m elf_i386 $(GUESTS_LDFLAGS) -o $@ $(ACLOOP_OBJS)

$(GUESTS_OUT)/tasksw.elf: $(TASKSW_OBJS) tests/guests/guest.ld
	$(LD) -m elf_i386 $(GUESTS_LDFLAGS) -o $@ $(TASKSW_OBJS)

$(GUESTS_OUT)/churn.elf: $(CHURN_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(CHURN_OBJS)

# A multiboot kernel (detected by its header), not a docs/guests.md guest.
$(GUESTS_OUT)/mboot.elf: $(MBOOT_OBJS) tests/guests/guest.ld
	$(LD) -m elf_i386 $(GUESTS_LDFLAGS) -o $@ $(MBOOT_OBJS)

$(GUESTS_OUT)/apictest.elf: $(APICTEST_OBJS) tests/guests/guest.ld
	$(LD) -m elf_i386 $(GUESTS_LDFLAGS) -o $@ $(APICTEST_OBJS)

$(GUESTS_OUT)/synictest.elf: $(SYNICTEST_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(SYNICTEST_OBJS)

$(GUESTS_OUT)/stimertest.elf: $(STIMERTEST_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(STIMERTEST_OBJS)

$(GUESTS_OUT)/vmbustest.elf: $(VMBUSTEST_OBJS) tests/guests/guest.ld
	$(LD) -m elf_x86_64 $(GUESTS_LDFLAGS) -o $@ $(VMBUSTEST_OBJS)

$(ESP)/keel/guests/%.elf: $(GUESTS_OUT)/%.elf
	@mkdir -p $(@D)
	cp $< $@

ESP_FILES += $(patsubst %,$(ESP)/keel/guests/%.elf,$(GUESTS))

.PHONY: guests clean-guests
guests: $(patsubst %,$(GUESTS_OUT)/%.elf,$(GUESTS))
clean: clean-guests
clean-guests:
	rm -rf $(GUESTS_OUT)

-include $(sort $(GUEST64_OBJS:.o=.d) $(GUEST32_OBJS:.o=.d) $(HOSTILE_OBJS:.o=.d) $(SPIN64_OBJS:.o=.d) \
	$(NEIGHBOUR_OBJS:.o=.d) $(TPRHALT_OBJS:.o=.d) $(DBLOOP_OBJS:.o=.d) $(ACLOOP_OBJS:.o=.d) $(MBOOT_OBJS:.o=.d) \
	$(APICTEST_OBJS:.o=.d) $(SYNICTEST_OBJS:.o=.d) $(VMBUSTEST_OBJS:.o=.d))
