# The scheduler's decision logic (hv/sched.c) on the host.

UNIT_TESTS += $(BUILD)/unit/test_sched

$(BUILD)/unit/test_sched: tests/unit/test_sched.c hv/sched.c hv/sched.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_sched.c hv/sched.c $(UNIT_LIBS)
