/* 16550 UART at COM1 (0x3f8), 115200 8N1, polled in both directions. */
#include "parent/serial.h"

#include "parent/x86.h"

#define COM1 0x3f8
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20

void serial_init(void)
{
	/* Let what the hypervisor wrote leave before the FIFOs are reset. */
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x40); i++)
		pause();
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0xc7);
	outb(COM1 + 4, 0x03);
}

void serial_putc(char c)
{
	while (!(inb(COM1 + 5) & LSR_THR_EMPTY))
		pause();
	outb(COM1, (unsigned char)c);
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

char serial_getc(void)
{
	while (!(inb(COM1 + 5) & LSR_DATA_READY))
		pause();
	return (char)inb(COM1);
}

int serial_trygetc(void)
{
	if (!(inb(COM1 + 5) & LSR_DATA_READY))
		return -1;
	return inb(COM1);
}
