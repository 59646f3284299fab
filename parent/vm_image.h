/*
 * A child's memory and registers at its first instruction, as
 * docs/guests.md describes them: the image's PT_LOAD segments copied to
 * their p_paddr, and in the last 64 KiB of RAM below the hole the boot area
 * (identity page tables over [0, 4 GiB), a GDT, a TSS); the registers that
 * go with them.
 *
 * Pure C writing through a callback that reaches guest-physical memory (in
 * the parent the child's RAM is a few ranges of its own pages); shared with
 * the host unit tests.
 */
#ifndef KEEL_PARENT_VM_IMAGE_H
#define KEEL_PARENT_VM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs_partition.h"
#include "parent/vm_parse.h"

/* Boot area offsets below the end of low RAM (docs/guests.md, "Memory"). */
#define VM_TABLES_BELOW 0x10000ull /* PML4 (or the 32-bit page directory); also the stack top */
#define VM_GDT_BELOW    0x8000ull
#define VM_TSS_BELOW    0x7000ull

/* GDT selectors. */
#define VM_SEL_CODE 0x08
#define VM_SEL_DATA 0x10
#define VM_SEL_TSS  0x18
#define VM_TSS_LIMIT 0x67

/* Segment attributes in the TLFS form (VMX access rights, bits 15:0):
 * type 3:0, S 4, DPL 6:5, P 7, L 13, D/B 14, G 15 (SDM vol. 3 §3.4.5). */
#define VM_ATTR_CODE64 0xa09b /* G, L, P, S, execute/read accessed */
#define VM_ATTR_CODE32 0xc09b /* G, D, P, S, execute/read accessed */
#define VM_ATTR_DATA   0xc093 /* G, B, P, S, read/write accessed */
#define VM_ATTR_TSS    0x008b /* P, busy TSS (64-bit, or 32-bit in legacy mode) */

#define VM_ENTRY_REGISTERS 32

/* Guest memory as vm_image_build reaches it: copy len bytes to [gpa,
 * gpa + len), which lies inside the child's RAM. */
struct vm_ram_writer {
	void (*write)(void *ctx, uint64_t gpa, const void *src, size_t len);
	void *ctx;
};

/*
 * Copy the segments of `image` (checked by vm_elf_check for ram_bytes) and
 * build the boot area for its mode.  The RAM is all zero on entry (the .bss
 * tails and the TSS stay zero).
 */
void vm_image_build(const struct vm_ram_writer *ram, uint64_t ram_bytes, const void *image,
		    const struct vm_elf *elf);

/* Pages of second-level tables a child with this much RAM needs at most
 * (4 KiB mappings of the layout in vm_parse.h): what `vm create` deposits. */
uint64_t vm_slat_pages(uint64_t ram_bytes);

/*
 * The registers at the first instruction (docs/guests.md, "Registers at
 * entry"): fills VM_ENTRY_REGISTERS names and values for
 * HvCallSetVpRegisters and returns that count.  The suspend registers are
 * not among them.
 */
size_t vm_image_registers(uint64_t ram_bytes, const struct vm_elf *elf, uint32_t *names,
			  union hv_register_value *values);

#endif
