/*
 * Reading guest memory by linear address: the guest's own paging (none,
 * 32-bit, PAE or 4-level) on top of the partition's second-level mapping.
 * Used to fetch instruction bytes when the CPU does not report lengths.
 */
#ifndef KEEL_ARCH_X86_GUEST_MEM_H
#define KEEL_ARCH_X86_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/insn_len.h"

struct partition;

struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
};

/* Copy up to `len` bytes from guest linear address `la`; stops at the first
 * byte whose translation fails.  Returns the number of bytes copied. */
size_t guest_read_linear(struct partition *p, const struct guest_paging *g, uint64_t la, void *buf,
			 size_t len);
/* The decoding mode for CR0/EFER and the CS attributes (L and D bits). */
enum x86_cpu_mode guest_cpu_mode(const struct guest_paging *g, int cs_long, int cs_default32);

#endif
