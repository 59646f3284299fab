# Host unit test for the parent's free page ranges (parent/pages.c).

UNIT_TESTS += $(BUILD)/unit/test_pages

$(BUILD)/unit/test_pages: tests/unit/test_pages.c parent/pages.c parent/pages.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_pages.c parent/pages.c $(UNIT_LIBS)
