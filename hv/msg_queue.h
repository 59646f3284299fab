/*
 * A FIFO of message senders waiting for a SynIC message slot: an
 * intrusive singly linked list in which an entry is on the queue at most
 * once.  Posting an entry that is already queued keeps its place (its
 * message was replaced while it waited); removing one that is not queued
 * does nothing.  So completing, cancelling and re-posting in any order keep
 * the queue a list with a correct tail, never a cycle.
 *
 * Pure and lock-free: the owner's lock (struct synic's) protects a queue
 * and every entry's fields.  Unit-tested on the host (tests/unit/test_msg_queue.c).
 */
#ifndef KEEL_HV_MSG_QUEUE_H
#define KEEL_HV_MSG_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct msg_link {
	struct msg_link *next;
	bool queued;
};

struct msg_queue {
	struct msg_link *head, *tail;
};

/* Append e unless it is already queued. */
static inline void msg_queue_post(struct msg_queue *q, struct msg_link *e)
{
	if (e->queued)
		return;
	e->next = NULL;
	e->queued = true;
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
}

/* Take the first entry off, or NULL. */
static inline struct msg_link *msg_queue_pop(struct msg_queue *q)
{
	struct msg_link *e = q->head;

	if (!e)
		return NULL;
	q->head = e->next;
	if (!q->head)
		q->tail = NULL;
	e->next = NULL;
	e->queued = false;
	return e;
}

/* Take e off wherever it is; false if it was not queued. */
static inline bool msg_queue_remove(struct msg_queue *q, struct msg_link *e)
{
	struct msg_link **link, *prev = NULL;

	if (!e->queued)
		return false;
	for (link = &q->head; *link; prev = *link, link = &(*link)->next) {
		if (*link != e)
			continue;
		*link = e->next;
		if (q->tail == e)
			q->tail = prev;
		e->next = NULL;
		e->queued = false;
		return true;
	}
	return false;
}

#endif
