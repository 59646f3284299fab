# newlib for the freestanding x86_64-elf target, built once by tools/build-newlib
# (see docs/newlib.md).  Anything that includes newlib headers or links
# $(NEWLIB_LIB)/libc.a depends on $(NEWLIB_STAMP).  The script rebuilds when
# it is newer than the stamp and serialises concurrent runs.

.PHONY: newlib
newlib: $(NEWLIB_STAMP)

$(NEWLIB_STAMP): tools/build-newlib
	tools/build-newlib $(NEWLIB_PREFIX)

# Debian's kernel and an initramfs with busybox for Linux children, made by
# tools/guest-linux from the Debian packages (downloaded once into
# build/debs); on the ESP as modules `linux` and `initrd` (boot/keel.cfg).
LINUX_OUT := $(BUILD)/linux
LINUX_STAMP := $(LINUX_OUT)/version

$(LINUX_STAMP): tools/guest-linux tools/guest-linux.d/inittab tools/guest-linux.d/rcS
	tools/guest-linux $(LINUX_OUT)

$(LINUX_OUT)/vmlinuz $(LINUX_OUT)/initrd.gz: $(LINUX_STAMP)

# (on the stamp too: make does not look at the files again after remaking it)
$(ESP)/keel/linux/%: $(LINUX_OUT)/% $(LINUX_STAMP)
	@mkdir -p $(@D)
	cp $< $@

ESP_FILES += $(ESP)/keel/linux/vmlinuz $(ESP)/keel/linux/initrd.gz
