/* The parent's windows onto child memory; contract in window.h. */
#include "parent/window.h"

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs_partition.h"
#include "parent/hvcall.h"
#include "parent/hvpart.h"
#include "parent/kernel.h"
#include "parent/vm.h"

static uint64_t window_base;

int window_init(void)
{
	static struct keel_hv_info info __attribute__((aligned(128)));

	if ((uint16_t)hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)&info) != HV_STATUS_SUCCESS || !info.window_base)
		return -1;
	if (memory_map_identity(info.window_base, KEEL_WINDOW_COUNT * KEEL_WINDOW_BYTES))
		return -1;
	window_base = info.window_base;
	return 0;
}

static uint64_t vm_window(const struct vm *vm)
{
	return window_base + vm->partition_id * KEEL_WINDOW_BYTES;
}

void window_vm_reset(struct vm *vm)
{
	pages_init(&vm->window);
	if (window_base && vm->partition_id < KEEL_WINDOW_COUNT)
		pages_add(&vm->window, vm_window(vm), KEEL_WINDOW_BYTES);
}

uint64_t window_mapped_pages(const struct vm *vm)
{
	return vm->window.total_pages - vm->window.free_pages;
}

static uint64_t page_of(const struct vm *vm, uint64_t at)
{
	return (at - vm_window(vm)) / PAGES_SIZE;
}

/* In rep calls of at most 0xfff (the control word's rep count). */
static uint16_t unmap_pages(const struct vm *vm, uint64_t page, uint64_t n)
{
	uint16_t st = HV_STATUS_SUCCESS;

	for (uint64_t i = 0; i < n && !st; i += 0xfff)
		st = hv_unmap_window(vm->partition_id, page + i, n - i < 0xfff ? n - i : 0xfff, NULL);
	return st;
}

void *window_map(struct vm *vm, const uint64_t *pfns, uint32_t n, bool writable)
{
	uint32_t flags = HV_MAP_GPA_READABLE | (writable ? HV_MAP_GPA_WRITABLE : 0);
	uint64_t at = n ? pages_alloc(&vm->window, n, ~0ull) : 0;
	size_t done = 0;

	if (!at)
		return NULL;
	for (uint32_t i = 0; i < n; i += KEEL_MAP_WINDOW_MAX_PAGES) {
		size_t chunk = n - i < KEEL_MAP_WINDOW_MAX_PAGES ? n - i : KEEL_MAP_WINDOW_MAX_PAGES;

		if (hv_map_window(vm->partition_id, page_of(vm, at) + i, pfns + i, chunk, flags, &done)) {
			unmap_pages(vm, page_of(vm, at), i + done);
			pages_free(&vm->window, at, n);
			return NULL;
		}
	}
	return (void *)at;
}

void window_unmap(struct vm *vm, void *at, uint32_t n)
{
	if (n && !unmap_pages(vm, page_of(vm, (uint64_t)at), n))
		pages_free(&vm->window, (uint64_t)at, n);
}
