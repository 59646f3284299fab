/*
 * The ports of a child's platform that end or restart it, as its ACPI
 * tables (parent/acpi_tables.h) and QEMU's isa-debug-exit describe them:
 *
 *   PLATFORM_PORT_EXIT    0xf4   write, any size: the guest exits with the
 *                                value as its code (QEMU's isa-debug-exit at
 *                                its default port; QEMU itself would exit
 *                                with value * 2 + 1)
 *   PLATFORM_PORT_SLEEP   0x600  the FADT's sleep control and status
 *                                register (one byte): SLP_TYP 5 with SLP_EN
 *                                powers off (S5); other sleep types are
 *                                ignored; reads 0 (WAK_STS clear)
 *   PLATFORM_PORT_RESET   0xcf9  the FADT's reset register: writing
 *                                PLATFORM_RESET_VALUE resets; other values
 *                                are ignored (as the PCI reset control
 *                                register ignores them); reads 0
 *
 * and the code at the reset vector's real-mode address, F000:FFF0 (GPA
 * PLATFORM_RESET_CODE_GPA, in a page the memory map reserves), where a
 * PC's firmware starts over: a child's writes PLATFORM_RESET_VALUE to the
 * reset register, then halts.  Linux jumps there when it restarts "through
 * the BIOS", which is its way on a hardware-reduced ACPI machine booted
 * without EFI (it tries EFI, which is not there, then the BIOS).
 *
 * Pure C and stateless; shared with the host unit tests.
 */
#ifndef KEEL_PARENT_VSTACK_PLATFORM_H
#define KEEL_PARENT_VSTACK_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#define PLATFORM_PORT_EXIT   0xf4
#define PLATFORM_PORT_SLEEP  0x600
#define PLATFORM_PORT_RESET  0xcf9
#define PLATFORM_RESET_VALUE 0x06 /* system reset, CPU reset (the PCI reset control register) */

#define PLATFORM_RESET_CODE_GPA  0xffff0ull /* F000:FFF0 */
#define PLATFORM_RESET_CODE_PAGE 0xff000ull /* its page, reserved in the memory map */
#define PLATFORM_RESET_CODE_SIZE 16u        /* up to the end of the first MiB */

enum platform_event {
	PLATFORM_NONE,      /* nothing happened (or not one of the ports) */
	PLATFORM_POWER_OFF, /* S5 through the sleep control register */
	PLATFORM_RESET,     /* the reset register */
	PLATFORM_EXIT,      /* the exit port; the code in *code */
};

/* An access of `size` bytes to `port`.  Returns whether the port is one
 * of the platform's (a read's *value is then set), and in *event what the
 * guest asked for. */
bool platform_io(uint16_t port, bool write, unsigned size, uint32_t *value, enum platform_event *event,
		 uint32_t *code);

/* The 16-bit code for PLATFORM_RESET_CODE_GPA (padded with HLTs). */
void platform_reset_code(uint8_t code[PLATFORM_RESET_CODE_SIZE]);

#endif
