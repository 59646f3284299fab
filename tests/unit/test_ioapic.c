/*
 * Host unit tests for the parent's emulated I/O APIC
 * (parent/vstack/ioapic.c), driven as a child drives it: 32-bit MMIO
 * accesses through IOREGSEL/IOWIN and the EOI register, wires going high
 * and low, and EOIs from the local APIC.  Every delivery is recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parent/vstack/ioapic.h"

struct delivery {
	uint8_t vector;
	uint32_t dest;
	bool logical;
	uint8_t mode;
	bool level;
};

struct recorder {
	unsigned count;
	struct delivery d[64];
};

static void record(void *ctx, uint8_t vector, uint32_t dest, bool logical, uint8_t mode, bool level)
{
	struct recorder *r = ctx;

	assert_true(r->count < 64);
	r->d[r->count++] = (struct delivery){ vector, dest, logical, mode, level };
}

static struct ioapic io;
static struct recorder rec;

static int setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	ioapic_init(&io, 3, record, &rec);
	return 0;
}

static uint32_t read_reg(uint8_t reg)
{
	uint32_t v = 0xdeadbeef;

	assert_true(ioapic_mmio_write(&io, IOAPIC_IOREGSEL, reg));
	assert_true(ioapic_mmio_read(&io, IOAPIC_IOWIN, &v));
	return v;
}

static void write_reg(uint8_t reg, uint32_t value)
{
	assert_true(ioapic_mmio_write(&io, IOAPIC_IOREGSEL, reg));
	assert_true(ioapic_mmio_write(&io, IOAPIC_IOWIN, value));
}

static uint32_t low(unsigned pin)
{
	return read_reg((uint8_t)(IOAPIC_REG_REDIR + 2 * pin));
}

static uint32_t high(unsigned pin)
{
	return read_reg((uint8_t)(IOAPIC_REG_REDIR + 2 * pin + 1));
}

/* Program an entry the way Linux does: the high half first, then the low
 * half (which carries the mask bit). */
static void program(unsigned pin, uint32_t lo, uint8_t dest)
{
	write_reg((uint8_t)(IOAPIC_REG_REDIR + 2 * pin + 1), (uint32_t)dest << 24);
	write_reg((uint8_t)(IOAPIC_REG_REDIR + 2 * pin), lo);
}

#define LEVEL      ((uint32_t)IOAPIC_RTE_LEVEL)
#define MASKED     ((uint32_t)IOAPIC_RTE_MASKED)
#define ACTIVE_LOW ((uint32_t)IOAPIC_RTE_ACTIVE_LOW)
#define LOGICAL    ((uint32_t)IOAPIC_RTE_DEST_LOGICAL)
#define REMOTE_IRR ((uint32_t)IOAPIC_RTE_REMOTE_IRR)

static void assert_delivery(unsigned i, uint8_t vector, uint32_t dest, bool logical, uint8_t mode,
			    bool level)
{
	assert_true(i < rec.count);
	assert_int_equal(rec.d[i].vector, vector);
	assert_int_equal(rec.d[i].dest, dest);
	assert_int_equal(rec.d[i].logical, logical);
	assert_int_equal(rec.d[i].mode, mode);
	assert_int_equal(rec.d[i].level, level);
}

/* ---- Registers -------------------------------------------------------- */

static void reset_state(void **state)
{
	assert_int_equal(read_reg(IOAPIC_REG_ID), 3u << 24);
	assert_int_equal(read_reg(IOAPIC_REG_VERSION), 0x00170020u);
	assert_int_equal(read_reg(IOAPIC_REG_ARB), 3u << 24);
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		assert_int_equal(low(pin), MASKED);
		assert_int_equal(high(pin), 0);
		assert_int_equal(ioapic_redirection(&io, pin), IOAPIC_RTE_MASKED);
	}
	assert_int_equal(rec.count, 0);
}

static void ioregsel_keeps_low_byte(void **state)
{
	uint32_t v;

	assert_true(ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 0xffffff01));
	assert_true(ioapic_mmio_read(&io, IOAPIC_IOREGSEL, &v));
	assert_int_equal(v, 0x01);
	assert_true(ioapic_mmio_read(&io, IOAPIC_IOWIN, &v));
	assert_int_equal(v, 0x00170020u); /* selected the version register */
}

static void id_register(void **state)
{
	write_reg(IOAPIC_REG_ID, 0xffffffff);
	assert_int_equal(read_reg(IOAPIC_REG_ID), 0x0f000000u);
	assert_int_equal(read_reg(IOAPIC_REG_ARB), 0x0f000000u); /* follows the ID */
	write_reg(IOAPIC_REG_ID, 0x05abcdef);
	assert_int_equal(read_reg(IOAPIC_REG_ID), 0x05000000u);
	write_reg(IOAPIC_REG_ID, 0xf0000000); /* reserved bits only */
	assert_int_equal(read_reg(IOAPIC_REG_ID), 0);

	write_reg(IOAPIC_REG_ID, 0x07000000);
	ioapic_reset(&io);
	assert_int_equal(read_reg(IOAPIC_REG_ID), 3u << 24); /* the ID from init */

	ioapic_init(&io, 0xfe, record, &rec); /* only 4 bits */
	assert_int_equal(read_reg(IOAPIC_REG_ID), 0x0e000000u);
}

static void version_and_arbitration_read_only(void **state)
{
	write_reg(IOAPIC_REG_VERSION, 0);
	write_reg(IOAPIC_REG_ARB, 0x0a000000);
	assert_int_equal(read_reg(IOAPIC_REG_VERSION), 0x00170020u);
	assert_int_equal((read_reg(IOAPIC_REG_VERSION) >> 16) & 0xff, IOAPIC_PINS - 1);
	assert_int_equal(read_reg(IOAPIC_REG_ARB), 3u << 24);
	assert_int_equal(read_reg(IOAPIC_REG_ID), 3u << 24);
}

static void redirection_reserved_and_read_only_bits(void **state)
{
	write_reg(IOAPIC_REG_REDIR + 2 * 7, 0xffffffff);
	write_reg(IOAPIC_REG_REDIR + 2 * 7 + 1, 0xffffffff);
	/* vector, delivery mode, destination mode, polarity, trigger, mask;
	 * not Delivery Status (12) or Remote IRR (14) (the wire is low). */
	assert_int_equal(low(7), 0x0001afffu);
	assert_int_equal(high(7), 0xff000000u);
	assert_int_equal(ioapic_redirection(&io, 7), 0xff0000000001afffull);

	write_reg(IOAPIC_REG_REDIR + 2 * 7, 0x00000000);
	write_reg(IOAPIC_REG_REDIR + 2 * 7 + 1, 0x00ffffff);
	assert_int_equal(low(7), 0);
	assert_int_equal(high(7), 0);

	/* The two halves are independent, and other pins untouched. */
	write_reg(IOAPIC_REG_REDIR + 2 * 23, 0x00010045);
	write_reg(IOAPIC_REG_REDIR + 2 * 23 + 1, 0x12000000);
	write_reg(IOAPIC_REG_REDIR + 2 * 23, 0x00010046);
	assert_int_equal(low(23), 0x00010046u);
	assert_int_equal(high(23), 0x12000000u);
	assert_int_equal(low(22), MASKED);
	assert_int_equal(low(0), MASKED);
	assert_int_equal(rec.count, 0);
}

static void unknown_registers(void **state)
{
	const uint8_t regs[] = { 0x03, 0x0f, IOAPIC_REG_REDIR + 2 * IOAPIC_PINS, 0x80, 0xff };

	for (unsigned i = 0; i < sizeof(regs); i++) {
		write_reg(regs[i], 0xffffffff);
		assert_int_equal(read_reg(regs[i]), 0);
	}
	assert_int_equal(read_reg(IOAPIC_REG_ID), 3u << 24);
	assert_int_equal(low(23), MASKED);
	assert_int_equal(high(23), 0);
}

static void mmio_offsets(void **state)
{
	const uint32_t undecoded[] = { 0x04, 0x08, 0x0c, 0x14, 0x20, 0x3c, 0x44, 0x100, 0xffc };
	uint32_t v;

	for (unsigned i = 0; i < sizeof(undecoded) / sizeof(undecoded[0]); i++) {
		v = 0x1234;
		assert_true(ioapic_mmio_write(&io, undecoded[i], 0xffffffff));
		assert_true(ioapic_mmio_read(&io, undecoded[i], &v));
		assert_int_equal(v, 0);
	}
	/* The EOI register is write-only. */
	assert_true(ioapic_mmio_read(&io, IOAPIC_EOI, &v));
	assert_int_equal(v, 0);
	/* Outside the page: not ours, nothing touched. */
	v = 0x1234;
	assert_false(ioapic_mmio_read(&io, IOAPIC_MMIO_SIZE, &v));
	assert_int_equal(v, 0x1234);
	assert_false(ioapic_mmio_write(&io, IOAPIC_MMIO_SIZE + IOAPIC_IOREGSEL, 0x01));
	assert_false(ioapic_mmio_write(&io, 0xffffffffu, 0x01));
	assert_int_equal(io.regsel, 0);
	assert_int_equal(read_reg(IOAPIC_REG_ID), 3u << 24);
}

/* ---- Edge-triggered pins --------------------------------------------- */

static void edge_once_per_rising_edge(void **state)
{
	program(4, 0x31, 1);
	ioapic_set_irq(&io, 4, true);
	assert_int_equal(rec.count, 1);
	assert_delivery(0, 0x31, 1, false, IOAPIC_DELIVERY_FIXED, false);

	ioapic_set_irq(&io, 4, true); /* still high: no edge */
	assert_int_equal(rec.count, 1);
	ioapic_set_irq(&io, 4, false);
	assert_int_equal(rec.count, 1);
	ioapic_set_irq(&io, 4, true);
	assert_int_equal(rec.count, 2);
	assert_delivery(1, 0x31, 1, false, IOAPIC_DELIVERY_FIXED, false);

	/* No Remote IRR for edge pins; an EOI changes nothing. */
	assert_int_equal(low(4) & REMOTE_IRR, 0);
	ioapic_eoi(&io, 0x31);
	assert_int_equal(rec.count, 2);
	assert_int_equal(io.deliveries, 2);
}

static void edge_while_masked_is_lost(void **state)
{
	program(4, MASKED | 0x31, 0);
	ioapic_set_irq(&io, 4, true);
	assert_int_equal(rec.count, 0);
	program(4, 0x31, 0); /* unmask while high: the edge is gone */
	assert_int_equal(rec.count, 0);
	ioapic_set_irq(&io, 4, false);
	ioapic_set_irq(&io, 4, true);
	assert_int_equal(rec.count, 1);

	program(4, MASKED | 0x31, 0);
	ioapic_set_irq(&io, 4, false);
	ioapic_set_irq(&io, 4, true);
	assert_int_equal(rec.count, 1);
}

static void edge_pins_independent(void **state)
{
	program(1, 0x41, 0);
	program(2, 0x42, 0);
	ioapic_set_irq(&io, 2, true);
	ioapic_set_irq(&io, 1, true);
	ioapic_set_irq(&io, 3, true); /* masked */
	assert_int_equal(rec.count, 2);
	assert_int_equal(rec.d[0].vector, 0x42);
	assert_int_equal(rec.d[1].vector, 0x41);
}

/* ---- Level-triggered pins -------------------------------------------- */

static void level_remote_irr_and_eoi(void **state)
{
	program(9, LEVEL | 0x51, 2);
	ioapic_set_irq(&io, 9, true);
	assert_int_equal(rec.count, 1);
	assert_delivery(0, 0x51, 2, false, IOAPIC_DELIVERY_FIXED, true);
	assert_true(low(9) & REMOTE_IRR);

	/* Asserted but Remote IRR set: nothing more. */
	ioapic_set_irq(&io, 9, true);
	ioapic_set_irq(&io, 9, false);
	ioapic_set_irq(&io, 9, true);
	assert_int_equal(rec.count, 1);

	/* An EOI for another vector changes nothing. */
	ioapic_eoi(&io, 0x52);
	assert_int_equal(rec.count, 1);
	assert_true(low(9) & REMOTE_IRR);

	/* EOI with the line still asserted: delivered again. */
	ioapic_eoi(&io, 0x51);
	assert_int_equal(rec.count, 2);
	assert_delivery(1, 0x51, 2, false, IOAPIC_DELIVERY_FIXED, true);
	assert_true(low(9) & REMOTE_IRR);

	/* Deasserted, then EOI: Remote IRR clears, nothing delivered. */
	ioapic_set_irq(&io, 9, false);
	ioapic_eoi(&io, 0x51);
	assert_int_equal(rec.count, 2);
	assert_false(low(9) & REMOTE_IRR);

	ioapic_set_irq(&io, 9, true);
	assert_int_equal(rec.count, 3);
}

static void level_eoi_through_mmio(void **state)
{
	program(10, LEVEL | 0x61, 0);
	ioapic_set_irq(&io, 10, true);
	assert_int_equal(rec.count, 1);
	assert_true(ioapic_mmio_write(&io, IOAPIC_EOI, 0xffffff61)); /* bits 7:0 */
	assert_int_equal(rec.count, 2);
	ioapic_set_irq(&io, 10, false);
	assert_true(ioapic_mmio_write(&io, IOAPIC_EOI, 0x61));
	assert_false(low(10) & REMOTE_IRR);
	assert_int_equal(rec.count, 2);
}

static void level_masked_then_unmasked(void **state)
{
	program(11, MASKED | LEVEL | 0x71, 0);
	ioapic_set_irq(&io, 11, true);
	assert_int_equal(rec.count, 0);
	assert_false(low(11) & REMOTE_IRR);

	program(11, LEVEL | 0x71, 0); /* unmask while asserted */
	assert_int_equal(rec.count, 1);
	assert_true(low(11) & REMOTE_IRR);

	/* Masked with Remote IRR set, EOI, line still up: held until unmask. */
	program(11, MASKED | LEVEL | 0x71, 0);
	ioapic_eoi(&io, 0x71);
	assert_false(low(11) & REMOTE_IRR);
	assert_int_equal(rec.count, 1);
	program(11, LEVEL | 0x71, 0);
	assert_int_equal(rec.count, 2);

	/* Line dropped while masked: unmasking delivers nothing. */
	ioapic_eoi(&io, 0x71);
	assert_int_equal(rec.count, 3);
	program(11, MASKED | LEVEL | 0x71, 0);
	ioapic_eoi(&io, 0x71);
	ioapic_set_irq(&io, 11, false);
	program(11, LEVEL | 0x71, 0);
	assert_int_equal(rec.count, 3);
}

/* Writing the high half (or an unchanged low half) keeps Remote IRR and
 * does not deliver twice. */
static void level_rewrite_keeps_remote_irr(void **state)
{
	program(12, LEVEL | 0x81, 1);
	ioapic_set_irq(&io, 12, true);
	assert_int_equal(rec.count, 1);
	write_reg(IOAPIC_REG_REDIR + 2 * 12 + 1, 0x02000000);
	write_reg(IOAPIC_REG_REDIR + 2 * 12, LEVEL | 0x81);
	assert_int_equal(rec.count, 1);
	assert_true(low(12) & REMOTE_IRR);
	/* The next delivery goes to the new destination. */
	ioapic_eoi(&io, 0x81);
	assert_delivery(1, 0x81, 2, false, IOAPIC_DELIVERY_FIXED, true);
}

/* Linux's EOI for I/O APICs without the EOI register: switch the entry to
 * edge (which clears Remote IRR) and back to level. */
static void edge_write_clears_remote_irr(void **state)
{
	program(13, LEVEL | 0x91, 0);
	ioapic_set_irq(&io, 13, true);
	assert_int_equal(rec.count, 1);
	write_reg(IOAPIC_REG_REDIR + 2 * 13, MASKED | 0x91);
	assert_false(low(13) & REMOTE_IRR);
	assert_int_equal(rec.count, 1);
	write_reg(IOAPIC_REG_REDIR + 2 * 13, LEVEL | 0x91);
	assert_int_equal(rec.count, 2); /* still asserted */
	assert_true(low(13) & REMOTE_IRR);
}

static void eoi_matches_vector_on_every_pin(void **state)
{
	program(14, LEVEL | 0xa1, 0);
	program(15, LEVEL | 0xa1, 1);
	program(16, LEVEL | 0xa2, 0);
	program(17, 0xa1, 0); /* edge, same vector */
	ioapic_set_irq(&io, 14, true);
	ioapic_set_irq(&io, 15, true);
	ioapic_set_irq(&io, 16, true);
	assert_int_equal(rec.count, 3);
	ioapic_set_irq(&io, 14, false);
	ioapic_eoi(&io, 0xa1);
	assert_false(low(14) & REMOTE_IRR);
	assert_true(low(15) & REMOTE_IRR); /* redelivered */
	assert_true(low(16) & REMOTE_IRR);
	assert_int_equal(rec.count, 4);
	assert_delivery(3, 0xa1, 1, false, IOAPIC_DELIVERY_FIXED, true);
}

/* ---- Polarity, fields, limits ---------------------------------------- */

static void polarity_active_low(void **state)
{
	/* Edge, active low: the falling edge of the wire delivers. */
	ioapic_set_irq(&io, 5, true);
	program(5, ACTIVE_LOW | 0x35, 0);
	assert_int_equal(rec.count, 0);
	ioapic_set_irq(&io, 5, false);
	assert_int_equal(rec.count, 1);
	ioapic_set_irq(&io, 5, true);
	assert_int_equal(rec.count, 1);

	/* Level, active low: asserted while the wire is low. */
	ioapic_set_irq(&io, 6, true);
	program(6, ACTIVE_LOW | LEVEL | 0x36, 0);
	assert_int_equal(rec.count, 1);
	ioapic_set_irq(&io, 6, false);
	assert_int_equal(rec.count, 2);
	assert_delivery(1, 0x36, 0, false, IOAPIC_DELIVERY_FIXED, true);
	ioapic_eoi(&io, 0x36);
	assert_int_equal(rec.count, 3);
	ioapic_set_irq(&io, 6, true);
	ioapic_eoi(&io, 0x36);
	assert_int_equal(rec.count, 3);
	assert_false(low(6) & REMOTE_IRR);

	/* A level pin whose wire rests low asserts once made active low. */
	ioapic_set_irq(&io, 8, false);
	program(8, LEVEL | 0x38, 0);
	assert_int_equal(rec.count, 3);
	program(8, ACTIVE_LOW | LEVEL | 0x38, 0);
	assert_int_equal(rec.count, 4);
}

static void fields_passed_through(void **state)
{
	program(20, LOGICAL | IOAPIC_DELIVERY_LOWEST << 8 | 0x40, 0xa5);
	ioapic_set_irq(&io, 20, true);
	assert_delivery(0, 0x40, 0xa5, true, IOAPIC_DELIVERY_LOWEST, false);

	program(21, IOAPIC_DELIVERY_NMI << 8, 0x3f);
	ioapic_set_irq(&io, 21, true);
	assert_delivery(1, 0x00, 0x3f, false, IOAPIC_DELIVERY_NMI, false);

	program(22, LEVEL | LOGICAL | IOAPIC_DELIVERY_EXTINT << 8 | 0xfe, 0xff);
	ioapic_set_irq(&io, 22, true);
	assert_delivery(2, 0xfe, 0xff, true, IOAPIC_DELIVERY_EXTINT, true);

	program(0, 3u << 8 | 0x20, 0); /* a reserved mode goes out as it is */
	ioapic_set_irq(&io, 0, true);
	assert_delivery(3, 0x20, 0, false, 3, false);
	assert_int_equal(io.deliveries, 4);
}

static void pins_out_of_range(void **state)
{
	ioapic_set_irq(&io, IOAPIC_PINS, true);
	ioapic_set_irq(&io, 31, true);
	ioapic_set_irq(&io, 1000, true);
	assert_int_equal(io.wires, 0);
	assert_int_equal(ioapic_redirection(&io, IOAPIC_PINS), 0);
	assert_int_equal(rec.count, 0);
}

/* Reset masks every entry but keeps the wires: a level line still up
 * delivers once the guest programs its pin again. */
static void reset_keeps_wires(void **state)
{
	program(18, LEVEL | 0xb1, 0);
	ioapic_set_irq(&io, 18, true);
	assert_int_equal(rec.count, 1);
	ioapic_reset(&io);
	assert_int_equal(io.regsel, 0);
	assert_int_equal(low(18), MASKED);
	program(18, LEVEL | 0xb1, 0);
	assert_int_equal(rec.count, 2);
	assert_int_equal(io.deliveries, 2);
}

static void no_callback(void **state)
{
	ioapic_init(&io, 0, NULL, NULL);
	program(2, 0x22, 0);
	ioapic_set_irq(&io, 2, true);
	assert_int_equal(io.deliveries, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(reset_state, setup),
		cmocka_unit_test_setup(ioregsel_keeps_low_byte, setup),
		cmocka_unit_test_setup(id_register, setup),
		cmocka_unit_test_setup(version_and_arbitration_read_only, setup),
		cmocka_unit_test_setup(redirection_reserved_and_read_only_bits, setup),
		cmocka_unit_test_setup(unknown_registers, setup),
		cmocka_unit_test_setup(mmio_offsets, setup),
		cmocka_unit_test_setup(edge_once_per_rising_edge, setup),
		cmocka_unit_test_setup(edge_while_masked_is_lost, setup),
		cmocka_unit_test_setup(edge_pins_independent, setup),
		cmocka_unit_test_setup(level_remote_irr_and_eoi, setup),
		cmocka_unit_test_setup(level_eoi_through_mmio, setup),
		cmocka_unit_test_setup(level_masked_then_unmasked, setup),
		cmocka_unit_test_setup(level_rewrite_keeps_remote_irr, setup),
		cmocka_unit_test_setup(edge_write_clears_remote_irr, setup),
		cmocka_unit_test_setup(eoi_matches_vector_on_every_pin, setup),
		cmocka_unit_test_setup(polarity_active_low, setup),
		cmocka_unit_test_setup(fields_passed_through, setup),
		cmocka_unit_test_setup(pins_out_of_range, setup),
		cmocka_unit_test_setup(reset_keeps_wires, setup),
		cmocka_unit_test_setup(no_callback, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
