/* Per-CPU bookkeeping. */
#include "hv/pcpu.h"

struct pcpu *pcpus[PCPU_MAX];
unsigned pcpu_count;
static int gs_ready; /* set once the BSP's GS base is valid */

void pcpu_install(struct pcpu *p)
{
	p->self = p;
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	gs_ready = 1;
}

unsigned pcpu_index_or_zero(void)
{
	return gs_ready ? this_pcpu()->index : 0;
}
