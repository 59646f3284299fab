/*
 * Child VMs as the parent's CLI manages them: a name, a partition in the
 * hypervisor, the memory the parent set aside for it, and the emulated
 * devices its intercepts reach (parent/vstack).  docs/guests.md is what the
 * guest sees.
 *
 * Memory: `vm create` takes the pages from the parent's free RAM and zeroes
 * them; `vm start` builds the image in them and maps them into the child
 * (the hypervisor unmaps them from the parent); `vm stop` unmaps them again
 * (the hypervisor hands them back zeroed); `vm delete` gives them back to
 * the free RAM.  A start after a stop boots
 * the image afresh, on a new VP.
 *
 * Everything here runs on the parent's one CPU: the CLI and the intercept
 * dispatcher (vstack_poll) never run at the same time, so nothing is locked.
 */
#ifndef KEEL_PARENT_VM_H
#define KEEL_PARENT_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/boot_info.h"
#include "hv/abi/keel_hypercall.h"
#include "parent/echo_abi.h"
#include "parent/loader.h"
#include "parent/pages.h"
#include "parent/vm_parse.h"
#include "parent/vstack/ioapic.h"
#include "parent/vstack/ringlog.h"
#include "parent/vstack/rtc.h"
#include "parent/vstack/testdev.h"
#include "parent/vstack/uart16550.h"
#include "vsp/ic/ic.h"
#include "vsp/vmbus/server.h"

#define VM_MAX          16
#define VM_NAME_MAX     VM_NAME_LEN_MAX
#define VM_CONSOLE_LOG  (16 * 1024)   /* bytes of COM1 output kept per child */
#define VM_MMIO_SCRATCH 0xd0000000ull /* GPA of the emulated scratch page */
#define VM_WHY_MAX      192           /* room for an error reason */
#define VM_STOP_WAIT_S  10            /* how long `vm stop` waits for a test guest */
#define VM_SHUTDOWN_WAIT_S 30         /* ... and for an OS its shutdown service asked */
#define VM_RAM_RANGES   32            /* pieces a child's RAM may come in */

/*
 * created: partition and VP exist, memory reserved, nothing mapped.
 * running: pages mapped, VP started (it may be halted or waiting for an
 *          intercept).
 * stopped: VP suspended, pages back in the parent.
 * crashed: the VP stopped on a fault it caused (the hypervisor's reason in
 *          crash_reason); pages still mapped until `vm stop --force` or
 *          `vm delete`.
 */
enum vm_state { VM_CREATED, VM_RUNNING, VM_STOPPED, VM_CRASHED };

struct vm {
	bool used;
	char name[VM_NAME_MAX + 1];
	uint64_t partition_id;
	const struct boot_module *image; /* the kernel */
	enum loader_format format;      /* what the kernel is, found at create */
	struct vm_elf elf;              /* LOADER_ELF64: the image, checked at create */
	const struct boot_module *initrd; /* Linux; NULL: none */
	const struct boot_module *modules[VM_MODULES_MAX]; /* multiboot, in order */
	unsigned module_count;
	char cmdline[LOADER_CMDLINE_MAX];
	struct loader_boot boot;        /* Linux, multiboot: the plan, checked at create */
	uint64_t memory_bytes;
	unsigned vcpus;                 /* VPs 0..vcpus-1; VP 0 boots, the others wait for its SIPI */
	enum vm_state state;
	char crash_reason[128];
	bool guest_stopped;             /* the last boot ended by the guest (stop_reason) */
	char stop_reason[64];           /* "guest powered off", "exit port", ... */
	uint32_t exit_code;             /* ... with this code */
	bool reboot;                    /* the guest reset itself: vm_reboot_pending boots it again */
	uint64_t boot_tsc;              /* when this boot began */
	uint32_t resets;                /* reboots by the guest since the last start from the CLI */
	uint64_t exits;                 /* VP exits this boot, all VPs (KEEL_HVCALL_GET_VP_STATE) */
	uint64_t exits_by_kind[KEEL_EXIT_KINDS]; /* the same by kind, all VPs */
	uint32_t vp_state[VM_VCPUS_MAX]; /* KEEL_VP_* of each VP, as of vm_refresh */
	uint64_t vp_exits[VM_VCPUS_MAX];

	/* Emulated devices, touched only by the intercept dispatcher and the
	 * CLI, both on the parent's one CPU.  Reset by every start, except the
	 * console log, which the start clears (positions keep counting, so a
	 * reader's cursor stays valid). */
	struct uart16550 uart;
	struct ringlog console;
	uint8_t console_storage[VM_CONSOLE_LOG];
	uint64_t console_boot;          /* log position where this boot's output starts */
	struct testdev testdev;
	struct ioapic ioapic;           /* at ACPI_IOAPIC_ADDRESS; COM1 on pin VM_COM1_PIN */
	struct rtc rtc;                 /* the CMOS clock: the parent's wall clock */
	uint64_t interrupts;            /* delivered through the hypervisor this boot */
	uint64_t interrupts_refused;    /* ... and refused by it (an unsupported mode) */
	uint8_t mmio_scratch[4096];
	uint64_t intercepts;            /* intercept messages served this boot */
	uint64_t stray_accesses;        /* ports / GPAs with no device, this boot */
	struct echo_stats echo;         /* the echo channel (parent/ipc.h), this boot */
	struct vmbus_server vmbus;      /* its VMBus server (parent/ipc.h), this boot */
	struct ic ics[IC_KINDS];        /* its integration services, this boot */
	uint32_t vmbus_signal_failures; /* channel signals the hypervisor refused */
	struct pages window;            /* free pages of its window (parent/window.h) */

	/* Set by vm.c: the child's RAM, pages of free_ram in up to
	 * VM_RAM_RANGES ranges; their concatenation is the RAM, placed at the
	 * guest-physical addresses vm_ram_gpa() gives.  And the pages deposited
	 * for its second-level tables. */
	struct page_range ram[VM_RAM_RANGES];
	unsigned ram_ranges;
	bool ram_mapped;                /* the pages belong to the child */
	bool ram_dirty;                 /* not all zero (an image was written) */
	uint64_t deposit_base;
	size_t deposit_pages;
};

/* COM1's interrupt line: ISA IRQ 4, IOAPIC pin 4 (the MADT has no
 * override for it). */
#define VM_COM1_PIN 4

/* Set COM1's interrupt line from the UART's state: after every access to
 * it and every byte it receives. */
void vm_uart_irq(struct vm *vm);

/* The VM whose partition has this id, NULL if none (intercepts from a
 * partition no VM owns are dropped). */
struct vm *vm_by_partition(uint64_t partition_id);
/* The guest stopped itself: asked through the test device or the exit
 * port (`reason`, exit code), powered off or reset (code 0).  Called by
 * the dispatcher, which then does not resume the VP.  Suspends the VP,
 * takes the pages back, state stopped. */
void vm_guest_stop(struct vm *vm, const char *reason, uint32_t code);
/* The parent cannot serve an intercept of this VM (an instruction it does
 * not emulate, say): called by the dispatcher instead of resuming the VP.
 * Suspends the VP and shows the VM crashed with `reason`; its pages stay
 * the child's until `vm stop --force` or `vm delete`, as after a crash the
 * hypervisor reports. */
void vm_crash(struct vm *vm, const char *reason);

/* The VM named `name`, NULL if none. */
struct vm *vm_by_name(const char *name);
/* The VM in slot i (0 <= i < VM_MAX), NULL if the slot is free; slots list
 * the VMs in creation order until one is deleted. */
struct vm *vm_at(unsigned i);
/* Notice a crash of a running VM and read its exit count. */
void vm_refresh(struct vm *vm);
const char *vm_state_name(enum vm_state state);

/*
 * The lifecycle.  Each returns 0, or -1 with a one-line reason in
 * why[0..VM_WHY_MAX) and, on every path, the VM (and the parent's and the
 * hypervisor's memory) as it was before the call.
 */
struct vm_spec {
	const char *name;
	const char *kernel;             /* boot module names */
	const char *initrd;             /* NULL: none */
	const char *cmdline;            /* NULL: empty */
	const char *modules[VM_MODULES_MAX];
	unsigned module_count;
	uint64_t memory_bytes;
	unsigned vcpus;                 /* 1..VM_VCPUS_MAX */
};

/* Where the ACPI tables (parent/acpi_tables.h) of a Linux or multiboot
 * child lie: a reserved range in its memory map, inside the BIOS area
 * [0xe0000, 0x100000) an OS scans for the RSDP. */
#define VM_ACPI_GPA 0xe0000ull

/* Checks the kernel's format against the options (an initrd only for
 * Linux, modules only for multiboot, a command line not for Keel's ELF
 * guests) and that everything fits in the memory before it takes any. */
int vm_create(const struct vm_spec *spec, char *why);
int vm_start(struct vm *vm, char *why);
/* Without force: ask the guest (its shutdown service; Keel's test guests
 * through the test device) and wait up to VM_STOP_WAIT_S seconds, serving
 * its intercepts, for it to stop. */
int vm_stop(struct vm *vm, bool force, char *why);
int vm_delete(struct vm *vm, char *why);
/* The guest wrote the reset register: stopped now, booted again (as
 * `vm start`, its console log kept) by the next vm_reboot_pending, unless
 * this boot is younger than VM_REBOOT_MIN_S: a guest that resets at once
 * would keep the parent busy reloading it, so it stays stopped. */
#define VM_REBOOT_MIN_S 1
void vm_guest_reset(struct vm *vm);
/* Boot the VMs whose guests reset; from vstack_poll, never while an
 * intercept is being served.  Returns how many. */
int vm_reboot_pending(void);

#endif
