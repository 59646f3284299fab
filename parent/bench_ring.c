/*
 * `bench ring`: the cost of moving data through a VMBus ring (vsp/vmbus/
 * ring.c) against a plain memcpy of the same bytes, in TSC ticks
 * (instructions under QEMU -icount).  One 64 KiB ring in the parent's own
 * memory is seen from both ends: the host's writer (vmbus_ring_write, as
 * the VSPs send) and the host's reader (vmbus_ring_read and read_done, as
 * they receive), PACKETS packets of PAYLOAD bytes each way.
 */
#include <stdio.h>
#include <string.h>

#include "parent/x86.h"
#include "vsp/vmbus/ring.h"

#define RING_PAGES 16
#define PAYLOAD    4000
#define PACKETS    64

static uint8_t ring_pages[RING_PAGES * VMBUS_RING_PAGE] __attribute__((aligned(4096)));
static uint8_t src[PAYLOAD], dst[PAYLOAD + 64];

void cmd_bench_ring(int argc, char **argv);
void cmd_bench_ring(int argc, char **argv)
{
	struct vmbus_ring writer, reader;
	uint64_t t0, write = 0, read = 0, copy;
	bool more;

	(void)argc;
	(void)argv;
	memset(ring_pages, 0, sizeof(ring_pages));
	for (unsigned i = 0; i < PAYLOAD; i++)
		src[i] = (uint8_t)(i * 7);
	vmbus_ring_init(&writer, ring_pages, RING_PAGES, true);
	vmbus_ring_init(&reader, ring_pages, RING_PAGES, false);
	for (unsigned i = 0; i < PACKETS; i++) {
		int n;

		t0 = rdtsc();
		n = vmbus_ring_write(&writer, VMBUS_PACKET_DATA_INBAND, 0, i, src, PAYLOAD);
		write += rdtsc() - t0;
		t0 = rdtsc();
		if (n >= 0)
			n = vmbus_ring_read(&reader, dst, sizeof(dst));
		vmbus_ring_read_done(&reader, &more);
		read += rdtsc() - t0;
		if (n != (int)(sizeof(struct vmbus_packet_desc) + PAYLOAD) ||
		    memcmp(dst + sizeof(struct vmbus_packet_desc), src, PAYLOAD)) {
			printf("FAIL: bench ring: packet %u came back as %d bytes\n", i, n);
			return;
		}
	}
	t0 = rdtsc();
	for (unsigned i = 0; i < PACKETS; i++) {
		memcpy(dst, src, PAYLOAD);
		__asm__ volatile("" ::: "memory");
	}
	copy = rdtsc() - t0;
	printf("ring_write_4000: %llu ticks a packet\n", (unsigned long long)(write / PACKETS));
	printf("ring_read_4000: %llu ticks a packet\n", (unsigned long long)(read / PACKETS));
	printf("memcpy_4000: %llu ticks\n", (unsigned long long)(copy / PACKETS));
	printf("ring bytes per 100 ticks: write %llu, read %llu, memcpy %llu\n",
	       (unsigned long long)(100ull * PAYLOAD * PACKETS / (write ? write : 1)),
	       (unsigned long long)(100ull * PAYLOAD * PACKETS / (read ? read : 1)),
	       (unsigned long long)(100ull * PAYLOAD * PACKETS / (copy ? copy : 1)));
}
