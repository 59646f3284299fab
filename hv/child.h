/*
 * Child partitions: lifecycle and memory ownership.  Every operation is
 * made by the parent through a hypercall (hv/hypercall_partition.c) and
 * returns a TLFS status.  Ownership rule: a page of RAM belongs to exactly
 * one of the hypervisor, the parent (mapped in its second-level table) or
 * one child (mapped in the child's, or in its deposit pool); moving a page
 * unmaps it from its old owner before the new one can reach it.
 */
#ifndef KEEL_HV_CHILD_H
#define KEEL_HV_CHILD_H

#include <stdint.h>

#include "hv/partition.h"
#include "hv/vp.h"

uint16_t child_create(uint64_t *id);
uint16_t child_initialize(struct partition *p);
uint16_t child_finalize(struct partition *p);
uint16_t child_delete(struct partition *p);
/* Move one page of the parent's RAM (GPA page number) into p's pool. */
uint16_t child_deposit(struct partition *p, uint64_t parent_pfn);
/* Take one unused page back from p's pool; its page number in *parent_pfn. */
uint16_t child_withdraw(struct partition *p, uint64_t *parent_pfn);
/* Map the parent's page parent_pfn at p's page target_pfn with TLFS map
 * flags; unmap one page of p back to the parent. */
uint16_t child_map(struct partition *p, uint64_t target_pfn, uint64_t parent_pfn, uint32_t flags);
uint16_t child_unmap(struct partition *p, uint64_t target_pfn);
uint16_t child_create_vp(struct partition *p, uint32_t index);
uint16_t child_delete_vp(struct partition *p, uint32_t index);

#endif
