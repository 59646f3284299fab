/* AMD-V backend state (APM vol. 2 ch. 15). */
#ifndef KEEL_ARCH_X86_SVM_SVM_H
#define KEEL_ARCH_X86_SVM_SVM_H

#include "arch/x86/guest_mem.h"
#include "arch/x86/svm/vmcb.h"
#include "hv/vcpu_ops.h"

/* A VP's AMD-V state (vp->arch).  The first two members are used by
 * svm_run.S at fixed offsets. */
struct svm_vp {
	uint64_t vmcb_pa;       /* also the VMCB's address in the identity map */
	uint64_t host_state_pa; /* this pCPU's host-state VMCB, set before the loop */
	struct vp *vp;          /* the neutral VP, hv/'s */
	struct vmcb *vmcb;
	uint64_t msrpm_pa;
	uint64_t iopm_pa;
	struct insn_fetch_cache fetch; /* emptied by svm_flush_slat */
	bool virq_armed;        /* virq_vector sits in the VMCB's V_IRQ */
	uint8_t virq_vector;
};
_Static_assert(__builtin_offsetof(struct svm_vp, vmcb_pa) == 0, "svm_run.S layout");
_Static_assert(__builtin_offsetof(struct svm_vp, host_state_pa) == 8, "svm_run.S layout");

static inline struct svm_vp *to_svm(struct vp *vp) { return vp->arch; }

/* svm_run.S: enter the guest again and again, calling svm_exit (a child's
 * loop: svm_exit_child) after each #VMEXIT with the guest's GPRs saved and
 * the host's state restored, until it returns 0. */
void svm_vp_loop(struct vp *vp);
void svm_vp_loop_child(struct vp *vp);
int svm_exit(struct vp *vp, struct svm_vp *s);
int svm_exit_child(struct vp *vp, struct svm_vp *s);

extern const struct vcpu_ops svm_vcpu_ops;
extern const struct pt_format svm_npt_format;

#endif
