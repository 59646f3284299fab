/*
 * libFuzzer target: the VMBus server (vsp/vmbus/server.c), its rings
 * (ring.c) and the integration services (vsp/ic/ic.c) as a hostile child
 * could drive them.  The input is a sequence of operations, each a byte
 * (op) and its data: a channel message (a length byte, taken mod 241, and
 * that many bytes), bytes written anywhere into the child's 16 pages (the
 * rings live there), a signal on a relid, or time passing.  Checked
 * besides the sanitizers: every reply fits a message, a connected server
 * speaks the version it agreed on, and after a reset the host maps
 * nothing.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vsp/ic/ic.h"
#include "vsp/vmbus/server.h"

#define PAGES 16

static uint8_t child[PAGES * 4096];
static unsigned mapped;
static uint64_t ref_now;

static int post(void *ctx, const void *msg, size_t len)
{
	(void)ctx;
	(void)msg;
	assert(len >= 8 && len <= 240);
	return 0;
}

static void *map(void *ctx, const uint64_t *pfns, uint32_t n)
{
	(void)ctx;
	for (uint32_t i = 0; i < n; i++)
		if (pfns[i] >= PAGES || pfns[i] != pfns[0] + i)
			return NULL;
	mapped += n;
	return child + pfns[0] * 4096;
}

static void unmap(void *ctx, void *at, uint32_t n)
{
	(void)ctx;
	(void)at;
	assert(mapped >= n);
	mapped -= n;
}

static int open_channel(void *ctx, uint32_t relid, uint32_t vp)
{
	(void)ctx;
	(void)vp;
	assert(relid >= 1 && relid <= VMBUS_CHANNELS_MAX);
	return 0;
}

static void close_channel(void *ctx, uint32_t relid)
{
	(void)ctx;
	(void)relid;
}

static void signal_child(void *ctx, uint32_t relid)
{
	(void)ctx;
	assert(relid >= 1 && relid <= VMBUS_CHANNELS_MAX);
}

static uint64_t reference(void *ctx)
{
	(void)ctx;
	return ref_now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ic_clock clock = { reference, reference, NULL };
	const struct vmbus_host host = { post, map, unmap, open_channel, close_channel, signal_child, NULL };
	static struct vmbus_server s;
	static struct ic ics[IC_KINDS];
	uint8_t msg[240];

	memset(child, 0, sizeof(child));
	mapped = 0;
	ref_now = 0;
	vmbus_server_init(&s, &host);
	for (int k = 0; k < IC_KINDS; k++) {
		ic_init(&ics[k], k, &clock);
		vmbus_server_offer(&s, ic_service(k), &ics[k]);
	}
	while (size >= 2) {
		uint8_t op = data[0] % 4;
		size_t len = data[1];

		data += 2, size -= 2;
		if (op == 0) {          /* a message */
			len %= 241;
			if (len > size)
				len = size;
			memcpy(msg, data, len); /* the parent copies each message once, too */
			vmbus_server_message(&s, msg, len);
			data += len, size -= len;
		} else if (op == 1 && size >= 2) { /* bytes into the child's pages */
			size_t at = ((size_t)data[0] << 8 | data[1]) * 4 % sizeof(child);

			data += 2, size -= 2;
			if (len > size)
				len = size;
			if (len > sizeof(child) - at)
				len = sizeof(child) - at;
			memcpy(child + at, data, len);
			data += len, size -= len;
		} else if (op == 2) {   /* a signal */
			vmbus_server_event(&s, len % (VMBUS_CHANNELS_MAX + 2));
		} else {                /* time passes */
			ref_now += (uint64_t)len * 1000000;
			vmbus_server_tick(&s, ref_now);
			if (len == 0xff)
				ic_shutdown(&ics[IC_SHUTDOWN]);
		}
		assert(s.state != VMBUS_CONNECTED || strcmp(vmbus_version_name(s.version), "unknown") != 0);
	}
	vmbus_server_reset(&s);
	assert(mapped == 0);
	return 0;
}
