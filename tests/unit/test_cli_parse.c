/*
 * Host unit test for the parent's command-line tokenizer and size parser
 * (parent/cli_parse.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parent/cli_parse.h"

#define SENTINEL ((char *)&sentinel_byte)

static char sentinel_byte;

struct tokens {
	char line[256];
	char *argv[CLI_MAX_ARGS + 2];
	int argc;
};

/* Tokenize a copy of `text` with room for `max` words; argv slots the
 * tokenizer should not touch hold SENTINEL. */
static void tokenize(struct tokens *t, const char *text, int max)
{
	assert_true(strlen(text) < sizeof(t->line));
	assert_true(max >= 0 && max <= CLI_MAX_ARGS);
	strcpy(t->line, text);
	for (size_t i = 0; i < sizeof(t->argv) / sizeof(t->argv[0]); i++)
		t->argv[i] = SENTINEL;
	t->argc = cli_tokenize(t->line, t->argv, max);
}

/* Expect exactly the words in `want` (NULL-terminated), each pointing into
 * the line buffer, and nothing written past them. */
static void expect_words(const struct tokens *t, const char *const *want)
{
	int n = 0;

	while (want[n])
		n++;
	assert_int_equal(t->argc, n);
	for (int i = 0; i < n; i++) {
		assert_true(t->argv[i] >= t->line && t->argv[i] < t->line + sizeof(t->line));
		assert_string_equal(t->argv[i], want[i]);
	}
	assert_ptr_equal(t->argv[n], SENTINEL);
}

#define EXPECT(text, ...)                                                   \
	do {                                                                \
		static const char *const want_[] = { __VA_ARGS__, NULL };   \
		struct tokens t_;                                           \
		tokenize(&t_, (text), CLI_MAX_ARGS);                        \
		expect_words(&t_, want_);                                   \
	} while (0)

#define EXPECT_NONE(text)                                                   \
	do {                                                                \
		struct tokens t_;                                           \
		tokenize(&t_, (text), CLI_MAX_ARGS);                        \
		assert_int_equal(t_.argc, 0);                               \
		assert_ptr_equal(t_.argv[0], SENTINEL);                     \
	} while (0)

#define EXPECT_ERROR(text, err)                                             \
	do {                                                                \
		struct tokens t_;                                           \
		tokenize(&t_, (text), CLI_MAX_ARGS);                        \
		assert_int_equal(t_.argc, (err));                           \
	} while (0)

/* ---- cli_tokenize ---- */

static void test_single_word(void **state)
{
	(void)state;
	EXPECT("help", "help");
}

static void test_words_split_on_blanks(void **state)
{
	(void)state;
	EXPECT("partition create vm1", "partition", "create", "vm1");
	EXPECT("a b", "a", "b");
}

static void test_runs_of_blanks_and_tabs(void **state)
{
	(void)state;
	EXPECT("  start \t\t vm1   ", "start", "vm1");
	EXPECT("\tx\ty\t", "x", "y");
	EXPECT("a \t \t b", "a", "b");
}

static void test_empty_and_blank_lines(void **state)
{
	(void)state;
	EXPECT_NONE("");
	EXPECT_NONE(" ");
	EXPECT_NONE("   \t  \t");
}

static void test_words_are_in_place(void **state)
{
	struct tokens t;

	(void)state;
	tokenize(&t, "ab cd", CLI_MAX_ARGS);
	assert_int_equal(t.argc, 2);
	assert_ptr_equal(t.argv[0], t.line);
	assert_ptr_equal(t.argv[1], t.line + 3);
	assert_int_equal(t.line[2], '\0');
}

static void test_quotes_group(void **state)
{
	(void)state;
	EXPECT("echo \"hello world\"", "echo", "hello world");
	EXPECT("\"a\tb\" c", "a\tb", "c");
	EXPECT("\"  leading and trailing  \"", "  leading and trailing  ");
}

static void test_quotes_join_with_neighbours(void **state)
{
	(void)state;
	EXPECT("say\"hi there\"x", "sayhi therex");
	EXPECT("\"a\"\"b\"", "ab");
	EXPECT("\"a\" b", "a", "b");
}

static void test_empty_quotes_are_a_word(void **state)
{
	(void)state;
	EXPECT("\"\"", "");
	EXPECT("set name \"\" now", "set", "name", "", "now");
}

static void test_backslash_escapes(void **state)
{
	(void)state;
	EXPECT("a\\ b c", "a b", "c");
	EXPECT("a\\\"b", "a\"b");
	EXPECT("a\\\\b", "a\\b");
	EXPECT("a\\tb", "atb"); /* no C escapes: the next byte itself */
	EXPECT("\\\"", "\"");
	EXPECT("x \\  y", "x", " ", "y");
}

static void test_escapes_inside_quotes(void **state)
{
	(void)state;
	EXPECT("\"say \\\"hi\\\"\"", "say \"hi\"");
	EXPECT("\"back\\\\slash\"", "back\\slash");
	EXPECT("\"a\\\\\" b", "a\\", "b");
}

static void test_unterminated_quote(void **state)
{
	(void)state;
	EXPECT_ERROR("\"abc", CLI_PARSE_UNTERMINATED_QUOTE);
	EXPECT_ERROR("echo \"hello world", CLI_PARSE_UNTERMINATED_QUOTE);
	EXPECT_ERROR("a \"b\" \"", CLI_PARSE_UNTERMINATED_QUOTE);
	/* An escaped quote does not close. */
	EXPECT_ERROR("\"abc\\\"", CLI_PARSE_UNTERMINATED_QUOTE);
}

static void test_trailing_backslash(void **state)
{
	(void)state;
	EXPECT_ERROR("\\", CLI_PARSE_TRAILING_BACKSLASH);
	EXPECT_ERROR("abc\\", CLI_PARSE_TRAILING_BACKSLASH);
	EXPECT_ERROR("a b\\", CLI_PARSE_TRAILING_BACKSLASH);
	EXPECT_ERROR("\"abc\\", CLI_PARSE_TRAILING_BACKSLASH);
	/* An escaped backslash at the end is fine. */
	EXPECT("abc\\\\", "abc\\");
}

static void test_too_many_words(void **state)
{
	struct tokens t;

	(void)state;
	tokenize(&t, "a b c", 3);
	assert_int_equal(t.argc, 3);
	tokenize(&t, "a b c   ", 3);
	assert_int_equal(t.argc, 3);
	tokenize(&t, "a b c d", 3);
	assert_int_equal(t.argc, CLI_PARSE_TOO_MANY_WORDS);
	/* Only `max` argv slots are ever written. */
	assert_ptr_equal(t.argv[3], SENTINEL);
	tokenize(&t, "a", 0);
	assert_int_equal(t.argc, CLI_PARSE_TOO_MANY_WORDS);
	assert_ptr_equal(t.argv[0], SENTINEL);
	tokenize(&t, "  ", 0);
	assert_int_equal(t.argc, 0);
}

static void test_max_args_limit(void **state)
{
	struct tokens t;
	char line[4 * CLI_MAX_ARGS + 8] = "";

	(void)state;
	for (int i = 0; i < CLI_MAX_ARGS; i++)
		strcat(line, "w ");
	tokenize(&t, line, CLI_MAX_ARGS);
	assert_int_equal(t.argc, CLI_MAX_ARGS);
	for (int i = 0; i < CLI_MAX_ARGS; i++)
		assert_string_equal(t.argv[i], "w");
	strcat(line, "w");
	tokenize(&t, line, CLI_MAX_ARGS);
	assert_int_equal(t.argc, CLI_PARSE_TOO_MANY_WORDS);
	assert_ptr_equal(t.argv[CLI_MAX_ARGS], SENTINEL);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(cli_parse_strerror(CLI_PARSE_UNTERMINATED_QUOTE), "unterminated quote");
	assert_string_equal(cli_parse_strerror(CLI_PARSE_TOO_MANY_WORDS), "too many words");
	assert_string_equal(cli_parse_strerror(CLI_PARSE_TRAILING_BACKSLASH), "backslash at end of line");
	assert_non_null(cli_parse_strerror(0));
	assert_non_null(cli_parse_strerror(-99));
	assert_string_not_equal(cli_parse_strerror(-99), cli_parse_strerror(CLI_PARSE_TOO_MANY_WORDS));
}

/* ---- cli_parse_size ---- */

static void expect_size(const char *s, unsigned long long want)
{
	unsigned long long got = 0xdeadbeefull;

	assert_int_equal(cli_parse_size(s, &got), 0);
	assert_int_equal(got, want);
}

static void expect_bad_size(const char *s)
{
	unsigned long long got = 0xdeadbeefull;

	assert_int_equal(cli_parse_size(s, &got), -1);
	/* Nothing is stored on failure. */
	assert_int_equal(got, 0xdeadbeefull);
}

static void test_size_plain_bytes(void **state)
{
	(void)state;
	expect_size("4096", 4096);
	expect_size("0", 0);
	expect_size("1", 1);
	expect_size("007", 7);
}

static void test_size_suffixes(void **state)
{
	(void)state;
	expect_size("64M", 64ull << 20);
	expect_size("64m", 64ull << 20);
	expect_size("512K", 512ull << 10);
	expect_size("512k", 512ull << 10);
	expect_size("1G", 1ull << 30);
	expect_size("1g", 1ull << 30);
	expect_size("0G", 0);
	expect_size("4096G", 4096ull << 30);
}

static void test_size_binary_suffixes(void **state)
{
	(void)state;
	expect_size("1MiB", 1ull << 20);
	expect_size("4KiB", 4ull << 10);
	expect_size("2GiB", 2ull << 30);
}

static void test_size_bad_suffix(void **state)
{
	(void)state;
	expect_bad_size("12x");
	expect_bad_size("1T");
	expect_bad_size("1KB");
	expect_bad_size("1MB");
	expect_bad_size("1iB");   /* "iB" needs a unit before it */
	expect_bad_size("1Mi");
	expect_bad_size("1MiBx");
	expect_bad_size("1Mib");
	expect_bad_size("1MM");
	expect_bad_size("1 M");
	expect_bad_size("1 ");
	expect_bad_size("1.5G");
}

static void test_size_empty_and_not_a_number(void **state)
{
	(void)state;
	expect_bad_size("");
	expect_bad_size("M");
	expect_bad_size("abc");
	expect_bad_size(" 1");
	expect_bad_size("0x10");
	expect_bad_size(NULL);
}

static void test_size_negative(void **state)
{
	(void)state;
	expect_bad_size("-1");
	expect_bad_size("-64M");
	expect_bad_size("+1");
}

static void test_size_overflow(void **state)
{
	(void)state;
	expect_size("18446744073709551615", ~0ull);
	expect_size("18446744073709551610", ~0ull - 5);
	expect_bad_size("18446744073709551616");
	expect_bad_size("18446744073709551620");
	expect_bad_size("99999999999999999999");
	expect_bad_size("100000000000000000000000");
	expect_size("17179869183G", 17179869183ull << 30);
	expect_bad_size("17179869184G");
	expect_size("17592186044415M", 17592186044415ull << 20);
	expect_bad_size("17592186044416M");
	expect_size("18014398509481983K", 18014398509481983ull << 10);
	expect_bad_size("18014398509481984KiB");
}

static void expect_format(unsigned long long bytes, const char *want)
{
	char buf[32];

	cli_format_bytes(bytes, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_format_bytes(void **state)
{
	(void)state;
	expect_format(0, "0 bytes");
	expect_format(1023, "1023 bytes");
	expect_format(1024, "1 KiB");
	expect_format(640 << 10, "640 KiB");
	expect_format(1536, "1.5 KiB");
	expect_format(64ull << 20, "64 MiB");
	expect_format(8322176ull << 10, "7.9 GiB"); /* truncated, not rounded */
	expect_format((1ull << 30) - 1, "1023.9 MiB");
	expect_format(5ull << 30, "5 GiB");
	expect_format(3ull << 39, "1.5 TiB");
	expect_format(~0ull, "16383.9 PiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_word),
		cmocka_unit_test(test_words_split_on_blanks),
		cmocka_unit_test(test_runs_of_blanks_and_tabs),
		cmocka_unit_test(test_empty_and_blank_lines),
		cmocka_unit_test(test_words_are_in_place),
		cmocka_unit_test(test_quotes_group),
		cmocka_unit_test(test_quotes_join_with_neighbours),
		cmocka_unit_test(test_empty_quotes_are_a_word),
		cmocka_unit_test(test_backslash_escapes),
		cmocka_unit_test(test_escapes_inside_quotes),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_trailing_backslash),
		cmocka_unit_test(test_too_many_words),
		cmocka_unit_test(test_max_args_limit),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_size_plain_bytes),
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_size_binary_suffixes),
		cmocka_unit_test(test_size_bad_suffix),
		cmocka_unit_test(test_size_empty_and_not_a_number),
		cmocka_unit_test(test_size_negative),
		cmocka_unit_test(test_size_overflow),
		cmocka_unit_test(test_format_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
