/* Polled 16550 output on COM1 for the hypervisor's log. */
#ifndef KEEL_ARCH_X86_SERIAL_H
#define KEEL_ARCH_X86_SERIAL_H

void serial_init(void);
/* Write a string followed by CR LF. */
void serial_write_line(const char *s);

#endif
