/* Command-line tokenizer; contract in cli_parse.h. */
#include "parent/cli_parse.h"

#include <stdio.h>

int cli_tokenize(char *line, char **argv, int max)
{
	char *in = line, *out = line;
	int argc = 0;

	for (;;) {
		int quoted = 0;

		while (*in == ' ' || *in == '\t')
			in++;
		if (!*in)
			return argc;
		if (argc == max)
			return CLI_PARSE_TOO_MANY_WORDS;
		argv[argc++] = out;
		while (*in && (quoted || (*in != ' ' && *in != '\t'))) {
			if (*in == '"') {
				quoted = !quoted;
				in++;
			} else if (*in == '\\') {
				if (!in[1])
					return CLI_PARSE_TRAILING_BACKSLASH;
				*out++ = in[1];
				in += 2;
			} else {
				*out++ = *in++;
			}
		}
		if (quoted)
			return CLI_PARSE_UNTERMINATED_QUOTE;
		if (*in)
			in++;
		*out++ = '\0';
	}
}

const char *cli_parse_strerror(int err)
{
	switch (err) {
	case CLI_PARSE_UNTERMINATED_QUOTE: return "unterminated quote";
	case CLI_PARSE_TOO_MANY_WORDS: return "too many words";
	case CLI_PARSE_TRAILING_BACKSLASH: return "backslash at end of line";
	default: return "bad command line";
	}
}

int cli_parse_size(const char *s, unsigned long long *bytes)
{
	unsigned long long v = 0, mult = 1;

	if (!s || *s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned digit = (unsigned)(*s - '0');

		if (v > (~0ull - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	switch (*s) {
	case 'k': case 'K': mult = 1ull << 10; s++; break;
	case 'm': case 'M': mult = 1ull << 20; s++; break;
	case 'g': case 'G': mult = 1ull << 30; s++; break;
	default: break;
	}
	if (*s == 'i' && *(s + 1) == 'B' && mult > 1)
		s += 2;
	if (*s || (v && mult > ~0ull / v))
		return -1;
	*bytes = v * mult;
	return 0;
}

void cli_format_bytes(unsigned long long bytes, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned u = 0;
	unsigned long long whole, tenths;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >> (10 * (u + 1)))
		u++;
	whole = bytes >> (10 * u);
	tenths = u ? ((bytes - (whole << (10 * u))) * 10) >> (10 * u) : 0;
	if (tenths)
		snprintf(buf, len, "%llu.%llu %s", whole, tenths, units[u]);
	else
		snprintf(buf, len, "%llu %s", whole, units[u]);
}
