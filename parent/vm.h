/*
 * Child VMs as the parent's CLI manages them: a name, a partition in the
 * hypervisor, the memory the parent set aside for it, and the emulated
 * devices its intercepts reach (parent/vstack).  docs/guests.md is what the
 * guest sees.
 *
 * Memory: `vm create` reserves the pages in the parent; `vm start` builds
 * the image in them and maps them into the child (the hypervisor unmaps
 * them from the parent); `vm stop` unmaps them again (the hypervisor hands
 * them back zeroed); `vm delete` frees them.  A start after a stop boots
 * the image afresh.
 */
#ifndef KEEL_PARENT_VM_H
#define KEEL_PARENT_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/boot_info.h"
#include "parent/vstack/ringlog.h"
#include "parent/vstack/testdev.h"
#include "parent/vstack/uart16550.h"

#define VM_MAX          16
#define VM_NAME_MAX     31
#define VM_CONSOLE_LOG  (16 * 1024)   /* bytes of COM1 output kept per child */
#define VM_MMIO_SCRATCH 0xd0000000ull /* GPA of the emulated scratch page */

enum vm_state { VM_CREATED, VM_RUNNING, VM_STOPPED, VM_CRASHED };

struct vm {
	bool used;
	char name[VM_NAME_MAX + 1];
	uint64_t partition_id;
	const struct boot_module *image;
	uint64_t memory_bytes;
	unsigned vcpus;                 /* 1 for now */
	enum vm_state state;
	char crash_reason[64];

	/* Emulated devices, touched only by the intercept dispatcher and the
	 * CLI, both on the parent's one CPU. */
	struct uart16550 uart;
	struct ringlog console;
	uint8_t console_storage[VM_CONSOLE_LOG];
	struct testdev testdev;
	uint8_t mmio_scratch[4096];
	uint64_t intercepts;            /* intercept messages served */
	uint64_t stray_accesses;        /* ports / GPAs with no device */

	/* Set by vm.c (the memory the child gets and its tables' deposit). */
	void *ram_block;
	uint64_t *ram_pfns;             /* memory_bytes / 4096 parent page numbers */
	void *deposit_block;
	uint64_t *deposit_pfns;
	size_t deposit_pages;
};

/* The VM whose partition has this id, NULL if none (intercepts from a
 * partition no VM owns are dropped). */
struct vm *vm_by_partition(uint64_t partition_id);
/* The guest asked to be stopped through the test device (exit code):
 * called by the dispatcher, which then does not resume the VP. */
void vm_guest_stop(struct vm *vm, uint32_t code);

#endif
