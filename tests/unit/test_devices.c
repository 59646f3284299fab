/*
 * Host unit tests for the parent's emulated devices: the bounded byte log
 * (parent/vstack/ringlog.c), the 16550A UART (parent/vstack/uart16550.c) and
 * the Keel test device (parent/vstack/testdev.c).  Everything is driven the
 * way an intercept would drive it: port reads and writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "parent/vstack/ringlog.h"
#include "parent/vstack/testdev.h"
#include "parent/vstack/platform.h"
#include "parent/vstack/rtc.h"
#include "parent/acpi_tables.h"
#include "parent/vstack/uart16550.h"

/* ---- ringlog ---------------------------------------------------------- */

static void ringlog_starts_empty(void **state)
{
	uint8_t storage[8];
	uint8_t buf[8];
	struct ringlog log;
	uint64_t cursor = 0, lost = 99;

	ringlog_init(&log, storage, sizeof(storage));
	assert_int_equal(ringlog_written(&log), 0);
	assert_int_equal(ringlog_used(&log), 0);
	assert_int_equal(ringlog_start(&log), 0);
	assert_int_equal(ringlog_end(&log), 0);
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 0);
	assert_int_equal(cursor, 0);
	assert_int_equal(lost, 0);
	assert_int_equal(ringlog_copy_tail(&log, buf, sizeof(buf)), 0);
}

static void ringlog_append_then_read(void **state)
{
	uint8_t storage[16];
	char buf[16] = { 0 };
	struct ringlog log;
	uint64_t cursor = 0, lost = 99;

	ringlog_init(&log, storage, sizeof(storage));
	ringlog_append(&log, "hello", 5);
	assert_int_equal(ringlog_written(&log), 5);
	assert_int_equal(ringlog_used(&log), 5);
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(cursor, 5);
	assert_int_equal(lost, 0);
	/* Up to date: nothing more. */
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 0);
	assert_int_equal(cursor, 5);
}

static void ringlog_wrap_keeps_newest(void **state)
{
	uint8_t storage[8];
	char buf[16] = { 0 };
	struct ringlog log;

	ringlog_init(&log, storage, sizeof(storage));
	ringlog_append(&log, "abcde", 5);
	ringlog_append(&log, "fghij", 5);
	ringlog_append(&log, "kl", 2);
	assert_int_equal(ringlog_written(&log), 12);
	assert_int_equal(ringlog_used(&log), 8);
	assert_int_equal(ringlog_start(&log), 4);
	assert_int_equal(ringlog_copy_tail(&log, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "efghijkl", 8);
}

static void ringlog_append_longer_than_capacity(void **state)
{
	uint8_t storage[8];
	char buf[8];
	struct ringlog log;

	ringlog_init(&log, storage, sizeof(storage));
	ringlog_append(&log, "xyz", 3);
	ringlog_append(&log, "0123456789ABCDEFGHIJ", 20);
	assert_int_equal(ringlog_written(&log), 23);
	assert_int_equal(ringlog_used(&log), 8);
	assert_int_equal(ringlog_copy_tail(&log, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "CDEFGHIJ", 8);
}

static void ringlog_cursor_follows_new_output(void **state)
{
	uint8_t storage[8];
	char buf[8];
	struct ringlog log;
	uint64_t cursor, lost;

	ringlog_init(&log, storage, sizeof(storage));
	ringlog_append(&log, "old", 3);
	cursor = ringlog_end(&log);
	ringlog_append(&log, "new", 3);
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 3);
	assert_memory_equal(buf, "new", 3);
	assert_int_equal(lost, 0);
	/* Wrap around the storage between reads without losing anything. */
	ringlog_append(&log, "ABCDEF", 6);
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 6);
	assert_memory_equal(buf, "ABCDEF", 6);
	assert_int_equal(lost, 0);
	assert_int_equal(cursor, 12);
}

static void ringlog_cursor_loss_reported(void **state)
{
	uint8_t storage[8];
	char buf[16];
	struct ringlog log;
	uint64_t cursor = 2, lost = 0;

	ringlog_init(&log, storage, sizeof(storage));
	ringlog_append(&log, "0123456789abcd", 14);
	/* Positions 2..5 were overwritten. */
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 8);
	assert_int_equal(lost, 4);
	assert_memory_equal(buf, "6789abcd", 8);
	assert_int_equal(cursor, 14);
	/* Next read is clean again. */
	ringlog_putc(&log, 'e');
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 1);
	assert_int_equal(lost, 0);
	assert_int_equal(buf[0], 'e');
}

static void ringlog_partial_reads_across_wrap(void **state)
{
	uint8_t storage[5];
	char buf[2];
	char all[16];
	size_t got = 0, n;
	struct ringlog log;
	uint64_t cursor = 0, lost;

	ringlog_init(&log, storage, sizeof(storage));
	ringlog_append(&log, "abc", 3);
	assert_int_equal(ringlog_read(&log, &cursor, buf, 2, &lost), 2);
	ringlog_append(&log, "defg", 4); /* storage now wraps; holds c..g */
	memcpy(all, "ab", 2);
	got = 2;
	while ((n = ringlog_read(&log, &cursor, buf, sizeof(buf), &lost)) > 0) {
		assert_int_equal(lost, 0);
		memcpy(all + got, buf, n);
		got += n;
	}
	assert_int_equal(got, 7);
	assert_memory_equal(all, "abcdefg", 7);
}

static void ringlog_cursor_beyond_end_clamped(void **state)
{
	uint8_t storage[8];
	char buf[8];
	struct ringlog log;
	uint64_t cursor = 1000, lost = 5;

	ringlog_init(&log, storage, sizeof(storage));
	ringlog_append(&log, "abc", 3);
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 0);
	assert_int_equal(cursor, 3);
	assert_int_equal(lost, 0);
	ringlog_putc(&log, 'd');
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 1);
	assert_int_equal(buf[0], 'd');
}

static void ringlog_putc_wraps(void **state)
{
	uint8_t storage[3];
	char buf[3];
	struct ringlog log;
	const char *text = "abcdefg";

	ringlog_init(&log, storage, sizeof(storage));
	for (size_t i = 0; i < strlen(text); i++)
		ringlog_putc(&log, (uint8_t)text[i]);
	assert_int_equal(ringlog_written(&log), 7);
	assert_int_equal(ringlog_copy_tail(&log, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "efg", 3);
}

static void ringlog_clear_discards(void **state)
{
	uint8_t storage[8];
	char buf[8];
	struct ringlog log;
	uint64_t cursor = 0, lost;

	ringlog_init(&log, storage, sizeof(storage));
	ringlog_append(&log, "abcd", 4);
	ringlog_clear(&log);
	assert_int_equal(ringlog_used(&log), 0);
	assert_int_equal(ringlog_written(&log), 4);
	assert_int_equal(ringlog_start(&log), 4);
	ringlog_append(&log, "xy", 2);
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 2);
	assert_int_equal(lost, 4);
	assert_memory_equal(buf, "xy", 2);
}

static void ringlog_zero_capacity_counts(void **state)
{
	char buf[4];
	struct ringlog log;
	uint64_t cursor = 0, lost;

	ringlog_init(&log, NULL, 0);
	ringlog_append(&log, "abc", 3);
	ringlog_putc(&log, 'd');
	assert_int_equal(ringlog_written(&log), 4);
	assert_int_equal(ringlog_used(&log), 0);
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), &lost), 0);
	assert_int_equal(lost, 4);
	assert_int_equal(cursor, 4);
}

static void ringlog_copy_tail_short_buffer(void **state)
{
	uint8_t storage[8];
	char buf[3];
	struct ringlog log;
	uint64_t cursor = 0;

	ringlog_init(&log, storage, sizeof(storage));
	ringlog_append(&log, "abcdefghij", 10);
	assert_int_equal(ringlog_copy_tail(&log, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "hij", 3);
	/* lost may be NULL. */
	assert_int_equal(ringlog_read(&log, &cursor, buf, sizeof(buf), NULL), 3);
	assert_memory_equal(buf, "cde", 3);
}

/* ---- uart16550 -------------------------------------------------------- */

#define COM1 UART_COM1_BASE

static uint8_t storage_com1[64];
static struct ringlog com1_log;

static void uart_setup(struct uart16550 *uart)
{
	ringlog_init(&com1_log, storage_com1, sizeof(storage_com1));
	uart_init(uart, COM1, &com1_log);
}

static void out8(struct uart16550 *uart, unsigned reg, uint8_t value)
{
	uint32_t v = value;

	assert_true(uart_io(uart, (uint16_t)(uart->base + reg), true, 1, &v));
}

static uint8_t in8(struct uart16550 *uart, unsigned reg)
{
	uint32_t v = 0xdeadbeef;

	assert_true(uart_io(uart, (uint16_t)(uart->base + reg), false, 1, &v));
	assert_true(v <= 0xff);
	return (uint8_t)v;
}

static size_t logged(char *buf, size_t len)
{
	return ringlog_copy_tail(&com1_log, buf, len);
}

static void uart_claims_only_its_ports(void **state)
{
	struct uart16550 uart;
	uint32_t v = 0x1234;

	uart_setup(&uart);
	assert_false(uart_io(&uart, COM1 - 1, false, 1, &v));
	assert_false(uart_io(&uart, COM1 + 8, false, 1, &v));
	assert_false(uart_io(&uart, 0, true, 1, &v));
	assert_false(uart_io(&uart, 0xffff, false, 4, &v));
	assert_int_equal(v, 0x1234);
	for (unsigned p = 0; p < UART_PORT_COUNT; p++)
		assert_true(uart_io(&uart, (uint16_t)(COM1 + p), false, 1, &v));
}

static void uart_other_base(void **state)
{
	struct uart16550 uart;
	uint32_t v = 0x5a;

	uart_init(&uart, 0x2f8, NULL);
	assert_false(uart_io(&uart, COM1 + UART_SCR, true, 1, &v));
	assert_true(uart_io(&uart, 0x2f8 + UART_SCR, true, 1, &v));
	assert_int_equal(in8(&uart, UART_SCR), 0x5a);
	/* No log and no callback: transmitting is harmless. */
	out8(&uart, UART_THR, 'x');
	assert_int_equal(uart.tx_bytes, 1);
}

static void uart_power_on_state(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	assert_int_equal(in8(&uart, UART_IER), 0);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(in8(&uart, UART_LCR), 0);
	assert_int_equal(in8(&uart, UART_MCR), 0);
	assert_int_equal(in8(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(in8(&uart, UART_MSR), UART_MSR_CONNECTED);
	assert_int_equal(uart_divisor(&uart), UART_RESET_DIVISOR);
	assert_int_equal(uart_baud(&uart), 9600);
	assert_false(uart_intr(&uart));
	assert_false(uart_irq_pending(&uart));
}

static void uart_dlab_divisor_latch(void **state)
{
	struct uart16550 uart;
	char buf[8];

	uart_setup(&uart);
	out8(&uart, UART_IER, UART_IER_RDI);
	out8(&uart, UART_LCR, UART_LCR_DLAB | 0x03);
	out8(&uart, UART_DLL, 0x01);
	out8(&uart, UART_DLM, 0x00);
	assert_int_equal(in8(&uart, UART_DLL), 0x01);
	assert_int_equal(in8(&uart, UART_DLM), 0x00);
	assert_int_equal(uart_divisor(&uart), 1);
	assert_int_equal(uart_baud(&uart), 115200);
	/* Writing the latch neither transmits nor touches IER. */
	assert_int_equal(logged(buf, sizeof(buf)), 0);
	assert_int_equal(uart.tx_bytes, 0);
	assert_int_equal(uart.ier, UART_IER_RDI);

	out8(&uart, UART_DLL, 0x80);
	out8(&uart, UART_DLM, 0x01);
	assert_int_equal(uart_divisor(&uart), 0x180);
	assert_int_equal(uart_baud(&uart), 300);

	out8(&uart, UART_LCR, 0x03);
	assert_int_equal(in8(&uart, UART_LCR), 0x03);
	assert_int_equal(in8(&uart, UART_IER), UART_IER_RDI);
	/* The latch keeps its value after DLAB is cleared. */
	assert_int_equal(uart_divisor(&uart), 0x180);
	out8(&uart, UART_LCR, UART_LCR_DLAB);
	assert_int_equal(in8(&uart, UART_DLL), 0x80);
	assert_int_equal(in8(&uart, UART_DLM), 0x01);
}

static void uart_dlab_hides_receiver(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	assert_true(uart_receive(&uart, 'r'));
	out8(&uart, UART_LCR, UART_LCR_DLAB);
	assert_int_equal(in8(&uart, UART_DLL), UART_RESET_DIVISOR);
	/* The received byte is still there. */
	assert_true(in8(&uart, UART_LSR) & UART_LSR_DR);
	out8(&uart, UART_LCR, 0);
	assert_int_equal(in8(&uart, UART_RBR), 'r');
	assert_false(in8(&uart, UART_LSR) & UART_LSR_DR);
}

static void uart_divisor_zero_baud(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_LCR, UART_LCR_DLAB);
	out8(&uart, UART_DLL, 0);
	out8(&uart, UART_DLM, 0);
	assert_int_equal(uart_divisor(&uart), 0);
	assert_int_equal(uart_baud(&uart), 0);
}

static void uart_thr_goes_to_log(void **state)
{
	struct uart16550 uart;
	char buf[8];

	uart_setup(&uart);
	out8(&uart, UART_THR, 'h');
	out8(&uart, UART_THR, 'i');
	out8(&uart, UART_THR, '\n');
	assert_int_equal(logged(buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "hi\n", 3);
	assert_int_equal(uart.tx_bytes, 3);
}

struct output_capture {
	char bytes[32];
	size_t count;
};

static void capture_output(void *ctx, uint8_t byte)
{
	struct output_capture *cap = ctx;

	assert_true(cap->count < sizeof(cap->bytes));
	cap->bytes[cap->count++] = (char)byte;
}

static void uart_thr_goes_to_callback(void **state)
{
	struct uart16550 uart;
	struct output_capture cap = { .count = 0 };
	char buf[8];

	uart_setup(&uart);
	uart_set_output(&uart, capture_output, &cap);
	out8(&uart, UART_THR, 'o');
	out8(&uart, UART_THR, 'k');
	assert_int_equal(cap.count, 2);
	assert_memory_equal(cap.bytes, "ok", 2);
	/* The log still receives them too. */
	assert_int_equal(logged(buf, sizeof(buf)), 2);

	/* Output survives a reset. */
	uart_reset(&uart);
	out8(&uart, UART_THR, '!');
	assert_int_equal(cap.count, 3);
	assert_int_equal(uart.tx_bytes, 3);
}

static void uart_lsr_around_transmit(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	assert_int_equal(in8(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	out8(&uart, UART_THR, 'a');
	/* Sent at once: THR and shifter empty, nothing received. */
	assert_int_equal(in8(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	out8(&uart, UART_FCR, UART_FCR_ENABLE);
	for (int i = 0; i < 40; i++)
		out8(&uart, UART_THR, 'b');
	assert_int_equal(in8(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
}

static void uart_lsr_dr_follows_receiver(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	assert_false(in8(&uart, UART_LSR) & UART_LSR_DR);
	assert_true(uart_receive(&uart, 'z'));
	assert_int_equal(in8(&uart, UART_LSR),
			 UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
	/* Reading LSR does not consume the data. */
	assert_true(in8(&uart, UART_LSR) & UART_LSR_DR);
	assert_int_equal(in8(&uart, UART_RBR), 'z');
	assert_int_equal(in8(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(uart.rx_bytes, 1);
}

static void uart_rbr_empty_repeats_last(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	assert_int_equal(in8(&uart, UART_RBR), 0);
	uart_receive(&uart, 'q');
	assert_int_equal(in8(&uart, UART_RBR), 'q');
	assert_int_equal(in8(&uart, UART_RBR), 'q');
	assert_int_equal(uart.rx_bytes, 1);
}

static void uart_fifo_keeps_order(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_FCR, UART_FCR_ENABLE);
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		assert_true(uart_receive(&uart, (uint8_t)('A' + i)));
	for (int i = 0; i < UART_FIFO_SIZE; i++) {
		assert_true(in8(&uart, UART_LSR) & UART_LSR_DR);
		assert_int_equal(in8(&uart, UART_RBR), 'A' + i);
	}
	assert_false(in8(&uart, UART_LSR) & UART_LSR_DR);
	/* Wrap the FIFO's internal ring. */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 10; i++)
			assert_true(uart_receive(&uart, (uint8_t)(round * 10 + i)));
		for (int i = 0; i < 10; i++)
			assert_int_equal(in8(&uart, UART_RBR), round * 10 + i);
	}
}

static void uart_fifo_overflow_sets_oe(void **state)
{
	struct uart16550 uart;
	uint8_t lsr;

	uart_setup(&uart);
	out8(&uart, UART_FCR, UART_FCR_ENABLE);
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		assert_true(uart_receive(&uart, (uint8_t)i));
	assert_false(in8(&uart, UART_LSR) & UART_LSR_OE);
	assert_false(uart_receive(&uart, 0xee));
	assert_int_equal(uart.rx_overruns, 1);
	lsr = in8(&uart, UART_LSR);
	assert_true(lsr & UART_LSR_OE);
	assert_true(lsr & UART_LSR_DR);
	/* OE clears on the read that reported it. */
	assert_false(in8(&uart, UART_LSR) & UART_LSR_OE);
	/* The FIFO kept the first 16 bytes; the 17th was lost. */
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		assert_int_equal(in8(&uart, UART_RBR), i);
	assert_false(in8(&uart, UART_LSR) & UART_LSR_DR);
}

static void uart_16450_overrun_replaces_byte(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	assert_true(uart_receive(&uart, 'a'));
	assert_false(uart_receive(&uart, 'b'));
	assert_int_equal(in8(&uart, UART_LSR),
			 UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(in8(&uart, UART_RBR), 'b');
	assert_int_equal(in8(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
}

static void uart_rx_room_tracks_mode(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	assert_int_equal(uart_rx_room(&uart), 1);
	uart_receive(&uart, 1);
	assert_int_equal(uart_rx_room(&uart), 0);
	in8(&uart, UART_RBR);
	out8(&uart, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(uart_rx_room(&uart), UART_FIFO_SIZE);
	uart_receive(&uart, 1);
	uart_receive(&uart, 2);
	assert_int_equal(uart_rx_room(&uart), UART_FIFO_SIZE - 2);
	out8(&uart, UART_MCR, UART_MCR_LOOP);
	assert_int_equal(uart_rx_room(&uart), 0);
}

static void uart_loopback_tx_to_rx(void **state)
{
	struct uart16550 uart;
	struct output_capture cap = { .count = 0 };
	char buf[4];

	uart_setup(&uart);
	uart_set_output(&uart, capture_output, &cap);
	out8(&uart, UART_MCR, UART_MCR_LOOP);
	assert_int_equal(in8(&uart, UART_MCR), UART_MCR_LOOP);
	out8(&uart, UART_THR, 0xae);
	/* Nothing leaves the chip. */
	assert_int_equal(logged(buf, sizeof(buf)), 0);
	assert_int_equal(cap.count, 0);
	assert_true(in8(&uart, UART_LSR) & UART_LSR_DR);
	assert_int_equal(in8(&uart, UART_RBR), 0xae);
	assert_false(in8(&uart, UART_LSR) & UART_LSR_DR);

	/* Out of loopback, bytes go to the line again. */
	out8(&uart, UART_MCR, 0);
	out8(&uart, UART_THR, 'x');
	assert_int_equal(logged(buf, sizeof(buf)), 1);
	assert_int_equal(cap.count, 1);
}

static void uart_loopback_disconnects_line(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_MCR, UART_MCR_LOOP);
	assert_false(uart_receive(&uart, 'x'));
	assert_false(in8(&uart, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart.rx_overruns, 0);
}

static void uart_loopback_overrun(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_FCR, UART_FCR_ENABLE);
	out8(&uart, UART_MCR, UART_MCR_LOOP);
	for (int i = 0; i < UART_FIFO_SIZE + 1; i++)
		out8(&uart, UART_THR, (uint8_t)i);
	assert_int_equal(in8(&uart, UART_LSR) & (UART_LSR_OE | UART_LSR_DR),
			 UART_LSR_OE | UART_LSR_DR);
	assert_int_equal(uart.rx_overruns, 1);
	assert_int_equal(uart.tx_bytes, UART_FIFO_SIZE + 1);
}

static void uart_loopback_msr_follows_mcr(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	assert_int_equal(in8(&uart, UART_MSR), UART_MSR_CONNECTED);
	/* Entering loopback with all outputs off drops CTS, DSR, DCD. */
	out8(&uart, UART_MCR, UART_MCR_LOOP);
	assert_int_equal(in8(&uart, UART_MSR), UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	assert_int_equal(in8(&uart, UART_MSR), 0);

	out8(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
	assert_int_equal(in8(&uart, UART_MSR), UART_MSR_CTS | UART_MSR_DCTS);
	out8(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_DTR);
	assert_int_equal(in8(&uart, UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DDSR);
	out8(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_DTR | UART_MCR_OUT2);
	assert_int_equal(in8(&uart, UART_MSR),
			 UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD | UART_MSR_DDCD);
	/* RI rising is not a delta; falling sets TERI. */
	out8(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	assert_int_equal(in8(&uart, UART_MSR),
			 UART_MSR_RI | UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	out8(&uart, UART_MCR, UART_MCR_LOOP);
	assert_int_equal(in8(&uart, UART_MSR), UART_MSR_TERI);
	assert_int_equal(in8(&uart, UART_MSR), 0);
}

static void uart_register_masks(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_IER, 0xff);
	assert_int_equal(in8(&uart, UART_IER), UART_IER_MASK);
	out8(&uart, UART_IER, 0);
	out8(&uart, UART_MCR, 0xef);
	assert_int_equal(in8(&uart, UART_MCR), 0x0f);
	out8(&uart, UART_LCR, 0x5b);
	assert_int_equal(in8(&uart, UART_LCR), 0x5b);
}

static void uart_lsr_msr_writes_ignored(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_LSR, 0xff);
	out8(&uart, UART_MSR, 0x0f);
	assert_int_equal(in8(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(in8(&uart, UART_MSR), UART_MSR_CONNECTED);
}

static void uart_scratch_register(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	assert_int_equal(in8(&uart, UART_SCR), 0);
	for (unsigned v = 0; v < 256; v += 17) {
		out8(&uart, UART_SCR, (uint8_t)v);
		assert_int_equal(in8(&uart, UART_SCR), v);
	}
	/* DLAB does not affect it. */
	out8(&uart, UART_LCR, UART_LCR_DLAB);
	out8(&uart, UART_SCR, 0xa5);
	out8(&uart, UART_LCR, 0);
	assert_int_equal(in8(&uart, UART_SCR), 0xa5);
	uart_reset(&uart);
	assert_int_equal(in8(&uart, UART_SCR), 0);
}

static void uart_iir_none_when_disabled(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	uart_receive(&uart, 'x');
	out8(&uart, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
	assert_false(uart_irq_pending(&uart));
}

static void uart_iir_received_data(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_IER, UART_IER_RDI);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
	uart_receive(&uart, 'x');
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_RDI);
	/* Reading IIR does not acknowledge received data; RBR does. */
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_RDI);
	in8(&uart, UART_RBR);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
}

static void uart_iir_thr_empty(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	/* Enabling THRI with the THR empty raises it. */
	out8(&uart, UART_IER, UART_IER_THRI);
	assert_int_equal(uart_iir(&uart), UART_IIR_THRI);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_THRI);
	/* That read acknowledged it. */
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
	/* Each transmitted byte empties the THR again. */
	out8(&uart, UART_THR, 'a');
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_THRI);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
	/* Rewriting IER with THRI already set does not re-raise it. */
	out8(&uart, UART_IER, UART_IER_THRI);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
	/* Disabling then enabling does. */
	out8(&uart, UART_IER, 0);
	out8(&uart, UART_IER, UART_IER_THRI);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_THRI);
}

static void uart_iir_thr_not_acked_when_hidden(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_IER, UART_IER_THRI | UART_IER_RDI);
	uart_receive(&uart, 'x');
	/* Received data outranks THR empty; reading IIR leaves THRI latched. */
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_RDI);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_RDI);
	in8(&uart, UART_RBR);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_THRI);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
}

static void uart_iir_priority_order(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	/* Make every source pending: modem delta, THR empty, data, overrun. */
	out8(&uart, UART_MCR, UART_MCR_LOOP);
	out8(&uart, UART_MCR, 0);
	out8(&uart, UART_IER, UART_IER_MASK);
	uart_receive(&uart, 'a');
	uart_receive(&uart, 'b');

	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_RLSI);
	/* Reading LSR clears the line status condition. */
	assert_true(in8(&uart, UART_LSR) & UART_LSR_OE);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_RDI);
	assert_int_equal(in8(&uart, UART_RBR), 'b');
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_THRI);
	/* The THRI read acknowledged it; modem status is last. */
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_MSI);
	assert_int_equal(in8(&uart, UART_MSR) & UART_MSR_DELTAS,
			 UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
}

static void uart_iir_line_status_needs_rlsi(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_IER, UART_IER_RLSI);
	uart_receive(&uart, 'a');
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
	uart_receive(&uart, 'b');
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_RLSI);
	in8(&uart, UART_LSR);
	/* Data is still there, but RDI is not enabled. */
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
}

static void uart_iir_fifo_bits_and_timeout(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_FCR, UART_FCR_ENABLE | 0x40); /* trigger at 4 */
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	out8(&uart, UART_IER, UART_IER_RDI);
	uart_receive(&uart, 1);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_FIFO | UART_IIR_TIMEOUT);
	uart_receive(&uart, 2);
	uart_receive(&uart, 3);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_FIFO | UART_IIR_TIMEOUT);
	uart_receive(&uart, 4);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
	in8(&uart, UART_RBR);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_FIFO | UART_IIR_TIMEOUT);

	/* Trigger at 14, starting from an empty FIFO. */
	out8(&uart, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | 0xc0);
	for (int i = 0; i < 13; i++)
		uart_receive(&uart, (uint8_t)i);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_FIFO | UART_IIR_TIMEOUT);
	uart_receive(&uart, 13);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
}

static void uart_fcr_clear_rx(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_FCR, UART_FCR_ENABLE);
	for (int i = 0; i < 5; i++)
		uart_receive(&uart, (uint8_t)i);
	out8(&uart, UART_IER, UART_IER_RDI);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
	out8(&uart, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	assert_false(in8(&uart, UART_LSR) & UART_LSR_DR);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	assert_int_equal(uart_rx_room(&uart), UART_FIFO_SIZE);
	/* FIFO still on and working. */
	uart_receive(&uart, 'n');
	assert_int_equal(in8(&uart, UART_RBR), 'n');
}

static void uart_fcr_mode_change_clears(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	/* Without ENABLE, the other FCR bits are not programmed. */
	uart_receive(&uart, 'h');
	out8(&uart, UART_FCR, UART_FCR_CLEAR_RX | 0xc0);
	assert_true(in8(&uart, UART_LSR) & UART_LSR_DR);
	assert_int_equal(in8(&uart, UART_IIR) & UART_IIR_FIFO, 0);
	/* 16450 -> FIFO mode empties the receiver. */
	out8(&uart, UART_FCR, UART_FCR_ENABLE);
	assert_false(in8(&uart, UART_LSR) & UART_LSR_DR);
	uart_receive(&uart, 'a');
	uart_receive(&uart, 'b');
	/* Rewriting ENABLE alone keeps the FIFO's contents. */
	out8(&uart, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(uart_rx_room(&uart), UART_FIFO_SIZE - 2);
	/* FIFO -> 16450 mode empties it. */
	out8(&uart, UART_FCR, 0);
	assert_false(in8(&uart, UART_LSR) & UART_LSR_DR);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(uart_rx_room(&uart), 1);
}

static void uart_irq_gated_by_out2(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_IER, UART_IER_RDI);
	uart_receive(&uart, 'x');
	assert_true(uart_intr(&uart));
	assert_false(uart_irq_pending(&uart));
	out8(&uart, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	assert_true(uart_irq_pending(&uart));
	/* Loopback forces OUT2 inactive. */
	out8(&uart, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	assert_true(uart_intr(&uart));
	assert_false(uart_irq_pending(&uart));
	out8(&uart, UART_MCR, UART_MCR_OUT2);
	in8(&uart, UART_RBR);
	assert_false(uart_intr(&uart));
	assert_false(uart_irq_pending(&uart));
}

static void uart_wide_accesses_split(void **state)
{
	struct uart16550 uart;
	uint32_t v;

	uart_setup(&uart);
	/* 16-bit write at offset 0 with DLAB: DLL then DLM. */
	out8(&uart, UART_LCR, UART_LCR_DLAB);
	v = 0x0201;
	assert_true(uart_io(&uart, COM1, true, 2, &v));
	assert_int_equal(uart_divisor(&uart), 0x0201);
	v = 0;
	assert_true(uart_io(&uart, COM1, false, 2, &v));
	assert_int_equal(v, 0x0201);
	out8(&uart, UART_LCR, 0);

	/* 16-bit read at the last port: SCR, then 0xff past the end. */
	out8(&uart, UART_SCR, 0x42);
	assert_true(uart_io(&uart, COM1 + UART_SCR, false, 2, &v));
	assert_int_equal(v, 0xff42);
	/* 32-bit read of LCR..MSR. */
	out8(&uart, UART_LCR, 0x03);
	out8(&uart, UART_MCR, UART_MCR_OUT2);
	assert_true(uart_io(&uart, COM1 + UART_LCR, false, 4, &v));
	assert_int_equal(v, (uint32_t)UART_MSR_CONNECTED << 24 |
			    (uint32_t)(UART_LSR_THRE | UART_LSR_TEMT) << 16 |
			    (uint32_t)UART_MCR_OUT2 << 8 | 0x03);
	/* A 32-bit write at the last port: bytes past the UART are dropped. */
	v = 0x41424300u | 'w';
	assert_true(uart_io(&uart, COM1 + UART_SCR, true, 4, &v));
	assert_int_equal(in8(&uart, UART_SCR), 'w');
	assert_int_equal(uart.tx_bytes, 0);
}

static void uart_odd_sizes(void **state)
{
	struct uart16550 uart;
	uint32_t v = 0;

	uart_setup(&uart);
	assert_true(uart_io(&uart, COM1, false, 3, &v));
	assert_int_equal(v, 0xffffffffu);
	v = 'x';
	assert_true(uart_io(&uart, COM1, true, 0, &v));
	assert_true(uart_io(&uart, COM1, true, 8, &v));
	assert_int_equal(uart.tx_bytes, 0);
}

static void uart_reset_restores_power_on(void **state)
{
	struct uart16550 uart;

	uart_setup(&uart);
	out8(&uart, UART_FCR, UART_FCR_ENABLE);
	out8(&uart, UART_IER, UART_IER_MASK);
	out8(&uart, UART_LCR, 0x83);
	out8(&uart, UART_DLL, 1);
	out8(&uart, UART_LCR, 0x03);
	out8(&uart, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	out8(&uart, UART_THR, 'x');
	assert_true(in8(&uart, UART_LSR) & UART_LSR_DR);
	uart_reset(&uart);
	assert_int_equal(in8(&uart, UART_IER), 0);
	assert_int_equal(in8(&uart, UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(in8(&uart, UART_LCR), 0);
	assert_int_equal(in8(&uart, UART_MCR), 0);
	assert_int_equal(in8(&uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(in8(&uart, UART_MSR), UART_MSR_CONNECTED);
	assert_int_equal(uart_divisor(&uart), UART_RESET_DIVISOR);
	assert_int_equal(uart_rx_room(&uart), 1);
	/* Counters are the caller's and survive. */
	assert_int_equal(uart.tx_bytes, 1);
}

/* ---- testdev ---------------------------------------------------------- */

#define MAX_SEEN 8

struct line_capture {
	char text[MAX_SEEN][TESTDEV_LINE_MAX + 1];
	size_t len[MAX_SEEN];
	unsigned flags[MAX_SEEN];
	enum testdev_result result[MAX_SEEN];
	size_t count;
	unsigned stops;
	uint32_t stop_code;
};

static void capture_line(void *ctx, const struct testdev_line *line)
{
	struct line_capture *cap = ctx;

	assert_true(cap->count < MAX_SEEN);
	assert_int_equal(strlen(line->text), line->len);
	memcpy(cap->text[cap->count], line->text, line->len + 1);
	cap->len[cap->count] = line->len;
	cap->flags[cap->count] = line->flags;
	cap->result[cap->count] = line->result;
	cap->count++;
}

static void capture_stop(void *ctx, uint32_t code)
{
	struct line_capture *cap = ctx;

	cap->stops++;
	cap->stop_code = code;
}

static const struct testdev_ops capture_ops = {
	.line = capture_line,
	.stop = capture_stop,
};

static void td_puts(struct testdev *dev, const char *s)
{
	for (; *s; s++) {
		uint32_t v = (uint8_t)*s;

		assert_true(testdev_io(dev, TESTDEV_PORT_CONSOLE, true, 1, &v));
	}
}

static uint32_t td_read(struct testdev *dev, uint16_t port, unsigned size)
{
	uint32_t v = 0x12345678;

	assert_true(testdev_io(dev, port, false, size, &v));
	return v;
}

static void td_write(struct testdev *dev, uint16_t port, unsigned size, uint32_t value)
{
	assert_true(testdev_io(dev, port, true, size, &value));
}

static void testdev_claims_only_its_ports(void **state)
{
	struct testdev dev;
	uint32_t v = 7;

	testdev_init(&dev, NULL, NULL);
	assert_false(testdev_io(&dev, 0x5df, false, 1, &v));
	assert_false(testdev_io(&dev, 0x5e8, true, 1, &v));
	assert_false(testdev_io(&dev, UART_COM1_BASE, false, 1, &v));
	assert_int_equal(v, 7);
	for (uint16_t p = TESTDEV_PORT_BASE; p < TESTDEV_PORT_BASE + TESTDEV_PORT_COUNT; p++)
		assert_true(testdev_io(&dev, p, false, 1, &v));
}

static void testdev_magic_probe(void **state)
{
	struct testdev dev;

	testdev_init(&dev, NULL, NULL);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_CONTROL, 4), 0x4b45454c);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_CONTROL, 2), 0x454c);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_CONTROL, 1), 0x4c);
	/* Reading the magic has no side effect. */
	assert_false(testdev_stop_requested(&dev, NULL));
}

static void testdev_version_register(void **state)
{
	struct testdev dev;

	testdev_init(&dev, NULL, NULL);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_VERSION, 2), TESTDEV_VERSION);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_VERSION, 4), TESTDEV_VERSION);
	td_write(&dev, TESTDEV_PORT_VERSION, 2, 99);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_VERSION, 2), TESTDEV_VERSION);
	assert_int_equal(testdev_stats(&dev)->ignored, 1);
}

static void testdev_other_reads_all_ones(void **state)
{
	struct testdev dev;
	const uint16_t ports[] = { 0x5e0, 0x5e1, 0x5e3, 0x5e5, 0x5e7 };

	testdev_init(&dev, NULL, NULL);
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		assert_int_equal(td_read(&dev, ports[i], 1), 0xff);
		assert_int_equal(td_read(&dev, ports[i], 2), 0xffff);
		assert_int_equal(td_read(&dev, ports[i], 4), 0xffffffffu);
	}
	assert_int_equal(td_read(&dev, TESTDEV_PORT_CONTROL, 3), 0xffffffffu);
	td_write(&dev, 0x5e6, 4, 1);
	td_write(&dev, 0x5e1, 1, 'x');
	assert_int_equal(testdev_stats(&dev)->ignored, 2);
	assert_int_equal(testdev_stats(&dev)->lines, 0);
	assert_null(testdev_last_line(&dev));
}

static void testdev_host_stop_flag(void **state)
{
	struct testdev dev;

	testdev_init(&dev, NULL, NULL);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_HOST_STOP, 2), 0);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_HOST_STOP, 1), 0);
	testdev_ask_stop(&dev);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_HOST_STOP, 2), 1);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_HOST_STOP, 4), 1);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_HOST_STOP, 3), 0xffffffffu);
	assert_false(testdev_stop_requested(&dev, NULL));
	testdev_init(&dev, NULL, NULL);
	assert_int_equal(td_read(&dev, TESTDEV_PORT_HOST_STOP, 2), 0);
}

static void testdev_line_assembly(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };

	testdev_init(&dev, &capture_ops, &cap);
	td_puts(&dev, "hello");
	assert_int_equal(cap.count, 0);
	td_puts(&dev, " world\nsecond\n");
	assert_int_equal(cap.count, 2);
	assert_string_equal(cap.text[0], "hello world");
	assert_int_equal(cap.flags[0], 0);
	assert_int_equal(cap.result[0], TESTDEV_RESULT_NONE);
	assert_string_equal(cap.text[1], "second");
	assert_int_equal(testdev_stats(&dev)->lines, 2);
	assert_string_equal(testdev_last_line(&dev)->text, "second");
}

static void testdev_classifies_results(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };

	testdev_init(&dev, &capture_ops, &cap);
	td_puts(&dev, "PASS cpuid\nFAIL: msr 0x10\nPASS\nnote\n");
	assert_int_equal(cap.count, 4);
	assert_int_equal(cap.result[0], TESTDEV_RESULT_PASS);
	assert_int_equal(cap.result[1], TESTDEV_RESULT_FAIL);
	assert_int_equal(cap.result[2], TESTDEV_RESULT_PASS);
	assert_int_equal(cap.result[3], TESTDEV_RESULT_NONE);
	assert_int_equal(testdev_stats(&dev)->passes, 2);
	assert_int_equal(testdev_stats(&dev)->fails, 1);
	assert_int_equal(testdev_stats(&dev)->lines, 4);
}

static void testdev_classify_word_boundary(void **state)
{
	assert_int_equal(testdev_classify("PASS", 4), TESTDEV_RESULT_PASS);
	assert_int_equal(testdev_classify("PASS: x", 7), TESTDEV_RESULT_PASS);
	assert_int_equal(testdev_classify("PASS\tx", 6), TESTDEV_RESULT_PASS);
	assert_int_equal(testdev_classify("FAIL(3)", 7), TESTDEV_RESULT_FAIL);
	assert_int_equal(testdev_classify("FAIL-", 5), TESTDEV_RESULT_FAIL);
	assert_int_equal(testdev_classify("PASSWORD", 8), TESTDEV_RESULT_NONE);
	assert_int_equal(testdev_classify("FAILED", 6), TESTDEV_RESULT_NONE);
	assert_int_equal(testdev_classify("PASS_1", 6), TESTDEV_RESULT_NONE);
	assert_int_equal(testdev_classify("PASS2", 5), TESTDEV_RESULT_NONE);
	assert_int_equal(testdev_classify(" PASS", 5), TESTDEV_RESULT_NONE);
	assert_int_equal(testdev_classify("pass", 4), TESTDEV_RESULT_NONE);
	assert_int_equal(testdev_classify("PAS", 3), TESTDEV_RESULT_NONE);
	assert_int_equal(testdev_classify("", 0), TESTDEV_RESULT_NONE);
	/* Only len bytes count. */
	assert_int_equal(testdev_classify("PASSWORD", 4), TESTDEV_RESULT_PASS);
}

static void testdev_crlf_and_empty_lines(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };

	testdev_init(&dev, &capture_ops, &cap);
	td_puts(&dev, "PASS a\r\n\n\r\nx\ry\n");
	assert_int_equal(cap.count, 4);
	assert_string_equal(cap.text[0], "PASS a");
	assert_int_equal(cap.result[0], TESTDEV_RESULT_PASS);
	assert_int_equal(cap.len[1], 0);
	assert_int_equal(cap.len[2], 0);
	assert_string_equal(cap.text[3], "xy");
	assert_int_equal(testdev_stats(&dev)->lines, 4);
}

static void testdev_sanitizes_bytes(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };
	const uint8_t bytes[] = { 'a', 0x1b, '[', '2', 'J', 0, '\t', 0x7f, 0x80, 0xff, '~', '\n' };

	testdev_init(&dev, &capture_ops, &cap);
	for (size_t i = 0; i < sizeof(bytes); i++)
		td_write(&dev, TESTDEV_PORT_CONSOLE, 1, bytes[i]);
	assert_int_equal(cap.count, 1);
	assert_int_equal(cap.len[0], 11);
	assert_memory_equal(cap.text[0], "a?[2J?\t???~", 11);
}

static void testdev_wide_console_writes_low_byte(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };

	testdev_init(&dev, &capture_ops, &cap);
	td_write(&dev, TESTDEV_PORT_CONSOLE, 2, 0x4100 | 'o');
	td_write(&dev, TESTDEV_PORT_CONSOLE, 4, 0x41424300u | 'k');
	td_write(&dev, TESTDEV_PORT_CONSOLE, 4, 0xffffff00u | '\n');
	assert_int_equal(cap.count, 1);
	assert_string_equal(cap.text[0], "ok");
	/* An impossible size writes nothing. */
	td_write(&dev, TESTDEV_PORT_CONSOLE, 3, 'z');
	testdev_flush(&dev);
	assert_int_equal(cap.count, 1);
	assert_int_equal(testdev_stats(&dev)->ignored, 1);
}

static void testdev_exact_max_not_split(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };
	char line[TESTDEV_LINE_MAX + 2];

	memset(line, 'm', TESTDEV_LINE_MAX);
	line[TESTDEV_LINE_MAX] = '\n';
	line[TESTDEV_LINE_MAX + 1] = '\0';
	testdev_init(&dev, &capture_ops, &cap);
	td_puts(&dev, line);
	assert_int_equal(cap.count, 1);
	assert_int_equal(cap.len[0], TESTDEV_LINE_MAX);
	assert_int_equal(cap.flags[0], 0);
	assert_int_equal(testdev_stats(&dev)->long_lines, 0);
}

static void testdev_long_line_split(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };
	char line[452];

	/* 450 bytes: "PASS " then filler, with "FAIL" where piece 2 starts. */
	memset(line, 'x', 450);
	memcpy(line, "PASS ", 5);
	memcpy(line + TESTDEV_LINE_MAX, "FAIL ", 5);
	line[450] = '\n';
	line[451] = '\0';
	testdev_init(&dev, &capture_ops, &cap);
	td_puts(&dev, line);
	td_puts(&dev, "after\n");

	assert_int_equal(cap.count, 4);
	assert_int_equal(cap.len[0], TESTDEV_LINE_MAX);
	assert_int_equal(cap.flags[0], TESTDEV_LINE_SPLIT);
	assert_int_equal(cap.result[0], TESTDEV_RESULT_PASS);
	assert_int_equal(cap.len[1], TESTDEV_LINE_MAX);
	assert_int_equal(cap.flags[1], TESTDEV_LINE_SPLIT | TESTDEV_LINE_CONTINUED);
	assert_int_equal(cap.result[1], TESTDEV_RESULT_NONE);
	assert_memory_equal(cap.text[1], "FAIL ", 5);
	assert_int_equal(cap.len[2], 50);
	assert_int_equal(cap.flags[2], TESTDEV_LINE_CONTINUED);
	assert_int_equal(cap.flags[3], 0);
	assert_string_equal(cap.text[3], "after");

	assert_int_equal(testdev_stats(&dev)->lines, 2);
	assert_int_equal(testdev_stats(&dev)->long_lines, 1);
	assert_int_equal(testdev_stats(&dev)->passes, 1);
	assert_int_equal(testdev_stats(&dev)->fails, 0);
}

static void testdev_split_then_newline_at_boundary(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };
	char line[2 * TESTDEV_LINE_MAX + 2];

	/* Exactly two full pieces: the second ends with the '\n'. */
	memset(line, 'y', 2 * TESTDEV_LINE_MAX);
	line[2 * TESTDEV_LINE_MAX] = '\n';
	line[2 * TESTDEV_LINE_MAX + 1] = '\0';
	testdev_init(&dev, &capture_ops, &cap);
	td_puts(&dev, line);
	assert_int_equal(cap.count, 2);
	assert_int_equal(cap.flags[0], TESTDEV_LINE_SPLIT);
	assert_int_equal(cap.flags[1], TESTDEV_LINE_CONTINUED);
	assert_int_equal(cap.len[1], TESTDEV_LINE_MAX);
}

static void testdev_stop_request(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };
	uint32_t code = 0;

	testdev_init(&dev, &capture_ops, &cap);
	assert_false(testdev_stop_requested(&dev, &code));
	td_write(&dev, TESTDEV_PORT_CONTROL, 4, 3);
	assert_true(testdev_stop_requested(&dev, &code));
	assert_int_equal(code, 3);
	assert_int_equal(cap.stops, 1);
	assert_int_equal(cap.stop_code, 3);
	/* The first request wins. */
	td_write(&dev, TESTDEV_PORT_CONTROL, 4, 9);
	assert_true(testdev_stop_requested(&dev, &code));
	assert_int_equal(code, 3);
	assert_int_equal(cap.stops, 1);
	assert_int_equal(testdev_stats(&dev)->ignored, 1);
	/* The magic still reads back. */
	assert_int_equal(td_read(&dev, TESTDEV_PORT_CONTROL, 4), TESTDEV_MAGIC);
}

static void testdev_stop_code_full_width(void **state)
{
	struct testdev dev;
	uint32_t code = 0;

	testdev_init(&dev, NULL, NULL);
	td_write(&dev, TESTDEV_PORT_CONTROL, 4, 0xfffffffeu);
	assert_true(testdev_stop_requested(&dev, &code));
	assert_int_equal(code, 0xfffffffeu);
	assert_true(testdev_stop_requested(&dev, NULL));
}

static void testdev_stop_wrong_size_ignored(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };

	testdev_init(&dev, &capture_ops, &cap);
	td_write(&dev, TESTDEV_PORT_CONTROL, 1, 1);
	td_write(&dev, TESTDEV_PORT_CONTROL, 2, 1);
	td_write(&dev, 0x5e5, 1, 1);
	assert_false(testdev_stop_requested(&dev, NULL));
	assert_int_equal(cap.stops, 0);
	assert_int_equal(testdev_stats(&dev)->ignored, 3);
}

static void testdev_stop_flushes_partial_line(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };

	testdev_init(&dev, &capture_ops, &cap);
	td_puts(&dev, "PASS last words");
	td_write(&dev, TESTDEV_PORT_CONTROL, 4, 0);
	assert_int_equal(cap.count, 1);
	assert_string_equal(cap.text[0], "PASS last words");
	assert_int_equal(cap.flags[0], TESTDEV_LINE_UNTERMINATED);
	assert_int_equal(cap.result[0], TESTDEV_RESULT_PASS);
	assert_int_equal(testdev_stats(&dev)->passes, 1);
	assert_int_equal(cap.stops, 1);
}

static void testdev_flush_partial(void **state)
{
	struct testdev dev;
	struct line_capture cap = { .count = 0 };

	testdev_init(&dev, &capture_ops, &cap);
	testdev_flush(&dev);
	assert_int_equal(cap.count, 0);
	td_puts(&dev, "done\n");
	testdev_flush(&dev);
	assert_int_equal(cap.count, 1);
	td_puts(&dev, "FAIL half");
	testdev_flush(&dev);
	assert_int_equal(cap.count, 2);
	assert_int_equal(cap.flags[1], TESTDEV_LINE_UNTERMINATED);
	assert_int_equal(testdev_stats(&dev)->fails, 1);
	testdev_flush(&dev);
	assert_int_equal(cap.count, 2);
}

static void testdev_without_callbacks(void **state)
{
	struct testdev dev;
	const struct testdev_line *last;

	testdev_init(&dev, NULL, NULL);
	td_puts(&dev, "PASS one\nFAIL two\n");
	last = testdev_last_line(&dev);
	assert_non_null(last);
	assert_string_equal(last->text, "FAIL two");
	assert_int_equal(last->len, 8);
	assert_int_equal(last->result, TESTDEV_RESULT_FAIL);
	assert_int_equal(testdev_stats(&dev)->passes, 1);
	assert_int_equal(testdev_stats(&dev)->fails, 1);
	td_write(&dev, TESTDEV_PORT_CONTROL, 4, 1);
	assert_true(testdev_stop_requested(&dev, NULL));
}

/* Both devices side by side, as a child's I/O dispatcher would use them. */
static void devices_dispatch_together(void **state)
{
	struct uart16550 uart;
	struct testdev dev;
	uint32_t v;
	char buf[4];

	uart_setup(&uart);
	testdev_init(&dev, NULL, NULL);
	v = 'u';
	assert_false(testdev_io(&dev, COM1, true, 1, &v));
	assert_true(uart_io(&uart, COM1, true, 1, &v));
	v = 't';
	assert_false(uart_io(&uart, TESTDEV_PORT_CONSOLE, true, 1, &v));
	assert_true(testdev_io(&dev, TESTDEV_PORT_CONSOLE, true, 1, &v));
	assert_int_equal(logged(buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'u');
	testdev_flush(&dev);
	assert_string_equal(testdev_last_line(&dev)->text, "t");
}

/* ---- platform ports (platform.h) ---- */

static enum platform_event plat(uint16_t port, bool write, unsigned size, uint32_t value, uint32_t *code)
{
	enum platform_event e;

	assert_true(platform_io(port, write, size, &value, &e, code));
	return e;
}

static void platform_ports(void **state)
{
	uint32_t code = 0, v = 0x1234;
	enum platform_event e;

	(void)state;
	assert_int_equal(plat(PLATFORM_PORT_EXIT, true, 1, 0x142, &code), PLATFORM_EXIT);
	assert_int_equal(code, 0x42);                   /* a byte write keeps the byte */
	assert_int_equal(plat(PLATFORM_PORT_EXIT, true, 4, 0xdeadbeef, &code), PLATFORM_EXIT);
	assert_int_equal(code, 0xdeadbeef);
	assert_int_equal(plat(PLATFORM_PORT_EXIT, false, 1, 0, &code), PLATFORM_NONE);
	/* S5 is SLP_TYP 5 with SLP_EN; S5 without SLP_EN and S3 do nothing */
	assert_int_equal(plat(PLATFORM_PORT_SLEEP, true, 1, 5 << 2 | 0x20, &code), PLATFORM_POWER_OFF);
	assert_int_equal(plat(PLATFORM_PORT_SLEEP, true, 1, 5 << 2, &code), PLATFORM_NONE);
	assert_int_equal(plat(PLATFORM_PORT_SLEEP, true, 1, 3 << 2 | 0x20, &code), PLATFORM_NONE);
	assert_int_equal(plat(PLATFORM_PORT_SLEEP, true, 1, ACPI_SLEEP_STATUS_WAK_STS, &code), PLATFORM_NONE);
	assert_int_equal(plat(PLATFORM_PORT_RESET, true, 1, PLATFORM_RESET_VALUE, &code), PLATFORM_RESET);
	assert_int_equal(plat(PLATFORM_PORT_RESET, true, 1, 0x02, &code), PLATFORM_NONE);
	assert_true(platform_io(PLATFORM_PORT_RESET, false, 1, &v, &e, &code));
	assert_int_equal(v, 0);
	assert_false(platform_io(0x3f8, true, 1, &v, &e, &code));
	assert_false(platform_io(0x5e0, false, 1, &v, &e, &code));
}

/* The reset vector's code, as binutils' disassembler reads it in 16-bit
 * mode: the reset value to the reset register, then a HLT loop; HLTs to
 * the end of the first MiB. */
static void platform_reset_code_disassembles(void **state)
{
	static const char *const want[] = {
		"mov    dx,0xcf9", "mov    al,0x6", "out    dx,al", "6:\tf4", "jmp    0x6",
	};
	uint8_t code[PLATFORM_RESET_CODE_SIZE];
	char path[] = "/tmp/keel-reset-XXXXXX", cmd[128], listing[4096];
	size_t got;
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(PLATFORM_RESET_CODE_GPA + PLATFORM_RESET_CODE_SIZE, 0x100000);
	assert_int_equal(PLATFORM_RESET_CODE_GPA & ~0xfffull, PLATFORM_RESET_CODE_PAGE);
	platform_reset_code(code);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, code, sizeof(code)), (ssize_t)sizeof(code));
	close(fd);
	snprintf(cmd, sizeof(cmd), "objdump -D -b binary -m i8086 -M intel %s", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	got = fread(listing, 1, sizeof(listing) - 1, f);
	listing[got] = 0;
	assert_int_equal(pclose(f), 0);
	unlink(path);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *at = strstr(listing, want[i]);

		if (!at)
			fail_msg("no '%s' in:\n%s", want[i], listing);
	}
	for (unsigned i = 9; i < sizeof(code); i++)
		assert_int_equal(code[i], 0xf4);
}

/* ---- CMOS clock (rtc.h) ---- */

static void rtc_calendar(void **state)
{
	static const struct { int64_t t; struct rtc_date d; } known[] = {
		{ 0, { 1970, 1, 1, 0, 0, 0, 4 } },
		{ 951827696, { 2000, 2, 29, 12, 34, 56, 2 } },
		{ 1796441400, { 2026, 12, 5, 3, 30, 0, 6 } },
		{ 4107628799, { 2100, 3, 1, 23, 59, 59, 1 } },
	};
	struct rtc_date d;

	(void)state;
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		rtc_date_of(known[i].t, &d);
		assert_int_equal(d.year, known[i].d.year);
		assert_int_equal(d.month, known[i].d.month);
		assert_int_equal(d.day, known[i].d.day);
		assert_int_equal(d.hour, known[i].d.hour);
		assert_int_equal(d.minute, known[i].d.minute);
		assert_int_equal(d.second, known[i].d.second);
		assert_int_equal(d.weekday, known[i].d.weekday);
		assert_int_equal(rtc_unix_of(&known[i].d), known[i].t);
	}
	/* every day for 300 years round-trips, and days follow each other */
	for (int64_t t = 0, prev = -1; t < 300ll * 366 * 86400; t += 86400 + 7) {
		rtc_date_of(t, &d);
		assert_int_equal(rtc_unix_of(&d), t);
		assert_true(d.weekday != (unsigned)prev);
		prev = d.weekday;
	}
}

static uint8_t rtc_rd(struct rtc *r, uint8_t reg, int64_t now)
{
	uint32_t v = reg;

	assert_true(rtc_io(r, RTC_PORT_INDEX, true, &v, now));
	assert_true(rtc_io(r, RTC_PORT_DATA, false, &v, now));
	return (uint8_t)v;
}

static void rtc_registers(void **state)
{
	struct rtc r;
	uint32_t v;
	const int64_t now = 1796441400 + 17 * 3600 - 3 * 3600; /* 2026-12-05 17:30:00 */

	(void)state;
	rtc_init(&r);
	assert_int_equal(rtc_rd(&r, 0x0a, now) & 0x80, 0);  /* never updating */
	assert_int_equal(rtc_rd(&r, 0x0d, now), 0x80);
	assert_int_equal(rtc_rd(&r, 0x00, now), 0x00);
	assert_int_equal(rtc_rd(&r, 0x02, now), 0x30);      /* BCD */
	assert_int_equal(rtc_rd(&r, 0x04, now), 0x17);
	assert_int_equal(rtc_rd(&r, 0x07, now), 0x05);
	assert_int_equal(rtc_rd(&r, 0x08, now), 0x12);
	assert_int_equal(rtc_rd(&r, 0x09, now), 0x26);
	assert_int_equal(rtc_rd(&r, 0x32, now), 0x20);
	assert_int_equal(rtc_rd(&r, 0x06, now), 7);          /* Saturday */
	/* binary, 12-hour */
	v = 0x0b;
	rtc_io(&r, RTC_PORT_INDEX, true, &v, now);
	v = RTC_REG_B_DM | 0x70;                              /* interrupt enables: dropped */
	rtc_io(&r, RTC_PORT_DATA, true, &v, now);
	assert_int_equal(rtc_rd(&r, 0x0b, now), RTC_REG_B_DM);
	assert_int_equal(rtc_rd(&r, 0x04, now), 0x80 | 5);   /* 5 PM */
	assert_int_equal(rtc_rd(&r, 0x08, now), 12);
	/* NVRAM keeps bytes; NMI-disable bit of the index ignored */
	v = 0x80 | 0x40;
	rtc_io(&r, RTC_PORT_INDEX, true, &v, now);
	v = 0xab;
	rtc_io(&r, RTC_PORT_DATA, true, &v, now);
	assert_int_equal(rtc_rd(&r, 0x40, now), 0xab);
	/* the clock is not settable */
	v = 0;
	rtc_io(&r, RTC_PORT_INDEX, true, &v, now);
	v = 0x59;
	rtc_io(&r, RTC_PORT_DATA, true, &v, now);
	assert_int_equal(rtc_rd(&r, 0x00, now + 1), 1);
	assert_false(rtc_io(&r, 0x72, false, &v, now));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ringlog_starts_empty),
		cmocka_unit_test(ringlog_append_then_read),
		cmocka_unit_test(ringlog_wrap_keeps_newest),
		cmocka_unit_test(ringlog_append_longer_than_capacity),
		cmocka_unit_test(ringlog_cursor_follows_new_output),
		cmocka_unit_test(ringlog_cursor_loss_reported),
		cmocka_unit_test(ringlog_partial_reads_across_wrap),
		cmocka_unit_test(ringlog_cursor_beyond_end_clamped),
		cmocka_unit_test(ringlog_putc_wraps),
		cmocka_unit_test(ringlog_clear_discards),
		cmocka_unit_test(ringlog_zero_capacity_counts),
		cmocka_unit_test(ringlog_copy_tail_short_buffer),

		cmocka_unit_test(uart_claims_only_its_ports),
		cmocka_unit_test(uart_other_base),
		cmocka_unit_test(uart_power_on_state),
		cmocka_unit_test(uart_dlab_divisor_latch),
		cmocka_unit_test(uart_dlab_hides_receiver),
		cmocka_unit_test(uart_divisor_zero_baud),
		cmocka_unit_test(uart_thr_goes_to_log),
		cmocka_unit_test(uart_thr_goes_to_callback),
		cmocka_unit_test(uart_lsr_around_transmit),
		cmocka_unit_test(uart_lsr_dr_follows_receiver),
		cmocka_unit_test(uart_rbr_empty_repeats_last),
		cmocka_unit_test(uart_fifo_keeps_order),
		cmocka_unit_test(uart_fifo_overflow_sets_oe),
		cmocka_unit_test(uart_16450_overrun_replaces_byte),
		cmocka_unit_test(uart_rx_room_tracks_mode),
		cmocka_unit_test(uart_loopback_tx_to_rx),
		cmocka_unit_test(uart_loopback_disconnects_line),
		cmocka_unit_test(uart_loopback_overrun),
		cmocka_unit_test(uart_loopback_msr_follows_mcr),
		cmocka_unit_test(uart_register_masks),
		cmocka_unit_test(uart_lsr_msr_writes_ignored),
		cmocka_unit_test(uart_scratch_register),
		cmocka_unit_test(uart_iir_none_when_disabled),
		cmocka_unit_test(uart_iir_received_data),
		cmocka_unit_test(uart_iir_thr_empty),
		cmocka_unit_test(uart_iir_thr_not_acked_when_hidden),
		cmocka_unit_test(uart_iir_priority_order),
		cmocka_unit_test(uart_iir_line_status_needs_rlsi),
		cmocka_unit_test(uart_iir_fifo_bits_and_timeout),
		cmocka_unit_test(uart_fcr_clear_rx),
		cmocka_unit_test(uart_fcr_mode_change_clears),
		cmocka_unit_test(uart_irq_gated_by_out2),
		cmocka_unit_test(uart_wide_accesses_split),
		cmocka_unit_test(uart_odd_sizes),
		cmocka_unit_test(uart_reset_restores_power_on),

		cmocka_unit_test(testdev_claims_only_its_ports),
		cmocka_unit_test(testdev_magic_probe),
		cmocka_unit_test(testdev_version_register),
		cmocka_unit_test(testdev_other_reads_all_ones),
		cmocka_unit_test(testdev_host_stop_flag),
		cmocka_unit_test(testdev_line_assembly),
		cmocka_unit_test(testdev_classifies_results),
		cmocka_unit_test(testdev_classify_word_boundary),
		cmocka_unit_test(testdev_crlf_and_empty_lines),
		cmocka_unit_test(testdev_sanitizes_bytes),
		cmocka_unit_test(testdev_wide_console_writes_low_byte),
		cmocka_unit_test(testdev_exact_max_not_split),
		cmocka_unit_test(testdev_long_line_split),
		cmocka_unit_test(testdev_split_then_newline_at_boundary),
		cmocka_unit_test(testdev_stop_request),
		cmocka_unit_test(testdev_stop_code_full_width),
		cmocka_unit_test(testdev_stop_wrong_size_ignored),
		cmocka_unit_test(testdev_stop_flushes_partial_line),
		cmocka_unit_test(testdev_flush_partial),
		cmocka_unit_test(testdev_without_callbacks),

		cmocka_unit_test(devices_dispatch_together),
		cmocka_unit_test(platform_ports),
		cmocka_unit_test(platform_reset_code_disassembles),
		cmocka_unit_test(rtc_calendar),
		cmocka_unit_test(rtc_registers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
