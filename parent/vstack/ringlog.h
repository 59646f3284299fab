/*
 * A bounded byte log: a ring of fixed capacity, in storage the caller
 * provides, that keeps the most recent bytes appended to it.
 *
 * Every byte ever appended has a position, counted from 0 at init; a reader
 * keeps its own cursor (the position of the next byte it wants), so any number
 * of readers can follow new output without the log knowing about them.  The
 * log holds positions [ringlog_start(), ringlog_end()); a reader whose cursor
 * fell behind ringlog_start() has lost the bytes in between, and ringlog_read
 * says how many.
 *
 * Pure C, no allocation and no locking: the caller serializes every call on
 * one log (the parent's virtualization stack touches a child's log from one
 * CPU at a time).
 */
#ifndef KEEL_PARENT_VSTACK_RINGLOG_H
#define KEEL_PARENT_VSTACK_RINGLOG_H

#include <stddef.h>
#include <stdint.h>

struct ringlog {
	uint8_t *data;    /* capacity bytes; position p lives at data[p % capacity] */
	size_t capacity;
	uint64_t written; /* bytes ever appended = position of the next byte */
	uint64_t floor;   /* positions below this were discarded by ringlog_clear */
};

/* Use `capacity` bytes at `storage` (which outlives the log).  A capacity of 0
 * is allowed: bytes are then counted and dropped at once. */
void ringlog_init(struct ringlog *log, void *storage, size_t capacity);

/* Append len bytes; when the ring is full, the oldest bytes are overwritten.
 * An append longer than the capacity keeps only its last `capacity` bytes. */
void ringlog_append(struct ringlog *log, const void *bytes, size_t len);
void ringlog_putc(struct ringlog *log, uint8_t byte);

/* Discard what the log holds; positions keep counting (readers behind the
 * new start see the discarded bytes as lost). */
void ringlog_clear(struct ringlog *log);

/* Total bytes ever appended, including those since overwritten. */
uint64_t ringlog_written(const struct ringlog *log);
/* Position of the oldest byte still held (== ringlog_end() when empty). */
uint64_t ringlog_start(const struct ringlog *log);
/* Position one past the newest byte: where a reader that wants only new
 * output starts its cursor. */
uint64_t ringlog_end(const struct ringlog *log);
/* Bytes currently held: ringlog_end() - ringlog_start(), at most capacity. */
size_t ringlog_used(const struct ringlog *log);

/*
 * Copy up to len bytes, oldest first, from position *cursor into buf and
 * advance *cursor past them.  Returns the number of bytes copied (0 when the
 * reader is up to date).
 *
 * If *cursor is older than ringlog_start(), the bytes in between were
 * overwritten: reading resumes at ringlog_start() and *lost (if not NULL)
 * receives how many bytes were skipped; otherwise *lost is set to 0.  A cursor
 * beyond ringlog_end() is taken as ringlog_end().  A cursor of 0 therefore
 * reads everything held, reporting as lost whatever was overwritten.
 */
size_t ringlog_read(const struct ringlog *log, uint64_t *cursor, void *buf, size_t len,
		    uint64_t *lost);

/* Copy the newest min(len, ringlog_used()) bytes into buf, oldest first;
 * returns how many were copied.  For showing "the last screenful". */
size_t ringlog_copy_tail(const struct ringlog *log, void *buf, size_t len);

#endif
