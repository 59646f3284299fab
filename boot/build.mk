# boot/: the UEFI loader (gnu-efi), installed as \EFI\BOOT\BOOTX64.EFI, its
# default config \keel\keel.cfg, and the host unit tests of its pure parts.

GNUEFI_INC  := /usr/include/efi
GNUEFI_LIB  := /usr/lib
GNUEFI_CRT0 := $(GNUEFI_LIB)/crt0-efi-x86_64.o
GNUEFI_LDS  := $(GNUEFI_LIB)/elf_x86_64_efi.lds

# Firmware calls use the Microsoft x64 convention through ms_abi function
# pointers (GNU_EFI_USE_MS_ABI); the loader's own code is SysV.
BOOT_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fpic -fshort-wchar -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fno-strict-aliasing \
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
	-DGNU_EFI_USE_MS_ABI -I$(GNUEFI_INC) -I$(GNUEFI_INC)/x86_64 -I. $(WARN)

BOOT_SRCS := boot/main.c boot/cpu.c boot/console.c boot/alloc.c boot/esp.c \
	boot/load.c boot/handoff.c boot/memmap.c boot/config.c boot/elf.c boot/paging.c boot/fmt.c \
	boot/string.c boot/mp.c
BOOT_OBJS := $(patsubst boot/%.c,$(BUILD)/boot/%.o,$(BOOT_SRCS))
BOOT_HDRS := $(wildcard boot/*.h) hv/abi/boot_info.h hv/abi/version.h

$(BUILD)/boot/%.o: boot/%.c $(BOOT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BOOT_CFLAGS) -c $< -o $@

$(BUILD)/boot/loader.so: $(BOOT_OBJS) $(GNUEFI_CRT0) $(GNUEFI_LDS)
	$(LD) -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined -T $(GNUEFI_LDS) \
		$(GNUEFI_CRT0) $(BOOT_OBJS) -L$(GNUEFI_LIB) -lgnuefi -o $@

$(BUILD)/boot/BOOTX64.EFI: $(BUILD)/boot/loader.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
		-j .rel -j .rela -j .rel.* -j .rela.* -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $< $@

$(ESP)/EFI/BOOT/BOOTX64.EFI: $(BUILD)/boot/BOOTX64.EFI
	@mkdir -p $(@D)
	cp $< $@

$(ESP)/keel/keel.cfg: boot/keel.cfg
	@mkdir -p $(@D)
	cp $< $@

ESP_FILES += $(ESP)/EFI/BOOT/BOOTX64.EFI $(ESP)/keel/keel.cfg

# Host unit tests: the same config.c / elf.c, built with the host compiler.
$(BUILD)/unit/test_config: tests/unit/test_config.c boot/config.c boot/fmt.c boot/keel.cfg \
		boot/config.h boot/fmt.h hv/abi/boot_info.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -DBOOT_DEFAULT_CFG=\"$(abspath boot/keel.cfg)\" -o $@ \
		tests/unit/test_config.c boot/config.c boot/fmt.c $(UNIT_LIBS)

$(BUILD)/unit/test_elf: tests/unit/test_elf.c boot/elf.c boot/fmt.c boot/elf.h boot/fmt.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_elf.c boot/elf.c boot/fmt.c $(UNIT_LIBS)

UNIT_TESTS += $(BUILD)/unit/test_config $(BUILD)/unit/test_elf
