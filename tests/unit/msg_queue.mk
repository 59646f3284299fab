# The SynIC sender queue (hv/msg_queue.h) on the host.

UNIT_TESTS += $(BUILD)/unit/test_msg_queue

$(BUILD)/unit/test_msg_queue: tests/unit/test_msg_queue.c hv/msg_queue.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_msg_queue.c $(UNIT_LIBS)
