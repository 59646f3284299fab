/*
 * An emulated I/O APIC for child partitions: the register interface of the
 * Intel 82093AA (datasheet §3) with 24 pins, at version 0x20: the later
 * revision, integrated in Intel's ICH southbridges, that adds the EOI
 * register at offset 0x40.
 * It is driven by the MMIO intercepts the parent receives for its page and
 * by the emulated devices' interrupt wires; interrupts leave through the
 * `deliver` callback, which the parent turns into HvCallAssertVirtualInterrupt.
 *
 * Memory-mapped registers, 32-bit, at offsets from the base (0xfec00000 on
 * a PC):
 *
 *   0x00  IOREGSEL  bits 7:0 select the register IOWIN reaches; 31:8 read 0
 *   0x10  IOWIN     the selected register
 *   0x40  EOI       write only: bits 7:0 are a vector, as for ioapic_eoi()
 *
 * Every other offset in the IOAPIC_MMIO_SIZE page reads 0 and ignores
 * writes.  Registers reached through IOWIN (datasheet §3.2):
 *
 *   0x00        ID: bits 27:24, read/write; the other bits read 0
 *   0x01        version, read only: 0x00170020 (max redirection entry 23)
 *   0x02        arbitration ID, read only: bits 27:24 follow the ID
 *   0x10+2n     redirection entry n, bits 31:0
 *   0x11+2n     redirection entry n, bits 63:32
 *
 * Other register numbers read 0 and ignore writes.  Reserved bits of every
 * register read 0 and ignore writes.
 *
 * Interrupt semantics:
 * - A pin's input is the wire level the caller sets with ioapic_set_irq(),
 *   inverted when the entry's polarity is active low.
 * - Edge-triggered: one delivery per rising edge of the input while the pin
 *   is unmasked.  An edge on a masked pin is lost (datasheet §3.2.4, bit 16).
 * - Level-triggered: a delivery whenever the input is asserted, the pin is
 *   unmasked and Remote IRR is clear; delivering sets Remote IRR.  An EOI for
 *   the entry's vector clears Remote IRR, so the pin delivers again if the
 *   input is still asserted and the pin unmasked.  Changes of a level input on a masked pin have
 *   no effect of their own: the input is looked at again when the entry is
 *   written (unmasking an asserted pin delivers).
 * - Writing an entry as edge-triggered clears its Remote IRR: Linux, when
 *   it cannot use the EOI register, ends a level interrupt by switching the
 *   masked entry to edge and back.
 * - Delivery Status (bit 12) always reads 0: delivery is immediate.
 * - Delivery mode, destination mode and destination go to `deliver` as
 *   programmed, reserved delivery modes included: what they mean is the
 *   caller's decision.
 *
 * Pure C, no allocation, no hardware access; shared with the host unit
 * tests.  Not locked: the caller serializes all calls on one IOAPIC, and
 * `deliver` must not call back into it.
 */
#ifndef KEEL_PARENT_VSTACK_IOAPIC_H
#define KEEL_PARENT_VSTACK_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_DEFAULT_BASE 0xfec00000u
#define IOAPIC_MMIO_SIZE    0x1000u
#define IOAPIC_PINS         24

/* MMIO offsets. */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10
#define IOAPIC_EOI      0x40

/* Register numbers selected through IOREGSEL. */
#define IOAPIC_REG_ID      0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_ARB     0x02
#define IOAPIC_REG_REDIR   0x10 /* + 2n: entry n, low half; + 2n + 1: high half */

#define IOAPIC_ID_SHIFT    24
#define IOAPIC_ID_MASK     0x0f000000u
#define IOAPIC_VERSION     0x20
#define IOAPIC_VERSION_REG ((uint32_t)(IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION)

/* Redirection entry bits (datasheet §3.2.4). */
#define IOAPIC_RTE_VECTOR          0x00000000000000ffull
#define IOAPIC_RTE_DELIVERY_MODE   0x0000000000000700ull
#define IOAPIC_RTE_DELIVERY_SHIFT  8
#define IOAPIC_RTE_DEST_LOGICAL    (1ull << 11)
#define IOAPIC_RTE_DELIVERY_STATUS (1ull << 12) /* read only; always 0 here */
#define IOAPIC_RTE_ACTIVE_LOW      (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR      (1ull << 14) /* read only */
#define IOAPIC_RTE_LEVEL           (1ull << 15)
#define IOAPIC_RTE_MASKED          (1ull << 16)
#define IOAPIC_RTE_DEST            0xff00000000000000ull
#define IOAPIC_RTE_DEST_SHIFT      56
/* What the guest may write; everything else is reserved or read-only. */
#define IOAPIC_RTE_WRITABLE                                                                \
	(IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELIVERY_MODE | IOAPIC_RTE_DEST_LOGICAL |          \
	 IOAPIC_RTE_ACTIVE_LOW | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | IOAPIC_RTE_DEST)

/* Delivery modes (bits 10:8). */
#define IOAPIC_DELIVERY_FIXED    0
#define IOAPIC_DELIVERY_LOWEST   1
#define IOAPIC_DELIVERY_SMI      2
#define IOAPIC_DELIVERY_NMI      4
#define IOAPIC_DELIVERY_INIT     5
#define IOAPIC_DELIVERY_EXTINT   7

/*
 * One interrupt message: `vector`, to `dest` (an APIC ID, or a logical
 * destination when `logical`), with `delivery_mode` (IOAPIC_DELIVERY_*) and
 * `level` set for a level-triggered pin (the local APIC must then report
 * the EOI of `vector` back through ioapic_eoi()).
 */
typedef void (*ioapic_deliver_fn)(void *ctx, uint8_t vector, uint32_t dest, bool logical,
				  uint8_t delivery_mode, bool level);

struct ioapic {
	/* Set at init; not changed by guest accesses or by ioapic_reset(). */
	ioapic_deliver_fn deliver;
	void *ctx;
	uint8_t reset_id;          /* the ID after reset, 0..15 (the MADT's) */

	/* Guest-visible state. */
	uint8_t regsel;            /* IOREGSEL bits 7:0 */
	uint8_t id;                /* ID register bits 27:24 */
	uint64_t redir[IOAPIC_PINS];

	/* Wire levels as the caller set them, bit n for pin n; kept by reset. */
	uint32_t wires;

	/* Counter for the caller; never reset by the guest. */
	uint64_t deliveries;
};

/* Power-on state with ID `id` (bits above 3 are dropped); all wires low. */
void ioapic_init(struct ioapic *io, uint8_t id, ioapic_deliver_fn deliver, void *ctx);

/* Back to power-on register state: every entry masked and zero otherwise,
 * IOREGSEL 0, the ID from init.  The wires, the callback and the counter
 * are kept (the devices driving the wires are reset by their own code). */
void ioapic_reset(struct ioapic *io);

/*
 * One guest access of 32 bits at `offset` from the base.  Returns false
 * (touching nothing) if offset >= IOAPIC_MMIO_SIZE; otherwise handles it.
 * A narrower access may be passed zero-extended (IOREGSEL and EOI use only
 * bits 7:0; a narrower IOWIN write replaces all 32 bits).
 */
bool ioapic_mmio_read(struct ioapic *io, uint32_t offset, uint32_t *value);
bool ioapic_mmio_write(struct ioapic *io, uint32_t offset, uint32_t value);

/* Pin `pin`'s wire is now at `level` (true: high).  Ignored for pin >= 24. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);

/* The local APIC accepted an EOI for `vector`: every level-triggered entry
 * with that vector and Remote IRR set has Remote IRR cleared, and delivers
 * again if its input is still asserted and it is unmasked. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* A redirection entry as the guest would read it (for the parent's
 * commands and the tests); 0 for pin >= 24. */
uint64_t ioapic_redirection(const struct ioapic *io, unsigned pin);

#endif
