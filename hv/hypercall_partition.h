/* The TLFS partition-management hypercalls (hv/hypercall_partition.c). */
#ifndef KEEL_HV_HYPERCALL_PARTITION_H
#define KEEL_HV_HYPERCALL_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vp.h"

/* If `code` is one of these calls, perform it for vp and return true with
 * the TLFS status and the rep index reached. */
bool hypercall_partition(struct vp *vp, uint16_t code, uint64_t control, uint16_t *status, uint32_t *done);

#endif
