/*
 * One direction of a VMBus channel, as the host sees it: a ring buffer
 * (docs/vmbus-protocol.md section 5) in the child's pages, mapped by the
 * host.  The child can write every byte of it at any time, so each index
 * and each packet is read once into a private copy and checked there; the
 * host's own index (read index of the child's ring, write index of its
 * own) lives in `index` and is only ever published, never read back.
 *
 * A ring whose child-written index is impossible, or whose packet header
 * is, is `broken`: nothing more is read from or written to it.
 *
 * Pure logic: the same file links into the parent and host tests.
 */
#ifndef KEEL_VSP_VMBUS_RING_H
#define KEEL_VSP_VMBUS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vsp/vmbus/vmbus_abi.h"

#define VMBUS_RING_PAGE 4096u

struct vmbus_ring {
	struct vmbus_ring_header *hdr;  /* shared */
	uint8_t *data;                  /* shared, `size` bytes */
	uint32_t size;
	uint32_t index;                 /* the host's index, private */
	uint32_t start;                 /* read index when this batch of reads began */
	bool broken;
	uint32_t oversized;             /* packets skipped: longer than the reader's buffer */
};

/* A ring of `pages` pages (header page + data) at `base`; pages >= 2.  The
 * host's index starts at the child's (0 on a freshly opened channel). */
void vmbus_ring_init(struct vmbus_ring *r, void *base, uint32_t pages, bool host_writes);

/* The next packet of the child's ring into buf[0..cap): its length (the
 * descriptor included, the trailer not), 0 when the ring is empty, -1 when
 * the ring is broken.  A packet longer than cap is skipped and counted. */
int vmbus_ring_read(struct vmbus_ring *r, void *buf, size_t cap);
/* After reads: publish the read index.  Returns 1 when the writer waits
 * for the room just made (pending_send_sz) and must be signalled, 0
 * otherwise; then also reports in *more whether packets came in
 * meanwhile. */
int vmbus_ring_read_done(struct vmbus_ring *r, bool *more);

/* Write one packet (type, trans_id, payload[0..len)) to the host's ring.
 * Returns 1 when the child must be signalled, 0 when not, -1 when there is
 * no room (pending_send_sz asks the child to signal when there is) or the
 * ring is broken. */
int vmbus_ring_write(struct vmbus_ring *r, uint16_t type, uint16_t flags, uint64_t trans_id, const void *payload,
		     size_t len);

#endif
