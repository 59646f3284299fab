/*
 * A virtual processor as hv/ sees it.  The backend's per-VP state embeds this
 * struct (reach it with container_of); guest registers that hardware does not
 * keep in the VMCB/VMCS live in `gpr`.
 */
#ifndef KEEL_HV_VP_H
#define KEEL_HV_VP_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/xstate.h"
#include "hv/abi/tlfs_synic.h"
#include "hv/msg_queue.h"
#include "hv/sched.h"
#include "hv/vlapic.h"
#include "hv/spinlock.h"
#include "hv/vm_exit.h"

enum gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT
};

/* Registers reached through vcpu_ops get_reg/set_reg. */
enum vp_reg {
	VP_REG_RIP, VP_REG_RSP, VP_REG_RFLAGS, VP_REG_CR0, VP_REG_CR3, VP_REG_CR4,
	VP_REG_EFER, VP_REG_CS_ATTR, VP_REG_CPL,
	VP_REG_TPR,   /* CR8: the task priority class, 0-15 */
};

/* Segment and descriptor-table registers, in the TLFS
 * HV_X64_SEGMENT_REGISTER form: attributes are descriptor bits 40-47 in
 * 0-7 and bits 52-55 (AVL, L, D/B, G) in 12-15; 0 means not usable.  For
 * GDTR/IDTR only base and limit count. */
enum vp_seg { VP_SEG_ES, VP_SEG_CS, VP_SEG_SS, VP_SEG_DS, VP_SEG_FS, VP_SEG_GS, VP_SEG_LDTR, VP_SEG_TR,
	      VP_SEG_GDTR, VP_SEG_IDTR, VP_SEG_COUNT };

struct vp_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attributes;
};

#define VP_SIPI_PENDING 0x100u

struct partition;
struct vp;

struct vp_stats {
	uint64_t exits;
	uint64_t by_reason[VM_EXIT_REASON_COUNT]; /* exits vp_handle_exit saw, by exit.reason */
};

/* A message waiting for a VP's SIM slot: a child's intercept (its VP's
 * `intercept`) or one of a message port's buffers (hv/port.c).  While it
 * is queued it is under the lock of the receiving VP's SynIC (s). */
struct synic_msg {
	struct msg_link link;        /* (s) its place on the receiver's queue */
	bool busy;                   /* port buffers: taken by a post (under ipc_lock), given back
				      * when delivered or dropped (s); atomic */
	uint8_t sint;                /* where it is queued, set before queuing */
	struct vp *to;
	struct hv_message msg;       /* written before queuing; read by delivery under (s) */
};

/* A VP's synthetic interrupt controller (TLFS "Inter-Partition
 * Communication"): its MSRs, and per SINT the messages waiting for that
 * SINT's slot (hv/synic.c). */
struct synic {
	struct spinlock lock;        /* protects all of it but auto_eoi */
	uint64_t scontrol, siefp, simp;
	uint64_t sint[HV_SYNIC_SINT_COUNT];
	struct msg_queue queue[HV_SYNIC_SINT_COUNT]; /* struct synic_msg links */
	uint32_t auto_eoi[8];        /* (r) vectors of unmasked auto-EOI SINTs */
};

/* A child VP's synthetic timers 0-3 (hv/stimer.h; docs/guests.md). */
struct stimer {
	uint64_t config, count;
	uint64_t expiry_ref;         /* next expiry in reference time; 0 = not armed */
	struct synic_msg msg;        /* message mode: busy while queued on the VP's own SINT */
};
struct stimers {
	struct stimer t[HV_SYNIC_STIMER_COUNT];
	uint64_t next_tsc;           /* the earliest expiry in host TSC; 0 = none armed */
};

/*
 * Who may touch what (tags after each field):
 *  (i)  fixed at creation.
 *  (r)  the running VP's: touched only by the pCPU that holds it (from its
 *       pick until pcpu.owner is cleared, hv/run.c), or, while it is held
 *       by none, by the parent's hypercalls, which first take it off its
 *       pCPU (run_stop: ExplicitSuspend) or find it waiting for an
 *       intercept (it left its pCPU before posting).  This is the guest
 *       state (gpr, rip, the backend's VMCB/VMCS, xstate), its exit and
 *       counters.
 *  (q)  under its pCPU's lock (pcpu.lock).
 *  (s)  under the receiving VP's SynIC lock (synic.lock).
 *  (p)  the parent's hypercalls only (one at a time, on the BSP).
 */
struct vp {
	/* gpr[] is read and written by the backend's entry/exit assembly:
	 * it must stay the first member (asserted below).  (r) */
	uint64_t gpr[GPR_COUNT];
	/* Guest RIP while the VP is out of the guest; the backend's entry and
	 * exit code move it to and from the VMCB/VMCS.  (r) */
	uint64_t rip;
	/* The backend's own state of this VP (struct svm_vp, struct vmx_vp),
	 * which it allocates and frees (vcpu_ops.vp_create/vp_destroy); its
	 * entry assembly reaches it from here.  (i) */
	void *arch;
	struct partition *partition; /* (i) set at creation */
	uint32_t index;              /* (i) VP index within the partition */
	bool suspended;              /* (p) HvRegisterExplicitSuspend */
	/* Child VPs only: */
	enum vp_run_state { VP_STOPPED, VP_QUEUED, VP_RUNNING, VP_HALTED, VP_CRASHED,
			    VP_INTERCEPT } run_state; /* (q) = KEEL_VP_* */
	struct pcpu *host;           /* (q) the pCPU whose queue holds it, NULL if none */
	struct sched_entity sched;   /* (q) */
	volatile bool stop_request;  /* set by the parent (p), read by its pCPU */
	struct vm_exit exit;         /* (r) last exit */
	struct vp_stats stats;       /* (r); read racily by the parent (reports) and, for the
				      * parent VP, by the first AP (run.c parent_watchdog) */
	/* Intercepts (hv/intercept.c): the message is built in the exit and
	 * posted to the parent once the VP has left its pCPU; the VP waits
	 * (VP_INTERCEPT) until the parent clears HvRegisterInterceptSuspend. */
	bool intercept_built;        /* (r) intercept holds a message not yet posted */
	volatile bool intercept_suspended; /* set by its pCPU when posting, cleared by the parent */
	struct synic_msg intercept;  /* (r) until posted, then (s) of the parent's VP */
	struct synic synic;          /* its own registers and queues (s); auto_eoi (r) */
	struct stimers stimer;       /* (r); a queued msg is also (s) */
	struct vlapic lapic;         /* (r) its local APIC (hv/interrupt.h); also the parent's
				      * KEEL_HVCALL_APIC_ACCESS while the VP is parked (suspended
				      * or waiting for an intercept): no pCPU runs it then */
	uint8_t pending_vector;      /* (r) the APIC's vector offered for injection; 0 = none */
	bool irq_recheck;            /* (r) something changed: vp_irq_update looks again */
	/* Fixed interrupts other CPUs post (hv/interrupt.h): set with atomic
	 * ORs by anyone, then posted_any; taken with atomic exchanges by the
	 * VP's own pCPU, which merges them into its APIC. */
	uint32_t posted[8];
	uint32_t posted_level[8];    /* which of them are level-triggered (set first) */
	bool posted_init;            /* an INIT */
	bool posted_nmi;             /* an NMI */
	uint32_t posted_sipi;        /* a SIPI: VP_SIPI_PENDING | its vector */
	bool posted_any;             /* set after any of the above */
	/* NMIs (SDM 6.7.1): the APIC's nmi_pending waits while an NMI the
	 * backend injected has not been ended by the guest's IRET. */
	bool nmi_blocked;            /* (r) */
	/* A level-triggered vector the guest has just ended with an EOI; the
	 * exit that did it tells the parent (its IOAPIC's Remote IRR) before
	 * the VP runs on (hv/intercept.h).  0: none.  (r), or the parent's
	 * KEEL_HVCALL_APIC_ACCESS while the VP is parked, as for lapic. */
	uint8_t level_eoi;
	bool wait_sipi;              /* (r) wait-for-SIPI: runs nothing until a SIPI (an AP after reset or INIT) */
	uint64_t irq_deadline;       /* (r) TSC of its next timer expiry, as of the last look */
	uint64_t assist_page_msr;    /* (r) HV_X64_MSR_VP_ASSIST_PAGE (children) */
	uint64_t tlb_gen_seen;       /* (r) its partition's tlb_gen at its last flush (hv/tlb.h) */
	/* Spin loops (hv/run.h, run_pause): whether its PAUSEs exit in this
	 * turn on its pCPU (the backend applies it before the VP runs and
	 * after each exit), and the TSC of its first PAUSE exit in this turn
	 * (0: none yet). */
	bool pause_exits;            /* (r) */
	uint64_t spin_since;         /* (r) */
	/* x87/SSE/AVX, XCR0, DR0-3/DR6, CR2: in the CPU from xstate_load
	 * before the VP runs until xstate_save after it left (hv/run.c), in
	 * here otherwise. */
	struct xstate xstate;
};

_Static_assert(__builtin_offsetof(struct vp, rip) == 8 * GPR_COUNT, "entry assembly layout");
_Static_assert(__builtin_offsetof(struct vp, arch) == 8 * GPR_COUNT + 8, "entry assembly layout");
_Static_assert(sizeof(struct vp) <= 4096, "a VP fits a frame");

/* Move past the instruction that exited (exit.next_rip, found by the
 * backend); -1 when its length could not be determined. */
static inline int vp_skip_instruction(struct vp *vp)
{
	if (!vp->exit.next_rip)
		return -1;
	vp->rip = vp->exit.next_rip;
	return 0;
}

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#endif
