/*
 * Partitions.  The parent is identity-mapped (GPA == HPA) over all memory
 * the hypervisor does not own; children get their memory from the parent
 * through hypercalls (hv/child.c), which unmaps it from the parent while the
 * child holds it.  Partition ids follow the TLFS: nonzero, the parent is 1.
 */
#ifndef KEEL_HV_PARTITION_H
#define KEEL_HV_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/pagetable.h"
#include "hv/spinlock.h"
#include "hv/vp.h"

#define PARTITION_MAX     64   /* ids 1..PARTITION_MAX-1 */
#define PARTITION_MAX_VPS 64
#define PARENT_PARTITION_ID 1

enum partition_state {
	PARTITION_CREATED,      /* exists; takes deposits */
	PARTITION_INITIALIZED,  /* has second-level tables; takes VPs and memory */
	PARTITION_FINALIZED,    /* being torn down: only deletion is allowed */
};

/* Fields are changed by the parent's hypercalls, which run one at a time
 * on the bootstrap processor (the parent has one VP); there is no partition
 * lock yet.  (i): fixed after creation.  (a): also read by the pCPUs that
 * run its VPs, with atomic accesses (tlb_gen, hv/tlb.h). */
#define PARTITION_RAM_CACHE 8

struct port;
struct connection;

struct partition {
	uint32_t id;                 /* (i) */
	bool is_parent;              /* (i) holds management privileges */
	enum partition_state state;
	/* Second-level tables (NPT/EPT).  Changed by the parent's hypercalls
	 * and the parent's own faults (BSP), walked in software by any pCPU
	 * (partition_gpa_to_hva: a VP's hypercall pages, the parent's SIM
	 * page from a child's pCPU): both under slat_lock, which is taken
	 * last (nothing else is locked inside it) and never held while
	 * waiting for another pCPU (tlb_shootdown comes after). */
	struct page_table slat;
	struct spinlock slat_lock;
	struct pt_ops slat_ops;      /* (i) children: tables from the deposit pool */
	struct vp *vps[PARTITION_MAX_VPS];
	uint64_t guest_os_id;        /* HV_X64_MSR_GUEST_OS_ID */
	uint64_t hypercall_msr;      /* HV_X64_MSR_HYPERCALL */
	uint64_t reference_tsc_msr;  /* HV_X64_MSR_REFERENCE_TSC */
	/* Deposited pages not in use, a list linked through their first word. */
	uint64_t pool_head;
	uint64_t pool_free;          /* pages on that list */
	uint64_t pool_total;         /* pages deposited and not withdrawn */
	uint64_t mapped_pages;       /* guest pages mapped from the parent */
	uint64_t window_pages;       /* of them, mapped in the parent's window too (hv/window.h) */
	const char *crash_reason;    /* set when one of its VPs crashed */
	uint64_t crash_params[5];    /* HV_X64_MSR_CRASH_P0-P4 */
	char crash_text[120];        /* a reason the guest reported (crash_reason then points here) */
	uint32_t cpu_weight;         /* scheduler weight of its VPs; 0 = default */
	/* Two port ranges without devices (KEEL_PARTITION_PROPERTY_ABSENT_PORTS):
	 * (atomic) set by the parent's hypercall, read at its VPs' exits on any
	 * pCPU; a VP in an exit sees the old or the new value, either is whole. */
	uint64_t absent_ports;
	uint64_t tlb_gen;            /* second-level generation (hv/tlb.h) */
	uint64_t ram_pages_known[PARTITION_RAM_CACHE]; /* partition_gpa_to_hva: pages known to be RAM; ~0 = none */
	/* Inter-partition communication (hv/port.h), all under ipc_lock: */
	uint64_t serial;             /* (i) unique among all partitions ever created */
	struct port *ports;          /* its ports (it receives), allocated at the first */
	struct connection *connections; /* its connections (it sends) */
	uint32_t port_count, connection_count; /* rows in use (the tables are packed) */
};

extern struct partition parent_partition;

/* The partition with this id, or NULL. */
struct partition *partition_get(uint64_t id);

int parent_create(void);
/* Host-virtual pointer to [gpa, gpa+size) of p's memory when it is mapped
 * (writable if `write`), lies in one page and is RAM that is not the
 * hypervisor's; NULL otherwise.  Valid until the partition's mappings
 * change. */
void *partition_gpa_to_hva(struct partition *p, uint64_t gpa, size_t size, bool write);
/* Stop a partition for a fault it caused; never returns for the parent. */
void partition_crash(struct partition *p, const char *why);
/* The guest reported a crash through HV_X64_MSR_CRASH_CTL (`ctl`): its
 * message, or its P0-P4, become the crash reason. */
void partition_guest_crash(struct partition *p, uint64_t ctl);
/* A second-level fault of vp (exit.gpa_fault). */
bool partition_gpa_fault(struct vp *vp);

/* After a handler: false once the VP's (child) partition has crashed. */
static inline bool vp_continues(const struct vp *vp)
{
	return !vp->partition->crash_reason || vp->partition->is_parent;
}
/* RAM the parent owns: every RAM range of the map outside the hypervisor,
 * less what children hold. */
uint64_t partition_ram_bytes(void);

#endif
