# The virtual local APIC (hv/vlapic.c) on the host.

UNIT_TESTS += $(BUILD)/unit/test_vlapic

$(BUILD)/unit/test_vlapic: tests/unit/test_vlapic.c hv/vlapic.c hv/vlapic.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_vlapic.c hv/vlapic.c $(UNIT_LIBS)
