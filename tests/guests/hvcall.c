/* Hypercalls from test guests; contract in hvcall.h. */
#include "tests/guests/hvcall.h"

#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

static uint8_t hypercall_page[4096] __attribute__((aligned(4096)));
uint8_t hvcall_input[4096] __attribute__((aligned(4096)));

void hvcall_init(void)
{
	wrmsr(HV_X64_MSR_GUEST_OS_ID, 0x8100000000000001ull);
	wrmsr(HV_X64_MSR_HYPERCALL, (uintptr_t)hypercall_page | HV_HYPERCALL_ENABLE);
}

uint16_t hypercall(uint64_t control, uint64_t input, uint64_t output)
{
	register uint64_t r8 __asm__("r8") = output;
	uint64_t rax;

	__asm__ volatile("call *%[page]"
			 : "=a"(rax), "+c"(control), "+d"(input), "+r"(r8)
			 : [page] "r"(hypercall_page)
			 : "r9", "r10", "r11", "memory", "cc");
	return (uint16_t)rax;
}

uint16_t post(uint32_t connection, uint32_t type, const void *payload, uint32_t size)
{
	struct hv_input_post_message *in = (struct hv_input_post_message *)hvcall_input;

	memset(in, 0, sizeof(*in));
	in->connection_id = connection;
	in->message_type = type;
	in->payload_size = size;
	memcpy(in->payload, payload, size > sizeof(in->payload) ? sizeof(in->payload) : size);
	return hypercall(HVCALL_POST_MESSAGE, (uintptr_t)hvcall_input, 0);
}

uint16_t post_retry(uint32_t connection, uint32_t type, const void *payload, uint32_t size)
{
	uint16_t st;

	for (unsigned i = 0; i < 100000; i++) {
		if ((st = post(connection, type, payload, size)) != HV_STATUS_INSUFFICIENT_BUFFERS)
			return st;
		pause();
	}
	return st;
}

uint16_t signal(uint32_t connection, uint16_t flag)
{
	return hypercall(HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST, connection | (uint64_t)flag << 32, 0);
}
