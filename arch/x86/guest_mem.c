/* Guest linear-address reads (SDM vol. 3 §4.3-4.5); contract in guest_mem.h. */
#include "arch/x86/guest_mem.h"

#include <stdbool.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/partition.h"

#define PTE_P  (1ull << 0)
#define PTE_PS (1ull << 7)
#define CR4_PSE (1ull << 4)
#define ADDR_MASK 0x000ffffffffff000ull

static bool read_gpa(struct partition *p, uint64_t gpa, void *out, size_t size)
{
	const void *src = partition_gpa_to_hva(p, gpa, size, false);

	if (!src)
		return false;
	memcpy(out, src, size);
	return true;
}

/* Translate one linear address to a guest-physical address. */
static bool translate(struct partition *p, const struct guest_paging *g, uint64_t la, uint64_t *gpa)
{
	if (!(g->cr0 & CR0_PG)) {
		*gpa = la & 0xffffffffull;
		return true;
	}
	if (g->efer & EFER_LMA) {
		uint64_t table = g->cr3 & ADDR_MASK;

		for (int level = 4; level >= 1; level--) {
			uint64_t e;
			unsigned shift = 12 + 9 * (level - 1);

			if (!read_gpa(p, table + ((la >> shift) & 511) * 8, &e, 8) || !(e & PTE_P))
				return false;
			if (level == 1 || ((level == 2 || level == 3) && (e & PTE_PS))) {
				uint64_t page = 1ull << shift;

				*gpa = ((e & ADDR_MASK) & ~(page - 1)) | (la & (page - 1));
				return true;
			}
			table = e & ADDR_MASK;
		}
		return false;
	}
	if (g->cr4 & CR4_PAE) {
		uint64_t e;
		uint64_t table;

		if (!read_gpa(p, (g->cr3 & 0xffffffe0ull) + ((la >> 30) & 3) * 8, &e, 8) || !(e & PTE_P))
			return false;
		table = e & ADDR_MASK;
		if (!read_gpa(p, table + ((la >> 21) & 511) * 8, &e, 8) || !(e & PTE_P))
			return false;
		if (e & PTE_PS) {
			*gpa = (e & ADDR_MASK & ~0x1fffffull) | (la & 0x1fffff);
			return true;
		}
		if (!read_gpa(p, (e & ADDR_MASK) + ((la >> 12) & 511) * 8, &e, 8) || !(e & PTE_P))
			return false;
		*gpa = (e & ADDR_MASK) | (la & 0xfff);
		return true;
	}
	{
		uint32_t e;

		if (!read_gpa(p, (g->cr3 & 0xfffff000ull) + ((la >> 22) & 1023) * 4, &e, 4) || !(e & PTE_P))
			return false;
		if ((e & PTE_PS) && (g->cr4 & CR4_PSE)) {
			/* 4 MiB page; bits 13-20 give physical bits 32-39 (PSE-36). */
			*gpa = (e & 0xffc00000ull) | ((uint64_t)((e >> 13) & 0xff) << 32) | (la & 0x3fffff);
			return true;
		}
		if (!read_gpa(p, (e & 0xfffff000ull) + ((la >> 12) & 1023) * 4, &e, 4) || !(e & PTE_P))
			return false;
		*gpa = (e & 0xfffff000ull) | (la & 0xfff);
		return true;
	}
}

size_t guest_read_linear(struct partition *p, const struct guest_paging *g, uint64_t la, void *buf,
			 size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint64_t gpa;
		size_t chunk = 4096 - ((la + done) & 4095);

		if (chunk > len - done)
			chunk = len - done;
		if (!translate(p, g, la + done, &gpa) || !read_gpa(p, gpa, (char *)buf + done, chunk))
			break;
		done += chunk;
	}
	return done;
}

size_t guest_write_linear(struct partition *p, const struct guest_paging *g, uint64_t la, const void *buf,
			  size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint64_t gpa;
		size_t chunk = 4096 - ((la + done) & 4095);
		void *dst;

		if (chunk > len - done)
			chunk = len - done;
		if (!translate(p, g, la + done, &gpa) || !(dst = partition_gpa_to_hva(p, gpa, chunk, true)))
			break;
		memcpy(dst, (const char *)buf + done, chunk);
		done += chunk;
	}
	return done;
}

enum x86_cpu_mode guest_cpu_mode(const struct guest_paging *g, int cs_long, int cs_default32)
{
	if (!(g->cr0 & CR0_PE))
		return X86_MODE_REAL16;
	if ((g->efer & EFER_LMA) && cs_long)
		return X86_MODE_LONG64;
	return cs_default32 ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

int guest_insn_length(struct partition *p, struct insn_fetch_cache *cache, const struct guest_paging *g,
		      uint64_t la, enum x86_cpu_mode mode)
{
	uint8_t bytes[X86_INSN_MAX_LENGTH];
	uint64_t gpa;
	size_t n;
	int len;

	n = guest_read_linear(p, g, la, bytes, sizeof(bytes));
	len = x86_insn_length(bytes, n, mode);
	if (len <= 0)
		return -1;
	if ((g->cr0 & CR0_PG) && translate(p, g, la & ~0xfffull, &gpa)) {
		const uint8_t *page = partition_gpa_to_hva(p, gpa, 4096, false);

		if (page)
			*cache = (struct insn_fetch_cache){ g->cr3, la & ~0xfffull, page };
	}
	return len;
}
