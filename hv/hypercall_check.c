/* Parameter-block and table checks of the hypercall table; pure. */
#include "hv/hypercall_table.h"

#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"

uint16_t hypercall_check_block(uint64_t gpa, size_t len)
{
	if (gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if (len > HV_PAGE_SIZE - (gpa & (HV_PAGE_SIZE - 1)))
		return HV_STATUS_INVALID_ALIGNMENT;
	return HV_STATUS_SUCCESS;
}

bool hypercall_table_valid(const struct hypercall_row *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hypercall_row *r = &table[i];

		if (i && table[i - 1].code >= r->code)
			return false;
		if (!r->fn || !(r->flags & (HC_FAST | HC_SLOW)))
			return false;
		/* Fast calls take at most RDX and R8 and have no output. */
		if ((r->flags & HC_FAST) && (r->in_size > HC_FAST_INPUT_MAX || r->out_size || r->size ||
					     (r->flags & HC_REP)))
			return false;
		if (r->flags & HC_REP) {
			if (!r->max_reps || r->max_reps > 0xfff)
				return false;
			if (r->in_size + (size_t)r->in_elem * r->max_reps > HV_PAGE_SIZE ||
			    r->out_size + (size_t)r->out_elem * r->max_reps > HV_PAGE_SIZE)
				return false;
		} else if (r->in_elem || r->out_elem || r->max_reps) {
			return false;
		}
		if (r->in_size > HV_PAGE_SIZE || r->out_size > HV_PAGE_SIZE)
			return false;
	}
	return true;
}
