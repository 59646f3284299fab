# Host unit tests for the ACPI tables the parent builds for a child
# (parent/acpi_tables.c) and its AML emitter (parent/aml.c).  The DSDT is
# checked by disassembling it with iasl (Debian package acpica-tools): the
# test fails, naming the package, when iasl is not installed.

ACPI_SRCS := parent/acpi_tables.c parent/aml.c
ACPI_HDRS := parent/acpi_tables.h parent/aml.h

UNIT_TESTS += $(BUILD)/unit/test_acpi

$(BUILD)/unit/test_acpi: tests/unit/test_acpi.c $(ACPI_SRCS) $(ACPI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_acpi.c $(ACPI_SRCS) $(UNIT_LIBS)
