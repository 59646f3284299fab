/* AMD-V backend state (APM vol. 2 ch. 15). */
#ifndef KEEL_ARCH_X86_SVM_SVM_H
#define KEEL_ARCH_X86_SVM_SVM_H

#include "arch/x86/svm/vmcb.h"
#include "hv/vcpu_ops.h"

struct svm_vp {
	struct vp vp;           /* first: the entry assembly reaches vp.gpr */
	struct vmcb *vmcb;
	uint64_t vmcb_pa;
	uint64_t msrpm_pa;
	uint64_t iopm_pa;
};
_Static_assert(__builtin_offsetof(struct svm_vp, vp) == 0, "svm_run.S uses the vp.gpr offsets");
_Static_assert(__builtin_offsetof(struct vp, gpr) == 0, "svm_run.S uses the vp.gpr offsets");

static inline struct svm_vp *to_svm(struct vp *vp) { return container_of(vp, struct svm_vp, vp); }

/* svm_run.S: load guest GPRs, VMLOAD/VMRUN/VMSAVE, save GPRs, restore host. */
void svm_vmrun(struct vp *vp, uint64_t vmcb_pa, uint64_t host_state_pa);

extern const struct vcpu_ops svm_vcpu_ops;
extern const struct pt_format svm_npt_format;

#endif
