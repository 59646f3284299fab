# Host unit tests for pure C shared by hv/ and parent/ (cmocka, ASan/UBSan).

UNIT_TESTS += $(BUILD)/unit/test_frame $(BUILD)/unit/test_pagetable $(BUILD)/unit/test_cli_parse

$(BUILD)/unit/test_frame: tests/unit/test_frame.c hv/frame.c hv/frame.h hv/abi/boot_info.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_frame.c hv/frame.c $(UNIT_LIBS)

$(BUILD)/unit/test_pagetable: tests/unit/test_pagetable.c hv/pagetable.c hv/pagetable.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_pagetable.c hv/pagetable.c $(UNIT_LIBS)

$(BUILD)/unit/test_cli_parse: tests/unit/test_cli_parse.c parent/cli_parse.c parent/cli_parse.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_cli_parse.c parent/cli_parse.c $(UNIT_LIBS)
