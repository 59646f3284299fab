/* MMIO tests of guest64/guest32 (mmio.c). */
#ifndef KEEL_GUESTS_MMIO_H
#define KEEL_GUESTS_MMIO_H

/* Every access to the scratch page (docs/guests.md) with the instruction
 * forms a compiler emits for device registers and for memcpy/memset. */
void test_mmio(void);
/* An address with nothing behind it reads all-ones and drops writes. */
void test_unbacked(void);

#endif
