/*
 * `selftest churn [ROUNDS]`: delete races.  ROUNDS times (1,000 unless
 * given) a VM running churn.elf (tests/guests/churn.c: a 100 us periodic
 * timer, HLT, a port read on every tick) is created, started, left running
 * for 0 to 700 us while its intercepts are served, stopped at once and
 * deleted: its VP is caught running, halted, inside an exit or waiting for
 * the parent.  Passes when every round succeeds and the hypervisor's free
 * memory and the parent's free pages are the same afterwards.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "parent/hvcall.h"
#include "parent/intercept.h"
#include "parent/kernel.h"
#include "parent/vm.h"
#include "parent/x86.h"

#define CHURN_MEMORY (4ull << 20)

static uint64_t hv_free(void)
{
	static struct keel_hv_info info __attribute__((aligned(128)));

	return (uint16_t)hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)&info) == HV_STATUS_SUCCESS ? info.hv_free_bytes
											  : 0;
}

static unsigned vp_state(uint64_t id)
{
	static struct keel_vp_state_input in __attribute__((aligned(64)));
	static struct keel_vp_state out __attribute__((aligned(64)));

	in = (struct keel_vp_state_input){ id, 0, 0 };
	if ((uint16_t)hvcall(KEEL_HVCALL_GET_VP_STATE, (uint64_t)&in, (uint64_t)&out) != HV_STATUS_SUCCESS)
		return ~0u;
	return out.state;
}

void selftest_churn(unsigned rounds);
void selftest_churn(unsigned rounds)
{
	static const char *const names[] = { "stopped", "queued", "running", "halted", "crashed", "intercept" };
	unsigned seen[6] = { 0 }, r;
	uint64_t hv0 = hv_free(), parent0 = free_ram.free_pages, hz = parent_tsc_hz(), t0 = rdtsc();
	uint64_t intercepts = 0;
	char why[VM_WHY_MAX];

	for (r = 0; r < rounds; r++) {
		uint64_t wait = (r % 8) * hz / 10000, t;
		struct vm *vm;
		unsigned s;

		if (vm_create(&(struct vm_spec){ .name = "churn", .kernel = "churn", .memory_bytes = CHURN_MEMORY,
						 .vcpus = 1 }, why)) {
			printf("FAIL: churn: round %u: create: %s\n", r, why);
			break;
		}
		vm = vm_by_name("churn");
		if (vm_start(vm, why)) {
			printf("FAIL: churn: round %u: start: %s\n", r, why);
			vm_delete(vm, why);
			break;
		}
		for (t = rdtsc(); rdtsc() - t < wait;)
			vstack_poll();
		s = vp_state(vm->partition_id);
		if (s < 6)
			seen[s]++;
		intercepts += vm->intercepts;
		if (vm_stop(vm, true, why) || vm_delete(vm, why)) {
			printf("FAIL: churn: round %u: stop and delete: %s\n", r, why);
			break;
		}
	}
	printf("churn: %u rounds in %llu ms, %llu intercepts served\n", r,
	       (unsigned long long)((rdtsc() - t0) * 1000 / hz), (unsigned long long)intercepts);
	printf("churn: VP state at the stop:");
	for (unsigned i = 0; i < 6; i++)
		if (seen[i])
			printf(" %s %u", names[i], seen[i]);
	printf("\n");
	printf("churn: hypervisor free %llu -> %llu bytes, parent free %llu -> %llu pages\n",
	       (unsigned long long)hv0, (unsigned long long)hv_free(), (unsigned long long)parent0,
	       (unsigned long long)free_ram.free_pages);
	if (r == rounds && hv_free() == hv0 && free_ram.free_pages == parent0)
		printf("churn: PASS\n");
	else
		printf("FAIL: churn\n");
}
