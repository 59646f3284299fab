/*
 * The I/O APIC model; see ioapic.h for the contract.  Section numbers refer
 * to the Intel 82093AA datasheet.
 */
#include "parent/vstack/ioapic.h"

#include <stddef.h>

void ioapic_init(struct ioapic *io, uint8_t id, ioapic_deliver_fn deliver, void *ctx)
{
	io->deliver = deliver;
	io->ctx = ctx;
	io->reset_id = id & (IOAPIC_ID_MASK >> IOAPIC_ID_SHIFT);
	io->wires = 0;
	io->deliveries = 0;
	ioapic_reset(io);
}

void ioapic_reset(struct ioapic *io)
{
	io->regsel = 0;
	io->id = io->reset_id;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
		io->redir[pin] = IOAPIC_RTE_MASKED;
}

/* The pin's input after the polarity inversion: true when asserted. */
static bool ioapic_input(const struct ioapic *io, unsigned pin)
{
	bool wire = io->wires >> pin & 1;

	return (io->redir[pin] & IOAPIC_RTE_ACTIVE_LOW) ? !wire : wire;
}

static void ioapic_send(struct ioapic *io, unsigned pin)
{
	uint64_t rte = io->redir[pin];
	uint8_t mode = (uint8_t)((rte & IOAPIC_RTE_DELIVERY_MODE) >> IOAPIC_RTE_DELIVERY_SHIFT);
	uint32_t dest = (uint32_t)((rte & IOAPIC_RTE_DEST) >> IOAPIC_RTE_DEST_SHIFT);

	io->deliveries++;
	if (io->deliver)
		io->deliver(io->ctx, (uint8_t)(rte & IOAPIC_RTE_VECTOR), dest,
			    rte & IOAPIC_RTE_DEST_LOGICAL, mode, rte & IOAPIC_RTE_LEVEL);
}

/* A level-triggered pin delivers while its input is asserted, it is
 * unmasked and Remote IRR is clear; delivering sets Remote IRR. */
static void ioapic_service_level(struct ioapic *io, unsigned pin)
{
	uint64_t rte = io->redir[pin];

	if (!(rte & IOAPIC_RTE_LEVEL) || (rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)) ||
	    !ioapic_input(io, pin))
		return;
	io->redir[pin] |= IOAPIC_RTE_REMOTE_IRR;
	ioapic_send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
	bool before;

	if (pin >= IOAPIC_PINS)
		return;
	before = ioapic_input(io, pin);
	if (level)
		io->wires |= 1u << pin;
	else
		io->wires &= ~(1u << pin);

	if (io->redir[pin] & IOAPIC_RTE_LEVEL)
		ioapic_service_level(io, pin);
	else if (!before && ioapic_input(io, pin) && !(io->redir[pin] & IOAPIC_RTE_MASKED))
		ioapic_send(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t rte = io->redir[pin];

		if (!(rte & IOAPIC_RTE_LEVEL) || !(rte & IOAPIC_RTE_REMOTE_IRR) ||
		    (rte & IOAPIC_RTE_VECTOR) != vector)
			continue;
		io->redir[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		ioapic_service_level(io, pin);
	}
}

uint64_t ioapic_redirection(const struct ioapic *io, unsigned pin)
{
	return pin < IOAPIC_PINS ? io->redir[pin] : 0;
}

/* §3.2: the register IOWIN reaches through IOREGSEL `reg`. */
static uint32_t ioapic_read_reg(const struct ioapic *io, uint8_t reg)
{
	unsigned pin;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB: /* §3.2.3: loaded from the ID */
		return (uint32_t)io->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VERSION:
		return IOAPIC_VERSION_REG;
	}
	if (reg < IOAPIC_REG_REDIR || reg >= IOAPIC_REG_REDIR + 2 * IOAPIC_PINS)
		return 0;
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	return (uint32_t)(io->redir[pin] >> (reg & 1 ? 32 : 0));
}

static void ioapic_write_reg(struct ioapic *io, uint8_t reg, uint32_t value)
{
	uint64_t rte, half_mask;
	unsigned pin;

	if (reg == IOAPIC_REG_ID) {
		io->id = (uint8_t)((value & IOAPIC_ID_MASK) >> IOAPIC_ID_SHIFT);
		return;
	}
	if (reg < IOAPIC_REG_REDIR || reg >= IOAPIC_REG_REDIR + 2 * IOAPIC_PINS)
		return; /* version, arbitration and unknown registers */

	pin = (reg - IOAPIC_REG_REDIR) / 2;
	half_mask = reg & 1 ? 0xffffffff00000000ull : 0x00000000ffffffffull;
	rte = io->redir[pin];
	rte = (rte & ~(half_mask & IOAPIC_RTE_WRITABLE)) |
	      ((uint64_t)value << (reg & 1 ? 32 : 0) & half_mask & IOAPIC_RTE_WRITABLE);
	if (!(rte & IOAPIC_RTE_LEVEL))
		rte &= ~IOAPIC_RTE_REMOTE_IRR;
	io->redir[pin] = rte;
	ioapic_service_level(io, pin);
}

bool ioapic_mmio_read(struct ioapic *io, uint32_t offset, uint32_t *value)
{
	if (offset >= IOAPIC_MMIO_SIZE)
		return false;
	if (offset == IOAPIC_IOREGSEL)
		*value = io->regsel;
	else if (offset == IOAPIC_IOWIN)
		*value = ioapic_read_reg(io, io->regsel);
	else
		*value = 0; /* EOI is write-only; nothing else is decoded */
	return true;
}

bool ioapic_mmio_write(struct ioapic *io, uint32_t offset, uint32_t value)
{
	if (offset >= IOAPIC_MMIO_SIZE)
		return false;
	if (offset == IOAPIC_IOREGSEL)
		io->regsel = (uint8_t)value;
	else if (offset == IOAPIC_IOWIN)
		ioapic_write_reg(io, io->regsel, value);
	else if (offset == IOAPIC_EOI)
		ioapic_eoi(io, (uint8_t)value);
	return true;
}
