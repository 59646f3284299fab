# Host test that compiles the TLFS ABI headers and checks their layout.

UNIT_TESTS += $(BUILD)/unit/test_abi

$(BUILD)/unit/test_abi: tests/unit/test_abi.c hv/abi/tlfs.h hv/abi/tlfs_partition.h hv/abi/tlfs_synic.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_abi.c $(UNIT_LIBS)
