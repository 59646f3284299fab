# arch/x86: vendor code and the freestanding x86 helpers it shares with tests.

UNIT_TESTS += $(BUILD)/unit/test_insn_len

$(BUILD)/unit/test_insn_len: tests/unit/test_insn_len.c arch/x86/insn_len.c arch/x86/insn_len.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_insn_len.c arch/x86/insn_len.c $(UNIT_LIBS)
