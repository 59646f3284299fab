/*
 * Host unit tests for the VMBus server (vsp/vmbus/server.c), driven as
 * Linux 6.1's hv_vmbus drives it: version negotiation from the newest
 * version down, offers, unload, and what a hostile child might send
 * instead.  Every reply the server posts is recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vsp/vmbus/server.h"
#include "vsp/vmbus/vmbus_abi.h"

struct posted {
	unsigned count;
	size_t len[16];
	uint8_t msg[16][240];
	int fail;                   /* refuse the next posts */
};

static int post(void *ctx, const void *msg, size_t len)
{
	struct posted *p = ctx;

	if (p->fail)
		return -1;
	assert_true(p->count < 16 && len <= 240);
	memcpy(p->msg[p->count], msg, len);
	p->len[p->count++] = len;
	return 0;
}

static struct posted posted;
static struct vmbus_server server;

static int setup(void **state)
{
	struct vmbus_host host = { .post = post, .ctx = &posted };

	(void)state;
	memset(&posted, 0, sizeof(posted));
	vmbus_server_init(&server, &host);
	return 0;
}

static uint32_t type_of(unsigned i)
{
	struct vmbus_msg_header h;

	memcpy(&h, posted.msg[i], sizeof(h));
	return h.msgtype;
}

static struct vmbus_version_response response(unsigned i)
{
	struct vmbus_version_response r;

	assert_int_equal(posted.len[i], sizeof(r));
	memcpy(&r, posted.msg[i], sizeof(r));
	assert_int_equal(r.header.msgtype, VMBUS_MSG_VERSION_RESPONSE);
	return r;
}

static void contact(uint32_t version, uint8_t sint)
{
	struct vmbus_initiate_contact c = { .header.msgtype = VMBUS_MSG_INITIATE_CONTACT,
					    .version_requested = version, .monitor_page1 = 0x1000,
					    .monitor_page2 = 0x2000 };

	if (version >= VMBUS_VERSION_WIN10_V5)
		c.msg_sint = sint;
	else
		c.interrupt_page = 0x3000;
	vmbus_server_message(&server, &c, sizeof(c));
}

static void header_only(uint32_t type)
{
	struct vmbus_msg_header h = { .msgtype = type };

	vmbus_server_message(&server, &h, sizeof(h));
}

static void test_newest_accepted(void **state)
{
	(void)state;
	contact(VMBUS_VERSION_WIN10_V5_3, VMBUS_MESSAGE_SINT);
	assert_int_equal(posted.count, 1);
	assert_int_equal(response(0).version_supported, 1);
	assert_int_equal(response(0).msg_conn_id, VMBUS_MESSAGE_CONNECTION_ID);
	assert_int_equal(server.state, VMBUS_CONNECTED);
	assert_int_equal(server.version, VMBUS_VERSION_WIN10_V5_3);
	assert_string_equal(vmbus_version_name(server.version), "5.3");
}

static void test_every_linux_version(void **state)
{
	static const uint32_t v[] = { VMBUS_VERSION_WIN10_V5_2, VMBUS_VERSION_WIN10_V5_1, VMBUS_VERSION_WIN10_V5,
				      VMBUS_VERSION_WIN10_V4_1, VMBUS_VERSION_WIN10, VMBUS_VERSION_WIN8_1,
				      VMBUS_VERSION_WIN8 };

	(void)state;
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		contact(v[i], VMBUS_MESSAGE_SINT);
		assert_int_equal(response(i).version_supported, 1);
		assert_int_equal(server.version, v[i]);
	}
}

static void test_refused_versions(void **state)
{
	(void)state;
	contact(0x00010001, 0);               /* WIN7: not proposed by 6.1, not spoken */
	contact(0x0000000d, 0);               /* WS2008 */
	contact(0x00060000, VMBUS_MESSAGE_SINT); /* newer than Keel */
	contact(VMBUS_VERSION_WIN10_V5_3, 3); /* another SINT than the port's */
	assert_int_equal(posted.count, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(response(i).version_supported, 0);
	assert_int_equal(server.state, VMBUS_DISCONNECTED);
	assert_int_equal(server.refused_versions, 4);
	/* Linux then tries the next one down. */
	contact(VMBUS_VERSION_WIN10_V5_2, VMBUS_MESSAGE_SINT);
	assert_int_equal(response(4).version_supported, 1);
}

static void test_offers_and_unload(void **state)
{
	(void)state;
	header_only(VMBUS_MSG_REQUESTOFFERS); /* before contact: dropped */
	header_only(VMBUS_MSG_UNLOAD);
	assert_int_equal(posted.count, 0);
	assert_int_equal(server.dropped, 2);
	contact(VMBUS_VERSION_WIN10_V5_3, VMBUS_MESSAGE_SINT);
	header_only(VMBUS_MSG_REQUESTOFFERS);
	assert_int_equal(posted.count, 2);
	assert_int_equal(type_of(1), VMBUS_MSG_ALLOFFERS_DELIVERED);
	assert_int_equal(posted.len[1], sizeof(struct vmbus_msg_header));
	header_only(VMBUS_MSG_UNLOAD);
	assert_int_equal(type_of(2), VMBUS_MSG_UNLOAD_RESPONSE);
	assert_int_equal(server.state, VMBUS_DISCONNECTED);
	/* A kexec'd kernel connects again. */
	contact(VMBUS_VERSION_WIN10_V5_3, VMBUS_MESSAGE_SINT);
	assert_int_equal(response(3).version_supported, 1);
	assert_int_equal(server.unloads, 1);
}

static void test_hostile(void **state)
{
	uint8_t junk[240];

	(void)state;
	memset(junk, 0xa5, sizeof(junk));
	vmbus_server_message(&server, junk, 0);
	vmbus_server_message(&server, junk, 7);
	memset(junk, 0, sizeof(junk));
	junk[0] = VMBUS_MSG_INITIATE_CONTACT;
	vmbus_server_message(&server, junk, 39); /* short contact */
	assert_int_equal(posted.count, 0);
	assert_int_equal(server.dropped, 3);
	contact(VMBUS_VERSION_WIN10_V5_3, VMBUS_MESSAGE_SINT);
	for (uint32_t t = 0; t < 300; t++)
		if (t != VMBUS_MSG_INITIATE_CONTACT && t != VMBUS_MSG_REQUESTOFFERS && t != VMBUS_MSG_UNLOAD)
			header_only(t);
	assert_int_equal(posted.count, 1);
	assert_int_equal(server.state, VMBUS_CONNECTED);
	/* Replies the hypervisor refuses are counted. */
	posted.fail = 1;
	header_only(VMBUS_MSG_REQUESTOFFERS);
	assert_int_equal(server.post_failures, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_newest_accepted, setup),
		cmocka_unit_test_setup(test_every_linux_version, setup),
		cmocka_unit_test_setup(test_refused_versions, setup),
		cmocka_unit_test_setup(test_offers_and_unload, setup),
		cmocka_unit_test_setup(test_hostile, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
