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

#define FAKE_CHILD_PAGES 16
#include "tests/fuzz/fake_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmbus_server s;
	static struct ic ics[IC_KINDS];
	uint8_t msg[240];

	fake_start(&s, ics);
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
			size_t at = ((size_t)data[0] << 8 | data[1]) * 4 % sizeof(fake_child);

			data += 2, size -= 2;
			if (len > size)
				len = size;
			if (len > sizeof(fake_child) - at)
				len = sizeof(fake_child) - at;
			memcpy(fake_child + at, data, len);
			data += len, size -= len;
		} else if (op == 2) {   /* a signal */
			vmbus_server_event(&s, len % (VMBUS_CHANNELS_MAX + 2));
		} else {                /* time passes */
			fake_ref_now += (uint64_t)len * 1000000;
			vmbus_server_tick(&s, fake_ref_now);
			if (len == 0xff)
				ic_shutdown(&ics[IC_SHUTDOWN]);
		}
		assert(s.state != VMBUS_CONNECTED || strcmp(vmbus_version_name(s.version), "unknown") != 0);
	}
	vmbus_server_reset(&s);
	assert(fake_mapped == 0);
	return 0;
}
