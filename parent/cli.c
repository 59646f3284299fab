/* Line editing and dispatch for the CLI. */
#include "parent/cli.h"

#include <stdio.h>
#include <string.h>

#include "parent/cli_parse.h"
#include "parent/idle.h"
#include "parent/intercept.h"
#include "parent/serial.h"
#include "parent/x86.h"

void cli_execute(const char *text)
{
	char line[CLI_LINE_MAX];
	char *argv[CLI_MAX_ARGS];
	int argc;

	strncpy(line, text, sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	argc = cli_tokenize(line, argv, CLI_MAX_ARGS);
	if (argc < 0) {
		printf("error: %s\n", cli_parse_strerror(argc));
		return;
	}
	if (argc == 0 || argv[0][0] == '#')
		return;
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		if (strcmp(c->name, argv[0]))
			continue;
		if (c->sub && (argc < 2 || strcmp(c->sub, argv[1])))
			continue;
		c->run(argc, argv);
		return;
	}
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		if (c->sub && !strcmp(c->name, argv[0])) {
			printf("error: '%s' needs a subcommand: ", argv[0]);
			for (const struct cli_command *s = cli_commands; s->name; s++)
				if (s->sub && !strcmp(s->name, argv[0]))
					printf("%s ", s->sub);
			printf("\n");
			return;
		}
	}
	printf("error: unknown command '%s' (try 'help')\n", argv[0]);
}

/* The next key; children's intercepts are served while none arrives. */
static char wait_key(void)
{
	int c;

	while ((c = serial_trygetc()) < 0)
		if (!vstack_poll())
			idle_wait();
	return (char)c;
}

/* Read a line with echo; backspace/DEL erase, Ctrl-U clears, Ctrl-C drops. */
static void read_line(char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		char c = wait_key();

		if (c == '\r' || c == '\n') {
			serial_write("\n", 1);
			buf[n] = '\0';
			return;
		}
		if (c == 0x7f || c == 0x08) {
			if (n) {
				n--;
				serial_write("\b \b", 3);
			}
		} else if (c == 0x15) {
			while (n) {
				n--;
				serial_write("\b \b", 3);
			}
		} else if (c == 0x03) {
			serial_write("^C\n", 3);
			n = 0;
			buf[0] = '\0';
			return;
		} else if (c >= 0x20 && c < 0x7f && n + 1 < size) {
			buf[n++] = c;
			serial_putc(c);
		}
	}
}

void cli_loop(void)
{
	char line[CLI_LINE_MAX];

	for (;;) {
		fputs(CLI_PROMPT, stdout);
		fflush(stdout);
		read_line(line, sizeof(line));
		cli_execute(line);
		fflush(stdout);
	}
}

void cli_run_script(const char *text, unsigned long len)
{
	char line[CLI_LINE_MAX];
	unsigned long i = 0;

	while (i < len) {
		size_t n = 0;

		while (i < len && text[i] != '\n') {
			if (text[i] != '\r' && n + 1 < sizeof(line))
				line[n++] = text[i];
			i++;
		}
		i++;
		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		printf("startup: %s\n", line);
		cli_execute(line);
	}
	fflush(stdout);
}
