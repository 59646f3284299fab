/*
 * TLFS partition management: the hypercalls a parent uses to build and run
 * child partitions, plus the SynIC send side (post message, signal event).
 *
 * Source: the TLFS in MicrosoftDocs/Virtualization-Documentation,
 * virtualization/hyper-v-on-windows/tlfs ("TLFS <page>" below), checked
 * against Linux include/hyperv/hv{g,h}dk*.h; values the published TLFS
 * lacks are marked "Linux" or "WDK" (the 2008 HvGdk.h).
 *
 * Every block starts 8-byte aligned in a page (TLFS "Hypercall Interface",
 * Alignment Requirements).  All structs have natural alignment matching
 * the TLFS offsets, so none is packed; the _Static_asserts prove it.  Bit
 * layouts are masks, not C bit fields.
 *
 * Rep calls (TLFS "Hypercall Interface", Hypercall Classes): a fixed header
 * is followed by RepCount list elements (control bits 43:32); work starts at
 * RepStartIndex (bits 59:48) and the count done comes back in result bits
 * 43:32.  Done < RepCount with HV_STATUS_SUCCESS means: call again with
 * RepStartIndex = done.  Input and output must each fit in one 4 KiB page,
 * which bounds the *_MAX list lengths.  Control-word helpers: hv/abi/tlfs.h.
 */
#ifndef KEEL_ABI_TLFS_PARTITION_H
#define KEEL_ABI_TLFS_PARTITION_H

#include <stdint.h>

#define HV_PAGE_SHIFT 12
#define HV_PAGE_SIZE  4096u

/* Call codes (TLFS "Hypercall Reference" and each hypercalls/ page). */
#define HVCALL_CREATE_PARTITION         0x0040 /* simple */
#define HVCALL_INITIALIZE_PARTITION     0x0041 /* simple */
#define HVCALL_FINALIZE_PARTITION       0x0042 /* simple */
#define HVCALL_DELETE_PARTITION         0x0043 /* simple */
#define HVCALL_GET_PARTITION_PROPERTY   0x0044 /* simple */
#define HVCALL_SET_PARTITION_PROPERTY   0x0045 /* simple */
#define HVCALL_GET_PARTITION_ID         0x0046 /* simple; no TLFS page, Linux */
#define HVCALL_DEPOSIT_MEMORY           0x0048 /* rep */
#define HVCALL_WITHDRAW_MEMORY          0x0049 /* rep */
#define HVCALL_GET_MEMORY_BALANCE       0x004a /* simple */
#define HVCALL_MAP_GPA_PAGES            0x004b /* rep */
#define HVCALL_UNMAP_GPA_PAGES          0x004c /* rep */
#define HVCALL_INSTALL_INTERCEPT        0x004d /* simple */
#define HVCALL_CREATE_VP                0x004e /* simple */
#define HVCALL_DELETE_VP                0x004f /* simple */
#define HVCALL_GET_VP_REGISTERS         0x0050 /* rep */
#define HVCALL_SET_VP_REGISTERS         0x0051 /* rep */
#define HVCALL_POST_MESSAGE             0x005c /* simple */
#define HVCALL_SIGNAL_EVENT             0x005d /* simple, usually fast */
#define HVCALL_ASSERT_VIRTUAL_INTERRUPT 0x0094 /* simple (0x0055 in 2008-era headers) */
#define HVCALL_START_VIRTUAL_PROCESSOR  0x0099 /* simple */

/* TLFS datatypes HV_PARTITION_ID, HV_VP_INDEX, HV_GPA_PAGE_NUMBER. */
#define HV_PARTITION_ID_INVALID 0x0000000000000000ull
#define HV_PARTITION_ID_SELF    0xffffffffffffffffull
#define HV_VP_INDEX_SELF        0xfffffffeu
#define HV_ANY_VP               0xffffffffu

/* TLFS datatypes HV_VTL / HV_INPUT_VTL: target VTL in bits 3:0, bit 4 says use it. */
#define HV_INPUT_VTL_TARGET_MASK 0x0fu
#define HV_INPUT_VTL_USE_TARGET  0x10u

/* TLFS datatypes HV_PROXIMITY_DOMAIN_INFO: NUMA hint; all-zero means "any". */
struct hv_proximity_domain_info {
	uint32_t id;    /* 0..63 */
	uint32_t flags; /* HV_PROXIMITY_* */
};
#define HV_PROXIMITY_PREFERRED  (1u << 0)  /* may fall back to other domains */
#define HV_PROXIMITY_INFO_VALID (1u << 31) /* id is meaningful */
_Static_assert(sizeof(struct hv_proximity_domain_info) == 8, "TLFS layout");

/* TLFS datatypes HV_PARTITION_CREATION_FLAGS (Flags of HvCallCreatePartition). */
#define HV_PARTITION_CREATION_SMT_ENABLED_GUEST      (1ull << 0)
#define HV_PARTITION_CREATION_NESTED_VIRT_CAPABLE    (1ull << 1)
#define HV_PARTITION_CREATION_GPA_SUPER_PAGES        (1ull << 4)
#define HV_PARTITION_CREATION_EXO_PARTITION          (1ull << 8)
#define HV_PARTITION_CREATION_LAPIC_ENABLED          (1ull << 13)
#define HV_PARTITION_CREATION_INTERCEPT_MESSAGE_PAGE (1ull << 19)
#define HV_PARTITION_CREATION_X2APIC_CAPABLE         (1ull << 22)

/* TLFS HvCallCreatePartition, x64 layout; output is the new partition id. */
struct hv_input_create_partition {
	uint64_t flags;                          /* HV_PARTITION_CREATION_* */
	struct hv_proximity_domain_info proximity;
	uint32_t compatibility_version;
	uint32_t reserved0;                      /* zero */
	uint64_t disabled_processor_features[2]; /* HV_PARTITION_PROCESSOR_FEATURES */
	uint64_t disabled_xsave_features;
	uint64_t reserved1;   /* zero; Linux carries isolation properties here */
};
_Static_assert(sizeof(struct hv_input_create_partition) == 56, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_create_partition, compatibility_version) == 16, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_create_partition, disabled_processor_features) == 24, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_create_partition, reserved1) == 48, "TLFS layout");

/*
 * Input of TLFS HvCallInitializePartition, HvCallFinalizePartition and
 * HvCallDeletePartition; output of HvCallCreatePartition and of
 * HvCallGetPartitionId (no input; no TLFS page, layout from Linux/WDK).
 */
struct hv_partition_id_block {
	uint64_t partition_id;
};
_Static_assert(sizeof(struct hv_partition_id_block) == 8, "TLFS layout");

/* TLFS datatypes HV_PARTITION_PROPERTY_CODE (selection). */
#define HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS          0x00010000u
#define HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES  0x00010001u
#define HV_PARTITION_PROPERTY_SUSPEND                  0x00020000u
#define HV_PARTITION_PROPERTY_CPU_WEIGHT               0x00020003u
#define HV_PARTITION_PROPERTY_TIME_FREEZE              0x00030003u
#define HV_PARTITION_PROPERTY_REFERENCE_TIME           0x00030005u
#define HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION 0x00050017u
#define HV_PARTITION_PROPERTY_PROCESSOR_VENDOR         0x00060000u
#define HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY 0x00060009u
#define HV_PARTITION_PROPERTY_GUEST_OS_ID              0x00070000u

/* TLFS HvCallGetPartitionProperty (output: one uint64 value). */
struct hv_input_get_partition_property {
	uint64_t partition_id;
	uint32_t property_code; /* HV_PARTITION_PROPERTY_* */
	uint32_t reserved;
};
_Static_assert(sizeof(struct hv_input_get_partition_property) == 16, "TLFS layout");

/* TLFS HvCallSetPartitionProperty (the page gives no table; same prefix as Get). */
struct hv_input_set_partition_property {
	uint64_t partition_id;
	uint32_t property_code;
	uint32_t reserved;
	uint64_t property_value;
};
_Static_assert(sizeof(struct hv_input_set_partition_property) == 24, "TLFS layout");

/* TLFS HvCallDepositMemory: header then RepCount GPA page numbers of the caller. */
struct hv_input_deposit_memory {
	uint64_t partition_id;
	uint64_t gpa_page_list[];
};
_Static_assert(sizeof(struct hv_input_deposit_memory) == 8, "TLFS layout");
#define HV_DEPOSIT_MEMORY_MAX_PAGES ((HV_PAGE_SIZE - 8) / 8)

/* TLFS HvCallWithdrawMemory (output: RepCount page numbers) and HvCallGetMemoryBalance. */
struct hv_input_withdraw_memory {
	uint64_t partition_id;
	struct hv_proximity_domain_info proximity;
};
_Static_assert(sizeof(struct hv_input_withdraw_memory) == 16, "TLFS layout");
#define HV_WITHDRAW_MEMORY_MAX_PAGES (HV_PAGE_SIZE / 8)

/* TLFS HvCallGetMemoryBalance output (the page prints offset 0 for both; 0/8 meant). */
struct hv_output_get_memory_balance {
	uint64_t pages_available;
	uint64_t pages_in_use;
};
_Static_assert(sizeof(struct hv_output_get_memory_balance) == 16, "TLFS layout");

/* TLFS datatypes HV_MAP_GPA_FLAGS (32 bits). */
#define HV_MAP_GPA_READABLE           0x00000001u
#define HV_MAP_GPA_WRITABLE           0x00000002u
#define HV_MAP_GPA_KERNEL_EXECUTABLE  0x00000004u
#define HV_MAP_GPA_USER_EXECUTABLE    0x00000008u
#define HV_MAP_GPA_EXECUTABLE         0x0000000cu
#define HV_MAP_GPA_PERMISSIONS_MASK   0x0000000fu
#define HV_MAP_GPA_NO_ACCESS          0x00010000u /* bits 17:16, one value only */
#define HV_MAP_GPA_ZEROED             0x00020000u
#define HV_MAP_GPA_ONES               0x00030000u
#define HV_MAP_GPA_NO_OVERLAY         0x00100000u
#define HV_MAP_GPA_NOT_CACHED         0x00200000u
#define HV_MAP_GPA_LARGE_PAGE         0x80000000u

/* TLFS HvCallMapGpaPages: RepCount source pages, target GPA advances by one page each. */
struct hv_input_map_gpa_pages {
	uint64_t target_partition_id;
	uint64_t target_gpa_base;   /* page number */
	uint32_t map_flags;         /* HV_MAP_GPA_* */
	uint32_t reserved;          /* TLFS gives MapFlags 8 bytes; upper half zero */
	uint64_t source_gpa_page_list[];
};
_Static_assert(sizeof(struct hv_input_map_gpa_pages) == 24, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_map_gpa_pages, map_flags) == 16, "TLFS layout");
#define HV_MAP_GPA_MAX_PAGES ((HV_PAGE_SIZE - 24) / 8)

/*
 * TLFS datatypes HV_UNMAP_GPA_FLAGS.  The page numbers the bits 1 and 2;
 * Linux uses 0x2 for LARGE_PAGE, so the page's numbering is read as
 * 1-based here.
 */
#define HV_UNMAP_GPA_KEEP_PRECOMMITTED 0x00000001u
#define HV_UNMAP_GPA_LARGE_PAGE        0x00000002u

/* TLFS HvCallUnmapGpaPages: RepCount pages from target_gpa_base, no list. */
struct hv_input_unmap_gpa_pages {
	uint64_t target_partition_id;
	uint64_t target_gpa_base;
	uint32_t unmap_flags;       /* HV_UNMAP_GPA_* */
	uint32_t reserved;
};
_Static_assert(sizeof(struct hv_input_unmap_gpa_pages) == 24, "TLFS layout");

/* TLFS datatypes HV_INTERCEPT_ACCESS_TYPE_MASK (install) ... */
#define HV_INTERCEPT_ACCESS_MASK_NONE    0x0u
#define HV_INTERCEPT_ACCESS_MASK_READ    0x1u
#define HV_INTERCEPT_ACCESS_MASK_WRITE   0x2u
#define HV_INTERCEPT_ACCESS_MASK_EXECUTE 0x4u
/* ... and the single access type reported in intercept messages (WDK, Linux). */
#define HV_INTERCEPT_ACCESS_READ    0
#define HV_INTERCEPT_ACCESS_WRITE   1
#define HV_INTERCEPT_ACCESS_EXECUTE 2

/* TLFS datatypes HV_INTERCEPT_TYPE (x64 subset). */
#define HV_INTERCEPT_TYPE_X64_IO_PORT       0x00000000u /* param: port */
#define HV_INTERCEPT_TYPE_X64_MSR           0x00000001u /* TLFS: param MSR; Linux: all MSRs */
#define HV_INTERCEPT_TYPE_X64_CPUID         0x00000002u /* param: leaf */
#define HV_INTERCEPT_TYPE_EXCEPTION         0x00000003u /* param: vector */
#define HV_INTERCEPT_TYPE_X64_GLOBAL_CPUID  0x00000006u
#define HV_INTERCEPT_TYPE_HYPERCALL         0x00000008u
#define HV_INTERCEPT_TYPE_X64_APIC_EOI      0x0000000eu
#define HV_INTERCEPT_TYPE_X64_IO_PORT_RANGE 0x00000011u /* param: base, end */
#define HV_INTERCEPT_TYPE_X64_MSR_INDEX     0x0000000cu /* Linux only; param: MSR */

/* TLFS datatypes HV_INTERCEPT_PARAMETERS: 8 bytes, meaning set by the type. */
union hv_intercept_parameters {
	uint64_t as_uint64;
	uint16_t io_port;
	uint32_t cpuid_index;
	uint32_t msr_index;
	uint16_t exception_vector;
	struct {
		uint16_t base; /* inclusive */
		uint16_t end;  /* inclusive */
	} io_port_range;
};
_Static_assert(sizeof(union hv_intercept_parameters) == 8, "TLFS layout");

/* TLFS HvCallInstallIntercept. */
struct hv_input_install_intercept {
	uint64_t partition_id;
	uint32_t access_type_mask;  /* HV_INTERCEPT_ACCESS_MASK_* */
	uint32_t intercept_type;    /* HV_INTERCEPT_TYPE_* */
	union hv_intercept_parameters parameters;
};
_Static_assert(sizeof(struct hv_input_install_intercept) == 24, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_install_intercept, parameters) == 16, "TLFS layout");

/* TLFS HvCallCreateVp. */
struct hv_input_create_vp {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t reserved[3];
	uint8_t subnode_type;       /* 0 = any */
	uint64_t subnode_id;
	struct hv_proximity_domain_info proximity;
	uint64_t flags;             /* zero */
};
_Static_assert(sizeof(struct hv_input_create_vp) == 40, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_create_vp, subnode_type) == 15, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_create_vp, proximity) == 24, "TLFS layout");

/* TLFS HvCallDeleteVp (12 bytes of fields, padded to 16 as Linux does). */
struct hv_input_delete_vp {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t reserved;
};
_Static_assert(sizeof(struct hv_input_delete_vp) == 16, "TLFS layout");

/* TLFS datatypes HV_X64_SEGMENT_REGISTER. */
struct hv_x64_segment_register {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attributes;        /* HV_X64_SEGMENT_* */
};
_Static_assert(sizeof(struct hv_x64_segment_register) == 16, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_x64_segment_register, attributes) == 14, "TLFS layout");
/* attributes: the descriptor's access-rights bits 8..15 and 20..23, packed. */
#define HV_X64_SEGMENT_TYPE_MASK    0x000fu
#define HV_X64_SEGMENT_NON_SYSTEM   (1u << 4)
#define HV_X64_SEGMENT_DPL_SHIFT    5
#define HV_X64_SEGMENT_DPL_MASK     (3u << 5)
#define HV_X64_SEGMENT_PRESENT      (1u << 7)
#define HV_X64_SEGMENT_AVAILABLE    (1u << 12)
#define HV_X64_SEGMENT_LONG         (1u << 13)
#define HV_X64_SEGMENT_DEFAULT      (1u << 14)
#define HV_X64_SEGMENT_GRANULARITY  (1u << 15)

/* TLFS datatypes HV_X64_TABLE_REGISTER (GDTR/IDTR). */
struct hv_x64_table_register {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
};
_Static_assert(sizeof(struct hv_x64_table_register) == 16, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_x64_table_register, base) == 8, "TLFS layout");

/* TLFS datatypes HV_REGISTER_VALUE: 128 bits, narrower values zero-extended. */
union hv_register_value {
	uint64_t reg128[2];         /* low qword first */
	uint64_t reg64;
	uint32_t reg32;
	uint16_t reg16;
	uint8_t reg8;
	struct hv_x64_segment_register segment;
	struct hv_x64_table_register table;
};
_Static_assert(sizeof(union hv_register_value) == 16, "TLFS layout");

/*
 * TLFS datatypes HV_REGISTER_NAME (32-bit; runs below are consecutive).
 * Suspend registers: bit 0 = suspended (Linux; the TLFS names them only).
 * A parent starts a new VP by clearing HV_REGISTER_EXPLICIT_SUSPEND (TLFS
 * "Virtualization Host").
 */
#define HV_SUSPEND_REGISTER_SUSPENDED (1ull << 0)
enum hv_register_name {
	HV_REGISTER_EXPLICIT_SUSPEND = 0x00000000, HV_REGISTER_INTERCEPT_SUSPEND,
	HV_REGISTER_INSTRUCTION_EMULATION_HINTS, HV_REGISTER_DISPATCH_SUSPEND,
	HV_REGISTER_PENDING_INTERRUPTION = 0x00010002, HV_REGISTER_INTERRUPT_STATE,
	HV_REGISTER_VP_RUNTIME = 0x00090000,
	HV_REGISTER_GUEST_OS_ID = 0x00090002, HV_REGISTER_VP_INDEX,
	HV_REGISTER_TIME_REF_COUNT,
	HV_REGISTER_VP_ASSIST_PAGE = 0x00090013,
	HV_REGISTER_REFERENCE_TSC = 0x00090017,
	HV_REGISTER_SINT0 = 0x000a0000,               /* SINTn = SINT0 + n */
	HV_REGISTER_SCONTROL = 0x000a0010, HV_REGISTER_SVERSION,
	HV_REGISTER_SIEFP, HV_REGISTER_SIMP,          /* TLFS: Sifp, Sipp */
	HV_REGISTER_EOM,
	HV_REGISTER_STIMER0_CONFIG = 0x000b0000,      /* timer n: + 2n */
	HV_REGISTER_STIMER0_COUNT,

	/* x64 ("x64 Architecture Registers" on the same page) */
	HV_X64_REGISTER_RAX = 0x00020000, HV_X64_REGISTER_RCX, HV_X64_REGISTER_RDX,
	HV_X64_REGISTER_RBX, HV_X64_REGISTER_RSP, HV_X64_REGISTER_RBP,
	HV_X64_REGISTER_RSI, HV_X64_REGISTER_RDI, HV_X64_REGISTER_R8,
	HV_X64_REGISTER_R9, HV_X64_REGISTER_R10, HV_X64_REGISTER_R11,
	HV_X64_REGISTER_R12, HV_X64_REGISTER_R13, HV_X64_REGISTER_R14,
	HV_X64_REGISTER_R15, HV_X64_REGISTER_RIP, HV_X64_REGISTER_RFLAGS,
	HV_X64_REGISTER_XMM0 = 0x00030000,            /* XMMn = XMM0 + n */
	HV_X64_REGISTER_FP_MMX0 = 0x00030010,         /* ST/MMn = FP_MMX0 + n */
	HV_X64_REGISTER_FP_CONTROL_STATUS = 0x00030018,
	HV_X64_REGISTER_XMM_CONTROL_STATUS,
	HV_X64_REGISTER_CR0 = 0x00040000, HV_X64_REGISTER_CR2, HV_X64_REGISTER_CR3,
	HV_X64_REGISTER_CR4, HV_X64_REGISTER_CR8, HV_X64_REGISTER_XFEM,
	HV_X64_REGISTER_DR0 = 0x00050000, HV_X64_REGISTER_DR1, HV_X64_REGISTER_DR2,
	HV_X64_REGISTER_DR3, HV_X64_REGISTER_DR6, HV_X64_REGISTER_DR7,
	HV_X64_REGISTER_ES = 0x00060000, HV_X64_REGISTER_CS, HV_X64_REGISTER_SS,
	HV_X64_REGISTER_DS, HV_X64_REGISTER_FS, HV_X64_REGISTER_GS,
	HV_X64_REGISTER_LDTR, HV_X64_REGISTER_TR,
	HV_X64_REGISTER_IDTR = 0x00070000, HV_X64_REGISTER_GDTR,
	HV_X64_REGISTER_TSC = 0x00080000, HV_X64_REGISTER_EFER,
	HV_X64_REGISTER_KERNEL_GS_BASE, HV_X64_REGISTER_APIC_BASE,
	HV_X64_REGISTER_PAT, HV_X64_REGISTER_SYSENTER_CS,
	HV_X64_REGISTER_SYSENTER_EIP, HV_X64_REGISTER_SYSENTER_ESP,
	HV_X64_REGISTER_STAR, HV_X64_REGISTER_LSTAR, HV_X64_REGISTER_CSTAR,
	HV_X64_REGISTER_SFMASK, HV_X64_REGISTER_INITIAL_APIC_ID,
	HV_X64_REGISTER_TSC_AUX = 0x0008007b,
};
#define HV_REGISTER_SINT(n)           (HV_REGISTER_SINT0 + (uint32_t)(n))
#define HV_REGISTER_STIMER_CONFIG(n)  (HV_REGISTER_STIMER0_CONFIG + 2u * (uint32_t)(n))
#define HV_REGISTER_STIMER_COUNT(n)   (HV_REGISTER_STIMER0_COUNT + 2u * (uint32_t)(n))
_Static_assert(HV_X64_REGISTER_RFLAGS == 0x00020011 && HV_X64_REGISTER_TR == 0x00060007 &&
	       HV_X64_REGISTER_INITIAL_APIC_ID == 0x0008000c && HV_X64_REGISTER_XFEM == 0x00040005 &&
	       HV_REGISTER_EOM == 0x000a0014 && HV_REGISTER_TIME_REF_COUNT == 0x00090004,
	       "TLFS register numbering");

/*
 * Value layouts with no TLFS page (Linux/WDK): HV_REGISTER_INTERRUPT_STATE
 * bit 0 interrupt shadow, bit 1 NMI masked.  HV_REGISTER_PENDING_INTERRUPTION
 * bit 0 pending, bits 3:1 type (0 interrupt, 2 NMI, 3 exception), bit 4
 * deliver error code, bits 31:16 vector, bits 63:32 error code.
 */
#define HV_X64_INTERRUPT_STATE_SHADOW       (1ull << 0)
#define HV_X64_INTERRUPT_STATE_NMI_MASKED   (1ull << 1)
#define HV_X64_PENDING_INTERRUPTION(type, vector, has_error, error) \
	(1ull | ((uint64_t)(type) << 1) | ((uint64_t)!!(has_error) << 4) | \
	 ((uint64_t)(uint16_t)(vector) << 16) | ((uint64_t)(uint32_t)(error) << 32))
#define HV_X64_PENDING_TYPE_INTERRUPT       0
#define HV_X64_PENDING_TYPE_NMI             2
#define HV_X64_PENDING_TYPE_EXCEPTION       3

/* TLFS HvCallGetVpRegisters / HvCallSetVpRegisters: common fixed header. */
struct hv_input_vp_registers {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t input_vtl;          /* HV_INPUT_VTL_*; 0 = current */
	uint8_t reserved0;
	uint16_t reserved1;
};
_Static_assert(sizeof(struct hv_input_vp_registers) == 16, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_vp_registers, input_vtl) == 12, "TLFS layout");

/* Get: header + RepCount uint32 names in; RepCount union hv_register_value out. */
struct hv_input_get_vp_registers {
	struct hv_input_vp_registers header;
	uint32_t names[];
};
#define HV_GET_VP_REGISTERS_MAX (HV_PAGE_SIZE / sizeof(union hv_register_value))

/* Set: header + RepCount name/value pairs. */
struct hv_register_assoc {
	uint32_t name;
	uint32_t reserved0;
	uint64_t reserved1;
	union hv_register_value value;
};
_Static_assert(sizeof(struct hv_register_assoc) == 32, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_register_assoc, value) == 16, "TLFS layout");

struct hv_input_set_vp_registers {
	struct hv_input_vp_registers header;
	struct hv_register_assoc elements[];
};
#define HV_SET_VP_REGISTERS_MAX ((HV_PAGE_SIZE - 16) / sizeof(struct hv_register_assoc))

/* TLFS datatypes HV_INTERRUPT_TYPE (x64): the APIC delivery modes, 0..9. */
enum hv_x64_interrupt_type {
	HV_X64_INTERRUPT_TYPE_FIXED, HV_X64_INTERRUPT_TYPE_LOWEST_PRIORITY,
	HV_X64_INTERRUPT_TYPE_SMI, HV_X64_INTERRUPT_TYPE_REMOTE_READ,
	HV_X64_INTERRUPT_TYPE_NMI, HV_X64_INTERRUPT_TYPE_INIT,
	HV_X64_INTERRUPT_TYPE_SIPI, HV_X64_INTERRUPT_TYPE_EXTINT,
	HV_X64_INTERRUPT_TYPE_LOCAL_INT0, HV_X64_INTERRUPT_TYPE_LOCAL_INT1,
};
_Static_assert(HV_X64_INTERRUPT_TYPE_LOCAL_INT1 == 9, "TLFS numbering");

/* TLFS datatypes HV_INTERRUPT_CONTROL (x64): type in the low dword, flags above. */
struct hv_interrupt_control {
	uint32_t interrupt_type;    /* HV_X64_INTERRUPT_TYPE_* */
	uint32_t flags;             /* HV_INTERRUPT_CONTROL_* */
};
#define HV_INTERRUPT_CONTROL_LEVEL_TRIGGERED (1u << 0) /* else edge */
#define HV_INTERRUPT_CONTROL_LOGICAL_DEST    (1u << 1) /* else physical APIC id */
_Static_assert(sizeof(struct hv_interrupt_control) == 8, "TLFS layout");

/* TLFS HvCallAssertVirtualInterrupt. */
struct hv_input_assert_virtual_interrupt {
	uint64_t target_partition_id;
	struct hv_interrupt_control control;
	uint64_t destination;       /* APIC id (physical) or logical mask */
	uint32_t vector;
	uint8_t target_vtl;
	uint8_t reserved0;
	uint16_t reserved1;
};
_Static_assert(sizeof(struct hv_input_assert_virtual_interrupt) == 32, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_assert_virtual_interrupt, vector) == 24, "TLFS layout");

/* TLFS datatypes HV_CONNECTION_ID / HV_PORT_ID: 24-bit ids, top byte zero. */
#define HV_CONNECTION_ID_MASK 0x00ffffffu
#define HV_PORT_ID_MASK       0x00ffffffu
#define HV_MESSAGE_PAYLOAD_BYTES 240

/* TLFS HvCallPostMessage: type must be non-zero with bit 31 clear. */
struct hv_input_post_message {
	uint32_t connection_id;
	uint32_t reserved;
	uint32_t message_type;
	uint32_t payload_size;      /* <= 240 */
	uint8_t payload[HV_MESSAGE_PAYLOAD_BYTES];
};
_Static_assert(sizeof(struct hv_input_post_message) == 256, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_post_message, payload) == 16, "TLFS layout");

/* TLFS HvCallSignalEvent: flag number is relative to the port's base flag. */
struct hv_input_signal_event {
	uint32_t connection_id;
	uint16_t flag_number;
	uint16_t reserved;
};
_Static_assert(sizeof(struct hv_input_signal_event) == 8, "TLFS layout");

/* TLFS datatypes HV_INITIAL_VP_CONTEXT (x64). */
struct hv_initial_vp_context {
	uint64_t rip;
	uint64_t rsp;
	uint64_t rflags;
	struct hv_x64_segment_register cs, ds, es, fs, gs, ss, tr, ldtr;
	struct hv_x64_table_register idtr, gdtr;
	uint64_t efer;
	uint64_t cr0;
	uint64_t cr3;
	uint64_t cr4;
	uint64_t pat;
};
_Static_assert(sizeof(struct hv_initial_vp_context) == 224, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_initial_vp_context, idtr) == 152, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_initial_vp_context, efer) == 184, "TLFS layout");

/* TLFS HvCallStartVirtualProcessor (x64 layout). */
struct hv_input_start_virtual_processor {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t target_vtl;
	uint8_t reserved[3];
	struct hv_initial_vp_context context;
};
_Static_assert(sizeof(struct hv_input_start_virtual_processor) == 240, "TLFS layout");
_Static_assert(__builtin_offsetof(struct hv_input_start_virtual_processor, context) == 16, "TLFS layout");

#endif
