/*
 * Host unit test for the SynIC sender queue (hv/msg_queue.h): the
 * sequences hv/synic.c and hv/intercept.c produce (post while the slot is
 * busy, complete, post again; cancel of the head; senders interleaved),
 * and a long random run checked against a model after every operation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hv/msg_queue.h"

#define N 6

/* Walk the queue: no cycle, tail is the last entry, flags match membership. */
static size_t check_queue(const struct msg_queue *q, struct msg_link *e, size_t n, struct msg_link **order)
{
	size_t len = 0;
	const struct msg_link *last = NULL;

	for (const struct msg_link *l = q->head; l; l = l->next) {
		assert_true(len < n); /* a cycle would run past every entry */
		assert_true(l->queued);
		if (order)
			order[len] = (struct msg_link *)l;
		last = l;
		len++;
	}
	assert_ptr_equal(q->tail, last);
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (const struct msg_link *l = q->head; l; l = l->next)
			found |= l == &e[i];
		assert_int_equal(found, e[i].queued);
	}
	return len;
}

static void test_post_busy_complete_post_again(void **state)
{
	struct msg_queue q = { 0 };
	struct msg_link e[N] = { 0 };

	msg_queue_post(&q, &e[0]);          /* the slot is busy: it waits */
	msg_queue_post(&q, &e[1]);
	/* e[0]'s intercept is completed before delivery, then it posts again:
	 * still once on the queue, in its place. */
	msg_queue_post(&q, &e[0]);
	assert_int_equal(check_queue(&q, e, N, NULL), 2);
	assert_ptr_equal(msg_queue_pop(&q), &e[0]);
	assert_ptr_equal(msg_queue_pop(&q), &e[1]);
	assert_null(msg_queue_pop(&q));
	assert_null(q.tail);
	/* Popped entries can post again. */
	msg_queue_post(&q, &e[1]);
	assert_int_equal(check_queue(&q, e, N, NULL), 1);
}

static void test_cancel_head_middle_tail(void **state)
{
	struct msg_queue q = { 0 };
	struct msg_link e[N] = { 0 }, *order[N];

	for (int i = 0; i < 4; i++)
		msg_queue_post(&q, &e[i]);
	assert_true(msg_queue_remove(&q, &e[0]));   /* head */
	assert_true(msg_queue_remove(&q, &e[3]));   /* tail */
	assert_int_equal(check_queue(&q, e, N, order), 2);
	assert_ptr_equal(order[0], &e[1]);
	assert_ptr_equal(order[1], &e[2]);
	msg_queue_post(&q, &e[3]);                  /* appended after the new tail */
	assert_true(msg_queue_remove(&q, &e[2]));   /* middle */
	assert_int_equal(check_queue(&q, e, N, order), 2);
	assert_ptr_equal(order[1], &e[3]);
	assert_false(msg_queue_remove(&q, &e[2]));  /* twice */
	assert_false(msg_queue_remove(&q, &e[5]));  /* never queued */
	assert_true(msg_queue_remove(&q, &e[1]));
	assert_true(msg_queue_remove(&q, &e[3]));
	assert_null(q.head);
	assert_null(q.tail);
}

static void test_two_senders_interleaved(void **state)
{
	struct msg_queue q = { 0 };
	struct msg_link e[2] = { 0 };

	for (int round = 0; round < 1000; round++) {
		struct msg_link *a = &e[round & 1], *b = &e[!(round & 1)];

		msg_queue_post(&q, a);
		msg_queue_post(&q, b);
		msg_queue_post(&q, a);
		assert_int_equal(check_queue(&q, e, 2, NULL), 2);
		assert_ptr_equal(msg_queue_pop(&q), a);
		msg_queue_remove(&q, b);                 /* b completed before delivery */
		assert_int_equal(check_queue(&q, e, 2, NULL), 0);
	}
}

/* Random post/pop/remove against an array model, checked after each step. */
static void test_random_against_model(void **state)
{
	struct msg_queue q = { 0 };
	struct msg_link e[N] = { 0 }, *order[N];
	int model[N], len = 0;

	srand(42);
	for (int step = 0; step < 200000; step++) {
		int i = rand() % N, op = rand() % 3;

		if (op == 0) {
			bool in = false;

			for (int k = 0; k < len; k++)
				in |= model[k] == i;
			if (!in)
				model[len++] = i;
			msg_queue_post(&q, &e[i]);
		} else if (op == 1) {
			struct msg_link *got = msg_queue_pop(&q);

			if (!len) {
				assert_null(got);
			} else {
				assert_ptr_equal(got, &e[model[0]]);
				for (int k = 1; k < len; k++)
					model[k - 1] = model[k];
				len--;
			}
		} else {
			int at = -1;

			for (int k = 0; k < len; k++)
				if (model[k] == i)
					at = k;
			assert_int_equal(msg_queue_remove(&q, &e[i]), at >= 0);
			if (at >= 0) {
				for (int k = at + 1; k < len; k++)
					model[k - 1] = model[k];
				len--;
			}
		}
		assert_int_equal(check_queue(&q, e, N, order), len);
		for (int k = 0; k < len; k++)
			assert_ptr_equal(order[k], &e[model[k]]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_post_busy_complete_post_again),
		cmocka_unit_test(test_cancel_head_middle_tail),
		cmocka_unit_test(test_two_senders_interleaved),
		cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
