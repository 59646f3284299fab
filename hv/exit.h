/* Exit policy, written once for every backend. */
#ifndef KEEL_HV_EXIT_H
#define KEEL_HV_EXIT_H

#include <stdbool.h>

#include "hv/vp.h"

/* Apply the policy to vp->exit.  Returns true to enter the VP again,
 * false to return from vcpu_run(). */
bool vp_handle_exit(struct vp *vp);
void cpuid_policy_init(void);
bool cpuid_exit(struct vp *vp);
bool msr_exit(struct vp *vp, bool write);
/* Open the parent's VP's direct MSRs (hv/msr.c lists them). */
void msr_policy_parent(struct vp *vp);
bool hypercall_exit(struct vp *vp);

#endif
