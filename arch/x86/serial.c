/* 16550 UART at COM1 (0x3f8), 115200 8N1, transmit only. */
#include "arch/x86/serial.h"

#include "arch/x86/cpu.h"

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_THR_EMPTY 0x20

void serial_init(void)
{
	/* Let what the firmware wrote leave before the FIFOs are reset. */
	for (int i = 0; i < 100000 && !(inb(COM1 + REG_LSR) & 0x40); i++)
		cpu_relax();
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x80); /* DLAB: divisor 1 = 115200 baud */
	outb(COM1 + REG_DATA, 1);
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x03); /* 8N1 */
	outb(COM1 + REG_FCR, 0xc7); /* FIFOs on, cleared */
	outb(COM1 + REG_MCR, 0x03);
}

static void put(char c)
{
	for (int spin = 0; spin < 100000 && !(inb(COM1 + REG_LSR) & LSR_THR_EMPTY); spin++)
		cpu_relax();
	outb(COM1 + REG_DATA, (uint8_t)c);
}

void serial_write_line(const char *s)
{
	while (*s)
		put(*s++);
	put('\r');
	put('\n');
}
