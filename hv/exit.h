/* Exit policy, written once for every backend. */
#ifndef KEEL_HV_EXIT_H
#define KEEL_HV_EXIT_H

#include <stdbool.h>

#include "hv/vp.h"

void vp_handle_exit(struct vp *vp);
void cpuid_policy_init(void);
void cpuid_exit(struct vp *vp);
void msr_exit(struct vp *vp, bool write);
void hypercall_exit(struct vp *vp);

#endif
