# Host unit tests for the VMBus server (vsp/vmbus/server.c).

VMBUS_SRCS := vsp/vmbus/server.c
VMBUS_HDRS := vsp/vmbus/server.h vsp/vmbus/vmbus_abi.h

UNIT_TESTS += $(BUILD)/unit/test_vmbus

$(BUILD)/unit/test_vmbus: tests/unit/test_vmbus.c $(VMBUS_SRCS) $(VMBUS_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_vmbus.c $(VMBUS_SRCS) $(UNIT_LIBS)
