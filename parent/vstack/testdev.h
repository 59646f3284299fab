/*
 * The Keel test device: how a test guest reports results and asks to be
 * stopped.  Eight I/O ports at 0x5e0 (docs/devices.md has the guest's view):
 *
 *   0x5e0  write, any size   low byte appended to the console line
 *   0x5e2  read, 16 bits     TESTDEV_VERSION
 *   0x5e4  read, 32 bits     TESTDEV_MAGIC ("KEEL")
 *   0x5e4  write, 32 bits    stop request; the value is the exit code
 *   0x5e6  read, 16 bits     1 once the host asked the guest to stop, else 0
 *
 * Console bytes are assembled into lines.  '\n' ends a line, '\r' is
 * dropped, and any other byte outside printable ASCII (0x20-0x7e) and tab
 * is stored as '?', so a guest cannot send control sequences to the
 * parent's console.  A line longer than TESTDEV_LINE_MAX is split into
 * pieces of TESTDEV_LINE_MAX bytes, flagged.  A line that starts with the
 * word PASS or FAIL (followed by the end of the line or by a byte that is
 * not a letter, a digit or '_') is a test result and counted.
 *
 * Pure C, no hardware access and no allocation; not locked (the caller
 * serializes calls on one device).
 */
#ifndef KEEL_PARENT_VSTACK_TESTDEV_H
#define KEEL_PARENT_VSTACK_TESTDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TESTDEV_PORT_BASE    0x5e0
#define TESTDEV_PORT_COUNT   8
#define TESTDEV_PORT_CONSOLE 0x5e0
#define TESTDEV_PORT_VERSION 0x5e2
#define TESTDEV_PORT_CONTROL 0x5e4
#define TESTDEV_PORT_HOST_STOP 0x5e6

#define TESTDEV_MAGIC   0x4b45454cu /* "KEEL" in hex (stored little-endian: 'L','E','E','K') */
#define TESTDEV_VERSION 1

#define TESTDEV_LINE_MAX 200

enum testdev_result {
	TESTDEV_RESULT_NONE,
	TESTDEV_RESULT_PASS,
	TESTDEV_RESULT_FAIL,
};

/* testdev_line.flags */
#define TESTDEV_LINE_SPLIT        0x1 /* the line goes on in the next piece */
#define TESTDEV_LINE_CONTINUED    0x2 /* this piece continues a split line */
#define TESTDEV_LINE_UNTERMINATED 0x4 /* flushed before its '\n' arrived */

struct testdev_line {
	const char *text;           /* NUL-terminated, without the '\n' */
	size_t len;
	enum testdev_result result; /* NONE on a TESTDEV_LINE_CONTINUED piece */
	unsigned flags;
};

struct testdev_ops {
	/* A line (or a piece of a long one) is complete.  line->text stays
	 * valid until the next line completes.  Optional. */
	void (*line)(void *ctx, const struct testdev_line *line);
	/* The guest asked to be stopped with exit code `code`; called once, on
	 * the first request.  Optional: the caller may poll
	 * testdev_stop_requested() instead. */
	void (*stop)(void *ctx, uint32_t code);
};

struct testdev_stats {
	uint64_t passes;     /* lines classified PASS */
	uint64_t fails;      /* lines classified FAIL */
	uint64_t lines;      /* lines, a split line counting once */
	uint64_t long_lines; /* lines that were split */
	uint64_t ignored;    /* writes ignored: to a read-only or unknown port,
			      * a stop of the wrong size, a repeated stop */
};

struct testdev {
	const struct testdev_ops *ops; /* may be NULL */
	void *ctx;
	struct testdev_stats stats;
	char buf[TESTDEV_LINE_MAX + 1]; /* the line being assembled */
	size_t len;
	bool continued;                 /* buf continues a split line */
	struct testdev_line last;       /* the last completed line, text in last_text */
	char last_text[TESTDEV_LINE_MAX + 1];
	bool stop_requested;
	uint32_t exit_code;
	bool host_stop;                 /* the host asked the guest to stop */
};

void testdev_init(struct testdev *dev, const struct testdev_ops *ops, void *ctx);

/*
 * One guest port access.  Returns false (touching nothing) when `port` is
 * not one of the device's; otherwise handles it.  A read at 0x5e2 or 0x5e4
 * returns that register's value truncated or zero-extended to `size` bytes;
 * any other read returns all-ones.  Writes: see the port table above.
 */
bool testdev_io(struct testdev *dev, uint16_t port, bool write, unsigned size, uint32_t *value);

/* Complete a partial line, flagged TESTDEV_LINE_UNTERMINATED; nothing when
 * there is none.  Done by a stop request and by the caller when the child
 * ends otherwise. */
void testdev_flush(struct testdev *dev);

/* The host asks the guest to stop: port 0x5e6 reads 1 from now on (until
 * testdev_init). */
void testdev_ask_stop(struct testdev *dev);

/* Whether the guest asked to be stopped; *code (if not NULL) receives the
 * exit code of its first request. */
bool testdev_stop_requested(const struct testdev *dev, uint32_t *code);

const struct testdev_stats *testdev_stats(const struct testdev *dev);

/* The last completed line, or NULL before the first. */
const struct testdev_line *testdev_last_line(const struct testdev *dev);

/* Classify a line's text (exposed for the unit tests and for the serial
 * console, which reports results the same way). */
enum testdev_result testdev_classify(const char *text, size_t len);

#endif
