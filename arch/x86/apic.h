/* The local xAPIC (SDM vol. 3 ch. 10); x2APIC is not used (QEMU TCG refuses it). */
#ifndef KEEL_ARCH_X86_APIC_H
#define KEEL_ARCH_X86_APIC_H

#include <stdint.h>

void apic_init(void);
uint32_t apic_id(void);
/* INIT then STARTUP IPIs to `apic_id`, starting it at vector * 4 KiB. */
void apic_send_init(uint32_t apic_id);
void apic_send_startup(uint32_t apic_id, uint8_t vector);

#endif
