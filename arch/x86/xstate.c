/* Per-VP x87/SSE/AVX, XCR0, debug registers and CR2; contract in xstate.h. */
#include "arch/x86/xstate.h"

#include <string.h>

#include "arch/x86/cpu.h"

#define CR0_EM          (1ull << 2)
#define CPUID1_XSAVE    (1u << 26)
#define XSAVEOPT        (1u << 0)  /* CPUID 0xD.1 EAX */
#define MSR_EFER_FFXSR  (1ull << 14) /* AMD fast FXSAVE: skips XMM at CPL 0 */

#define LEGACY_SIZE     512u       /* the FXSAVE image */
#define HEADER_SIZE     64u        /* the XSAVE header after it */
#define MXCSR_OFFSET    24u
#define MXCSR_RESET     0x1f80u
#define FCW_RESET       0x37fu

/* Components Keel switches: x87 up to PKRU (AMX and supervisor state are
 * neither offered nor needed). */
#define XCR0_KNOWN      (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_BNDREG | XCR0_BNDCSR | XCR0_AVX512 | XCR0_PKRU)

/* (i) found by the first xstate_cpu_init; every pCPU is the same model. */
static bool use_xsave, use_xsaveopt, fxsave_leak, has_tsc_aux;
static uint64_t xcr0_all;  /* what the CPU supports of XCR0_KNOWN: set while saving and restoring */
uint32_t xstate_area_size = LEGACY_SIZE;

static inline void xsetbv(uint32_t index, uint64_t v)
{
	__asm__ volatile("xsetbv" ::"c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

uint32_t xstate_size_for(uint64_t xcr0)
{
	uint32_t size = LEGACY_SIZE + HEADER_SIZE;

	for (unsigned i = 2; i < 64; i++) {
		if (xcr0 & (1ull << i)) {
			struct cpuid_regs r = cpuid(0xd, i);

			if (r.ebx + r.eax > size)
				size = r.ebx + r.eax;
		}
	}
	return size;
}

uint32_t xstate_compacted_size_for(uint64_t xcr0)
{
	uint32_t size = LEGACY_SIZE + HEADER_SIZE;

	for (unsigned i = 2; i < 64; i++) {
		if (xcr0 & (1ull << i)) {
			struct cpuid_regs r = cpuid(0xd, i);

			if (r.ecx & 2) /* 64-byte aligned in the compacted form */
				size = (size + 63) & ~63u;
			size += r.eax;
		}
	}
	return size;
}

void xstate_cpu_init(void)
{
	struct cpuid_regs v = cpuid(0, 0);

	write_cr0(read_cr0() & ~(CR0_TS | CR0_EM));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	/* AMD's FXSAVE/XSAVE leave FIP/FDP/FOP alone unless an x87 exception
	 * is pending: without care they pass from one VP to the next
	 * (CVE-2006-1056; Linux's X86_BUG_FXSAVE_LEAK). */
	fxsave_leak = v.ebx == 0x68747541; /* AuthenticAMD */
	if (fxsave_leak)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~MSR_EFER_FFXSR);
	has_tsc_aux = (cpuid(0x80000001, 0).edx & (1u << 27)) || (cpuid(7, 0).ecx & (1u << 22)); /* RDTSCP, RDPID */
	if (!(cpuid(1, 0).ecx & CPUID1_XSAVE) || v.eax < 0xd)
		return;
	write_cr4(read_cr4() | CR4_OSXSAVE);
	if (use_xsave)
		return;
	{
		struct cpuid_regs d = cpuid(0xd, 0);
		uint64_t all = ((uint64_t)d.edx << 32 | d.eax) & XCR0_KNOWN;

		/* Drop the highest components until the area fits a frame. */
		while (xstate_size_for(all) > 4096)
			all &= ~(1ull << (63 - __builtin_clzll(all)));
		xcr0_all = all;
		xstate_area_size = xstate_size_for(all);
		use_xsaveopt = cpuid(0xd, 1).eax & XSAVEOPT;
		use_xsave = true;
	}
}

uint64_t xstate_guest_xcr0_mask(void)
{
	return xcr0_all;
}

void xstate_init(struct xstate *x, void *area)
{
	memset(x, 0, sizeof(*x));
	memset(area, 0, xstate_area_size);
	/* XSTATE_BV 0: every component in its init state; MXCSR is read from
	 * the legacy area whenever SSE or AVX is restored, FCW by FXRSTOR. */
	*(uint16_t *)area = FCW_RESET;
	*(uint32_t *)((uint8_t *)area + MXCSR_OFFSET) = MXCSR_RESET;
	x->area = area;
	x->xcr0 = XCR0_X87;
	x->dr6 = 0xffff0ff0;
}

void xstate_save(struct xstate *x)
{
	if (use_xsave) {
		uint32_t lo = (uint32_t)xcr0_all, hi = (uint32_t)(xcr0_all >> 32);

		xsetbv(0, xcr0_all);
		if (use_xsaveopt)
			__asm__ volatile("xsaveopt64 (%0)" ::"r"(x->area), "a"(lo), "d"(hi) : "memory");
		else
			__asm__ volatile("xsave64 (%0)" ::"r"(x->area), "a"(lo), "d"(hi) : "memory");
	} else {
		__asm__ volatile("fxsave64 (%0)" ::"r"(x->area) : "memory");
	}
	__asm__ volatile("mov %%db0, %0" : "=r"(x->dr[0]));
	__asm__ volatile("mov %%db1, %0" : "=r"(x->dr[1]));
	__asm__ volatile("mov %%db2, %0" : "=r"(x->dr[2]));
	__asm__ volatile("mov %%db3, %0" : "=r"(x->dr[3]));
	__asm__ volatile("mov %%db6, %0" : "=r"(x->dr6));
	x->cr2 = read_cr2();
}

void xstate_load(const struct xstate *x)
{
	static const uint32_t zero;

	if (fxsave_leak) /* known FIP/FDP/FOP before the restore (see above) */
		__asm__ volatile("fnclex; emms; fildl %0" ::"m"(zero));
	if (use_xsave) {
		xsetbv(0, xcr0_all);
		__asm__ volatile("xrstor64 (%0)" ::"r"(x->area), "a"((uint32_t)xcr0_all),
				 "d"((uint32_t)(xcr0_all >> 32))
				 : "memory");
		xsetbv(0, x->xcr0);
	} else {
		__asm__ volatile("fxrstor64 (%0)" ::"r"(x->area) : "memory");
	}
	__asm__ volatile("mov %0, %%db0" ::"r"(x->dr[0]));
	__asm__ volatile("mov %0, %%db1" ::"r"(x->dr[1]));
	__asm__ volatile("mov %0, %%db2" ::"r"(x->dr[2]));
	__asm__ volatile("mov %0, %%db3" ::"r"(x->dr[3]));
	__asm__ volatile("mov %0, %%db6" ::"r"(x->dr6));
	__asm__ volatile("mov %0, %%cr2" ::"r"(x->cr2));
	if (has_tsc_aux)
		wrmsr(MSR_TSC_AUX, x->tsc_aux);
}

int xstate_set_tsc_aux(struct xstate *x, uint64_t value, bool loaded)
{
	if (!has_tsc_aux || value >> 32)
		return -1;
	x->tsc_aux = value;
	if (loaded)
		wrmsr(MSR_TSC_AUX, value);
	return 0;
}

int xstate_set_xcr(struct xstate *x, uint32_t index, uint64_t value, bool loaded)
{
	/* SDM vol. 2, XSETBV: only XCR0; x87 always on; AVX needs SSE;
	 * AVX-512's three bits together and with AVX; MPX's two together;
	 * nothing the CPU (or Keel) does not offer. */
	if (index != 0 || !use_xsave || !(value & XCR0_X87) || (value & ~xcr0_all))
		return -1;
	if ((value & XCR0_AVX) && !(value & XCR0_SSE))
		return -1;
	if ((value & XCR0_AVX512) && ((value & XCR0_AVX512) != XCR0_AVX512 || !(value & XCR0_AVX)))
		return -1;
	if (!(value & XCR0_BNDREG) != !(value & XCR0_BNDCSR))
		return -1;
	x->xcr0 = value;
	if (loaded)
		xsetbv(0, value);
	return 0;
}
