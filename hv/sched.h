/*
 * The scheduler's decision logic: one run queue per physical CPU, weighted
 * fair sharing by virtual runtime.  Pure: no hardware, no allocation, no
 * locks.  Every function requires the caller to hold the lock of the pCPU
 * that owns the queue; fields marked (q) are protected by it.  Time is an
 * opaque, monotonically increasing count (TSC ticks) called "clock units".
 *
 * An entity's weighted virtual runtime (vruntime) grows by
 * ran * SCHED_WEIGHT_DEFAULT / weight for every `ran` clock units it is
 * charged, so an entity of weight 300 is charged a third of what one of
 * weight 100 is.  sched_pick always runs the runnable entity with the
 * smallest vruntime (earliest added wins a tie), which shares the CPU in
 * proportion to weight among entities that stay runnable: with all weights
 * equal and N entities runnable, each runs at least once every N slices; an
 * entity of weight w waits at most about (sum of runnable weights) / w
 * slices.  Nothing an entity does (spinning with interrupts off included)
 * keeps another runnable entity off the CPU beyond that.
 *
 * The queue's floor (min_vruntime) follows the smallest vruntime of the
 * runnable entities and never goes back.  An entity that becomes runnable
 * after sleeping has its vruntime raised to at least floor - one slice:
 * a sleeper cannot hoard credit, but it runs soon after it wakes.
 *
 * Typical use by the pCPU's run loop:
 *     d = sched_pick(q, now);  run d.next (or idle) until d.run_until or an
 *     exit;  sched_account(q, d.next, elapsed);  then sched_halt/sched_block
 *     if the VP stopped, and pick again.
 */
#ifndef KEEL_HV_SCHED_H
#define KEEL_HV_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_WEIGHT_MIN     1u
#define SCHED_WEIGHT_MAX     10000u
#define SCHED_WEIGHT_DEFAULT 100u
#define SCHED_NO_DEADLINE    UINT64_MAX       /* sched_halt: no timed wake-up */
#define SCHED_SLICE_MAX      (1ull << 48)     /* keeps floor arithmetic far from overflow */

enum sched_state {
	SCHED_RUNNABLE, /* may be picked */
	SCHED_HALTED,   /* waits for an interrupt or its wake_at deadline */
	SCHED_BLOCKED,  /* waits for an explicit sched_wake (e.g. an intercept reply) */
};

/*
 * Embedded in the object being scheduled (struct vp); reach the container
 * with container_of.  A zeroed entity is on no queue.  Fields are read-only
 * outside hv/sched.c.
 */
struct sched_entity {
	struct sched_entity *prev, *next; /* (q) queue links, in order of addition */
	struct sched_queue *queue;        /* (q) NULL while on no queue */
	enum sched_state state;           /* (q) */
	uint32_t weight;                  /* (q) SCHED_WEIGHT_MIN..SCHED_WEIGHT_MAX */
	uint32_t vruntime_rem;            /* (q) remainder of the weighted charge, < weight */
	uint64_t vruntime;                /* (q) weighted virtual runtime */
	uint64_t wake_at;                 /* (q) HALTED: absolute deadline or SCHED_NO_DEADLINE */
	uint64_t runtime;                 /* (q) clock units charged in total (saturating) */
};

struct sched_queue {
	struct sched_entity *head, *tail; /* (q) every entity on the queue, any state */
	struct sched_entity *current;     /* (q) last picked; NULL once it stops being runnable */
	uint64_t slice;                   /* (q) longest uninterrupted run, clock units */
	uint64_t min_granularity;         /* (q) shortest run a timed wake-up may cut a slice to */
	uint64_t min_vruntime;            /* (q) the floor, monotonic (see above) */
	unsigned count;                   /* (q) entities on the queue */
};

/* What to run next.  `next` NULL means idle.  `run_until` is the absolute
 * deadline for the preemption timer: now + slice, or earlier (but not
 * before now + min_granularity) when a halted entity's wake-up deadline
 * comes first; when idle, the earliest wake-up deadline or UINT64_MAX. */
struct sched_decision {
	struct sched_entity *next;
	uint64_t run_until;
};

/* Empty queue with time slice `slice` (1..SCHED_SLICE_MAX) and minimum
 * granularity slice / 4 (at least 1).  Returns 0, or -1 (queue untouched)
 * for an out-of-range slice. */
int sched_queue_init(struct sched_queue *q, uint64_t slice);

/* Change the slice and minimum granularity: 1 <= min_granularity <= slice
 * <= SCHED_SLICE_MAX, else -1 and nothing changes.  Takes effect at the
 * next sched_pick. */
int sched_set_slice(struct sched_queue *q, uint64_t slice, uint64_t min_granularity);

/* Put `e` (on no queue; its fields need not be initialised otherwise) on
 * `q`, RUNNABLE, with vruntime = the queue's floor, so it neither owes nor
 * is owed time.  weight 0 selects SCHED_WEIGHT_DEFAULT.  Returns 0, or -1
 * if weight > SCHED_WEIGHT_MAX or e->queue is not NULL. */
int sched_add(struct sched_queue *q, struct sched_entity *e, uint32_t weight);

/* Take `e` off `q` whatever its state; if it was current, the queue has
 * no current entity until the next pick.  Moving an entity to another
 * pCPU is remove + add: its vruntime restarts at the new queue's floor.
 * Returns 0, or -1 if e is not on q. */
int sched_remove(struct sched_queue *q, struct sched_entity *e);

/* Decide what runs from `now`.  First makes RUNNABLE every halted entity
 * whose deadline is <= now (with the sleeper clamp), then picks the
 * runnable entity with the smallest vruntime, ties to the earliest added.
 * The result depends only on the queue's state and `now`; it becomes
 * q->current. */
struct sched_decision sched_pick(struct sched_queue *q, uint64_t now);

/* Charge `ran` clock units to `e` (any state; normally the entity just
 * run): vruntime += ran * 100 / weight, exact over successive calls (the
 * remainder is carried), saturating instead of wrapping.  Returns 0, or -1
 * if e is not on q. */
int sched_account(struct sched_queue *q, struct sched_entity *e, uint64_t ran);

/* Mark `e` HALTED until `wake_at` (absolute; SCHED_NO_DEADLINE = only an
 * explicit sched_wake), from any state; on a halted entity this replaces
 * the deadline.  A deadline <= the next pick's `now` wakes it at that pick.
 * Returns 0, or -1 if e is not on q. */
int sched_halt(struct sched_queue *q, struct sched_entity *e, uint64_t wake_at);

/* Mark `e` BLOCKED until sched_wake, from any state.  Returns 0, or -1 if
 * e is not on q. */
int sched_block(struct sched_queue *q, struct sched_entity *e);

/* Make a HALTED or BLOCKED `e` RUNNABLE (with the sleeper clamp); a no-op
 * on a runnable entity or one not on q.  Returns true when the caller
 * should call sched_pick now rather than at the current deadline: e became
 * runnable and either nothing is current (the pCPU idles) or the current
 * entity is ahead of e by more than min_granularity of vruntime. */
bool sched_wake(struct sched_queue *q, struct sched_entity *e);

/* `e` gives way (its guest spins, most likely on something another entity
 * holds): when another entity on q is runnable, e's vruntime rises to just
 * past the least of theirs, so the next pick takes one of them, and true
 * is returned; else nothing changes and false is returned.  e pays what it
 * skips ahead, so yielding never buys CPU time. */
bool sched_yield(struct sched_queue *q, struct sched_entity *e);

/* Set e's weight (SCHED_WEIGHT_MIN..SCHED_WEIGHT_MAX); it applies to time
 * charged from now on.  Returns 0, or -1 (nothing changed) for an
 * out-of-range weight or an e not on q. */
int sched_set_weight(struct sched_queue *q, struct sched_entity *e, uint32_t weight);

#endif
