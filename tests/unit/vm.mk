# Host unit test for the parent's vm checks and boot image (parent/vm_parse.c,
# parent/vm_image.c), against docs/guests.md.

UNIT_TESTS += $(BUILD)/unit/test_vm_parse

$(BUILD)/unit/test_vm_parse: tests/unit/test_vm_parse.c parent/vm_parse.c parent/vm_parse.h parent/vm_image.c \
		parent/vm_image.h parent/cli_parse.c parent/cli_parse.h hv/abi/tlfs_partition.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_vm_parse.c parent/vm_parse.c parent/vm_image.c \
		parent/cli_parse.c $(UNIT_LIBS)
