/*
 * The VM table and each VM's lifecycle through the partition hypercalls;
 * contract in vm.h.  Every operation either completes or undoes what it did
 * (goto-unwind): a failed command gives back every page and frees every
 * block it took.
 */
#include "parent/vm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "parent/hvcall.h"
#include "parent/hvpart.h"
#include "parent/idle.h"
#include "parent/cli_parse.h"
#include "parent/intercept.h"
#include "parent/ipc.h"
#include "parent/kernel.h"
#include "parent/acpi_tables.h"
#include "parent/vm_image.h"
#include "parent/vstack/platform.h"
#include "parent/window.h"
#include "parent/x86.h"

#define PAGE      4096ull
/* A child's platform has no PCI bus: its configuration address (0xcf8) and
 * data (0xcfc-0xcff) ports answer as empty without a round trip to the
 * parent (KEEL_PARTITION_PROPERTY_ABSENT_PORTS); 0xcf9 is the reset
 * register (parent/vstack/platform.h). */
#define VM_ABSENT_PORTS ((0xcf8u | 0xcf8u << 16) | (uint64_t)(0xcfcu | 0xcffu << 16) << 32)
#define MAP_FLAGS (HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_EXECUTABLE)

_Static_assert(LOADER_ENTRY_REGISTERS <= VM_ENTRY_REGISTERS, "entry register arrays");

static struct vm vms[VM_MAX];
static uint64_t pfns[HV_DEPOSIT_MEMORY_MAX_PAGES]; /* hypercall input staging */

static int fail(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, VM_WHY_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

const char *vm_state_name(enum vm_state state)
{
	switch (state) {
	case VM_CREATED: return "created";
	case VM_RUNNING: return "running";
	case VM_STOPPED: return "stopped";
	case VM_CRASHED: return "crashed";
	}
	return "?";
}

struct vm *vm_by_name(const char *name)
{
	for (unsigned i = 0; i < VM_MAX; i++)
		if (vms[i].used && !strcmp(vms[i].name, name))
			return &vms[i];
	return NULL;
}

struct vm *vm_by_partition(uint64_t partition_id)
{
	for (unsigned i = 0; i < VM_MAX; i++)
		if (vms[i].used && vms[i].partition_id == partition_id)
			return &vms[i];
	return NULL;
}

struct vm *vm_at(unsigned i)
{
	return i < VM_MAX && vms[i].used ? &vms[i] : NULL;
}

/* ---- hypercall helpers ---- */

static const char *status_text(uint16_t st)
{
	static char text[48];

	snprintf(text, sizeof(text), "%s (%#x)", st == HV_STATUS_INVALID_VP_STATE ? "invalid VP state" :
						 hv_status_name(st), st);
	return text;
}

static uint16_t vp_state(const struct vm *vm, unsigned index, struct keel_vp_state *out)
{
	static struct keel_vp_state_input in __attribute__((aligned(64)));
	static struct keel_vp_state st __attribute__((aligned(64)));
	uint16_t s;

	in = (struct keel_vp_state_input){ vm->partition_id, index, 0 };
	s = (uint16_t)hvcall(KEEL_HVCALL_GET_VP_STATE, (uint64_t)&in, (uint64_t)&st);
	*out = st;
	return s;
}

static const struct keel_hv_info *hv_info(void)
{
	static struct keel_hv_info info __attribute__((aligned(128)));

	if ((uint16_t)hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)&info) != HV_STATUS_SUCCESS)
		memset(&info, 0, sizeof(info));
	return &info;
}

static unsigned pcpu_count(void)
{
	return hv_info()->pcpus;
}

static uint16_t set_vp_register(const struct vm *vm, unsigned index, uint32_t name, uint64_t value)
{
	union hv_register_value v = { .reg64 = value };

	return hv_set_registers(vm->partition_id, index, &name, &v, 1);
}

static uint16_t set_register(const struct vm *vm, uint32_t name, uint64_t value)
{
	return set_vp_register(vm, 0, name, value);
}

/* Suspend every VP (each is off its pCPU when this returns). */
static uint16_t suspend_all(const struct vm *vm)
{
	uint16_t st = HV_STATUS_SUCCESS;

	for (unsigned i = 0; i < vm->vcpus; i++) {
		uint16_t s = set_vp_register(vm, i, HV_REGISTER_EXPLICIT_SUSPEND, HV_SUSPEND_REGISTER_SUSPENDED);

		if (s && !st)
			st = s;
	}
	return st;
}

static uint64_t ram_pages(const struct vm *vm)
{
	return vm->memory_bytes / PAGE;
}

/* The parent's address of RAM byte `offset` of the VM, and how many bytes
 * from there on are contiguous in the parent. */
static uint64_t ram_host(const struct vm *vm, uint64_t offset, uint64_t *contiguous)
{
	for (unsigned i = 0; i < vm->ram_ranges; i++) {
		uint64_t bytes = vm->ram[i].pages * PAGE;

		if (offset < bytes) {
			*contiguous = bytes - offset;
			return vm->ram[i].base + offset;
		}
		offset -= bytes;
	}
	*contiguous = 0;
	return 0;
}

/* GPA -> RAM offset: the inverse of vm_ram_gpa (gpa lies in RAM). */
static uint64_t ram_offset(const struct vm *vm, uint64_t gpa)
{
	return gpa < VM_HOLE_END ? gpa : gpa - VM_HOLE_END + vm_low_ram(vm->memory_bytes);
}

/* vm_image_build's view of the VM's RAM (vm_image.h). */
static void ram_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	const struct vm *vm = ctx;
	uint64_t offset = ram_offset(vm, gpa);

	while (len) {
		uint64_t run, host = ram_host(vm, offset, &run);
		size_t n = len < run ? len : (size_t)run;

		memcpy((void *)host, src, n);
		src = (const uint8_t *)src + n;
		offset += n;
		len -= n;
	}
}

/* The pages of [first, first + n) RAM pages, staged as page numbers. */
static const uint64_t *stage_ram(const struct vm *vm, uint64_t first, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t run;

		pfns[i] = ram_host(vm, (first + i) * PAGE, &run) / PAGE;
	}
	return pfns;
}

/* The next chunk of RAM pages from `at`: at most one hypercall's worth and
 * never across the hole, so its GPAs are contiguous. */
static size_t ram_chunk(const struct vm *vm, uint64_t at)
{
	uint64_t low = vm_low_ram(vm->memory_bytes) / PAGE, end = at < low ? low : ram_pages(vm);

	return end - at < HV_MAP_GPA_MAX_PAGES ? (size_t)(end - at) : HV_MAP_GPA_MAX_PAGES;
}

/* Take RAM pages [0, n) back from the child (zeroed by the hypervisor). */
static uint16_t unmap_pages(const struct vm *vm, uint64_t n)
{
	for (uint64_t at = 0; at < n;) {
		size_t chunk = ram_chunk(vm, at), done = 0;
		uint16_t st;

		if (chunk > n - at)
			chunk = (size_t)(n - at);
		st = hv_unmap_gpa(vm->partition_id, vm_ram_gpa(vm->memory_bytes, at * PAGE) / PAGE, chunk, &done);
		if (st)
			return st;
		at += chunk;
	}
	return HV_STATUS_SUCCESS;
}

/* Map all RAM at its GPAs; on failure nothing stays mapped. */
static uint16_t map_pages(const struct vm *vm)
{
	uint64_t n = ram_pages(vm);

	for (uint64_t at = 0; at < n;) {
		size_t chunk = ram_chunk(vm, at), done = 0;
		uint16_t st = hv_map_gpa(vm->partition_id, vm_ram_gpa(vm->memory_bytes, at * PAGE) / PAGE,
					 stage_ram(vm, at, chunk), chunk, MAP_FLAGS, &done);

		if (st) {
			unmap_pages(vm, at + done);
			return st;
		}
		at += chunk;
	}
	return HV_STATUS_SUCCESS;
}

static uint16_t deposit_pages(const struct vm *vm)
{
	for (size_t at = 0; at < vm->deposit_pages;) {
		size_t left = vm->deposit_pages - at, done = 0;
		size_t chunk = left < HV_DEPOSIT_MEMORY_MAX_PAGES ? left : HV_DEPOSIT_MEMORY_MAX_PAGES;
		uint16_t st;

		for (size_t i = 0; i < chunk; i++)
			pfns[i] = vm->deposit_base / PAGE + at + i;
		st = hv_deposit(vm->partition_id, pfns, chunk, &done);

		if (st)
			return st;
		at += chunk;
	}
	return HV_STATUS_SUCCESS;
}

/* Suspend the VP (off its pCPU) and take every page back. */
static uint16_t halt_and_unmap(struct vm *vm)
{
	uint16_t st = suspend_all(vm);

	/* The parent lets go of the child's pages first (VMBus rings). */
	ipc_vm_stop(vm);
	if (st == HV_STATUS_SUCCESS && vm->ram_mapped) {
		st = unmap_pages(vm, ram_pages(vm));
		if (st == HV_STATUS_SUCCESS)
			vm->ram_mapped = vm->ram_dirty = false;
	}
	return st;
}

void vm_refresh(struct vm *vm)
{
	struct keel_vp_state st;
	uint64_t exits = 0, by_kind[KEEL_EXIT_KINDS] = { 0 };

	for (unsigned i = 0; i < vm->vcpus; i++) {
		if (vp_state(vm, i, &st) != HV_STATUS_SUCCESS)
			return;
		vm->vp_state[i] = st.state;
		vm->vp_exits[i] = st.exits;
		exits += st.exits;
		for (unsigned k = 0; k < KEEL_EXIT_KINDS; k++)
			by_kind[k] += st.exits_by_kind[k];
		if (vm->state == VM_RUNNING && st.state == KEEL_VP_CRASHED) {
			vm->state = VM_CRASHED;
			if (vm->vcpus == 1)
				snprintf(vm->crash_reason, sizeof(vm->crash_reason), "%.*s", (int)sizeof(st.reason),
					 st.reason);
			else
				snprintf(vm->crash_reason, sizeof(vm->crash_reason), "VP %u: %.*s", i,
					 (int)sizeof(st.reason), st.reason);
		}
	}
	vm->exits = exits;
	memcpy(vm->exits_by_kind, by_kind, sizeof(by_kind));
}

/* ---- interrupts ---- */

/* The IOAPIC's messages become HvCallAssertVirtualInterrupt. */
static void ioapic_deliver(void *ctx, uint8_t vector, uint32_t dest, bool logical, uint8_t mode, bool level)
{
	struct vm *vm = ctx;

	if (hv_assert_interrupt(vm->partition_id, mode, logical, level, dest, vector) == HV_STATUS_SUCCESS)
		vm->interrupts++;
	else
		vm->interrupts_refused++;
}

void vm_uart_irq(struct vm *vm)
{
	ioapic_set_irq(&vm->ioapic, VM_COM1_PIN, uart_irq_pending(&vm->uart));
}

/* ---- create / delete ---- */

/* VPs 0..vcpus-1; on failure those created are deleted again. */
static uint16_t create_vps(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpus; i++) {
		uint16_t st = hv_create_vp(vm->partition_id, i);

		if (st) {
			while (i-- > 0)
				hv_delete_vp(vm->partition_id, i);
			return st;
		}
	}
	return HV_STATUS_SUCCESS;
}

static void free_memory(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ram_ranges; i++)
		pages_free(&free_ram, vm->ram[i].base, vm->ram[i].pages);
	if (vm->deposit_base)
		pages_free(&free_ram, vm->deposit_base, vm->deposit_pages);
	memset(vm, 0, sizeof(*vm));
}

/* Zero the VM's RAM (it must not be mapped in the child). */
static void zero_ram(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ram_ranges; i++)
		memset((void *)vm->ram[i].base, 0, vm->ram[i].pages * PAGE);
	vm->ram_dirty = false;
}

/* The child's platform as its ACPI tables describe it. */
static void platform_of(const struct vm *vm, struct acpi_platform *p)
{
	*p = (struct acpi_platform){
		.vp_count = vm->vcpus,
		.ioapic_id = 0,
		.ioapic_address = ACPI_IOAPIC_ADDRESS,
		.sleep_control_port = PLATFORM_PORT_SLEEP,
		.sleep_status_port = PLATFORM_PORT_SLEEP,
		.reset_port = PLATFORM_PORT_RESET,
		.reset_value = PLATFORM_RESET_VALUE,
		.com1 = true,
		.com1_irq = 4,
		.vmbus = true,
		.rtc = true,
	};
}

/*
 * Plan (ram NULL) or write (ram set) a Linux or multiboot child's memory:
 * its ACPI tables at VM_ACPI_GPA, the code at the reset vector
 * (parent/vstack/platform.h) and what its loader puts in RAM; the plan
 * in vm->boot.  Returns 0, or -1 with the loader's reason in why.
 */
static int load_kernel(struct vm *vm, const struct vm_ram_writer *ram, char *why)
{
	static uint8_t tables[ACPI_TABLES_SIZE];
	static const struct loader_range reserved[] = {
		{ VM_ACPI_GPA, ACPI_TABLES_SIZE, LOADER_MEMORY_RESERVED },
		{ PLATFORM_RESET_CODE_PAGE, 0x1000, LOADER_MEMORY_RESERVED },
	};
	uint8_t reset_code[PLATFORM_RESET_CODE_SIZE];
	struct loader_module mods[VM_MODULES_MAX];
	struct loader_config cfg = { vm->memory_bytes, vm->cmdline, reserved, 2, 0 };
	struct acpi_platform platform;
	char reason[VM_WHY_MAX];
	int rc;

	platform_of(vm, &platform);
	if (acpi_tables_build(tables, sizeof(tables), VM_ACPI_GPA, &platform, &cfg.acpi_rsdp))
		return fail(why, "cannot build ACPI tables for %u vCPUs", vm->vcpus);
	if (vm->format == LOADER_LINUX_BZIMAGE) {
		rc = loader_linux_load(ram, &cfg, (const void *)vm->image->phys, vm->image->size,
				       vm->initrd ? (const void *)vm->initrd->phys : NULL, vm->initrd ? vm->initrd->size : 0,
				       &vm->boot, reason, sizeof(reason));
	} else {
		for (unsigned i = 0; i < vm->module_count; i++)
			mods[i] = (struct loader_module){ (const void *)vm->modules[i]->phys, vm->modules[i]->size,
							  vm->modules[i]->name };
		rc = loader_multiboot_load(ram, &cfg, (const void *)vm->image->phys, vm->image->size, mods,
					   vm->module_count, &vm->boot, reason, sizeof(reason));
	}
	if (rc)
		return fail(why, "%s: %s", vm->image->name, reason);
	if (ram) {
		ram->write(ram->ctx, VM_ACPI_GPA, tables, sizeof(tables));
		platform_reset_code(reset_code);
		ram->write(ram->ctx, PLATFORM_RESET_CODE_GPA, reset_code, sizeof(reset_code));
	}
	return 0;
}

/* Find the modules the spec names and check the kernel and its options
 * for spec's memory: fills vm's image fields. */
static int check_image(struct vm *vm, const struct vm_spec *spec, char *why)
{
	const struct boot_module *m = module_find(spec->kernel);
	char reason[VM_WHY_MAX];

	if (!m)
		return fail(why, "no boot module named '%s' (the modules are listed by 'mem')", spec->kernel);
	vm->image = m;
	vm->format = loader_detect((const void *)m->phys, m->size);
	if (vm->format == LOADER_UNKNOWN && m->size >= 4 && !memcmp((const void *)m->phys, "\177ELF", 4) &&
	    vm_elf_check((const void *)m->phys, m->size, vm->memory_bytes, &vm->elf, reason, sizeof(reason)))
		return fail(why, "image '%s': %s", spec->kernel, reason); /* an ELF, but not one a child runs */
	if (vm->format == LOADER_UNKNOWN)
		return fail(why, "image '%s' is neither a Linux bzImage (64-bit boot protocol), a multiboot kernel "
			    "nor a Keel ELF guest", spec->kernel);
	if (vm->format == LOADER_MULTIBOOT && !(hv_info()->features & KEEL_FEATURE_REAL_MODE))
		return fail(why, "image '%s' is a multiboot kernel, which starts with paging off: this CPU's "
			    "VT-x lacks unrestricted guest", spec->kernel);
	if (spec->initrd && vm->format != LOADER_LINUX_BZIMAGE)
		return fail(why, "--initrd needs a Linux kernel; '%s' is %s (multiboot kernels take --module)",
			    spec->kernel, loader_format_name(vm->format));
	if (spec->module_count && vm->format != LOADER_MULTIBOOT)
		return fail(why, "--module needs a multiboot kernel; '%s' is %s", spec->kernel,
			    loader_format_name(vm->format));
	if (spec->cmdline && vm->format == LOADER_ELF64)
		return fail(why, "--cmdline needs a Linux or multiboot kernel; '%s' is a Keel ELF guest", spec->kernel);
	if (spec->cmdline && strlen(spec->cmdline) >= sizeof(vm->cmdline))
		return fail(why, "the command line is too long (%lu bytes; at most %lu)",
			    (unsigned long)strlen(spec->cmdline), (unsigned long)sizeof(vm->cmdline) - 1);
	snprintf(vm->cmdline, sizeof(vm->cmdline), "%s", spec->cmdline ? spec->cmdline : "");
	if (spec->initrd && !(vm->initrd = module_find(spec->initrd)))
		return fail(why, "no boot module named '%s' (the modules are listed by 'mem')", spec->initrd);
	for (unsigned i = 0; i < spec->module_count; i++)
		if (!(vm->modules[i] = module_find(spec->modules[i])))
			return fail(why, "no boot module named '%s' (the modules are listed by 'mem')",
				    spec->modules[i]);
	vm->module_count = spec->module_count;
	if (vm->format != LOADER_ELF64)
		return load_kernel(vm, NULL, why);
	if (vm_elf_check((const void *)m->phys, m->size, vm->memory_bytes, &vm->elf, reason, sizeof(reason)))
		return fail(why, "image '%s': %s", spec->kernel, reason);
	return 0;
}

int vm_create(const struct vm_spec *spec, char *why)
{
	struct vm *vm = NULL;
	char size[24];
	uint16_t st;

	if (!vm_name_valid(spec->name))
		return fail(why, "bad name '%s' (use 1 to %u characters from A-Z a-z 0-9 _ -)", spec->name,
			    VM_NAME_MAX);
	if (vm_by_name(spec->name))
		return fail(why, "a VM named '%s' exists already", spec->name);
	if (spec->vcpus < 1 || spec->vcpus > VM_VCPUS_MAX)
		return fail(why, "--vcpus %u is out of range (1 to %u)", spec->vcpus, VM_VCPUS_MAX);
	/* An AP starts in real mode at its SIPI: VT-x needs unrestricted
	 * guest for that. */
	if (spec->vcpus > 1 && !(hv_info()->features & KEEL_FEATURE_REAL_MODE))
		return fail(why, "--vcpus %u: application processors start in real mode, and this CPU's VT-x "
			    "lacks unrestricted guest", spec->vcpus);
	for (unsigned i = 0; i < VM_MAX && !vm; i++)
		if (!vms[i].used)
			vm = &vms[i];
	if (!vm)
		return fail(why, "too many VMs (at most %u)", VM_MAX);
	memset(vm, 0, sizeof(*vm));
	vm->memory_bytes = spec->memory_bytes;
	vm->vcpus = spec->vcpus;
	if (check_image(vm, spec, why)) {
		memset(vm, 0, sizeof(*vm));
		return -1;
	}
	vm_format_size(spec->memory_bytes, size, sizeof(size));
	vm->deposit_pages = vm_slat_pages(spec->memory_bytes);
	if (pages_alloc_ranges(&free_ram, ram_pages(vm), vm->ram, VM_RAM_RANGES, &vm->ram_ranges)) {
		char free_text[24];

		cli_format_bytes(free_ram.free_pages * PAGE, free_text, sizeof(free_text));
		fail(why, "not enough free memory in the parent for %s of RAM (%s free%s)", size, free_text,
		     free_ram.free_pages >= ram_pages(vm) ? ", in too many pieces" : "");
		goto out_free;
	}
	vm->deposit_base = pages_alloc(&free_ram, vm->deposit_pages, ~0ull);
	if (!vm->deposit_base) {
		fail(why, "not enough free memory in the parent for %s of RAM and its page tables", size);
		goto out_free;
	}
	zero_ram(vm);
	if ((st = hv_create_partition(&vm->partition_id))) {
		fail(why, "the hypervisor cannot create another partition: %s", status_text(st));
		goto out_free;
	}
	window_vm_reset(vm);
	if ((st = hv_set_partition_property(vm->partition_id, KEEL_PARTITION_PROPERTY_ABSENT_PORTS, VM_ABSENT_PORTS)) ||
	    (st = deposit_pages(vm)) || (st = hv_partition_op(HVCALL_INITIALIZE_PARTITION, vm->partition_id)) ||
	    (st = create_vps(vm)) || (st = ipc_vm_create(vm))) {
		fail(why, "the hypervisor refused to set up partition %llu: %s", (unsigned long long)vm->partition_id,
		     status_text(st));
		goto out_partition;
	}
	snprintf(vm->name, sizeof(vm->name), "%s", spec->name);
	vm->state = VM_CREATED;
	ringlog_init(&vm->console, vm->console_storage, sizeof(vm->console_storage));
	uart_init(&vm->uart, UART_COM1_BASE, &vm->console);
	testdev_init(&vm->testdev, NULL, NULL);
	ioapic_init(&vm->ioapic, 0, ioapic_deliver, vm);
	vm->used = true;
	return 0;

out_partition:
	/* Finalize deletes the VP; delete gives back the deposit. */
	ipc_vm_delete(vm);
	hv_partition_op(HVCALL_FINALIZE_PARTITION, vm->partition_id);
	hv_partition_op(HVCALL_DELETE_PARTITION, vm->partition_id);
out_free:
	free_memory(vm);
	return -1;
}

int vm_delete(struct vm *vm, char *why)
{
	uint16_t st;

	vm_refresh(vm);
	if (vm->state == VM_RUNNING)
		return fail(why, "%s is running; stop it first ('vm stop %s')", vm->name, vm->name);
	if ((st = halt_and_unmap(vm)))
		return fail(why, "cannot take %s's memory back: %s", vm->name, status_text(st));
	ipc_vm_delete(vm);
	if ((st = hv_partition_op(HVCALL_FINALIZE_PARTITION, vm->partition_id)) ||
	    (st = hv_partition_op(HVCALL_DELETE_PARTITION, vm->partition_id)))
		return fail(why, "the hypervisor refused to delete partition %llu: %s",
			    (unsigned long long)vm->partition_id, status_text(st));
	free_memory(vm);
	return 0;
}

/* ---- start / stop ---- */

/* Replace the VPs with new ones: a start after a stop (or a crash, which
 * the hypervisor never restarts) begins from VPs nothing ran on (the
 * application processors waiting for a SIPI). */
static uint16_t renew_vps(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpus; i++) {
		uint16_t st = hv_delete_vp(vm->partition_id, i);

		if (st)
			return st;
	}
	return create_vps(vm);
}

/* vm_start, and a reboot after the guest reset (reboot: the console log
 * goes on, the count of resets too). */
static int boot_vm(struct vm *vm, bool reboot, char *why)
{
	static uint32_t names[VM_ENTRY_REGISTERS];
	static union hv_register_value values[VM_ENTRY_REGISTERS];
	const struct vm_ram_writer writer = { ram_write, vm };
	size_t n;
	uint16_t st;

	vm_refresh(vm);
	if (vm->state == VM_RUNNING)
		return fail(why, "%s is running already", vm->name);
	if (vm->state == VM_CRASHED)
		return fail(why, "%s has crashed (%s); use 'vm stop %s --force' first", vm->name, vm->crash_reason,
			    vm->name);
	/* A message the old VP sent before it was stopped may still sit in the
	 * SynIC slot: served now, while the VM is not running, it is dropped
	 * instead of resuming the new VP with stale registers. */
	vstack_poll();
	if (vm->state == VM_STOPPED && (st = renew_vps(vm)))
		return fail(why, "the hypervisor cannot renew %s's VPs: %s", vm->name, status_text(st));
	if (vm->ram_dirty)
		zero_ram(vm);
	vm->ram_dirty = true;
	if (vm->format == LOADER_ELF64) {
		vm_image_build(&writer, vm->memory_bytes, (const void *)vm->image->phys, &vm->elf);
		n = vm_image_registers(vm->memory_bytes, &vm->elf, names, values);
	} else {
		if (load_kernel(vm, &writer, why))
			return -1; /* checked at create: only a changed module fails here */
		n = loader_registers(&vm->boot, names, values);
	}
	if ((st = hv_set_registers(vm->partition_id, 0, names, values, n)) ||
	    (st = set_register(vm, HV_REGISTER_INTERCEPT_SUSPEND, 0)))
		return fail(why, "the hypervisor refused %s's entry registers: %s", vm->name, status_text(st));
	/* From here on the pages are the child's: not touched again. */
	if ((st = map_pages(vm)))
		return fail(why, "the hypervisor refused to map %s's memory: %s", vm->name, status_text(st));
	vm->ram_mapped = true;
	/* The application processors first: they wait for the SIPI VP 0 sends. */
	for (unsigned i = vm->vcpus; i-- > 0 && !st;)
		st = set_vp_register(vm, i, HV_REGISTER_EXPLICIT_SUSPEND, 0);
	if (st) {
		unsigned pcpus = pcpu_count();

		suspend_all(vm);
		if (unmap_pages(vm, ram_pages(vm)) == HV_STATUS_SUCCESS)
			vm->ram_mapped = vm->ram_dirty = false;
		if (st == HV_STATUS_INVALID_VP_STATE && pcpus == 1)
			return fail(why, "child VPs need a second CPU (this machine has 1)");
		return fail(why, "the hypervisor refused to start %s: %s", vm->name, status_text(st));
	}
	/* Fresh devices.  The VP may run already, but its first intercept is
	 * served no earlier than the next vstack_poll(), on this CPU. */
	if (!reboot) {
		ringlog_clear(&vm->console);
		vm->resets = 0;
	}
	vm->console_boot = ringlog_end(&vm->console);
	uart_init(&vm->uart, UART_COM1_BASE, &vm->console);
	testdev_init(&vm->testdev, NULL, NULL);
	ioapic_reset(&vm->ioapic);
	rtc_init(&vm->rtc);
	ioapic_set_irq(&vm->ioapic, VM_COM1_PIN, false);
	memset(vm->mmio_scratch, 0, sizeof(vm->mmio_scratch));
	vm->intercepts = vm->stray_accesses = vm->exits = 0;
	ipc_vm_start(vm);
	vm->interrupts = vm->interrupts_refused = 0;
	vm->guest_stopped = false;
	vm->stop_reason[0] = '\0';
	vm->exit_code = 0;
	vm->crash_reason[0] = '\0';
	vm->boot_tsc = rdtsc();
	vm->state = VM_RUNNING;
	return 0;
}

int vm_start(struct vm *vm, char *why)
{
	vm->reboot = false;
	return boot_vm(vm, false, why);
}

void vm_guest_reset(struct vm *vm)
{
	char reason[sizeof(vm->stop_reason)];

	if (rdtsc() - vm->boot_tsc < VM_REBOOT_MIN_S * parent_tsc_hz()) {
		snprintf(reason, sizeof(reason), "guest reset within %d s of its boot (not booted again)",
			 VM_REBOOT_MIN_S);
		vm_guest_stop(vm, reason, 0);
		return;
	}
	vm_guest_stop(vm, "guest reset", 0);
	vm->reboot = vm->state == VM_STOPPED;
}

int vm_reboot_pending(void)
{
	static bool busy; /* boot_vm polls the intercepts too */
	char why[VM_WHY_MAX];
	int n = 0;

	if (busy)
		return 0;
	busy = true;
	for (unsigned i = 0; i < VM_MAX; i++) {
		struct vm *vm = &vms[i];

		if (!vm->used || !vm->reboot)
			continue;
		vm->reboot = false;
		n++;
		if (boot_vm(vm, true, why)) {
			printf("\nvm: %s reset itself and cannot boot again: %s\n", vm->name, why);
			continue;
		}
		vm->resets++;
		printf("\n[vm %s: the guest reset; booting it again]\n", vm->name);
	}
	busy = false;
	return n;
}

void vm_guest_stop(struct vm *vm, const char *reason, uint32_t code)
{
	uint16_t st = halt_and_unmap(vm);

	if (st) {
		printf("vm: %s asked to stop, but its VP cannot be stopped: %s\n", vm->name, status_text(st));
		return;
	}
	vm->state = VM_STOPPED;
	vm->guest_stopped = true;
	snprintf(vm->stop_reason, sizeof(vm->stop_reason), "%s", reason);
	vm->exit_code = code;
}

void vm_crash(struct vm *vm, const char *reason)
{
	suspend_all(vm);
	vm->state = VM_CRASHED;
	snprintf(vm->crash_reason, sizeof(vm->crash_reason), "%s", reason);
}

uint64_t parent_tsc_hz(void)
{
	return rdmsr(HV_X64_MSR_TSC_FREQUENCY);
}

int vm_stop(struct vm *vm, bool force, char *why)
{
	unsigned wait_s = VM_STOP_WAIT_S;
	uint64_t t0, last, hz;
	uint16_t st;

	vm->reboot = false; /* a reset not yet rebooted stays a stop */
	vm_refresh(vm);
	if (vm->state == VM_CRASHED && !force)
		return fail(why, "%s has crashed (%s); use 'vm stop %s --force' or 'vm delete %s'", vm->name,
			    vm->crash_reason, vm->name, vm->name);
	if (vm->state != VM_RUNNING && vm->state != VM_CRASHED)
		return fail(why, "%s is not running (it is %s)", vm->name, vm_state_name(vm->state));
	if (force) {
		if ((st = halt_and_unmap(vm)))
			return fail(why, "cannot stop %s: %s", vm->name, status_text(st));
		vm->state = VM_STOPPED;
		return 0;
	}
	/* Ask the guest's shutdown service (it powers off: the dispatcher then
	 * calls vm_guest_stop()); Keel's own test guests answer through the
	 * test device. */
	if (ipc_vm_shutdown(vm) == 0) {
		wait_s = VM_SHUTDOWN_WAIT_S;
	} else if (vm->format == LOADER_LINUX_BZIMAGE) {
		return fail(why, "%s has no shutdown service running (its hv_utils is not loaded); use 'vm stop %s --force'",
			    vm->name, vm->name);
	} else {
		testdev_ask_stop(&vm->testdev);
	}
	hz = parent_tsc_hz();
	t0 = last = rdtsc();
	while (vm->state == VM_RUNNING && rdtsc() - t0 < wait_s * hz) {
		if (!vstack_poll())
			idle_wait();
		if (rdtsc() - last > hz / 100) {
			vm_refresh(vm);
			last = rdtsc();
		}
	}
	if (vm->state == VM_CRASHED)
		return fail(why, "%s crashed instead of stopping (%s)", vm->name, vm->crash_reason);
	if (vm->state == VM_RUNNING)
		return fail(why, "%s did not stop within %u s; use 'vm stop %s --force'", vm->name, wait_s, vm->name);
	return 0;
}
