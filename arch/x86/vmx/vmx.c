/*
 * Intel VT-x backend: per-CPU VMXON, VMCS setup from the true capability
 * MSRs, EPT, exit translation and register access (SDM vol. 3 ch. 23-29).
 * Policy lives in hv/; this file only speaks VMCS.
 */
#include "arch/x86/vmx/vmx.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "hv/abi/keel_hypercall.h"
#include "hv/exit.h"
#include "hv/interrupt.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/partition.h"
#include "hv/pcpu.h"
#include "hv/run.h"
#include "hv/tlb.h"

#define MSR_FEATURE_CONTROL     0x3au
#define FEATURE_CONTROL_LOCKED  (1ull << 0)
#define FEATURE_CONTROL_VMXON   (1ull << 2)  /* VMXON outside SMX */
#define MSR_VMX_BASIC           0x480u
#define MSR_VMX_CR0_FIXED0      0x486u
#define MSR_VMX_CR0_FIXED1      0x487u
#define MSR_VMX_CR4_FIXED0      0x488u
#define MSR_VMX_CR4_FIXED1      0x489u
#define MSR_VMX_PROCBASED2      0x48bu
#define MSR_VMX_EPT_VPID_CAP    0x48cu
#define MSR_VMX_TRUE_PINBASED   0x48du
#define MSR_VMX_TRUE_PROCBASED  0x48eu
#define MSR_VMX_TRUE_EXIT       0x48fu
#define MSR_VMX_TRUE_ENTRY      0x490u
#define MSR_VMX_FIRST           0x480u
#define MSR_VMX_LAST            0x491u
#define VMX_BASIC_TRUE_CTLS     (1ull << 55)
#define CR4_VMXE                (1ull << 13)

/* IA32_VMX_EPT_VPID_CAP (SDM Appendix A.10). */
#define EPT_CAP_WALK4           (1ull << 6)
#define EPT_CAP_WB              (1ull << 14)
#define EPT_CAP_INVEPT          (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE   (1ull << 25)
#define EPT_CAP_INVEPT_ALL      (1ull << 26)

#define EPT_MEMTYPE_WB          6ull

/* PAUSE-loop exiting: PAUSEs at most this many TSC cycles apart make one
 * loop, which exits once it lasts longer than the window (KVM's figures). */
#define PLE_GAP    128
#define PLE_WINDOW 4096

/* Capabilities read once at probe; (i) after that. */
static struct {
	uint32_t pin, proc, proc2, exit, entry;   /* controls Keel uses */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t ept_caps;
	uint32_t revision;
	uint32_t preempt_shift;   /* timer counts TSC >> this; (pin & timer bit) if usable */
	bool virtual_nmis;        /* children get NMIs (vmx_deliver_nmi) */
	uint32_t pause_proc, pause_proc2; /* children's PAUSE exits: PAUSE-loop exiting, else every PAUSE */
	uint64_t cr0_forced;      /* CR0 bits a guest cannot clear: fixed0, less PE and PG
				     with unrestricted guest (SDM §26.3.1.1) */
} caps;

static uint64_t vmcs_enter(struct vmx_vp *s);

static bool vmx_virtual_nmis(void) { return caps.virtual_nmis; }
static void vmcs_leave(struct vmx_vp *s, uint64_t prev);

static const char *const instruction_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(uint32_t n)
{
	if (n < sizeof(instruction_errors) / sizeof(instruction_errors[0]) && instruction_errors[n])
		return instruction_errors[n];
	return "unknown VM-instruction error";
}

/* The value of a control: `want` plus what the CPU requires, minus what it
 * cannot do (allowed-0 settings in the low half of the MSR, allowed-1 in
 * the high half, SDM Appendix A.3).  Fails if a `need` bit is missing. */
static int adjust(uint32_t msr, uint32_t want, uint32_t need, uint32_t *out)
{
	uint64_t v = rdmsr(msr);
	uint32_t must = (uint32_t)v, may = (uint32_t)(v >> 32);

	if (need & ~may) {
		log_err("vmx: MSR %#x lacks required control bits %#x", msr, need & ~may);
		return -1;
	}
	*out = (want | must) & may;
	return 0;
}

static bool vmx_probe(void)
{
	struct cpuid_regs v = cpuid(0, 0);
	uint64_t basic, fc;

	if (!(v.ebx == 0x756e6547 && v.edx == 0x49656e69 && v.ecx == 0x6c65746e)) /* GenuineIntel */
		return false;
	if (!(cpuid(1, 0).ecx & (1u << 5)))
		return false;
	fc = rdmsr(MSR_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCKED) && !(fc & FEATURE_CONTROL_VMXON)) {
		log_err("vmx: VT-x is disabled by the firmware (IA32_FEATURE_CONTROL locked without VMXON)");
		return false;
	}
	basic = rdmsr(MSR_VMX_BASIC);
	if (!(basic & VMX_BASIC_TRUE_CTLS)) {
		log_err("vmx: the CPU lacks the true VMX capability MSRs");
		return false;
	}
	caps.revision = basic & 0x7fffffff;
	if (adjust(MSR_VMX_TRUE_PINBASED, 0, 0, &caps.pin) ||
	    adjust(MSR_VMX_TRUE_PROCBASED, VMX_PROC_USE_MSR_BITMAPS | VMX_PROC_SECONDARY,
		   VMX_PROC_USE_MSR_BITMAPS | VMX_PROC_SECONDARY, &caps.proc) ||
	    adjust(MSR_VMX_PROCBASED2,
		   VMX_PROC2_EPT | VMX_PROC2_RDTSCP | VMX_PROC2_VPID | VMX_PROC2_INVPCID | VMX_PROC2_XSAVES |
			   VMX_PROC2_UNRESTRICTED,
		   VMX_PROC2_EPT, &caps.proc2) ||
	    adjust(MSR_VMX_TRUE_EXIT,
		   VMX_EXIT_HOST_64BIT | VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT | VMX_EXIT_SAVE_EFER |
			   VMX_EXIT_LOAD_EFER,
		   VMX_EXIT_HOST_64BIT | VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER, &caps.exit) ||
	    adjust(MSR_VMX_TRUE_ENTRY, VMX_ENTRY_IA32E_GUEST | VMX_ENTRY_LOAD_PAT | VMX_ENTRY_LOAD_EFER,
		   VMX_ENTRY_IA32E_GUEST | VMX_ENTRY_LOAD_EFER, &caps.entry))
		return false;
	caps.ept_caps = rdmsr(MSR_VMX_EPT_VPID_CAP);
	if (!(caps.ept_caps & EPT_CAP_WALK4) || !(caps.ept_caps & EPT_CAP_WB) || !(caps.ept_caps & EPT_CAP_INVEPT)) {
		log_err("vmx: EPT lacks 4-level walks, write-back memory or INVEPT");
		return false;
	}
	/* The VMX-preemption timer ends a child's slice whatever its RFLAGS.IF
	 * (some emulators take external-interrupt exits only with IF set). */
	if ((rdmsr(MSR_VMX_TRUE_PINBASED) >> 32) & VMX_PIN_PREEMPTION_TIMER)
		caps.preempt_shift = (uint32_t)(rdmsr(0x485) & 0x1f); /* IA32_VMX_MISC */
	else
		caps.preempt_shift = 64;
	/* NMIs reach children only with virtual NMIs (which need NMI exiting)
	 * and NMI-window exiting, both allowed-1 (SDM §24.6.1, A.3). */
	caps.virtual_nmis = ((rdmsr(MSR_VMX_TRUE_PINBASED) >> 32) & (VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS)) ==
				    (VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS) &&
			    ((rdmsr(MSR_VMX_TRUE_PROCBASED) >> 32) & VMX_PROC_NMI_WINDOW);
	/* A child's spin loop exits (hv/run.h, run_pause): after a loop of
	 * PAUSEs where the CPU can tell one (SDM §25.1.3), else at each. */
	if ((rdmsr(MSR_VMX_PROCBASED2) >> 32) & VMX_PROC2_PAUSE_LOOP)
		caps.pause_proc2 = VMX_PROC2_PAUSE_LOOP;
	else if ((rdmsr(MSR_VMX_TRUE_PROCBASED) >> 32) & VMX_PROC_PAUSE_EXITING)
		caps.pause_proc = VMX_PROC_PAUSE_EXITING;
	caps.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	caps.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	caps.cr0_forced = caps.cr0_fixed0 & ~((caps.proc2 & VMX_PROC2_UNRESTRICTED) ? CR0_PE | CR0_PG : 0);
	caps.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	caps.cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	return true;
}

static uint32_t vmx_features(void)
{
	return KEEL_FEATURE_EPT | ((caps.proc2 & VMX_PROC2_VPID) ? KEEL_FEATURE_VPID : 0) |
	       ((caps.proc2 & VMX_PROC2_UNRESTRICTED) ? KEEL_FEATURE_REAL_MODE : 0);
}

static int vmx_enable_cpu(void)
{
	struct arch_pcpu *a = &this_pcpu()->arch;
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
	uint8_t fail;

	if (!(fc & FEATURE_CONTROL_LOCKED))
		wrmsr(MSR_FEATURE_CONTROL, fc | FEATURE_CONTROL_VMXON | FEATURE_CONTROL_LOCKED);
	else if (!(fc & FEATURE_CONTROL_VMXON)) {
		log_err("vmx: VT-x is disabled by the firmware on this CPU");
		return -1;
	}
	write_cr0((read_cr0() | caps.cr0_fixed0) & caps.cr0_fixed1);
	write_cr4((read_cr4() | CR4_VMXE | caps.cr4_fixed0) & caps.cr4_fixed1);
	a->virt_area = frame_alloc(&hv_frames);
	if (!a->virt_area)
		return -1;
	*(uint32_t *)phys_to_virt(a->virt_area) = caps.revision;
	__asm__ volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(a->virt_area) : "cc", "memory");
	if (fail) {
		log_err("vmx: VMXON failed");
		return -1;
	}
	return 0;
}

/* Let reads and writes of one MSR reach the hardware (the 4 KiB bitmap,
 * SDM §24.6.9); MSRs outside its two ranges always exit.  The syscall MSRs
 * passed through are the VP's own in the CPU: vmx_run stops switching them. */
static void vmx_msr_passthrough(struct vp *vp, uint32_t msr)
{
	struct vmx_vp *s = to_vmx(vp);
	uint8_t *bitmap = phys_to_virt(s->msr_bitmap_pa);
	uint32_t base;

	if (msr == MSR_KERNEL_GS_BASE)
		s->own_msrs = false;
	if (msr <= 0x1fff)
		base = 0;
	else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
		base = 0x400;
	else
		return;
	msr &= 0x1fff;
	bitmap[base + msr / 8] &= ~(1u << (msr % 8));         /* read */
	bitmap[base + 0x800 + msr / 8] &= ~(1u << (msr % 8)); /* write */
}

static void set_host_state(struct vmx_vp *s)
{
	struct pcpu *p = this_pcpu();
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;
	extern char vmx_exit_entry[];

	__asm__ volatile("sidt %0" : "=m"(idtr));
	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	vmwrite(VMCS_HOST_CS_SEL, GDT_CODE64);
	vmwrite(VMCS_HOST_SS_SEL, GDT_DATA);
	vmwrite(VMCS_HOST_DS_SEL, GDT_DATA);
	vmwrite(VMCS_HOST_ES_SEL, GDT_DATA);
	vmwrite(VMCS_HOST_FS_SEL, 0);
	vmwrite(VMCS_HOST_GS_SEL, 0);
	vmwrite(VMCS_HOST_TR_SEL, GDT_TSS);
	vmwrite(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmwrite(VMCS_HOST_GS_BASE, (uint64_t)p);
	vmwrite(VMCS_HOST_TR_BASE, (uint64_t)&p->arch.tss);
	vmwrite(VMCS_HOST_GDTR_BASE, (uint64_t)p->arch.gdt);
	vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
	vmwrite(VMCS_HOST_SYSENTER_CS, 0);
	vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
	vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
	vmwrite(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	vmwrite(VMCS_HOST_PAT, rdmsr(MSR_PAT));
	vmwrite(VMCS_HOST_RIP, (uint64_t)vmx_exit_entry);
}

/* Segment fields are laid out ES, CS, SS, DS, FS, GS, LDTR, TR at a
 * stride of 2 in each group (SDM Appendix B). */
static void set_segment(int index, uint16_t sel, uint32_t ar, uint32_t limit)
{
	vmwrite(VMCS_GUEST_ES_SEL + 2 * index, sel);
	vmwrite(VMCS_GUEST_ES_LIMIT + 2 * index, limit);
	vmwrite(VMCS_GUEST_ES_AR + 2 * index, ar);
	vmwrite(VMCS_GUEST_ES_BASE + 2 * index, 0);
}

static void vmx_vp_destroy(struct vp *vp)
{
	struct vmx_vp *s = to_vmx(vp);

	__asm__ volatile("vmclear %0" ::"m"(s->vmcs_pa) : "cc", "memory");
	frame_free(&hv_frames, s->msr_bitmap_pa, 1);
	frame_free(&hv_frames, s->vmcs_pa, 1);
	frame_free(&hv_frames, (uint64_t)s, 1);
	vp->arch = NULL;
}

static uint64_t cr0_actual(uint64_t guest) { return (guest | caps.cr0_forced) & caps.cr0_fixed1; }
static uint64_t cr4_actual(uint64_t guest) { return (guest | CR4_VMXE | caps.cr4_fixed0) & caps.cr4_fixed1; }

static int vmx_vp_create(struct vp *vp, const struct vp_start *st)
{
	uint64_t self = frame_alloc(&hv_frames);
	struct partition *p = vp->partition;
	struct vmx_vp *s;
	uint64_t prev = ~0ull;
	uint8_t fail;
	int err = 0;

	_Static_assert(sizeof(struct vmx_vp) <= 4096, "vmx_vp fits a frame");
	if (!self)
		return -1;
	s = phys_to_virt(self);
	s->vmcs_pa = frame_alloc(&hv_frames);
	s->msr_bitmap_pa = frame_alloc(&hv_frames);
	if (!s->vmcs_pa || !s->msr_bitmap_pa)
		goto fail;
	s->vp = vp;
	vp->arch = s;
	s->cr0_shadow = st->cr0;
	s->cr4_shadow = st->cr4;

	*(uint32_t *)phys_to_virt(s->vmcs_pa) = caps.revision;
	__asm__ volatile("vmclear %1; setna %0" : "=qm"(fail) : "m"(s->vmcs_pa) : "cc", "memory");
	if (fail)
		goto fail;
	__asm__ volatile("vmptrst %0" : "=m"(prev)::"memory");
	__asm__ volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(s->vmcs_pa) : "cc", "memory");
	if (fail)
		goto fail;

	/* Every MSR exits until hv/ lets one through (vcpu_ops.msr_passthrough). */
	memset(phys_to_virt(s->msr_bitmap_pa), 0xff, 4096);
	s->own_msrs = true;

	/* Children: host interrupts, HLT and every port access exit. */
	err |= vmwrite(VMCS_PIN_CONTROLS,
		       caps.pin | (p->is_parent ? 0
						: VMX_PIN_EXTERNAL_INTERRUPT |
							  ((rdmsr(MSR_VMX_TRUE_PINBASED) >> 32) & VMX_PIN_NMI_EXITING) |
							  (vmx_virtual_nmis() ? VMX_PIN_VIRTUAL_NMIS : 0) |
							  (caps.preempt_shift < 64 ? VMX_PIN_PREEMPTION_TIMER : 0)));
	err |= vmwrite(VMCS_PROC_CONTROLS,
		       caps.proc | (p->is_parent ? 0
						 : VMX_PROC_HLT_EXITING | VMX_PROC_UNCONDITIONAL_IO |
							   VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING));
	err |= vmwrite(VMCS_PROC_CONTROLS2, caps.proc2);
	if (!p->is_parent && caps.pause_proc2) {
		err |= vmwrite(VMCS_PLE_GAP, PLE_GAP);
		err |= vmwrite(VMCS_PLE_WINDOW, PLE_WINDOW);
	}
	err |= vmwrite(VMCS_EXIT_CONTROLS, caps.exit);
	err |= vmwrite(VMCS_ENTRY_CONTROLS, caps.entry);
	err |= vmwrite(VMCS_EXCEPTION_BITMAP,
		       (1u << X86_EXC_DB) | (1u << X86_EXC_AC) | (1u << X86_EXC_MC)); /* hv/vm_exit.h */
	err |= vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	err |= vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
	err |= vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	err |= vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	err |= vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	err |= vmwrite(VMCS_MSR_BITMAP, s->msr_bitmap_pa);
	err |= vmwrite(VMCS_LINK_POINTER, ~0ull);
	if (caps.proc2 & VMX_PROC2_VPID)
		err |= vmwrite(VMCS_VPID, p->id); /* nonzero: VPID 0 is the host's */
	/* CR0/CR4 bits VMX forces are owned by the host: the guest reads the
	 * shadow and its writes to them exit (SDM §25.3); so are PE and PG,
	 * whose changes set_cr0 follows (EFER.LMA). */
	err |= vmwrite(VMCS_CR0_MASK, caps.cr0_fixed0 | ~caps.cr0_fixed1 | CR0_PE | CR0_PG);
	err |= vmwrite(VMCS_CR4_MASK, CR4_VMXE | caps.cr4_fixed0 | ~caps.cr4_fixed1);
	err |= vmwrite(VMCS_CR0_SHADOW, st->cr0);
	err |= vmwrite(VMCS_CR4_SHADOW, st->cr4);

	err |= vmwrite(VMCS_GUEST_CR0, cr0_actual(st->cr0));
	err |= vmwrite(VMCS_GUEST_CR3, st->cr3);
	err |= vmwrite(VMCS_GUEST_CR4, cr4_actual(st->cr4));
	set_segment(0, 0x10, 0xc093, 0xffffffff);   /* ES */
	set_segment(1, 0x08, 0xa09b, 0xffffffff);   /* CS: 64-bit code */
	set_segment(2, 0x10, 0xc093, 0xffffffff);   /* SS */
	set_segment(3, 0x10, 0xc093, 0xffffffff);   /* DS */
	set_segment(4, 0x10, 0xc093, 0xffffffff);   /* FS */
	set_segment(5, 0x10, 0xc093, 0xffffffff);   /* GS */
	set_segment(6, 0, 1u << 16, 0);             /* LDTR: unusable */
	set_segment(7, 0, 0x008b, 0x67);            /* TR: busy 64-bit TSS */
	err |= vmwrite(VMCS_GUEST_GDTR_BASE, 0);
	err |= vmwrite(VMCS_GUEST_GDTR_LIMIT, 0);
	err |= vmwrite(VMCS_GUEST_IDTR_BASE, 0);
	err |= vmwrite(VMCS_GUEST_IDTR_LIMIT, 0);
	err |= vmwrite(VMCS_GUEST_DR7, 0x400);
	err |= vmwrite(VMCS_GUEST_RSP, st->rsp);
	err |= vmwrite(VMCS_GUEST_RFLAGS, st->rflags | 2);
	err |= vmwrite(VMCS_GUEST_PENDING_DEBUG, 0);
	err |= vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	err |= vmwrite(VMCS_GUEST_ACTIVITY, 0);
	err |= vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
	err |= vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
	err |= vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
	err |= vmwrite(VMCS_GUEST_EFER, st->efer);
	err |= vmwrite(VMCS_GUEST_PAT, st->pat);
	if (err) {
		log_err("vmx: VMWRITE failed setting up a VMCS: error %lu (%s)", vmread(VMCS_INSTRUCTION_ERROR),
			vmx_instruction_error_name((uint32_t)vmread(VMCS_INSTRUCTION_ERROR)));
		vmcs_leave(s, prev);
		goto fail;
	}
	vmcs_leave(s, prev);
	return 0;
fail:
	if (s->msr_bitmap_pa)
		frame_free(&hv_frames, s->msr_bitmap_pa, 1);
	if (s->vmcs_pa)
		frame_free(&hv_frames, s->vmcs_pa, 1);
	frame_free(&hv_frames, self, 1);
	vp->arch = NULL;
	return -1;
}

/*
 * VMREAD/VMWRITE act on the pCPU's current VMCS.  To reach another VP's
 * (a child's, from a hypercall of the parent), make it current and put the
 * previous one back afterwards.
 */
static uint64_t vmcs_enter(struct vmx_vp *s)
{
	uint64_t prev;

	if (this_pcpu()->current == s->vp)
		return s->vmcs_pa; /* the running VP's VMCS is current */
	__asm__ volatile("vmptrst %0" : "=m"(prev)::"memory");
	if (prev != s->vmcs_pa)
		__asm__ volatile("vmptrld %0" ::"m"(s->vmcs_pa) : "cc", "memory");
	return prev;
}

static void vmcs_leave(struct vmx_vp *s, uint64_t prev)
{
	if (prev == s->vmcs_pa)
		return;
	/* Write it back and make it launchable on any pCPU again. */
	__asm__ volatile("vmclear %0" ::"m"(s->vmcs_pa) : "cc", "memory");
	s->launched = 0;
	if (prev != ~0ull)
		__asm__ volatile("vmptrld %0" ::"m"(prev) : "cc", "memory");
}

/* Index in syscall_msrs, -1 if not one of them. */
static int syscall_msr_index(uint32_t msr)
{
	switch (msr) {
	case MSR_STAR: return 0;
	case MSR_LSTAR: return 1;
	case MSR_CSTAR: return 2;
	case MSR_SFMASK: return 3;
	case MSR_KERNEL_GS_BASE: return 4;
	default: return -1;
	}
}

static const uint32_t syscall_msr_numbers[5] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE };

static void vmx_vp_unload(struct vp *vp)
{
	struct vmx_vp *s = to_vmx(vp);

	if (s->own_msrs)
		s->syscall_msrs[4] = rdmsr(MSR_KERNEL_GS_BASE);
	__asm__ volatile("vmclear %0" ::"m"(s->vmcs_pa) : "cc", "memory");
	s->launched = 0;
	if (this_pcpu()->current == vp)
		this_pcpu()->current = NULL;
}

static void vmx_invept(uint64_t eptp)
{
	struct {
		uint64_t eptp, reserved;
	} desc = { eptp, 0 };
	uint64_t type = (caps.ept_caps & EPT_CAP_INVEPT_SINGLE) ? 1 : 2;

	__asm__ volatile("invept %0, %1" ::"m"(desc), "r"(type) : "cc", "memory");
}

static void vmx_set_slat_root(struct vp *vp, uint64_t root)
{
	/* Write-back paging structures, 4-level walk (SDM §24.6.11). */
	uint64_t eptp = root | (3ull << 3) | EPT_MEMTYPE_WB;
	uint64_t prev = vmcs_enter(to_vmx(vp));

	vmwrite(VMCS_EPT_POINTER, eptp);
	vmcs_leave(to_vmx(vp), prev);
	vmx_invept(eptp);
}

static void vmx_flush_slat(struct vp *vp)
{
	uint64_t prev = vmcs_enter(to_vmx(vp));
	uint64_t eptp = vmread(VMCS_EPT_POINTER);

	vmcs_leave(to_vmx(vp), prev);
	vmx_invept(eptp);
}

void vmx_entry_failed(struct vp *vp)
{
	struct vmx_vp *s = to_vmx(vp);

	s->instruction_error = (uint32_t)vmread(VMCS_INSTRUCTION_ERROR);
	log_err("vmx: VM entry failed: VM-instruction error %u (%s)", s->instruction_error,
		vmx_instruction_error_name(s->instruction_error));
	s->vp->exit.reason = VM_EXIT_ENTRY_FAILED;
	s->vp->exit.hw_code = s->instruction_error;
	vp_handle_exit(s->vp);
}

/* "IA-32e mode guest" must match EFER.LMA (SDM §26.3.1.1). */
static void set_efer(uint64_t efer)
{
	uint64_t entry = vmread(VMCS_ENTRY_CONTROLS) & ~(uint64_t)VMX_ENTRY_IA32E_GUEST;

	vmwrite(VMCS_GUEST_EFER, efer);
	vmwrite(VMCS_ENTRY_CONTROLS, entry | (efer & EFER_LMA ? VMX_ENTRY_IA32E_GUEST : 0));
}

/*
 * CR0 as the guest sets it (current VMCS).  Turning paging on with
 * EFER.LME activates long mode and turning it off leaves it (SDM §9.8.5):
 * the CPU does that itself, but VM entry checks EFER.LMA against the
 * entry control, which this keeps in step.  Returns false for what the
 * CPU would refuse with #GP: PG without PE, long mode without CR4.PAE.
 */
static bool set_cr0(struct vmx_vp *s, uint64_t value)
{
	uint64_t efer = vmread(VMCS_GUEST_EFER);

	if ((value & CR0_PG) && !(value & CR0_PE))
		return false;
	if ((value & CR0_PG) && (efer & EFER_LME) && !(efer & EFER_LMA)) {
		if (!(vmread(VMCS_GUEST_CR4) & CR4_PAE)) /* a guest-owned bit: the real one */
			return false;
		set_efer(efer | EFER_LMA);
	} else if (!(value & CR0_PG) && (efer & EFER_LMA)) {
		set_efer(efer & ~EFER_LMA);
	}
	s->cr0_shadow = value;
	vmwrite(VMCS_CR0_SHADOW, value);
	vmwrite(VMCS_GUEST_CR0, cr0_actual(value));
	return true;
}

/* A child's MOV to or from CR8 (exit reason 28, type 0 or 1): the task
 * priority it keeps in s->tpr; the CPU's own TPR (the hypervisor's
 * interrupts) is never the guest's (SDM §25.1.3; bits 63:4 reserved). */
static bool emulate_cr8(struct vmx_vp *s, unsigned type, unsigned reg)
{
	if (type == 0) {
		uint64_t value = reg == GPR_RSP ? vmread(VMCS_GUEST_RSP) : s->vp->gpr[reg];

		if (value >> 4) {
			vcpu_inject_exception(s->vp, X86_EXC_GP, true, 0);
			return true;
		}
		s->tpr = (uint8_t)value;
	} else if (reg == GPR_RSP) {
		vmwrite(VMCS_GUEST_RSP, s->tpr);
	} else {
		s->vp->gpr[reg] = s->tpr;
	}
	s->vp->rip += vmread(VMCS_EXIT_INSTRUCTION_LENGTH);
	return true;
}

/* MOV to CR0/CR4 of a bit the host owns (exit reason 28, SDM Table 28-3):
 * keep the guest's view in the shadow, the forced bits in the real one;
 * and CR8 (emulate_cr8).  Returns false if the guest asks for something
 * VMX cannot give it. */
static bool emulate_cr_write(struct vmx_vp *s, uint64_t qual)
{
	unsigned cr = qual & 15, type = (qual >> 4) & 3, reg = (qual >> 8) & 15;
	uint64_t value;

	if (cr == 8 && type <= 1)
		return emulate_cr8(s, type, reg);
	if (type != 0 || (cr != 0 && cr != 4))
		return false;
	value = reg == GPR_RSP ? vmread(VMCS_GUEST_RSP) : s->vp->gpr[reg];
	if (cr == 0) {
		if ((value & (CR0_PE | CR0_PG)) != (CR0_PE | CR0_PG) && !(caps.proc2 & VMX_PROC2_UNRESTRICTED))
			return false; /* real mode or paging off: needs unrestricted guest */
		if (!set_cr0(s, value)) {
			vcpu_inject_exception(s->vp, X86_EXC_GP, true, 0);
			return true;
		}
	} else {
		if (value & CR4_VMXE) {
			vcpu_inject_exception(s->vp, X86_EXC_GP, true, 0);
			return true;
		}
		s->cr4_shadow = value;
		vmwrite(VMCS_CR4_SHADOW, value);
		vmwrite(VMCS_GUEST_CR4, cr4_actual(value));
	}
	s->vp->rip += vmread(VMCS_EXIT_INSTRUCTION_LENGTH);
	return true;
}

/*
 * An intercepted #DB or #AC (exit reason 0; SDM §28.2.2).  #DB: the exit
 * leaves DR6 to the hypervisor, which is the guest's DR6 here (VM entry
 * and exit do not switch it): B0-B3 anew, BD and BS as the qualification
 * says (SDM Table 28-1).  ICEBP's #DB comes before the instruction
 * completes: past it, as the CPU would have been.
 */
static void translate_exception(struct vmx_vp *s, struct vm_exit *e)
{
	uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);

	if ((info & VMX_INTR_TYPE_MASK) == VMX_INTR_TYPE_NMI) {
		/* A host NMI (NMI exiting): it ends here; the next IRET in the
		 * hypervisor unblocks NMIs again. */
		e->reason = VM_EXIT_EXTERNAL_INTR;
		return;
	}
	e->reason = VM_EXIT_EXCEPTION;
	e->exception.vector = (uint8_t)info;
	e->exception.has_error = info & VMX_INTR_ERROR_VALID;
	e->exception.error = e->exception.has_error ? (uint32_t)vmread(VMCS_EXIT_INTR_ERROR) : 0;
	if (e->exception.vector == X86_EXC_DB) {
		uint64_t dr6;

		__asm__ volatile("mov %%db6, %0" : "=r"(dr6));
		dr6 = (dr6 & ~0xfull) | (vmread(VMCS_EXIT_QUALIFICATION) & 0x600f);
		__asm__ volatile("mov %0, %%db6" ::"r"(dr6));
		if ((info & VMX_INTR_TYPE_MASK) == VMX_INTR_TYPE_PRIV_SW)
			s->vp->rip += vmread(VMCS_EXIT_INSTRUCTION_LENGTH);
	}
}

static void translate_exit(struct vmx_vp *s, uint32_t reason)
{
	struct vm_exit *e = &s->vp->exit;
	uint64_t qual;

	e->hw_code = reason;
	e->next_rip = 0;
	switch (reason) {
	case VMX_EXIT_CPUID:
		e->reason = VM_EXIT_CPUID;
		break;
	case VMX_EXIT_VMCALL:
		e->reason = VM_EXIT_HYPERCALL;
		break;
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		e->reason = reason == VMX_EXIT_WRMSR ? VM_EXIT_MSR_WRITE : VM_EXIT_MSR_READ;
		e->msr.msr = (uint32_t)s->vp->gpr[GPR_RCX];
		break;
	case VMX_EXIT_EPT_VIOLATION:
		qual = vmread(VMCS_EXIT_QUALIFICATION);
		e->reason = VM_EXIT_GPA_FAULT;
		e->gpa_fault.gpa = vmread(VMCS_GUEST_PHYSICAL_ADDRESS);
		e->gpa_fault.access = (qual & 1 ? VM_ACCESS_READ : 0) | (qual & 2 ? VM_ACCESS_WRITE : 0) |
				      (qual & 4 ? VM_ACCESS_EXEC : 0);
		return;
	case VMX_EXIT_IO:
		/* Exit qualification (SDM Table 28-5). */
		qual = vmread(VMCS_EXIT_QUALIFICATION);
		e->reason = VM_EXIT_IO;
		e->io.size = (qual & 7) + 1;
		e->io.in = (qual >> 3) & 1;
		e->io.string = (qual >> 4) & 1;
		e->io.rep = (qual >> 5) & 1;
		e->io.port = qual >> 16;
		break;
	case VMX_EXIT_GETSEC:
	case VMX_EXIT_VMCLEAR ... VMX_EXIT_VMXON:
	case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID:
	case VMX_EXIT_VMFUNC:
		e->reason = VM_EXIT_VIRT_INSN;
		return;
	case VMX_EXIT_EXTERNAL_INTR:
	case VMX_EXIT_INIT_SIGNAL: /* an INIT (the parent drives the APICs): dropped */
		e->reason = VM_EXIT_EXTERNAL_INTR;
		return;
	case VMX_EXIT_PREEMPTION_TIMER:
		e->reason = VM_EXIT_SLICE_END;
		return;
	case VMX_EXIT_HLT:
		e->reason = VM_EXIT_HLT;
		break;
	case VMX_EXIT_PAUSE:
		e->reason = VM_EXIT_PAUSE;
		break;
	case VMX_EXIT_INVD: /* unconditional (SDM §25.1.2) */
		e->reason = VM_EXIT_INVD;
		break;
	case VMX_EXIT_XSETBV:
		e->reason = VM_EXIT_XSETBV;
		break;
	case VMX_EXIT_EXCEPTION_NMI:
		translate_exception(s, e);
		return;
	case VMX_EXIT_TRIPLE_FAULT:
		e->reason = VM_EXIT_SHUTDOWN;
		return;
	case VMX_EXIT_TASK_SWITCH:
		vmx_task_switch(s);
		e->reason = VM_EXIT_NONE;
		return;
	case VMX_EXIT_INTR_WINDOW:
	case VMX_EXIT_NMI_WINDOW:
		e->reason = VM_EXIT_NONE; /* vmx_deliver_nmi/_interrupt inject now */
		return;
	default:
		e->reason = (reason & VMX_EXIT_ENTRY_FAILURE) ? VM_EXIT_ENTRY_FAILED : VM_EXIT_UNHANDLED;
		return;
	}
	/* Instruction exits report the instruction's length (SDM §28.2.5). */
	e->next_rip = s->vp->rip + vmread(VMCS_EXIT_INSTRUCTION_LENGTH);
}

/*
 * A child's pending NMI (its APIC's nmi_pending): injected when no other
 * event is, and neither MOV SS, STI nor an NMI still being handled blocks
 * it; else an NMI-window exit comes when it can be (SDM §25.2, §26.3.1.5).
 * The CPU tracks the blocking of injected NMIs ("virtual NMIs"); without
 * that control NMIs stay pending.
 */
static void vmx_deliver_nmi(struct vmx_vp *s)
{
	uint64_t proc = vmread(VMCS_PROC_CONTROLS);

	if (!s->vp->lapic.nmi_pending || !vmx_virtual_nmis()) {
		if (proc & VMX_PROC_NMI_WINDOW)
			vmwrite(VMCS_PROC_CONTROLS, proc & ~VMX_PROC_NMI_WINDOW);
		return;
	}
	if (!(vmread(VMCS_ENTRY_INTR_INFO) & VMX_INTR_VALID) && !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & 0xb)) {
		vmwrite(VMCS_ENTRY_INTR_INFO, VMX_INTR_VALID | VMX_INTR_TYPE_NMI | X86_EXC_NMI);
		s->vp->lapic.nmi_pending = false;
		proc &= ~VMX_PROC_NMI_WINDOW;
	} else {
		proc |= VMX_PROC_NMI_WINDOW;
	}
	vmwrite(VMCS_PROC_CONTROLS, proc);
}

/* A child's pending external interrupt (vp->pending_vector): inject it if
 * the guest can take it now, else exit as soon as it can (SDM §26.2). */
static void vmx_deliver_interrupt(struct vmx_vp *s)
{
	uint64_t proc = vmread(VMCS_PROC_CONTROLS);

	if (!s->vp->pending_vector) {
		if (proc & VMX_PROC_INTR_WINDOW)
			vmwrite(VMCS_PROC_CONTROLS, proc & ~VMX_PROC_INTR_WINDOW);
		return;
	}
	if ((s->vp->pending_vector >> 4) <= s->tpr) {
		/* Masked by the task priority: a CR8 write (an exit) lowers it. */
		vmwrite(VMCS_PROC_CONTROLS, proc & ~VMX_PROC_INTR_WINDOW);
		return;
	}
	if (!(vmread(VMCS_ENTRY_INTR_INFO) & VMX_INTR_VALID) && (vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
	    !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3)) {
		vmwrite(VMCS_ENTRY_INTR_INFO, s->vp->pending_vector | VMX_INTR_VALID); /* type 0: external */
		vp_irq_injected(s->vp, s->vp->pending_vector);
		s->vp->pending_vector = 0;
		proc &= ~VMX_PROC_INTR_WINDOW;
	} else {
		proc |= VMX_PROC_INTR_WINDOW;
	}
	vmwrite(VMCS_PROC_CONTROLS, proc);
}

/* PAUSE exits as hv/ wants them for this turn (vp.pause_exits); the
 * controls are rewritten only when that changes. */
static void vmx_apply_pause_exits(struct vmx_vp *s)
{
	uint32_t field = caps.pause_proc2 ? VMCS_PROC_CONTROLS2 : VMCS_PROC_CONTROLS;
	uint64_t bits = caps.pause_proc2 | caps.pause_proc; /* at most one is set */

	if (!bits || s->pause_exits == s->vp->pause_exits)
		return;
	s->pause_exits = s->vp->pause_exits;
	vmwrite(field, s->pause_exits ? vmread(field) | bits : vmread(field) & ~bits);
}

int vmx_exit(struct vp *vp, struct vmx_vp *s)
{
	uint64_t exit_rip = vp->rip;
	int go_on;
	uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);
	uint32_t idt = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);

	/* An event whose delivery the exit interrupted is delivered again. */
	if (idt & VMX_INTR_VALID) {
		vmwrite(VMCS_ENTRY_INTR_INFO, idt & ~(1u << 12));
		if (idt & VMX_INTR_ERROR_VALID)
			vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, vmread(VMCS_IDT_VECTORING_ERROR));
	} else {
		vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	}
	if ((reason & 0xffff) == VMX_EXIT_CR_ACCESS && !(reason & VMX_EXIT_ENTRY_FAILURE)) {
		if (!emulate_cr_write(s, vmread(VMCS_EXIT_QUALIFICATION))) {
			partition_crash(vp->partition, "unsupported control-register write");
			return 0;
		}
		vp->stats.exits++;
		go_on = 1;
	} else {
		if (reason & VMX_EXIT_ENTRY_FAILURE)
			log_err("vmx: VM entry failed: exit reason %u, qualification %#lx", reason & 0xffff,
				vmread(VMCS_EXIT_QUALIFICATION));
		translate_exit(s, reason & VMX_EXIT_ENTRY_FAILURE ? reason : reason & 0xffff);
		go_on = vp_handle_exit(vp);
		if ((reason & 0xffff) == VMX_EXIT_PAUSE)
			vmx_apply_pause_exits(s);
	}
	if (go_on && !vp->partition->is_parent && tlb_exit_check(vp))
		vmx_invept(vmread(VMCS_EPT_POINTER)); /* its second-level tables changed: hv/tlb.h */
	if (go_on && !vp->partition->is_parent) {
		/* Past the instruction, STI / MOV SS blocking no longer applies. */
		if (vp->rip != exit_rip)
			vmwrite(VMCS_GUEST_INTERRUPTIBILITY, vmread(VMCS_GUEST_INTERRUPTIBILITY) & ~3ull);
		vp_irq_update(vp);
		if (vp->lapic.nmi_pending || (vmread(VMCS_PROC_CONTROLS) & VMX_PROC_NMI_WINDOW))
			vmx_deliver_nmi(s);
		vmx_deliver_interrupt(s);
		/* The preemption timer starts afresh at every entry and some
		 * CPUs (Bochs) take no external-interrupt exit while the guest
		 * has IF clear: a child that exits often ends its slice by the
		 * clock here. */
		go_on = !run_slice_over(vp);
	}
	return go_on;
}

static void vmx_run(struct vp *vp)
{
	struct vmx_vp *s = to_vmx(vp);

	uint64_t cur;

	/* Make its VMCS current (it stays so while the VP runs). */
	__asm__ volatile("vmptrst %0" : "=m"(cur)::"memory");
	if (cur != s->vmcs_pa)
		__asm__ volatile("vmptrld %0" ::"m"(s->vmcs_pa) : "cc", "memory");
	this_pcpu()->current = vp;
	if (s->own_msrs)
		for (unsigned i = 0; i < 5; i++)
			wrmsr(syscall_msr_numbers[i], s->syscall_msrs[i]);
	if (!vp->partition->is_parent) {
		/* Translations it left on this pCPU, or that an earlier user of
		 * its VPID and EPT root left, are gone before it runs. */
		vmx_invept(vmread(VMCS_EPT_POINTER));
		tlb_entry_flushed(vp);
		vmx_apply_pause_exits(s);
	}
	if (!vp->partition->is_parent && caps.preempt_shift < 64)
		vmwrite(VMCS_PREEMPTION_TIMER, run_slice_tsc() >> caps.preempt_shift);
	set_host_state(s);
	if (!vp->partition->is_parent) {
		vmx_deliver_nmi(s);
		vmx_deliver_interrupt(s);
	}
	vmx_vp_loop(vp);
}

static uint64_t guest_view(uint32_t real_field, uint32_t mask_field, uint64_t shadow)
{
	uint64_t mask = vmread(mask_field);

	return (vmread(real_field) & ~mask) | (shadow & mask);
}

static uint64_t get_reg_current(struct vp *vp, enum vp_reg reg)
{
	struct vmx_vp *s = to_vmx(vp);

	switch (reg) {
	case VP_REG_RIP: return vp->rip;
	case VP_REG_RSP: return vmread(VMCS_GUEST_RSP);
	case VP_REG_RFLAGS: return vmread(VMCS_GUEST_RFLAGS);
	/* The guest's view: host-owned bits from the shadow, the rest as
	 * the guest set them without an exit (SDM §25.3). */
	case VP_REG_CR0: return guest_view(VMCS_GUEST_CR0, VMCS_CR0_MASK, s->cr0_shadow);
	case VP_REG_CR3: return vmread(VMCS_GUEST_CR3);
	case VP_REG_CR4: return guest_view(VMCS_GUEST_CR4, VMCS_CR4_MASK, s->cr4_shadow);
	case VP_REG_EFER: return vmread(VMCS_GUEST_EFER);
	case VP_REG_CS_ATTR: return vmread(VMCS_GUEST_CS_AR);
	case VP_REG_CPL: return (vmread(VMCS_GUEST_SS_AR) >> 5) & 3;
	case VP_REG_TPR: return s->tpr;
	}
	return 0;
}

static void set_reg_current(struct vp *vp, enum vp_reg reg, uint64_t value)
{
	struct vmx_vp *s = to_vmx(vp);

	switch (reg) {
	case VP_REG_RIP: vp->rip = value; break;
	case VP_REG_RSP: vmwrite(VMCS_GUEST_RSP, value); break;
	case VP_REG_RFLAGS: vmwrite(VMCS_GUEST_RFLAGS, value | 2); break;
	case VP_REG_CR0:
		s->cr0_shadow = value;
		vmwrite(VMCS_CR0_SHADOW, value);
		vmwrite(VMCS_GUEST_CR0, cr0_actual(value));
		break;
	case VP_REG_CR3: vmwrite(VMCS_GUEST_CR3, value); break;
	case VP_REG_CR4:
		s->cr4_shadow = value;
		vmwrite(VMCS_CR4_SHADOW, value);
		vmwrite(VMCS_GUEST_CR4, cr4_actual(value));
		break;
	case VP_REG_EFER: set_efer(value); break;
	case VP_REG_CS_ATTR: vmwrite(VMCS_GUEST_CS_AR, value); break;
	case VP_REG_CPL: break; /* follows SS.DPL on VMX */
	case VP_REG_TPR: s->tpr = value & 0xf; break;
	}
}

static uint64_t vmx_get_reg(struct vp *vp, enum vp_reg reg)
{
	uint64_t prev = vmcs_enter(to_vmx(vp));
	uint64_t v = get_reg_current(vp, reg);

	vmcs_leave(to_vmx(vp), prev);
	return v;
}

static void vmx_set_reg(struct vp *vp, enum vp_reg reg, uint64_t value)
{
	uint64_t prev = vmcs_enter(to_vmx(vp));

	set_reg_current(vp, reg, value);
	vmcs_leave(to_vmx(vp), prev);
}

/* Segment fields: ES..TR at index*2 from each group's base; GDTR/IDTR
 * have only base and limit.  The TLFS attribute form is the VMX access-
 * rights form without bit 16 ("unusable"), which stands for 0 here. */
static void vmx_get_segment(struct vp *vp, enum vp_seg seg, struct vp_segment *out)
{
	uint64_t prev = vmcs_enter(to_vmx(vp));

	if (seg == VP_SEG_GDTR || seg == VP_SEG_IDTR) {
		bool g = seg == VP_SEG_GDTR;

		*out = (struct vp_segment){ vmread(g ? VMCS_GUEST_GDTR_BASE : VMCS_GUEST_IDTR_BASE),
					    (uint32_t)vmread(g ? VMCS_GUEST_GDTR_LIMIT : VMCS_GUEST_IDTR_LIMIT), 0, 0 };
	} else {
		uint32_t ar = (uint32_t)vmread(VMCS_GUEST_ES_AR + 2 * seg);

		*out = (struct vp_segment){ vmread(VMCS_GUEST_ES_BASE + 2 * seg),
					    (uint32_t)vmread(VMCS_GUEST_ES_LIMIT + 2 * seg),
					    (uint16_t)vmread(VMCS_GUEST_ES_SEL + 2 * seg),
					    (uint16_t)((ar & (1u << 16)) ? 0 : ar) };
	}
	vmcs_leave(to_vmx(vp), prev);
}

static void vmx_set_segment(struct vp *vp, enum vp_seg seg, const struct vp_segment *in)
{
	uint64_t prev = vmcs_enter(to_vmx(vp));

	if (seg == VP_SEG_GDTR || seg == VP_SEG_IDTR) {
		bool g = seg == VP_SEG_GDTR;

		vmwrite(g ? VMCS_GUEST_GDTR_BASE : VMCS_GUEST_IDTR_BASE, in->base);
		vmwrite(g ? VMCS_GUEST_GDTR_LIMIT : VMCS_GUEST_IDTR_LIMIT, in->limit);
	} else {
		vmwrite(VMCS_GUEST_ES_BASE + 2 * seg, in->base);
		vmwrite(VMCS_GUEST_ES_LIMIT + 2 * seg, in->limit);
		vmwrite(VMCS_GUEST_ES_SEL + 2 * seg, in->selector);
		vmwrite(VMCS_GUEST_ES_AR + 2 * seg, in->attributes ? in->attributes : 1u << 16);
	}
	vmcs_leave(to_vmx(vp), prev);
}

static void vmx_inject_exception(struct vp *vp, uint8_t vector, bool has_error, uint32_t error)
{
	uint64_t prev = vmcs_enter(to_vmx(vp));

	/* In real mode no exception pushes an error code (SDM §26.2.1.3). */
	if (!(vmread(VMCS_GUEST_CR0) & CR0_PE))
		has_error = false;
	vmwrite(VMCS_ENTRY_INTR_INFO,
		vector | VMX_INTR_TYPE_EXCEPTION | VMX_INTR_VALID | (has_error ? VMX_INTR_ERROR_VALID : 0));
	if (has_error)
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
	vmcs_leave(to_vmx(vp), prev);
}

/* The VMCS guest field of an MSR VM entry loads, 0 if none (FS/GS base:
 * the segment layout, SDM Appendix B). */
static uint32_t msr_vmcs_field(uint32_t msr)
{
	switch (msr) {
	case MSR_SYSENTER_CS: return VMCS_GUEST_SYSENTER_CS;
	case MSR_SYSENTER_ESP: return VMCS_GUEST_SYSENTER_ESP;
	case MSR_SYSENTER_EIP: return VMCS_GUEST_SYSENTER_EIP;
	case MSR_FS_BASE: return VMCS_GUEST_ES_BASE + 2 * VP_SEG_FS;
	case MSR_GS_BASE: return VMCS_GUEST_ES_BASE + 2 * VP_SEG_GS;
	case MSR_PAT: return VMCS_GUEST_PAT; /* loaded at entry, saved at exit */
	default: return 0;
	}
}

static int vmx_guest_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	struct vmx_vp *s = to_vmx(vp);
	int i = syscall_msr_index(msr);
	uint32_t field = msr_vmcs_field(msr);

	if (i >= 0 && s->own_msrs) {
		/* Called in the VP's own exit: its values are in the CPU. */
		if (write) {
			s->syscall_msrs[i] = *value;
			wrmsr(msr, *value);
		} else {
			*value = rdmsr(msr);
		}
		return 0;
	}
	if (field) {
		uint64_t prev = vmcs_enter(s);

		if (write)
			vmwrite(field, *value);
		else
			*value = vmread(field);
		vmcs_leave(s, prev);
		return 0;
	}
	if (msr == MSR_FEATURE_CONTROL) {
		/* VT-x is hidden: locked, with VMXON disabled. */
		if (write)
			return VCPU_MSR_FAULT;
		*value = FEATURE_CONTROL_LOCKED;
		return 0;
	}
	if (msr >= MSR_VMX_FIRST && msr <= MSR_VMX_LAST)
		return VCPU_MSR_FAULT; /* as on a CPU without VMX */
	if (msr == MSR_EFER) { /* reaches here from children only */
		const uint64_t writable = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;

		uint64_t efer = vmx_get_reg(vp, VP_REG_EFER);

		if (!write)
			*value = efer;
		else if (*value & ~writable)
			return VCPU_MSR_FAULT;
		else /* LMA is the CPU's to change (set_cr0) */
			vmx_set_reg(vp, VP_REG_EFER, (*value & ~EFER_LMA) | (efer & EFER_LMA));
		return 0;
	}
	return VCPU_MSR_UNKNOWN;
}

/* EPT entries (SDM §29.3.2): read/write/execute in bits 0-2, memory type
 * in bits 3-5 of leaves (write-back by default, uncacheable for device
 * memory), bit 7 for 2 MiB leaves. */
const struct pt_format vmx_ept_format = {
	.name = "ept",
	.present = 7ull,
	.read = 1ull << 0,
	.write = 1ull << 1,
	.exec = 1ull << 2,
	.nx = 0,
	.table_bits = 7ull,
	.leaf_bits = EPT_MEMTYPE_WB << 3,
	.cache_mask = 7ull << 3,
	.uc_bits = 0,
	.large = 1ull << 7,
	.hw_bits = (1ull << 8) | (1ull << 9), /* accessed, dirty (if enabled in the EPTP) */
	.addr_mask = 0x000ffffffffff000ull,
	.guest_physical = true,
};

static const uint8_t vmcall[] = { 0x0f, 0x01, 0xc1 };

const struct vcpu_ops vmx_vcpu_ops = {
	.name = "vmx",
	.probe = vmx_probe,
	.enable_cpu = vmx_enable_cpu,
	.slat_format = &vmx_ept_format,
	.vp_create = vmx_vp_create,
	.vp_destroy = vmx_vp_destroy,
	.set_slat_root = vmx_set_slat_root,
	.run = vmx_run,
	.get_reg = vmx_get_reg,
	.set_reg = vmx_set_reg,
	.get_segment = vmx_get_segment,
	.set_segment = vmx_set_segment,
	.inject_exception = vmx_inject_exception,
	.vp_unload = vmx_vp_unload,
	.flush_slat = vmx_flush_slat,
	.guest_msr = vmx_guest_msr,
	.msr_passthrough = vmx_msr_passthrough,
	.hypercall_insn = vmcall,
	.hypercall_insn_len = sizeof(vmcall),
	.backend_id = KEEL_BACKEND_VMX,
	.features = vmx_features,
};
