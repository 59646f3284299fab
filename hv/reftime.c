/* Reference time from the TSC; contract in reftime.h. */
#include "hv/reftime.h"

/* (n << 64) / d for n < d, bit by bit: the hypervisor links no 128-bit
 * division. */
static uint64_t fraction64(uint64_t n, uint64_t d)
{
	uint64_t q = 0;

	for (int i = 0; i < 64; i++) {
		uint64_t carry = n >> 63;

		n <<= 1;
		q <<= 1;
		if (carry || n >= d) {
			n -= d;
			q |= 1;
		}
	}
	return q;
}

int reftime_init(struct reftime *r, uint64_t tsc_hz, uint64_t tsc_zero)
{
	if (tsc_hz <= REFTIME_HZ)
		return -1;
	r->scale = fraction64(REFTIME_HZ, tsc_hz);
	r->offset = 0;
	r->offset = -(int64_t)reftime_of_tsc(r, tsc_zero);
	return 0;
}
