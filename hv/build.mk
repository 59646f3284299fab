# The hypervisor image: hv/ + arch/x86/ + the backends, linked with newlib.

HV_CFLAGS := $(FREESTANDING) -fomit-frame-pointer -mcmodel=kernel -mgeneral-regs-only -nostdinc \
	-isystem $(NEWLIB_INC) -isystem $(shell $(CC) -print-file-name=include) -I.
HV_SRCS := $(wildcard hv/*.c) $(filter-out arch/x86/insn_len_test%,$(wildcard arch/x86/*.c)) \
	$(wildcard arch/x86/svm/*.c) $(wildcard arch/x86/vmx/*.c)
HV_ASM  := $(wildcard arch/x86/*.S) $(wildcard arch/x86/svm/*.S) $(wildcard arch/x86/vmx/*.S)
HV_OBJS := $(patsubst %.c,$(BUILD)/hv/%.o,$(HV_SRCS)) $(patsubst %.S,$(BUILD)/hv/%.o,$(HV_ASM))

$(BUILD)/hv/%.o: %.c $(NEWLIB_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hv/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

# The hypervisor must not touch vector registers: guest FPU/SSE state is
# not saved around exits.  The link fails if any instruction names one.
$(BUILD)/hv/hv.elf: $(HV_OBJS) hv/hv.ld $(NEWLIB_STAMP)
	$(LD) -nostdlib -static -z max-page-size=4096 -T hv/hv.ld -o $@ $(HV_OBJS) \
		$(NEWLIB_LIB)/libc.a
	@if objdump -d $@ | grep -qE '%(x|y|z)mm[0-9]|%mm[0-7]'; then \
		echo "hv.elf uses vector registers:"; objdump -d $@ | grep -E '%(x|y|z)mm[0-9]|%mm[0-7]' | head; \
		rm -f $@; exit 1; fi

$(ESP)/keel/hv.elf: $(BUILD)/hv/hv.elf
	@mkdir -p $(@D)
	cp $< $@

ESP_FILES += $(ESP)/keel/hv.elf

-include $(HV_OBJS:.o=.d)
