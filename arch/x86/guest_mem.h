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
/* The same for writing: stops at the first byte whose translation fails or
 * that is not writable RAM of the partition. */
size_t guest_write_linear(struct partition *p, const struct guest_paging *g, uint64_t la, const void *buf,
			  size_t len);
/*
 * Where the last intercepted instruction was fetched from: a one-entry
 * software TLB for instruction fetches (guest CR3 + linear page -> host
 * page).  The owner drops it whenever the partition's second-level mapping
 * changes, so it never points outside the partition's memory.  A stale
 * entry after a guest page-table edit is caught by checking that the bytes
 * found are the opcode the exit reported, and the slow walk is taken.
 */
struct insn_fetch_cache {
	uint64_t cr3;
	uint64_t page_la;
	const uint8_t *page; /* NULL when empty */
};

/* Fast path: `opcode_len` if the cached page holds exactly `opcode` at
 * `la` (the unprefixed encoding), 0 otherwise. */
static inline int guest_insn_cached(const struct insn_fetch_cache *c, uint64_t cr3, uint64_t la,
				    const uint8_t *opcode, unsigned opcode_len)
{
	uint64_t offset = la & 0xfff;

	if (!c->page || c->cr3 != cr3 || c->page_la != (la & ~0xfffull) || offset + opcode_len > 4096)
		return 0;
	for (unsigned i = 0; i < opcode_len; i++)
		if (c->page[offset + i] != opcode[i])
			return 0;
	return (int)opcode_len;
}

/* Length of the instruction at linear `la`, fetched through the guest's
 * paging and decoded; refills the cache.  -1 if it cannot be fetched or
 * decoded. */
int guest_insn_length(struct partition *p, struct insn_fetch_cache *cache, const struct guest_paging *g,
		      uint64_t la, enum x86_cpu_mode mode);

/* The decoding mode for CR0/EFER and the CS attributes (L and D bits). */
enum x86_cpu_mode guest_cpu_mode(const struct guest_paging *g, int cs_long, int cs_default32);

#endif
