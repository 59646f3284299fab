/* The parent's COM1 driver: a polled 16550. */
#ifndef KEEL_PARENT_SERIAL_H
#define KEEL_PARENT_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
/* Next received byte, waiting for it. */
char serial_getc(void);
/* Next received byte, or -1 when none has arrived; never waits. */
int serial_trygetc(void);

#endif
