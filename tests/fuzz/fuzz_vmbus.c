/*
 * libFuzzer target: the VMBus server's channel messages
 * (vsp/vmbus/server.c) as a hostile child could post them.  The input is a
 * sequence of messages, each a length byte (taken mod 241) and that many
 * bytes, fed to one server.  Checked besides the sanitizers: every reply
 * fits a message (240 bytes), and a connected server has agreed on a
 * version it speaks.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vsp/vmbus/server.h"

static int post(void *ctx, const void *msg, size_t len)
{
	(void)ctx;
	assert(len >= 8 && len <= 240);
	(void)msg;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vmbus_host host = { post, NULL };
	struct vmbus_server s;
	uint8_t msg[240];

	vmbus_server_init(&s, &host);
	while (size) {
		size_t len = data[0] % 241;

		data++, size--;
		if (len > size)
			len = size;
		memcpy(msg, data, len); /* the parent copies each message once, too */
		vmbus_server_message(&s, msg, len);
		data += len, size -= len;
		assert(s.state != VMBUS_CONNECTED || strcmp(vmbus_version_name(s.version), "unknown") != 0);
	}
	return 0;
}
