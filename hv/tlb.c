/* Second-level TLB shootdown; the protocol is in tlb.h. */
#include "hv/tlb.h"

#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "hv/log.h"
#include "hv/stimer.h"

void tlb_shootdown(struct partition *p)
{
	struct pcpu *self = this_pcpu();
	uint64_t seen[PCPU_MAX];
	bool wait[PCPU_MAX] = { false };
	uint64_t t0 = rdtsc(); /* 0 once a stall was reported */

	__atomic_add_fetch(&p->tlb_gen, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < pcpu_count; i++) {
		struct pcpu *c = pcpus[i];
		struct vp *cur;

		if (!c || c == self)
			continue;
		seen[i] = __atomic_load_n(&c->exit_seq, __ATOMIC_SEQ_CST);
		cur = __atomic_load_n(&c->current, __ATOMIC_SEQ_CST);
		if (cur && cur->partition == p) {
			wait[i] = true;
			apic_send_fixed(c->apic_id, APIC_VECTOR_WAKE);
		}
	}
	for (unsigned i = 0; i < pcpu_count; i++) {
		struct pcpu *c = pcpus[i];

		if (!wait[i])
			continue;
		/* Until it exited once more, or stopped running p's VP (its
		 * next start flushes). */
		while (__atomic_load_n(&c->exit_seq, __ATOMIC_SEQ_CST) == seen[i]) {
			struct vp *cur = __atomic_load_n(&c->current, __ATOMIC_SEQ_CST);

			if (!cur || cur->partition != p)
				break;
			if (t0 && rdtsc() - t0 > 2 * tsc_hz()) {
				log_err("tlb: pCPU %u has taken no exit from partition %u's VP %u for 2 s", c->index,
					p->id, cur->index);
				t0 = 0;
			}
			cpu_relax();
		}
	}
}
