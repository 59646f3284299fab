/*
 * `selftest contain`: what the parent, which drives the local APICs and
 * most MSRs itself, can do to the hypervisor's processors.  It sends an NMI
 * and fixed IPIs on the exception vectors 16, 17, 21 and 31 to every other
 * pCPU (the hypervisor counts and dismisses them instead of stopping), and
 * tries to put the hypercall page over its local APIC (refused with #GP:
 * overlay pages must be RAM; the APIC still answers).  Its MSRs: moving
 * IA32_APIC_BASE, MTRRs and SYSCFG raise #GP (an allow-list, hv/msr.c),
 * while its own syscall MSRs work.  What runs next on those pCPUs (the
 * scenario starts children there) shows they kept going.
 * On VT-x it also sends INIT and SIPI (blocked in root mode, an exit the
 * hypervisor drops in a guest); on AMD-V only VM_CR.R_INIT would keep INIT
 * from resetting a pCPU, and the emulators here do not implement it.
 */
#include <stdio.h>

#include <stdbool.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "parent/hvcall.h"
#include "parent/kernel.h"
#include "parent/x86.h"

#define APIC_PAGE        0xfee00000ull
#define APIC_VERSION     0x030
#define APIC_ICR_LOW     0x300
#define ICR_NMI          (4u << 8)
#define ICR_INIT         (5u << 8)
#define ICR_STARTUP      (6u << 8)
#define ICR_ASSERT       (1u << 14)
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

#define MSR_APIC_BASE     0x1bu
#define MSR_MTRR_DEF_TYPE 0x2ffu
#define MSR_SYSCFG        0xc0010010u
#define MSR_KERNEL_GS     0xc0000102u

static uint64_t msr_value; /* what do_write_msr writes */
static void do_write_msr(uint64_t msr) { wrmsr((uint32_t)msr, msr_value); }
static void do_read_msr(uint64_t msr) { msr_value = rdmsr((uint32_t)msr); }

static int msr_faults(void (*fn)(uint64_t), uint32_t msr, uint64_t value)
{
	msr_value = value;
	fault_vector = -1;
	return probe_call(fn, msr) != 0 && fault_vector == 13;
}

static void msr_checks(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE), kgs = rdmsr(MSR_KERNEL_GS);

	check(msr_faults(do_write_msr, MSR_APIC_BASE, (base & 0xfffull) | 0x1000000ull),
	      "moving IA32_APIC_BASE raises #GP");
	check(rdmsr(MSR_APIC_BASE) == base && !msr_faults(do_write_msr, MSR_APIC_BASE, base),
	      "IA32_APIC_BASE unchanged; writing it unchanged works");
	check(msr_faults(do_write_msr, MSR_MTRR_DEF_TYPE, 0), "writing an MTRR raises #GP");
	check(msr_faults(do_read_msr, MSR_SYSCFG, 0) && msr_faults(do_write_msr, MSR_SYSCFG, 0),
	      "SYSCFG (outside the allow-list) raises #GP");
	wrmsr(MSR_KERNEL_GS, 0x123456789000ull);
	check(rdmsr(MSR_KERNEL_GS) == 0x123456789000ull, "its own KERNEL_GS_BASE works");
	wrmsr(MSR_KERNEL_GS, kgs);
}

void selftest_contain(void);
void selftest_contain(void)
{
	static const uint8_t vectors[] = { 16, 17, 21, 31 };
	static struct keel_hv_info info __attribute__((aligned(128)));
	uint64_t before = rdmsr(HV_X64_MSR_HYPERCALL), t0;
	bool vmx = (uint16_t)hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)&info) == HV_STATUS_SUCCESS &&
		   info.backend == KEEL_BACKEND_VMX;
	uint32_t version = *(volatile uint32_t *)(APIC_PAGE + APIC_VERSION);

	failures = 0;
	fault_vector = -1;
	check(probe_call(hypercall_page_at, APIC_PAGE) != 0 && fault_vector == 13,
	      "hypercall page over the local APIC refused (#GP)");
	check(rdmsr(HV_X64_MSR_HYPERCALL) == before, "the hypercall MSR is unchanged");
	check(*(volatile uint32_t *)(APIC_PAGE + APIC_VERSION) == version && (version & 0xff) != 0xcc,
	      "the local APIC is intact");
	msr_checks();

	if (vmx) {
		/* VT-x blocks INIT in root mode and turns it into an exit in a
		 * guest (dropped).  On AMD-V only VM_CR.R_INIT (set by the
		 * hypervisor) redirects it, which QEMU and Bochs do not
		 * implement: there it would reset the pCPU. */
		send_all_but_self(ICR_INIT | ICR_ASSERT);
		send_all_but_self(ICR_STARTUP | 0x10); /* a start-up at 0x10000, as an OS would */
	}
	send_all_but_self(ICR_NMI);
	for (unsigned i = 0; i < sizeof(vectors); i++)
		send_all_but_self(vectors[i]);
	t0 = rdtsc();
	while (rdtsc() - t0 < parent_tsc_hz() / 50)
		pause();
	printf("contain: %san NMI and fixed IPIs on vectors 16, 17, 21, 31 went to every other pCPU\n",
	       vmx ? "INIT, SIPI, " : "");
	if (!vmx)
		printf("contain: INIT not sent: on AMD-V only VM_CR.R_INIT keeps it from resetting a pCPU\n");
	printf(failures ? "FAIL: contain: %d checks failed\n" : "contain: PASS\n", failures);
}
