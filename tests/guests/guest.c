/*
 * guest64.elf and guest32.elf: the same tests in 64-bit long mode and in
 * 32-bit protected mode (docs/guests.md is the contract tested).  Results go
 * to the Keel test device one line each and are echoed on COM1; then the
 * guest idles on the synthetic timer until the parent asks it to stop.
 */
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "tests/guests/lib.h"
#include "tests/guests/mmio.h"
#include "tests/guests/x86.h"

#ifdef __x86_64__
const char guest_name[] = "guest64";
#define MODE "64-bit"
#else
const char guest_name[] = "guest32";
#define MODE "32-bit"
#endif

#define TIMER_VECTOR   0x40
#define TIMER_PERIOD   10000u    /* reference time units (100 ns): 1 ms */
#define REF_PER_SECOND 10000000u
#define TIMER_TICKS    10u       /* ticks the timer test waits for */
#define TICKS_PER_NOTE 100u      /* idle: a COM1 line every 100 ticks */
#define ROUND_TRIPS    1000u

/* Set by the loader (docs/guests.md "Image"); never written. */
static volatile uint32_t data_probe = 0x600df00d;
static volatile uint8_t bss_probe[4096];

/* Whether the synthetic timer ticked; if not, the idle loop polls the
 * reference time instead of halting (a HLT would never return). */
static bool timer_ok;

static void test_image(void)
{
	test_begin("image loaded");
	test_expect(".data", data_probe, 0x600df00d);
	for (unsigned i = 0; i < sizeof(bss_probe); i++)
		if (bss_probe[i]) {
			test_fail(".bss byte %u is 0x%x, want 0", i, bss_probe[i]);
			break;
		}
	test_end();
}

static void test_testdev(void)
{
	test_begin("testdev version");
	test_expect("16-bit in 0x5e2", inw(TESTDEV_VERSION), 1);
	test_end();
	test_begin("testdev magic");
	test_expect("32-bit in 0x5e4", inl(TESTDEV_CONTROL), TESTDEV_MAGIC);
	test_end();
}

/* No PCI bus: the configuration ports read all ones and take writes
 * (the hypervisor answers them, docs/intercepts.md); a 16-bit or 8-bit IN
 * changes only AX or AL. */
static void test_absent_ports(void)
{
	uint32_t v = 0x12345678u;

	test_begin("absent ports");
	outl(0xcf8, 0x80000000u);
	test_expect("32-bit in 0xcf8", inl(0xcf8), 0xffffffffu);
	test_expect("32-bit in 0xcfc", inl(0xcfc), 0xffffffffu);
	__asm__ volatile("inw %w1, %w0" : "+a"(v) : "d"((uint16_t)0xcfe));
	test_expect("16-bit in 0xcfe keeps the upper half", v, 0x1234ffffu);
	v = 0x12345600u;
	__asm__ volatile("inb %w1, %b0" : "+a"(v) : "d"((uint16_t)0xcff));
	test_expect("8-bit in 0xcff keeps the rest", v, 0x123456ffu);
	test_end();
}

static void test_cpuid(void)
{
	uint32_t r[4];
	char vendor[13];

	test_begin("cpuid hypervisor bit");
	cpuid(1, 0, r);
	test_expect("leaf 1 ECX bit 31", r[2] >> 31, 1);
	test_end();

	test_begin("cpuid hypervisor leaves");
	cpuid(HV_CPUID_VENDOR_AND_MAX, 0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[2], 4);
	memcpy(vendor + 8, &r[3], 4);
	vendor[12] = 0;
	for (unsigned i = 0; i < 12; i++)
		if (vendor[i] && (vendor[i] < 0x20 || vendor[i] > 0x7e))
			vendor[i] = '?';
	say(OUT_BOTH, "hypervisor vendor \"%s\", leaves up to 0x%x", vendor, r[0]);
	if (r[0] < HV_CPUID_LIMITS)
		test_fail("leaf 0x40000000 EAX 0x%x, want >= 0x%x", r[0], HV_CPUID_LIMITS);
	cpuid(HV_CPUID_INTERFACE, 0, r);
	test_expect("leaf 0x40000001 EAX (\"Hv#1\")", r[0], HV_INTERFACE_SIGNATURE);
	test_end();
}

static uint64_t ref_time(void)
{
	return rdmsr(HV_X64_MSR_TIME_REF_COUNT);
}

static void test_ref_time(void)
{
	test_begin("reference time advances");
	uint64_t t0 = ref_time(), t1 = t0;
	for (unsigned i = 0; i < 1000000 && t1 == t0; i++)
		t1 = ref_time();
	if (t1 <= t0)
		test_fail("TIME_REF_COUNT went from 0x%llx to 0x%llx", (unsigned long long)t0,
			  (unsigned long long)t1);
	test_end();
}

/* Synthetic timer 0, periodic, direct mode (docs/guests.md "Timer"). */
static void timer_start(void)
{
	wrmsr(HV_X64_MSR_STIMER0_CONFIG, HV_STIMER_ENABLE | HV_STIMER_PERIODIC | HV_STIMER_DIRECT_MODE |
						 ((uint64_t)TIMER_VECTOR << HV_STIMER_APIC_VECTOR_SHIFT));
	wrmsr(HV_X64_MSR_STIMER0_COUNT, TIMER_PERIOD);
}

static void test_timer(void)
{
	test_begin("synthetic timer");
	uint64_t start = ref_time();
	timer_start();
	/* Until the first tick, poll with interrupts on: a HLT would wait
	 * forever if the timer never fires.  Once it has fired, HLT. */
	sti();
	while (timer_ticks == 0 && ref_time() - start < 2 * REF_PER_SECOND)
		pause();
	while (timer_ticks && timer_ticks < TIMER_TICKS && ref_time() - start < 2 * REF_PER_SECOND)
		sti_hlt();
	cli();
	uint64_t elapsed = ref_time() - start;
	uint32_t ticks = timer_ticks;
	timer_ok = ticks > 0;
	uint64_t us = udiv64(elapsed, 10, NULL);
	if (ticks < TIMER_TICKS)
		test_fail("%u ticks in %llu us of reference time, want %u in 2 s", ticks,
			  (unsigned long long)us, TIMER_TICKS);
	else if (elapsed < (uint64_t)(TIMER_TICKS - 1) * TIMER_PERIOD)
		test_fail("%u ticks after only %llu us with a 1 ms period", ticks, (unsigned long long)us);
	else
		say(OUT_COM1, "%u timer ticks in %llu us", ticks, (unsigned long long)us);
	test_end();
}

#ifdef __x86_64__
#define GIB            (1ull << 30)
#define HIGH_GIB_MAX   8u        /* GiB above 4 GiB this test maps and checks */
#define LARGE_PAGE     (2ull << 20)

static uint64_t high_pd[HIGH_GIB_MAX][512] __attribute__((aligned(4096)));

/* docs/guests.md: RAM beyond 3 GiB lies from 4 GiB on, and the boot page
 * tables map only [0, 4 GiB): map [4 GiB, 4 GiB + HIGH_GIB_MAX GiB) with
 * our own directories, then write a distinct word into every 2 MiB of the
 * RAM there (at a different offset each) and read them all back.  One
 * large page past the end of RAM is in no RAM: it reads all-ones. */
static void test_high_ram(uint64_t ram_bytes, uint64_t low_bytes)
{
	uint64_t high = ram_bytes - low_bytes, span, cr3, *pdpt, bad = 0, n = 0;

	if (!high) {
		say(OUT_COM1, "no RAM above 4 GiB (%llu MiB below 3 GiB)", (unsigned long long)(low_bytes >> 20));
		return;
	}
	test_begin("RAM above 4 GiB");
	span = high + LARGE_PAGE < HIGH_GIB_MAX * GIB ? high + LARGE_PAGE : HIGH_GIB_MAX * GIB;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	pdpt = (uint64_t *)(uintptr_t)(*(uint64_t *)(uintptr_t)(cr3 & ~0xfffull) & ~0xfffull);
	for (uint64_t g = 0; g < (span + GIB - 1) / GIB; g++) {
		for (uint64_t i = 0; i < 512; i++)
			high_pd[g][i] = (4 * GIB + g * GIB + i * LARGE_PAGE) | 0x83; /* P, RW, PS */
		pdpt[4 + g] = (uint64_t)(uintptr_t)high_pd[g] | 3;
	}
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	if (span > high)
		span = high;
	for (uint64_t at = 0; at < span; at += LARGE_PAGE, n++) {
		volatile uint64_t *word = (uint64_t *)(uintptr_t)(4 * GIB + at + (n * 8 * 67) % LARGE_PAGE);

		*word = at ^ 0x5a5a5a5a12345678ull;
	}
	*(volatile uint64_t *)(uintptr_t)(4 * GIB + span - 8) = 0xfeedfacecafebeefull;
	n = 0;
	for (uint64_t at = 0; at < span; at += LARGE_PAGE, n++) {
		volatile uint64_t *word = (uint64_t *)(uintptr_t)(4 * GIB + at + (n * 8 * 67) % LARGE_PAGE);

		if (*word != (at ^ 0x5a5a5a5a12345678ull) && !bad++)
			test_fail("word at 0x%llx reads 0x%llx", (unsigned long long)(uintptr_t)word,
				  (unsigned long long)*word);
	}
	test_expect("last word of RAM", *(volatile uint64_t *)(uintptr_t)(4 * GIB + span - 8), 0xfeedfacecafebeefull);
	if (span == high && high + LARGE_PAGE <= HIGH_GIB_MAX * GIB)
		test_expect("first word past RAM", *(volatile uint64_t *)(uintptr_t)(4 * GIB + high), ~0ull);
	say(OUT_COM1, "%llu MiB above 4 GiB: %llu words written and read back",
	    (unsigned long long)(high >> 20), (unsigned long long)n + 1);
	test_end();
}
#endif

/* Per-iteration cost in TSC ticks of an exit served by the hypervisor
 * (CPUID) and of one served by the parent (a test-device read). */
static void measure(void)
{
	uint32_t r[4];

	/* No timer ticks inside the measured loops: they would be counted. */
	wrmsr(HV_X64_MSR_STIMER0_CONFIG, 0);
	uint64_t t0 = rdtsc();
	for (unsigned i = 0; i < ROUND_TRIPS; i++)
		cpuid(HV_CPUID_INTERFACE, 0, r);
	uint64_t t1 = rdtsc();
	for (unsigned i = 0; i < ROUND_TRIPS; i++)
		(void)inw(TESTDEV_VERSION);
	uint64_t t2 = rdtsc();
	timer_start();
	say(OUT_COM1, "cpuid round trip %llu ticks", (unsigned long long)udiv64(t1 - t0, ROUND_TRIPS, NULL));
	say(OUT_COM1, "intercept round trip %llu ticks", (unsigned long long)udiv64(t2 - t1, ROUND_TRIPS, NULL));
}

/* Returns once timer_ticks differs from `seen`; without a working timer,
 * once a timer period of reference time has passed.  Interrupts are on
 * afterwards. */
static void wait_tick(uint32_t seen)
{
	if (!timer_ok) {
		uint64_t start = ref_time();
		sti();
		while (ref_time() - start < TIMER_PERIOD)
			pause();
		return;
	}
	cli();
	while (timer_ticks == seen) {
		sti_hlt();
		cli();
	}
	sti();
}

static __attribute__((noreturn)) void idle(void)
{
	uint32_t start = timer_ticks, seen = start, notes = 0, polls = 0;
	for (;;) {
		wait_tick(seen);
		seen = timer_ticks;
		polls++;
		/* The host's stop request: 1 when asked; a device without it
		 * reads all-ones. */
		if (inw(TESTDEV_HOST) == 1)
			break;
		/* 'b' on COM1 measures again, now that the parent only serves
		 * this child (tools/bench asks once the console is attached). */
		if ((inb(COM1 + 5) & 1) && inb(COM1) == 'b')
			measure();
		uint32_t n = (timer_ok ? seen - start : polls) / TICKS_PER_NOTE;
		if (n != notes) {
			notes = n;
			say(OUT_COM1, "tick %u", notes);
		}
	}
	cli();
	say(OUT_COM1, "stopping on request");
	guest_stop(tests_failed);
}

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	say(OUT_COM1, "hello, " MODE " child with %lu MiB", (unsigned long)(ram_bytes >> 20));
	idt_set_exceptions();
	idt_set(TIMER_VECTOR, timer_isr);
	idt_load();

	test_image();
	test_testdev();
	test_absent_ports();
	test_cpuid();
	test_mmio();
	test_unbacked();
#ifdef __x86_64__
	test_high_ram(ram_bytes, low_bytes);
#else
	(void)low_bytes; /* without PAE, RAM above 4 GiB is out of reach */
#endif
	test_ref_time();
	test_timer();
	measure();

	if (tests_failed)
		print(OUT_BOTH, "FAIL %s: %u failed\n", guest_name, tests_failed);
	else
		print(OUT_BOTH, "PASS %s: all\n", guest_name);
	idle();
}
