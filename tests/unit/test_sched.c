/*
 * Host unit test for the scheduler's decisions (hv/sched.c).
 *
 * A simulation drives one queue with a fake clock: pick, run the chosen
 * entity until the decision's run_until (the preemption timer), charge it
 * what it ran, repeat.  An idle decision advances the clock to run_until.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv/sched.h"

#define SLICE        1000ull
#define MAX_ENT      8
#define IDLE         (-1)
#define IDLE_FOREVER (-2)

struct sim {
	struct sched_queue q;
	struct sched_entity e[MAX_ENT];
	uint64_t now;
	uint64_t picks[MAX_ENT];
};

static void sim_init(struct sim *s, unsigned n, const uint32_t *weights)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(sched_queue_init(&s->q, SLICE), 0);
	s->now = 1000000;
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(sched_add(&s->q, &s->e[i], weights ? weights[i] : 0), 0);
}

static int index_of(struct sim *s, const struct sched_entity *e)
{
	assert_true(e >= s->e && e < s->e + MAX_ENT);
	return (int)(e - s->e);
}

/* One round: pick at s->now, run to run_until, charge.  Returns the entity
 * run, IDLE, or IDLE_FOREVER (clock left unchanged). */
static int step(struct sim *s)
{
	struct sched_decision d = sched_pick(&s->q, s->now);
	int i;

	if (!d.next) {
		if (d.run_until == UINT64_MAX)
			return IDLE_FOREVER;
		assert_true(d.run_until > s->now);
		s->now = d.run_until;
		return IDLE;
	}
	assert_true(d.run_until > s->now);
	assert_true(d.run_until - s->now <= s->q.slice);
	assert_ptr_equal(s->q.current, d.next);
	assert_int_equal(d.next->state, SCHED_RUNNABLE);
	i = index_of(s, d.next);
	assert_int_equal(sched_account(&s->q, d.next, d.run_until - s->now), 0);
	s->now = d.run_until;
	s->picks[i]++;
	return i;
}

static void run(struct sim *s, unsigned rounds)
{
	while (rounds--)
		step(s);
}

/* ---- configuration and membership ---- */

static void test_init_defaults(void **state)
{
	struct sched_queue q;
	struct sched_decision d;

	assert_int_equal(sched_queue_init(&q, SLICE), 0);
	assert_int_equal(q.slice, SLICE);
	assert_int_equal(q.min_granularity, SLICE / 4);
	assert_int_equal(q.count, 0);
	assert_null(q.head);
	assert_null(q.current);
	d = sched_pick(&q, 5);
	assert_null(d.next);
	assert_true(d.run_until == UINT64_MAX);

	assert_int_equal(sched_queue_init(&q, 3), 0);
	assert_int_equal(q.min_granularity, 1);
}

static void test_init_rejects_bad_slice(void **state)
{
	struct sched_queue q = { .slice = 77 };

	assert_int_equal(sched_queue_init(&q, 0), -1);
	assert_int_equal(sched_queue_init(&q, SCHED_SLICE_MAX + 1), -1);
	assert_int_equal(q.slice, 77);
	assert_int_equal(sched_queue_init(&q, SCHED_SLICE_MAX), 0);
}

static void test_set_slice_validation(void **state)
{
	struct sched_queue q;

	assert_int_equal(sched_queue_init(&q, SLICE), 0);
	assert_int_equal(sched_set_slice(&q, 500, 0), -1);
	assert_int_equal(sched_set_slice(&q, 500, 501), -1);
	assert_int_equal(sched_set_slice(&q, SCHED_SLICE_MAX + 1, 10), -1);
	assert_int_equal(q.slice, SLICE);
	assert_int_equal(q.min_granularity, SLICE / 4);
	assert_int_equal(sched_set_slice(&q, 500, 500), 0);
	assert_int_equal(q.slice, 500);
	assert_int_equal(q.min_granularity, 500);
}

static void test_add_weights_and_defaults(void **state)
{
	struct sched_queue q;
	struct sched_entity a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

	assert_int_equal(sched_queue_init(&q, SLICE), 0);
	assert_int_equal(sched_add(&q, &a, 0), 0);
	assert_int_equal(a.weight, SCHED_WEIGHT_DEFAULT);
	assert_int_equal(a.state, SCHED_RUNNABLE);
	assert_ptr_equal(a.queue, &q);
	assert_int_equal(sched_add(&q, &b, SCHED_WEIGHT_MAX), 0);
	assert_int_equal(sched_add(&q, &c, SCHED_WEIGHT_MIN), 0);
	assert_int_equal(sched_add(&q, &d, SCHED_WEIGHT_MAX + 1), -1);
	assert_null(d.queue);
	assert_int_equal(q.count, 3);
	/* Already on a queue: refused, queue unchanged. */
	assert_int_equal(sched_add(&q, &a, 100), -1);
	assert_int_equal(q.count, 3);
	assert_ptr_equal(q.head, &a);
	assert_ptr_equal(q.tail, &c);
}

static void test_foreign_entity_rejected(void **state)
{
	struct sched_queue q1, q2;
	struct sched_entity a = { 0 }, b = { 0 };

	assert_int_equal(sched_queue_init(&q1, SLICE), 0);
	assert_int_equal(sched_queue_init(&q2, SLICE), 0);
	assert_int_equal(sched_add(&q1, &a, 0), 0);
	assert_int_equal(sched_remove(&q2, &a), -1);
	assert_int_equal(sched_account(&q2, &a, 10), -1);
	assert_int_equal(sched_halt(&q2, &a, 10), -1);
	assert_int_equal(sched_block(&q2, &a), -1);
	assert_int_equal(sched_set_weight(&q2, &a, 200), -1);
	assert_false(sched_wake(&q2, &a));
	assert_int_equal(sched_remove(&q1, &b), -1);
	assert_int_equal(a.state, SCHED_RUNNABLE);
	assert_int_equal(a.weight, SCHED_WEIGHT_DEFAULT);
	assert_int_equal(a.vruntime, 0);
	assert_int_equal(q1.count, 1);
}

/* ---- picking and fairness ---- */

static void test_single_entity_gets_full_slice(void **state)
{
	struct sim s;
	struct sched_decision d;

	sim_init(&s, 1, NULL);
	d = sched_pick(&s.q, s.now);
	assert_ptr_equal(d.next, &s.e[0]);
	assert_int_equal(d.run_until, s.now + SLICE);
	run(&s, 50);
	assert_int_equal(s.e[0].runtime, 50 * SLICE);
	assert_int_equal(s.e[0].vruntime, 50 * SLICE);
}

static void test_equal_weights_round_robin(void **state)
{
	struct sim s;

	sim_init(&s, 3, NULL);
	for (int round = 0; round < 30; round++)
		assert_int_equal(step(&s), round % 3);
	assert_int_equal(s.e[0].runtime, 10 * SLICE);
	assert_int_equal(s.e[1].runtime, 10 * SLICE);
	assert_int_equal(s.e[2].runtime, 10 * SLICE);
}

static void test_weights_100_300_split_1_to_3(void **state)
{
	static const uint32_t w[] = { 100, 300 };
	struct sim s;
	uint64_t a, b;

	sim_init(&s, 2, w);
	run(&s, 4000);
	a = s.e[0].runtime;
	b = s.e[1].runtime;
	assert_int_equal(a + b, 4000 * SLICE);
	/* b / a within 2% of 3. */
	assert_in_range(b * 1000 / a, 2940, 3060);
}

static void test_three_weights_share(void **state)
{
	static const uint32_t w[] = { 100, 200, 500 };
	struct sim s;
	uint64_t total = 8000 * SLICE;

	sim_init(&s, 3, w);
	run(&s, 8000);
	/* Shares 1/8, 2/8, 5/8 within 1% of the total. */
	assert_in_range(s.e[0].runtime, total / 8 - total / 100, total / 8 + total / 100);
	assert_in_range(s.e[1].runtime, total / 4 - total / 100, total / 4 + total / 100);
	assert_in_range(s.e[2].runtime, total * 5 / 8 - total / 100, total * 5 / 8 + total / 100);
}

static void test_extreme_weights_light_not_starved(void **state)
{
	static const uint32_t w[] = { SCHED_WEIGHT_MAX, SCHED_WEIGHT_MIN };
	struct sim s;
	unsigned gap = 0, worst = 0;

	sim_init(&s, 2, w);
	for (int round = 0; round < 50000; round++) {
		if (step(&s) == 1) {
			if (gap > worst)
				worst = gap;
			gap = 0;
		} else {
			gap++;
		}
	}
	/* Weight ratio 10000:1: the light entity runs once per ~10000 slices. */
	assert_in_range(s.picks[1], 4, 6);
	assert_true(worst <= 10001);
}

static void test_spinner_never_starves_parent(void **state)
{
	struct sim s;
	unsigned since_parent = 0;
	const int parent = 3;

	/* Three guests spinning with interrupts off and the parent's VP, all
	 * always runnable: the parent runs at least once every 4 slices. */
	sim_init(&s, 4, NULL);
	for (int round = 0; round < 2000; round++) {
		if (step(&s) == parent)
			since_parent = 0;
		else
			assert_true(++since_parent < 4);
	}
	assert_int_equal(s.picks[parent], 500);
}

static void test_parent_added_late_not_starved(void **state)
{
	struct sim s;
	unsigned since_parent = 0;

	/* Spinners have run for a long time before the parent's entity joins;
	 * it starts at the floor and from then on gets its turn every 3. */
	sim_init(&s, 2, NULL);
	run(&s, 10000);
	assert_int_equal(sched_add(&s.q, &s.e[2], 0), 0);
	assert_int_equal(s.e[2].vruntime, s.q.min_vruntime);
	for (int round = 0; round < 300; round++) {
		if (step(&s) == 2)
			since_parent = 0;
		else
			assert_true(++since_parent < 3);
	}
	assert_int_equal(s.picks[2], 100);
}

static void test_interactive_parent_runs_soon_after_wake(void **state)
{
	struct sim s;

	/* The parent runs briefly, halts waiting for an interrupt, and is
	 * woken by one a slice later while a spinner runs: each time, the
	 * wake asks for a reschedule and the parent is the next pick. */
	sim_init(&s, 2, NULL);
	for (int round = 0; round < 200; round++) {
		struct sched_decision d = sched_pick(&s.q, s.now);

		if (d.next == &s.e[1]) {
			assert_int_equal(sched_account(&s.q, d.next, 50), 0);
			s.now += 50;
			assert_int_equal(sched_halt(&s.q, d.next, SCHED_NO_DEADLINE), 0);
			d = sched_pick(&s.q, s.now);
		}
		assert_ptr_equal(d.next, &s.e[0]);
		assert_int_equal(sched_account(&s.q, d.next, SLICE), 0);
		s.now += SLICE;
		if (s.e[1].state == SCHED_HALTED)
			assert_true(sched_wake(&s.q, &s.e[1]));
		assert_ptr_equal(sched_pick(&s.q, s.now).next, &s.e[1]);
		assert_int_equal(sched_account(&s.q, &s.e[1], 0), 0);
	}
	assert_int_equal(s.e[1].runtime, 199 * 50);
}

/* ---- halting, deadlines, idling ---- */

static void test_halted_consumes_nothing_until_deadline(void **state)
{
	struct sim s;
	uint64_t deadline;
	int i;

	sim_init(&s, 2, NULL);
	deadline = s.now + 10 * SLICE + SLICE / 2;
	assert_int_equal(sched_halt(&s.q, &s.e[1], deadline), 0);
	while (s.now < deadline) {
		struct sched_decision d = sched_pick(&s.q, s.now);

		assert_ptr_equal(d.next, &s.e[0]);
		assert_true(d.run_until <= deadline);
		assert_int_equal(step(&s), 0);
	}
	assert_int_equal(s.now, deadline);
	assert_int_equal(s.e[1].runtime, 0);
	assert_int_equal(s.e[1].state, SCHED_HALTED);
	i = step(&s);
	assert_int_equal(i, 1);
	assert_int_equal(s.e[1].wake_at, SCHED_NO_DEADLINE);
}

static void test_halted_without_deadline_waits_for_wake(void **state)
{
	struct sim s;

	sim_init(&s, 2, NULL);
	assert_int_equal(sched_halt(&s.q, &s.e[1], SCHED_NO_DEADLINE), 0);
	run(&s, 1000);
	assert_int_equal(s.picks[1], 0);
	assert_int_equal(s.e[1].runtime, 0);
	assert_int_equal(s.e[1].state, SCHED_HALTED);
	sched_wake(&s.q, &s.e[1]);
	assert_int_equal(step(&s), 1);
}

static void test_deadline_shortens_slice(void **state)
{
	struct sim s;
	struct sched_decision d;

	sim_init(&s, 2, NULL);
	assert_int_equal(sched_halt(&s.q, &s.e[1], s.now + 600), 0);
	d = sched_pick(&s.q, s.now);
	assert_ptr_equal(d.next, &s.e[0]);
	assert_int_equal(d.run_until, s.now + 600);
	/* A deadline after the slice does not lengthen it. */
	assert_int_equal(sched_halt(&s.q, &s.e[1], s.now + 5 * SLICE), 0);
	d = sched_pick(&s.q, s.now);
	assert_int_equal(d.run_until, s.now + SLICE);
}

static void test_min_granularity_bounds_short_deadline(void **state)
{
	struct sim s;
	struct sched_decision d;

	sim_init(&s, 2, NULL);
	assert_int_equal(sched_halt(&s.q, &s.e[1], s.now + 10), 0);
	d = sched_pick(&s.q, s.now);
	assert_ptr_equal(d.next, &s.e[0]);
	assert_int_equal(d.run_until, s.now + SLICE / 4);
	/* The late wake-up is still honoured at the next pick. */
	assert_int_equal(step(&s), 0);
	assert_ptr_equal(sched_pick(&s.q, s.now).next, &s.e[1]);
}

static void test_idle_returns_earliest_deadline(void **state)
{
	struct sim s;
	struct sched_decision d;

	sim_init(&s, 4, NULL);
	assert_int_equal(sched_halt(&s.q, &s.e[0], s.now + 9000), 0);
	assert_int_equal(sched_halt(&s.q, &s.e[1], s.now + 3000), 0);
	assert_int_equal(sched_halt(&s.q, &s.e[2], SCHED_NO_DEADLINE), 0);
	assert_int_equal(sched_block(&s.q, &s.e[3]), 0);
	d = sched_pick(&s.q, s.now);
	assert_null(d.next);
	assert_null(s.q.current);
	assert_int_equal(d.run_until, s.now + 3000);
	assert_int_equal(step(&s), IDLE);
	assert_int_equal(step(&s), 1);
	/* e1 halts again with no deadline: next wake-up is e0's. */
	assert_int_equal(sched_halt(&s.q, &s.e[1], SCHED_NO_DEADLINE), 0);
	d = sched_pick(&s.q, s.now);
	assert_null(d.next);
	assert_int_equal(d.run_until, 1000000 + 9000);
}

static void test_idle_forever_when_all_sleep_untimed(void **state)
{
	struct sim s;
	struct sched_decision d;

	sim_init(&s, 2, NULL);
	assert_int_equal(sched_halt(&s.q, &s.e[0], SCHED_NO_DEADLINE), 0);
	assert_int_equal(sched_block(&s.q, &s.e[1]), 0);
	d = sched_pick(&s.q, s.now);
	assert_null(d.next);
	assert_true(d.run_until == UINT64_MAX);
	assert_int_equal(step(&s), IDLE_FOREVER);
}

static void test_past_deadline_wakes_at_pick(void **state)
{
	struct sim s;

	sim_init(&s, 1, NULL);
	assert_int_equal(sched_halt(&s.q, &s.e[0], s.now - 1), 0);
	assert_int_equal(s.e[0].state, SCHED_HALTED);
	assert_int_equal(step(&s), 0);
	assert_int_equal(sched_halt(&s.q, &s.e[0], s.now), 0);
	assert_int_equal(step(&s), 0);
}

static void test_halt_again_replaces_deadline(void **state)
{
	struct sim s;
	struct sched_decision d;

	sim_init(&s, 2, NULL);
	assert_int_equal(sched_halt(&s.q, &s.e[1], s.now + 8000), 0);
	assert_int_equal(sched_halt(&s.q, &s.e[1], s.now + 300), 0);
	assert_int_equal(s.e[1].wake_at, s.now + 300);
	d = sched_pick(&s.q, s.now);
	assert_int_equal(d.run_until, s.now + 300);
}

static void test_blocked_ignores_time_until_woken(void **state)
{
	struct sim s;

	sim_init(&s, 2, NULL);
	assert_int_equal(sched_block(&s.q, &s.e[1]), 0);
	run(&s, 500);
	s.now += 1000000000ull;
	run(&s, 10);
	assert_int_equal(s.picks[1], 0);
	assert_int_equal(s.e[1].state, SCHED_BLOCKED);
	/* A blocked entity keeps no deadline even if it had one. */
	assert_int_equal(sched_halt(&s.q, &s.e[1], s.now + 5), 0);
	assert_int_equal(sched_block(&s.q, &s.e[1]), 0);
	assert_int_equal(s.e[1].wake_at, SCHED_NO_DEADLINE);
	assert_true(sched_wake(&s.q, &s.e[1]));
	assert_int_equal(step(&s), 1);
}

/* ---- yielding (a guest's PAUSE) ---- */

static void test_yield_alone_changes_nothing(void **state)
{
	struct sim s;
	struct sched_entity stranger;
	uint64_t vr;

	sim_init(&s, 3, NULL);
	run(&s, 6);
	assert_int_equal(sched_block(&s.q, &s.e[1]), 0);
	assert_int_equal(sched_halt(&s.q, &s.e[2], SCHED_NO_DEADLINE), 0);
	vr = s.e[0].vruntime;
	assert_false(sched_yield(&s.q, &s.e[0])); /* the others cannot run */
	assert_int_equal(s.e[0].vruntime, vr);
	memset(&stranger, 0, sizeof(stranger));
	assert_false(sched_yield(&s.q, &stranger));
	assert_false(sched_yield(NULL, &s.e[0]));
}

static void test_yield_gives_way_to_the_least(void **state)
{
	struct sim s;
	struct sched_decision d;

	sim_init(&s, 3, NULL);
	run(&s, 9);
	d = sched_pick(&s.q, s.now);
	assert_non_null(d.next);
	assert_int_equal(sched_account(&s.q, d.next, 10), 0); /* spun a little */
	assert_true(sched_yield(&s.q, d.next));
	for (int i = 0; i < 3; i++)
		if (&s.e[i] != d.next)
			assert_true(d.next->vruntime > s.e[i].vruntime);
	assert_ptr_not_equal(sched_pick(&s.q, s.now).next, d.next);
}

/* A spinner that yields after every short burst never gets more than a
 * worker that uses its whole slices, and its vruntime never goes back. */
static void test_yield_buys_no_time(void **state)
{
	struct sim s;
	uint64_t last = 0;

	sim_init(&s, 2, NULL);
	for (int round = 0; round < 2000; round++) {
		struct sched_decision d = sched_pick(&s.q, s.now);
		uint64_t ran = d.next == &s.e[0] ? 5 : d.run_until - s.now;

		assert_int_equal(sched_account(&s.q, d.next, ran), 0);
		s.now += ran;
		if (d.next == &s.e[0]) {
			assert_true(sched_yield(&s.q, &s.e[0]));
			assert_true(s.e[0].vruntime >= last);
			last = s.e[0].vruntime;
		}
	}
	assert_true(s.e[0].runtime <= s.e[1].runtime);
	assert_true(s.e[1].runtime > 0);
}

/* ---- waking ---- */

static void test_wake_is_idempotent(void **state)
{
	struct sim s;
	uint64_t vr;

	sim_init(&s, 2, NULL);
	run(&s, 10);
	vr = s.e[1].vruntime;
	assert_false(sched_wake(&s.q, &s.e[1])); /* already runnable */
	assert_int_equal(s.e[1].vruntime, vr);
	assert_int_equal(sched_block(&s.q, &s.e[1]), 0);
	run(&s, 100);
	sched_wake(&s.q, &s.e[1]);
	vr = s.e[1].vruntime;
	assert_false(sched_wake(&s.q, &s.e[1]));
	assert_int_equal(s.e[1].vruntime, vr);
	assert_int_equal(s.e[1].state, SCHED_RUNNABLE);
}

static void test_sleeper_boost_is_one_slice(void **state)
{
	struct sim s;

	sim_init(&s, 2, NULL);
	assert_int_equal(sched_block(&s.q, &s.e[1]), 0);
	run(&s, 1000);
	sched_pick(&s.q, s.now); /* floor follows e0 */
	assert_int_equal(s.q.min_vruntime, s.e[0].vruntime);
	assert_true(sched_wake(&s.q, &s.e[1]));
	assert_int_equal(s.e[1].vruntime, s.e[0].vruntime - SLICE);
}

static void test_short_sleeper_keeps_its_vruntime(void **state)
{
	struct sim s;
	uint64_t vr;

	sim_init(&s, 2, NULL);
	run(&s, 12);
	/* e1 just ran and is level with e0 when it blocks; a sleep shorter
	 * than a slice earns it nothing and asks for no preemption. */
	assert_int_equal(s.e[0].vruntime, s.e[1].vruntime);
	assert_int_equal(sched_block(&s.q, &s.e[1]), 0);
	vr = s.e[1].vruntime;
	assert_ptr_equal(sched_pick(&s.q, s.now).next, &s.e[0]);
	assert_false(sched_wake(&s.q, &s.e[1]));
	assert_int_equal(s.e[1].vruntime, vr);
	/* After one slice away it is owed that slice, nothing more. */
	assert_int_equal(sched_block(&s.q, &s.e[1]), 0);
	assert_int_equal(step(&s), 0);
	assert_true(sched_wake(&s.q, &s.e[1]));
	assert_int_equal(s.e[1].vruntime, vr);
	assert_int_equal(s.e[0].vruntime - s.e[1].vruntime, SLICE);
}

static void test_woken_sleeper_runs_soon_but_shares(void **state)
{
	struct sim s;

	sim_init(&s, 2, NULL);
	assert_int_equal(sched_halt(&s.q, &s.e[1], SCHED_NO_DEADLINE), 0);
	run(&s, 5000);
	assert_int_equal(s.picks[1], 0);
	sched_wake(&s.q, &s.e[1]);
	assert_int_equal(step(&s), 1);
	memset(s.picks, 0, sizeof(s.picks));
	run(&s, 100);
	/* Five thousand slices of sleep bought at most one extra slice. */
	assert_in_range(s.picks[1], 49, 51);
}

static void test_wake_hint(void **state)
{
	struct sim s;

	/* Idle pCPU: any wake asks for a pick. */
	sim_init(&s, 1, NULL);
	assert_int_equal(sched_block(&s.q, &s.e[0]), 0);
	assert_null(sched_pick(&s.q, s.now).next);
	assert_true(sched_wake(&s.q, &s.e[0]));

	/* A long sleeper behind the current entity preempts it. */
	sim_init(&s, 2, NULL);
	assert_int_equal(sched_block(&s.q, &s.e[1]), 0);
	run(&s, 20);
	assert_ptr_equal(sched_pick(&s.q, s.now).next, &s.e[0]);
	assert_true(sched_wake(&s.q, &s.e[1]));

	/* A sleeper about level with the current entity does not. */
	sim_init(&s, 2, NULL);
	run(&s, 20);
	assert_int_equal(sched_block(&s.q, &s.e[0]), 0);
	assert_ptr_equal(sched_pick(&s.q, s.now).next, &s.e[1]);
	assert_false(sched_wake(&s.q, &s.e[0]));
}

/* ---- removal and weight changes ---- */

static void test_remove_current(void **state)
{
	struct sim s;
	struct sched_decision d;

	sim_init(&s, 3, NULL);
	d = sched_pick(&s.q, s.now);
	assert_ptr_equal(d.next, &s.e[0]);
	assert_int_equal(sched_remove(&s.q, &s.e[0]), 0);
	assert_null(s.q.current);
	assert_null(s.e[0].queue);
	assert_int_equal(s.q.count, 2);
	assert_ptr_equal(s.q.head, &s.e[1]);
	for (int round = 0; round < 100; round++)
		assert_int_not_equal(step(&s), 0);
	assert_int_equal(s.picks[1], 50);
	assert_int_equal(s.picks[2], 50);
	assert_int_equal(sched_remove(&s.q, &s.e[0]), -1);
}

static void test_remove_middle_and_all(void **state)
{
	struct sim s;

	sim_init(&s, 3, NULL);
	assert_int_equal(sched_remove(&s.q, &s.e[1]), 0);
	assert_ptr_equal(s.q.head->next, &s.e[2]);
	assert_ptr_equal(s.q.tail->prev, &s.e[0]);
	for (int round = 0; round < 10; round++)
		assert_int_equal(step(&s), round % 2 ? 2 : 0);
	assert_int_equal(sched_remove(&s.q, &s.e[2]), 0);
	assert_int_equal(sched_remove(&s.q, &s.e[0]), 0);
	assert_int_equal(s.q.count, 0);
	assert_null(s.q.head);
	assert_null(s.q.tail);
	assert_int_equal(step(&s), IDLE_FOREVER);
}

static void test_readd_after_remove(void **state)
{
	struct sim s;

	sim_init(&s, 2, NULL);
	run(&s, 100);
	assert_int_equal(sched_remove(&s.q, &s.e[0]), 0);
	run(&s, 100);
	/* Re-added at the floor: it neither owes the time it missed nor is
	 * owed it; the two alternate from here. */
	assert_int_equal(sched_add(&s.q, &s.e[0], 0), 0);
	assert_int_equal(s.e[0].runtime, 0);
	memset(s.picks, 0, sizeof(s.picks));
	run(&s, 100);
	assert_int_equal(s.picks[0], 50);
	assert_int_equal(s.picks[1], 50);
}

static void test_set_weight_validation(void **state)
{
	struct sim s;

	sim_init(&s, 1, NULL);
	assert_int_equal(sched_set_weight(&s.q, &s.e[0], 0), -1);
	assert_int_equal(sched_set_weight(&s.q, &s.e[0], SCHED_WEIGHT_MAX + 1), -1);
	assert_int_equal(s.e[0].weight, SCHED_WEIGHT_DEFAULT);
	assert_int_equal(sched_set_weight(&s.q, &s.e[0], SCHED_WEIGHT_MIN), 0);
	assert_int_equal(sched_set_weight(&s.q, &s.e[0], SCHED_WEIGHT_MAX), 0);
	assert_int_equal(s.e[0].weight, SCHED_WEIGHT_MAX);
}

static void test_set_weight_changes_share(void **state)
{
	struct sim s;
	uint64_t a0, b0, a, b;

	sim_init(&s, 2, NULL);
	run(&s, 1000);
	assert_int_equal(s.e[0].runtime, s.e[1].runtime);
	a0 = s.e[0].runtime;
	b0 = s.e[1].runtime;
	assert_int_equal(sched_set_weight(&s.q, &s.e[1], 300), 0);
	run(&s, 4000);
	a = s.e[0].runtime - a0;
	b = s.e[1].runtime - b0;
	assert_in_range(b * 1000 / a, 2940, 3060);
	/* And back: equal shares again. */
	assert_int_equal(sched_set_weight(&s.q, &s.e[1], 100), 0);
	memset(s.picks, 0, sizeof(s.picks));
	run(&s, 1000);
	assert_in_range(s.picks[1], 499, 501);
}

/* ---- arithmetic ---- */

static void test_account_carries_remainder(void **state)
{
	struct sched_queue q;
	struct sched_entity a = { 0 }, b = { 0 };

	assert_int_equal(sched_queue_init(&q, SLICE), 0);
	assert_int_equal(sched_add(&q, &a, 300), 0);
	assert_int_equal(sched_add(&q, &b, 7), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(sched_account(&q, &a, 1), 0);
	assert_int_equal(a.vruntime, 100);
	assert_int_equal(a.vruntime_rem, 0);
	assert_int_equal(sched_account(&q, &b, 3), 0);
	assert_int_equal(b.vruntime, 42);        /* 300 / 7 = 42 r 6 */
	assert_int_equal(sched_account(&q, &b, 4), 0);
	assert_int_equal(b.vruntime, 100);       /* 700 / 7 */
	assert_int_equal(b.vruntime_rem, 0);
	assert_int_equal(sched_account(&q, &b, 0), 0);
	assert_int_equal(b.vruntime, 100);
}

static void test_account_saturates(void **state)
{
	struct sim s;
	static const uint32_t w[] = { SCHED_WEIGHT_MIN, SCHED_WEIGHT_DEFAULT };

	sim_init(&s, 2, w);
	assert_int_equal(sched_account(&s.q, &s.e[0], UINT64_MAX), 0);
	assert_true(s.e[0].vruntime == UINT64_MAX);
	assert_true(s.e[0].runtime == UINT64_MAX);
	assert_int_equal(sched_account(&s.q, &s.e[0], UINT64_MAX), 0);
	assert_true(s.e[0].vruntime == UINT64_MAX);
	assert_true(s.e[0].vruntime_rem < SCHED_WEIGHT_MIN);
	assert_int_equal(sched_account(&s.q, &s.e[1], UINT64_MAX), 0);
	assert_true(s.e[1].vruntime == UINT64_MAX);
	/* Still a valid queue: picks and accounting go on. */
	run(&s, 10);
}

static void test_run_until_saturates(void **state)
{
	struct sim s;
	struct sched_decision d;

	sim_init(&s, 1, NULL);
	d = sched_pick(&s.q, UINT64_MAX - 10);
	assert_ptr_equal(d.next, &s.e[0]);
	assert_true(d.run_until == UINT64_MAX);
}

static void test_rebase_keeps_order_and_fairness(void **state)
{
	struct sim s;

	sim_init(&s, 3, NULL);
	assert_int_equal(sched_halt(&s.q, &s.e[2], SCHED_NO_DEADLINE), 0);
	/* Push the runnable entities' vruntime past 2^63. */
	assert_int_equal(sched_account(&s.q, &s.e[0], 1ull << 63), 0);
	assert_int_equal(sched_account(&s.q, &s.e[1], (1ull << 63) + 5 * SLICE), 0);
	assert_ptr_equal(sched_pick(&s.q, s.now).next, &s.e[0]);
	assert_true(s.q.min_vruntime < (1ull << 63));
	assert_true(s.e[0].vruntime < s.e[1].vruntime);
	assert_int_equal(s.e[1].vruntime - s.e[0].vruntime, 5 * SLICE);
	assert_int_equal(s.e[2].vruntime, 0);
	/* e0 catches up over five slices, then they alternate. */
	run(&s, 5);
	assert_int_equal(s.picks[0], 5);
	memset(s.picks, 0, sizeof(s.picks));
	run(&s, 100);
	assert_int_equal(s.picks[0], 50);
	/* The old sleeper gets the usual one-slice boost, not 2^62 of credit. */
	assert_true(sched_wake(&s.q, &s.e[2]));
	assert_int_equal(s.e[2].vruntime, s.q.min_vruntime - SLICE);
	memset(s.picks, 0, sizeof(s.picks));
	run(&s, 300);
	assert_in_range(s.picks[2], 100, 102);
}

/* ---- determinism ---- */

struct trace_entry {
	int who;
	uint64_t now;
};

static void scripted_run(struct trace_entry *trace, unsigned rounds)
{
	static const uint32_t w[] = { 100, 250, 50, 1000 };
	struct sim s;

	sim_init(&s, 4, w);
	for (unsigned round = 0; round < rounds; round++) {
		if (round % 7 == 3)
			sched_halt(&s.q, &s.e[round % 4], s.now + (round % 5) * 300);
		if (round % 11 == 5)
			sched_block(&s.q, &s.e[2]);
		if (round % 13 == 0)
			sched_wake(&s.q, &s.e[2]);
		if (round == rounds / 2)
			sched_set_weight(&s.q, &s.e[3], 10);
		trace[round].who = step(&s);
		trace[round].now = s.now;
	}
}

static void test_determinism(void **state)
{
	enum { ROUNDS = 2000 };
	static struct trace_entry first[ROUNDS], second[ROUNDS];
	unsigned ran[4] = { 0 };

	memset(first, 0, sizeof(first));
	memset(second, 0, sizeof(second));
	scripted_run(first, ROUNDS);
	scripted_run(second, ROUNDS);
	assert_memory_equal(first, second, sizeof(first));
	for (unsigned i = 0; i < ROUNDS; i++)
		if (first[i].who >= 0)
			ran[first[i].who]++;
	for (unsigned i = 0; i < 4; i++)
		assert_true(ran[i] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_defaults),
		cmocka_unit_test(test_init_rejects_bad_slice),
		cmocka_unit_test(test_set_slice_validation),
		cmocka_unit_test(test_add_weights_and_defaults),
		cmocka_unit_test(test_foreign_entity_rejected),
		cmocka_unit_test(test_single_entity_gets_full_slice),
		cmocka_unit_test(test_equal_weights_round_robin),
		cmocka_unit_test(test_weights_100_300_split_1_to_3),
		cmocka_unit_test(test_three_weights_share),
		cmocka_unit_test(test_extreme_weights_light_not_starved),
		cmocka_unit_test(test_spinner_never_starves_parent),
		cmocka_unit_test(test_parent_added_late_not_starved),
		cmocka_unit_test(test_interactive_parent_runs_soon_after_wake),
		cmocka_unit_test(test_halted_consumes_nothing_until_deadline),
		cmocka_unit_test(test_halted_without_deadline_waits_for_wake),
		cmocka_unit_test(test_deadline_shortens_slice),
		cmocka_unit_test(test_min_granularity_bounds_short_deadline),
		cmocka_unit_test(test_idle_returns_earliest_deadline),
		cmocka_unit_test(test_idle_forever_when_all_sleep_untimed),
		cmocka_unit_test(test_past_deadline_wakes_at_pick),
		cmocka_unit_test(test_halt_again_replaces_deadline),
		cmocka_unit_test(test_blocked_ignores_time_until_woken),
		cmocka_unit_test(test_wake_is_idempotent),
		cmocka_unit_test(test_sleeper_boost_is_one_slice),
		cmocka_unit_test(test_short_sleeper_keeps_its_vruntime),
		cmocka_unit_test(test_woken_sleeper_runs_soon_but_shares),
		cmocka_unit_test(test_wake_hint),
		cmocka_unit_test(test_remove_current),
		cmocka_unit_test(test_remove_middle_and_all),
		cmocka_unit_test(test_readd_after_remove),
		cmocka_unit_test(test_set_weight_validation),
		cmocka_unit_test(test_set_weight_changes_share),
		cmocka_unit_test(test_account_carries_remainder),
		cmocka_unit_test(test_account_saturates),
		cmocka_unit_test(test_run_until_saturates),
		cmocka_unit_test(test_rebase_keeps_order_and_fairness),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_yield_alone_changes_nothing),
		cmocka_unit_test(test_yield_gives_way_to_the_least),
		cmocka_unit_test(test_yield_buys_no_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
