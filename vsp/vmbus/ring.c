/* VMBus ring buffers, host side; contract in ring.h. */
#include "vsp/vmbus/ring.h"

#include <string.h>

#define TRAILER 8u

static uint32_t load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static bool index_ok(const struct vmbus_ring *r, uint32_t i)
{
	return i < r->size && !(i & 7);
}

/* Bytes between from and to, going forward around the ring. */
static uint32_t span(const struct vmbus_ring *r, uint32_t from, uint32_t to)
{
	return to >= from ? to - from : r->size - from + to;
}

static void copy_out(const struct vmbus_ring *r, uint32_t at, void *dst, size_t n)
{
	size_t first = r->size - at < n ? r->size - at : n;

	memcpy(dst, r->data + at, first);
	memcpy((uint8_t *)dst + first, r->data, n - first);
}

static void copy_in(struct vmbus_ring *r, uint32_t at, const void *src, size_t n)
{
	size_t first = r->size - at < n ? r->size - at : n;

	memcpy(r->data + at, src, first);
	memcpy(r->data, (const uint8_t *)src + first, n - first);
}

void vmbus_ring_init(struct vmbus_ring *r, void *base, uint32_t pages, bool host_writes)
{
	memset(r, 0, sizeof(*r));
	r->hdr = base;
	r->data = (uint8_t *)base + VMBUS_RING_PAGE;
	r->size = (pages - 1) * VMBUS_RING_PAGE;
	r->index = load(host_writes ? &r->hdr->write_index : &r->hdr->read_index);
	if (!index_ok(r, r->index))
		r->broken = true;
	r->start = r->index;
	if (!host_writes)
		store(&r->hdr->interrupt_mask, 0); /* the host wants every signal */
}

int vmbus_ring_read(struct vmbus_ring *r, void *buf, size_t cap)
{
	struct vmbus_packet_desc d;
	uint32_t write, avail, len;

	if (r->broken)
		return -1;
	for (;;) {
		write = load(&r->hdr->write_index);
		if (!index_ok(r, write))
			goto broken;
		avail = span(r, r->index, write);
		if (!avail)
			return 0;
		/* A writer publishes whole packets: anything less is a lie. */
		if (avail < sizeof(d) + TRAILER)
			goto broken;
		copy_out(r, r->index, &d, sizeof(d));
		len = (uint32_t)d.len8 * 8;
		if (d.len8 < 2 || d.offset8 < 2 || d.offset8 > d.len8 || len + TRAILER > avail)
			goto broken;
		if (len <= cap) {
			memcpy(buf, &d, sizeof(d));
			copy_out(r, (r->index + (uint32_t)sizeof(d)) % r->size, (uint8_t *)buf + sizeof(d),
				 len - sizeof(d));
		} else {
			r->oversized++;
		}
		r->index = (r->index + len + TRAILER) % r->size;
		if (len <= cap)
			return (int)len;
	}
broken:
	r->broken = true;
	return -1;
}

int vmbus_ring_read_done(struct vmbus_ring *r, bool *more)
{
	uint32_t pending, write, before, after;
	int signal = 0;

	*more = false;
	if (r->broken)
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	store(&r->hdr->read_index, r->index);
	/* The writer checks our index before it signals: a packet it wrote
	 * just before the store above came without a signal, so look again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	write = load(&r->hdr->write_index);
	if (!index_ok(r, write)) {
		r->broken = true;
		return 0;
	}
	*more = write != r->index;
	pending = load(&r->hdr->pending_send_sz);
	if (pending && (load(&r->hdr->feature_bits) & VMBUS_RING_FEAT_PENDING_SEND_SZ)) {
		before = r->size - span(r, r->start, write);
		after = r->size - span(r, r->index, write);
		signal = before <= pending && after > pending;
	}
	r->start = r->index;
	return signal;
}

int vmbus_ring_write(struct vmbus_ring *r, uint16_t type, uint16_t flags, uint64_t trans_id, const void *payload,
		     size_t len)
{
	static const uint8_t zeros[8];
	struct vmbus_packet_desc d = { .type = type, .offset8 = sizeof(d) / 8, .flags = flags, .trans_id = trans_id };
	uint32_t read, old = r->index, padded = (uint32_t)((len + 7) & ~(size_t)7);
	uint32_t total = (uint32_t)sizeof(d) + padded + TRAILER;
	uint64_t trailer = (uint64_t)old << 32;

	if (r->broken)
		return -1;
	read = load(&r->hdr->read_index);
	if (!index_ok(r, read)) {
		r->broken = true;
		return -1;
	}
	if (len > r->size || r->size - span(r, read, old) <= total) {
		store(&r->hdr->pending_send_sz, total);
		return -1;
	}
	d.len8 = (uint16_t)((sizeof(d) + padded) / 8);
	copy_in(r, old, &d, sizeof(d));
	copy_in(r, (old + (uint32_t)sizeof(d)) % r->size, payload, len);
	copy_in(r, (old + (uint32_t)(sizeof(d) + len)) % r->size, zeros, padded - len);
	copy_in(r, (old + (uint32_t)sizeof(d) + padded) % r->size, &trailer, TRAILER);
	r->index = (old + total) % r->size;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	store(&r->hdr->write_index, r->index);
	store(&r->hdr->pending_send_sz, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Signal only on empty -> non-empty, and only when the reader wants it. */
	return !load(&r->hdr->interrupt_mask) && load(&r->hdr->read_index) == old;
}
