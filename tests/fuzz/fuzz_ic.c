/*
 * libFuzzer target: the integration services' parsers (vsp/ic/ic.c) fed
 * directly, without rings or channel messages, so that most runs reach the
 * answers' bodies: version negotiation, heartbeat, shutdown, time sync and
 * every KVP operation and string.  Each run opens the four services on
 * channels whose host->child rings are drained as a child would, then
 * takes the input as operations: an answer to service k (descriptor and IC
 * header made to match the request outstanding, the body from the input),
 * a packet as it comes, time passing (by the length taken), or a shutdown
 * request.  Checked
 * besides the sanitizers: every value the KVP service keeps is printable
 * ASCII and terminated.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vsp/ic/ic.h"
#include "vsp/ic/ic_abi.h"
#include "vsp/vmbus/ring.h"
#include "vsp/vmbus/server.h"

#define RING_PAGES 4

static uint8_t rings[IC_KINDS][RING_PAGES * 4096] __attribute__((aligned(4096)));
static struct vmbus_server server;
static struct vmbus_channel channels[IC_KINDS];
static struct ic ics[IC_KINDS];
static uint64_t ref_now;

static uint64_t reference(void *ctx) { (void)ctx; return ref_now; }
static void signal_child(void *ctx, uint32_t relid) { (void)ctx; (void)relid; }

/* The child takes everything the host wrote. */
static void drain(uint32_t k)
{
	struct vmbus_ring *out = &channels[k].out;

	out->hdr->read_index = out->hdr->write_index;
}

static void check_kvp(void)
{
	static const char *const keys[] = { "FullyQualifiedDomainName", "OSName", "OSBuildNumber",
					    "NetworkAddressIPv4", "OSVersion", "OSMajorVersion" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = ic_kvp_value(&ics[IC_KVP], keys[i]);

		for (; v && *v; v++)
			assert(*v >= 0x20 && *v < 0x7f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ic_clock clock = { reference, reference, NULL };

	memset(&server, 0, sizeof(server));
	server.host.signal = signal_child;
	ref_now = 0;
	for (uint32_t k = 0; k < IC_KINDS; k++) {
		struct vmbus_channel *c = &channels[k];

		memset(rings[k], 0, 4096 * 2); /* the headers */
		memset(c, 0, sizeof(*c));
		c->server = &server;
		c->service = ic_service(k);
		c->priv = &ics[k];
		c->relid = k + 1;
		c->state = VMBUS_CHANNEL_OPEN;
		vmbus_ring_init(&c->out, rings[k], RING_PAGES / 2, true);
		vmbus_ring_init(&c->in, rings[k] + RING_PAGES / 2 * 4096, RING_PAGES / 2, false);
		ic_init(&ics[k], k, &clock);
		c->service->open(c);
		drain(k);
	}
	while (size >= 3) {
		uint8_t op = data[0] % 4, k = data[1] % IC_KINDS;
		size_t len = data[2] * 8u;
		struct vmbus_channel *c = &channels[k];
		uint8_t payload[IC_BODY_OFFSET + 2048];

		data += 3, size -= 3;
		if (len > size)
			len = size;
		if (len > sizeof(payload))
			len = sizeof(payload);
		memcpy(payload, data, len);
		data += len, size -= len;
		if (op == 0) {          /* an answer to what is outstanding */
			struct vmbus_packet_desc d = { VMBUS_PACKET_DATA_INBAND, 2, 0, 0, ics[k].trans_id };
			struct ic_header h;

			if (len < IC_BODY_OFFSET) {
				memset(payload + len, 0, IC_BODY_OFFSET - len);
				len = IC_BODY_OFFSET;
			}
			memcpy(&h, payload + sizeof(struct ic_pipe_header), sizeof(h));
			h.msgtype = ics[k].msgtype;
			h.flags |= IC_FLAG_RESPONSE;
			memcpy(payload + sizeof(struct ic_pipe_header), &h, sizeof(h));
			c->service->packet(c, &d, payload, len);
		} else if (op == 1) {   /* a packet as it comes */
			uint8_t v = len ? payload[0] : 0;
			struct vmbus_packet_desc d = { (uint16_t)(v % 12), 2, 0, 0, ics[k].trans_id ^ (v & 1) };

			c->service->packet(c, &d, payload, len);
		} else if (op == 2) {   /* time passes */
			ref_now += (uint64_t)(len / 8) * 1000000;
			for (uint32_t i = 0; i < IC_KINDS; i++)
				channels[i].service->tick(&channels[i], ref_now);
		} else {
			ic_shutdown(&ics[IC_SHUTDOWN]);
		}
		for (uint32_t i = 0; i < IC_KINDS; i++)
			drain(i);
	}
	check_kvp();
	for (uint32_t k = 0; k < IC_KINDS; k++)
		channels[k].service->close(&channels[k]);
	return 0;
}
