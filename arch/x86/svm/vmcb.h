/*
 * The Virtual Machine Control Block (AMD APM vol. 2, Appendix B): a 4 KiB
 * page with the control area at 0x000 and the state-save area at 0x400.
 */
#ifndef KEEL_ARCH_X86_SVM_VMCB_H
#define KEEL_ARCH_X86_SVM_VMCB_H

#include <stdint.h>

/* Intercept vector 3 (offset 0x0c), APM Table B-1. */
#define SVM_INTERCEPT_CR8_WRITE (1u << 24) /* intercept_cr: writes are bits 16-31 */
#define SVM_INTERCEPT_INTR      (1u << 0)
#define SVM_INTERCEPT_NMI       (1u << 1)
#define SVM_INTERCEPT_INIT      (1u << 3)
#define SVM_INTERCEPT_CPUID     (1u << 18)
#define SVM_INTERCEPT_IRET      (1u << 20)
#define SVM_INTERCEPT_INVD      (1u << 22)
#define SVM_INTERCEPT_PAUSE     (1u << 23)
#define SVM_INTERCEPT_HLT       (1u << 24)
#define SVM_INTERCEPT_INVLPGA   (1u << 26)
#define SVM_INTERCEPT_IOIO      (1u << 27)
#define SVM_INTERCEPT_MSR       (1u << 28)
#define SVM_INTERCEPT_SHUTDOWN  (1u << 31)
/* Intercept vector 4 (offset 0x10). */
#define SVM_INTERCEPT_VMRUN     (1u << 0)
#define SVM_INTERCEPT_VMMCALL   (1u << 1)
#define SVM_INTERCEPT_VMLOAD    (1u << 2)
#define SVM_INTERCEPT_VMSAVE    (1u << 3)
#define SVM_INTERCEPT_STGI      (1u << 4)
#define SVM_INTERCEPT_CLGI      (1u << 5)
#define SVM_INTERCEPT_SKINIT    (1u << 6)
#define SVM_INTERCEPT_XSETBV    (1u << 13)

/* VINTR (offset 0x60). */
#define SVM_V_TPR_MASK          0xfull
#define SVM_V_IRQ               (1ull << 8)
#define SVM_V_INTR_PRIO_SHIFT   16
#define SVM_V_IGN_TPR           (1ull << 20)
#define SVM_V_INTR_MASKING      (1ull << 24)
#define SVM_V_INTR_VECTOR_SHIFT 32

/* TLB_CONTROL (offset 0x5c). */
#define SVM_TLB_FLUSH_NOTHING   0
#define SVM_TLB_FLUSH_ALL       1
#define SVM_TLB_FLUSH_ASID      3

/* EVENTINJ (APM §15.20). */
#define SVM_EVENT_VALID         (1ull << 31)
#define SVM_EVENT_ERROR_VALID   (1ull << 11)
#define SVM_EVENT_TYPE_EXCEPTION (3ull << 8)
#define SVM_EVENT_TYPE_NMI      (2ull << 8)
#define SVM_EVENT_TYPE_MASK     (7ull << 8)

/* Exit codes (APM Appendix C). */
#define SVM_EXIT_CR8_WRITE 0x18
#define SVM_EXIT_EXCEPTION_BASE 0x40
#define SVM_EXIT_INTR      0x60
#define SVM_EXIT_NMI       0x61
#define SVM_EXIT_INIT      0x63
#define SVM_EXIT_VINTR     0x64
#define SVM_EXIT_CPUID     0x72
#define SVM_EXIT_IRET      0x74
#define SVM_EXIT_INVD      0x76
#define SVM_EXIT_PAUSE     0x77
#define SVM_EXIT_HLT       0x78
#define SVM_EXIT_INVLPGA   0x7a
#define SVM_EXIT_IOIO      0x7b
#define SVM_EXIT_MSR       0x7c
#define SVM_EXIT_SHUTDOWN  0x7f
#define SVM_EXIT_VMRUN     0x80
#define SVM_EXIT_VMMCALL   0x81
#define SVM_EXIT_VMLOAD    0x82
#define SVM_EXIT_VMSAVE    0x83
#define SVM_EXIT_STGI      0x84
#define SVM_EXIT_CLGI      0x85
#define SVM_EXIT_SKINIT    0x86
#define SVM_EXIT_XSETBV    0x8d
#define SVM_EXIT_NPF       0x400
#define SVM_EXIT_INVALID   ((uint64_t)-1)

struct vmcb_segment {
	uint16_t selector;
	uint16_t attrib;   /* type:4 S:1 DPL:2 P:1 AVL:1 L:1 DB:1 G:1 */
	uint32_t limit;
	uint64_t base;
};

struct vmcb {
	/* Control area. */
	uint32_t intercept_cr;        /* 0x000 */
	uint32_t intercept_dr;        /* 0x004 */
	uint32_t intercept_exceptions;/* 0x008 */
	uint32_t intercept_misc1;     /* 0x00c */
	uint32_t intercept_misc2;     /* 0x010 */
	uint8_t reserved_014[0x03c - 0x014];
	uint16_t pause_filter_threshold; /* 0x03c */
	uint16_t pause_filter_count;  /* 0x03e */
	uint64_t iopm_base_pa;        /* 0x040 */
	uint64_t msrpm_base_pa;       /* 0x048 */
	uint64_t tsc_offset;          /* 0x050 */
	uint32_t guest_asid;          /* 0x058 */
	uint8_t tlb_control;          /* 0x05c */
	uint8_t reserved_05d[3];
	uint64_t vintr;               /* 0x060 */
	uint64_t interrupt_shadow;    /* 0x068 */
	uint64_t exitcode;            /* 0x070 */
	uint64_t exitinfo1;           /* 0x078 */
	uint64_t exitinfo2;           /* 0x080 */
	uint64_t exitintinfo;         /* 0x088 */
	uint64_t np_control;          /* 0x090: bit 0 = nested paging */
	uint64_t avic_apic_bar;       /* 0x098 */
	uint64_t ghcb_pa;             /* 0x0a0 */
	uint64_t eventinj;            /* 0x0a8 */
	uint64_t n_cr3;               /* 0x0b0 */
	uint64_t lbr_virt;            /* 0x0b8 */
	uint32_t clean_bits;          /* 0x0c0 */
	uint32_t reserved_0c4;
	uint64_t next_rip;            /* 0x0c8 */
	uint8_t insn_bytes_fetched;   /* 0x0d0 */
	uint8_t insn_bytes[15];       /* 0x0d1 */
	uint8_t reserved_0e0[0x400 - 0x0e0];

	/* State-save area. */
	struct vmcb_segment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
	uint8_t reserved_4a0[0x4cb - 0x4a0];
	uint8_t cpl;                  /* 0x4cb */
	uint32_t reserved_4cc;
	uint64_t efer;                /* 0x4d0 */
	uint8_t reserved_4d8[0x548 - 0x4d8];
	uint64_t cr4;                 /* 0x548 */
	uint64_t cr3;                 /* 0x550 */
	uint64_t cr0;                 /* 0x558 */
	uint64_t dr7;                 /* 0x560 */
	uint64_t dr6;                 /* 0x568 */
	uint64_t rflags;              /* 0x570 */
	uint64_t rip;                 /* 0x578 */
	uint8_t reserved_580[0x5d8 - 0x580];
	uint64_t rsp;                 /* 0x5d8 */
	uint8_t reserved_5e0[0x5f8 - 0x5e0];
	uint64_t rax;                 /* 0x5f8 */
	uint64_t star;                /* 0x600 */
	uint64_t lstar;               /* 0x608 */
	uint64_t cstar;               /* 0x610 */
	uint64_t sfmask;              /* 0x618 */
	uint64_t kernel_gs_base;      /* 0x620 */
	uint64_t sysenter_cs;         /* 0x628 */
	uint64_t sysenter_esp;        /* 0x630 */
	uint64_t sysenter_eip;        /* 0x638 */
	uint64_t cr2;                 /* 0x640 */
	uint8_t reserved_648[0x668 - 0x648];
	uint64_t g_pat;               /* 0x668 */
	uint8_t reserved_670[0x1000 - 0x670];
};

_Static_assert(__builtin_offsetof(struct vmcb, iopm_base_pa) == 0x040, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, guest_asid) == 0x058, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, exitcode) == 0x070, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, eventinj) == 0x0a8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, next_rip) == 0x0c8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, es) == 0x400, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, tr) == 0x490, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, cpl) == 0x4cb, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, efer) == 0x4d0, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, cr4) == 0x548, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, rip) == 0x578, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, rsp) == 0x5d8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, rax) == 0x5f8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, cr2) == 0x640, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, g_pat) == 0x668, "VMCB layout");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

#endif
