/*
 * The parent's side of the VMBus server for the fuzz targets that drive it
 * through channel messages: a child memory of FAKE_CHILD_PAGES pages (define
 * it before including), GPADLs mapped only when their PFNs are that
 * memory's and contiguous, a count of pages mapped that unmapping must
 * never take below 0, replies checked to fit a message, relids checked on
 * open and signal, and a reference clock the target moves.  fake_start
 * begins a run: the memory cleared, the server initialised and the four
 * integration services offered.  One copy per target binary.
 */
#ifndef KEEL_TESTS_FUZZ_FAKE_HOST_H
#define KEEL_TESTS_FUZZ_FAKE_HOST_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vsp/ic/ic.h"
#include "vsp/vmbus/server.h"

#ifndef FAKE_CHILD_PAGES
#error "define FAKE_CHILD_PAGES before including fake_host.h"
#endif

static uint8_t fake_child[FAKE_CHILD_PAGES * 4096] __attribute__((aligned(4096)));
static unsigned fake_mapped;
static uint64_t fake_ref_now;

static int fake_post(void *ctx, const void *msg, size_t len)
{
	(void)ctx;
	(void)msg;
	assert(len >= 8 && len <= 240);
	return 0;
}

static void *fake_map(void *ctx, const uint64_t *pfns, uint32_t n)
{
	(void)ctx;
	for (uint32_t i = 0; i < n; i++)
		if (pfns[i] >= FAKE_CHILD_PAGES || pfns[i] != pfns[0] + i)
			return NULL;
	fake_mapped += n;
	return fake_child + pfns[0] * 4096;
}

static void fake_unmap(void *ctx, void *at, uint32_t n)
{
	(void)ctx;
	(void)at;
	assert(fake_mapped >= n);
	fake_mapped -= n;
}

static int fake_open(void *ctx, uint32_t relid, uint32_t vp)
{
	(void)ctx;
	(void)vp;
	assert(relid >= 1 && relid <= VMBUS_CHANNELS_MAX);
	return 0;
}

static void fake_close(void *ctx, uint32_t relid)
{
	(void)ctx;
	assert(relid >= 1 && relid <= VMBUS_CHANNELS_MAX);
}

static void fake_signal(void *ctx, uint32_t relid)
{
	(void)ctx;
	assert(relid >= 1 && relid <= VMBUS_CHANNELS_MAX);
}

static uint64_t fake_reference(void *ctx)
{
	(void)ctx;
	return fake_ref_now;
}

static const struct vmbus_host fake_host = {
	fake_post, fake_map, fake_unmap, fake_open, fake_close, fake_signal, NULL,
};
static const struct ic_clock fake_clock = { fake_reference, fake_reference, NULL };

static void fake_start(struct vmbus_server *s, struct ic ics[IC_KINDS])
{
	memset(fake_child, 0, sizeof(fake_child));
	fake_mapped = 0;
	fake_ref_now = 0;
	vmbus_server_init(s, &fake_host);
	for (int k = 0; k < IC_KINDS; k++) {
		ic_init(&ics[k], k, &fake_clock);
		vmbus_server_offer(s, ic_service(k), &ics[k]);
	}
}

#endif
