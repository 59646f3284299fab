# The parent partition's kernel, linked with newlib.

PARENT_CFLAGS := $(FREESTANDING) -mcmodel=small -mgeneral-regs-only -nostdinc \
	-isystem $(NEWLIB_INC) -isystem $(shell $(CC) -print-file-name=include) -I.
PARENT_SRCS := $(wildcard parent/*.c parent/vstack/*.c vsp/*/*.c)
PARENT_ASM  := $(wildcard parent/*.S)
PARENT_OBJS := $(patsubst %.c,$(BUILD)/parent/%.o,$(PARENT_SRCS)) $(patsubst %.S,$(BUILD)/parent/%.o,$(PARENT_ASM))

$(BUILD)/parent/%.o: %.c $(NEWLIB_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PARENT_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/parent/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(PARENT_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/parent/parent.elf: $(PARENT_OBJS) parent/parent.ld $(NEWLIB_STAMP)
	$(LD) -nostdlib -static -z max-page-size=4096 -T parent/parent.ld -o $@ $(PARENT_OBJS) \
		$(NEWLIB_LIB)/libc.a

$(ESP)/keel/parent.elf: $(BUILD)/parent/parent.elf
	@mkdir -p $(@D)
	cp $< $@

$(ESP)/keel/startup.txt: parent/startup.txt
	@mkdir -p $(@D)
	cp $< $@

ESP_FILES += $(ESP)/keel/parent.elf $(ESP)/keel/startup.txt

-include $(PARENT_OBJS:.o=.d)
