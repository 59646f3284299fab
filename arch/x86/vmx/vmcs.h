/*
 * VMCS field encodings and control bits used by Keel (Intel SDM vol. 3,
 * Appendix B and ch. 24-25), and inline VMREAD/VMWRITE.
 */
#ifndef KEEL_ARCH_X86_VMX_VMCS_H
#define KEEL_ARCH_X86_VMX_VMCS_H

#include <stdint.h>

enum vmcs_field {
	VMCS_VPID = 0x0000,
	VMCS_GUEST_ES_SEL = 0x0800, VMCS_GUEST_CS_SEL = 0x0802, VMCS_GUEST_SS_SEL = 0x0804,
	VMCS_GUEST_DS_SEL = 0x0806, VMCS_GUEST_FS_SEL = 0x0808, VMCS_GUEST_GS_SEL = 0x080a,
	VMCS_GUEST_LDTR_SEL = 0x080c, VMCS_GUEST_TR_SEL = 0x080e,
	VMCS_HOST_ES_SEL = 0x0c00, VMCS_HOST_CS_SEL = 0x0c02, VMCS_HOST_SS_SEL = 0x0c04,
	VMCS_HOST_DS_SEL = 0x0c06, VMCS_HOST_FS_SEL = 0x0c08, VMCS_HOST_GS_SEL = 0x0c0a,
	VMCS_HOST_TR_SEL = 0x0c0c,
	VMCS_MSR_BITMAP = 0x2004,
	VMCS_EPT_POINTER = 0x201a,
	VMCS_GUEST_PHYSICAL_ADDRESS = 0x2400,
	VMCS_LINK_POINTER = 0x2800,
	VMCS_GUEST_PAT = 0x2804,
	VMCS_GUEST_EFER = 0x2806,
	VMCS_GUEST_PDPTE0 = 0x280a, /* PDPTE1..3 follow at +2 */
	VMCS_HOST_PAT = 0x2c00,
	VMCS_HOST_EFER = 0x2c02,
	VMCS_PIN_CONTROLS = 0x4000,
	VMCS_PROC_CONTROLS = 0x4002,
	VMCS_EXCEPTION_BITMAP = 0x4004,
	VMCS_CR3_TARGET_COUNT = 0x400a,
	VMCS_EXIT_CONTROLS = 0x400c,
	VMCS_EXIT_MSR_STORE_COUNT = 0x400e,
	VMCS_EXIT_MSR_LOAD_COUNT = 0x4010,
	VMCS_ENTRY_CONTROLS = 0x4012,
	VMCS_ENTRY_MSR_LOAD_COUNT = 0x4014,
	VMCS_ENTRY_INTR_INFO = 0x4016,
	VMCS_ENTRY_EXCEPTION_ERROR = 0x4018,
	VMCS_PROC_CONTROLS2 = 0x401e,
	VMCS_PLE_GAP = 0x4020,
	VMCS_PLE_WINDOW = 0x4022,
	VMCS_INSTRUCTION_ERROR = 0x4400,
	VMCS_EXIT_REASON = 0x4402,
	VMCS_EXIT_INTR_INFO = 0x4404,
	VMCS_EXIT_INTR_ERROR = 0x4406,
	VMCS_IDT_VECTORING_INFO = 0x4408,
	VMCS_IDT_VECTORING_ERROR = 0x440a,
	VMCS_EXIT_INSTRUCTION_LENGTH = 0x440c,
	VMCS_GUEST_ES_LIMIT = 0x4800, /* ES..TR limits follow at +2 */
	VMCS_GUEST_GDTR_LIMIT = 0x4810, VMCS_GUEST_IDTR_LIMIT = 0x4812,
	VMCS_GUEST_ES_AR = 0x4814,    /* ES..TR access rights follow at +2 */
	VMCS_GUEST_CS_AR = 0x4816, VMCS_GUEST_SS_AR = 0x4818,
	VMCS_GUEST_INTERRUPTIBILITY = 0x4824, VMCS_GUEST_ACTIVITY = 0x4826,
	VMCS_GUEST_SYSENTER_CS = 0x482a,
	VMCS_PREEMPTION_TIMER = 0x482e,
	VMCS_HOST_SYSENTER_CS = 0x4c00,
	VMCS_CR0_MASK = 0x6000, VMCS_CR4_MASK = 0x6002,
	VMCS_CR0_SHADOW = 0x6004, VMCS_CR4_SHADOW = 0x6006,
	VMCS_EXIT_QUALIFICATION = 0x6400,
	VMCS_GUEST_CR0 = 0x6800, VMCS_GUEST_CR3 = 0x6802, VMCS_GUEST_CR4 = 0x6804,
	VMCS_GUEST_ES_BASE = 0x6806, /* ES..TR bases follow at +2 */
	VMCS_GUEST_GDTR_BASE = 0x6816, VMCS_GUEST_IDTR_BASE = 0x6818,
	VMCS_GUEST_DR7 = 0x681a, VMCS_GUEST_RSP = 0x681c, VMCS_GUEST_RIP = 0x681e,
	VMCS_GUEST_RFLAGS = 0x6820, VMCS_GUEST_PENDING_DEBUG = 0x6822,
	VMCS_GUEST_SYSENTER_ESP = 0x6824, VMCS_GUEST_SYSENTER_EIP = 0x6826,
	VMCS_HOST_CR0 = 0x6c00, VMCS_HOST_CR3 = 0x6c02, VMCS_HOST_CR4 = 0x6c04,
	VMCS_HOST_FS_BASE = 0x6c06, VMCS_HOST_GS_BASE = 0x6c08, VMCS_HOST_TR_BASE = 0x6c0a,
	VMCS_HOST_GDTR_BASE = 0x6c0c, VMCS_HOST_IDTR_BASE = 0x6c0e,
	VMCS_HOST_SYSENTER_ESP = 0x6c10, VMCS_HOST_SYSENTER_EIP = 0x6c12,
	VMCS_HOST_RSP = 0x6c14, VMCS_HOST_RIP = 0x6c16,
};

/* Pin-based controls (SDM Table 24-5). */
#define VMX_PIN_EXTERNAL_INTERRUPT (1u << 0)
#define VMX_PIN_NMI_EXITING        (1u << 3)
#define VMX_PIN_VIRTUAL_NMIS       (1u << 5)
#define VMX_PIN_PREEMPTION_TIMER   (1u << 6)
/* Primary processor-based controls (SDM Table 24-6). */
#define VMX_PROC_INTR_WINDOW      (1u << 2)
#define VMX_PROC_HLT_EXITING      (1u << 7)
#define VMX_PROC_CR8_LOAD_EXITING (1u << 19)
#define VMX_PROC_CR8_STORE_EXITING (1u << 20)
#define VMX_PROC_NMI_WINDOW       (1u << 22)
#define VMX_PROC_UNCONDITIONAL_IO (1u << 24)
#define VMX_PROC_USE_MSR_BITMAPS  (1u << 28)
#define VMX_PROC_PAUSE_EXITING    (1u << 30)
#define VMX_PROC_SECONDARY        (1u << 31)
/* Secondary processor-based controls (Table 24-7). */
#define VMX_PROC2_EPT             (1u << 1)
#define VMX_PROC2_RDTSCP          (1u << 3)
#define VMX_PROC2_VPID            (1u << 5)
#define VMX_PROC2_UNRESTRICTED    (1u << 7)
#define VMX_PROC2_PAUSE_LOOP      (1u << 10)
#define VMX_PROC2_INVPCID         (1u << 12)
#define VMX_PROC2_XSAVES          (1u << 20)
/* VM-exit controls (Table 24-13). */
#define VMX_EXIT_HOST_64BIT       (1u << 9)
#define VMX_EXIT_SAVE_PAT         (1u << 18)
#define VMX_EXIT_LOAD_PAT         (1u << 19)
#define VMX_EXIT_SAVE_EFER        (1u << 20)
#define VMX_EXIT_LOAD_EFER        (1u << 21)
/* VM-entry controls (Table 24-15). */
#define VMX_ENTRY_IA32E_GUEST     (1u << 9)
#define VMX_ENTRY_LOAD_PAT        (1u << 14)
#define VMX_ENTRY_LOAD_EFER       (1u << 15)

/* Basic exit reasons (Appendix C). */
#define VMX_EXIT_EXCEPTION_NMI     0
#define VMX_EXIT_EXTERNAL_INTR     1
#define VMX_EXIT_TRIPLE_FAULT      2
#define VMX_EXIT_INIT_SIGNAL       3
#define VMX_EXIT_INTR_WINDOW       7
#define VMX_EXIT_NMI_WINDOW        8
#define VMX_EXIT_TASK_SWITCH       9
#define VMX_EXIT_CPUID             10
#define VMX_EXIT_GETSEC            11
#define VMX_EXIT_HLT               12
#define VMX_EXIT_INVD              13
#define VMX_EXIT_VMCALL            18
#define VMX_EXIT_VMCLEAR           19
#define VMX_EXIT_VMXON             27
#define VMX_EXIT_CR_ACCESS         28
#define VMX_EXIT_IO                30
#define VMX_EXIT_RDMSR             31
#define VMX_EXIT_WRMSR             32
#define VMX_EXIT_INVALID_GUEST     33
#define VMX_EXIT_MSR_LOADING       34
#define VMX_EXIT_PAUSE             40
#define VMX_EXIT_EPT_VIOLATION     48
#define VMX_EXIT_EPT_MISCONFIG     49
#define VMX_EXIT_INVEPT            50
#define VMX_EXIT_INVVPID           53
#define VMX_EXIT_PREEMPTION_TIMER  52
#define VMX_EXIT_XSETBV            55
#define VMX_EXIT_VMFUNC            59
#define VMX_EXIT_ENTRY_FAILURE     (1u << 31)

/* Interruption information (VM entry / IDT vectoring, SDM §24.8.3). */
#define VMX_INTR_VALID            (1u << 31)
#define VMX_INTR_ERROR_VALID      (1u << 11)
#define VMX_INTR_TYPE_EXTERNAL    (0u << 8)
#define VMX_INTR_TYPE_EXCEPTION   (3u << 8)
#define VMX_INTR_TYPE_MASK        (7u << 8)
#define VMX_INTR_TYPE_PRIV_SW     (5u << 8)  /* INT1 (ICEBP) */
#define VMX_INTR_TYPE_NMI         (2u << 8)

static inline uint64_t vmread(enum vmcs_field f)
{
	uint64_t v;

	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"((uint64_t)f) : "cc");
	return v;
}

/* Returns 0, or -1 when the write failed (VMfail). */
static inline int vmwrite(enum vmcs_field f, uint64_t v)
{
	uint8_t fail;

	__asm__ volatile("vmwrite %2, %1; setna %0" : "=qm"(fail) : "r"((uint64_t)f), "r"(v) : "cc", "memory");
	return fail ? -1 : 0;
}

#endif
