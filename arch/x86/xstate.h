/*
 * A VP's processor state that VMRUN/VM entry do not switch: x87/SSE/AVX
 * (and the other XSAVE user components) with XCR0, DR0-DR3 and DR6, CR2,
 * TSC_AUX.
 * The hypervisor itself never touches any of it (it is built with
 * -mgeneral-regs-only and uses no debug registers), so a VP's values can
 * stay in the CPU from its entry until it leaves its pCPU: xstate_load when
 * a VP is about to run, xstate_save when it has left (hv/run.c).
 *
 * XSAVE where the CPU has it (XSAVEOPT if it can), with XCR0 set to every
 * user component the CPU supports while saving and restoring, so nothing a
 * VP could enable later leaks from another; FXSAVE (x87, SSE) otherwise.
 * Intel SDM vol. 1 ch. 13, vol. 3 §2.6; AMD APM vol. 2 §11.5.
 */
#ifndef KEEL_ARCH_X86_XSTATE_H
#define KEEL_ARCH_X86_XSTATE_H

#include <stdbool.h>
#include <stdint.h>

#define XCR0_X87    (1ull << 0)
#define XCR0_SSE    (1ull << 1)
#define XCR0_AVX    (1ull << 2)
#define XCR0_BNDREG (1ull << 3)
#define XCR0_BNDCSR (1ull << 4)
#define XCR0_AVX512 (7ull << 5)   /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_PKRU   (1ull << 9)

/* Owned by the VP's pCPU while it runs, by whoever holds the stopped VP
 * otherwise (hv/vp.h). */
struct xstate {
	uint64_t xcr0;               /* the guest's XCR0 (XCR0_X87 at reset) */
	uint64_t dr[4], dr6;
	uint64_t cr2;
	uint64_t tsc_aux;            /* IA32_TSC_AUX (RDTSCP, RDPID); changes only by WRMSR */
	void *area;                  /* XSAVE/FXSAVE image, 64-byte aligned, xstate_area_size bytes */
};

/* Bytes of a VP's save area (at most 4096: larger components are not offered). */
extern uint32_t xstate_area_size;

/* Each pCPU, before its backend is enabled: CR4.OSFXSR/OSXMMEXCPT (and
 * OSXSAVE where the CPU has XSAVE), CR0.TS/EM clear, and on the first call
 * what the CPU supports. */
void xstate_cpu_init(void);

/* The XCR0 components a guest may enable (0 without XSAVE). */
uint64_t xstate_guest_xcr0_mask(void);
/* CPUID 0xD sub-leaf 0 EBX for a guest XCR0: bytes its XSAVE area needs. */
uint32_t xstate_size_for(uint64_t xcr0);
/* The same in the compacted form XSAVEC writes (SDM vol. 1 §13.4.3). */
uint32_t xstate_compacted_size_for(uint64_t xcr0);

/* A VP's state at reset (x87 and SSE in their init state, MXCSR 0x1f80,
 * XCR0 = x87, debug registers and CR2 clear) in `area` (xstate_area_size
 * bytes, 64-byte aligned). */
void xstate_init(struct xstate *x, void *area);
/* Put x into this CPU / take the CPU's state into x. */
void xstate_load(const struct xstate *x);
void xstate_save(struct xstate *x);

/* WRMSR of TSC_AUX by a guest: -1 (#GP) for reserved bits 63:32; else
 * stored, and written to the CPU if `loaded`. */
int xstate_set_tsc_aux(struct xstate *x, uint64_t value, bool loaded);

/* XSETBV by a guest (SDM vol. 2 "XSETBV"): 0 if `value` is a valid XCR0
 * for `index` (then stored, and loaded into the CPU if `loaded`), -1 if
 * the guest gets #GP. */
int xstate_set_xcr(struct xstate *x, uint32_t index, uint64_t value, bool loaded);

#endif
