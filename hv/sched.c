/*
 * Weighted fair scheduling decisions for one pCPU's run queue; the contracts
 * are in hv/sched.h.  Queues are short (the VPs placed on one pCPU), so every
 * decision is a scan of the queue in order of addition, which is also what
 * makes ties deterministic.
 */
#include "hv/sched.h"

/* Once the floor reaches REBASE_AT, every vruntime on the queue drops by
 * floor - REBASE_KEEP: ordering is preserved, the floor lands at
 * REBASE_KEEP, and vruntimes (bounded by the floor plus a few weighted
 * slices for runnable entities) never come near UINT64_MAX.  Entities far
 * behind clamp at 0, still below floor - slice, so the sleeper clamp is
 * unaffected. */
#define REBASE_AT   (1ull << 63)
#define REBASE_KEEP (1ull << 62)

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static bool on_queue(const struct sched_queue *q, const struct sched_entity *e)
{
	return q && e && e->queue == q;
}

static bool weight_valid(uint32_t weight)
{
	return weight >= SCHED_WEIGHT_MIN && weight <= SCHED_WEIGHT_MAX;
}

/* Advance the floor to the smallest runnable vruntime (never backwards),
 * rebasing the whole queue when it grows large. */
static void update_floor(struct sched_queue *q)
{
	struct sched_entity *e;
	bool any = false;
	uint64_t least = 0;

	for (e = q->head; e; e = e->next) {
		if (e->state != SCHED_RUNNABLE)
			continue;
		if (!any || e->vruntime < least)
			least = e->vruntime;
		any = true;
	}
	if (any && least > q->min_vruntime)
		q->min_vruntime = least;

	if (q->min_vruntime >= REBASE_AT) {
		uint64_t base = q->min_vruntime - REBASE_KEEP;

		for (e = q->head; e; e = e->next)
			e->vruntime = e->vruntime > base ? e->vruntime - base : 0;
		q->min_vruntime -= base;
	}
}

/* HALTED/BLOCKED -> RUNNABLE, raising vruntime to at least floor - slice:
 * at most one slice of credit survives a sleep.  Requires a current floor. */
static void make_runnable(struct sched_queue *q, struct sched_entity *e)
{
	uint64_t bound = q->min_vruntime > q->slice ? q->min_vruntime - q->slice : 0;

	if (e->vruntime < bound) {
		e->vruntime = bound;
		e->vruntime_rem = 0;
	}
	e->state = SCHED_RUNNABLE;
	e->wake_at = SCHED_NO_DEADLINE;
}

int sched_queue_init(struct sched_queue *q, uint64_t slice)
{
	if (!q || slice == 0 || slice > SCHED_SLICE_MAX)
		return -1;
	*q = (struct sched_queue){
		.slice = slice,
		.min_granularity = slice / 4 ? slice / 4 : 1,
	};
	return 0;
}

int sched_set_slice(struct sched_queue *q, uint64_t slice, uint64_t min_granularity)
{
	if (!q || min_granularity == 0 || min_granularity > slice || slice > SCHED_SLICE_MAX)
		return -1;
	q->slice = slice;
	q->min_granularity = min_granularity;
	return 0;
}

int sched_add(struct sched_queue *q, struct sched_entity *e, uint32_t weight)
{
	if (weight == 0)
		weight = SCHED_WEIGHT_DEFAULT;
	if (!q || !e || e->queue || !weight_valid(weight))
		return -1;

	update_floor(q);
	*e = (struct sched_entity){
		.prev = q->tail,
		.queue = q,
		.state = SCHED_RUNNABLE,
		.weight = weight,
		.vruntime = q->min_vruntime,
		.wake_at = SCHED_NO_DEADLINE,
	};
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	q->count++;
	return 0;
}

int sched_remove(struct sched_queue *q, struct sched_entity *e)
{
	if (!on_queue(q, e))
		return -1;
	if (e->prev)
		e->prev->next = e->next;
	else
		q->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		q->tail = e->prev;
	if (q->current == e)
		q->current = NULL;
	q->count--;
	e->prev = e->next = NULL;
	e->queue = NULL;
	return 0;
}

struct sched_decision sched_pick(struct sched_queue *q, uint64_t now)
{
	struct sched_decision d = { .next = NULL, .run_until = UINT64_MAX };
	uint64_t earliest = SCHED_NO_DEADLINE, shortest;
	struct sched_entity *e;

	if (!q)
		return d;
	/* The floor (and so the sleeper clamp) counts only entities that were
	 * runnable before this pick's timed wake-ups. */
	update_floor(q);
	for (e = q->head; e; e = e->next) {
		if (e->state == SCHED_HALTED && e->wake_at <= now)
			make_runnable(q, e);
		if (e->state == SCHED_HALTED && e->wake_at < earliest)
			earliest = e->wake_at;
		if (e->state != SCHED_RUNNABLE)
			continue;
		if (!d.next || e->vruntime < d.next->vruntime)
			d.next = e;
	}
	q->current = d.next;

	if (!d.next) {
		d.run_until = earliest;
		return d;
	}
	d.run_until = add_saturating(now, q->slice);
	if (earliest < d.run_until) {
		shortest = add_saturating(now, q->min_granularity);
		d.run_until = earliest > shortest ? earliest : shortest;
	}
	return d;
}

int sched_account(struct sched_queue *q, struct sched_entity *e, uint64_t ran)
{
	uint64_t weight, whole, part, charge;

	if (!on_queue(q, e))
		return -1;
	/* ran * 100 / weight without forming ran * 100: split ran = whole *
	 * weight + rest; rest * 100 + remainder < 101 * SCHED_WEIGHT_MAX. */
	weight = e->weight;
	whole = ran / weight;
	part = (ran % weight) * SCHED_WEIGHT_DEFAULT + e->vruntime_rem;
	charge = whole > UINT64_MAX / SCHED_WEIGHT_DEFAULT ? UINT64_MAX : whole * SCHED_WEIGHT_DEFAULT;
	charge = add_saturating(charge, part / weight);
	e->vruntime_rem = (uint32_t)(part % weight);
	e->vruntime = add_saturating(e->vruntime, charge);
	e->runtime = add_saturating(e->runtime, ran);
	return 0;
}

int sched_halt(struct sched_queue *q, struct sched_entity *e, uint64_t wake_at)
{
	if (!on_queue(q, e))
		return -1;
	e->state = SCHED_HALTED;
	e->wake_at = wake_at;
	if (q->current == e)
		q->current = NULL;
	return 0;
}

int sched_block(struct sched_queue *q, struct sched_entity *e)
{
	if (!on_queue(q, e))
		return -1;
	e->state = SCHED_BLOCKED;
	e->wake_at = SCHED_NO_DEADLINE;
	if (q->current == e)
		q->current = NULL;
	return 0;
}

bool sched_wake(struct sched_queue *q, struct sched_entity *e)
{
	const struct sched_entity *cur;

	if (!on_queue(q, e) || e->state == SCHED_RUNNABLE)
		return false;
	update_floor(q);
	make_runnable(q, e);

	cur = q->current;
	if (!cur)
		return true;
	return cur->vruntime > e->vruntime && cur->vruntime - e->vruntime > q->min_granularity;
}

bool sched_yield(struct sched_queue *q, struct sched_entity *e)
{
	const struct sched_entity *o, *least = NULL;

	if (!on_queue(q, e))
		return false;
	for (o = q->head; o; o = o->next)
		if (o != e && o->state == SCHED_RUNNABLE && (!least || o->vruntime < least->vruntime))
			least = o;
	if (!least)
		return false;
	if (e->vruntime <= least->vruntime) {
		e->vruntime = add_saturating(least->vruntime, 1);
		e->vruntime_rem = 0;
	}
	return true;
}

int sched_set_weight(struct sched_queue *q, struct sched_entity *e, uint32_t weight)
{
	if (!on_queue(q, e) || !weight_valid(weight))
		return -1;
	e->weight = weight;
	e->vruntime_rem = 0; /* a fraction of one unit under the old weight */
	return 0;
}
