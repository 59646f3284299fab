/* The management CLI on the serial console. */
#ifndef KEEL_PARENT_CLI_H
#define KEEL_PARENT_CLI_H

#define CLI_PROMPT "keel> "
#define CLI_LINE_MAX 4096 /* a --cmdline of 2 KiB and the rest of the command */

struct cli_command {
	const char *name;     /* first word */
	const char *sub;      /* second word, or NULL */
	const char *usage;
	const char *help;
	void (*run)(int argc, char **argv);
};

extern const struct cli_command cli_commands[];

/* Run one command line (tokenize, find, dispatch, or say what is wrong). */
void cli_execute(const char *line);
/* Read-eval loop; never returns. */
void cli_loop(void) __attribute__((noreturn));
/* Run each line of a script, echoing it first. */
void cli_run_script(const char *text, unsigned long len);

#endif
