/*
 * Splitting a command line into words: blanks separate, double quotes group
 * (a quote inside quotes is written \"), backslash escapes the next byte.
 * Pure C, shared with the host unit tests.
 */
#ifndef KEEL_PARENT_CLI_PARSE_H
#define KEEL_PARENT_CLI_PARSE_H

#include <stddef.h>

#define CLI_MAX_ARGS 64

enum cli_parse_error {
	CLI_PARSE_UNTERMINATED_QUOTE = -1,
	CLI_PARSE_TOO_MANY_WORDS = -2,
	CLI_PARSE_TRAILING_BACKSLASH = -3,
};

/* Tokenize `line` in place (it is modified); argv receives up to max
 * pointers into it.  Returns the word count or a negative cli_parse_error. */
int cli_tokenize(char *line, char **argv, int max);
const char *cli_parse_strerror(int err);

/* Parse a size such as 64M, 512K, 1G or 4096 (bytes); 0 on success. */
int cli_parse_size(const char *s, unsigned long long *bytes);

/* A size for people: "512 bytes", "640 KiB", "64 MiB", "7.9 GiB", "1.5 TiB"
 * (the largest unit the size reaches; one decimal unless it is whole,
 * truncated, never rounded up). */
void cli_format_bytes(unsigned long long bytes, char *buf, size_t len);

#endif
