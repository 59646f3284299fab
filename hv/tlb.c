/* Second-level TLB shootdown; the protocol is in tlb.h. */
#include "hv/tlb.h"

#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"

void tlb_shootdown(struct partition *p)
{
	struct pcpu *self = this_pcpu();
	uint64_t seen[PCPU_MAX];
	bool wait[PCPU_MAX] = { false };

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
			cpu_relax();
		}
	}
}
