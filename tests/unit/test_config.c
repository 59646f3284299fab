/*
 * Unit tests for boot/config.c, the \keel\keel.cfg parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/config.h"

#ifndef BOOT_DEFAULT_CFG
#define BOOT_DEFAULT_CFG "boot/keel.cfg"
#endif

static struct keel_config cfg;
static char err[CONFIG_ERROR_LEN];

#define MINIMAL "hypervisor = \\keel\\hv.elf\nparent = \\keel\\parent.elf\n"

static int parse(const char *text)
{
	memset(&cfg, 0xa5, sizeof(cfg));
	memset(err, 'x', sizeof(err));
	return config_parse(text, strlen(text), &cfg, err, sizeof(err));
}

/* Parse MINIMAL followed by `extra` and expect failure with message `want`. */
static void expect_error(const char *text, const char *want)
{
	int rc = parse(text);
	if (rc == 0 || strcmp(err, want) != 0)
		fail_msg("input:\n%s\nrc %d, got error \"%s\"\nwanted \"%s\"", text, rc, err, want);
}

static void test_default_file(void **state)
{
	FILE *f = fopen(BOOT_DEFAULT_CFG, "rb");
	char buf[CONFIG_MAX_SIZE];
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);

	assert_int_equal(config_parse(buf, n, &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.hypervisor, "\\keel\\hv.elf");
	assert_string_equal(cfg.parent, "\\keel\\parent.elf");
	assert_int_equal(cfg.hv_memory, 64ull << 20);
	assert_int_equal(cfg.log_level, BOOT_LOG_INFO);
	assert_string_equal(cfg.vendor, "Microsoft Hv");
	assert_int_equal(cfg.module_count, 18);
	assert_string_equal(cfg.modules[0].name, "startup");
	assert_string_equal(cfg.modules[0].path, "\\keel\\startup.txt");
	assert_string_equal(cfg.startup, "startup");
	/* The test guests (tests/guests). */
	static const char *const guests[] = { "guest64", "guest32", "hostile", "spin64", "neighbour", "tprhalt",
					      "dbloop", "acloop", "tasksw", "churn", "mboot", "apictest", "synictest",
					      "stimertest", "vmbustest" };
	for (int i = 0; i < (int)(sizeof(guests) / sizeof(guests[0])); i++) {
		char path[64];
		snprintf(path, sizeof(path), "\\keel\\guests\\%s.elf", guests[i]);
		assert_string_equal(cfg.modules[1 + i].name, guests[i]);
		assert_string_equal(cfg.modules[1 + i].path, path);
	}
	/* Linux for children (tools/guest-linux). */
	assert_string_equal(cfg.modules[16].name, "linux");
	assert_string_equal(cfg.modules[16].path, "\\keel\\linux\\vmlinuz");
	assert_string_equal(cfg.modules[17].name, "initrd");
	assert_string_equal(cfg.modules[17].path, "\\keel\\linux\\initrd.gz");
}

static void test_defaults(void **state)
{
	assert_int_equal(parse(MINIMAL), 0);
	assert_int_equal(cfg.hv_memory, CONFIG_HV_MEMORY_DEFAULT);
	assert_int_equal(cfg.log_level, BOOT_LOG_INFO);
	assert_string_equal(cfg.vendor, "Microsoft Hv");
	assert_int_equal(cfg.module_count, 0);
	assert_string_equal(cfg.startup, "");
}

static void test_full(void **state)
{
	const char *text =
		"# a comment\n"
		"\n"
		"   hypervisor=/keel/hv.elf   # trailing comment\n"
		"parent\t=\tkeel/parent.elf\n"
		"hv_memory = 128M\n"
		"log_level = DEBUG\n"
		"vendor = KeelKeelKeel\n"
		"module = linux.bzImage-6.1 \\images\\my kernel.bin\n"
		"module = initrd /images/initrd.img\n"
		"startup = initrd\n";
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.hypervisor, "\\keel\\hv.elf");
	assert_string_equal(cfg.parent, "\\keel\\parent.elf");
	assert_int_equal(cfg.hv_memory, 128ull << 20);
	assert_int_equal(cfg.log_level, BOOT_LOG_DEBUG);
	assert_string_equal(cfg.vendor, "KeelKeelKeel");
	assert_int_equal(cfg.module_count, 2);
	assert_string_equal(cfg.modules[0].name, "linux.bzImage-6.1");
	assert_string_equal(cfg.modules[0].path, "\\images\\my kernel.bin");
	assert_string_equal(cfg.modules[1].name, "initrd");
	assert_string_equal(cfg.modules[1].path, "\\images\\initrd.img");
	assert_string_equal(cfg.startup, "initrd");
}

static void test_crlf_and_bom(void **state)
{
	const char *text = "\xef\xbb\xbfhypervisor = \\keel\\hv.elf\r\n"
			   "parent = \\keel\\parent.elf\r\n"
			   "vendor = Microsoft Hv\r\n"
			   "log_level = warn\r\n";
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.hypervisor, "\\keel\\hv.elf");
	assert_string_equal(cfg.parent, "\\keel\\parent.elf");
	assert_string_equal(cfg.vendor, "Microsoft Hv");
	assert_int_equal(cfg.log_level, BOOT_LOG_WARN);
}

static void test_no_final_newline(void **state)
{
	assert_int_equal(parse("hypervisor = a\nparent = b"), 0);
	assert_string_equal(cfg.hypervisor, "\\a");
	assert_string_equal(cfg.parent, "\\b");
}

static void test_sizes(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} ok[] = {
		{ "16M", 16ull << 20 },
		{ "4G", 4ull << 30 },
		{ "4096M", 4ull << 30 },
		{ "17M", 18ull << 20 },       /* rounded up to 2 MiB */
		{ "15M", 16ull << 20 },       /* rounded up into range */
		{ "16385K", 18ull << 20 },
		{ "33554432", 32ull << 20 },  /* plain bytes */
		{ "16777217", 18ull << 20 },
		{ "64m", 64ull << 20 },
		{ "64MB", 64ull << 20 },
		{ "64MiB", 64ull << 20 },
		{ "1g", 1ull << 30 },
		{ "4194303K", 4ull << 30 },   /* rounds up to exactly 4G */
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), MINIMAL "hv_memory = %s\n", ok[i].text);
		if (parse(text) != 0)
			fail_msg("hv_memory = %s rejected: %s", ok[i].text, err);
		assert_int_equal(cfg.hv_memory, ok[i].bytes);
	}
}

static void test_log_levels(void **state)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	for (uint32_t i = 0; i < 4; i++) {
		char text[256];
		snprintf(text, sizeof(text), MINIMAL "log_level = %s\n", names[i]);
		assert_int_equal(parse(text), 0);
		assert_int_equal(cfg.log_level, i);
		assert_string_equal(config_log_level_name(i), names[i]);
	}
	assert_string_equal(config_log_level_name(7), "?");
}

static void test_time_slice(void **state)
{
	static const struct { const char *text; uint32_t us; } ok[] = {
		{ "10ms", 10000 }, { "100us", 100 }, { "1000ms", 1000000 }, { "2500us", 2500 }, { "1ms", 1000 },
	};
	static const char *bad[] = { "10", "ms", "10 ms", "10s", "99us", "1001ms", "5msx", "-1ms",
				     "99999999999999999999ms", "10MS" };

	assert_int_equal(parse(MINIMAL), 0);
	assert_int_equal(cfg.time_slice_us, CONFIG_TIME_SLICE_DEFAULT_US);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), MINIMAL "time_slice = %s\n", ok[i].text);
		if (parse(text) != 0)
			fail_msg("time_slice = %s rejected: %s", ok[i].text, err);
		assert_int_equal(cfg.time_slice_us, ok[i].us);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), MINIMAL "time_slice = %s\n", bad[i]);
		if (parse(text) == 0)
			fail_msg("time_slice = %s accepted", bad[i]);
		assert_non_null(strstr(err, "time_slice"));
	}
}

static void test_vendor(void **state)
{
	assert_int_equal(parse(MINIMAL "vendor = X\n"), 0);
	assert_string_equal(cfg.vendor, "X");
	assert_int_equal(parse(MINIMAL "vendor = \" Keel \"\n"), 0);
	assert_string_equal(cfg.vendor, " Keel ");
	assert_int_equal(parse(MINIMAL "vendor = A B C D E F \n"), 0);
	assert_string_equal(cfg.vendor, "A B C D E F");
}

static void test_module_limits(void **state)
{
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof(text), MINIMAL);
	for (int i = 0; i < BOOT_MAX_MODULES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "module = m%d \\m%d.bin\n", i, i);
	assert_int_equal(parse(text), 0);
	assert_int_equal(cfg.module_count, BOOT_MAX_MODULES);
	assert_string_equal(cfg.modules[15].name, "m15");
	assert_string_equal(cfg.modules[15].path, "\\m15.bin");

	snprintf(text + n, sizeof(text) - n, "module = one_too_many \\x\n");
	expect_error(text, "keel.cfg:35: too many modules (at most 32)");

	/* 47-character names are the longest allowed. */
	char name[64];
	memset(name, 'n', 47);
	name[47] = '\0';
	snprintf(text, sizeof(text), MINIMAL "module = %s \\x\nstartup = %s\n", name, name);
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.modules[0].name, name);
	assert_string_equal(cfg.startup, name);
}

static void test_long_path(void **state)
{
	char text[1024], path[300];
	memset(path, 'p', 254);
	path[254] = '\0';
	snprintf(text, sizeof(text), "hypervisor = %s\nparent = p\n", path);
	assert_int_equal(parse(text), 0); /* 254 + the added leading '\' */
	assert_int_equal(strlen(cfg.hypervisor), 255);

	memset(path, 'p', 255);
	path[255] = '\0';
	snprintf(text, sizeof(text), "hypervisor = %s\nparent = p\n", path);
	char want[256];
	snprintf(want, sizeof(want), "keel.cfg:1: hypervisor path '%.48s...' is too long "
		 "(at most 255 characters)", path);
	expect_error(text, want);
}

static void test_errors(void **state)
{
	expect_error(MINIMAL "hv_memory 64M\n",
		     "keel.cfg:3: missing '=' in 'hv_memory 64M' (expected key = value)");
	expect_error("= x\n" MINIMAL, "keel.cfg:1: missing key before '=' (expected key = value)");
	expect_error(MINIMAL "# ok\nmemory = 64M\n",
		     "keel.cfg:4: unknown key 'memory' (known keys: hypervisor, parent, hv_memory, "
		     "log_level, vendor, module, startup, time_slice)");
	expect_error(MINIMAL "Hypervisor = x\n",
		     "keel.cfg:3: unknown key 'Hypervisor' (known keys: hypervisor, parent, "
		     "hv_memory, log_level, vendor, module, startup, time_slice)");
	expect_error(MINIMAL "\nparent = \\other.elf\n",
		     "keel.cfg:4: duplicate key 'parent' (first set on line 2)");
	expect_error(MINIMAL "log_level = info\nlog_level = debug\n",
		     "keel.cfg:4: duplicate key 'log_level' (first set on line 3)");
	expect_error(MINIMAL "vendor =\n", "keel.cfg:3: missing value for 'vendor'");
	expect_error(MINIMAL "vendor = # comment only\n", "keel.cfg:3: missing value for 'vendor'");
	expect_error("hypervisor = \\keel\\\nparent = x\n",
		     "keel.cfg:1: hypervisor path '\\keel\\' names a directory, not a file");
	expect_error(MINIMAL "module = x /keel/\n",
		     "keel.cfg:3: module path '\\keel\\' names a directory, not a file");
	expect_error(MINIMAL "vendor = a\x01b\n",
		     "keel.cfg:3: line contains a control or non-ASCII character "
		     "(only plain ASCII text is allowed)");
	expect_error(MINIMAL "vendor = caf\xc3\xa9\n",
		     "keel.cfg:3: line contains a control or non-ASCII character "
		     "(only plain ASCII text is allowed)");
}

static void test_size_errors(void **state)
{
	static const char *bad[] = { "abc", "64X", "64MX", "-16M", "M", "64 M", "1.5G", "64KB2",
				     "99999999999999999999", "18446744073709551615G" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256], want[256];
		snprintf(text, sizeof(text), MINIMAL "hv_memory = %s\n", bad[i]);
		snprintf(want, sizeof(want), "keel.cfg:3: hv_memory = '%s' is not a size (use a "
			 "decimal number with an optional K, M or G suffix, e.g. 64M)", bad[i]);
		expect_error(text, want);
	}
	static const char *range[] = { "0", "8M", "14M", "5G", "4097M", "4194305K",
				       "17179869183G" };
	for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++) {
		char text[256], want[256];
		snprintf(text, sizeof(text), MINIMAL "hv_memory = %s\n", range[i]);
		snprintf(want, sizeof(want),
			 "keel.cfg:3: hv_memory = %s is out of range (must be 16M to 4G)", range[i]);
		expect_error(text, want);
	}
}

static void test_level_errors(void **state)
{
	expect_error(MINIMAL "log_level = verbose\n",
		     "keel.cfg:3: log_level = 'verbose' is not a log level "
		     "(use error, warn, info or debug)");
	expect_error(MINIMAL "log_level = 2\n",
		     "keel.cfg:3: log_level = '2' is not a log level (use error, warn, info or debug)");
}

static void test_vendor_errors(void **state)
{
	expect_error(MINIMAL "vendor = Microsoft Hv2\n",
		     "keel.cfg:3: vendor = 'Microsoft Hv2' must be 1 to 12 characters long (it is 13)");
	expect_error(MINIMAL "vendor = \"\"\n",
		     "keel.cfg:3: vendor = '' must be 1 to 12 characters long (it is 0)");
}

static void test_module_errors(void **state)
{
	expect_error(MINIMAL "module = lonely\n",
		     "keel.cfg:3: module = 'lonely' has no path (use module = NAME PATH)");
	expect_error(MINIMAL "module = bad/name \\x\n",
		     "keel.cfg:3: bad module name 'bad/name' (use 1 to 47 characters from "
		     "A-Z a-z 0-9 _ . -)");
	expect_error(MINIMAL "module = 012345678901234567890123456789012345678901234567 \\x\n",
		     "keel.cfg:3: bad module name '012345678901234567890123456789012345678901234567' "
		     "(use 1 to 47 characters from A-Z a-z 0-9 _ . -)");
	expect_error(MINIMAL "module = a \\a\n\nmodule = b \\b\nmodule = a \\c\n",
		     "keel.cfg:6: duplicate module name 'a' (first declared on line 3)");
	expect_error(MINIMAL "startup = a b\n",
		     "keel.cfg:3: startup = 'a b' is not a module name (use 1 to 47 characters "
		     "from A-Z a-z 0-9 _ . -)");
	expect_error(MINIMAL "startup = script\nmodule = other \\o\n",
		     "keel.cfg:3: startup = script names no declared module "
		     "(add module = script PATH)");
	/* startup may come before the module it names. */
	assert_int_equal(parse(MINIMAL "startup = s\nmodule = s \\s.txt\n"), 0);
	assert_string_equal(cfg.startup, "s");
}

static void test_missing_keys(void **state)
{
	expect_error("", "keel.cfg: missing required key 'hypervisor' "
			 "(e.g. hypervisor = \\keel\\hv.elf)");
	expect_error("parent = \\p\n", "keel.cfg: missing required key 'hypervisor' "
				       "(e.g. hypervisor = \\keel\\hv.elf)");
	expect_error("hypervisor = \\h\n# parent = \\p\n",
		     "keel.cfg: missing required key 'parent' (e.g. parent = \\keel\\parent.elf)");
}

static void test_excerpt_sanitised(void **state)
{
	/* Long text is cut to 48 characters plus "..."; a tab is shown as '?'. */
	const char *key = "an_extremely_long_key\tname_that_goes_on_and_on_and_on_forever";
	char text[512];
	snprintf(text, sizeof(text), MINIMAL "%s = 1\n", key);
	expect_error(text, "keel.cfg:3: unknown key "
			   "'an_extremely_long_key?name_that_goes_on_and_on_a...' (known keys: "
			   "hypervisor, parent, hv_memory, log_level, vendor, module, startup, time_slice)");
}

static void test_small_error_buffer(void **state)
{
	char small[16];
	memset(small, 'x', sizeof(small));
	assert_int_equal(config_parse("bogus\n", 6, &cfg, small, sizeof(small)), -1);
	assert_string_equal(small, "keel.cfg:1: mis");
	/* No error buffer at all is allowed too. */
	assert_int_equal(config_parse("bogus\n", 6, &cfg, NULL, 0), -1);
}

static void test_nul_in_buffer(void **state)
{
	static const char text[] = "hypervisor = \\h\nparent = \\p\0\nvendor = v\n";
	assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "keel.cfg:2: line contains a control or non-ASCII character "
				 "(only plain ASCII text is allowed)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_crlf_and_bom),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_vendor),
		cmocka_unit_test(test_module_limits),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_size_errors),
		cmocka_unit_test(test_level_errors),
		cmocka_unit_test(test_vendor_errors),
		cmocka_unit_test(test_module_errors),
		cmocka_unit_test(test_time_slice),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_excerpt_sanitised),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test(test_nul_in_buffer),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
