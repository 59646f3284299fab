/*
 * Numbers and layouts from Hyper-V's Top-Level Functional Specification
 * (TLFS 6.0): CPUID leaves, synthetic MSRs, the hypercall control word and
 * status codes.  Shared by the hypervisor and its partitions.
 */
#ifndef KEEL_ABI_TLFS_H
#define KEEL_ABI_TLFS_H

#include <stdint.h>

/* CPUID leaves (TLFS §2.4). */
#define HV_CPUID_VENDOR_AND_MAX     0x40000000u
#define HV_CPUID_INTERFACE          0x40000001u /* EAX = "Hv#1" */
#define HV_CPUID_VERSION            0x40000002u
#define HV_CPUID_FEATURES           0x40000003u
#define HV_CPUID_ENLIGHTENMENTS     0x40000004u
#define HV_CPUID_LIMITS             0x40000005u
#define HV_CPUID_HARDWARE_FEATURES  0x40000006u
#define HV_CPUID_MAX_LEAF           HV_CPUID_HARDWARE_FEATURES
#define HV_INTERFACE_SIGNATURE      0x31237648u /* "Hv#1" */

/* 0x40000003 EAX: partition privileges, low half (TLFS §4.2.2). */
#define HV_ACCESS_VP_RUNTIME_MSR    (1u << 0)
#define HV_ACCESS_HYPERCALL_MSRS    (1u << 5)
#define HV_ACCESS_PARTITION_REFERENCE_COUNTER (1u << 1)
#define HV_ACCESS_SYNIC_REGS        (1u << 2)
#define HV_ACCESS_SYNTHETIC_TIMER_REGS (1u << 3)
#define HV_ACCESS_VP_INDEX          (1u << 6)
#define HV_ACCESS_PARTITION_REFERENCE_TSC (1u << 9)
#define HV_ACCESS_FREQUENCY_MSRS    (1u << 11)
/* 0x40000003 EDX: features (TLFS §2.4.4). */
#define HV_FEATURE_FREQUENCY_MSRS   (1u << 8)  /* EDX: TSC and APIC frequency MSRs */
#define HV_FEATURE_GUEST_CRASH_MSRS (1u << 10)
#define HV_FEATURE_STIMER_DIRECT_MODE (1u << 19) /* EDX: synthetic timers in direct mode */
/* 0x40000006 EAX. */
#define HV_HW_MSR_BITMAPS           (1u << 1)
#define HV_HW_SLAT                  (1u << 3)

/* Synthetic MSRs (TLFS §2.5, §3.13). */
#define HV_X64_MSR_GUEST_OS_ID      0x40000000u
#define HV_X64_MSR_HYPERCALL        0x40000001u
#define HV_X64_MSR_VP_INDEX         0x40000002u
/* TLFS "Virtual Processors", VP assist page: bit 0 enable, 63:12 GPA. */
#define HV_X64_MSR_VP_ASSIST_PAGE   0x40000073u
/* Overlay-page MSRs (reference TSC page, VP assist page): bit 0 enable,
 * 11:1 reserved, 63:12 the GPA of the page. */
#define HV_OVERLAY_ENABLE           (1ull << 0)
#define HV_OVERLAY_RESERVED         0xffeull
#define HV_OVERLAY_GPA_MASK         (~0xfffull)
#define HV_HYPERCALL_ENABLE         (1ull << 0)
#define HV_HYPERCALL_LOCKED         (1ull << 1)
#define HV_HYPERCALL_PAGE_MASK      (~0xfffull)

/* Guest crash MSRs (TLFS §2.5, "guest crash MSRs"): P0-P4 are the guest's
 * to fill; a write of CRASH_CTL with CRASH_NOTIFY reports the crash.  With
 * CRASH_MESSAGE as well, P3 is the GPA and P4 the length of a message. */
#define HV_X64_MSR_CRASH_P0         0x40000100u
#define HV_X64_MSR_CRASH_P4         0x40000104u
#define HV_X64_MSR_CRASH_CTL        0x40000105u
#define HV_CRASH_CTL_CRASH_NOTIFY   (1ull << 63)
#define HV_CRASH_CTL_CRASH_MESSAGE  (1ull << 62)

/* Hypercall control word in RCX (TLFS §3.7). */
#define HV_HYPERCALL_CODE(ctl)      ((uint16_t)((ctl) & 0xffff))
#define HV_HYPERCALL_FAST           (1ull << 16)
#define HV_HYPERCALL_VARHEAD_SHIFT  17
#define HV_HYPERCALL_VARHEAD_MASK   (0x3ffull << 17)
#define HV_HYPERCALL_REP_COUNT(ctl) (((ctl) >> 32) & 0xfff)
#define HV_HYPERCALL_REP_START(ctl) (((ctl) >> 48) & 0xfff)
/* Bits that must be zero: 27-31, 44-47, 60-63. */
#define HV_HYPERCALL_RSVD_MASK      0xf000f000f8000000ull
/* Result in RAX: status in bits 0-15, reps completed in 32-43. */
#define HV_HYPERCALL_RESULT(status, reps) ((uint64_t)(status) | ((uint64_t)(reps) << 32))

/* Status codes (TLFS Appendix B). */
#define HV_STATUS_SUCCESS                 0x0000
#define HV_STATUS_INVALID_HYPERCALL_CODE  0x0002
#define HV_STATUS_INVALID_HYPERCALL_INPUT 0x0003
#define HV_STATUS_INVALID_ALIGNMENT       0x0004
#define HV_STATUS_INVALID_PARAMETER       0x0005
#define HV_STATUS_ACCESS_DENIED           0x0006
#define HV_STATUS_INVALID_PARTITION_STATE 0x0007
#define HV_STATUS_OPERATION_DENIED        0x0008
#define HV_STATUS_INSUFFICIENT_MEMORY     0x000b
#define HV_STATUS_INVALID_PARTITION_ID    0x000d
#define HV_STATUS_INVALID_VP_INDEX        0x000e
#define HV_STATUS_INVALID_PORT_ID         0x0011
#define HV_STATUS_INVALID_CONNECTION_ID   0x0012
#define HV_STATUS_INSUFFICIENT_BUFFERS    0x0013
#define HV_STATUS_INVALID_VP_STATE        0x0015
#define HV_STATUS_INVALID_SYNIC_STATE     0x0018
#define HV_STATUS_INVALID_REGISTER_VALUE  0x0050

/* Hypercall codes Keel implements from the TLFS. */
#define HVCALL_NOTIFY_LONG_SPIN_WAIT      0x0008

#endif
