/* Test-and-test-and-set spinlock; interrupts stay as they are. */
#ifndef KEEL_HV_SPINLOCK_H
#define KEEL_HV_SPINLOCK_H

struct spinlock {
	volatile int locked;
};

/* A wait far longer than any critical section (about 2^27 spins): said
 * once per wait in the log (hv/log.c), so that a deadlock shows where it
 * is; the wait goes on.  Weak: host unit tests link without it. */
#define SPIN_STALL_SPINS (1ul << 27)
void spin_lock_stalled(const struct spinlock *l, const void *caller) __attribute__((weak, cold));

static inline void spin_lock(struct spinlock *l)
{
	unsigned long spins = 0;

	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked) {
			__asm__ volatile("pause");
			if (__builtin_expect(++spins == SPIN_STALL_SPINS, 0) && spin_lock_stalled)
				spin_lock_stalled(l, __builtin_return_address(0));
		}
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
