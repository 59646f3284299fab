/*
 * AMD-V backend: per-CPU enable, VMCB setup, exit translation and register
 * access (AMD APM vol. 2 ch. 15).  Policy lives in hv/; this file only
 * speaks VMCB.
 */
#include "arch/x86/svm/svm.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/guest_mem.h"
#include "arch/x86/insn_len.h"
#include "hv/abi/keel_hypercall.h"
#include "hv/exit.h"
#include "hv/interrupt.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/partition.h"
#include "hv/pcpu.h"
#include "hv/run.h"
#include "hv/tlb.h"

#define MSR_VM_CR       0xc0010114u
#define MSR_VM_HSAVE_PA 0xc0010117u
#define VM_CR_R_INIT    (1ull << 1) /* INIT in host mode becomes #SX (APM §15.29) */
#define VM_CR_LOCK      (1ull << 3)
#define VM_CR_SVMDIS    (1ull << 4)

/* CPUID 0x8000000A EDX (APM vol. 3, E.4.9). */
#define SVM_FEATURE_NPT           (1u << 0)
#define SVM_FEATURE_NRIP          (1u << 3)
#define SVM_FEATURE_FLUSH_BY_ASID (1u << 6)
#define SVM_FEATURE_PAUSE_FILTER  (1u << 10)
#define SVM_FEATURE_PAUSE_THRESHOLD (1u << 12)
#define SVM_FEATURE_VGIF          (1u << 16)

/* A child's spin loop exits after this many PAUSEs (each PAUSE where the
 * CPU has no pause filter: QEMU), or fewer if they come closer together than
 * the threshold in cycles; the figures KVM uses. */
#define PAUSE_FILTER_COUNT     3000
#define PAUSE_FILTER_THRESHOLD 128

#define DR6_BS         (1ull << 14)
#define DR6_CAUSE_BITS 0x600full /* B0-B3, BD, BS */
#define RFLAGS_TF      (1ull << 8)

#define CS_ATTR_L (1u << 9)
#define CS_ATTR_D (1u << 10)

/* EFER bits a guest may set (SVME is hidden; APM vol. 2 §3.1.7). */
#define GUEST_EFER_MASK (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

static uint32_t svm_cpu_features; /* (i) CPUID 0x8000000A EDX, read at probe */

static bool svm_probe(void)
{
	struct cpuid_regs v = cpuid(0, 0);
	bool amd = (v.ebx == 0x68747541 && v.edx == 0x69746e65 && v.ecx == 0x444d4163) || /* AuthenticAMD */
		   (v.ebx == 0x6f677948 && v.edx == 0x6e65476e && v.ecx == 0x656e6975);   /* HygonGenuine */

	if (!amd || cpuid(0x80000000, 0).eax < 0x8000000a || !(cpuid(0x80000001, 0).ecx & (1u << 2)))
		return false;
	svm_cpu_features = cpuid(0x8000000a, 0).edx;
	if (!(svm_cpu_features & SVM_FEATURE_NPT)) {
		log_err("svm: the CPU has AMD-V without nested paging (NPT); Keel needs NPT");
		return false;
	}
	return true;
}

static uint32_t svm_features(void)
{
	uint32_t f = KEEL_FEATURE_NPT | KEEL_FEATURE_REAL_MODE;

	if (svm_cpu_features & SVM_FEATURE_NRIP)
		f |= KEEL_FEATURE_NRIP;
	if (svm_cpu_features & SVM_FEATURE_FLUSH_BY_ASID)
		f |= KEEL_FEATURE_FLUSH_BY_ASID;
	if (svm_cpu_features & SVM_FEATURE_VGIF)
		f |= KEEL_FEATURE_VGIF;
	return f;
}

static int svm_enable_cpu(void)
{
	struct arch_pcpu *a = &this_pcpu()->arch;

	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		log_err("svm: AMD-V is disabled by the firmware (VM_CR.SVMDIS)");
		return -1;
	}
	a->virt_area = frame_alloc(&hv_frames);
	a->host_state = frame_alloc(&hv_frames);
	if (!a->virt_area || !a->host_state)
		return -1;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, a->virt_area);
	/* An INIT (the parent drives the APICs) must not reset this pCPU. */
	if (!(rdmsr(MSR_VM_CR) & VM_CR_LOCK))
		wrmsr(MSR_VM_CR, rdmsr(MSR_VM_CR) | VM_CR_R_INIT);
	/* The host's FS/GS/TR/syscall state, reloaded after every exit. */
	__asm__ volatile("vmsave %%rax" ::"a"(a->host_state) : "memory");
	return 0;
}

/* Let reads and writes of one MSR reach the hardware (APM §15.11); MSRs
 * outside the map's three ranges always exit. */
static void svm_msr_passthrough(struct vp *vp, uint32_t msr)
{
	uint8_t *msrpm = phys_to_virt(to_svm(vp)->msrpm_pa);
	uint32_t offset;

	if (msr <= 0x1fff)
		offset = 0;
	else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
		offset = 0x800;
	else if (msr >= 0xc0010000u && msr <= 0xc0011fffu)
		offset = 0x1000;
	else
		return;
	msr &= 0x1fff;
	msrpm[offset + msr / 4] &= ~(3u << ((msr % 4) * 2));
}

static void set_segment(struct vmcb_segment *s, uint16_t sel, uint16_t attrib, uint32_t limit)
{
	*s = (struct vmcb_segment){ .selector = sel, .attrib = attrib, .limit = limit, .base = 0 };
}

static void svm_vp_destroy(struct vp *vp)
{
	struct svm_vp *s = to_svm(vp);

	frame_free(&hv_frames, s->iopm_pa, 3);
	frame_free(&hv_frames, s->msrpm_pa, 2);
	frame_free(&hv_frames, s->vmcb_pa, 1);
	frame_free(&hv_frames, (uint64_t)s, 1);
	vp->arch = NULL;
}

static int svm_vp_create(struct vp *vp, const struct vp_start *st)
{
	uint64_t self = frame_alloc(&hv_frames);
	struct partition *p = vp->partition;
	struct svm_vp *s;
	struct vmcb *v;

	_Static_assert(sizeof(struct svm_vp) <= 4096, "svm_vp fits a frame");
	if (!self)
		return -1;
	s = phys_to_virt(self);
	s->vmcb_pa = frame_alloc(&hv_frames);
	s->msrpm_pa = frame_alloc_contig(&hv_frames, 2, 1);
	s->iopm_pa = frame_alloc_contig(&hv_frames, 3, 1);
	if (!s->vmcb_pa || !s->msrpm_pa || !s->iopm_pa) {
		if (s->vmcb_pa)
			frame_free(&hv_frames, s->vmcb_pa, 1);
		if (s->msrpm_pa)
			frame_free(&hv_frames, s->msrpm_pa, 2);
		if (s->iopm_pa)
			frame_free(&hv_frames, s->iopm_pa, 3);
		frame_free(&hv_frames, self, 1);
		return -1;
	}
	s->vp = vp;
	vp->arch = s;
	s->vmcb = v = phys_to_virt(s->vmcb_pa);

	/* Every MSR exits until hv/ lets one through (vcpu_ops.msr_passthrough). */
	memset(phys_to_virt(s->msrpm_pa), 0xff, 2 * 4096);

	/* INVD would drop dirty cache lines of every partition (APM §15.9):
	 * always intercepted. */
	v->intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_MSR | SVM_INTERCEPT_SHUTDOWN |
			     SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_INIT | SVM_INTERCEPT_INVD;
	v->intercept_exceptions = (1u << X86_EXC_DB) | (1u << X86_EXC_AC) | (1u << X86_EXC_MC); /* hv/vm_exit.h */
	if (!p->is_parent) {
		/* Children: host interrupts, HLT and every port exit; the host's
		 * IF (not the guest's) masks physical interrupts (APM §15.21). */
		v->intercept_misc1 |= SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_HLT | SVM_INTERCEPT_IOIO;
		if (svm_cpu_features & SVM_FEATURE_PAUSE_FILTER)
			v->pause_filter_count = PAUSE_FILTER_COUNT;
		if (svm_cpu_features & SVM_FEATURE_PAUSE_THRESHOLD)
			v->pause_filter_threshold = PAUSE_FILTER_THRESHOLD;
		v->vintr = SVM_V_INTR_MASKING;
		memset(phys_to_virt(s->iopm_pa), 0xff, 3 * 4096);
	}
	v->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			     SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			     SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_XSETBV;
	v->iopm_base_pa = s->iopm_pa;
	v->msrpm_base_pa = s->msrpm_pa;
	v->guest_asid = p->id; /* nonzero: ASID 0 is the host's */
	v->tlb_control = SVM_TLB_FLUSH_ALL;
	v->np_control = 1;

	set_segment(&v->cs, 0x08, 0x029b, 0xffffffff); /* 64-bit code, DPL 0 */
	set_segment(&v->ds, 0x10, 0x0c93, 0xffffffff);
	v->es = v->ss = v->fs = v->gs = v->ds;
	set_segment(&v->tr, 0, 0x008b, 0x67);
	set_segment(&v->ldtr, 0, 0, 0);
	set_segment(&v->gdtr, 0, 0, 0);
	set_segment(&v->idtr, 0, 0, 0);
	v->cpl = 0;
	v->efer = st->efer | EFER_SVME;
	v->cr0 = st->cr0;
	v->cr3 = st->cr3;
	v->cr4 = st->cr4;
	v->rflags = st->rflags;
	v->rsp = st->rsp;
	v->dr6 = 0xffff0ff0;
	v->dr7 = 0x400;
	v->g_pat = st->pat;
	return 0;
}

static void svm_set_slat_root(struct vp *vp, uint64_t root)
{
	to_svm(vp)->vmcb->n_cr3 = root;
	to_svm(vp)->vmcb->tlb_control = SVM_TLB_FLUSH_ALL;
}

/* Opcode bytes of the instructions whose exits skip them. */
static const uint8_t op_cpuid[] = { 0x0f, 0xa2 };
static const uint8_t op_vmmcall[] = { 0x0f, 0x01, 0xd9 };
static const uint8_t op_rdmsr[] = { 0x0f, 0x32 };
static const uint8_t op_wrmsr[] = { 0x0f, 0x30 };
static const uint8_t op_hlt[] = { 0xf4 };
static const uint8_t op_pause[] = { 0xf3, 0x90 };
static const uint8_t op_invd[] = { 0x0f, 0x08 };
static const uint8_t op_xsetbv[] = { 0x0f, 0x01, 0xd1 };

/* Decode the instruction at la from guest memory (refilling the cache). */
static __attribute__((noinline)) int svm_decode_length(struct svm_vp *s, uint64_t la)
{
	struct vmcb *v = s->vmcb;
	struct guest_paging g = { v->cr0, v->cr3, v->cr4, v->efer };
	enum x86_cpu_mode mode = guest_cpu_mode(&g, v->cs.attrib & CS_ATTR_L, v->cs.attrib & CS_ATTR_D);

	return guest_insn_length(s->vp->partition, &s->fetch, &g, la, mode);
}

/* RIP after the exiting instruction whose opcode is `op`: from nRIP when
 * the CPU has it, else from the fetch cache or a decode of guest memory
 * (QEMU has no nRIP); 0 if it cannot be found. */
static inline uint64_t svm_next_rip(struct svm_vp *s, const uint8_t *op, unsigned op_len)
{
	struct vmcb *v = s->vmcb;
	bool long_mode;
	uint64_t la;
	int len;

	if (svm_cpu_features & SVM_FEATURE_NRIP)
		return v->next_rip;
	long_mode = (v->efer & EFER_LMA) && (v->cs.attrib & CS_ATTR_L);
	la = long_mode ? v->rip : (uint32_t)(v->cs.base + v->rip);
	len = guest_insn_cached(&s->fetch, v->cr3, la, op, op_len);
	if (!len)
		len = svm_decode_length(s, la);
	if (len <= 0)
		return 0;
	return long_mode ? v->rip + len : (uint32_t)(v->rip + len);
}

/*
 * MOV to CR8 while an interrupt waits for the task priority to drop
 * (svm_deliver_interrupt): decode it from guest memory (REX.R selects CR8
 * in 64-bit mode, a LOCK prefix is AMD's CR8 alias of CR0 elsewhere; the
 * ModRM r/m is the source register), apply it to V_TPR and step past it.
 * Bits 63:4 set are #GP (APM vol. 2 §3.1.5).
 */
static void svm_write_cr8(struct svm_vp *s, struct vmcb *v)
{
	struct guest_paging g = { v->cr0, v->cr3, v->cr4, v->efer };
	bool long_mode = (v->efer & EFER_LMA) && (v->cs.attrib & CS_ATTR_L), lock = false;
	uint64_t la = long_mode ? v->rip : (uint32_t)(v->cs.base + v->rip), value;
	uint8_t b[15], rex = 0;
	size_t n = guest_read_linear(s->vp->partition, &g, la, b, sizeof(b)), i = 0;
	unsigned cr, rm;

	while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0x2e || b[i] == 0x3e || b[i] == 0x26 ||
			 b[i] == 0x64 || b[i] == 0x65 || b[i] == 0x36 || b[i] == 0xf2 || b[i] == 0xf3 || b[i] == 0xf0))
		lock |= b[i++] == 0xf0;
	if (long_mode && i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 3 > n || b[i] != 0x0f || b[i + 1] != 0x22) {
		s->vp->exit.reason = VM_EXIT_UNHANDLED; /* rewritten under it: the partition crashes */
		return;
	}
	cr = ((b[i + 2] >> 3) & 7) | (rex & 4 ? 8 : 0) | (lock ? 8 : 0);
	rm = (b[i + 2] & 7) | (rex & 1 ? 8 : 0);
	value = rm == GPR_RSP ? v->rsp : s->vp->gpr[rm];
	if (!long_mode)
		value = (uint32_t)value;
	if (cr != 8 || (value >> 4)) {
		vcpu_inject_exception(s->vp, X86_EXC_GP, true, 0);
	} else {
		v->vintr = (v->vintr & ~SVM_V_TPR_MASK) | value;
		v->intercept_cr &= ~SVM_INTERCEPT_CR8_WRITE;
		s->vp->irq_recheck = true;
		s->vp->rip = long_mode ? v->rip + i + 3 : (uint32_t)(v->rip + i + 3);
	}
	s->vp->exit.reason = VM_EXIT_NONE;
}

/* Every exit but CPUID (svm_exit handles that one inline). */
/*
 * An NPF whose saved state is this pCPU's host state, stopped where the
 * host resumes after VMRUN (its VMSAVE): under QEMU TCG (qemu-svm, about
 * once in a few Linux boots, parent and children alike) the first fetch
 * of host code after an exit is sometimes translated through the guest's
 * nested tables, which raises a second #VMEXIT that overwrites the
 * guest's saved state (RIP, RSP, CR3, RAX: the host's) and its exit code.
 * The guest's real state is gone: its partition is crashed, with this
 * line in the log (tools/run-tests runs such a scenario again).  No
 * processor has been seen doing it; a guest that sets up this state on
 * purpose only crashes itself.
 */
static __attribute__((cold, noinline)) bool svm_host_state_fault(const struct svm_vp *s)
{
	extern const char svm_parent_vmsave_at[], svm_child_vmsave_at[];
	const struct vmcb *v = s->vmcb;
	bool parent = s->vp->partition->is_parent;

	if (v->cr3 != read_cr3() || v->rip != (uint64_t)(parent ? svm_parent_vmsave_at : svm_child_vmsave_at))
		return false;
	log_err("svm: partition %u VP %u on pCPU %u: the saved state is the hypervisor's own (rip %#lx rsp %#lx "
		"cr3 %#lx rax %#lx, VMCB %#lx): NPF %#lx info %#lx raised in host mode",
		s->vp->partition->id, s->vp->index, this_pcpu()->index, v->rip, v->rsp, v->cr3, v->rax, s->vmcb_pa,
		v->exitinfo2, v->exitinfo1);
	partition_crash(s->vp->partition, "its state was replaced by the host's at an exit");
	return true;
}

/*
 * The parent touched the hypervisor's memory (refused by hv/partition.c):
 * its full state, for the first few times, to tell a wild parent from
 * corrupted guest state.
 */
static __attribute__((cold, noinline)) void svm_dump_parent_fault(const struct svm_vp *s)
{
	static unsigned reported;
	const struct vmcb *v = s->vmcb;

	if (__atomic_fetch_add(&reported, 1, __ATOMIC_RELAXED) >= 3)
		return;
	log_err("svm: parent VP %u on pCPU %u, VMCB %#lx: NPF %#lx info %#lx rip %#lx rsp %#lx cr3 %#lx "
		"(host %#lx) cr0 %#lx cr4 %#lx efer %#lx cs %#x/%#x ss %#x intinfo %#lx",
		s->vp->index, this_pcpu()->index, s->vmcb_pa, v->exitinfo2, v->exitinfo1, v->rip, v->rsp, v->cr3,
		read_cr3(), v->cr0, v->cr4, v->efer, v->cs.selector, v->cs.attrib, v->ss.selector, v->exitintinfo);
}

static __attribute__((noinline)) void translate_exit(struct svm_vp *s, const struct vmcb *v)
{
	struct vp *vp = s->vp;
	struct vm_exit *e = &vp->exit;

	e->hw_code = (uint32_t)v->exitcode;
	e->next_rip = 0;
	switch (v->exitcode) {
	case SVM_EXIT_VMMCALL:
		e->reason = VM_EXIT_HYPERCALL;
		e->next_rip = svm_next_rip(s, op_vmmcall, sizeof(op_vmmcall));
		break;
	case SVM_EXIT_MSR:
		e->reason = v->exitinfo1 ? VM_EXIT_MSR_WRITE : VM_EXIT_MSR_READ;
		e->msr.msr = (uint32_t)vp->gpr[GPR_RCX];
		e->next_rip = svm_next_rip(s, v->exitinfo1 ? op_wrmsr : op_rdmsr, 2);
		break;
	case SVM_EXIT_NPF:
		/* EXITINFO1 is a page-fault error code (APM §15.25.6). */
		e->reason = VM_EXIT_GPA_FAULT;
		e->gpa_fault.gpa = v->exitinfo2;
		e->gpa_fault.access = (v->exitinfo1 & 2 ? VM_ACCESS_WRITE : VM_ACCESS_READ) |
				      (v->exitinfo1 & 16 ? VM_ACCESS_EXEC : 0);
		if (__builtin_expect(v->cr3 == read_cr3(), 0) && svm_host_state_fault(s))
			e->reason = VM_EXIT_NONE;
		else if (s->vp->partition->is_parent && hv_owns(v->exitinfo2 & ~0xfffull, 4096))
			svm_dump_parent_fault(s);
		break;
	case SVM_EXIT_IOIO:
		/* EXITINFO1 (APM §15.10.2): port 31:16, SZ32/16/8 6:4, REP 3, STR 2, IN 0. */
		e->reason = VM_EXIT_IO;
		e->io.port = v->exitinfo1 >> 16;
		e->io.size = (v->exitinfo1 >> 4) & 7;
		e->io.in = v->exitinfo1 & 1;
		e->io.string = (v->exitinfo1 >> 2) & 1;
		e->io.rep = (v->exitinfo1 >> 3) & 1;
		e->next_rip = v->exitinfo2;
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		e->reason = VM_EXIT_VIRT_INSN;
		break;
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_INIT: /* held until GIF is set, then #SX in the host (R_INIT) */
		e->reason = VM_EXIT_EXTERNAL_INTR;
		break;
	case SVM_EXIT_HLT:
		e->reason = VM_EXIT_HLT;
		e->next_rip = svm_next_rip(s, op_hlt, sizeof(op_hlt));
		break;
	case SVM_EXIT_PAUSE:
		e->reason = VM_EXIT_PAUSE;
		e->next_rip = svm_next_rip(s, op_pause, sizeof(op_pause));
		break;
	case SVM_EXIT_INVD:
		e->reason = VM_EXIT_INVD;
		e->next_rip = svm_next_rip(s, op_invd, sizeof(op_invd));
		break;
	case SVM_EXIT_SHUTDOWN:
		e->reason = VM_EXIT_SHUTDOWN;
		break;
	case SVM_EXIT_EXCEPTION_BASE + X86_EXC_DB:
	case SVM_EXIT_EXCEPTION_BASE + X86_EXC_AC:
	case SVM_EXIT_EXCEPTION_BASE + X86_EXC_MC:
		/* #AC's error code is 0; #DB has none (APM §15.12).  The CPU
		 * leaves #DB's cause in the VMCB's DR6; an implementation that
		 * does not (Bochs 2.7) gets BS for a single step. */
		e->reason = VM_EXIT_EXCEPTION;
		e->exception.vector = (uint8_t)(v->exitcode - SVM_EXIT_EXCEPTION_BASE);
		if (e->exception.vector == X86_EXC_DB && !(v->dr6 & DR6_CAUSE_BITS) && (v->rflags & RFLAGS_TF))
			s->vmcb->dr6 |= DR6_BS;
		e->exception.has_error = e->exception.vector == X86_EXC_AC;
		e->exception.error = 0;
		break;
	case SVM_EXIT_CR8_WRITE:
		svm_write_cr8(s, (struct vmcb *)v);
		break;
	case SVM_EXIT_XSETBV:
		e->reason = VM_EXIT_XSETBV;
		e->next_rip = svm_next_rip(s, op_xsetbv, sizeof(op_xsetbv));
		break;
	case SVM_EXIT_IRET:
		/* The handler of the NMI Keel injected ends: NMIs may come again
		 * (the IRET itself runs when the guest resumes). */
		s->vp->nmi_blocked = false;
		s->vmcb->intercept_misc1 &= ~SVM_INTERCEPT_IRET;
		e->reason = VM_EXIT_NONE;
		break;
	case SVM_EXIT_INVALID:
		e->reason = VM_EXIT_ENTRY_FAILED;
		break;
	default:
		e->reason = VM_EXIT_UNHANDLED;
		break;
	}
}

/*
 * A child's pending external interrupt (vp.pending_vector): injected as an
 * event when the guest can take it now (IF set, no interrupt shadow, its
 * priority class above the guest's V_TPR, which CR8 writes set), else left
 * in the VMCB's virtual interrupt with that priority, which the CPU
 * delivers once IF and V_TPR allow (APM §15.21.4).  Bochs delivers no
 * virtual interrupt; there the event injection at a later exit does it.
 */
static void svm_deliver_interrupt(struct svm_vp *s)
{
	struct vmcb *v = s->vmcb;
	uint8_t vector = s->vp->pending_vector;

	if ((vector >> 4) <= (v->vintr & SVM_V_TPR_MASK)) {
		/* Held by the task priority.  No virtual interrupt (CPUs differ
		 * on an equal class: QEMU takes it): the guest's CR8 write that
		 * lowers it exits instead (svm_write_cr8), as an x2APIC TPR
		 * write does. */
		v->intercept_cr |= SVM_INTERCEPT_CR8_WRITE;
		return;
	}
	v->intercept_cr &= ~SVM_INTERCEPT_CR8_WRITE;
	if (!(v->eventinj & SVM_EVENT_VALID) && (v->rflags & RFLAGS_IF) && !(v->interrupt_shadow & 1) &&
	    (vector >> 4) > (v->vintr & SVM_V_TPR_MASK)) {
		v->eventinj = vector | SVM_EVENT_VALID; /* type 0: external interrupt */
		vp_irq_injected(s->vp, vector);
		s->vp->pending_vector = 0;
		return;
	}
	v->vintr = (v->vintr & (SVM_V_INTR_MASKING | SVM_V_TPR_MASK)) | SVM_V_IRQ |
		   ((uint64_t)(vector >> 4) << SVM_V_INTR_PRIO_SHIFT) | ((uint64_t)vector << SVM_V_INTR_VECTOR_SHIFT);
	s->virq_armed = true;
	s->virq_vector = vector;
}

/*
 * A child's pending NMI (its APIC's nmi_pending): injected when no other
 * event is being delivered, no interrupt shadow holds it and no NMI Keel
 * injected is still being handled.  SVM keeps no NMI blocking for injected
 * NMIs, so Keel does (vp.nmi_blocked) and intercepts IRET to end it.  A
 * held NMI waits for the next exit.
 */
static void svm_deliver_nmi(struct svm_vp *s)
{
	struct vmcb *v = s->vmcb;

	if (!s->vp->lapic.nmi_pending || s->vp->nmi_blocked || (v->eventinj & SVM_EVENT_VALID) ||
	    (v->interrupt_shadow & 1))
		return;
	v->eventinj = SVM_EVENT_VALID | SVM_EVENT_TYPE_NMI | X86_EXC_NMI;
	v->intercept_misc1 |= SVM_INTERCEPT_IRET;
	s->vp->lapic.nmi_pending = false;
	s->vp->nmi_blocked = true;
}

/* At an exit: a virtual interrupt the guest took is reported to its APIC;
 * one it did not take is withdrawn (offered anew after the exit). */
static inline void svm_collect_interrupt(struct svm_vp *s)
{
	struct vmcb *v = s->vmcb;

	if (!s->virq_armed)
		return;
	s->virq_armed = false;
	if (v->vintr & SVM_V_IRQ) {
		v->vintr &= ~SVM_V_IRQ;
		s->vp->irq_recheck = true; /* withdrawn: offered again */
	} else
		vp_irq_injected(s->vp, s->virq_vector);
	s->vp->pending_vector = 0;
}

/* Translate the exit (CPUID inline: the hot one) and run the policy. */
static inline int svm_handle(struct vp *vp, struct svm_vp *s, struct vmcb *v)
{
	if (v->exitcode == SVM_EXIT_CPUID) {
		vp->exit.hw_code = SVM_EXIT_CPUID;
		vp->exit.reason = VM_EXIT_CPUID;
		vp->exit.next_rip = svm_next_rip(s, op_cpuid, sizeof(op_cpuid));
	} else {
		translate_exit(s, v);
	}
	return vp_handle_exit(vp);
}

/* The exit handlers svm_run.S calls: the parent's, and a child's, which
 * also looks after its virtual interrupt and its time slice. */
/*
 * An event whose delivery an exit interrupted, to deliver again.  An
 * "exception" with a vector above 31 cannot be one (APM §15.20): QEMU
 * records an external interrupt it was delivering that way; it goes back
 * as the external interrupt it was.
 */
static __attribute__((noinline)) uint64_t svm_redeliver(uint64_t info)
{
	if ((info & SVM_EVENT_TYPE_MASK) == SVM_EVENT_TYPE_EXCEPTION && (info & 0xff) >= 32)
		info &= ~(SVM_EVENT_TYPE_MASK | SVM_EVENT_ERROR_VALID);
	return info;
}

/* PAUSE exits as hv/ wants them for this turn (vp.pause_exits). */
static inline void svm_apply_pause_exits(struct svm_vp *s)
{
	if (s->vp->pause_exits)
		s->vmcb->intercept_misc1 |= SVM_INTERCEPT_PAUSE;
	else
		s->vmcb->intercept_misc1 &= ~SVM_INTERCEPT_PAUSE;
}

static inline void svm_exit_common(struct vmcb *v)
{
	v->tlb_control = SVM_TLB_FLUSH_NOTHING;
	v->eventinj = (v->exitintinfo & SVM_EVENT_VALID) ? svm_redeliver(v->exitintinfo) : 0;
}

int svm_exit_child(struct vp *vp, struct svm_vp *s)
{
	struct vmcb *v = s->vmcb;
	uint64_t exit_rip = vp->rip;
	int go_on;

	svm_exit_common(v);
	svm_collect_interrupt(s);
	go_on = svm_handle(vp, s, v);
	if (v->exitcode == SVM_EXIT_PAUSE)
		svm_apply_pause_exits(s);
	if (vp->rip != exit_rip)
		v->interrupt_shadow &= ~1ull; /* past the instruction that had it */
	if (go_on) {
		vp_irq_update(vp);
		if (vp->lapic.nmi_pending)
			svm_deliver_nmi(s);
		if (vp->pending_vector)
			svm_deliver_interrupt(s);
	}
	if (go_on && tlb_exit_check(vp)) /* its second-level tables changed: hv/tlb.h */
		v->tlb_control = (svm_cpu_features & SVM_FEATURE_FLUSH_BY_ASID) ? SVM_TLB_FLUSH_ASID : SVM_TLB_FLUSH_ALL;
	/* A slice that ended while the guest ran with IF clear (Bochs takes no
	 * INTR exit then) ends at its next exit of any kind. */
	return go_on && !run_slice_over(vp);
}

int svm_exit(struct vp *vp, struct svm_vp *s)
{
	struct vmcb *v = s->vmcb;

	svm_exit_common(v);
	return svm_handle(vp, s, v);
}

static void svm_run(struct vp *vp)
{
	struct svm_vp *s = to_svm(vp);

	s->host_state_pa = this_pcpu()->arch.host_state;
	if (vp->partition->is_parent) {
		svm_vp_loop(vp);
	} else {
		/* It may have run elsewhere, or its tables changed meanwhile. */
		s->vmcb->tlb_control = (svm_cpu_features & SVM_FEATURE_FLUSH_BY_ASID) ? SVM_TLB_FLUSH_ASID
										   : SVM_TLB_FLUSH_ALL;
		tlb_entry_flushed(vp);
		svm_apply_pause_exits(s);
		svm_deliver_nmi(s);
		if (vp->pending_vector)
			svm_deliver_interrupt(s);
		svm_vp_loop_child(vp);
	}
}

static uint64_t svm_get_reg(struct vp *vp, enum vp_reg reg)
{
	const struct vmcb *v = to_svm(vp)->vmcb;

	switch (reg) {
	case VP_REG_RIP: return vp->rip;
	case VP_REG_RSP: return v->rsp;
	case VP_REG_RFLAGS: return v->rflags;
	case VP_REG_CR0: return v->cr0;
	case VP_REG_CR3: return v->cr3;
	case VP_REG_CR4: return v->cr4;
	case VP_REG_EFER: return v->efer & ~EFER_SVME;
	case VP_REG_CS_ATTR: return v->cs.attrib;
	case VP_REG_CPL: return v->cpl;
	case VP_REG_TPR: return v->vintr & SVM_V_TPR_MASK;
	}
	return 0;
}

static void svm_set_reg(struct vp *vp, enum vp_reg reg, uint64_t value)
{
	struct vmcb *v = to_svm(vp)->vmcb;

	switch (reg) {
	case VP_REG_RIP: vp->rip = value; break;
	case VP_REG_RSP: v->rsp = value; break;
	case VP_REG_RFLAGS: v->rflags = value | 2; break;
	case VP_REG_CR0: v->cr0 = value; break;
	case VP_REG_CR3: v->cr3 = value; break;
	case VP_REG_CR4: v->cr4 = value; break;
	case VP_REG_EFER: v->efer = value | EFER_SVME; break;
	case VP_REG_CS_ATTR: v->cs.attrib = (uint16_t)value; break;
	case VP_REG_CPL: v->cpl = (uint8_t)value; break;
	case VP_REG_TPR: v->vintr = (v->vintr & ~SVM_V_TPR_MASK) | (value & SVM_V_TPR_MASK); break;
	}
}

static struct vmcb_segment *svm_segment(struct vmcb *v, enum vp_seg seg)
{
	switch (seg) {
	case VP_SEG_ES: return &v->es;
	case VP_SEG_CS: return &v->cs;
	case VP_SEG_SS: return &v->ss;
	case VP_SEG_DS: return &v->ds;
	case VP_SEG_FS: return &v->fs;
	case VP_SEG_GS: return &v->gs;
	case VP_SEG_LDTR: return &v->ldtr;
	case VP_SEG_TR: return &v->tr;
	case VP_SEG_GDTR: return &v->gdtr;
	default: return &v->idtr;
	}
}

/* The VMCB packs descriptor bits 52-55 into attribute bits 8-11 (APM
 * §15.5.1); the TLFS form keeps them in 12-15. */
static void svm_get_segment(struct vp *vp, enum vp_seg seg, struct vp_segment *out)
{
	const struct vmcb_segment *s = svm_segment(to_svm(vp)->vmcb, seg);

	*out = (struct vp_segment){ s->base, s->limit, s->selector,
				    (uint16_t)((s->attrib & 0xff) | ((s->attrib & 0xf00) << 4)) };
}

static void svm_set_segment(struct vp *vp, enum vp_seg seg, const struct vp_segment *in)
{
	struct vmcb *v = to_svm(vp)->vmcb;
	struct vmcb_segment *s = svm_segment(v, seg);

	s->base = in->base;
	s->limit = in->limit;
	s->selector = in->selector;
	s->attrib = (uint16_t)((in->attributes & 0xff) | ((in->attributes >> 4) & 0xf00));
	if (seg == VP_SEG_SS)
		v->cpl = (in->attributes >> 5) & 3; /* CPL is SS.DPL */
}

static void svm_inject_exception(struct vp *vp, uint8_t vector, bool has_error, uint32_t error)
{
	to_svm(vp)->vmcb->eventinj = vector | SVM_EVENT_TYPE_EXCEPTION | SVM_EVENT_VALID |
				     (has_error ? SVM_EVENT_ERROR_VALID | (uint64_t)error << 32 : 0);
}

static void svm_vp_unload(struct vp *vp)
{
	/* Nothing ties a VMCB to a pCPU: svm_run flushes the child's ASID. */
}

static void svm_flush_slat(struct vp *vp)
{
	to_svm(vp)->fetch.page = NULL;
	to_svm(vp)->vmcb->tlb_control = (svm_cpu_features & SVM_FEATURE_FLUSH_BY_ASID)
						? SVM_TLB_FLUSH_ASID
						: SVM_TLB_FLUSH_ALL;
}

/* The VMCB field VMLOAD/VMSAVE (or VMRUN) switch for this MSR, if any. */
static uint64_t *svm_msr_field(struct vmcb *v, uint32_t msr)
{
	switch (msr) {
	case MSR_STAR: return &v->star;
	case MSR_LSTAR: return &v->lstar;
	case MSR_CSTAR: return &v->cstar;
	case MSR_SFMASK: return &v->sfmask;
	case MSR_KERNEL_GS_BASE: return &v->kernel_gs_base;
	case MSR_SYSENTER_CS: return &v->sysenter_cs;
	case MSR_SYSENTER_ESP: return &v->sysenter_esp;
	case MSR_SYSENTER_EIP: return &v->sysenter_eip;
	case MSR_FS_BASE: return &v->fs.base;
	case MSR_GS_BASE: return &v->gs.base;
	/* With nested paging the guest's PAT (APM §15.25.8). */
	case MSR_PAT: return &v->g_pat;
	default: return NULL;
	}
}

static int svm_guest_msr(struct vp *vp, uint32_t msr, bool write, uint64_t *value)
{
	struct vmcb *v = to_svm(vp)->vmcb;
	uint64_t *field = svm_msr_field(v, msr);

	if (field) {
		if (write)
			*field = *value;
		else
			*value = *field;
		return 0;
	}
	switch (msr) {
	case MSR_EFER:
		if (!write) {
			*value = v->efer & ~EFER_SVME;
			return 0;
		}
		if (*value & ~GUEST_EFER_MASK)
			return VCPU_MSR_FAULT;
		v->efer = *value | EFER_SVME;
		return 0;
	case MSR_VM_CR:
		/* SVM is hidden: report it disabled and locked. */
		if (write)
			return VCPU_MSR_FAULT;
		*value = VM_CR_LOCK | VM_CR_SVMDIS;
		return 0;
	case MSR_VM_HSAVE_PA:
		if (write)
			return VCPU_MSR_FAULT;
		*value = 0;
		return 0;
	default:
		return VCPU_MSR_UNKNOWN;
	}
}

/* NPT uses the x86-64 entry format; every access is a user access, so
 * every entry carries U/S (APM §15.25.5). */
const struct pt_format svm_npt_format = {
	.name = "npt",
	.present = 1ull << 0,
	.read = 1ull << 0,
	.write = 1ull << 1,
	.exec = 0,
	.nx = 1ull << 63,
	.table_bits = (1ull << 0) | (1ull << 1) | (1ull << 2),
	.leaf_bits = 1ull << 2,
	.large = 1ull << 7,
	.hw_bits = (1ull << 5) | (1ull << 6), /* accessed, dirty */
	.addr_mask = 0x000ffffffffff000ull,
	.guest_physical = true,
};

static const uint8_t vmmcall[] = { 0x0f, 0x01, 0xd9 };

const struct vcpu_ops svm_vcpu_ops = {
	.name = "svm",
	.probe = svm_probe,
	.enable_cpu = svm_enable_cpu,
	.slat_format = &svm_npt_format,
	.vp_create = svm_vp_create,
	.vp_destroy = svm_vp_destroy,
	.set_slat_root = svm_set_slat_root,
	.run = svm_run,
	.get_reg = svm_get_reg,
	.set_reg = svm_set_reg,
	.get_segment = svm_get_segment,
	.set_segment = svm_set_segment,
	.inject_exception = svm_inject_exception,
	.vp_unload = svm_vp_unload,
	.flush_slat = svm_flush_slat,
	.guest_msr = svm_guest_msr,
	.msr_passthrough = svm_msr_passthrough,
	.hypercall_insn = vmmcall,
	.hypercall_insn_len = sizeof(vmmcall),
	.backend_id = KEEL_BACKEND_SVM,
	.features = svm_features,
};
