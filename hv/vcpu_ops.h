/*
 * The seam between hv/ and a virtualization backend (arch/x86/svm, .../vmx).
 * A backend exports one const struct vcpu_ops; hv/ selects it at boot,
 * checks every operation is present, and calls it only through the inline
 * wrappers below.
 */
#ifndef KEEL_HV_VCPU_OPS_H
#define KEEL_HV_VCPU_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/pagetable.h"
#include "hv/vp.h"

struct partition;

/* Initial state of a VP in 64-bit mode with flat segments. */
struct vp_start {
	uint64_t rip, rsp, rflags, cr0, cr3, cr4, efer, pat;
	uint64_t rdi;
};

struct vcpu_ops {
	const char *name;                 /* "svm", "vmx": shown by hv info */
	/* True if this CPU supports the backend (vendor + features). */
	bool (*probe)(void);
	/* Turn virtualization on for the calling pCPU; 0 or negative error. */
	int (*enable_cpu)(void);
	/* Second-level table format of this backend. */
	const struct pt_format *slat_format;
	/* Create the backend's own state of a VP whose neutral part hv/ has
	 * made (partition, index, gpr and rip set), in the start state, and
	 * point vp->arch at it; 0, or negative when memory runs out.  Destroy
	 * frees only that state. */
	int (*vp_create)(struct vp *vp, const struct vp_start *start);
	void (*vp_destroy)(struct vp *vp);
	/* Point the VP at the partition's second-level root. */
	void (*set_slat_root)(struct vp *vp, uint64_t root);
	/* Run the VP on this pCPU: after each exit, fill vp->exit with the
	 * vendor-neutral exit and call vp_handle_exit(vp) (hv/exit.h); return
	 * when it answers false. */
	void (*run)(struct vp *vp);
	/* Registers of any VP of this pCPU's partitions, running or not. */
	uint64_t (*get_reg)(struct vp *vp, enum vp_reg reg);
	void (*set_reg)(struct vp *vp, enum vp_reg reg, uint64_t value);
	void (*get_segment)(struct vp *vp, enum vp_seg seg, struct vp_segment *out);
	void (*set_segment)(struct vp *vp, enum vp_seg seg, const struct vp_segment *in);
	/* Queue an exception for the next entry. */
	void (*inject_exception)(struct vp *vp, uint8_t vector, bool has_error, uint32_t error);
	/* The VP left this pCPU's run loop: release what ties it to this CPU
	 * (VMX: VMCLEAR) so another pCPU may load it. */
	void (*vp_unload)(struct vp *vp);
	/* Invalidate translations derived from the VP's second-level tables. */
	void (*flush_slat)(struct vp *vp);
	/* Vendor MSR policy (EFER and the backend's own MSRs) and storage of
	 * a VP's syscall, SYSENTER and segment-base MSRs (STAR, LSTAR, CSTAR,
	 * SFMASK, KERNEL_GS_BASE, SYSENTER_CS/ESP/EIP, FS/GS_BASE, PAT; values
	 * already checked by hv/msr.c): 0 = handled (value read or written),
	 * VCPU_MSR_FAULT = inject #GP, VCPU_MSR_UNKNOWN = not a backend MSR. */
	int (*guest_msr)(struct vp *vp, uint32_t msr, bool write, uint64_t *value);
	/* Let the VP reach one MSR directly, reads and writes (every MSR of
	 * every VP exits until then). */
	void (*msr_passthrough)(struct vp *vp, uint32_t msr);
	/* The instruction the hypercall page calls (VMMCALL / VMCALL). */
	const uint8_t *hypercall_insn;
	unsigned hypercall_insn_len;
	/* KEEL_BACKEND_* and KEEL_FEATURE_* for hv info. */
	uint32_t backend_id;
	uint32_t (*features)(void);
};

#define VCPU_MSR_FAULT   (-1)
#define VCPU_MSR_UNKNOWN 1

extern const struct vcpu_ops *vcpu;

int vcpu_select(void);

static inline int vcpu_enable_cpu(void) { return vcpu->enable_cpu(); }
/* A VP: the backend's state and hv/'s (its processor state area, its
 * SynIC); NULL when memory runs out.  vp_destroy frees both. */
struct vp *vp_create(struct partition *p, uint32_t index, const struct vp_start *start);
void vp_destroy(struct vp *vp);
static inline void vcpu_set_slat_root(struct vp *vp, uint64_t root) { vcpu->set_slat_root(vp, root); }
static inline void vcpu_run(struct vp *vp) { vcpu->run(vp); }
static inline uint64_t vcpu_get_reg(struct vp *vp, enum vp_reg r) { return vcpu->get_reg(vp, r); }
static inline void vcpu_set_reg(struct vp *vp, enum vp_reg r, uint64_t v) { vcpu->set_reg(vp, r, v); }
static inline void vcpu_get_segment(struct vp *vp, enum vp_seg s, struct vp_segment *o) { vcpu->get_segment(vp, s, o); }
static inline void vcpu_set_segment(struct vp *vp, enum vp_seg s, const struct vp_segment *i) { vcpu->set_segment(vp, s, i); }
static inline void vcpu_inject_exception(struct vp *vp, uint8_t vec, bool has_err, uint32_t err) { vcpu->inject_exception(vp, vec, has_err, err); }
static inline void vcpu_vp_unload(struct vp *vp) { vcpu->vp_unload(vp); }
static inline void vcpu_flush_slat(struct vp *vp) { vcpu->flush_slat(vp); }
static inline void vcpu_msr_passthrough(struct vp *vp, uint32_t msr) { vcpu->msr_passthrough(vp, msr); }
static inline int vcpu_guest_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *v) { return vcpu->guest_msr(vp, msr, write, v); }

#endif
