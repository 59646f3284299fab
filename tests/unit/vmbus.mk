# Host unit tests for the VMBus server (vsp/vmbus), its rings and the
# integration services (vsp/ic).

VMBUS_SRCS := vsp/vmbus/server.c vsp/vmbus/ring.c
VMBUS_HDRS := vsp/vmbus/server.h vsp/vmbus/ring.h vsp/vmbus/vmbus_abi.h
IC_SRCS    := vsp/ic/ic.c
IC_HDRS    := vsp/ic/ic.h vsp/ic/ic_abi.h

UNIT_TESTS += $(BUILD)/unit/test_vmbus $(BUILD)/unit/test_vmbus_channels

$(BUILD)/unit/test_vmbus: tests/unit/test_vmbus.c $(VMBUS_SRCS) $(VMBUS_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_vmbus.c $(VMBUS_SRCS) $(UNIT_LIBS)

$(BUILD)/unit/test_vmbus_channels: tests/unit/test_vmbus_channels.c $(VMBUS_SRCS) $(VMBUS_HDRS) $(IC_SRCS) $(IC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_vmbus_channels.c $(VMBUS_SRCS) $(IC_SRCS) $(UNIT_LIBS)
