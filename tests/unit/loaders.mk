# Host unit test for the kernel loaders (parent/loader_linux.c,
# parent/loader_multiboot.c): bzImage and multiboot images built in memory,
# and the host's own /boot/vmlinuz-* when there is one.

UNIT_TESTS += $(BUILD)/unit/test_loaders

$(BUILD)/unit/test_loaders: tests/unit/test_loaders.c parent/loader.h parent/loader_linux.c \
		parent/loader_multiboot.c parent/vm_parse.c parent/vm_parse.h parent/vm_image.h \
		parent/cli_parse.c parent/cli_parse.h hv/abi/tlfs_partition.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_loaders.c parent/loader_linux.c parent/loader_multiboot.c \
		parent/vm_parse.c parent/cli_parse.c $(UNIT_LIBS)
