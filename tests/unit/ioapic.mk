# Host unit tests for the parent's emulated I/O APIC (parent/vstack/ioapic.c).

IOAPIC_SRCS := parent/vstack/ioapic.c
IOAPIC_HDRS := parent/vstack/ioapic.h

UNIT_TESTS += $(BUILD)/unit/test_ioapic

$(BUILD)/unit/test_ioapic: tests/unit/test_ioapic.c $(IOAPIC_SRCS) $(IOAPIC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_ioapic.c $(IOAPIC_SRCS) $(UNIT_LIBS)
