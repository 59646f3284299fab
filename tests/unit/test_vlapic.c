/*
 * Host unit test for the virtual local APIC (hv/vlapic.c): register
 * semantics of both interfaces, priorities, delivery, destinations and
 * the timer against the Intel SDM vol. 3 chapter 11.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv/vlapic.h"

#define BASE_XAPIC  (VLAPIC_BASE_ADDRESS | VLAPIC_BASE_ENABLE)
#define BASE_X2APIC (VLAPIC_BASE_ADDRESS | VLAPIC_BASE_ENABLE | VLAPIC_BASE_X2APIC)
#define BASE_OFF    VLAPIC_BASE_ADDRESS

/* ---- helpers: every access must succeed ---- */

static uint32_t mmio_rd(struct vlapic *v, uint32_t offset, uint64_t now)
{
	uint32_t value = 0xdeadbeef;

	assert_int_equal(vlapic_mmio_read(v, offset, &value, now), VLAPIC_OK);
	return value;
}

static struct vlapic_action mmio_wr(struct vlapic *v, uint32_t offset, uint32_t value, uint64_t now)
{
	struct vlapic_action a;

	memset(&a, 0xff, sizeof(a));
	assert_int_equal(vlapic_mmio_write(v, offset, value, now, &a), VLAPIC_OK);
	return a;
}

static uint64_t msr_rd(struct vlapic *v, uint32_t offset, uint64_t now)
{
	uint64_t value = 0xdeadbeef;

	assert_int_equal(vlapic_msr_read(v, VLAPIC_MSR(offset), &value, now), VLAPIC_OK);
	return value;
}

static struct vlapic_action msr_wr(struct vlapic *v, uint32_t offset, uint64_t value, uint64_t now)
{
	struct vlapic_action a;

	memset(&a, 0xff, sizeof(a));
	assert_int_equal(vlapic_msr_write(v, VLAPIC_MSR(offset), value, now, &a), VLAPIC_OK);
	return a;
}

static int msr_wr_rc(struct vlapic *v, uint32_t msr, uint64_t value)
{
	struct vlapic_action a;

	return vlapic_msr_write(v, msr, value, 0, &a);
}

static int msr_rd_rc(struct vlapic *v, uint32_t msr)
{
	uint64_t value;

	return vlapic_msr_read(v, msr, &value, 0);
}

/* xAPIC, software enabled, spurious vector 0xff. */
static void setup_xapic(struct vlapic *v, uint32_t id)
{
	vlapic_reset(v, id, false);
	mmio_wr(v, VLAPIC_SVR, VLAPIC_SVR_ENABLE | 0xff, 0);
}

static void setup_x2apic(struct vlapic *v, uint32_t id)
{
	vlapic_reset(v, id, false);
	assert_int_equal(vlapic_set_base(v, BASE_X2APIC), VLAPIC_OK);
	msr_wr(v, VLAPIC_SVR, VLAPIC_SVR_ENABLE | 0xff, 0);
}

static bool in_set(const uint32_t *set, unsigned vector)
{
	return (set[vector / 32] >> (vector % 32)) & 1;
}

static uint32_t read_esr(struct vlapic *v)
{
	mmio_wr(v, VLAPIC_ESR, 0, 0);
	return mmio_rd(v, VLAPIC_ESR, 0);
}

/* ---- reset ---- */

static void test_reset_state(void **state)
{
	struct vlapic v;

	memset(&v, 0xa5, sizeof(v));
	vlapic_reset(&v, 3, true);
	assert_int_equal(vlapic_get_base(&v), 0xfee00000ull | (1 << 11) | (1 << 8));
	assert_int_equal(vlapic_mode(&v), VLAPIC_MODE_XAPIC);
	assert_int_equal(mmio_rd(&v, VLAPIC_ID, 0), 3u << 24);
	assert_int_equal(mmio_rd(&v, VLAPIC_VERSION, 0), 0x00050014);
	assert_int_equal(mmio_rd(&v, VLAPIC_TPR, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_APR, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_PPR, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LDR, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_DFR, 0), 0xffffffff);
	assert_int_equal(mmio_rd(&v, VLAPIC_SVR, 0), 0xff);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(mmio_rd(&v, VLAPIC_ISR + 16 * i, 0), 0);
		assert_int_equal(mmio_rd(&v, VLAPIC_TMR + 16 * i, 0), 0);
		assert_int_equal(mmio_rd(&v, VLAPIC_IRR + 16 * i, 0), 0);
	}
	assert_int_equal(mmio_rd(&v, VLAPIC_ESR, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_ICR_LOW, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_ICR_HIGH, 0), 0);
	for (uint32_t off = VLAPIC_LVT_TIMER; off <= VLAPIC_LVT_ERROR; off += 16)
		assert_int_equal(mmio_rd(&v, off, 0), 0x00010000);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_INITIAL, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_DIVIDE, 0), 0);
	assert_true(vlapic_timer_deadline(&v) == UINT64_MAX);
	assert_int_equal(vlapic_pending(&v), -1);
	assert_false(v.nmi_pending);
	assert_false(v.init_pending);
	assert_false(v.sipi_pending);
	assert_false(v.extint_pending);

	vlapic_reset(&v, 7, false);
	assert_int_equal(vlapic_get_base(&v), 0xfee00800ull);
	assert_int_equal(mmio_rd(&v, VLAPIC_ID, 0), 7u << 24);
}

/* ---- IA32_APIC_BASE ---- */

static void test_base_legal_transitions(void **state)
{
	struct vlapic v;

	vlapic_reset(&v, 0, true);
	/* same state again, BSP flag cleared and set */
	assert_int_equal(vlapic_set_base(&v, BASE_XAPIC), VLAPIC_OK);
	assert_int_equal(vlapic_get_base(&v), BASE_XAPIC);
	assert_int_equal(vlapic_set_base(&v, BASE_XAPIC | VLAPIC_BASE_BSP), VLAPIC_OK);
	/* xAPIC -> x2APIC -> disabled -> xAPIC -> disabled */
	assert_int_equal(vlapic_set_base(&v, BASE_X2APIC | VLAPIC_BASE_BSP), VLAPIC_OK);
	assert_int_equal(vlapic_mode(&v), VLAPIC_MODE_X2APIC);
	assert_int_equal(vlapic_set_base(&v, BASE_X2APIC | VLAPIC_BASE_BSP), VLAPIC_OK);
	assert_int_equal(vlapic_set_base(&v, BASE_OFF | VLAPIC_BASE_BSP), VLAPIC_OK);
	assert_int_equal(vlapic_mode(&v), VLAPIC_MODE_DISABLED);
	assert_int_equal(vlapic_get_base(&v), BASE_OFF | VLAPIC_BASE_BSP);
	assert_int_equal(vlapic_set_base(&v, BASE_OFF), VLAPIC_OK);
	assert_int_equal(vlapic_set_base(&v, BASE_XAPIC), VLAPIC_OK);
	assert_int_equal(vlapic_mode(&v), VLAPIC_MODE_XAPIC);
	assert_int_equal(vlapic_set_base(&v, BASE_OFF), VLAPIC_OK);
	assert_int_equal(vlapic_mode(&v), VLAPIC_MODE_DISABLED);
}

static void test_base_illegal_transitions(void **state)
{
	struct vlapic v;

	vlapic_reset(&v, 0, false);
	assert_int_equal(vlapic_set_base(&v, BASE_X2APIC), VLAPIC_OK);
	/* x2APIC -> xAPIC directly */
	assert_int_equal(vlapic_set_base(&v, BASE_XAPIC), VLAPIC_GP);
	assert_int_equal(vlapic_get_base(&v), BASE_X2APIC);
	/* EXTD without EN */
	assert_int_equal(vlapic_set_base(&v, BASE_OFF | VLAPIC_BASE_X2APIC), VLAPIC_GP);
	assert_int_equal(vlapic_get_base(&v), BASE_X2APIC);

	assert_int_equal(vlapic_set_base(&v, BASE_OFF), VLAPIC_OK);
	/* disabled -> x2APIC */
	assert_int_equal(vlapic_set_base(&v, BASE_X2APIC), VLAPIC_GP);
	assert_int_equal(vlapic_mode(&v), VLAPIC_MODE_DISABLED);
	assert_int_equal(vlapic_set_base(&v, BASE_OFF | VLAPIC_BASE_X2APIC), VLAPIC_GP);
	assert_int_equal(vlapic_get_base(&v), BASE_OFF);
}

static void test_base_relocation_and_reserved_refused(void **state)
{
	struct vlapic v;
	static const uint64_t bad[] = {
		0xfed00000ull | VLAPIC_BASE_ENABLE,     /* moved */
		0x1fee00000ull | VLAPIC_BASE_ENABLE,    /* moved above 4 GiB */
		0x00000000ull | VLAPIC_BASE_ENABLE,     /* moved to 0 */
		0xfee01000ull | VLAPIC_BASE_ENABLE,     /* moved by a page */
		BASE_XAPIC | (1ull << 9),               /* reserved bit 9 */
		BASE_XAPIC | 1ull,                      /* reserved bit 0 */
		BASE_XAPIC | (1ull << 63),              /* reserved high bit */
		0xfed00000ull,                          /* moved while disabling */
	};

	vlapic_reset(&v, 0, false);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vlapic_set_base(&v, bad[i]), VLAPIC_GP);
		assert_int_equal(vlapic_get_base(&v), BASE_XAPIC);
	}
}

static void test_disable_resets_state(void **state)
{
	struct vlapic v;
	struct vlapic_action a;
	uint32_t value = 0;

	setup_xapic(&v, 2);
	mmio_wr(&v, VLAPIC_TPR, 0x30, 0);
	mmio_wr(&v, VLAPIC_LDR, 0x01000000, 0);
	mmio_wr(&v, VLAPIC_DFR, 0x0fffffff, 0);
	mmio_wr(&v, VLAPIC_LVT_TIMER, 0x40, 0);
	mmio_wr(&v, VLAPIC_TIMER_INITIAL, 1000, 0);
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x80, true));
	assert_true(vlapic_ack(&v, 0x80));
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x90, false));

	assert_int_equal(vlapic_set_base(&v, BASE_OFF), VLAPIC_OK);
	assert_true(vlapic_timer_deadline(&v) == UINT64_MAX);
	assert_int_equal(vlapic_pending(&v), -1);
	assert_int_equal(vlapic_mmio_read(&v, VLAPIC_TPR, &value, 0), VLAPIC_UNMAPPED);
	assert_int_equal(vlapic_mmio_write(&v, VLAPIC_TPR, 0x20, 0, &a), VLAPIC_UNMAPPED);
	assert_false(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x80, false));
	assert_false(vlapic_accept(&v, VLAPIC_DM_NMI, 0, false));
	assert_false(v.nmi_pending);
	assert_false(vlapic_match(&v, 0xff, false, false));
	assert_false(vlapic_match(&v, 2, false, false));

	assert_int_equal(vlapic_set_base(&v, BASE_XAPIC), VLAPIC_OK);
	assert_int_equal(mmio_rd(&v, VLAPIC_TPR, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LDR, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_DFR, 0), 0xffffffff);
	assert_int_equal(mmio_rd(&v, VLAPIC_SVR, 0), 0xff);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_TIMER, 0), 0x00010000);
	assert_int_equal(mmio_rd(&v, VLAPIC_ISR + 0x40, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TMR + 0x40, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_IRR + 0x40, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_INITIAL, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_ID, 0), 2u << 24);
}

static void test_x2apic_entry_id_and_ldr(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0x23);
	mmio_wr(&v, VLAPIC_TPR, 0x45, 0);
	mmio_wr(&v, VLAPIC_LDR, 0x80000000, 0);
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x77, false));
	assert_int_equal(mmio_rd(&v, VLAPIC_ID, 0), 0x23000000);
	assert_int_equal(vlapic_set_base(&v, BASE_X2APIC), VLAPIC_OK);
	assert_int_equal(msr_rd(&v, VLAPIC_ID, 0), 0x23);
	assert_int_equal(msr_rd(&v, VLAPIC_LDR, 0), (2u << 16) | (1u << 3));
	/* the rest of the state carries over */
	assert_int_equal(msr_rd(&v, VLAPIC_TPR, 0), 0x45);
	assert_int_equal(msr_rd(&v, VLAPIC_SVR, 0), 0x1ff);
	assert_int_equal(msr_rd(&v, VLAPIC_IRR + 0x30, 0), 1u << (0x77 - 0x60));

	/* an ID beyond 8 bits: xAPIC shows the low byte, x2APIC all of it */
	setup_xapic(&v, 0x105);
	assert_int_equal(mmio_rd(&v, VLAPIC_ID, 0), 0x05000000);
	assert_int_equal(vlapic_set_base(&v, BASE_X2APIC), VLAPIC_OK);
	assert_int_equal(msr_rd(&v, VLAPIC_ID, 0), 0x105);
	assert_int_equal(msr_rd(&v, VLAPIC_LDR, 0), (0x10u << 16) | (1u << 5));
}

static void test_init_reset_keeps_mode_and_id(void **state)
{
	struct vlapic v;

	setup_x2apic(&v, 0x12);
	assert_int_equal(vlapic_set_base(&v, BASE_X2APIC | VLAPIC_BASE_BSP), VLAPIC_OK);
	msr_wr(&v, VLAPIC_TPR, 0x20, 0);
	msr_wr(&v, VLAPIC_LVT_LINT0, 0x700, 0);
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x50, false));
	assert_true(vlapic_accept(&v, VLAPIC_DM_INIT, 0, false));
	assert_true(vlapic_accept(&v, VLAPIC_DM_NMI, 0, false));
	assert_true(vlapic_accept(&v, VLAPIC_DM_SIPI, 0x9a, false));

	vlapic_init_reset(&v);
	assert_int_equal(vlapic_get_base(&v), BASE_X2APIC | VLAPIC_BASE_BSP);
	assert_int_equal(msr_rd(&v, VLAPIC_ID, 0), 0x12);
	assert_int_equal(msr_rd(&v, VLAPIC_LDR, 0), (1u << 16) | (1u << 2));
	assert_int_equal(msr_rd(&v, VLAPIC_TPR, 0), 0);
	assert_int_equal(msr_rd(&v, VLAPIC_SVR, 0), 0xff);
	assert_int_equal(msr_rd(&v, VLAPIC_LVT_LINT0, 0), 0x00010000);
	assert_int_equal(vlapic_pending(&v), -1);
	assert_false(v.init_pending);
	assert_false(v.nmi_pending);
	assert_false(v.sipi_pending);
}

/* ---- x2APIC MSR interface ---- */

static void test_x2apic_msrs_gp_in_xapic_mode(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	assert_int_equal(msr_rd_rc(&v, VLAPIC_MSR(VLAPIC_TPR)), VLAPIC_GP);
	assert_int_equal(msr_rd_rc(&v, VLAPIC_MSR(VLAPIC_ID)), VLAPIC_GP);
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_TPR), 0x10), VLAPIC_GP);
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_EOI), 0), VLAPIC_GP);
	assert_int_equal(mmio_rd(&v, VLAPIC_TPR, 0), 0);

	/* disabled: neither interface */
	assert_int_equal(vlapic_set_base(&v, BASE_OFF), VLAPIC_OK);
	assert_int_equal(msr_rd_rc(&v, VLAPIC_MSR(VLAPIC_TPR)), VLAPIC_GP);
}

static void test_x2apic_gp_cases(void **state)
{
	struct vlapic v;
	struct vlapic_action a;
	uint32_t value;
	static const uint32_t no_read[] = {
		VLAPIC_APR, VLAPIC_EOI, VLAPIC_RRD, VLAPIC_DFR, VLAPIC_LVT_CMCI, VLAPIC_ICR_HIGH,
		VLAPIC_SELF_IPI, 0x000, 0x010, 0x040, 0x3a0, 0x3f0 + 0x10,
	};
	static const uint32_t read_only[] = {
		VLAPIC_ID, VLAPIC_VERSION, VLAPIC_PPR, VLAPIC_LDR, VLAPIC_ISR, VLAPIC_ISR + 0x70,
		VLAPIC_TMR, VLAPIC_TMR + 0x70, VLAPIC_IRR, VLAPIC_IRR + 0x70, VLAPIC_TIMER_CURRENT,
	};
	static const uint32_t no_write[] = {
		VLAPIC_APR, VLAPIC_RRD, VLAPIC_DFR, VLAPIC_LVT_CMCI, VLAPIC_ICR_HIGH, 0x000, 0x3a0,
	};

	setup_x2apic(&v, 4);
	for (unsigned i = 0; i < sizeof(no_read) / sizeof(no_read[0]); i++)
		assert_int_equal(msr_rd_rc(&v, VLAPIC_MSR(no_read[i])), VLAPIC_GP);
	for (unsigned i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
		assert_int_equal(msr_rd_rc(&v, VLAPIC_MSR(read_only[i])), VLAPIC_OK);
		assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(read_only[i]), 0), VLAPIC_GP);
	}
	for (unsigned i = 0; i < sizeof(no_write) / sizeof(no_write[0]); i++)
		assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(no_write[i]), 0), VLAPIC_GP);
	/* outside the x2APIC range */
	assert_int_equal(msr_rd_rc(&v, 0x7ff), VLAPIC_GP);
	assert_int_equal(msr_rd_rc(&v, 0x900), VLAPIC_GP);
	assert_int_equal(msr_wr_rc(&v, 0x900, 0), VLAPIC_GP);

	/* EOI must be written with 0: a nonzero write does not EOI */
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x31, false));
	assert_true(vlapic_ack(&v, 0x31));
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_EOI), 1), VLAPIC_GP);
	assert_true(in_set(v.isr, 0x31));
	msr_wr(&v, VLAPIC_EOI, 0, 0);
	assert_false(in_set(v.isr, 0x31));

	/* reserved bits */
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_TPR), 0x100), VLAPIC_GP);
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_TPR), 1ull << 32), VLAPIC_GP);
	assert_int_equal(msr_rd(&v, VLAPIC_TPR, 0), 0);
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_SVR), 0x11ff), VLAPIC_GP);
	assert_int_equal(msr_rd(&v, VLAPIC_SVR, 0), 0x1ff);
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_ESR), 1), VLAPIC_GP);
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_LVT_TIMER), 1ull << 32), VLAPIC_GP);
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_SELF_IPI), 0x130), VLAPIC_GP);
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_SELF_IPI), 1ull << 32 | 0x30), VLAPIC_GP);
	for (unsigned bit = 13; bit < 32; bit++) {
		int rc = vlapic_msr_write(&v, VLAPIC_MSR(VLAPIC_ICR_LOW), (1ull << bit) | 0x40, 0, &a);
		bool reserved = bit == 13 || bit == 16 || bit == 17 || bit >= 20;

		assert_int_equal(rc, reserved ? VLAPIC_GP : VLAPIC_OK);
		assert_int_equal(a.send_ipi, !reserved);
	}
	/* the xAPIC page is gone in x2APIC mode */
	assert_int_equal(vlapic_mmio_read(&v, VLAPIC_TPR, &value, 0), VLAPIC_UNMAPPED);
	assert_int_equal(vlapic_mmio_write(&v, VLAPIC_TPR, 0x20, 0, &a), VLAPIC_UNMAPPED);
	assert_int_equal(msr_rd(&v, VLAPIC_TPR, 0), 0);
}

static void test_x2apic_register_access(void **state)
{
	struct vlapic v;

	setup_x2apic(&v, 9);
	assert_int_equal(msr_rd(&v, VLAPIC_VERSION, 0), 0x00050014);
	msr_wr(&v, VLAPIC_TPR, 0x7c, 0);
	assert_int_equal(msr_rd(&v, VLAPIC_TPR, 0), 0x7c);
	assert_int_equal(vlapic_get_tpr(&v), 0x7c);
	assert_int_equal(msr_rd(&v, VLAPIC_PPR, 0), 0x7c);
	/* reserved LVT and divide bits are dropped, not faulted */
	msr_wr(&v, VLAPIC_LVT_LINT1, 0xffffffff, 0);
	assert_int_equal(msr_rd(&v, VLAPIC_LVT_LINT1, 0), 0x1a7ff);
	msr_wr(&v, VLAPIC_TIMER_DIVIDE, 0xffffffff, 0);
	assert_int_equal(msr_rd(&v, VLAPIC_TIMER_DIVIDE, 0), 0xb);
	msr_wr(&v, VLAPIC_SVR, 0x3ff, 0);
	assert_int_equal(msr_rd(&v, VLAPIC_SVR, 0), 0x3ff);
}

/* ---- priorities and acknowledge ---- */

static void test_ppr_from_tpr_and_isr(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_TPR, 0x35, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_PPR, 0), 0x35);
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x51, false));
	/* an IRR request does not change the PPR */
	assert_int_equal(mmio_rd(&v, VLAPIC_PPR, 0), 0x35);
	assert_true(vlapic_ack(&v, 0x51));
	/* ISR class 5 above TPR class 3: PPR = ISRV[7:4], low nibble 0 */
	assert_int_equal(mmio_rd(&v, VLAPIC_PPR, 0), 0x50);
	/* TPR class equal to ISR class: PPR = TPR */
	mmio_wr(&v, VLAPIC_TPR, 0x5a, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_PPR, 0), 0x5a);
	mmio_wr(&v, VLAPIC_TPR, 0x62, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_PPR, 0), 0x62);
	mmio_wr(&v, VLAPIC_TPR, 0x00, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_PPR, 0), 0x50);
	mmio_wr(&v, VLAPIC_EOI, 0, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_PPR, 0), 0x00);
}

static void test_requested_ignores_tpr_not_isr(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	assert_int_equal(vlapic_requested(&v), -1);
	mmio_wr(&v, VLAPIC_TPR, 0xf0, 0);
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x41, false));
	assert_int_equal(vlapic_pending(&v), -1);       /* the TPR holds it */
	assert_int_equal(vlapic_requested(&v), 0x41);   /* ... the CPU applies it */
	mmio_wr(&v, VLAPIC_TPR, 0x00, 0);
	assert_true(vlapic_ack(&v, 0x41));
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x4f, false));
	assert_int_equal(vlapic_requested(&v), -1);     /* same class in service */
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x50, false));
	assert_int_equal(vlapic_requested(&v), 0x50);
}

static void test_nested_priorities_and_eoi_order(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x40, false));
	assert_int_equal(vlapic_pending(&v), 0x40);
	assert_true(vlapic_ack(&v, 0x40));
	assert_int_equal(vlapic_pending(&v), -1);
	/* same class as the one in service: held */
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x45, false));
	assert_int_equal(vlapic_pending(&v), -1);
	/* higher class nests */
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x80, false));
	assert_int_equal(vlapic_pending(&v), 0x80);
	assert_true(vlapic_ack(&v, 0x80));
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x30, false));
	assert_int_equal(vlapic_pending(&v), -1);
	assert_int_equal(mmio_rd(&v, VLAPIC_ISR + 0x20, 0), 1u);       /* 0x40 */
	assert_int_equal(mmio_rd(&v, VLAPIC_ISR + 0x40, 0), 1u);       /* 0x80 */
	assert_int_equal(mmio_rd(&v, VLAPIC_IRR + 0x20, 0), 1u << 5);  /* 0x45 */

	/* EOI ends the highest in service first */
	mmio_wr(&v, VLAPIC_EOI, 0, 0);
	assert_false(in_set(v.isr, 0x80));
	assert_true(in_set(v.isr, 0x40));
	assert_int_equal(vlapic_pending(&v), -1);
	mmio_wr(&v, VLAPIC_EOI, 0, 0);
	assert_false(in_set(v.isr, 0x40));
	assert_int_equal(vlapic_pending(&v), 0x45);
	assert_true(vlapic_ack(&v, 0x45));
	assert_int_equal(vlapic_pending(&v), -1);
	mmio_wr(&v, VLAPIC_EOI, 0, 0);
	assert_int_equal(vlapic_pending(&v), 0x30);
	assert_true(vlapic_ack(&v, 0x30));
	mmio_wr(&v, VLAPIC_EOI, 0, 0);
	assert_int_equal(vlapic_pending(&v), -1);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(v.isr[i], 0);
		assert_int_equal(v.irr[i], 0);
	}
}

static void test_ack_requires_request(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	assert_false(vlapic_ack(&v, 0x40));
	assert_false(in_set(v.isr, 0x40));
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x41, false));
	assert_false(vlapic_ack(&v, 0x40));
	assert_true(in_set(v.irr, 0x41));
}

static void test_pending_respects_tpr(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x55, false));
	mmio_wr(&v, VLAPIC_TPR, 0x50, 0);
	assert_int_equal(vlapic_pending(&v), -1);
	mmio_wr(&v, VLAPIC_TPR, 0x4f, 0);
	assert_int_equal(vlapic_pending(&v), 0x55);
	/* the CR8 path: CR8 = 5 blocks class 5 */
	vlapic_set_tpr(&v, 5 << 4);
	assert_int_equal(vlapic_get_tpr(&v) >> 4, 5);
	assert_int_equal(mmio_rd(&v, VLAPIC_TPR, 0), 0x50);
	assert_int_equal(vlapic_pending(&v), -1);
	vlapic_set_tpr(&v, 0);
	assert_int_equal(vlapic_pending(&v), 0x55);
	/* a higher request overtakes */
	assert_true(vlapic_accept(&v, VLAPIC_DM_LOWEST, 0xe1, false));
	assert_int_equal(vlapic_pending(&v), 0xe1);
	vlapic_set_tpr(&v, 0xf0);
	assert_int_equal(vlapic_pending(&v), -1);
}

static void test_level_triggered_eoi_reported(void **state)
{
	struct vlapic v;
	struct vlapic_action a;

	setup_xapic(&v, 0);
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x61, true));
	assert_true(in_set(v.tmr, 0x61));
	assert_int_equal(mmio_rd(&v, VLAPIC_TMR + 0x30, 0), 1u << 1);
	assert_true(vlapic_ack(&v, 0x61));
	assert_true(in_set(v.tmr, 0x61));
	a = mmio_wr(&v, VLAPIC_EOI, 0, 0);
	assert_true(a.eoi);
	assert_int_equal(a.eoi_vector, 0x61);
	assert_false(a.send_ipi);
	assert_false(a.timer_changed);
	assert_false(in_set(v.tmr, 0x61));
	assert_false(in_set(v.isr, 0x61));

	/* edge: no EOI message */
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x62, false));
	assert_true(vlapic_ack(&v, 0x62));
	a = mmio_wr(&v, VLAPIC_EOI, 0, 0);
	assert_false(a.eoi);

	/* an edge acceptance clears a level TMR bit (SDM 11.8.4) */
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x63, true));
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x63, false));
	assert_false(in_set(v.tmr, 0x63));

	/* EOI with nothing in service does nothing */
	setup_x2apic(&v, 0);
	a = msr_wr(&v, VLAPIC_EOI, 0, 0);
	assert_false(a.eoi);
	vlapic_eoi(&v, NULL);

	/* x2APIC EOI reports as well */
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0xa0, true));
	assert_true(vlapic_ack(&v, 0xa0));
	a = msr_wr(&v, VLAPIC_EOI, 0, 0);
	assert_true(a.eoi);
	assert_int_equal(a.eoi_vector, 0xa0);
}

/* ---- software disable ---- */

static void test_software_disable(void **state)
{
	struct vlapic v;

	vlapic_reset(&v, 1, false);
	/* reset state is software disabled: fixed dropped, others taken */
	assert_false(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x40, false));
	assert_false(vlapic_accept(&v, VLAPIC_DM_LOWEST, 0x40, false));
	assert_false(in_set(v.irr, 0x40));
	assert_true(vlapic_accept(&v, VLAPIC_DM_NMI, 0, false));
	assert_true(v.nmi_pending);
	assert_true(vlapic_accept(&v, VLAPIC_DM_INIT, 0, false));
	assert_true(v.init_pending);
	assert_true(vlapic_accept(&v, VLAPIC_DM_SIPI, 0x9a, false));
	assert_true(v.sipi_pending);
	assert_int_equal(v.sipi_vector, 0x9a);
	assert_true(vlapic_accept(&v, VLAPIC_DM_SIPI, 0x10, false));
	assert_int_equal(v.sipi_vector, 0x10);
	/* while disabled an LVT stays masked whatever is written */
	mmio_wr(&v, VLAPIC_LVT_LINT1, 0x400, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_LINT1, 0), 0x10400);

	/* enable: LVTs keep their mask until written */
	mmio_wr(&v, VLAPIC_SVR, 0x1ff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_LINT1, 0), 0x10400);
	mmio_wr(&v, VLAPIC_LVT_TIMER, 0x20, 0);
	mmio_wr(&v, VLAPIC_LVT_ERROR, 0xfe, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_TIMER, 0), 0x20);
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x40, false));
	assert_true(in_set(v.irr, 0x40));

	/* disable again: every LVT masked, requests held, new fixed dropped */
	mmio_wr(&v, VLAPIC_SVR, 0x0ff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_TIMER, 0), 0x10020);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_ERROR, 0), 0x100fe);
	mmio_wr(&v, VLAPIC_LVT_TIMER, 0x30, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_TIMER, 0), 0x10030);
	assert_false(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x50, false));
	assert_false(in_set(v.irr, 0x50));
	assert_true(in_set(v.irr, 0x40));
	assert_int_equal(vlapic_pending(&v), 0x40);
	/* SMI is never taken */
	assert_false(vlapic_accept(&v, VLAPIC_DM_SMI, 0, false));

	mmio_wr(&v, VLAPIC_SVR, 0x1ff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_TIMER, 0), 0x10030);
}

/* ---- ICR ---- */

static void expect_ipi(const struct vlapic_action *a, enum vlapic_delivery mode,
		       enum vlapic_shorthand sh, uint32_t dest, bool logical, bool level,
		       uint8_t vector)
{
	assert_true(a->send_ipi);
	assert_int_equal(a->ipi.mode, mode);
	assert_int_equal(a->ipi.shorthand, sh);
	assert_int_equal(a->ipi.dest, dest);
	assert_int_equal(a->ipi.logical, logical);
	assert_int_equal(a->ipi.level_triggered, level);
	assert_int_equal(a->ipi.vector, vector);
}

static void test_icr_xapic(void **state)
{
	struct vlapic v;
	struct vlapic_action a;

	setup_xapic(&v, 0);
	a = mmio_wr(&v, VLAPIC_ICR_HIGH, 0x05ffffff, 0);
	assert_false(a.send_ipi);
	assert_int_equal(mmio_rd(&v, VLAPIC_ICR_HIGH, 0), 0x05000000);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x000050f3, 0); /* delivery status set: ignored */
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, 5, false, false, 0xf3);
	assert_false(a.ipi.x2apic);
	assert_false(a.eoi);
	assert_int_equal(mmio_rd(&v, VLAPIC_ICR_LOW, 0), 0x000040f3);

	/* the destination stays for later sends */
	mmio_wr(&v, VLAPIC_ICR_HIGH, 0x0c000000, 0);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x000049a0, 0);
	expect_ipi(&a, VLAPIC_DM_LOWEST, VLAPIC_SH_NONE, 0x0c, true, false, 0xa0);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004200, 0);
	expect_ipi(&a, VLAPIC_DM_SMI, VLAPIC_SH_NONE, 0x0c, false, false, 0);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004400, 0);
	expect_ipi(&a, VLAPIC_DM_NMI, VLAPIC_SH_NONE, 0x0c, false, false, 0);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x0000c500, 0); /* INIT, level, assert */
	expect_ipi(&a, VLAPIC_DM_INIT, VLAPIC_SH_NONE, 0x0c, false, true, 0);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004608, 0);
	expect_ipi(&a, VLAPIC_DM_SIPI, VLAPIC_SH_NONE, 0x0c, false, false, 0x08);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x0000c0b1, 0); /* fixed, level */
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, 0x0c, false, true, 0xb1);

	/* INIT level de-assert and the reserved modes send nothing */
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x00008500, 0);
	assert_false(a.send_ipi);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004340, 0);
	assert_false(a.send_ipi);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004740, 0);
	assert_false(a.send_ipi);
	assert_int_equal(read_esr(&v), 0);

	/* shorthands */
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x000440f0, 0);
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_SELF, 0x0c, false, false, 0xf0);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x000840f0, 0);
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_ALL, 0x0c, false, false, 0xf0);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x000c4400, 0);
	expect_ipi(&a, VLAPIC_DM_NMI, VLAPIC_SH_OTHERS, 0x0c, false, false, 0);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x000c4500, 0);
	expect_ipi(&a, VLAPIC_DM_INIT, VLAPIC_SH_OTHERS, 0x0c, false, false, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_ICR_LOW, 0), 0x000c4500);

	/* the action is cleared by every write */
	a = mmio_wr(&v, VLAPIC_TPR, 0, 0);
	assert_false(a.send_ipi);
}

static void test_icr_x2apic(void **state)
{
	struct vlapic v;
	struct vlapic_action a;

	setup_x2apic(&v, 0);
	a = msr_wr(&v, VLAPIC_ICR_LOW, 0x12345678ull << 32 | 0x40f3, 0);
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, 0x12345678, false, false, 0xf3);
	assert_true(a.ipi.x2apic);
	assert_true(msr_rd(&v, VLAPIC_ICR_LOW, 0) == (0x12345678ull << 32 | 0x40f3));
	/* delivery status (bit 12) is ignored, not faulted */
	a = msr_wr(&v, VLAPIC_ICR_LOW, 0x00020001ull << 32 | 0x58fd, 0);
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, 0x00020001, true, false, 0xfd);
	assert_true(msr_rd(&v, VLAPIC_ICR_LOW, 0) == (0x00020001ull << 32 | 0x48fd));
	a = msr_wr(&v, VLAPIC_ICR_LOW, 0xffffffffull << 32 | 0x4400, 0);
	expect_ipi(&a, VLAPIC_DM_NMI, VLAPIC_SH_NONE, 0xffffffff, false, false, 0);
	a = msr_wr(&v, VLAPIC_ICR_LOW, 7ull << 32 | 0xc500, 0);
	expect_ipi(&a, VLAPIC_DM_INIT, VLAPIC_SH_NONE, 7, false, true, 0);
	a = msr_wr(&v, VLAPIC_ICR_LOW, 7ull << 32 | 0x8500, 0);
	assert_false(a.send_ipi);
	a = msr_wr(&v, VLAPIC_ICR_LOW, 7ull << 32 | 0x469f, 0);
	expect_ipi(&a, VLAPIC_DM_SIPI, VLAPIC_SH_NONE, 7, false, false, 0x9f);
	a = msr_wr(&v, VLAPIC_ICR_LOW, 0x49c0, 0);
	expect_ipi(&a, VLAPIC_DM_LOWEST, VLAPIC_SH_NONE, 0, true, false, 0xc0);
	a = msr_wr(&v, VLAPIC_ICR_LOW, 0x4200, 0);
	expect_ipi(&a, VLAPIC_DM_SMI, VLAPIC_SH_NONE, 0, false, false, 0);
	a = msr_wr(&v, VLAPIC_ICR_LOW, 0x440f0, 0);
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_SELF, 0, false, false, 0xf0);
	a = msr_wr(&v, VLAPIC_ICR_LOW, 0x840f0, 0);
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_ALL, 0, false, false, 0xf0);
	a = msr_wr(&v, VLAPIC_ICR_LOW, 0xc40f0, 0);
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_OTHERS, 0, false, false, 0xf0);
}

static void test_self_ipi_msr(void **state)
{
	struct vlapic v;
	struct vlapic_action a;

	setup_x2apic(&v, 6);
	a = msr_wr(&v, VLAPIC_SELF_IPI, 0x31, 0);
	expect_ipi(&a, VLAPIC_DM_FIXED, VLAPIC_SH_SELF, 0, false, false, 0x31);
	assert_true(a.ipi.x2apic);
	/* an illegal vector sends nothing and records a send error */
	a = msr_wr(&v, VLAPIC_SELF_IPI, 0x0f, 0);
	assert_false(a.send_ipi);
	msr_wr(&v, VLAPIC_ESR, 0, 0);
	assert_int_equal(msr_rd(&v, VLAPIC_ESR, 0), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);

	/* no SELF_IPI register in the xAPIC page */
	setup_xapic(&v, 6);
	a = mmio_wr(&v, VLAPIC_SELF_IPI, 0x31, 0);
	assert_false(a.send_ipi);
	assert_int_equal(read_esr(&v), VLAPIC_ESR_ILLEGAL_REGISTER);
}

/* ---- errors ---- */

static void test_illegal_vectors_and_esr_latch(void **state)
{
	struct vlapic v;
	struct vlapic_action a;

	setup_xapic(&v, 0);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x0000400e, 0);
	assert_false(a.send_ipi);
	/* not readable until an ESR write latches it */
	assert_int_equal(mmio_rd(&v, VLAPIC_ESR, 0), 0);
	mmio_wr(&v, VLAPIC_ESR, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_ESR, 0), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
	/* latched value stays until the next write, which collects afresh */
	assert_int_equal(mmio_rd(&v, VLAPIC_ESR, 0), VLAPIC_ESR_SEND_ILLEGAL_VECTOR);
	mmio_wr(&v, VLAPIC_ESR, 0, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_ESR, 0), 0);

	/* lowest priority is checked too; NMI/INIT ignore the vector */
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004103, 0);
	assert_false(a.send_ipi);
	a = mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004403, 0);
	assert_true(a.send_ipi);
	assert_false(vlapic_accept(&v, VLAPIC_DM_FIXED, 5, false));
	assert_false(in_set(v.irr, 5));
	assert_false(vlapic_accept(&v, VLAPIC_DM_LOWEST, 15, true));
	assert_false(in_set(v.irr, 15));
	assert_false(in_set(v.tmr, 15));
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 16, false));
	assert_int_equal(read_esr(&v),
			 VLAPIC_ESR_SEND_ILLEGAL_VECTOR | VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
	assert_int_equal(read_esr(&v), 0);

	/* x2APIC: only 0 may be written, and it latches */
	setup_x2apic(&v, 0);
	assert_false(vlapic_accept(&v, VLAPIC_DM_FIXED, 1, false));
	assert_int_equal(msr_wr_rc(&v, VLAPIC_MSR(VLAPIC_ESR), 0x40), VLAPIC_GP);
	assert_int_equal(msr_rd(&v, VLAPIC_ESR, 0), 0);
	msr_wr(&v, VLAPIC_ESR, 0, 0);
	assert_int_equal(msr_rd(&v, VLAPIC_ESR, 0), VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
}

static void test_error_interrupt(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	/* masked (reset value): recorded, not signalled */
	mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004001, 0);
	assert_int_equal(vlapic_pending(&v), -1);
	mmio_wr(&v, VLAPIC_LVT_ERROR, 0xee, 0);
	mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004001, 0);
	assert_int_equal(vlapic_pending(&v), 0xee);
	assert_false(in_set(v.tmr, 0xee));
	assert_true(vlapic_ack(&v, 0xee));
	mmio_wr(&v, VLAPIC_EOI, 0, 0);

	/* an unimplemented register is an error too */
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_CMCI, 0), 0);
	assert_int_equal(vlapic_pending(&v), 0xee);
	assert_int_equal(read_esr(&v), VLAPIC_ESR_SEND_ILLEGAL_VECTOR | VLAPIC_ESR_ILLEGAL_REGISTER);

	/* an illegal error vector records "receive illegal" without looping */
	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_LVT_ERROR, 0x03, 0);
	mmio_wr(&v, VLAPIC_ICR_LOW, 0x00004001, 0);
	assert_int_equal(vlapic_pending(&v), -1);
	assert_int_equal(read_esr(&v),
			 VLAPIC_ESR_SEND_ILLEGAL_VECTOR | VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
}

/* ---- xAPIC page ---- */

static void test_mmio_reserved_and_read_only(void **state)
{
	struct vlapic v;
	static const uint32_t reserved[] = { 0x000, 0x010, 0x040, 0x070, 0x290, 0x2e0, 0x3a0, 0x3d0, 0xff0 };

	setup_xapic(&v, 4);
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		struct vlapic_action a;

		assert_int_equal(mmio_rd(&v, reserved[i], 0), 0);
		assert_int_equal(read_esr(&v), VLAPIC_ESR_ILLEGAL_REGISTER);
		a = mmio_wr(&v, reserved[i], 0xffffffff, 0);
		assert_false(a.send_ipi);
		assert_int_equal(read_esr(&v), VLAPIC_ESR_ILLEGAL_REGISTER);
		assert_int_equal(mmio_rd(&v, reserved[i], 0), 0);
		read_esr(&v);
	}
	/* a misaligned access hits no register */
	mmio_wr(&v, VLAPIC_TPR + 4, 0x77, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TPR, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TPR + 4, 0), 0);

	/* read-only registers ignore writes, without an error */
	read_esr(&v);
	mmio_wr(&v, VLAPIC_ID, 0x09000000, 0);
	mmio_wr(&v, VLAPIC_VERSION, 0, 0);
	mmio_wr(&v, VLAPIC_PPR, 0xff, 0);
	mmio_wr(&v, VLAPIC_APR, 0xff, 0);
	mmio_wr(&v, VLAPIC_ISR + 0x10, 0xffffffff, 0);
	mmio_wr(&v, VLAPIC_TMR + 0x20, 0xffffffff, 0);
	mmio_wr(&v, VLAPIC_IRR + 0x70, 0xffffffff, 0);
	mmio_wr(&v, VLAPIC_TIMER_CURRENT, 1234, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_ID, 0), 0x04000000);
	assert_int_equal(mmio_rd(&v, VLAPIC_VERSION, 0), 0x00050014);
	assert_int_equal(mmio_rd(&v, VLAPIC_PPR, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_ISR + 0x10, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TMR + 0x20, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_IRR + 0x70, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 0), 0);
	assert_int_equal(vlapic_pending(&v), -1);
	assert_int_equal(mmio_rd(&v, VLAPIC_EOI, 0), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_RRD, 0), 0);
	assert_int_equal(read_esr(&v), 0);
}

static void test_mmio_writable_bits(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_TPR, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TPR, 0), 0xff);
	mmio_wr(&v, VLAPIC_LDR, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LDR, 0), 0xff000000);
	mmio_wr(&v, VLAPIC_DFR, 0, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_DFR, 0), 0x0fffffff);
	mmio_wr(&v, VLAPIC_DFR, 0x12345678, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_DFR, 0), 0x1fffffff);
	mmio_wr(&v, VLAPIC_SVR, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_SVR, 0), 0x3ff);
	mmio_wr(&v, VLAPIC_LVT_TIMER, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_TIMER, 0), 0x300ff);
	mmio_wr(&v, VLAPIC_LVT_THERMAL, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_THERMAL, 0), 0x107ff);
	mmio_wr(&v, VLAPIC_LVT_PERF, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_PERF, 0), 0x107ff);
	mmio_wr(&v, VLAPIC_LVT_LINT0, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_LINT0, 0), 0x1a7ff);
	mmio_wr(&v, VLAPIC_LVT_LINT1, 0x0000a400, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_LINT1, 0), 0x0000a400);
	mmio_wr(&v, VLAPIC_LVT_ERROR, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_ERROR, 0), 0x100ff);
	mmio_wr(&v, VLAPIC_TIMER_DIVIDE, 0xffffffff, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_DIVIDE, 0), 0xb);
	mmio_wr(&v, VLAPIC_ICR_LOW, 0xffffffff, 0); /* reserved mode 7: sends nothing */
	assert_int_equal(mmio_rd(&v, VLAPIC_ICR_LOW, 0), 0x000ccfff);
}

/* ---- destinations ---- */

static void test_match_physical(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 5);
	assert_true(vlapic_match(&v, 5, false, false));
	assert_false(vlapic_match(&v, 6, false, false));
	assert_true(vlapic_match(&v, 0xff, false, false));
	assert_true(vlapic_match(&v, 5, false, true));
	assert_false(vlapic_match(&v, 0x105, false, true));
	assert_true(vlapic_match(&v, 0xffffffff, false, true));
	assert_false(vlapic_match(&v, 0xff, false, true));
	/* software disabled still matches (NMI, INIT, SIPI) */
	mmio_wr(&v, VLAPIC_SVR, 0xff, 0);
	assert_true(vlapic_match(&v, 5, false, false));

	setup_x2apic(&v, 0x105);
	assert_true(vlapic_match(&v, 0x105, false, true));
	assert_false(vlapic_match(&v, 0x05, false, true));
	assert_false(vlapic_match(&v, 0x05, false, false));
	assert_true(vlapic_match(&v, 0xffffffff, false, true));
	assert_true(vlapic_match(&v, 0xff, false, false));
	assert_false(vlapic_match(&v, 0xff, false, true));
}

static void test_match_logical_flat(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_LDR, 0x04000000, 0);
	assert_true(vlapic_match(&v, 0x04, true, false));
	assert_true(vlapic_match(&v, 0x06, true, false));
	assert_false(vlapic_match(&v, 0x03, true, false));
	assert_false(vlapic_match(&v, 0x00, true, false));
	assert_true(vlapic_match(&v, 0xff, true, false));
	/* logical IDs are not physical IDs */
	assert_false(vlapic_match(&v, 0x04, false, false));
	/* LDR 0 matches only broadcast */
	mmio_wr(&v, VLAPIC_LDR, 0, 0);
	assert_false(vlapic_match(&v, 0xfe, true, false));
	assert_true(vlapic_match(&v, 0xff, true, false));
}

static void test_match_logical_cluster(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_DFR, 0x0fffffff, 0);
	mmio_wr(&v, VLAPIC_LDR, 0x32000000, 0);
	assert_true(vlapic_match(&v, 0x32, true, false));
	assert_true(vlapic_match(&v, 0x3f, true, false));
	assert_true(vlapic_match(&v, 0x36, true, false));
	assert_false(vlapic_match(&v, 0x34, true, false));
	assert_false(vlapic_match(&v, 0x22, true, false));
	assert_false(vlapic_match(&v, 0x30, true, false));
	assert_true(vlapic_match(&v, 0xff, true, false));
	/* the same LDR under the flat model reads differently */
	mmio_wr(&v, VLAPIC_DFR, 0xffffffff, 0);
	assert_true(vlapic_match(&v, 0x22, true, false));
	/* an undefined model matches nothing but broadcast */
	mmio_wr(&v, VLAPIC_DFR, 0x5fffffff, 0);
	assert_false(vlapic_match(&v, 0x32, true, false));
	assert_true(vlapic_match(&v, 0xff, true, false));
}

static void test_match_x2apic_cluster(void **state)
{
	struct vlapic v;

	setup_x2apic(&v, 0x23); /* cluster 2, bit 3: LDR 0x00020008 */
	assert_true(vlapic_match(&v, 0x00020008, true, true));
	assert_true(vlapic_match(&v, 0x0002000c, true, true));
	assert_true(vlapic_match(&v, 0x0002ffff, true, true));
	assert_false(vlapic_match(&v, 0x00020004, true, true));
	assert_false(vlapic_match(&v, 0x00010008, true, true));
	assert_false(vlapic_match(&v, 0x00030008, true, true));
	assert_true(vlapic_match(&v, 0xffffffff, true, true));
	assert_false(vlapic_match(&v, 0x08, true, false));

	setup_x2apic(&v, 3); /* cluster 0: an 8-bit logical message reaches it */
	assert_true(vlapic_match(&v, 0x08, true, false));
	assert_false(vlapic_match(&v, 0x04, true, false));
}

static void test_arbitration_priority(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_TPR, 0x25, 0);
	assert_int_equal(vlapic_priority(&v), 0x25);
	assert_int_equal(mmio_rd(&v, VLAPIC_APR, 0), 0x25);
	/* a higher request: APR takes its class */
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x45, false));
	assert_int_equal(vlapic_priority(&v), 0x40);
	/* TPR above the request and in-service classes: APR = TPR */
	mmio_wr(&v, VLAPIC_TPR, 0x63, 0);
	assert_int_equal(vlapic_priority(&v), 0x63);
	/* in service above TPR */
	assert_true(vlapic_accept(&v, VLAPIC_DM_FIXED, 0x91, false));
	assert_true(vlapic_ack(&v, 0x91));
	assert_int_equal(vlapic_priority(&v), 0x90);
	assert_int_equal(mmio_rd(&v, VLAPIC_APR, 0), 0x90);
	/* TPR equal to the in-service class is not above it */
	mmio_wr(&v, VLAPIC_TPR, 0x97, 0);
	assert_int_equal(vlapic_priority(&v), 0x90);
	mmio_wr(&v, VLAPIC_TPR, 0xa7, 0);
	assert_int_equal(vlapic_priority(&v), 0xa7);
}

/* ---- local interrupt inputs ---- */

static void test_lint(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	/* masked at reset */
	assert_false(vlapic_lint(&v, 0));
	assert_false(vlapic_lint(&v, 1));
	assert_false(v.extint_pending);
	assert_false(v.nmi_pending);
	mmio_wr(&v, VLAPIC_LVT_LINT0, 0x700, 0);
	mmio_wr(&v, VLAPIC_LVT_LINT1, 0x400, 0);
	assert_true(vlapic_lint(&v, 0));
	assert_true(v.extint_pending);
	assert_true(vlapic_lint(&v, 1));
	assert_true(v.nmi_pending);
	mmio_wr(&v, VLAPIC_LVT_LINT0, 0x33, 0);
	assert_true(vlapic_lint(&v, 0));
	assert_int_equal(vlapic_pending(&v), 0x33);
	assert_false(vlapic_lint(&v, 2));

	/* a disabled APIC passes the pins through as INTR and NMI */
	vlapic_reset(&v, 0, false);
	assert_int_equal(vlapic_set_base(&v, BASE_OFF), VLAPIC_OK);
	assert_true(vlapic_lint(&v, 1));
	assert_true(v.nmi_pending);
	assert_false(v.extint_pending);
	assert_true(vlapic_lint(&v, 0));
	assert_true(v.extint_pending);
}

/* ---- timer ---- */

static void test_timer_one_shot(void **state)
{
	struct vlapic v;
	struct vlapic_action a;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_LVT_TIMER, 0x40, 0);
	mmio_wr(&v, VLAPIC_TIMER_DIVIDE, 0xb, 0); /* divide by 1 */
	a = mmio_wr(&v, VLAPIC_TIMER_INITIAL, 1000, 10000);
	assert_true(a.timer_changed);
	assert_true(vlapic_timer_deadline(&v) == 11000);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_INITIAL, 10500), 1000);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 10000), 1000);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 10250), 750);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 10999), 1);
	assert_false(vlapic_timer_expire(&v, 10999));
	assert_int_equal(vlapic_pending(&v), -1);
	/* at the deadline the count is 0 even before the expiry is handled */
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 11000), 0);
	assert_true(vlapic_timer_expire(&v, 11000));
	assert_int_equal(vlapic_pending(&v), 0x40);
	assert_true(vlapic_timer_deadline(&v) == UINT64_MAX);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 11500), 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_INITIAL, 11500), 1000);
	/* once only */
	assert_true(vlapic_ack(&v, 0x40));
	mmio_wr(&v, VLAPIC_EOI, 0, 0);
	assert_false(vlapic_timer_expire(&v, 50000));
	assert_int_equal(vlapic_pending(&v), -1);

	/* rewriting the initial count restarts it */
	mmio_wr(&v, VLAPIC_TIMER_INITIAL, 10, 60000);
	assert_true(vlapic_timer_deadline(&v) == 60010);
	assert_true(vlapic_timer_expire(&v, 60015));
	assert_int_equal(vlapic_pending(&v), 0x40);
}

static void test_timer_periodic(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_LVT_TIMER, VLAPIC_LVT_PERIODIC | 0x41, 0);
	mmio_wr(&v, VLAPIC_TIMER_INITIAL, 100, 0); /* divide by 2: period 200 ns */
	assert_true(vlapic_timer_deadline(&v) == 200);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 50), 75);
	assert_true(vlapic_timer_expire(&v, 200));
	assert_int_equal(vlapic_pending(&v), 0x41);
	assert_true(vlapic_timer_deadline(&v) == 400);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 300), 50);
	assert_true(vlapic_ack(&v, 0x41));
	mmio_wr(&v, VLAPIC_EOI, 0, 0);

	/* late by several periods: one interrupt, next deadline in the future */
	assert_true(vlapic_timer_expire(&v, 1050));
	assert_true(vlapic_timer_deadline(&v) == 1200);
	assert_false(vlapic_timer_expire(&v, 1050));
	assert_int_equal(vlapic_pending(&v), 0x41);
	assert_true(vlapic_ack(&v, 0x41));
	assert_int_equal(vlapic_pending(&v), -1);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 1100), 50);
	/* exactly on a period boundary moves to the following one */
	assert_true(vlapic_timer_expire(&v, 1400));
	assert_true(vlapic_timer_deadline(&v) == 1600);
	/* a periodic count read past an unhandled deadline wraps */
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 1650), 75);

	/* switching to one-shot applies at the next expiry */
	mmio_wr(&v, VLAPIC_LVT_TIMER, 0x41, 0);
	assert_true(vlapic_timer_deadline(&v) == 1600);
	vlapic_timer_expire(&v, 1600);
	assert_true(vlapic_timer_deadline(&v) == UINT64_MAX);
}

static void test_timer_masked(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_LVT_TIMER, VLAPIC_LVT_MASKED | VLAPIC_LVT_PERIODIC | 0x41, 0);
	mmio_wr(&v, VLAPIC_TIMER_INITIAL, 50, 0); /* period 100 */
	assert_false(vlapic_timer_expire(&v, 100));
	assert_int_equal(vlapic_pending(&v), -1);
	assert_false(in_set(v.irr, 0x41));
	assert_true(vlapic_timer_deadline(&v) == 200);
	assert_false(vlapic_timer_expire(&v, 350));
	assert_true(vlapic_timer_deadline(&v) == 400);

	mmio_wr(&v, VLAPIC_LVT_TIMER, VLAPIC_LVT_MASKED | 0x41, 0);
	assert_false(vlapic_timer_expire(&v, 400));
	assert_true(vlapic_timer_deadline(&v) == UINT64_MAX);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 400), 0);
	assert_false(in_set(v.irr, 0x41));
}

static void test_timer_divider(void **state)
{
	static const struct {
		uint32_t code, divisor;
	} table[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	struct vlapic v;
	struct vlapic_action a;

	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		setup_xapic(&v, 0);
		mmio_wr(&v, VLAPIC_TIMER_DIVIDE, table[i].code, 0);
		/* bit 2 is not part of the code */
		mmio_wr(&v, VLAPIC_TIMER_DIVIDE, table[i].code | 4, 0);
		assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_DIVIDE, 0), table[i].code);
		mmio_wr(&v, VLAPIC_TIMER_INITIAL, 10, 1000);
		assert_true(vlapic_timer_deadline(&v) == 1000 + 10ull * table[i].divisor);
		assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 1000 + table[i].divisor), 9);
	}

	/* largest count at the largest divisor */
	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_TIMER_DIVIDE, 0xa, 0);
	mmio_wr(&v, VLAPIC_TIMER_INITIAL, 0xffffffff, 5);
	assert_true(vlapic_timer_deadline(&v) == 5 + 0xffffffffull * 128);

	/* a change mid-count keeps the count reached, at the new rate */
	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_TIMER_INITIAL, 100, 0); /* divide by 2 */
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 100), 50);
	a = mmio_wr(&v, VLAPIC_TIMER_DIVIDE, 0x2, 100); /* divide by 8 */
	assert_true(a.timer_changed);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 100), 50);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 180), 40);
	assert_true(vlapic_timer_deadline(&v) == 100 + 50 * 8);

	/* a change while stopped only records the divisor */
	setup_xapic(&v, 0);
	a = mmio_wr(&v, VLAPIC_TIMER_DIVIDE, 0x3, 0);
	assert_false(a.timer_changed);
	assert_true(vlapic_timer_deadline(&v) == UINT64_MAX);
}

static void test_timer_zero_stops(void **state)
{
	struct vlapic v;
	struct vlapic_action a;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_LVT_TIMER, VLAPIC_LVT_PERIODIC | 0x40, 0);
	mmio_wr(&v, VLAPIC_TIMER_INITIAL, 1000, 0);
	assert_true(vlapic_timer_deadline(&v) == 2000);
	a = mmio_wr(&v, VLAPIC_TIMER_INITIAL, 0, 500);
	assert_true(a.timer_changed);
	assert_true(vlapic_timer_deadline(&v) == UINT64_MAX);
	assert_int_equal(mmio_rd(&v, VLAPIC_TIMER_CURRENT, 600), 0);
	assert_false(vlapic_timer_expire(&v, 5000));
	assert_int_equal(vlapic_pending(&v), -1);
}

static void test_timer_tsc_deadline_mode_is_one_shot(void **state)
{
	struct vlapic v;

	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_LVT_TIMER, (2u << 17) | 0x40, 0);
	assert_int_equal(mmio_rd(&v, VLAPIC_LVT_TIMER, 0), 0x40);
	mmio_wr(&v, VLAPIC_TIMER_INITIAL, 10, 0);
	assert_true(vlapic_timer_expire(&v, 20));
	assert_true(vlapic_timer_deadline(&v) == UINT64_MAX);
}

static void test_timer_x2apic_and_illegal_vector(void **state)
{
	struct vlapic v;
	struct vlapic_action a;

	setup_x2apic(&v, 1);
	msr_wr(&v, VLAPIC_LVT_TIMER, 0x50, 0);
	msr_wr(&v, VLAPIC_TIMER_DIVIDE, 0x1, 0); /* divide by 4 */
	a = msr_wr(&v, VLAPIC_TIMER_INITIAL, 25, 1000);
	assert_true(a.timer_changed);
	assert_int_equal(msr_rd(&v, VLAPIC_TIMER_CURRENT, 1040), 15);
	assert_int_equal(msr_rd(&v, VLAPIC_TIMER_INITIAL, 1040), 25);
	assert_true(vlapic_timer_expire(&v, 1100));
	assert_int_equal(vlapic_pending(&v), 0x50);

	/* an illegal timer vector is a receive error when it fires */
	setup_xapic(&v, 0);
	mmio_wr(&v, VLAPIC_LVT_TIMER, 0x05, 0);
	mmio_wr(&v, VLAPIC_TIMER_INITIAL, 1, 0);
	assert_false(vlapic_timer_expire(&v, 10));
	assert_int_equal(vlapic_pending(&v), -1);
	assert_int_equal(read_esr(&v), VLAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_base_legal_transitions),
		cmocka_unit_test(test_base_illegal_transitions),
		cmocka_unit_test(test_base_relocation_and_reserved_refused),
		cmocka_unit_test(test_disable_resets_state),
		cmocka_unit_test(test_x2apic_entry_id_and_ldr),
		cmocka_unit_test(test_init_reset_keeps_mode_and_id),
		cmocka_unit_test(test_x2apic_msrs_gp_in_xapic_mode),
		cmocka_unit_test(test_x2apic_gp_cases),
		cmocka_unit_test(test_x2apic_register_access),
		cmocka_unit_test(test_ppr_from_tpr_and_isr),
		cmocka_unit_test(test_nested_priorities_and_eoi_order),
		cmocka_unit_test(test_ack_requires_request),
		cmocka_unit_test(test_pending_respects_tpr),
		cmocka_unit_test(test_level_triggered_eoi_reported),
		cmocka_unit_test(test_software_disable),
		cmocka_unit_test(test_icr_xapic),
		cmocka_unit_test(test_icr_x2apic),
		cmocka_unit_test(test_self_ipi_msr),
		cmocka_unit_test(test_illegal_vectors_and_esr_latch),
		cmocka_unit_test(test_error_interrupt),
		cmocka_unit_test(test_mmio_reserved_and_read_only),
		cmocka_unit_test(test_mmio_writable_bits),
		cmocka_unit_test(test_match_physical),
		cmocka_unit_test(test_match_logical_flat),
		cmocka_unit_test(test_match_logical_cluster),
		cmocka_unit_test(test_match_x2apic_cluster),
		cmocka_unit_test(test_arbitration_priority),
		cmocka_unit_test(test_lint),
		cmocka_unit_test(test_timer_one_shot),
		cmocka_unit_test(test_timer_periodic),
		cmocka_unit_test(test_timer_masked),
		cmocka_unit_test(test_timer_divider),
		cmocka_unit_test(test_timer_zero_stops),
		cmocka_unit_test(test_timer_tsc_deadline_mode_is_one_shot),
		cmocka_unit_test(test_timer_x2apic_and_illegal_vector),
		cmocka_unit_test(test_requested_ignores_tpr_not_isr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
