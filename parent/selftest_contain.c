/*
 * `selftest contain`: what the parent, which drives the local APICs and
 * most MSRs itself, can do to the hypervisor's processors.  It sends an NMI
 * and fixed IPIs on the exception vectors 16, 17, 21 and 31 to every other
 * pCPU (the hypervisor counts and dismisses them instead of stopping), and
 * tries to put the hypercall page over its local APIC (refused with #GP:
 * overlay pages must be RAM; the APIC still answers).  What runs next on
 * those pCPUs (the scenario starts children there) shows they kept going.
 * Not covered yet: INIT/SIPI to an AP and moving IA32_APIC_BASE.
 */
#include <stdio.h>

#include "hv/abi/tlfs.h"
#include "parent/kernel.h"
#include "parent/x86.h"

#define APIC_PAGE        0xfee00000ull
#define APIC_VERSION     0x030
#define APIC_ICR_LOW     0x300
#define ICR_NMI          (4u << 8)
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_PENDING      (1u << 12)

static int failures;

static void check(int ok, const char *what)
{
	printf("contain: %-58s %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

static void send_all_but_self(uint32_t low)
{
	volatile uint32_t *icr = (volatile uint32_t *)(APIC_PAGE + APIC_ICR_LOW);

	*icr = low | ICR_ALL_BUT_SELF;
	for (int i = 0; i < 1000000 && (*icr & ICR_PENDING); i++)
		pause();
}

static void hypercall_page_at(uint64_t gpa)
{
	wrmsr(HV_X64_MSR_HYPERCALL, gpa | HV_HYPERCALL_ENABLE);
}

void selftest_contain(void);
void selftest_contain(void)
{
	static const uint8_t vectors[] = { 16, 17, 21, 31 };
	uint64_t before = rdmsr(HV_X64_MSR_HYPERCALL), t0;
	uint32_t version = *(volatile uint32_t *)(APIC_PAGE + APIC_VERSION);

	failures = 0;
	fault_vector = -1;
	check(probe_call(hypercall_page_at, APIC_PAGE) != 0 && fault_vector == 13,
	      "hypercall page over the local APIC refused (#GP)");
	check(rdmsr(HV_X64_MSR_HYPERCALL) == before, "the hypercall MSR is unchanged");
	check(*(volatile uint32_t *)(APIC_PAGE + APIC_VERSION) == version && (version & 0xff) != 0xcc,
	      "the local APIC is intact");

	send_all_but_self(ICR_NMI);
	for (unsigned i = 0; i < sizeof(vectors); i++)
		send_all_but_self(vectors[i]);
	t0 = rdtsc();
	while (rdtsc() - t0 < parent_tsc_hz() / 50)
		pause();
	printf("contain: an NMI and fixed IPIs on vectors 16, 17, 21, 31 went to every other pCPU\n");
	printf(failures ? "FAIL: contain: %d checks failed\n" : "contain: PASS\n", failures);
}
