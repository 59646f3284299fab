/*
 * libFuzzer target: the rings (vsp/vmbus/ring.c) and the integration
 * services' answers (vsp/ic/ic.c) behind an open channel.  Each run
 * connects a server, opens all four IC channels on 8-page ring GPADLs in
 * a fake child memory (as hv_utils does) and then takes the input as
 * operations: a well-formed packet into a channel's child->host ring
 * (type, flags and payload from the input; its IC header half the time
 * made to match the request outstanding), raw bytes over a ring header
 * or data, a signal, or time passing.  Checked besides the sanitizers:
 * nothing the child writes makes the host write outside the ring pages
 * (ASan), and after a reset nothing stays mapped.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vsp/ic/ic_abi.h"

#define FAKE_CHILD_PAGES (8 * IC_KINDS)
#include "tests/fuzz/fake_host.h"

static struct vmbus_server s;
static struct ic ics[IC_KINDS];

static void message(const void *m, size_t len)
{
	uint8_t copy[240];

	memcpy(copy, m, len);
	vmbus_server_message(&s, copy, len);
}

static void open_all(void)
{
	struct vmbus_initiate_contact c = { .header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
					    .version_requested = VMBUS_VERSION_WIN10_V5_3, .msg_sint = 2 };
	struct vmbus_msg_header r = { .msgtype = VMBUS_MSG_REQUESTOFFERS };

	message(&c, sizeof(c));
	message(&r, sizeof(r));
	for (uint32_t k = 0; k < IC_KINDS; k++) {
		uint8_t m[240];
		struct vmbus_gpadl_header h = { .header.msgtype = VMBUS_MSG_GPADL_HEADER, .child_relid = k + 1,
						.gpadl = 0x100 + k, .range_buflen = 8 + 8 * 8, .rangecount = 1,
						.byte_count = 8 * 4096 };
		struct vmbus_open_channel o = { .header.msgtype = VMBUS_MSG_OPENCHANNEL, .child_relid = k + 1,
						.ringbuffer_gpadl = 0x100 + k, .downstream_page_offset = 4 };

		memcpy(m, &h, sizeof(h));
		for (uint64_t i = 0; i < 8; i++) {
			uint64_t pfn = k * 8 + i;
			memcpy(m + sizeof(h) + 8 * i, &pfn, 8);
		}
		message(m, sizeof(h) + 64);
		message(&o, sizeof(o));
	}
}

/* Append a packet to channel k's child->host ring as a writer would. */
static void child_packet(uint32_t k, uint16_t type, uint16_t flags, const uint8_t *payload, size_t len)
{
	struct vmbus_ring_header *hdr = (void *)(fake_child + k * 8 * 4096);
	uint8_t *data = (uint8_t *)hdr + 4096;
	uint32_t size = 3 * 4096, wr = hdr->write_index % size & ~7u, at = wr;
	struct vmbus_packet_desc d = { type, 2, (uint16_t)((16 + len + 7) / 8), flags, ics[k].trans_id };
	uint8_t pkt[16 + 4096 + 8] = { 0 };
	uint64_t trailer = (uint64_t)wr << 32;

	memcpy(pkt, &d, 16);
	memcpy(pkt + 16, payload, len);
	memcpy(pkt + d.len8 * 8u, &trailer, 8);
	for (uint32_t i = 0; i < d.len8 * 8u + 8; i++, at = (at + 1) % size)
		data[at] = pkt[i];
	hdr->write_index = at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fake_start(&s, ics);
	open_all();
	while (size >= 3) {
		uint8_t op = data[0] % 4, k = data[1] % IC_KINDS, arg = data[2];
		size_t len = arg * 16u;

		data += 3, size -= 3;
		if (len > size)
			len = size;
		if (op == 0 && len) {   /* a packet; IC header made to match half the time */
			uint8_t payload[4096];

			memcpy(payload, data, len);
			if (len >= IC_BODY_OFFSET && (payload[0] & 1)) {
				struct ic_header h;

				memcpy(&h, payload + 8, sizeof(h));
				h.msgtype = ics[k].msgtype;
				h.flags |= IC_FLAG_RESPONSE;
				memcpy(payload + 8, &h, sizeof(h));
			}
			child_packet(k, VMBUS_PACKET_DATA_INBAND, 0, payload, len);
			vmbus_server_event(&s, k + 1);
		} else if (op == 1 && len >= 2) { /* raw bytes somewhere in channel k's rings */
			size_t at = (data[0] | (size_t)data[1] << 8) % (8 * 4096);

			if (len - 2 > 8 * 4096 - at)
				len = 8 * 4096 - at + 2;
			memcpy(fake_child + k * 8 * 4096 + at, data + 2, len - 2);
		} else if (op == 2) {
			vmbus_server_event(&s, k + 1);
		} else {
			fake_ref_now += (uint64_t)arg * 1000000;
			vmbus_server_tick(&s, fake_ref_now);
			len = 0;
			if (arg == 0xff)
				ic_shutdown(&ics[IC_SHUTDOWN]);
		}
		data += len, size -= len;
	}
	vmbus_server_reset(&s);
	assert(fake_mapped == 0);
	return 0;
}
