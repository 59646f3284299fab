# Reference time from the TSC (hv/reftime.c): the reference TSC page's terms.

UNIT_TESTS += $(BUILD)/unit/test_reftime

$(BUILD)/unit/test_reftime: tests/unit/test_reftime.c hv/reftime.c hv/reftime.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_reftime.c hv/reftime.c $(UNIT_LIBS)
