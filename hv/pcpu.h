/*
 * Per-physical-CPU state, reached through the GS base (this_pcpu()).  Each
 * pCPU writes only its own struct once started; `online` is published with
 * release semantics for the BSP to read.
 */
#ifndef KEEL_HV_PCPU_H
#define KEEL_HV_PCPU_H

#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "hv/sched.h"
#include "hv/spinlock.h"

#define PCPU_MAX 64
#define PCPU_STACK_SIZE (16 * 1024)
#define PCPU_HYPERCALL_BUF 4096 /* one page: the TLFS bound of a parameter block */

struct vp;

struct pcpu {
	struct pcpu *self;       /* (i) GS:0 points here */
	uint32_t index;          /* (i) 0 = bootstrap processor */
	uint32_t apic_id;        /* (i) */
	uint64_t stack_top;      /* (i) */
	volatile int online;     /* set by the pCPU when its backend is enabled */
	struct vp *current;      /* the VP this pCPU runs */
	/* The child VP whose state this pCPU holds: set before it loads the
	 * VP, cleared (release) after the last access at the end of its run
	 * (hv/run.c).  Written by this pCPU only; run_stop waits for it. */
	struct vp *owner;
	/* Child VPs this pCPU runs (application processors only). */
	struct spinlock lock;    /* protects queue and each queued VP's run state */
	struct sched_queue queue;
	volatile int preempt;    /* the slice ended: set by the timer interrupt */
	uint64_t slice_end;      /* TSC at which the running child VP's slice ends */
	uint64_t sched_until;    /* the scheduler's end of that slice (slice_end may be a timer's) */
	uint64_t exit_seq;       /* child exits taken here; written by this pCPU only (hv/tlb.h) */
	/* The parent's exit count as this pCPU last saw it, and since when
	 * (hv/run.c, parent_watchdog); this pCPU's own. */
	uint64_t parent_exits_seen, parent_quiet_since;
	/* The private copies of a hypercall's input and output (hv/hypercall.c):
	 * a call runs on its caller's pCPU from copy-in to copy-out. */
	uint8_t hypercall_in[PCPU_HYPERCALL_BUF] __attribute__((aligned(8)));
	uint8_t hypercall_out[PCPU_HYPERCALL_BUF] __attribute__((aligned(8)));
	struct arch_pcpu arch;   /* descriptors and backend areas */
};

static inline struct pcpu *this_pcpu(void)
{
	struct pcpu *p;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

extern struct pcpu *pcpus[PCPU_MAX];
extern unsigned pcpu_count;     /* pCPUs online */
/* For early logging before GS is set. */
unsigned pcpu_index_or_zero(void);
void pcpu_install(struct pcpu *p);

#endif
