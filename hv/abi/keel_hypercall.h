/*
 * Keel-specific hypercalls.  The TLFS has no call that reports a
 * hypervisor's configuration, so Keel adds these in the style of the TLFS
 * (same control word, same status codes) in the code range 0x7f00-0x7fff,
 * which the TLFS does not use (its extended calls start at 0x8001).
 *
 * KEEL_HVCALL_NULL (fast, no input, no output; any partition): returns
 *   HV_STATUS_SUCCESS.  A round trip with no work, for measuring cost.
 * KEEL_HVCALL_GET_INFO (slow; parent only, else HV_STATUS_ACCESS_DENIED):
 *   output GPA in R8 receives a
 *   struct keel_hv_info; it must be 8-byte aligned, not cross a page, and lie
 *   in the caller's RAM.  Input GPA (RDX) is ignored.
 */
#ifndef KEEL_ABI_KEEL_HYPERCALL_H
#define KEEL_ABI_KEEL_HYPERCALL_H

#include <stdint.h>

#define KEEL_HVCALL_NULL     0x7f00
#define KEEL_HVCALL_GET_INFO 0x7f01
#define KEEL_HVCALL_GET_VP_STATE 0x7f02
#define KEEL_HVCALL_GUEST_MEMORY 0x7f03
#define KEEL_HVCALL_APIC_ACCESS 0x7f04
#define KEEL_HVCALL_MAP_WINDOW   0x7f05
#define KEEL_HVCALL_UNMAP_WINDOW 0x7f06

/*
 * A Keel partition property (HvCallSet/GetPartitionProperty on a child,
 * from the parent; codes 0x7f000000 and up are Keel's): two port ranges
 * where the parent's platform has no device, each `first | last << 16`
 * (0 = none), in bits 31:0 and 63:32.  The hypervisor answers a child's IN
 * or OUT whose port lies in one of them itself, as a bus with nothing on
 * it does (reads all ones, writes are dropped), without an intercept;
 * string I/O still goes to the parent.  The parent sets the PCI
 * configuration ports 0xcf8 and 0xcfc-0xcff, where Linux probes 8,192
 * slots at boot, but not 0xcf9 (its reset register).
 */
#define KEEL_PARTITION_PROPERTY_ABSENT_PORTS 0x7f000001u

/* Range i (0 or 1) of such a property value. */
static inline uint16_t keel_absent_first(uint64_t ranges, unsigned i) { return (uint16_t)(ranges >> (32 * i)); }
static inline uint16_t keel_absent_last(uint64_t ranges, unsigned i) { return (uint16_t)(ranges >> (32 * i + 16)); }

/*
 * The parent's window onto child memory (the data path of VMBus: rings
 * and I/O buffers a child describes with GPADLs).  Each child partition
 * has a window of KEEL_WINDOW_PAGES pages in the parent's guest-physical
 * space, at window_base + partition_id * KEEL_WINDOW_BYTES
 * (keel_hv_info.window_base, above every address of the boot memory map;
 * KEEL_WINDOW_COUNT windows of KEEL_WINDOW_BYTES, the parent's id's unused).
 * Its pages are empty until the parent maps child pages into them; the
 * parent then reads and writes them with ordinary loads and stores while
 * the child runs.  Nothing else of the window is usable: a touch of an
 * empty window page is #GP, and the hypervisor never takes a window page
 * as a hypercall buffer or overlay page.
 *
 * KEEL_HVCALL_MAP_WINDOW (slow rep; parent only): input struct
 * keel_map_window_input, then one child GPA page number per rep; element i
 * maps that child page at window page window_page + i with `flags`
 * (HV_MAP_GPA_READABLE, required, and optionally HV_MAP_GPA_WRITABLE;
 * never executable).  In the order checked: HV_STATUS_INVALID_PARTITION_ID
 * (not a child), HV_STATUS_INVALID_PARTITION_STATE (not initialized, or
 * finalized), HV_STATUS_INVALID_PARAMETER (flags or reserved bits, a window
 * page beyond KEEL_WINDOW_PAGES or already mapped, a child page that is not
 * mapped in the child), HV_STATUS_INSUFFICIENT_MEMORY (the hypervisor has
 * no frame for a table).  Rep semantics as the TLFS's: elements before the
 * failing one stay mapped.
 *
 * KEEL_HVCALL_UNMAP_WINDOW (slow rep; parent only): input struct
 * keel_unmap_window_input, no elements: the rep count is the number of
 * window pages from window_page on.  HV_STATUS_INVALID_PARAMETER for a page
 * beyond the window or one that is not mapped.  When the call returns, no
 * translation of the parent can reach the pages any more.
 *
 * Revocation: a child's pages leave the parent's window before they can
 * change owner.  HvCallUnmapGpaPages of a child page that the window still
 * maps fails with HV_STATUS_OPERATION_DENIED; finalizing a child empties
 * its whole window first.
 */
#define KEEL_WINDOW_BYTES (1ull << 30)
#define KEEL_WINDOW_COUNT 64   /* partition ids below this have one */
#define KEEL_WINDOW_PAGES (KEEL_WINDOW_BYTES / 4096)
#define KEEL_MAP_WINDOW_MAX_PAGES ((4096 - 24) / 8)

struct keel_map_window_input {
	uint64_t partition_id;
	uint64_t window_page;    /* first window page (0 .. KEEL_WINDOW_PAGES - 1) */
	uint32_t flags;          /* HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE */
	uint32_t reserved;
	/* uint64_t child_gpa_page[rep count] */
};
_Static_assert(sizeof(struct keel_map_window_input) == 24, "keel_map_window_input layout");

struct keel_unmap_window_input {
	uint64_t partition_id;
	uint64_t window_page;
};
_Static_assert(sizeof(struct keel_unmap_window_input) == 16, "keel_unmap_window_input layout");

/*
 * KEEL_HVCALL_GUEST_MEMORY (slow; parent only): read or write a child's
 * memory at a linear address of one of its VPs, translated through that
 * VP's paging, as an instruction of the VP would (the parent's emulator
 * uses it for the memory side of MOVS, INS and OUTS).  The VP must be
 * suspended or waiting for an intercept.  Input at RDX: the header, then
 * (for a write) `length` bytes; output at R8 (for a read): `length` bytes.
 * length <= KEEL_GUEST_MEMORY_MAX; neither buffer may cross a page.
 * HV_STATUS_INVALID_PARAMETER if a byte does not translate to the child's
 * RAM; a write has then stored the bytes before it.
 */
struct keel_guest_memory_input {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t flags;          /* KEEL_GUEST_MEMORY_WRITE */
	uint64_t linear;
	uint32_t length;
	uint32_t reserved;
	/* uint8_t data[length] for a write */
};
#define KEEL_GUEST_MEMORY_WRITE 1u
#define KEEL_GUEST_MEMORY_MAX   (4096 - 32)
_Static_assert(sizeof(struct keel_guest_memory_input) == 32, "keel_guest_memory_input layout");

/*
 * KEEL_HVCALL_APIC_ACCESS (slow; parent only): one 32-bit access to the
 * xAPIC register page of a child's VP, at `offset` (0..0xff0, 16-byte
 * aligned) from its APIC base, as the VP's own MOV would do it (the parent
 * decodes the instruction that touched 0xfee00000-0xfee00fff).  The VP must
 * be suspended or waiting for an intercept.  A write takes effect as on
 * hardware: EOI, an ICR write (IPIs to the other VPs are posted and kicked),
 * the timer.  Input struct keel_apic_access at RDX; output one uint32_t at
 * R8: a read's value; for a write, the vector of a level-triggered
 * interrupt it ended (an EOI), for the IOAPIC's Remote IRR, or 0.  HV_STATUS_INVALID_VP_STATE while the VP's APIC is not in
 * xAPIC mode (disabled, or x2APIC: the page is then not decoded and the
 * parent treats the access as an access to nothing);
 * HV_STATUS_INVALID_PARAMETER for a bad offset or flags.
 */
struct keel_apic_access {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t offset;
	uint32_t flags;          /* KEEL_APIC_ACCESS_WRITE */
	uint32_t value;          /* written for a write */
};
#define KEEL_APIC_ACCESS_WRITE 1u
_Static_assert(sizeof(struct keel_apic_access) == 24, "keel_apic_access layout");

/*
 * KEEL_HVCALL_GET_VP_STATE (slow; parent only): input struct
 * keel_vp_state_input at RDX, output struct keel_vp_state at R8.  The TLFS
 * has no call that says whether a child VP runs, halted or crashed.
 */
struct keel_vp_state_input {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t reserved;
};

#define KEEL_VP_STOPPED 0   /* suspended (never started, or stopped) */
#define KEEL_VP_QUEUED  1   /* runnable, waiting for its pCPU */
#define KEEL_VP_RUNNING 2
#define KEEL_VP_HALTED  3   /* executed HLT; waits for an interrupt */
#define KEEL_VP_CRASHED 4   /* stopped by a fault it caused; see `reason` */
#define KEEL_VP_INTERCEPT 5 /* waits for the parent to complete an intercept */

/* Exits by kind, indexes of keel_vp_state.exits_by_kind. */
enum keel_exit_kind {
	KEEL_EXIT_CPUID,
	KEEL_EXIT_HYPERCALL,
	KEEL_EXIT_MSR,
	KEEL_EXIT_IO,           /* port I/O: an intercept for the parent */
	KEEL_EXIT_GPA,          /* second-level fault: overlay pages, or an intercept */
	KEEL_EXIT_HLT,
	KEEL_EXIT_INTERRUPT,    /* a host interrupt or the end of its time slice */
	KEEL_EXIT_EXCEPTION,    /* an intercepted exception reflected (#DB, #AC) */
	KEEL_EXIT_PAUSE,        /* PAUSE in a spin loop: it may give way to another VP */
	KEEL_EXIT_OTHER,        /* the rest (CR and XSETBV writes, ...) */
	KEEL_EXIT_KINDS
};

struct keel_vp_state {
	uint32_t state;         /* KEEL_VP_* */
	uint32_t pcpu;          /* pCPU whose queue holds it */
	uint64_t exits;
	char reason[48];        /* why it crashed, NUL-terminated */
	uint64_t exits_by_kind[KEEL_EXIT_KINDS]; /* they add up to exits */
};
_Static_assert(sizeof(struct keel_vp_state) == 64 + 8 * KEEL_EXIT_KINDS, "keel_vp_state layout");

#define KEEL_BACKEND_SVM 1
#define KEEL_BACKEND_VMX 2

/* Backend features found on the CPU (bits of keel_hv_info.features). */
#define KEEL_FEATURE_NPT           (1u << 0)
#define KEEL_FEATURE_NRIP          (1u << 1)
#define KEEL_FEATURE_FLUSH_BY_ASID (1u << 2)
#define KEEL_FEATURE_VGIF          (1u << 3)
#define KEEL_FEATURE_EPT           (1u << 4)
#define KEEL_FEATURE_VPID          (1u << 5)
#define KEEL_FEATURE_REAL_MODE     (1u << 6) /* children may run in real mode or with paging off */

struct keel_hv_info {
	uint32_t backend;          /* KEEL_BACKEND_* */
	uint32_t pcpus;            /* physical CPUs online */
	uint64_t hv_memory_bytes;  /* the hypervisor's region, image included */
	uint64_t hv_free_bytes;    /* free frames in that region */
	uint64_t parent_memory_bytes; /* RAM mapped into the parent */
	uint32_t features;         /* KEEL_FEATURE_* */
	uint32_t version;          /* major << 16 | minor << 8 | patch */
	uint64_t parent_exits;     /* exits taken by the parent's VP so far */
	char vendor[12];           /* CPUID 0x40000000 signature */
	uint32_t time_slice_us;    /* scheduler time slice */
	uint64_t window_base;      /* the children's windows (KEEL_HVCALL_MAP_WINDOW); 0: none */
	uint64_t reserved[7];
};
_Static_assert(sizeof(struct keel_hv_info) == 128, "keel_hv_info layout");
_Static_assert(__builtin_offsetof(struct keel_hv_info, parent_memory_bytes) == 24, "keel_hv_info layout");
_Static_assert(__builtin_offsetof(struct keel_hv_info, vendor) == 48, "keel_hv_info layout");

#endif
