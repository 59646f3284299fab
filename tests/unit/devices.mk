# Host unit tests for the parent's emulated devices (parent/vstack).

DEVICES_SRCS := parent/vstack/ringlog.c parent/vstack/uart16550.c parent/vstack/testdev.c parent/vstack/platform.c \
	parent/vstack/rtc.c
DEVICES_HDRS := parent/vstack/ringlog.h parent/vstack/uart16550.h parent/vstack/testdev.h \
	parent/vstack/platform.h parent/vstack/rtc.h parent/acpi_tables.h

UNIT_TESTS += $(BUILD)/unit/test_devices

$(BUILD)/unit/test_devices: tests/unit/test_devices.c $(DEVICES_SRCS) $(DEVICES_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_devices.c $(DEVICES_SRCS) $(UNIT_LIBS)
