# newlib for the freestanding x86_64-elf target, built once by tools/build-newlib
# (see docs/newlib.md).  Anything that includes newlib headers or links
# $(NEWLIB_LIB)/libc.a depends on $(NEWLIB_STAMP).  The script rebuilds when
# it is newer than the stamp and serialises concurrent runs.

.PHONY: newlib
newlib: $(NEWLIB_STAMP)

$(NEWLIB_STAMP): tools/build-newlib
	tools/build-newlib $(NEWLIB_PREFIX)
