# The hypercall table and its control-word checks (hv/hypercall_table.c,
# hv/hypercall_check.c) on the host.

UNIT_TESTS += $(BUILD)/unit/test_hypercall

$(BUILD)/unit/test_hypercall: tests/unit/test_hypercall.c hv/hypercall_table.c hv/hypercall_check.c \
		hv/hypercall_table.h hv/abi/tlfs.h hv/abi/tlfs_partition.h hv/abi/keel_hypercall.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_hypercall.c hv/hypercall_table.c hv/hypercall_check.c $(UNIT_LIBS)
