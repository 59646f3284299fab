/*
 * `selftest partitions`: child-partition management through the TLFS
 * hypercalls, checked from the parent: every bad request is refused with the
 * right status, pages handed to a child are out of the parent's reach until
 * they come back (zeroed), VP registers round-trip, and 100 create/delete
 * cycles leave the hypervisor's and the parent's free memory where they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "parent/hvcall.h"
#include "parent/hvpart.h"
#include "parent/kernel.h"

#define DEPOSIT_PAGES 8
#define GUEST_PAGES   16
#define CYCLES        100

static int failures;

static void expect(uint16_t got, uint16_t want, const char *what)
{
	if (got == want)
		return;
	printf("partitions: %s: got %s (%#x), expected %s\n", what, hv_status_name(got), got, hv_status_name(want));
	failures++;
}

static uint64_t window_base;

static int hv_memory(uint64_t *hv_free, uint64_t *parent)
{
	static struct keel_hv_info info __attribute__((aligned(128)));

	if ((uint16_t)hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)&info) != HV_STATUS_SUCCESS)
		return -1;
	*hv_free = info.hv_free_bytes;
	*parent = info.parent_memory_bytes;
	window_base = info.window_base;
	return 0;
}

static void expect_fault(int rc, const char *what)
{
	if (rc == 0) {
		printf("partitions: %s did not fault\n", what);
		failures++;
	} else if (fault_vector != 13) {
		printf("partitions: %s faulted with vector %d, expected #GP\n", what, fault_vector);
		failures++;
	}
}

static void store_marker(uint64_t addr)
{
	*(volatile uint64_t *)addr = 0x77696e646f77ull; /* "window" */
}

/* The parent's window onto the child (KEEL_HVCALL_MAP_WINDOW): child pages
 * 0-3 of pages[] are mapped; one window page stays mapped for finalize to
 * revoke. */
static void window_checks(uint64_t id, int verbose)
{
	const uint64_t pfns[4] = { 0, 1, 2, 3 }, unmapped = 1000;
	uint64_t w = window_base + id * KEEL_WINDOW_BYTES, value = 0;
	size_t done;

	if (!verbose) { /* the other cycles: one page for finalize to revoke */
		expect(hv_map_window(id, 9, pfns, 1, HV_MAP_GPA_READABLE, &done), HV_STATUS_SUCCESS, "map read-only");
		return;
	}

	expect(hv_map_window(id, 0, pfns, 4, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, &done), HV_STATUS_SUCCESS,
	       "map 4 child pages into the window");
	if (probe_read64(w + 3 * 4096 + 64, &value) || value != 0x5a5a5a5a5a5a5a5aull) {
		printf("partitions: window page 3 reads %#llx, expected the child's 0x5a bytes\n",
		       (unsigned long long)value);
		failures++;
	}
	expect_fault(probe_call(store_marker, w + 4 * 4096), "a store to an empty window page");
	if (probe_call(store_marker, w + 8) != 0) {
		printf("partitions: a store to a writable window page faulted (vector %d)\n", fault_vector);
		failures++;
	}
	expect(hv_map_window(id, 0, pfns, 1, HV_MAP_GPA_READABLE, &done), HV_STATUS_INVALID_PARAMETER,
	       "map over a mapped window page");
	expect(hv_map_window(id, 8, &unmapped, 1, HV_MAP_GPA_READABLE, &done), HV_STATUS_INVALID_PARAMETER,
	       "map a child page the child does not have");
	expect(hv_map_window(id, 8, pfns, 1, HV_MAP_GPA_WRITABLE, &done), HV_STATUS_INVALID_PARAMETER,
	       "map a window page without read access");
	expect(hv_map_window(id, 8, pfns, 1, HV_MAP_GPA_READABLE | HV_MAP_GPA_EXECUTABLE, &done),
	       HV_STATUS_INVALID_PARAMETER, "map an executable window page");
	expect(hv_map_window(id, KEEL_WINDOW_PAGES, pfns, 1, HV_MAP_GPA_READABLE, &done), HV_STATUS_INVALID_PARAMETER,
	       "map beyond the window");
	expect(hv_map_window(1, 0, pfns, 1, HV_MAP_GPA_READABLE, &done), HV_STATUS_INVALID_PARTITION_ID,
	       "map the parent's own pages");
	expect(hv_unmap_window(id, 8, 1, &done), HV_STATUS_INVALID_PARAMETER, "unmap an empty window page");
	expect(hv_unmap_gpa(id, 0, 1, &done), HV_STATUS_OPERATION_DENIED, "unmap a child page the window maps");
	expect(hv_unmap_window(id, 0, 4, &done), HV_STATUS_SUCCESS, "unmap the window pages");
	expect_fault(probe_read64(w + 8, &value), "a load from an unmapped window page");
	/* Read-only, and the same page: the marker is there. */
	expect(hv_map_window(id, 9, pfns, 1, HV_MAP_GPA_READABLE, &done), HV_STATUS_SUCCESS, "map read-only");
	if (probe_read64(w + 9 * 4096 + 8, &value) || value != 0x77696e646f77ull) {
		printf("partitions: the window does not show what was stored through it (%#llx)\n",
		       (unsigned long long)value);
		failures++;
	}
	expect_fault(probe_call(store_marker, w + 9 * 4096), "a store to a read-only window page");
	if (!failures)
		printf("partitions: window at %#llx maps, reads, writes, refuses and unmaps child pages\n",
		       (unsigned long long)w);
}

static const uint32_t reg_names[] = {
	HV_X64_REGISTER_RIP, HV_X64_REGISTER_RSP, HV_X64_REGISTER_RAX, HV_X64_REGISTER_R15,
	HV_X64_REGISTER_CR3, HV_X64_REGISTER_CS, HV_X64_REGISTER_GDTR, HV_REGISTER_EXPLICIT_SUSPEND,
};
#define NREGS (sizeof(reg_names) / sizeof(reg_names[0]))

/* One child's life; pages[] are the parent's page numbers to hand over. */
static void one_cycle(const uint64_t *pages, int verbose)
{
	union hv_register_value set[NREGS], got[NREGS];
	uint64_t id, avail, used, withdrawn[2], value;
	size_t done;

	expect(hv_create_partition(&id), HV_STATUS_SUCCESS, "create");
	expect(hv_create_vp(id, 0), HV_STATUS_INVALID_PARTITION_STATE, "create VP before initialize");
	expect(hv_partition_op(HVCALL_INITIALIZE_PARTITION, id), HV_STATUS_INSUFFICIENT_MEMORY,
	       "initialize without a deposit");
	expect(hv_deposit(id, pages, DEPOSIT_PAGES, &done), HV_STATUS_SUCCESS, "deposit");
	expect(hv_memory_balance(id, &avail, &used), HV_STATUS_SUCCESS, "memory balance");
	if (avail != DEPOSIT_PAGES || used != 0) {
		printf("partitions: balance %llu/%llu, expected %u/0\n", (unsigned long long)avail,
		       (unsigned long long)used, DEPOSIT_PAGES);
		failures++;
	}
	expect(hv_withdraw(id, withdrawn, 2, &done), HV_STATUS_SUCCESS, "withdraw");
	if (probe_read64(withdrawn[0] * 4096, &value) != 0 || value != 0) {
		printf("partitions: a withdrawn page is not back (readable and zeroed)\n");
		failures++;
	}
	expect(hv_deposit(id, withdrawn, 2, &done), HV_STATUS_SUCCESS, "deposit again");
	expect(hv_get_partition_property(id, HV_PARTITION_PROPERTY_CPU_WEIGHT, &value), HV_STATUS_SUCCESS,
	       "get the CPU weight");
	if (value != 100) {
		printf("partitions: default CPU weight %llu, expected 100\n", (unsigned long long)value);
		failures++;
	}
	expect(hv_set_partition_property(id, HV_PARTITION_PROPERTY_CPU_WEIGHT, 0), HV_STATUS_INVALID_PARAMETER,
	       "CPU weight 0");
	expect(hv_set_partition_property(id, HV_PARTITION_PROPERTY_CPU_WEIGHT, 10001),
	       HV_STATUS_INVALID_PARAMETER, "CPU weight 10001");
	expect(hv_set_partition_property(id, HV_PARTITION_PROPERTY_GUEST_OS_ID, 1),
	       HV_STATUS_INVALID_PARAMETER, "an unknown property");
	expect(hv_set_partition_property(id, HV_PARTITION_PROPERTY_CPU_WEIGHT, 300), HV_STATUS_SUCCESS,
	       "CPU weight 300");
	expect(hv_get_partition_property(id, HV_PARTITION_PROPERTY_CPU_WEIGHT, &value), HV_STATUS_SUCCESS,
	       "get the CPU weight again");
	if (value != 300) {
		printf("partitions: CPU weight %llu after setting 300\n", (unsigned long long)value);
		failures++;
	}
	/* Ports without devices: two ranges, each first <= last; none on the parent. */
	expect(hv_set_partition_property(id, KEEL_PARTITION_PROPERTY_ABSENT_PORTS, 0xcf8u | 0xcf0u << 16),
	       HV_STATUS_INVALID_PARAMETER, "absent ports, first after last");
	expect(hv_set_partition_property(id, KEEL_PARTITION_PROPERTY_ABSENT_PORTS, (uint64_t)(0x81u | 0x80u << 16) << 32),
	       HV_STATUS_INVALID_PARAMETER, "absent ports, second range first after last");
	expect(hv_set_partition_property(HV_PARTITION_ID_SELF, KEEL_PARTITION_PROPERTY_ABSENT_PORTS, 0x80u | 0x80u << 16),
	       HV_STATUS_INVALID_PARTITION_ID, "absent ports of the parent");
	expect(hv_set_partition_property(id, KEEL_PARTITION_PROPERTY_ABSENT_PORTS,
					 0x80u | 0x80u << 16 | (uint64_t)(0xcfcu | 0xcffu << 16) << 32),
	       HV_STATUS_SUCCESS, "absent ports 0x80 and 0xcfc-0xcff");
	expect(hv_get_partition_property(id, KEEL_PARTITION_PROPERTY_ABSENT_PORTS, &value), HV_STATUS_SUCCESS,
	       "get the absent ports");
	if (value != (0x80u | 0x80u << 16 | (uint64_t)(0xcfcu | 0xcffu << 16) << 32)) {
		printf("partitions: absent ports %#llx after setting them\n", (unsigned long long)value);
		failures++;
	}
	expect(hv_partition_op(HVCALL_INITIALIZE_PARTITION, id), HV_STATUS_SUCCESS, "initialize");
	expect(hv_map_gpa(id, 0, pages + DEPOSIT_PAGES, GUEST_PAGES,
			  HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_EXECUTABLE, &done),
	       HV_STATUS_SUCCESS, "map guest memory");
	expect(hv_map_gpa(id, 100, pages + DEPOSIT_PAGES, 1, HV_MAP_GPA_READABLE, &done),
	       HV_STATUS_INVALID_PARAMETER, "map a page the child already has");
	expect(hv_map_gpa(id, 0, pages + DEPOSIT_PAGES + 1, 1, HV_MAP_GPA_READABLE, &done),
	       HV_STATUS_INVALID_PARAMETER, "map over a mapped guest page");
	if (verbose) {
		fault_vector = -1;
		if (probe_read64(pages[DEPOSIT_PAGES] * 4096, &value) == 0) {
			printf("partitions: the parent can still read a page mapped into the child\n");
			failures++;
		} else {
			printf("partitions: a page mapped into the child is out of the parent's reach (vector %d)\n",
			       fault_vector);
		}
	}
	expect(hv_unmap_gpa(id, 4, 4, &done), HV_STATUS_SUCCESS, "unmap 4 pages");
	expect(hv_map_gpa(id, 4, pages + DEPOSIT_PAGES + 4, 4, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, &done),
	       HV_STATUS_SUCCESS, "map them again");

	window_checks(id, verbose);

	expect(hv_create_vp(id, 0), HV_STATUS_SUCCESS, "create VP");
	expect(hv_create_vp(id, 0), HV_STATUS_INVALID_PARAMETER, "create the same VP twice");
	expect(hv_create_vp(id, 99), HV_STATUS_INVALID_VP_INDEX, "create VP 99");
	memset(set, 0, sizeof(set));
	set[0].reg64 = 0x1000;
	set[1].reg64 = 0x8000;
	set[2].reg64 = 0x1234567890abcdefull;
	set[3].reg64 = 0xfedcba0987654321ull;
	set[4].reg64 = 0x3000;
	set[5].segment = (struct hv_x64_segment_register){ 0, 0xffffffff, 0x08, 0xa09b };
	set[6].table.limit = 0x17;
	set[6].table.base = 0x2000;
	set[7].reg64 = 1;
	expect(hv_set_registers(id, 0, reg_names, set, NREGS), HV_STATUS_SUCCESS, "set registers");
	expect(hv_get_registers(id, 0, reg_names, got, NREGS), HV_STATUS_SUCCESS, "get registers");
	for (size_t i = 0; i < NREGS; i++) {
		if (memcmp(&set[i], &got[i], sizeof(set[i])) && i != 5) {
			printf("partitions: register %#x reads back %#llx, set %#llx\n", reg_names[i],
			       (unsigned long long)got[i].reg64, (unsigned long long)set[i].reg64);
			failures++;
		}
	}
	if (got[5].segment.selector != 0x08 || got[5].segment.attributes != 0xa09b) {
		printf("partitions: CS reads back %#x/%#x\n", got[5].segment.selector, got[5].segment.attributes);
		failures++;
	}
	expect(hv_partition_op(HVCALL_DELETE_PARTITION, id), HV_STATUS_INVALID_PARTITION_STATE,
	       "delete before finalize");
	expect(hv_partition_op(HVCALL_FINALIZE_PARTITION, id), HV_STATUS_SUCCESS, "finalize");
	if (verbose)
		expect_fault(probe_read64(window_base + id * KEEL_WINDOW_BYTES + 9 * 4096, &value),
			     "a load from the window after finalize");
	expect(hv_partition_op(HVCALL_DELETE_PARTITION, id), HV_STATUS_SUCCESS, "delete");
	expect(hv_partition_op(HVCALL_DELETE_PARTITION, id), HV_STATUS_INVALID_PARTITION_ID, "delete twice");
	/* Every page is the parent's again, and zeroed. */
	for (int i = 0; i < DEPOSIT_PAGES + GUEST_PAGES; i++) {
		if (probe_read64(pages[i] * 4096 + 8, &value) != 0 || value != 0) {
			printf("partitions: page %#llx did not come back clean\n", (unsigned long long)pages[i]);
			failures++;
			break;
		}
	}
}

void selftest_partitions(void);
void selftest_partitions(void)
{
	size_t n = DEPOSIT_PAGES + GUEST_PAGES;
	/* Pages strictly inside one allocation, so no allocator metadata
	 * shares them while they are away. */
	char *block = malloc((n + 2) * 4096);
	uint64_t pages[DEPOSIT_PAGES + GUEST_PAGES], hv0, parent0, hv1 = 0, parent1 = 0, hv_info_page, hv_size, id;
	size_t done;

	failures = 0;
	if (!block || hv_memory(&hv0, &parent0)) {
		printf("FAIL: partitions: no memory or no hv info\n");
		free(block);
		return;
	}
	for (size_t i = 0; i < n; i++)
		pages[i] = (((uint64_t)block + 4095) / 4096) + 1 + i;
	memset((void *)(pages[0] * 4096), 0x5a, n * 4096);

	/* Requests the hypervisor must refuse. */
	hv_info_page = hv_region(&hv_size) / 4096;
	expect(hv_partition_op(HVCALL_INITIALIZE_PARTITION, 1), HV_STATUS_INVALID_PARTITION_ID,
	       "initialize the parent");
	expect(hv_partition_op(HVCALL_DELETE_PARTITION, 4242), HV_STATUS_INVALID_PARTITION_ID,
	       "delete an unknown partition");
	expect(hv_create_partition(&id), HV_STATUS_SUCCESS, "create");
	expect(hv_deposit(id, &hv_info_page, 1, &done), HV_STATUS_INVALID_PARAMETER, "deposit hypervisor memory");
	{
		uint64_t mmio = 0xfee00; /* the local APIC page: not RAM */

		expect(hv_deposit(id, &mmio, 1, &done), HV_STATUS_INVALID_PARAMETER, "deposit device memory");
	}
	expect(hv_partition_op(HVCALL_FINALIZE_PARTITION, id), HV_STATUS_SUCCESS, "finalize");
	expect(hv_partition_op(HVCALL_DELETE_PARTITION, id), HV_STATUS_SUCCESS, "delete");

	one_cycle(pages, 1);
	for (int c = 1; c < CYCLES && !failures; c++)
		one_cycle(pages, 0);
	if (hv_memory(&hv1, &parent1) || hv1 != hv0 || parent1 != parent0) {
		printf("partitions: after %d cycles hv free %llu -> %llu KiB, parent %llu -> %llu KiB\n", CYCLES,
		       (unsigned long long)hv0 >> 10, (unsigned long long)hv1 >> 10,
		       (unsigned long long)parent0 >> 10, (unsigned long long)parent1 >> 10);
		failures++;
	} else {
		printf("partitions: %d create/map/delete cycles; hv free %llu KiB and parent %llu KiB unchanged\n",
		       CYCLES, (unsigned long long)hv1 >> 10, (unsigned long long)parent1 >> 10);
	}
	free(block);
	if (failures)
		printf("FAIL: partitions: %d checks failed\n", failures);
	else
		printf("partitions: PASS\n");
}
