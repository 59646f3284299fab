/*
 * neighbour.elf: one of two (or more) children that share a pCPU, each
 * keeping its own marker in processor state the hypervisor must switch
 * between VPs: x87 and SSE registers (and AVX's upper halves where the CPU
 * has AVX), XCR0, CR2, DR0-DR3, KERNEL_GS_BASE, TSC_AUX and PAT.  The marker
 * comes from the RAM size, so children of different sizes hold different
 * ones.  It checks them in a tight loop (each round also exits once, for
 * for each of the KERNEL_GS_BASE and PAT reads) and counts the times it was away from the CPU
 * (a jump of the TSC longer than SLICE_GAP_US) until it has been away
 * SLICES times, then reports "PASS/FAIL neighbour: state kept".  It goes
 * on checking (a neighbour for the others) until the host asks it to stop
 * (test device), then reports any loss since the verdict and stops.
 */
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

const char guest_name[] = "neighbour";

#define SLICES       1000u   /* times away from the CPU before the verdict */
#define SLICE_GAP_US 300u    /* a TSC jump this long means another VP ran */
#define REF_LIMIT    (120ull * 10000000u) /* give up after 120 s of reference time */

#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX        0xc0000103u
#define MSR_PAT            0x277u
#define CR4_OSFXSR         (1ul << 9)
#define CR4_OSXMMEXCPT     (1ul << 10)
#define CR4_OSXSAVE        (1ul << 18)

/* FXSAVE image: ST0-7 at 32 (16 bytes each), XMM0-15 at 160. */
#define FX_ST   32u
#define FX_XMM  160u
#define FX_END  416u

static uint8_t fx_want[512] __attribute__((aligned(64)));
static uint8_t fx_got[512] __attribute__((aligned(64)));
static uint8_t xs_got[4096] __attribute__((aligned(64)));
static uint8_t ymm_want[256];
static uint32_t ymm_offset; /* of the YMM_Hi128 component in the XSAVE image */
static bool has_avx, has_rdtscp;

enum { K_FPU, K_AVX, K_XCR0, K_CR2, K_DR, K_KGS, K_TSC_AUX, K_PAT, K_COUNT };
static const char *const kind_name[K_COUNT] = { "x87/sse", "avx", "xcr0", "cr2", "dr0-3", "kernel_gs_base",
						 "tsc_aux", "pat" };
static uint64_t bad[K_COUNT];

static uint64_t read_dr(unsigned i)
{
	uint64_t v = 0;

	switch (i) {
	case 0: __asm__ volatile("mov %%db0, %0" : "=r"(v)); break;
	case 1: __asm__ volatile("mov %%db1, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%db2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%db3, %0" : "=r"(v)); break;
	}
	return v;
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

/* Fill x87, SSE (and AVX) registers with the marker: every XMM register
 * and every upper YMM half a different 16 bytes, ST0-7 integers. */
static void load_vector_state(uint64_t m)
{
	static uint64_t src[2 * 16] __attribute__((aligned(32)));

	for (unsigned i = 0; i < 16; i++) {
		src[2 * i] = m + i;
		src[2 * i + 1] = ~(m + i);
	}
	__asm__ volatile("fninit" ::: "memory");
	for (unsigned i = 0; i < 8; i++) {
		int64_t v = (int64_t)(m >> 8) + i;

		__asm__ volatile("fildq %0" ::"m"(v) : "memory");
	}
#define XMM(n) __asm__ volatile("movdqu %0, %%xmm" #n ::"m"(src[2 * n]) : "memory")
	XMM(0); XMM(1); XMM(2); XMM(3); XMM(4); XMM(5); XMM(6); XMM(7);
	XMM(8); XMM(9); XMM(10); XMM(11); XMM(12); XMM(13); XMM(14); XMM(15);
#undef XMM
	if (has_avx) {
		/* vinsertf128 $1 puts 16 bytes in the upper half. */
#define YMM(n) __asm__ volatile("vinsertf128 $1, %0, %%ymm" #n ", %%ymm" #n ::"m"(src[2 * (15 - n)]) : "memory")
		YMM(0); YMM(1); YMM(2); YMM(3); YMM(4); YMM(5); YMM(6); YMM(7);
		YMM(8); YMM(9); YMM(10); YMM(11); YMM(12); YMM(13); YMM(14); YMM(15);
#undef YMM
	}
}

static void snapshot(void)
{
	__asm__ volatile("fxsave64 %0" : "=m"(fx_got)::"memory");
	if (has_avx)
		__asm__ volatile("xsave64 %0" : "=m"(xs_got) : "a"(4u), "d"(0u) : "memory");
}

/* A PAT of memory types only (0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-), one
 * per entry, starting where the marker says. */
static uint64_t pat_marker(uint64_t m)
{
	static const uint8_t types[] = { 0, 1, 4, 5, 6, 7 };
	uint64_t pat = 0;

	for (unsigned i = 0; i < 8; i++)
		pat |= (uint64_t)types[((m >> 24) + i * (1 + ((m >> 24) & 3))) % 6] << (8 * i);
	return pat;
}

static void check(uint64_t m, uint64_t kgs, uint32_t aux)
{
	snapshot();
	if (memcmp(fx_got + FX_ST, fx_want + FX_ST, FX_END - FX_ST) ||
	    *(uint32_t *)(fx_got + 24) != *(uint32_t *)(fx_want + 24)) /* MXCSR */
		bad[K_FPU]++;
	if (has_avx && (memcmp(xs_got + ymm_offset, ymm_want, sizeof(ymm_want)) || xgetbv0() != 7))
		bad[xgetbv0() != 7 ? K_XCR0 : K_AVX]++;
	if (read_cr2() != m)
		bad[K_CR2]++;
	for (unsigned i = 0; i < 4; i++)
		if (read_dr(i) != m + 0x1000 * i)
			bad[K_DR]++;
	if (rdmsr(MSR_KERNEL_GS_BASE) != kgs)
		bad[K_KGS]++;
	if (rdmsr(MSR_PAT) != pat_marker(m))
		bad[K_PAT]++;
	if (has_rdtscp) {
		uint32_t lo, hi, c;

		__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
		if (c != aux)
			bad[K_TSC_AUX]++;
	}
}

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	uint64_t m = 0x00004e0000000000ull | (ram_bytes >> 20) << 24 | 0x5a5a00; /* canonical, < 2^47 */
	uint64_t kgs = m | 0x123, hz = rdmsr(HV_X64_MSR_TSC_FREQUENCY), gap, last, away = 0, rounds = 0;
	uint64_t ref0 = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
	uint32_t r[4], aux = (uint32_t)(m >> 20);
	unsigned total = 0;

	(void)low_bytes;
	idt_set_exceptions();
	idt_load();
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT); /* SSE (docs/guests.md starts without) */
	cpuid(1, 0, r);
	if ((r[2] & (1u << 26)) && (r[2] & (1u << 28))) { /* XSAVE, AVX */
		write_cr4(read_cr4() | CR4_OSXSAVE);
		__asm__ volatile("xsetbv" ::"c"(0), "a"(7u), "d"(0u)); /* x87, SSE, AVX */
		cpuid(0xd, 2, r);
		ymm_offset = r[1];
		has_avx = ymm_offset && ymm_offset + 256 <= sizeof(xs_got);
	}
	cpuid(0x80000001, 0, r);
	has_rdtscp = r[3] & (1u << 27);
	say(OUT_COM1, "marker 0x%llx, pat 0x%llx; avx %s, rdtscp %s", (unsigned long long)m,
	    (unsigned long long)pat_marker(m), has_avx ? "yes" : "no", has_rdtscp ? "yes" : "no");

	load_vector_state(m);
	__asm__ volatile("mov %0, %%cr2" ::"r"(m));
	__asm__ volatile("mov %0, %%db0" ::"r"(m));
	__asm__ volatile("mov %0, %%db1" ::"r"(m + 0x1000));
	__asm__ volatile("mov %0, %%db2" ::"r"(m + 0x2000));
	__asm__ volatile("mov %0, %%db3" ::"r"(m + 0x3000));
	wrmsr(MSR_KERNEL_GS_BASE, kgs);
	wrmsr(MSR_PAT, pat_marker(m));
	if (has_rdtscp)
		wrmsr(MSR_TSC_AUX, aux);
	snapshot();
	memcpy(fx_want, fx_got, sizeof(fx_want));
	if (has_avx)
		memcpy(ymm_want, xs_got + ymm_offset, sizeof(ymm_want));

	gap = udiv64(hz * SLICE_GAP_US, 1000000u, NULL);
	last = rdtsc();
	while (away < SLICES && rdmsr(HV_X64_MSR_TIME_REF_COUNT) - ref0 < REF_LIMIT) {
		uint64_t now;

		check(m, kgs, aux);
		rounds++;
		now = rdtsc();
		if (now - last > gap)
			away++;
		last = now;
	}
	test_begin("state kept");
	for (unsigned k = 0; k < K_COUNT; k++) {
		total += bad[k] != 0;
		if (bad[k])
			test_fail("%s differed in %llu of %llu rounds", kind_name[k], (unsigned long long)bad[k],
				  (unsigned long long)rounds);
	}
	if (away < SLICES)
		test_fail("away from the CPU only %llu times in 120 s (want %u)", (unsigned long long)away, SLICES);
	say(OUT_COM1, "%llu rounds, away %llu times, %u kinds of state lost", (unsigned long long)rounds,
	    (unsigned long long)away, total);
	test_end();

	{
		uint64_t before = 0, after = 0, more = 0, poll = rdtsc();

		for (unsigned k = 0; k < K_COUNT; k++)
			before += bad[k];
		/* The stop flag is an intercept: asked every 20 ms only, so that
		 * this VP still uses whole slices and the others see it. */
		for (;;) {
			check(m, kgs, aux);
			more++;
			if (rdtsc() - poll > gap * 66) {
				if (inw(TESTDEV_HOST) == 1)
					break;
				poll = rdtsc();
			}
		}
		for (unsigned k = 0; k < K_COUNT; k++)
			after += bad[k];
		say(OUT_COM1, "stopping on request after %llu more rounds", (unsigned long long)more);
		if (after != before)
			print(OUT_BOTH, "FAIL neighbour: %llu more rounds lost state after the verdict\n",
			      (unsigned long long)(after - before));
	}
	guest_stop(tests_failed);
}
