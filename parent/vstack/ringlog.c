/* A bounded byte log; see ringlog.h for the contract. */
#include "parent/vstack/ringlog.h"

#include <string.h>

void ringlog_init(struct ringlog *log, void *storage, size_t capacity)
{
	log->data = storage;
	log->capacity = storage ? capacity : 0;
	log->written = 0;
	log->floor = 0;
}

void ringlog_append(struct ringlog *log, const void *bytes, size_t len)
{
	const uint8_t *src = bytes;
	size_t offset, first;

	if (log->capacity == 0) {
		log->written += len;
		return;
	}
	if (len > log->capacity) {
		/* Only the tail survives; account for the rest as written. */
		log->written += len - log->capacity;
		src += len - log->capacity;
		len = log->capacity;
	}
	offset = (size_t)(log->written % log->capacity);
	first = log->capacity - offset;
	if (first > len)
		first = len;
	memcpy(log->data + offset, src, first);
	memcpy(log->data, src + first, len - first);
	log->written += len;
}

void ringlog_putc(struct ringlog *log, uint8_t byte)
{
	if (log->capacity)
		log->data[log->written % log->capacity] = byte;
	log->written++;
}

void ringlog_clear(struct ringlog *log)
{
	log->floor = log->written;
}

uint64_t ringlog_written(const struct ringlog *log)
{
	return log->written;
}

uint64_t ringlog_end(const struct ringlog *log)
{
	return log->written;
}

uint64_t ringlog_start(const struct ringlog *log)
{
	uint64_t start = 0;

	if (log->written > log->capacity)
		start = log->written - log->capacity;
	return start > log->floor ? start : log->floor;
}

size_t ringlog_used(const struct ringlog *log)
{
	return (size_t)(log->written - ringlog_start(log));
}

/* Copy n held bytes starting at position pos; the caller has checked that
 * [pos, pos + n) lies within [ringlog_start(), ringlog_end()). */
static void ringlog_copy_out(const struct ringlog *log, uint64_t pos, uint8_t *dst, size_t n)
{
	size_t offset, first;

	if (n == 0)
		return;
	offset = (size_t)(pos % log->capacity);
	first = log->capacity - offset;
	if (first > n)
		first = n;
	memcpy(dst, log->data + offset, first);
	memcpy(dst + first, log->data, n - first);
}

size_t ringlog_read(const struct ringlog *log, uint64_t *cursor, void *buf, size_t len,
		    uint64_t *lost)
{
	uint64_t start = ringlog_start(log);
	uint64_t pos = *cursor;
	uint64_t skipped = 0;
	size_t n;

	if (pos < start) {
		skipped = start - pos;
		pos = start;
	} else if (pos > log->written) {
		pos = log->written;
	}
	n = len;
	if (n > log->written - pos)
		n = (size_t)(log->written - pos);
	ringlog_copy_out(log, pos, buf, n);
	*cursor = pos + n;
	if (lost)
		*lost = skipped;
	return n;
}

size_t ringlog_copy_tail(const struct ringlog *log, void *buf, size_t len)
{
	size_t n = ringlog_used(log);

	if (n > len)
		n = len;
	ringlog_copy_out(log, log->written - n, buf, n);
	return n;
}
