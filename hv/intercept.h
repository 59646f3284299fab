/*
 * Child exits the parent's virtualization stack serves: port I/O and
 * accesses to guest-physical addresses the child has nothing mapped at.
 * Each becomes a TLFS intercept message (hv/abi/tlfs_synic.h) for the
 * parent's SINT0; the VP waits until the parent has emulated the access,
 * set its registers and cleared HvRegisterInterceptSuspend
 * (docs/intercepts.md).
 */
#ifndef KEEL_HV_INTERCEPT_H
#define KEEL_HV_INTERCEPT_H

#include <stdbool.h>

#include "hv/vp.h"

/* Exit handlers for child VPs; they return false (leave the CPU). */
bool intercept_io(struct vp *vp);
bool intercept_unmapped_gpa(struct vp *vp);
/* The VP ended vp->level_eoi (done, the instruction completed): an
 * HV_MESSAGE_TYPE_X64_APIC_EOI for the parent, whose IOAPIC clears that
 * vector's Remote IRR and may raise it again; the VP waits until the
 * parent clears HvRegisterInterceptSuspend. */
bool intercept_apic_eoi(struct vp *vp);
/* After the VP has left its pCPU: send the message built in its exit. */
void intercept_post(struct vp *vp);
/* The parent cleared HvRegisterInterceptSuspend: run the VP again. */
void intercept_complete(struct vp *vp);

#endif
