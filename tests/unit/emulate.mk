# Host unit test for the parent's MMIO / port-I/O instruction emulator
# (parent/vstack/insn_emulate.c), cross-checked against arch/x86/insn_len.c.

UNIT_TESTS += $(BUILD)/unit/test_insn_emulate

$(BUILD)/unit/test_insn_emulate: tests/unit/test_insn_emulate.c parent/vstack/insn_emulate.c \
		parent/vstack/insn_emulate.h arch/x86/insn_len.c arch/x86/insn_len.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_insn_emulate.c parent/vstack/insn_emulate.c \
		arch/x86/insn_len.c $(UNIT_LIBS)
