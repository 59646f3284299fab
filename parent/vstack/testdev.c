/* The Keel test device; see testdev.h and docs/devices.md for the contract. */
#include "parent/vstack/testdev.h"

#include <string.h>

void testdev_init(struct testdev *dev, const struct testdev_ops *ops, void *ctx)
{
	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	dev->ctx = ctx;
}

static bool testdev_word_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool testdev_starts_with_word(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word);

	if (len < n || memcmp(text, word, n) != 0)
		return false;
	return len == n || !testdev_word_byte(text[n]);
}

enum testdev_result testdev_classify(const char *text, size_t len)
{
	if (testdev_starts_with_word(text, len, "PASS"))
		return TESTDEV_RESULT_PASS;
	if (testdev_starts_with_word(text, len, "FAIL"))
		return TESTDEV_RESULT_FAIL;
	return TESTDEV_RESULT_NONE;
}

/* Hand the assembled buffer on as one line (or piece) with `flags`. */
static void testdev_emit(struct testdev *dev, unsigned flags)
{
	struct testdev_line *line = &dev->last;

	if (dev->continued)
		flags |= TESTDEV_LINE_CONTINUED;
	memcpy(dev->last_text, dev->buf, dev->len);
	dev->last_text[dev->len] = '\0';
	line->text = dev->last_text;
	line->len = dev->len;
	line->flags = flags;
	line->result = TESTDEV_RESULT_NONE;

	if (!dev->continued) {
		dev->stats.lines++;
		if (flags & TESTDEV_LINE_SPLIT)
			dev->stats.long_lines++;
		line->result = testdev_classify(dev->last_text, dev->len);
		if (line->result == TESTDEV_RESULT_PASS)
			dev->stats.passes++;
		else if (line->result == TESTDEV_RESULT_FAIL)
			dev->stats.fails++;
	}

	dev->continued = flags & TESTDEV_LINE_SPLIT;
	dev->len = 0;
	if (dev->ops && dev->ops->line)
		dev->ops->line(dev->ctx, line);
}

static void testdev_console_byte(struct testdev *dev, uint8_t byte)
{
	if (byte == '\n') {
		testdev_emit(dev, 0);
		return;
	}
	if (byte == '\r')
		return;
	if (dev->len == TESTDEV_LINE_MAX)
		testdev_emit(dev, TESTDEV_LINE_SPLIT);
	if (byte != '\t' && (byte < 0x20 || byte > 0x7e))
		byte = '?';
	dev->buf[dev->len++] = (char)byte;
}

void testdev_flush(struct testdev *dev)
{
	if (dev->len)
		testdev_emit(dev, TESTDEV_LINE_UNTERMINATED);
}

static void testdev_stop(struct testdev *dev, uint32_t code)
{
	if (dev->stop_requested) {
		dev->stats.ignored++;
		return;
	}
	testdev_flush(dev);
	dev->stop_requested = true;
	dev->exit_code = code;
	if (dev->ops && dev->ops->stop)
		dev->ops->stop(dev->ctx, code);
}

static uint32_t testdev_size_mask(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

bool testdev_io(struct testdev *dev, uint16_t port, bool write, unsigned size, uint32_t *value)
{
	if (port < TESTDEV_PORT_BASE || port >= TESTDEV_PORT_BASE + TESTDEV_PORT_COUNT)
		return false;

	if (!write) {
		uint32_t reg = 0xffffffffu;

		if (size == 1 || size == 2 || size == 4) {
			if (port == TESTDEV_PORT_VERSION)
				reg = TESTDEV_VERSION;
			else if (port == TESTDEV_PORT_CONTROL)
				reg = TESTDEV_MAGIC;
			else if (port == TESTDEV_PORT_HOST_STOP)
				reg = dev->host_stop;
			reg &= testdev_size_mask(size);
		}
		*value = reg;
		return true;
	}

	if (port == TESTDEV_PORT_CONSOLE && (size == 1 || size == 2 || size == 4))
		testdev_console_byte(dev, (uint8_t)*value);
	else if (port == TESTDEV_PORT_CONTROL && size == 4)
		testdev_stop(dev, *value);
	else
		dev->stats.ignored++;
	return true;
}

void testdev_ask_stop(struct testdev *dev)
{
	dev->host_stop = true;
}

bool testdev_stop_requested(const struct testdev *dev, uint32_t *code)
{
	if (dev->stop_requested && code)
		*code = dev->exit_code;
	return dev->stop_requested;
}

const struct testdev_stats *testdev_stats(const struct testdev *dev)
{
	return &dev->stats;
}

const struct testdev_line *testdev_last_line(const struct testdev *dev)
{
	return dev->last.text ? &dev->last : NULL;
}
