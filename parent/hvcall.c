/* Hypercall page setup and calls (TLFS §3.13). */
#include "parent/hvcall.h"

#include "hv/abi/version.h"
#include "parent/x86.h"

uint8_t hypercall_page[4096] __attribute__((aligned(4096)));

/* Guest OS identity for an open-source OS (TLFS §3.11): bit 63 set,
 * OS type in 62:56, OS id in 55:48, version 47:16, build 15:0. */
#define KEEL_GUEST_OS_ID ((1ull << 63) | (0x7full << 56) | (0x4bull << 48) | (0x000100ull << 16))

int hvcall_init(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))
		return -1;
	cpuid(HV_CPUID_FEATURES, 0, r);
	if (!(r[0] & HV_ACCESS_HYPERCALL_MSRS))
		return -1;
	wrmsr(HV_X64_MSR_GUEST_OS_ID, KEEL_GUEST_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, (uint64_t)hypercall_page | HV_HYPERCALL_ENABLE);
	return (rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE) ? 0 : -1;
}

uint64_t hvcall(uint64_t control, uint64_t input, uint64_t output)
{
	register uint64_t r8 __asm__("r8") = output;
	uint64_t status;

	__asm__ volatile("call *%[page]"
			 : "=a"(status), "+c"(control), "+d"(input), "+r"(r8)
			 : [page] "r"(hypercall_page)
			 : "cc", "memory", "r9", "r10", "r11");
	return status;
}
