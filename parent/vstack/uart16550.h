/*
 * An emulated 16550A UART for child partitions, driven by the port I/O
 * intercepts the parent receives.  No hardware access and no clock:
 * transmission is instantaneous and received bytes arrive when the caller
 * pushes them with uart_receive().
 *
 * Register semantics follow the National/TI PC16550D datasheet (register
 * sections named next to each bit below); docs/devices.md lists where the
 * model departs from the chip.
 *
 * Not locked: the caller serializes all calls on one UART.
 */
#ifndef KEEL_PARENT_VSTACK_UART16550_H
#define KEEL_PARENT_VSTACK_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#include "parent/vstack/ringlog.h"

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ  4
#define UART_PORT_COUNT 8
#define UART_FIFO_SIZE 16
/* Divisor 1 = 115200 baud: the 1.8432 MHz clock divided by 16. */
#define UART_BAUD_BASE 115200u
/* Divisor latch value at reset (9600 baud). */
#define UART_RESET_DIVISOR 12

/* Register offsets from the base port. */
enum uart_reg {
	UART_RBR = 0, /* read, DLAB=0: receiver buffer */
	UART_THR = 0, /* write, DLAB=0: transmitter holding */
	UART_DLL = 0, /* DLAB=1: divisor latch, low byte */
	UART_IER = 1, /* DLAB=0: interrupt enable */
	UART_DLM = 1, /* DLAB=1: divisor latch, high byte */
	UART_IIR = 2, /* read: interrupt identification */
	UART_FCR = 2, /* write: FIFO control */
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5, /* read-only; writes are ignored */
	UART_MSR = 6, /* read-only; writes are ignored */
	UART_SCR = 7,
};

/* Interrupt Enable Register. */
#define UART_IER_RDI   0x01 /* received data available (and character timeout) */
#define UART_IER_THRI  0x02 /* transmitter holding register empty */
#define UART_IER_RLSI  0x04 /* receiver line status */
#define UART_IER_MSI   0x08 /* modem status */
#define UART_IER_MASK  0x0f

/* Interrupt Identification Register: bit 0 clear = interrupt pending; bits
 * 3:1 name the highest-priority source ("Interrupt Identification Register"
 * table: line status > received data / timeout > THR empty > modem status);
 * bits 7:6 are set while the FIFOs are enabled. */
#define UART_IIR_NO_INT   0x01
#define UART_IIR_MSI      0x00
#define UART_IIR_THRI     0x02
#define UART_IIR_RDI      0x04
#define UART_IIR_RLSI     0x06
#define UART_IIR_TIMEOUT  0x0c
#define UART_IIR_ID_MASK  0x0f
#define UART_IIR_FIFO     0xc0

/* FIFO Control Register (write-only).  Bits other than ENABLE take effect
 * only in a write that also sets ENABLE. */
#define UART_FCR_ENABLE    0x01
#define UART_FCR_CLEAR_RX  0x02
#define UART_FCR_CLEAR_TX  0x04
#define UART_FCR_DMA       0x08
#define UART_FCR_TRIGGER   0xc0 /* receive trigger level: 1, 4, 8, 14 bytes */

/* Line Control Register. */
#define UART_LCR_WLEN_MASK 0x03
#define UART_LCR_STOP      0x04
#define UART_LCR_PARITY    0x38
#define UART_LCR_BREAK     0x40
#define UART_LCR_DLAB      0x80 /* divisor latch access at offsets 0 and 1 */

/* Modem Control Register; bits 7:5 read as 0. */
#define UART_MCR_DTR   0x01
#define UART_MCR_RTS   0x02
#define UART_MCR_OUT1  0x04
#define UART_MCR_OUT2  0x08 /* on a PC, gates the UART's interrupt onto the IRQ line */
#define UART_MCR_LOOP  0x10
#define UART_MCR_MASK  0x1f

/* Line Status Register. */
#define UART_LSR_DR    0x01 /* data ready: the receiver holds a byte */
#define UART_LSR_OE    0x02 /* overrun; cleared by reading LSR */
#define UART_LSR_PE    0x04
#define UART_LSR_FE    0x08
#define UART_LSR_BI    0x10
#define UART_LSR_THRE  0x20 /* transmitter holding register (or TX FIFO) empty */
#define UART_LSR_TEMT  0x40 /* transmitter completely idle */
#define UART_LSR_FIFOE 0x80 /* error in the RX FIFO (never set by this model) */
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

/* Modem Status Register: deltas in 3:0 (cleared by reading MSR), lines in 7:4. */
#define UART_MSR_DCTS  0x01
#define UART_MSR_DDSR  0x02
#define UART_MSR_TERI  0x04 /* RI went from on to off */
#define UART_MSR_DDCD  0x08
#define UART_MSR_CTS   0x10
#define UART_MSR_DSR   0x20
#define UART_MSR_RI    0x40
#define UART_MSR_DCD   0x80
#define UART_MSR_DELTAS 0x0f
/* What the virtual line reports outside loopback: a connected, ready peer. */
#define UART_MSR_CONNECTED (UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD)

/* Receives each byte the guest transmits (outside loopback). */
typedef void (*uart_output_fn)(void *ctx, uint8_t byte);

struct uart16550 {
	/* Set at init; never changed by guest accesses. */
	uint16_t base;
	struct ringlog *log;     /* may be NULL */
	uart_output_fn output;   /* may be NULL */
	void *output_ctx;

	/* Guest-visible state. */
	uint8_t ier, lcr, mcr, scr;
	uint8_t fcr;             /* ENABLE | DMA | TRIGGER as last programmed */
	uint8_t dll, dlm;
	uint8_t lsr_errors;      /* latched UART_LSR_ERRORS bits until LSR is read */
	uint8_t msr_deltas;      /* latched UART_MSR_DELTAS bits until MSR is read */
	uint8_t modem_lines;     /* MSR 7:4 outside loopback (UART_MSR_CONNECTED) */
	bool thr_pending;        /* THR-empty interrupt latched, not yet acknowledged */
	uint8_t rx[UART_FIFO_SIZE];
	uint8_t rx_head, rx_count;
	uint8_t rbr_last;        /* what RBR returns when nothing was received */

	/* Counters for the caller; never reset by the guest. */
	uint64_t tx_bytes;       /* bytes the guest wrote to THR, loopback included */
	uint64_t rx_bytes;       /* bytes the guest read from RBR */
	uint64_t rx_overruns;    /* bytes lost to a full receiver */
};

/* Power-on state at `base` (UART_COM1_BASE for COM1).  Transmitted bytes
 * go to `log` when it is not NULL. */
void uart_init(struct uart16550 *uart, uint16_t base, struct ringlog *log);
/* Also (or instead) hand every transmitted byte to fn(ctx, byte). */
void uart_set_output(struct uart16550 *uart, uart_output_fn fn, void *ctx);
/* Back to power-on register state, as on the chip's MR pin; the base, the
 * output and the counters are kept, the receiver is emptied. */
void uart_reset(struct uart16550 *uart);

/*
 * One guest port access.  Returns false (and touches nothing) when `port`
 * is not one of the UART's 8 ports.  Otherwise the access is handled:
 * size 1 accesses the register at `port`; sizes 2 and 4 are split into byte
 * accesses to consecutive ports, byte i of *value going to (or coming from)
 * port + i, as the ISA bus does for an 8-bit device.  Bytes beyond the
 * UART's last port read as 0xff and are dropped on write.  Other sizes read
 * as all-ones and write nothing.  A read stores the result zero-extended in
 * *value.
 */
bool uart_io(struct uart16550 *uart, uint16_t port, bool write, unsigned size, uint32_t *value);

/* A byte arriving on the serial line.  Returns true if it was stored; false
 * if it was lost: to an overrun (LSR.OE is set, and with the FIFOs disabled
 * the new byte replaces the unread one) or because the UART is in loopback,
 * where the line is disconnected from the receiver. */
bool uart_receive(struct uart16550 *uart, uint8_t byte);
/* Bytes uart_receive can store now without an overrun (0 in loopback). */
unsigned uart_rx_room(const struct uart16550 *uart);

/* The IIR value a read would return, without a read's side effects. */
uint8_t uart_iir(const struct uart16550 *uart);
/* The chip's INTR output: some enabled interrupt source is pending. */
bool uart_intr(const struct uart16550 *uart);
/* What reaches the guest's IRQ line on a PC: INTR gated by MCR.OUT2, which
 * is forced inactive in loopback.  The caller asserts the UART's IRQ (4 for
 * COM1) while this is true. */
bool uart_irq_pending(const struct uart16550 *uart);

/* The programmed divisor latch, and the baud rate it selects (0 for a
 * divisor of 0). */
uint16_t uart_divisor(const struct uart16550 *uart);
uint32_t uart_baud(const struct uart16550 *uart);

#endif
