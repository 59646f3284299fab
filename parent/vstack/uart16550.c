/*
 * The 16550A model; see uart16550.h for the contract.  Section names refer to
 * the PC16550D datasheet.
 */
#include "parent/vstack/uart16550.h"

#include <stddef.h>

static const uint8_t uart_trigger_levels[4] = { 1, 4, 8, 14 };

static bool uart_fifo_enabled(const struct uart16550 *uart)
{
	return uart->fcr & UART_FCR_ENABLE;
}

static bool uart_loopback(const struct uart16550 *uart)
{
	return uart->mcr & UART_MCR_LOOP;
}

/* Receiver capacity: the 16-byte FIFO, or the single RBR in 16450 mode. */
static unsigned uart_rx_capacity(const struct uart16550 *uart)
{
	return uart_fifo_enabled(uart) ? UART_FIFO_SIZE : 1;
}

static void uart_rx_clear(struct uart16550 *uart)
{
	uart->rx_head = 0;
	uart->rx_count = 0;
}

/* "Line Status Register", OE: in FIFO mode a byte arriving at a full FIFO
 * is lost and the FIFO is untouched; in 16450 mode it overwrites the unread
 * RBR. */
static bool uart_rx_push(struct uart16550 *uart, uint8_t byte)
{
	if (uart->rx_count < uart_rx_capacity(uart)) {
		uart->rx[(uart->rx_head + uart->rx_count) % UART_FIFO_SIZE] = byte;
		uart->rx_count++;
		return true;
	}
	uart->lsr_errors |= UART_LSR_OE;
	uart->rx_overruns++;
	if (!uart_fifo_enabled(uart))
		uart->rx[uart->rx_head] = byte;
	return false;
}

static uint8_t uart_rx_pop(struct uart16550 *uart)
{
	if (uart->rx_count == 0)
		return uart->rbr_last;
	uart->rbr_last = uart->rx[uart->rx_head];
	uart->rx_head = (uint8_t)((uart->rx_head + 1) % UART_FIFO_SIZE);
	uart->rx_count--;
	uart->rx_bytes++;
	return uart->rbr_last;
}

/* MSR 7:4.  "Modem Control Register", LOOP: the modem inputs are wired to
 * the control outputs: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2. */
static uint8_t uart_modem_lines(const struct uart16550 *uart)
{
	uint8_t mcr = uart->mcr;

	if (!uart_loopback(uart))
		return uart->modem_lines;
	return (uint8_t)(((mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
			 ((mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
			 ((mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
			 ((mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
}

/* Latch the MSR deltas for a change of the modem lines from `before`. */
static void uart_modem_changed(struct uart16550 *uart, uint8_t before)
{
	uint8_t after = uart_modem_lines(uart);
	uint8_t changed = before ^ after;

	if (changed & UART_MSR_CTS)
		uart->msr_deltas |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		uart->msr_deltas |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		uart->msr_deltas |= UART_MSR_DDCD;
	if ((before & UART_MSR_RI) && !(after & UART_MSR_RI))
		uart->msr_deltas |= UART_MSR_TERI;
}

void uart_reset(struct uart16550 *uart)
{
	uart->ier = 0;
	uart->lcr = 0;
	uart->mcr = 0;
	uart->scr = 0;
	uart->fcr = 0;
	uart->dll = UART_RESET_DIVISOR & 0xff;
	uart->dlm = UART_RESET_DIVISOR >> 8;
	uart->lsr_errors = 0;
	uart->msr_deltas = 0;
	uart->thr_pending = false;
	uart->rbr_last = 0;
	uart_rx_clear(uart);
}

void uart_init(struct uart16550 *uart, uint16_t base, struct ringlog *log)
{
	uart->base = base;
	uart->log = log;
	uart->output = NULL;
	uart->output_ctx = NULL;
	uart->modem_lines = UART_MSR_CONNECTED;
	uart->tx_bytes = 0;
	uart->rx_bytes = 0;
	uart->rx_overruns = 0;
	uart_reset(uart);
}

void uart_set_output(struct uart16550 *uart, uart_output_fn fn, void *ctx)
{
	uart->output = fn;
	uart->output_ctx = ctx;
}

uint8_t uart_iir(const struct uart16550 *uart)
{
	uint8_t fifo = uart_fifo_enabled(uart) ? UART_IIR_FIFO : 0;
	uint8_t ier = uart->ier;

	if ((ier & UART_IER_RLSI) && (uart->lsr_errors & UART_LSR_ERRORS))
		return fifo | UART_IIR_RLSI;
	if ((ier & UART_IER_RDI) && uart->rx_count) {
		/* Below the trigger level the FIFO reports a character timeout.
		 * Without a clock, the four character times count as elapsed. */
		if (fifo && uart->rx_count < uart_trigger_levels[uart->fcr >> 6])
			return fifo | UART_IIR_TIMEOUT;
		return fifo | UART_IIR_RDI;
	}
	if ((ier & UART_IER_THRI) && uart->thr_pending)
		return fifo | UART_IIR_THRI;
	if ((ier & UART_IER_MSI) && (uart->msr_deltas & UART_MSR_DELTAS))
		return fifo | UART_IIR_MSI;
	return fifo | UART_IIR_NO_INT;
}

bool uart_intr(const struct uart16550 *uart)
{
	return !(uart_iir(uart) & UART_IIR_NO_INT);
}

bool uart_irq_pending(const struct uart16550 *uart)
{
	return uart_intr(uart) && (uart->mcr & UART_MCR_OUT2) && !uart_loopback(uart);
}

uint16_t uart_divisor(const struct uart16550 *uart)
{
	return (uint16_t)(uart->dlm << 8 | uart->dll);
}

uint32_t uart_baud(const struct uart16550 *uart)
{
	uint16_t divisor = uart_divisor(uart);

	return divisor ? UART_BAUD_BASE / divisor : 0;
}

bool uart_receive(struct uart16550 *uart, uint8_t byte)
{
	if (uart_loopback(uart))
		return false;
	return uart_rx_push(uart, byte);
}

unsigned uart_rx_room(const struct uart16550 *uart)
{
	if (uart_loopback(uart))
		return 0;
	return uart_rx_capacity(uart) - uart->rx_count;
}

static uint8_t uart_lsr(const struct uart16550 *uart)
{
	/* Transmission is instantaneous: THR and the shift register are
	 * always empty by the time the guest can look. */
	uint8_t lsr = UART_LSR_THRE | UART_LSR_TEMT | uart->lsr_errors;

	if (uart->rx_count)
		lsr |= UART_LSR_DR;
	return lsr;
}

static void uart_transmit(struct uart16550 *uart, uint8_t byte)
{
	uart->tx_bytes++;
	if (uart_loopback(uart)) {
		uart_rx_push(uart, byte);
	} else {
		if (uart->log)
			ringlog_putc(uart->log, byte);
		if (uart->output)
			uart->output(uart->output_ctx, byte);
	}
	/* The THR emptied again at once: a fresh THR-empty interrupt. */
	uart->thr_pending = true;
}

/* "FIFO Control Register". */
static void uart_write_fcr(struct uart16550 *uart, uint8_t value)
{
	if (!(value & UART_FCR_ENABLE)) {
		/* Leaving FIFO mode clears the FIFOs; other bits are ignored. */
		if (uart_fifo_enabled(uart))
			uart_rx_clear(uart);
		uart->fcr = 0;
		return;
	}
	if (!uart_fifo_enabled(uart) || (value & UART_FCR_CLEAR_RX))
		uart_rx_clear(uart);
	/* UART_FCR_CLEAR_TX: the transmitter never holds anything. */
	uart->fcr = value & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER);
}

static void uart_write_reg(struct uart16550 *uart, unsigned reg, uint8_t value)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;
	uint8_t before;

	switch (reg) {
	case UART_THR:
		if (dlab)
			uart->dll = value;
		else
			uart_transmit(uart, value);
		break;
	case UART_IER:
		if (dlab) {
			uart->dlm = value;
			break;
		}
		/* Enabling THRI while the THR is empty raises the interrupt. */
		if (!(uart->ier & UART_IER_THRI) && (value & UART_IER_THRI))
			uart->thr_pending = true;
		uart->ier = value & UART_IER_MASK;
		break;
	case UART_FCR:
		uart_write_fcr(uart, value);
		break;
	case UART_LCR:
		uart->lcr = value;
		break;
	case UART_MCR:
		before = uart_modem_lines(uart);
		uart->mcr = value & UART_MCR_MASK;
		uart_modem_changed(uart, before);
		break;
	case UART_LSR:
	case UART_MSR:
		break;
	case UART_SCR:
		uart->scr = value;
		break;
	}
}

static uint8_t uart_read_reg(struct uart16550 *uart, unsigned reg)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;
	uint8_t value;

	switch (reg) {
	case UART_RBR:
		return dlab ? uart->dll : uart_rx_pop(uart);
	case UART_IER:
		return dlab ? uart->dlm : uart->ier;
	case UART_IIR:
		/* Reading IIR acknowledges a THR-empty interrupt it reports. */
		value = uart_iir(uart);
		if ((value & UART_IIR_ID_MASK) == UART_IIR_THRI)
			uart->thr_pending = false;
		return value;
	case UART_LCR:
		return uart->lcr;
	case UART_MCR:
		return uart->mcr;
	case UART_LSR:
		value = uart_lsr(uart);
		uart->lsr_errors = 0;
		return value;
	case UART_MSR:
		value = uart_modem_lines(uart) | uart->msr_deltas;
		uart->msr_deltas = 0;
		return value;
	case UART_SCR:
		return uart->scr;
	}
	return 0xff;
}

bool uart_io(struct uart16550 *uart, uint16_t port, bool write, unsigned size, uint32_t *value)
{
	uint32_t offset = (uint32_t)port - uart->base;
	uint32_t result = 0;
	unsigned i;

	if (port < uart->base || offset >= UART_PORT_COUNT)
		return false;
	if (size != 1 && size != 2 && size != 4) {
		if (!write)
			*value = 0xffffffffu;
		return true;
	}
	for (i = 0; i < size; i++) {
		unsigned reg = offset + i;

		if (write) {
			if (reg < UART_PORT_COUNT)
				uart_write_reg(uart, reg, (uint8_t)(*value >> (8 * i)));
		} else {
			uint8_t byte = reg < UART_PORT_COUNT ? uart_read_reg(uart, reg) : 0xff;

			result |= (uint32_t)byte << (8 * i);
		}
	}
	if (!write)
		*value = result;
	return true;
}
