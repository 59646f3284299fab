# newlib for the freestanding x86_64-elf target, built once by tools/build-newlib
# (see docs/newlib.md).  Anything that includes newlib headers or links
# $(NEWLIB_LIB)/libc.a depends on $(NEWLIB_STAMP).  Changing the script
# drops the stamp so the library is rebuilt with the new settings.

.PHONY: newlib
newlib: $(NEWLIB_STAMP)

$(NEWLIB_STAMP): tools/build-newlib
	@rm -f $@
	tools/build-newlib $(NEWLIB_PREFIX)
