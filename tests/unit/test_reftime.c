/*
 * Host unit tests for reference time from the TSC (hv/reftime.c): the scale
 * and offset a child's reference TSC page carries (TLFS "Timers", reference
 * time = ((TSC * scale) >> 64) + offset, 100 ns units) and that
 * HV_X64_MSR_TIME_REF_COUNT uses, checked against exact 128-bit arithmetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hv/reftime.h"

typedef unsigned __int128 u128;

static const uint64_t rates[] = {
	REFTIME_HZ + 1, 16000000, 100000000, 1000000000, 2100127000, 2999999999, 3000000007,
	5300000000ull, 1ull << 40,
};

static const uint64_t zeros[] = { 0, 1, 0x123456789ull, 1ull << 40, 0x7fffffffffffull, 1ull << 62 };

/* floor(delta * REFTIME_HZ / rate): the exact reference time. */
static uint64_t exact(uint64_t delta, uint64_t rate)
{
	return (uint64_t)((u128)delta * REFTIME_HZ / rate);
}

static void refuses_slow_clocks(void **state)
{
	struct reftime r;

	(void)state;
	assert_int_equal(reftime_init(&r, 0, 0), -1);
	assert_int_equal(reftime_init(&r, 1000000, 0), -1);
	assert_int_equal(reftime_init(&r, REFTIME_HZ, 0), -1);
	assert_int_equal(reftime_init(&r, REFTIME_HZ + 1, 0), 0);
}

/* The scale is the 0.64 fraction REFTIME_HZ / rate, rounded down. */
static void scale_is_exact_fraction(void **state)
{
	struct reftime r;

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		assert_int_equal(reftime_init(&r, rates[i], 0), 0);
		assert_true((u128)r.scale == ((u128)REFTIME_HZ << 64) / rates[i]);
		assert_int_equal(r.offset, 0);
	}
}

/* Reference time 0 is at tsc_zero, whatever the rate. */
static void zero_at_tsc_zero(void **state)
{
	struct reftime r;

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		for (size_t j = 0; j < sizeof(zeros) / sizeof(zeros[0]); j++) {
			assert_int_equal(reftime_init(&r, rates[i], zeros[j]), 0);
			assert_true(r.offset <= 0);
			assert_int_equal(reftime_of_tsc(&r, zeros[j]), 0);
		}
}

/* Within one unit of the exact time, over a microsecond to ten years. */
static void within_one_unit(void **state)
{
	static const uint64_t seconds_x1000[] = { 0, 1, 1000, 3600000, 86400000, 315360000000ull };
	struct reftime r;

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		for (size_t j = 0; j < sizeof(zeros) / sizeof(zeros[0]); j++) {
			assert_int_equal(reftime_init(&r, rates[i], zeros[j]), 0);
			for (size_t k = 0; k < sizeof(seconds_x1000) / sizeof(seconds_x1000[0]); k++) {
				uint64_t delta = (uint64_t)((u128)rates[i] * seconds_x1000[k] / 1000) + 7;
				uint64_t got, want;

				if (zeros[j] + delta < zeros[j])
					continue; /* the TSC would wrap */
				got = reftime_of_tsc(&r, zeros[j] + delta);
				want = exact(delta, rates[i]);
				assert_true(got + 1 >= want && got <= want + 1);
			}
		}
}

/* Never backwards, and every REFTIME_HZ-th of a second counts. */
static void monotonic(void **state)
{
	struct reftime r;

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		uint64_t step = rates[i] / REFTIME_HZ, prev, tsc = zeros[3];

		assert_int_equal(reftime_init(&r, rates[i], zeros[3]), 0);
		prev = reftime_of_tsc(&r, tsc);
		for (int n = 0; n < 100000; n++) {
			uint64_t now;

			tsc += (uint64_t)n % 3 == 0 ? 1 : step;
			now = reftime_of_tsc(&r, tsc);
			assert_true(now >= prev && now <= prev + 2);
			prev = now;
		}
	}
}

/* 2.1 GHz: 210 ticks a unit, scale 2^64 / 210 rounded down. */
static void worked_example(void **state)
{
	struct reftime r;

	(void)state;
	assert_int_equal(reftime_init(&r, 2100000000, 1000), 0);
	assert_int_equal(r.scale, 0x0138138138138138ull);
	assert_int_equal(reftime_of_tsc(&r, 1000 + 2100000000ull), REFTIME_HZ);          /* 1 s */
	assert_int_equal(reftime_of_tsc(&r, 1000 + 2100000000ull * 3600), 36000000000ull); /* 1 h */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refuses_slow_clocks),
		cmocka_unit_test(scale_is_exact_fraction),
		cmocka_unit_test(zero_at_tsc_zero),
		cmocka_unit_test(within_one_unit),
		cmocka_unit_test(monotonic),
		cmocka_unit_test(worked_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
