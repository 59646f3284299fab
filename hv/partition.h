/*
 * Partitions.  Issue scope: the parent partition, identity-mapped
 * (GPA == HPA) over all memory the hypervisor does not own.
 */
#ifndef KEEL_HV_PARTITION_H
#define KEEL_HV_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/pagetable.h"
#include "hv/vp.h"

struct partition {
	uint32_t id;                 /* (i) 0 = parent */
	bool is_parent;              /* (i) holds management privileges */
	struct page_table slat;      /* second-level tables (NPT/EPT) */
	struct vp *vp;               /* (i) one VP for now */
	uint64_t guest_os_id;        /* HV_X64_MSR_GUEST_OS_ID */
	uint64_t hypercall_msr;      /* HV_X64_MSR_HYPERCALL */
};

extern struct partition parent_partition;

int parent_create(void);
/* Host-virtual pointer to [gpa, gpa+size) of p's memory when it is mapped
 * (writable if `write`), lies in one page and is not hypervisor memory;
 * NULL otherwise.  Valid until the partition's mappings change. */
void *partition_gpa_to_hva(struct partition *p, uint64_t gpa, size_t size, bool write);
/* Stop a partition for a fault it caused; never returns for the parent. */
void partition_crash(struct partition *p, const char *why);
/* A second-level fault of vp (exit.gpa_fault). */
void partition_gpa_fault(struct vp *vp);
/* RAM the parent owns: every RAM range of the map outside the hypervisor. */
uint64_t partition_ram_bytes(void);

#endif
