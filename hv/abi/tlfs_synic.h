/*
 * TLFS synthetic interrupt controller (SynIC), synthetic timers and the
 * partition reference time, plus the message formats the hypervisor delivers
 * through the SynIC: timer expirations and the x64 intercept messages a
 * parent receives on SINT0 for its children.
 *
 * Source: the TLFS in MicrosoftDocs/Virtualization-Documentation,
 * virtualization/hyper-v-on-windows/tlfs ("TLFS <page>" below).  The
 * published TLFS has no intercept-message layouts; those follow the 2008
 * HvGdk.h ("WDK") and Linux include/hyperv (mshv), which agree except where
 * noted.  Nothing here is packed: natural alignment gives the documented
 * offsets, and the _Static_asserts check every size.
 */
#ifndef KEEL_ABI_TLFS_SYNIC_H
#define KEEL_ABI_TLFS_SYNIC_H

#include <stdint.h>

#include "hv/abi/tlfs_partition.h"

/* TLFS "Inter-Partition Communication", SynIC Registers (x64 MSRs). */
#define HV_X64_MSR_SCONTROL         0x40000080u
#define HV_X64_MSR_SVERSION         0x40000081u
#define HV_X64_MSR_SIEFP            0x40000082u
#define HV_X64_MSR_SIMP             0x40000083u
#define HV_X64_MSR_EOM              0x40000084u
#define HV_X64_MSR_SIRBP            0x40000085u /* Linux only; no x64 MSR in the TLFS */
#define HV_X64_MSR_SINT0            0x40000090u
#define HV_X64_MSR_SINT15           0x4000009fu
#define HV_X64_MSR_SINT(n)          (HV_X64_MSR_SINT0 + (uint32_t)(n))

#define HV_SYNIC_SINT_COUNT         16
#define HV_SYNIC_VERSION_1          0x1u        /* SVERSION bits 31:0 */
#define HV_SYNIC_INTERCEPTION_SINT  0           /* intercept messages (WDK, Linux) */

/* SCONTROL: bit 0 enables message and event delivery to this VP; 63:1 preserved. */
#define HV_SYNIC_SCONTROL_ENABLE    (1ull << 0)

/* SIEFP / SIMP: bit 0 enable, 11:1 preserved, 63:12 GPA of the page. */
#define HV_SYNIC_PAGE_ENABLE        (1ull << 0)
#define HV_SYNIC_PAGE_GPA_MASK      0xfffffffffffff000ull

/* SINTx: vector 7:0 (16..255 legal), 16 masked, 17 auto-EOI, 18 polling. */
#define HV_SYNIC_SINT_VECTOR_MASK   0xffull
#define HV_SYNIC_SINT_MASKED        (1ull << 16)
#define HV_SYNIC_SINT_AUTO_EOI      (1ull << 17)
#define HV_SYNIC_SINT_POLLING       (1ull << 18)
#define HV_SYNIC_SINT_RESET_VALUE   HV_SYNIC_SINT_MASKED /* value at VP creation/reset */
#define HV_SYNIC_FIRST_VALID_VECTOR 16
/* Bits 19 (as-intercept) and 20 (proxy) exist only in Linux; reserved here. */
#define HV_SYNIC_SINT_PRESERVED_MASK 0xfffffffffff8ff00ull

/* TLFS "Timers": partition reference counter and reference TSC page. */
#define HV_X64_MSR_VP_RUNTIME       0x40000010u /* TLFS "Virtual Processors" */
#define HV_X64_MSR_TIME_REF_COUNT   0x40000020u /* 100 ns units, read-only */
#define HV_X64_MSR_REFERENCE_TSC    0x40000021u /* bit 0 enable, 63:12 GPA */
#define HV_X64_MSR_TSC_FREQUENCY    0x40000022u /* Hz; named, not numbered, in the TLFS */
#define HV_X64_MSR_APIC_FREQUENCY   0x40000023u /* Hz; likewise (Linux) */
#define HV_REFERENCE_TSC_ENABLE     (1ull << 0)

/*
 * TLFS "Timers", Partition Reference Time Stamp Counter Page.  Reference
 * time = ((TSC * tsc_scale) >> 64) + tsc_offset, valid when tsc_sequence
 * is unchanged across the read and not 0 (0 = fall back to the MSR).
 */
struct hv_reference_tsc_page {
	volatile uint32_t tsc_sequence;
	uint32_t reserved0;
	volatile uint64_t tsc_scale;
	volatile int64_t tsc_offset;
	uint64_t reserved1[509];
};
_Static_assert(sizeof(struct hv_reference_tsc_page) == 4096, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_reference_tsc_page, tsc_offset) == 16, "TLFS layout");

/* TLFS "Timers", Synthetic Timer Registers: four per VP. */
#define HV_SYNIC_STIMER_COUNT       4
#define HV_X64_MSR_STIMER0_CONFIG   0x400000b0u
#define HV_X64_MSR_STIMER0_COUNT    0x400000b1u
#define HV_X64_MSR_STIMER3_COUNT    0x400000b7u
#define HV_X64_MSR_STIMER_CONFIG(n) (HV_X64_MSR_STIMER0_CONFIG + 2u * (uint32_t)(n))
#define HV_X64_MSR_STIMER_COUNT(n)  (HV_X64_MSR_STIMER0_COUNT + 2u * (uint32_t)(n))
/* Config: all fields read/write; 15:13 and 63:20 must be zero. */
#define HV_STIMER_ENABLE            (1ull << 0)
#define HV_STIMER_PERIODIC          (1ull << 1)
#define HV_STIMER_LAZY              (1ull << 2)
#define HV_STIMER_AUTO_ENABLE       (1ull << 3)  /* writing COUNT sets ENABLE */
#define HV_STIMER_APIC_VECTOR_SHIFT 4            /* 11:4, direct mode only */
#define HV_STIMER_APIC_VECTOR_MASK  (0xffull << 4)
#define HV_STIMER_DIRECT_MODE       (1ull << 12) /* interrupt, no message */
#define HV_STIMER_SINT_SHIFT        16           /* 19:16 */
#define HV_STIMER_SINT_MASK         (0xfull << 16)
#define HV_STIMER_RESERVED_MASK     0xfffffffffff0e000ull
/* Count: absolute expiry (one-shot) or period (periodic), 100 ns units. */

/* TLFS datatypes HV_MESSAGE_TYPE.  Bit 31 set = sent by the hypervisor only. */
#define HV_MESSAGE_TYPE_HYPERVISOR_MASK          0x80000000u
#define HV_MESSAGE_TYPE_NONE                     0x00000000u /* slot empty */
#define HV_MESSAGE_TYPE_UNMAPPED_GPA             0x80000000u /* memory intercept msg */
#define HV_MESSAGE_TYPE_GPA_INTERCEPT            0x80000001u /* memory intercept msg */
#define HV_MESSAGE_TYPE_TIMER_EXPIRED            0x80000010u
#define HV_MESSAGE_TYPE_INVALID_VP_REGISTER_VALUE 0x80000020u
#define HV_MESSAGE_TYPE_UNRECOVERABLE_EXCEPTION  0x80000021u
#define HV_MESSAGE_TYPE_UNSUPPORTED_FEATURE      0x80000022u
#define HV_MESSAGE_TYPE_EVENTLOG_BUFFER_COMPLETE 0x80000040u /* WDK, Linux, QEMU; not in TLFS */
#define HV_MESSAGE_TYPE_HYPERCALL_INTERCEPT      0x80000050u
#define HV_MESSAGE_TYPE_X64_IO_PORT_INTERCEPT    0x80010000u
#define HV_MESSAGE_TYPE_X64_MSR_INTERCEPT        0x80010001u /* TLFS: MsrIntercept */
#define HV_MESSAGE_TYPE_X64_CPUID_INTERCEPT      0x80010002u
#define HV_MESSAGE_TYPE_X64_EXCEPTION_INTERCEPT  0x80010003u /* TLFS: ExceptionIntercept */
#define HV_MESSAGE_TYPE_X64_APIC_EOI             0x80010004u
#define HV_MESSAGE_TYPE_X64_LEGACY_FP_ERROR      0x80010005u /* WDK, Linux, QEMU; not in TLFS */
#define HV_MESSAGE_TYPE_REGISTER_INTERCEPT       0x80010006u /* TLFS; Linux: IOMMU PRQ */
#define HV_MESSAGE_TYPE_X64_HALT                 0x80010007u
#define HV_MESSAGE_TYPE_X64_INTERRUPTION_DELIVERABLE 0x80010008u
#define HV_MESSAGE_TYPE_X64_SIPI_INTERCEPT       0x80010009u

/* TLFS datatypes HV_MESSAGE: 16-byte header + 240-byte payload. */
#define HV_MESSAGE_SIZE             256
#define HV_MESSAGE_PAYLOAD_QWORDS   30
#define HV_MESSAGE_FLAG_PENDING     0x01u /* more queued: write EOM after emptying the slot */

struct hv_message_header {
	uint32_t message_type;      /* HV_MESSAGE_TYPE_* */
	uint8_t payload_size;       /* bytes of payload that are valid */
	uint8_t message_flags;      /* HV_MESSAGE_FLAG_* */
	uint16_t reserved;
	union {
		uint64_t sender;    /* intercepts: partition id; timers: 0 */
		uint32_t port;      /* posted messages: HV_PORT_ID */
	};
};
_Static_assert(sizeof(struct hv_message_header) == 16, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_message_header, sender) == 8, "TLFS layout");

/* TLFS datatypes HV_TIMER_MESSAGE_PAYLOAD (times in 100 ns reference time). */
struct hv_timer_message_payload {
	uint32_t timer_index;       /* 0..3 */
	uint32_t reserved;
	uint64_t expiration_time;
	uint64_t delivery_time;
};
_Static_assert(sizeof(struct hv_timer_message_payload) == 24, "TLFS layout");

/* Execution state (intercept header): CPL 1:0, CR0.PE 2, CR0.AM 3, EFER.LMA 4,
 * debug active 5, interruption pending 6; Linux adds VTL 10:7, enclave 11,
 * interrupt shadow 12, virtualization fault 13. */
#define HV_X64_EXEC_STATE_CPL_MASK       0x0003u
#define HV_X64_EXEC_STATE_CR0_PE         (1u << 2)
#define HV_X64_EXEC_STATE_CR0_AM         (1u << 3)
#define HV_X64_EXEC_STATE_EFER_LMA       (1u << 4)
#define HV_X64_EXEC_STATE_DEBUG_ACTIVE   (1u << 5)
#define HV_X64_EXEC_STATE_INTERRUPTION_PENDING (1u << 6)
#define HV_X64_EXEC_STATE_INTERRUPT_SHADOW (1u << 12)

/* Common header of every x64 intercept message (WDK, Linux). */
struct hv_x64_intercept_message_header {
	uint32_t vp_index;
	uint8_t instruction_length;   /* bits 3:0; Linux: CR8 in 7:4 (exo partitions) */
	uint8_t intercept_access_type;/* HV_INTERCEPT_ACCESS_READ/WRITE/EXECUTE */
	uint16_t execution_state;     /* HV_X64_EXEC_STATE_* */
	struct hv_x64_segment_register cs_segment;
	uint64_t rip;
	uint64_t rflags;
};
#define HV_X64_INSTRUCTION_LENGTH_MASK 0x0fu
_Static_assert(sizeof(struct hv_x64_intercept_message_header) == 40, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_intercept_message_header, cs_segment) == 8, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_intercept_message_header, rip) == 24, "intercept layout");

/* I/O port access info: size in bytes 2:0 (1, 2, 4), string op 3, REP prefix 4. */
#define HV_X64_IO_ACCESS_SIZE_MASK  0x07u
#define HV_X64_IO_ACCESS_STRING_OP  (1u << 3)
#define HV_X64_IO_ACCESS_REP_PREFIX (1u << 4)

/* HV_MESSAGE_TYPE_X64_IO_PORT_INTERCEPT payload. */
struct hv_x64_io_port_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint16_t port_number;
	uint8_t access_info;          /* HV_X64_IO_ACCESS_* */
	uint8_t instruction_byte_count;
	uint32_t reserved;
	uint64_t rax;
	uint8_t instruction_bytes[16];
	struct hv_x64_segment_register ds_segment;
	struct hv_x64_segment_register es_segment;
	uint64_t rcx;
	uint64_t rsi;
	uint64_t rdi;
};
_Static_assert(sizeof(struct hv_x64_io_port_intercept_message) == 128, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_io_port_intercept_message, port_number) == 40, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_io_port_intercept_message, rax) == 48, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_io_port_intercept_message, ds_segment) == 72, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_io_port_intercept_message, rcx) == 104, "intercept layout");

/* Cache types (TLFS datatypes HV_TRANSLATE_GVA_RESULT lists the same values). */
#define HV_CACHE_TYPE_UNCACHED        0
#define HV_CACHE_TYPE_WRITE_COMBINING 1
#define HV_CACHE_TYPE_WRITE_THROUGH   4
#define HV_CACHE_TYPE_WRITE_PROTECTED 5
#define HV_CACHE_TYPE_WRITE_BACK      6

/* Memory access info: bit 0 GVA valid; Linux adds GVA->GPA valid (1),
 * hypercall output pending (2), TLB locked (3). */
#define HV_X64_MEMORY_ACCESS_GVA_VALID (1u << 0)

/*
 * HV_MESSAGE_TYPE_UNMAPPED_GPA / GPA_INTERCEPT payload, WDK layout.  Linux
 * declares only the first 80 bytes (through instruction_bytes) and names
 * byte 46 tpr_priority; the rest is the same.
 */
struct hv_x64_memory_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint32_t cache_type;          /* HV_CACHE_TYPE_* */
	uint8_t instruction_byte_count;
	uint8_t memory_access_info;   /* HV_X64_MEMORY_ACCESS_* */
	uint16_t reserved;
	uint64_t guest_virtual_address;
	uint64_t guest_physical_address;
	uint8_t instruction_bytes[16];
	struct hv_x64_segment_register ds_segment;
	struct hv_x64_segment_register ss_segment;
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};
_Static_assert(sizeof(struct hv_x64_memory_intercept_message) == 240, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_memory_intercept_message, guest_virtual_address) == 48, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_memory_intercept_message, instruction_bytes) == 64, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_memory_intercept_message, rax) == 112, "intercept layout");

/* HV_MESSAGE_TYPE_X64_MSR_INTERCEPT payload (rdx:rax = value for writes). */
struct hv_x64_msr_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint32_t msr_number;
	uint32_t reserved;
	uint64_t rdx;
	uint64_t rax;
};
_Static_assert(sizeof(struct hv_x64_msr_intercept_message) == 64, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_msr_intercept_message, rdx) == 48, "intercept layout");

/* HV_MESSAGE_TYPE_X64_CPUID_INTERCEPT payload: inputs and the hypervisor's answer. */
struct hv_x64_cpuid_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint64_t rax, rcx, rdx, rbx;
	uint64_t default_result_rax, default_result_rcx;
	uint64_t default_result_rdx, default_result_rbx;
};
_Static_assert(sizeof(struct hv_x64_cpuid_intercept_message) == 104, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_cpuid_intercept_message, default_result_rax) == 72, "intercept layout");

/* Exception info: bit 0 error code valid; Linux adds software exception (1). */
#define HV_X64_EXCEPTION_ERROR_CODE_VALID (1u << 0)

/* HV_MESSAGE_TYPE_X64_EXCEPTION_INTERCEPT payload. */
struct hv_x64_exception_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint16_t exception_vector;
	uint8_t exception_info;       /* HV_X64_EXCEPTION_* */
	uint8_t instruction_byte_count;
	uint32_t error_code;
	uint64_t exception_parameter;
	uint64_t reserved;
	uint8_t instruction_bytes[16];
	struct hv_x64_segment_register ds_segment;
	struct hv_x64_segment_register ss_segment;
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};
_Static_assert(sizeof(struct hv_x64_exception_intercept_message) == 240, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_exception_intercept_message, error_code) == 44, "intercept layout");
_Static_assert(__builtin_offsetof(struct hv_x64_exception_intercept_message, instruction_bytes) == 64, "intercept layout");

/* HV_MESSAGE_TYPE_X64_APIC_EOI payload. */
struct hv_x64_apic_eoi_message {
	uint32_t vp_index;
	uint32_t interrupt_vector;
};
_Static_assert(sizeof(struct hv_x64_apic_eoi_message) == 8, "intercept layout");

/* INVALID_VP_REGISTER_VALUE and X64_LEGACY_FP_ERROR payload. */
struct hv_x64_vp_index_message {
	uint32_t vp_index;
	uint32_t reserved;
};
_Static_assert(sizeof(struct hv_x64_vp_index_message) == 8, "intercept layout");

/* UNSUPPORTED_FEATURE payload (WDK stops after feature_code; Linux adds the parameter). */
struct hv_x64_unsupported_feature_message {
	uint32_t vp_index;
	uint32_t feature_code;        /* 1 intercept, 2 task-switch TSS (Linux) */
	uint64_t feature_parameter;
};
_Static_assert(sizeof(struct hv_x64_unsupported_feature_message) == 16, "intercept layout");
/* UNRECOVERABLE_EXCEPTION and X64_HALT carry the intercept header alone. */

/* TLFS datatypes HV_MESSAGE: one SIM slot. */
struct hv_message {
	struct hv_message_header header;
	union {
		uint64_t payload[HV_MESSAGE_PAYLOAD_QWORDS];
		uint8_t payload_bytes[HV_MESSAGE_PAYLOAD_BYTES];
		struct hv_timer_message_payload timer;
		struct hv_x64_intercept_message_header intercept;
		struct hv_x64_io_port_intercept_message io_port;
		struct hv_x64_memory_intercept_message memory;
		struct hv_x64_msr_intercept_message msr;
		struct hv_x64_cpuid_intercept_message cpuid;
		struct hv_x64_exception_intercept_message exception;
		struct hv_x64_apic_eoi_message apic_eoi;
	};
};
_Static_assert(sizeof(struct hv_message) == HV_MESSAGE_SIZE, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_message, payload) == 16, "TLFS layout");

/* TLFS "Inter-Partition Communication", SIM Page: one slot per SINT. */
struct hv_message_page {
	struct hv_message sint_message[HV_SYNIC_SINT_COUNT];
};
_Static_assert(sizeof(struct hv_message_page) == 4096, "TLFS layout");

/*
 * TLFS datatypes HV_SYNIC_EVENT_FLAGS and "Inter-Partition Communication",
 * SIEF Page: 16 x 256 bytes; flag n of a SINT is bit n % 8 of byte n / 8.
 * Set and clear them with locked operations only.
 */
#define HV_EVENT_FLAGS_COUNT        (256 * 8)
#define HV_EVENT_FLAGS_BYTE_COUNT   256
#define HV_EVENT_FLAG_BYTE(n)       ((n) >> 3)
#define HV_EVENT_FLAG_BIT(n)        (1u << ((n) & 7))

struct hv_synic_event_flags {
	uint8_t flags[HV_EVENT_FLAGS_BYTE_COUNT];
};
_Static_assert(sizeof(struct hv_synic_event_flags) == 256, "TLFS layout");

struct hv_synic_event_flags_page {
	struct hv_synic_event_flags sint_event_flags[HV_SYNIC_SINT_COUNT];
};
_Static_assert(sizeof(struct hv_synic_event_flags_page) == 4096, "TLFS layout");

#endif
