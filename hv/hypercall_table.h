/*
 * The hypercall table: one row per call with everything the dispatcher
 * checks before a handler runs (TLFS "Hypercall Interface").  New calls are
 * new rows; a handler sees only its private copy of the input and fills a
 * private output that the dispatcher copies out once.
 *
 * The table (hv/hypercall_table.c), hypercall_find and hypercall_check
 * (hv/hypercall_check.c) are pure and unit-tested on the host; the
 * dispatcher is in hv/hypercall.c.
 */
#ifndef KEEL_HV_HYPERCALL_TABLE_H
#define KEEL_HV_HYPERCALL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"

struct vp;

#define HC_PARENT_ONLY (1u << 0) /* children get HV_STATUS_ACCESS_DENIED */
#define HC_REP         (1u << 1) /* a rep call: rep count 1..max_reps */
#define HC_FAST        (1u << 2) /* may be called fast (input in RDX, R8; no output) */
#define HC_SLOW        (1u << 3) /* may be called memory-based */

/* Inputs of a fast call: RDX and R8. */
#define HC_FAST_INPUT_MAX 16

/* One call in progress, as its handler sees it. */
struct hypercall {
	struct vp *vp;          /* the caller */
	uint64_t control;
	uint32_t rep_start;     /* rep calls: the first element to do */
	uint32_t rep_count;
	uint32_t done;          /* rep calls: set to the index reached */
	const uint8_t *in;      /* the private copy of the input */
	size_t in_len;
	uint8_t *out;           /* the private output, zeroed */
	size_t out_len;
};

/*
 * A handler returns a TLFS status.  Rep handlers process elements
 * [rep_start, rep_count) and set done to the index reached, including on
 * failure.  For a simple call the output is copied out only on success;
 * for a rep call, the fixed part and elements [rep_start, done) always.
 */
typedef uint16_t hypercall_fn(struct hypercall *hc);

/*
 * For calls whose input or output length depends on the input: given the
 * fixed part (already copied), the total input and output lengths, or a
 * status when the fixed part is malformed.
 */
typedef uint16_t hypercall_size_fn(const void *fixed, size_t *in_len, size_t *out_len);

struct hypercall_row {
	uint16_t code;
	uint8_t flags;          /* HC_* */
	uint16_t max_reps;      /* rep calls */
	uint16_t in_size;       /* fixed input bytes */
	uint16_t in_elem;       /* bytes per rep element of input */
	uint16_t out_size;      /* fixed output bytes */
	uint16_t out_elem;      /* bytes per rep element of output */
	hypercall_size_fn *size; /* optional: variable lengths */
	hypercall_fn *fn;
	const char *name;
};

/* What hypercall_check derives from the control word. */
struct hypercall_shape {
	bool fast;
	uint32_t rep_start, rep_count;
	size_t in_len, out_len;
};

/* The row for code in a table sorted by code, or NULL.  Inline: every
 * hypercall exit runs it. */
static inline const struct hypercall_row *hypercall_find(const struct hypercall_row *table, size_t n, uint16_t code)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (table[mid].code == code)
			return &table[mid];
		if (table[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Check a control word against its row for a caller (parent or child), in
 * the TLFS order: reserved bits, access, fast/slow, variable header, rep
 * count and start.  Fills shape (lengths for the fixed part and the rep
 * elements).  Returns a TLFS status.
 */
static inline uint16_t hypercall_check(const struct hypercall_row *row, uint64_t control, bool parent,
				       struct hypercall_shape *shape)
{
	uint32_t count = HV_HYPERCALL_REP_COUNT(control), start = HV_HYPERCALL_REP_START(control);
	bool fast = control & HV_HYPERCALL_FAST;

	if (control & HV_HYPERCALL_RSVD_MASK)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if ((row->flags & HC_PARENT_ONLY) && !parent)
		return HV_STATUS_ACCESS_DENIED;
	if (fast ? !(row->flags & HC_FAST) : !(row->flags & HC_SLOW))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	/* No Keel call has a variable header. */
	if (control & HV_HYPERCALL_VARHEAD_MASK)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (row->flags & HC_REP) {
		if (count == 0 || count > row->max_reps || start > count)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
	} else if (count || start) {
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	}
	shape->fast = fast;
	shape->rep_start = start;
	shape->rep_count = count;
	shape->in_len = row->in_size + (size_t)row->in_elem * count;
	shape->out_len = row->out_size + (size_t)row->out_elem * count;
	return HV_STATUS_SUCCESS;
}

/*
 * Check a parameter block at gpa of len bytes: 8-byte aligned and within
 * one page (TLFS: HV_STATUS_INVALID_ALIGNMENT otherwise).
 */
uint16_t hypercall_check_block(uint64_t gpa, size_t len);

/* The table (hv/hypercall_table.c). */
extern const struct hypercall_row hypercall_table[];
extern const size_t hypercall_table_len;

/* Handlers: hv/hypercall.c (Keel's own calls) and hv/hypercall_partition.c. */
hypercall_fn hc_null;
hypercall_fn hc_get_info;
hypercall_fn hc_get_vp_state;
hypercall_fn hc_guest_memory;
hypercall_fn hc_map_window;
hypercall_fn hc_unmap_window;
hypercall_fn hc_apic_access;
hypercall_fn hc_get_partition_id;
hypercall_fn hc_create_partition;
hypercall_fn hc_partition_property;   /* get and set */
hypercall_fn hc_partition_op;         /* initialize, finalize, delete */
hypercall_fn hc_get_memory_balance;
hypercall_fn hc_deposit_memory;
hypercall_fn hc_withdraw_memory;
hypercall_fn hc_map_gpa_pages;
hypercall_fn hc_unmap_gpa_pages;
hypercall_fn hc_create_vp;
hypercall_fn hc_assert_virtual_interrupt;
hypercall_fn hc_delete_vp;
hypercall_fn hc_get_vp_registers;
/* hv/port.c */
hypercall_fn hc_create_port;
hypercall_fn hc_delete_port;
hypercall_fn hc_connect_port;
hypercall_fn hc_disconnect_port;
hypercall_fn hc_post_message;
hypercall_fn hc_signal_event;
hypercall_fn hc_set_vp_registers;

/* A table's own consistency (sorted, unique, fast rows small): for tests. */
bool hypercall_table_valid(const struct hypercall_row *table, size_t n);

#endif
