/*
 * The virtual local APIC of one virtual processor (Intel SDM vol. 3,
 * chapter 11 "Advanced Programmable Interrupt Controller"; x2APIC in 11.12).
 * Vendor-neutral and pure: no locks, no pCPU, no allocation, no logging, no
 * pointer to any other VP, so the same file links into the hypervisor and
 * into a host unit test.
 *
 * Who calls what.  The hypervisor embeds one struct vlapic in each VP and
 * holds that VP's lock around every call (a call reading another VP's APIC,
 * vlapic_match or vlapic_priority, needs that VP's lock instead).  It
 *   - forwards the guest's xAPIC page accesses (vlapic_mmio_*), x2APIC MSR
 *     accesses (vlapic_msr_*) and IA32_APIC_BASE (vlapic_*_base);
 *   - resolves what a write asks for in struct vlapic_action: an IPI's
 *     destinations (vlapic_match on every VP of the partition, the lowest
 *     vlapic_priority for lowest-priority delivery), an EOI for the IOAPIC,
 *     a timer to reprogram;
 *   - delivers every interrupt, IPIs to self included, with vlapic_accept
 *     on the target's APIC, then kicks the target's pCPU;
 *   - injects vlapic_pending() when the guest can take it, then calls
 *     vlapic_ack(); consumes nmi_pending, init_pending, sipi_pending and
 *     extint_pending itself (clearing them), calling vlapic_init_reset()
 *     when it performs an INIT;
 *   - arms its own timer at vlapic_timer_deadline() and calls
 *     vlapic_timer_expire() when it fires; syncs CR8 with vlapic_*_tpr.
 * After any call that changes state the caller re-evaluates
 * vlapic_pending(): TPR, EOI and SVR writes change what may be delivered,
 * and a detected error may raise the LVT error vector.
 *
 * Time.  `now` is the VP's virtual time in nanoseconds, from any origin,
 * and must not go backwards.  The timer's input clock runs at
 * VLAPIC_TIMER_HZ (one tick per ns) before the divide configuration.
 *
 * Choices the SDM leaves open (all documented where they are made):
 *   - APIC ID is the VP index given to vlapic_reset and is read-only (an
 *     xAPIC write to it is ignored); the xAPIC ID register shows its low
 *     8 bits, x2APIC all 32.
 *   - Six LVT entries (timer, thermal, perf, LINT0, LINT1, error): no CMCI.
 *     EOI-broadcast suppression, TSC-deadline mode and remote read are not
 *     provided; SVR bit 9 (focus processor checking) is kept but has no
 *     effect, lowest-priority arbitration being the caller's.
 *   - An ICR "INIT level de-assert" (INIT, level trigger, level 0) is
 *     dropped: it has no effect on Pentium 4 and later processors.  ICR
 *     delivery modes 011b and 111b (reserved) are dropped too.
 *   - LINT0/LINT1 inputs are edge-triggered: the remote-IRR protocol of a
 *     level-triggered LINT is not modelled.
 */
#ifndef KEEL_HV_VLAPIC_H
#define KEEL_HV_VLAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Results of the register interfaces.  VLAPIC_GP has the value of
 * VCPU_MSR_FAULT so an MSR handler can return it as it is. */
#define VLAPIC_OK       0
#define VLAPIC_GP       (-1) /* raise #GP(0) in the guest */
#define VLAPIC_UNMAPPED 1    /* the xAPIC page is not decoded (disabled or x2APIC mode) */

#define VLAPIC_TIMER_HZ 1000000000ull /* timer input clock: 1 tick per ns */

/* IA32_APIC_BASE (MSR 0x1b), SDM 11.4.4 figure 11-5. */
#define VLAPIC_MSR_APIC_BASE    0x1bu
#define VLAPIC_BASE_ADDRESS     0xfee00000ull
#define VLAPIC_BASE_BSP         (1ull << 8)
#define VLAPIC_BASE_X2APIC      (1ull << 10) /* EXTD */
#define VLAPIC_BASE_ENABLE      (1ull << 11) /* EN: global enable */

/* Register offsets in the xAPIC page (SDM table 11-1).  The x2APIC MSR of
 * a register is VLAPIC_MSR(offset) (SDM table 11-6). */
#define VLAPIC_ID          0x020u
#define VLAPIC_VERSION     0x030u
#define VLAPIC_TPR         0x080u
#define VLAPIC_APR         0x090u
#define VLAPIC_PPR         0x0a0u
#define VLAPIC_EOI         0x0b0u
#define VLAPIC_RRD         0x0c0u
#define VLAPIC_LDR         0x0d0u
#define VLAPIC_DFR         0x0e0u
#define VLAPIC_SVR         0x0f0u
#define VLAPIC_ISR         0x100u /* 8 registers, 0x100..0x170 */
#define VLAPIC_TMR         0x180u /* 8 registers, 0x180..0x1f0 */
#define VLAPIC_IRR         0x200u /* 8 registers, 0x200..0x270 */
#define VLAPIC_ESR         0x280u
#define VLAPIC_LVT_CMCI    0x2f0u /* not provided: reserved here */
#define VLAPIC_ICR_LOW     0x300u
#define VLAPIC_ICR_HIGH    0x310u /* xAPIC only; x2APIC's ICR is one 64-bit MSR */
#define VLAPIC_LVT_TIMER   0x320u
#define VLAPIC_LVT_THERMAL 0x330u
#define VLAPIC_LVT_PERF    0x340u
#define VLAPIC_LVT_LINT0   0x350u
#define VLAPIC_LVT_LINT1   0x360u
#define VLAPIC_LVT_ERROR   0x370u
#define VLAPIC_TIMER_INITIAL 0x380u
#define VLAPIC_TIMER_CURRENT 0x390u
#define VLAPIC_TIMER_DIVIDE  0x3e0u
#define VLAPIC_SELF_IPI    0x3f0u /* x2APIC only */

#define VLAPIC_MSR_FIRST   0x800u
#define VLAPIC_MSR_LAST    0x8ffu
#define VLAPIC_MSR(offset) (VLAPIC_MSR_FIRST + ((offset) >> 4))

/* Version register: version 0x14 (integrated APIC), max LVT entry 5 in
 * bits 23:16, bit 24 (EOI-broadcast suppression) clear. */
#define VLAPIC_VERSION_VALUE 0x00050014u

/* Spurious-interrupt vector register, SDM 11.9 figure 11-23. */
#define VLAPIC_SVR_ENABLE    (1u << 8)
/* LVT bits, SDM 11.5.1 figure 11-8. */
#define VLAPIC_LVT_MASKED    (1u << 16)
#define VLAPIC_LVT_PERIODIC  (1u << 17)
/* Error status register bits, SDM 11.5.3 figure 11-9. */
#define VLAPIC_ESR_SEND_ILLEGAL_VECTOR    (1u << 5)
#define VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REGISTER       (1u << 7)

enum vlapic_mode {
	VLAPIC_MODE_DISABLED, /* IA32_APIC_BASE.EN = 0 */
	VLAPIC_MODE_XAPIC,
	VLAPIC_MODE_X2APIC,
};

/* LVT entries in register order (timer at 0x320 ... error at 0x370). */
enum vlapic_lvt {
	VLAPIC_LVT_TIMER_ENTRY,
	VLAPIC_LVT_THERMAL_ENTRY,
	VLAPIC_LVT_PERF_ENTRY,
	VLAPIC_LVT_LINT0_ENTRY,
	VLAPIC_LVT_LINT1_ENTRY,
	VLAPIC_LVT_ERROR_ENTRY,
	VLAPIC_LVT_COUNT,
};

/* Delivery modes, numbered as in the ICR and LVT (SDM 11.6.1). */
enum vlapic_delivery {
	VLAPIC_DM_FIXED = 0,
	VLAPIC_DM_LOWEST = 1,
	VLAPIC_DM_SMI = 2,
	VLAPIC_DM_NMI = 4,
	VLAPIC_DM_INIT = 5,
	VLAPIC_DM_SIPI = 6,
	VLAPIC_DM_EXTINT = 7, /* LVT and IOAPIC only, never an IPI */
};

/* ICR destination shorthand, numbered as in ICR bits 19:18. */
enum vlapic_shorthand {
	VLAPIC_SH_NONE = 0,   /* use dest / logical */
	VLAPIC_SH_SELF = 1,
	VLAPIC_SH_ALL = 2,    /* all including self */
	VLAPIC_SH_OTHERS = 3, /* all excluding self */
};

/* An IPI the guest asked for.  Fields are decoded, not checked against the
 * SDM's table of valid shorthand/mode combinations: the hypervisor decides
 * what an odd combination does. */
struct vlapic_ipi {
	enum vlapic_delivery mode; /* never EXTINT */
	enum vlapic_shorthand shorthand;
	uint32_t dest;             /* 8 bits from an xAPIC, 32 from an x2APIC */
	bool x2apic;               /* dest is in x2APIC format (for vlapic_match) */
	bool logical;              /* destination mode */
	bool level_triggered;      /* ICR trigger mode */
	uint8_t vector;            /* >= 16 for FIXED and LOWEST */
};

/* What a register write asks of the hypervisor.  Zeroed by every write. */
struct vlapic_action {
	bool send_ipi;           /* deliver `ipi` */
	struct vlapic_ipi ipi;
	bool eoi;                /* a level-triggered interrupt ended: */
	uint8_t eoi_vector;      /*   tell the IOAPIC(s) this vector */
	bool timer_changed;      /* reprogram at vlapic_timer_deadline() */
};

/*
 * One VP's APIC.  Every field is protected by the owning VP's lock; only
 * hv/vlapic.c writes them.  The event flags are the hypervisor's to
 * consume: it clears a flag when it has acted on it.
 */
struct vlapic {
	uint64_t base;                      /* IA32_APIC_BASE */
	uint32_t id;                        /* APIC ID = VP index */
	uint32_t tpr;                       /* bits 7:0 */
	uint32_t ldr;                       /* as the register reads in the current mode */
	uint32_t dfr;                       /* xAPIC: bits 31:28 model, 27:0 ones */
	uint32_t svr;
	uint32_t isr[8], tmr[8], irr[8];    /* 256-bit vectors, 32 per word */
	uint32_t esr;                       /* latched by the last ESR write */
	uint32_t esr_pending;               /* errors detected since that write */
	uint32_t icr_low;                   /* delivery status (bit 12) always 0 */
	uint32_t icr_high;                  /* xAPIC: dest in 31:24; x2APIC: 32-bit dest */
	uint32_t lvt[VLAPIC_LVT_COUNT];
	uint32_t timer_initial;             /* initial-count register */
	uint32_t timer_divide;              /* divide-configuration register */
	uint32_t timer_start_count;         /* count at timer_start */
	uint64_t timer_start;               /* ns: the count was timer_start_count */
	uint64_t timer_deadline;            /* ns: the count reaches 0; UINT64_MAX stopped */

	bool nmi_pending;
	bool init_pending;
	bool sipi_pending;
	uint8_t sipi_vector;                /* the latest SIPI's vector */
	bool extint_pending;                /* ask the (virtual) PIC for the vector */
};

/* Power-on state (SDM 11.4.7.1): IRR/ISR/TMR, ICR, LDR, TPR, ESR and the
 * timer zero, timer stopped, divide configuration 0 (divide by 2), every
 * LVT masked, SVR 0xff (software disabled), DFR all ones, no pending
 * events; xAPIC mode at VLAPIC_BASE_ADDRESS, BSP flag set if `bsp`. */
void vlapic_reset(struct vlapic *v, uint32_t apic_id, bool bsp);

/* An INIT was performed on the VP (SDM 11.4.7.3, 11.12.5.2): the registers
 * return to power-on state but IA32_APIC_BASE (mode, BSP flag) and the ID
 * are kept, and in x2APIC mode the LDR stays derived from the ID.  Clears
 * every pending event flag. */
void vlapic_init_reset(struct vlapic *v);

enum vlapic_mode vlapic_mode(const struct vlapic *v);

/* IA32_APIC_BASE.  A write returns VLAPIC_OK or VLAPIC_GP (nothing
 * changed) for: reserved bits, a base other than VLAPIC_BASE_ADDRESS
 * (relocation is refused), EXTD without EN, x2APIC -> xAPIC, disabled ->
 * x2APIC (SDM 11.12.5 figure 11-32).  Entering disabled mode resets the
 * APIC state to power-on values (the BSP flag and pending event flags
 * stay); entering x2APIC makes the LDR (id >> 4) << 16 | 1 << (id & 15).
 * The caller re-reads vlapic_timer_deadline() afterwards.  Whether the
 * guest may set EXTD at all (CPUID.01H:ECX.x2APIC) is the caller's check. */
uint64_t vlapic_get_base(const struct vlapic *v);
int vlapic_set_base(struct vlapic *v, uint64_t value);

/*
 * xAPIC page access: a 32-bit access at `offset` (0..0xfff) in the page.
 * Returns VLAPIC_UNMAPPED, touching nothing, unless in xAPIC mode; else
 * VLAPIC_OK.  An offset that is no register (reserved, CMCI, SELF_IPI,
 * misaligned) reads 0, ignores writes and records ESR "illegal register
 * address"; writes to read-only registers (ID, version, APR, PPR, RRD,
 * ISR, TMR, IRR, current count) are ignored, reads of EOI return 0.
 * `out` (may be NULL here and in every call taking it) receives what a
 * write asks for.
 */
int vlapic_mmio_read(struct vlapic *v, uint32_t offset, uint32_t *value, uint64_t now);
int vlapic_mmio_write(struct vlapic *v, uint32_t offset, uint32_t value, uint64_t now,
		      struct vlapic_action *out);

/*
 * x2APIC MSR access (0x800..0x8ff).  Returns VLAPIC_GP, touching nothing,
 * when not in x2APIC mode, for a register that does not exist in x2APIC
 * mode (APR 0x809, RRD 0x80c, DFR 0x80e, ICR high 0x831, CMCI, reserved),
 * for reads of EOI and SELF_IPI, for writes to read-only registers (ID,
 * version, PPR, LDR, ISR, TMR, IRR, current count), for bits 63:32 set in
 * anything but the ICR, and for reserved bits set in TPR (31:8), SVR
 * (31:10), ESR and EOI (any), ICR (31:20, 17:16, 13) and SELF_IPI (31:8).
 * Reserved LVT and divide bits are ignored as in xAPIC mode.
 */
int vlapic_msr_read(struct vlapic *v, uint32_t msr, uint64_t *value, uint64_t now);
int vlapic_msr_write(struct vlapic *v, uint32_t msr, uint64_t value, uint64_t now,
		     struct vlapic_action *out);

/*
 * Does `target` accept a message for `dest` in physical or logical
 * destination mode?  `x2apic_msg`: dest is 32 bits (from an x2APIC ICR),
 * else 8 bits (xAPIC ICR, IOAPIC, MSI).  A disabled target matches
 * nothing.  Broadcast (0xff, or 0xffffffff for an x2APIC message) matches
 * every target in either mode.  Physical: dest equals the ID (its low
 * 8 bits for a target in xAPIC mode).  Logical, target in xAPIC mode,
 * with bits 7:0 of dest and LDR[31:24]: flat model (DFR 0xf) bits
 * intersect; cluster model (DFR 0x0) high nibbles equal and low nibbles
 * intersect; any other model matches nothing.  Logical, target in x2APIC
 * mode: dest[31:16] equals LDR[31:16] and dest[15:0] intersects LDR[15:0].
 * Shorthands are the caller's: this is only the addressed case.
 */
bool vlapic_match(const struct vlapic *target, uint32_t dest, bool logical, bool x2apic_msg);

/* Arbitration priority (SDM 11.6.2.4, the APR): for lowest-priority
 * delivery the caller picks the matching target with the smallest value,
 * ties to the lowest VP index. */
uint8_t vlapic_priority(const struct vlapic *v);

/*
 * Deliver one message to this APIC.  FIXED and LOWEST set the IRR bit and
 * set (level) or clear (edge) the TMR bit (SDM 11.8.4); a vector < 16
 * records ESR "receive illegal vector" and is dropped; while software
 * disabled they are dropped.  NMI, INIT, SIPI (recording its vector,
 * the latest wins) and EXTINT set their flag whether software enabled or
 * not.  SMI is dropped (no SMM).  A disabled APIC accepts nothing.
 * Returns whether the message was taken.
 */
bool vlapic_accept(struct vlapic *v, enum vlapic_delivery mode, uint8_t vector,
		   bool level_triggered);

/* An edge on LINT0 (pin 0) or LINT1 (pin 1): delivered as the LVT entry
 * says unless masked (fixed, NMI, INIT or ExtINT; SMI dropped).  With the
 * APIC disabled the pins are INTR and NMI (SDM 11.4.3).  Returns whether
 * something was left pending. */
bool vlapic_lint(struct vlapic *v, unsigned pin);

/* The vector to inject: the highest IRR vector whose priority class
 * (vector >> 4) is above the PPR's class, else -1 (SDM 11.8.3). */
int vlapic_pending(const struct vlapic *v);

/* As vlapic_pending() but leaving the task priority out (only what is in
 * service holds a request back): for a VP whose TPR the CPU applies
 * itself (SVM's V_TPR, VT-x CR8 exiting), so that lowering it needs no
 * exit to release the interrupt. */
int vlapic_requested(const struct vlapic *v);

/* No interrupt requested at all: the cheap test before vlapic_pending(). */
static inline bool vlapic_irr_empty(const struct vlapic *v)
{
	return (v->irr[0] | v->irr[1] | v->irr[2] | v->irr[3] | v->irr[4] | v->irr[5] | v->irr[6] | v->irr[7]) == 0;
}

/* The guest took `vector` (from vlapic_pending): IRR -> ISR, which raises
 * the PPR.  Returns false, changing nothing, if it was not in the IRR. */
bool vlapic_ack(struct vlapic *v, uint8_t vector);

/* An EOI (also what the EOI register and Hyper-V's HV_X64_MSR_EOI do):
 * clears the highest ISR bit; if that vector's TMR bit is set, clears it
 * and reports the vector in `out` (EOI broadcast is never suppressed). */
void vlapic_eoi(struct vlapic *v, struct vlapic_action *out);

/* The task-priority register (bits 7:0), for CR8: a CR8 write of x is
 * vlapic_set_tpr(v, x << 4), a CR8 read vlapic_get_tpr(v) >> 4 (SDM
 * 11.8.6.1). */
void vlapic_set_tpr(struct vlapic *v, uint8_t tpr);
uint8_t vlapic_get_tpr(const struct vlapic *v);

/*
 * Timer (SDM 11.5.4).  Writing the initial count starts the count from
 * that value at `now` (0 stops it); the current count is computed from
 * `now`.  A divide-configuration write while counting keeps the count
 * reached and continues from it at the new rate.  Switching between
 * one-shot and periodic takes effect at the next expiry.  TSC-deadline is
 * not advertised, so LVT timer bit 18 is reserved and reads 0: mode 10b
 * behaves as one-shot, 11b as periodic.
 */
/* ns time at which the count next reaches 0, or UINT64_MAX if stopped. */
uint64_t vlapic_timer_deadline(const struct vlapic *v);
/* If the deadline is <= now: raise the LVT timer vector (nothing if
 * masked), then stop a one-shot timer (current count reads 0) or re-arm a
 * periodic one at the first period end after `now` (periods missed in
 * between are dropped: one interrupt, no storm).  Returns whether an
 * interrupt (the timer's, or the error interrupt for an illegal vector)
 * was made pending. */
bool vlapic_timer_expire(struct vlapic *v, uint64_t now);

#endif
