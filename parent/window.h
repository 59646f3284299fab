/*
 * The parent's windows onto child memory (KEEL_HVCALL_MAP_WINDOW): child
 * pages mapped at addresses of the parent, so the VMBus server reads and
 * writes rings with ordinary loads and stores while the child runs.  Each
 * VM's window pages are handed out by a `struct pages` of its own; every
 * mapping is undone (window_unmap) before the child's memory is taken back
 * or the partition deleted.  Parent CLI context only, like the rest of vm.c.
 */
#ifndef KEEL_PARENT_WINDOW_H
#define KEEL_PARENT_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* After hvcall_init: find the windows and map them into the parent's page
 * tables; 0, or -1 when the hypervisor has none. */
int window_init(void);
/* Every page of vm's window free again (nothing may be mapped). */
void window_vm_reset(struct vm *vm);
/* Map the child's pages pfns[0..n) at consecutive window pages: their
 * address, or NULL (nothing mapped) when the window is full or the
 * hypervisor refuses a page (not the child's RAM). */
void *window_map(struct vm *vm, const uint64_t *pfns, uint32_t n, bool writable);
/* Undo one window_map. */
void window_unmap(struct vm *vm, void *at, uint32_t n);
/* Window pages mapped now. */
uint64_t window_mapped_pages(const struct vm *vm);

#endif
