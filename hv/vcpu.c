/* Backend selection: the first backend whose probe accepts this CPU. */
#include "hv/vcpu_ops.h"

#include "arch/x86/svm/svm.h"
#include "arch/x86/vmx/vmx.h"
#include "hv/hv.h"
#include "hv/interrupt.h"
#include "hv/log.h"
#include "hv/synic.h"

const struct vcpu_ops *vcpu;

static const struct vcpu_ops *const backends[] = { &svm_vcpu_ops, &vmx_vcpu_ops };

static bool complete(const struct vcpu_ops *o)
{
	return o->name && o->probe && o->enable_cpu && o->slat_format && o->vp_create && o->vp_destroy &&
	       o->set_slat_root && o->run && o->get_reg && o->set_reg && o->get_segment && o->set_segment &&
	       o->inject_exception && o->vp_unload &&
	       o->flush_slat && o->guest_msr && o->msr_passthrough && o->hypercall_insn &&
	       o->hypercall_insn_len && o->features;
}

/* The neutral VP is hv/'s: one frame for struct vp, one for its processor
 * state area; the backend adds its own (vp->arch). */
struct vp *vp_create(struct partition *p, uint32_t index, const struct vp_start *start)
{
	uint64_t self = frame_alloc(&hv_frames), area = frame_alloc(&hv_frames);
	struct vp *vp;

	if (!self || !area)
		goto fail;
	vp = phys_to_virt(self);
	vp->partition = p;
	vp->index = index;
	vp->gpr[GPR_RDI] = start->rdi;
	vp->rip = start->rip;
	if (vcpu->vp_create(vp, start) < 0)
		goto fail;
	xstate_init(&vp->xstate, phys_to_virt(area));
	synic_init(&vp->synic);
	vp_irq_reset(vp);
	return vp;
fail:
	if (area)
		frame_free(&hv_frames, area, 1);
	if (self)
		frame_free(&hv_frames, self, 1);
	return NULL;
}

void vp_destroy(struct vp *vp)
{
	uint64_t area = (uint64_t)vp->xstate.area;

	vcpu->vp_destroy(vp);
	frame_free(&hv_frames, area, 1);
	frame_free(&hv_frames, (uint64_t)vp, 1); /* identity-mapped */
}

int vcpu_select(void)
{
	for (unsigned i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (!complete(backends[i]))
			panic("backend %s lacks an operation", backends[i]->name);
		if (backends[i]->probe()) {
			vcpu = backends[i];
			return 0;
		}
	}
	return -1;
}
