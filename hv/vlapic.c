/*
 * The virtual local APIC; the model and contracts are in hv/vlapic.h.
 * Registers are kept decoded in struct vlapic; PPR, APR and the timer's
 * current count are computed when read rather than stored.
 */
#include <string.h>

#include "hv/vlapic.h"

/* Register index = xAPIC offset >> 4 = x2APIC MSR - 0x800. */
#define REG(offset) ((offset) >> 4)

#define ICR_LEVEL_ASSERT    (1u << 14)
#define ICR_LEVEL_TRIGGER   (1u << 15)
#define ICR_LOGICAL         (1u << 11)
/* xAPIC ICR low: vector, delivery mode, destination mode, level, trigger,
 * shorthand (SDM 11.6.1 figure 11-12); delivery status reads 0. */
#define ICR_LOW_WRITABLE    0x000ccfffu
#define ICR_HIGH_WRITABLE   0xff000000u
/* x2APIC ICR bits whose setting is #GP (SDM 11.12.9): 31:20, 17:16, 13.
 * Bit 12 (delivery status) is ignored. */
#define X2APIC_ICR_RESERVED 0xfff32000u

/* SVR: vector 7:0 (all eight bits writable since the Pentium 4; only P6
 * and Pentium hardwired 3:0 to ones), software enable 8, focus processor
 * checking 9 (kept, without effect).  Bit 12 would be EOI-broadcast suppression, which the
 * version register does not advertise. */
#define SVR_WRITABLE        0x3ffu
#define SVR_RESET           0xffu

#define DFR_RESET           0xffffffffu
#define DFR_MODEL_FLAT      0xfu
#define DFR_MODEL_CLUSTER   0x0u
#define LDR_XAPIC_WRITABLE  0xff000000u
#define TIMER_DIVIDE_WRITABLE 0xbu /* bits 3, 1:0 (SDM 11.5.4 figure 11-10) */

/* Writable bits of each LVT entry (SDM 11.5.1 figure 11-8): delivery
 * status (12) and remote IRR (14) read 0; timer bit 18 (TSC-deadline) is
 * reserved because TSC-deadline mode is not advertised. */
static const uint32_t lvt_writable[VLAPIC_LVT_COUNT] = {
	[VLAPIC_LVT_TIMER_ENTRY] = 0x300ffu,   /* vector, mask, periodic */
	[VLAPIC_LVT_THERMAL_ENTRY] = 0x107ffu, /* vector, mode, mask */
	[VLAPIC_LVT_PERF_ENTRY] = 0x107ffu,
	[VLAPIC_LVT_LINT0_ENTRY] = 0x1a7ffu,   /* + polarity (13), trigger (15) */
	[VLAPIC_LVT_LINT1_ENTRY] = 0x1a7ffu,
	[VLAPIC_LVT_ERROR_ENTRY] = 0x100ffu,   /* vector, mask */
};

#define TIMER_STOPPED UINT64_MAX

/* ---- 256-bit vector sets (IRR, ISR, TMR) ---- */

static bool vec_test(const uint32_t *set, unsigned vector)
{
	return (set[vector / 32] >> (vector % 32)) & 1;
}

static void vec_set(uint32_t *set, unsigned vector)
{
	set[vector / 32] |= 1u << (vector % 32);
}

static void vec_clear(uint32_t *set, unsigned vector)
{
	set[vector / 32] &= ~(1u << (vector % 32));
}

static int vec_highest(const uint32_t *set)
{
	for (int i = 7; i >= 0; i--)
		if (set[i])
			return i * 32 + 31 - __builtin_clz(set[i]);
	return -1;
}

/* Priority class (vector bits 7:4, kept in place) of a set's highest
 * vector, 0 if the set is empty. */
static uint32_t vec_class(const uint32_t *set)
{
	int v = vec_highest(set);

	return v < 0 ? 0 : (uint32_t)v & 0xf0;
}

/* ---- state ---- */

enum vlapic_mode vlapic_mode(const struct vlapic *v)
{
	if (!(v->base & VLAPIC_BASE_ENABLE))
		return VLAPIC_MODE_DISABLED;
	return (v->base & VLAPIC_BASE_X2APIC) ? VLAPIC_MODE_X2APIC : VLAPIC_MODE_XAPIC;
}

static bool software_enabled(const struct vlapic *v)
{
	return v->svr & VLAPIC_SVR_ENABLE;
}

/* x2APIC logical ID (SDM 11.12.10.2): cluster in 31:16, one bit of 15:0. */
static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 15));
}

/* Power-on register values; base, ID and event flags are the caller's. */
static void reset_registers(struct vlapic *v)
{
	memset(v->isr, 0, sizeof(v->isr));
	memset(v->tmr, 0, sizeof(v->tmr));
	memset(v->irr, 0, sizeof(v->irr));
	v->tpr = 0;
	v->ldr = vlapic_mode(v) == VLAPIC_MODE_X2APIC ? x2apic_ldr(v->id) : 0;
	v->dfr = DFR_RESET;
	v->svr = SVR_RESET;
	v->esr = 0;
	v->esr_pending = 0;
	v->icr_low = 0;
	v->icr_high = 0;
	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		v->lvt[i] = VLAPIC_LVT_MASKED;
	v->timer_initial = 0;
	v->timer_divide = 0;
	v->timer_start_count = 0;
	v->timer_start = 0;
	v->timer_deadline = TIMER_STOPPED;
}

void vlapic_reset(struct vlapic *v, uint32_t apic_id, bool bsp)
{
	memset(v, 0, sizeof(*v));
	v->id = apic_id;
	v->base = VLAPIC_BASE_ADDRESS | VLAPIC_BASE_ENABLE | (bsp ? VLAPIC_BASE_BSP : 0);
	reset_registers(v);
}

void vlapic_init_reset(struct vlapic *v)
{
	reset_registers(v);
	v->nmi_pending = false;
	v->init_pending = false;
	v->sipi_pending = false;
	v->sipi_vector = 0;
	v->extint_pending = false;
}

uint64_t vlapic_get_base(const struct vlapic *v)
{
	return v->base;
}

static enum vlapic_mode base_mode(uint64_t base)
{
	if (!(base & VLAPIC_BASE_ENABLE))
		return VLAPIC_MODE_DISABLED;
	return (base & VLAPIC_BASE_X2APIC) ? VLAPIC_MODE_X2APIC : VLAPIC_MODE_XAPIC;
}

int vlapic_set_base(struct vlapic *v, uint64_t value)
{
	const uint64_t flags = VLAPIC_BASE_BSP | VLAPIC_BASE_X2APIC | VLAPIC_BASE_ENABLE;
	enum vlapic_mode from = vlapic_mode(v), to = base_mode(value);

	/* Reserved bits and any base but the architectural one.  Keeping the
	 * page fixed means no guest can move it over other memory. */
	if ((value & ~flags) != VLAPIC_BASE_ADDRESS)
		return VLAPIC_GP;
	/* EXTD without EN is invalid; x2APIC may only be left to disabled and
	 * only entered from xAPIC (SDM 11.12.5 figure 11-32). */
	if ((value & VLAPIC_BASE_X2APIC) && !(value & VLAPIC_BASE_ENABLE))
		return VLAPIC_GP;
	if (from == VLAPIC_MODE_X2APIC && to == VLAPIC_MODE_XAPIC)
		return VLAPIC_GP;
	if (from == VLAPIC_MODE_DISABLED && to == VLAPIC_MODE_X2APIC)
		return VLAPIC_GP;

	v->base = value;
	/* Disabling loses the software-visible state (SDM 11.4.3); the state
	 * after re-enabling is the power-on one. */
	if (to == VLAPIC_MODE_DISABLED && from != VLAPIC_MODE_DISABLED)
		reset_registers(v);
	/* xAPIC -> x2APIC keeps the registers but the ID becomes the x2APIC
	 * ID and the LDR is derived from it (SDM 11.12.5.1). */
	if (to == VLAPIC_MODE_X2APIC && from == VLAPIC_MODE_XAPIC)
		v->ldr = x2apic_ldr(v->id);
	return VLAPIC_OK;
}

/* ---- priorities (SDM 11.8.3.1, 11.6.2.4) ---- */

static uint32_t ppr(const struct vlapic *v)
{
	uint32_t isr_class = vec_class(v->isr);

	return (v->tpr & 0xf0) >= isr_class ? v->tpr : isr_class;
}

static uint32_t apr(const struct vlapic *v)
{
	uint32_t tpr_class = v->tpr & 0xf0;
	uint32_t isr_class = vec_class(v->isr), irr_class = vec_class(v->irr);
	uint32_t highest = tpr_class;

	if (tpr_class >= irr_class && tpr_class > isr_class)
		return v->tpr;
	if (isr_class > highest)
		highest = isr_class;
	if (irr_class > highest)
		highest = irr_class;
	return highest;
}

uint8_t vlapic_priority(const struct vlapic *v)
{
	return (uint8_t)apr(v);
}

void vlapic_set_tpr(struct vlapic *v, uint8_t tpr)
{
	v->tpr = tpr;
}

uint8_t vlapic_get_tpr(const struct vlapic *v)
{
	return (uint8_t)v->tpr;
}

int vlapic_pending(const struct vlapic *v)
{
	int vector = vec_highest(v->irr);

	/* Only the highest request can beat the PPR: a lower one is in the
	 * same or a lower class. */
	if (vector < 0 || ((uint32_t)vector & 0xf0) <= (ppr(v) & 0xf0))
		return -1;
	return vector;
}

int vlapic_requested(const struct vlapic *v)
{
	int vector = vec_highest(v->irr);

	if (vector < 0 || ((uint32_t)vector & 0xf0) <= vec_class(v->isr))
		return -1;
	return vector;
}

bool vlapic_ack(struct vlapic *v, uint8_t vector)
{
	if (!vec_test(v->irr, vector))
		return false;
	vec_clear(v->irr, vector);
	vec_set(v->isr, vector);
	return true;
}

static struct vlapic_action *clear_action(struct vlapic_action *out, struct vlapic_action *scratch)
{
	if (!out)
		out = scratch;
	memset(out, 0, sizeof(*out));
	return out;
}

void vlapic_eoi(struct vlapic *v, struct vlapic_action *out)
{
	struct vlapic_action scratch;
	int vector = vec_highest(v->isr);

	out = clear_action(out, &scratch);
	if (vector < 0)
		return;
	vec_clear(v->isr, (unsigned)vector);
	/* A level-triggered interrupt's source (an IOAPIC pin) waits for the
	 * EOI before it may signal again (SDM 11.8.5). */
	if (vec_test(v->tmr, (unsigned)vector)) {
		vec_clear(v->tmr, (unsigned)vector);
		out->eoi = true;
		out->eoi_vector = (uint8_t)vector;
	}
}

/* ---- accepting interrupts ---- */

static void request(struct vlapic *v, uint8_t vector, bool level_triggered)
{
	vec_set(v->irr, vector);
	/* The TMR records the trigger mode of the latest acceptance
	 * (SDM 11.8.4). */
	if (level_triggered)
		vec_set(v->tmr, vector);
	else
		vec_clear(v->tmr, vector);
}

/* Record an error (SDM 11.5.3) and signal it through the LVT error entry
 * unless masked.  Every detected error signals, as on hardware; the IRR
 * bit coalesces repeats.  An illegal error vector only records "receive
 * illegal vector" rather than signalling again.  Returns whether an
 * interrupt was made pending. */
static bool record_error(struct vlapic *v, uint32_t error)
{
	uint32_t lvt = v->lvt[VLAPIC_LVT_ERROR_ENTRY];
	uint8_t vector = (uint8_t)lvt;

	v->esr_pending |= error;
	if (lvt & VLAPIC_LVT_MASKED)
		return false;
	if (vector < 16) {
		v->esr_pending |= VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR;
		return false;
	}
	request(v, vector, false);
	return true;
}

bool vlapic_accept(struct vlapic *v, enum vlapic_delivery mode, uint8_t vector,
		   bool level_triggered)
{
	if (vlapic_mode(v) == VLAPIC_MODE_DISABLED)
		return false;

	switch (mode) {
	case VLAPIC_DM_FIXED:
	case VLAPIC_DM_LOWEST:
		if (vector < 16) {
			record_error(v, VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
			return false;
		}
		/* A software-disabled APIC takes no maskable interrupts
		 * (SDM 11.4.7.2). */
		if (!software_enabled(v))
			return false;
		request(v, vector, level_triggered);
		return true;
	case VLAPIC_DM_NMI:
		v->nmi_pending = true;
		return true;
	case VLAPIC_DM_INIT:
		v->init_pending = true;
		return true;
	case VLAPIC_DM_SIPI:
		v->sipi_pending = true;
		v->sipi_vector = vector;
		return true;
	case VLAPIC_DM_EXTINT:
		v->extint_pending = true;
		return true;
	case VLAPIC_DM_SMI:
	default:
		return false;
	}
}

/* Deliver a local source through its LVT entry.  Timer and error entries
 * are always fixed; INIT and ExtINT exist only for LINT0/LINT1. */
static bool lvt_deliver(struct vlapic *v, enum vlapic_lvt entry)
{
	uint32_t lvt = v->lvt[entry];
	uint8_t vector = (uint8_t)lvt;
	bool lint = entry == VLAPIC_LVT_LINT0_ENTRY || entry == VLAPIC_LVT_LINT1_ENTRY;
	unsigned mode = VLAPIC_DM_FIXED;

	if (lvt & VLAPIC_LVT_MASKED)
		return false;
	if (entry != VLAPIC_LVT_TIMER_ENTRY && entry != VLAPIC_LVT_ERROR_ENTRY)
		mode = (lvt >> 8) & 7;

	switch (mode) {
	case VLAPIC_DM_FIXED:
		if (vector < 16)
			return record_error(v, VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
		request(v, vector, false);
		return true;
	case VLAPIC_DM_NMI:
		v->nmi_pending = true;
		return true;
	case VLAPIC_DM_INIT:
		if (!lint)
			return false;
		v->init_pending = true;
		return true;
	case VLAPIC_DM_EXTINT:
		if (!lint)
			return false;
		v->extint_pending = true;
		return true;
	default:
		return false;
	}
}

bool vlapic_lint(struct vlapic *v, unsigned pin)
{
	if (pin > 1)
		return false;
	if (vlapic_mode(v) == VLAPIC_MODE_DISABLED) {
		if (pin == 0)
			v->extint_pending = true;
		else
			v->nmi_pending = true;
		return true;
	}
	return lvt_deliver(v, pin == 0 ? VLAPIC_LVT_LINT0_ENTRY : VLAPIC_LVT_LINT1_ENTRY);
}

/* ---- destinations ---- */

bool vlapic_match(const struct vlapic *target, uint32_t dest, bool logical, bool x2apic_msg)
{
	enum vlapic_mode mode = vlapic_mode(target);

	if (mode == VLAPIC_MODE_DISABLED)
		return false;
	if (!x2apic_msg)
		dest &= 0xff;
	if (dest == (x2apic_msg ? 0xffffffffu : 0xffu))
		return true;

	if (!logical)
		return dest == (mode == VLAPIC_MODE_X2APIC ? target->id : (target->id & 0xff));

	if (mode == VLAPIC_MODE_X2APIC)
		return (dest >> 16) == (target->ldr >> 16) && (dest & target->ldr & 0xffff) != 0;

	/* xAPIC target: 8-bit logical ID against the low byte of dest. */
	uint32_t id = target->ldr >> 24, d = dest & 0xff;

	switch (target->dfr >> 28) {
	case DFR_MODEL_FLAT:
		return (id & d) != 0;
	case DFR_MODEL_CLUSTER:
		return (id >> 4) == (d >> 4) && (id & d & 0xf) != 0;
	default:
		return false;
	}
}

/* ---- ICR ---- */

/* Decode an ICR write into an IPI request.  dest is 8 or 32 bits. */
static void send_ipi(struct vlapic *v, uint32_t low, uint32_t dest, bool x2apic,
		     struct vlapic_action *out)
{
	unsigned mode = (low >> 8) & 7;
	uint8_t vector = (uint8_t)low;
	bool level_triggered = low & ICR_LEVEL_TRIGGER;

	/* 011b and 111b are reserved delivery modes. */
	if (mode == 3 || mode == VLAPIC_DM_EXTINT)
		return;
	/* INIT level de-assert only synchronised arbitration IDs on the old
	 * APIC bus; later processors ignore it, so nothing is sent. */
	if (mode == VLAPIC_DM_INIT && level_triggered && !(low & ICR_LEVEL_ASSERT))
		return;
	if ((mode == VLAPIC_DM_FIXED || mode == VLAPIC_DM_LOWEST) && vector < 16) {
		record_error(v, VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	out->send_ipi = true;
	out->ipi = (struct vlapic_ipi){
		.mode = (enum vlapic_delivery)mode,
		.shorthand = (enum vlapic_shorthand)((low >> 18) & 3),
		.dest = dest,
		.x2apic = x2apic,
		.logical = low & ICR_LOGICAL,
		.level_triggered = level_triggered,
		.vector = vector,
	};
}

/* ---- timer (SDM 11.5.4) ---- */

/* Divide configuration bits 3,1:0: 000b..110b divide by 2..128, 111b by 1. */
static uint64_t timer_divisor(const struct vlapic *v)
{
	uint32_t code = ((v->timer_divide >> 1) & 4) | (v->timer_divide & 3);

	return code == 7 ? 1 : 2ull << code;
}

static bool timer_periodic(const struct vlapic *v)
{
	return v->lvt[VLAPIC_LVT_TIMER_ENTRY] & VLAPIC_LVT_PERIODIC;
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
	/* UINT64_MAX means stopped, so a running deadline stops short of it. */
	return a >= UINT64_MAX - 1 - b ? UINT64_MAX - 1 : a + b;
}

/* Count `count` down from `now` at the current divisor (count > 0). */
static void timer_start(struct vlapic *v, uint32_t count, uint64_t now)
{
	v->timer_start = now;
	v->timer_start_count = count;
	v->timer_deadline = add_saturating(now, (uint64_t)count * timer_divisor(v));
}

static uint32_t timer_current(const struct vlapic *v, uint64_t now)
{
	uint64_t divisor = timer_divisor(v), period, into;

	if (v->timer_deadline == TIMER_STOPPED)
		return 0;
	if (now <= v->timer_start)
		return v->timer_start_count;
	if (now < v->timer_deadline)
		return v->timer_start_count - (uint32_t)((now - v->timer_start) / divisor);
	/* Past the deadline but not yet expired by the caller: a one-shot
	 * count has reached 0, a periodic one is into a later period. */
	if (!timer_periodic(v))
		return 0;
	period = (uint64_t)v->timer_initial * divisor;
	into = (now - v->timer_deadline) % period;
	return v->timer_initial - (uint32_t)(into / divisor);
}

static void write_timer_initial(struct vlapic *v, uint32_t value, uint64_t now,
				struct vlapic_action *out)
{
	v->timer_initial = value;
	if (value)
		timer_start(v, value, now);
	else
		v->timer_deadline = TIMER_STOPPED;
	out->timer_changed = true;
}

static void write_timer_divide(struct vlapic *v, uint32_t value, uint64_t now,
			       struct vlapic_action *out)
{
	bool counting = v->timer_deadline != TIMER_STOPPED && now < v->timer_deadline;
	uint32_t count = counting ? timer_current(v, now) : 0;

	v->timer_divide = value & TIMER_DIVIDE_WRITABLE;
	/* Keep the count reached and go on from it at the new rate.  A
	 * deadline already passed stays for vlapic_timer_expire to handle;
	 * later periods use the new divisor. */
	if (counting) {
		timer_start(v, count, now);
		out->timer_changed = true;
	}
}

uint64_t vlapic_timer_deadline(const struct vlapic *v)
{
	return v->timer_deadline;
}

bool vlapic_timer_expire(struct vlapic *v, uint64_t now)
{
	bool raised;

	if (v->timer_deadline == TIMER_STOPPED || now < v->timer_deadline)
		return false;
	raised = lvt_deliver(v, VLAPIC_LVT_TIMER_ENTRY);
	if (timer_periodic(v)) {
		uint64_t period = (uint64_t)v->timer_initial * timer_divisor(v);
		/* Skip the periods that passed unseen: one interrupt for all,
		 * and the next deadline is the first period end after now. */
		uint64_t periods = (now - v->timer_deadline) / period + 1;
		uint64_t next;

		if (periods > (UINT64_MAX - 1 - v->timer_deadline) / period)
			next = UINT64_MAX - 1;
		else
			next = v->timer_deadline + periods * period;
		v->timer_start = next - period;
		v->timer_start_count = v->timer_initial;
		v->timer_deadline = next;
	} else {
		v->timer_deadline = TIMER_STOPPED;
	}
	return raised;
}

/* ---- register access common to both interfaces ---- */

static void write_svr(struct vlapic *v, uint32_t value)
{
	v->svr = value & SVR_WRITABLE;
	/* Software disable masks every LVT entry; re-enabling leaves them
	 * masked (SDM 11.4.7.2). */
	if (!software_enabled(v))
		for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
			v->lvt[i] |= VLAPIC_LVT_MASKED;
}

static void write_lvt(struct vlapic *v, enum vlapic_lvt entry, uint32_t value)
{
	v->lvt[entry] = value & lvt_writable[entry];
	/* While software disabled the mask bit cannot be cleared. */
	if (!software_enabled(v))
		v->lvt[entry] |= VLAPIC_LVT_MASKED;
}

/* An ESR write makes the errors detected since the last one readable and
 * starts collecting afresh (SDM 11.5.3). */
static void write_esr(struct vlapic *v)
{
	v->esr = v->esr_pending;
	v->esr_pending = 0;
}

static bool lvt_register(unsigned reg)
{
	return reg >= REG(VLAPIC_LVT_TIMER) && reg <= REG(VLAPIC_LVT_ERROR);
}

/* Reads that mean the same in both modes; false if `reg` is not one. */
static bool read_common(const struct vlapic *v, unsigned reg, uint64_t now, uint32_t *value)
{
	if (reg >= REG(VLAPIC_ISR) && reg < REG(VLAPIC_ISR) + 8) {
		*value = v->isr[reg - REG(VLAPIC_ISR)];
		return true;
	}
	if (reg >= REG(VLAPIC_TMR) && reg < REG(VLAPIC_TMR) + 8) {
		*value = v->tmr[reg - REG(VLAPIC_TMR)];
		return true;
	}
	if (reg >= REG(VLAPIC_IRR) && reg < REG(VLAPIC_IRR) + 8) {
		*value = v->irr[reg - REG(VLAPIC_IRR)];
		return true;
	}
	if (lvt_register(reg)) {
		*value = v->lvt[reg - REG(VLAPIC_LVT_TIMER)];
		return true;
	}
	switch (reg) {
	case REG(VLAPIC_VERSION):
		*value = VLAPIC_VERSION_VALUE;
		return true;
	case REG(VLAPIC_TPR):
		*value = v->tpr;
		return true;
	case REG(VLAPIC_PPR):
		*value = ppr(v);
		return true;
	case REG(VLAPIC_LDR):
		*value = v->ldr;
		return true;
	case REG(VLAPIC_SVR):
		*value = v->svr;
		return true;
	case REG(VLAPIC_ESR):
		*value = v->esr;
		return true;
	case REG(VLAPIC_TIMER_INITIAL):
		*value = v->timer_initial;
		return true;
	case REG(VLAPIC_TIMER_CURRENT):
		*value = timer_current(v, now);
		return true;
	case REG(VLAPIC_TIMER_DIVIDE):
		*value = v->timer_divide;
		return true;
	default:
		return false;
	}
}

/* ---- xAPIC page ---- */

int vlapic_mmio_read(struct vlapic *v, uint32_t offset, uint32_t *value, uint64_t now)
{
	unsigned reg = offset >> 4;

	if (vlapic_mode(v) != VLAPIC_MODE_XAPIC)
		return VLAPIC_UNMAPPED;
	*value = 0;
	if (offset >= 0x1000 || (offset & 0xf))
		goto reserved;
	if (read_common(v, reg, now, value))
		return VLAPIC_OK;
	switch (reg) {
	case REG(VLAPIC_ID):
		*value = (v->id & 0xff) << 24;
		return VLAPIC_OK;
	case REG(VLAPIC_APR):
		*value = apr(v);
		return VLAPIC_OK;
	case REG(VLAPIC_EOI): /* write-only: reads 0 */
	case REG(VLAPIC_RRD): /* remote read not provided: status 0 */
		return VLAPIC_OK;
	case REG(VLAPIC_DFR):
		*value = v->dfr;
		return VLAPIC_OK;
	case REG(VLAPIC_ICR_LOW):
		*value = v->icr_low;
		return VLAPIC_OK;
	case REG(VLAPIC_ICR_HIGH):
		*value = v->icr_high;
		return VLAPIC_OK;
	default:
		break;
	}
reserved:
	record_error(v, VLAPIC_ESR_ILLEGAL_REGISTER);
	return VLAPIC_OK;
}

int vlapic_mmio_write(struct vlapic *v, uint32_t offset, uint32_t value, uint64_t now,
		      struct vlapic_action *out)
{
	struct vlapic_action scratch;
	unsigned reg = offset >> 4;

	out = clear_action(out, &scratch);
	if (vlapic_mode(v) != VLAPIC_MODE_XAPIC)
		return VLAPIC_UNMAPPED;
	if (offset >= 0x1000 || (offset & 0xf))
		goto reserved;
	if (lvt_register(reg)) {
		write_lvt(v, (enum vlapic_lvt)(reg - REG(VLAPIC_LVT_TIMER)), value);
		return VLAPIC_OK;
	}
	if (reg >= REG(VLAPIC_ISR) && reg < REG(VLAPIC_IRR) + 8)
		return VLAPIC_OK; /* ISR, TMR, IRR: read-only */

	switch (reg) {
	case REG(VLAPIC_ID): /* read-only here: the ID is the VP index */
	case REG(VLAPIC_VERSION):
	case REG(VLAPIC_APR):
	case REG(VLAPIC_PPR):
	case REG(VLAPIC_RRD):
	case REG(VLAPIC_TIMER_CURRENT):
		return VLAPIC_OK;
	case REG(VLAPIC_TPR):
		v->tpr = value & 0xff;
		return VLAPIC_OK;
	case REG(VLAPIC_EOI):
		vlapic_eoi(v, out);
		return VLAPIC_OK;
	case REG(VLAPIC_LDR):
		v->ldr = value & LDR_XAPIC_WRITABLE;
		return VLAPIC_OK;
	case REG(VLAPIC_DFR):
		/* Only the model (31:28) is writable; the rest reads as ones. */
		v->dfr = value | 0x0fffffffu;
		return VLAPIC_OK;
	case REG(VLAPIC_SVR):
		write_svr(v, value);
		return VLAPIC_OK;
	case REG(VLAPIC_ESR):
		write_esr(v);
		return VLAPIC_OK;
	case REG(VLAPIC_ICR_LOW):
		/* Writing the low half sends, with the high half written before. */
		v->icr_low = value & ICR_LOW_WRITABLE;
		send_ipi(v, v->icr_low, v->icr_high >> 24, false, out);
		return VLAPIC_OK;
	case REG(VLAPIC_ICR_HIGH):
		v->icr_high = value & ICR_HIGH_WRITABLE;
		return VLAPIC_OK;
	case REG(VLAPIC_TIMER_INITIAL):
		write_timer_initial(v, value, now, out);
		return VLAPIC_OK;
	case REG(VLAPIC_TIMER_DIVIDE):
		write_timer_divide(v, value, now, out);
		return VLAPIC_OK;
	default:
		break;
	}
reserved:
	record_error(v, VLAPIC_ESR_ILLEGAL_REGISTER);
	return VLAPIC_OK;
}

/* ---- x2APIC MSRs (SDM 11.12.1.2, table 11-6) ---- */

int vlapic_msr_read(struct vlapic *v, uint32_t msr, uint64_t *value, uint64_t now)
{
	unsigned reg = msr - VLAPIC_MSR_FIRST;
	uint32_t low;

	if (vlapic_mode(v) != VLAPIC_MODE_X2APIC || msr < VLAPIC_MSR_FIRST || msr > VLAPIC_MSR_LAST)
		return VLAPIC_GP;
	if (read_common(v, reg, now, &low)) {
		*value = low;
		return VLAPIC_OK;
	}
	switch (reg) {
	case REG(VLAPIC_ID):
		*value = v->id;
		return VLAPIC_OK;
	case REG(VLAPIC_ICR_LOW):
		*value = (uint64_t)v->icr_high << 32 | v->icr_low;
		return VLAPIC_OK;
	default:
		/* EOI and SELF_IPI are write-only; APR, RRD, DFR, ICR high and
		 * CMCI do not exist here. */
		return VLAPIC_GP;
	}
}

int vlapic_msr_write(struct vlapic *v, uint32_t msr, uint64_t value, uint64_t now,
		     struct vlapic_action *out)
{
	struct vlapic_action scratch;
	unsigned reg = msr - VLAPIC_MSR_FIRST;
	uint32_t low = (uint32_t)value;

	out = clear_action(out, &scratch);
	if (vlapic_mode(v) != VLAPIC_MODE_X2APIC || msr < VLAPIC_MSR_FIRST || msr > VLAPIC_MSR_LAST)
		return VLAPIC_GP;
	/* Bits 63:32 are reserved in every register but the ICR. */
	if (reg != REG(VLAPIC_ICR_LOW) && (value >> 32))
		return VLAPIC_GP;
	if (lvt_register(reg)) {
		write_lvt(v, (enum vlapic_lvt)(reg - REG(VLAPIC_LVT_TIMER)), low);
		return VLAPIC_OK;
	}

	switch (reg) {
	case REG(VLAPIC_TPR):
		if (low & ~0xffu)
			return VLAPIC_GP;
		v->tpr = low;
		return VLAPIC_OK;
	case REG(VLAPIC_EOI):
		if (low)
			return VLAPIC_GP;
		vlapic_eoi(v, out);
		return VLAPIC_OK;
	case REG(VLAPIC_SVR):
		if (low & ~SVR_WRITABLE)
			return VLAPIC_GP;
		write_svr(v, low);
		return VLAPIC_OK;
	case REG(VLAPIC_ESR):
		if (low)
			return VLAPIC_GP;
		write_esr(v);
		return VLAPIC_OK;
	case REG(VLAPIC_ICR_LOW):
		if (low & X2APIC_ICR_RESERVED)
			return VLAPIC_GP;
		v->icr_low = low & ICR_LOW_WRITABLE;
		v->icr_high = (uint32_t)(value >> 32);
		send_ipi(v, v->icr_low, v->icr_high, true, out);
		return VLAPIC_OK;
	case REG(VLAPIC_TIMER_INITIAL):
		write_timer_initial(v, low, now, out);
		return VLAPIC_OK;
	case REG(VLAPIC_TIMER_DIVIDE):
		write_timer_divide(v, low, now, out);
		return VLAPIC_OK;
	case REG(VLAPIC_SELF_IPI):
		/* A fixed, edge-triggered IPI to self with this vector
		 * (SDM 11.12.11); bits 31:8 are reserved. */
		if (low & ~0xffu)
			return VLAPIC_GP;
		send_ipi(v, low, 0, true, out);
		if (out->send_ipi)
			out->ipi.shorthand = VLAPIC_SH_SELF;
		return VLAPIC_OK;
	default:
		/* Read-only (ID, version, PPR, LDR, ISR, TMR, IRR, current
		 * count) or nonexistent (APR, RRD, DFR, ICR high, CMCI). */
		return VLAPIC_GP;
	}
}
