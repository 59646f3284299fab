/* Intel VT-x backend state (SDM vol. 3 ch. 23-29). */
#ifndef KEEL_ARCH_X86_VMX_VMX_H
#define KEEL_ARCH_X86_VMX_VMX_H

#include <stdbool.h>

#include "arch/x86/vmx/vmcs.h"
#include "hv/vcpu_ops.h"

/* The first members are used by vmx_run.S at fixed offsets. */
struct vmx_vp {
	uint64_t launched;      /* VMLAUNCH done on the current VMCS */
	struct vp *vp;          /* the neutral VP, hv/'s (its arch is this) */
	uint64_t vmcs_pa;
	uint64_t msr_bitmap_pa;
	uint64_t cr0_shadow;    /* CR0/CR4 as the guest believes them */
	uint64_t cr4_shadow;
	uint8_t tpr;            /* a child's CR8: MOV to/from CR8 exits, the CPU's TPR stays the host's */
	bool pause_exits;       /* the VMCS's PAUSE controls are set (vmx_apply_pause_exits) */
	uint32_t instruction_error; /* last VMfailValid number, 0 if none */
	/* STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE: VM entry and exit do not
	 * switch them.  For a VP whose MSR accesses all exit (own_msrs), they
	 * are written to the CPU by vmx_run and KERNEL_GS_BASE (which SWAPGS
	 * changes) read back by vmx_vp_unload; the parent's pass through. */
	bool own_msrs;
	uint64_t syscall_msrs[5];
};
_Static_assert(__builtin_offsetof(struct vmx_vp, launched) == 0, "vmx_run.S layout");

static inline struct vmx_vp *to_vmx(struct vp *vp) { return vp->arch; }

/* vmx_run.S: VMLAUNCH/VMRESUME loop; calls vmx_exit(vp, s) after each exit
 * and vmx_entry_failed(vp) when the entry instruction itself fails. */
void vmx_vp_loop(struct vp *vp);
int vmx_exit(struct vp *vp, struct vmx_vp *s);
void vmx_entry_failed(struct vp *vp);
/* A task switch (exit reason 9), emulated: vmx_task.c. */
void vmx_task_switch(struct vmx_vp *s);

const char *vmx_instruction_error_name(uint32_t number);

extern const struct vcpu_ops vmx_vcpu_ops;
extern const struct pt_format vmx_ept_format;

#endif
