/*
 * Serving child intercepts: read a message from the SINT0 slot of the SIM
 * page, free the slot (EOM when more are pending), emulate the access on
 * the VM's devices with the instruction emulator, then write back the
 * registers it changed and clear HvRegisterInterceptSuspend in one
 * HvCallSetVpRegisters.  docs/intercepts.md has the protocol.
 */
#include "parent/intercept.h"

#include <stdio.h>
#include <string.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs_synic.h"
#include "parent/hvcall.h"
#include "parent/hvpart.h"
#include "parent/idle.h"
#include "parent/ipc.h"
#include "parent/sim_slot.h"
#include "parent/acpi_tables.h"
#include "parent/vm.h"
#include "parent/wallclock.h"
#include "parent/vstack/platform.h"
#include "parent/vstack/insn_emulate.h"
#include "parent/x86.h"

#define SEG_L (1u << 13) /* TLFS segment attributes */
#define SEG_D (1u << 14)

static struct hv_message_page sim __attribute__((aligned(4096)));
static struct hv_synic_event_flags_page sief __attribute__((aligned(4096)));
static int ready;

int vstack_init(void)
{
	/* Both wake idle_wait(): intercepts on SINT0, children's messages and
	 * events on the IPC SINT (parent/ipc.h). */
	wrmsr(HV_X64_MSR_SINT0, IDLE_VECTOR_MESSAGE);
	wrmsr(HV_X64_MSR_SINT(KEEL_PARENT_IPC_SINT), IDLE_VECTOR_MESSAGE);
	wrmsr(HV_X64_MSR_SIMP, (uint64_t)&sim | HV_SYNIC_PAGE_ENABLE);
	wrmsr(HV_X64_MSR_SIEFP, (uint64_t)&sief | HV_SYNIC_PAGE_ENABLE);
	wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_SCONTROL_ENABLE);
	ready = (rdmsr(HV_X64_MSR_SIMP) & HV_SYNIC_PAGE_GPA_MASK) == (uint64_t)&sim;
	return ready ? 0 : -1;
}

/* ---- device side ---- */

struct access {
	struct vm *vm;
	const struct hv_message *msg;
	uint32_t vp_index;
};

static int pio(void *ctx, uint16_t port, unsigned size, uint32_t *value, bool write)
{
	struct vm *vm = ((struct access *)ctx)->vm;
	bool stop_before = testdev_stop_requested(&vm->testdev, NULL);
	uint32_t code;

	enum platform_event event;

	if (uart_io(&vm->uart, port, write, size, value)) {
		vm_uart_irq(vm);
		return 0;
	}
	if (testdev_io(&vm->testdev, port, write, size, value)) {
		if (!stop_before && testdev_stop_requested(&vm->testdev, &code))
			vm_guest_stop(vm, "stop request (test device)", code);
		return 0;
	}
	if (size == 1 && rtc_io(&vm->rtc, port, write, value, wallclock_now()))
		return 0;
	if (platform_io(port, write, size, value, &event, &code)) {
		if (event == PLATFORM_POWER_OFF)
			vm_guest_stop(vm, "guest powered off", 0);
		else if (event == PLATFORM_RESET)
			vm_guest_reset(vm);
		else if (event == PLATFORM_EXIT)
			vm_guest_stop(vm, "exit port", code);
		return 0;
	}
	vm->stray_accesses++;
	if (!write)
		*value = 0xffffffffu;
	return 0;
}

static int pio_in(void *ctx, uint16_t port, unsigned size, uint32_t *value)
{
	return pio(ctx, port, size, value, false);
}

static int pio_out(void *ctx, uint16_t port, unsigned size, uint32_t value)
{
	return pio(ctx, port, size, &value, true);
}

/* The local APIC page of the VP that made the access, in xAPIC mode
 * (KEEL_HVCALL_APIC_ACCESS); false when its APIC does not decode it. */
static bool apic_access(struct access *a, uint64_t gpa, unsigned size, bool write, uint32_t *value)
{
	static struct keel_apic_access in __attribute__((aligned(64)));
	static uint32_t out __attribute__((aligned(4096)));
	uint32_t offset = (uint32_t)(gpa - ACPI_LAPIC_ADDRESS);

	if (gpa < ACPI_LAPIC_ADDRESS || offset >= 0x1000)
		return false;
	/* Registers are 32 bits wide at 16-byte strides; a narrower or
	 * misaligned access sees the containing register (writes need 32). */
	in = (struct keel_apic_access){ a->vm->partition_id, a->vp_index, offset & ~0xfu,
					write ? KEEL_APIC_ACCESS_WRITE : 0, *value };
	if (write && (size != 4 || (offset & 0xf)))
		return true; /* dropped, as the APIC does */
	if ((uint16_t)hvcall(KEEL_HVCALL_APIC_ACCESS, (uint64_t)&in, (uint64_t)&out) != HV_STATUS_SUCCESS)
		return false;
	if (!write)
		*value = (offset & 0xf) < 4 ? out >> (8 * (offset & 3)) : 0;
	else if (out)
		ioapic_eoi(&a->vm->ioapic, (uint8_t)out); /* it ended a level-triggered vector */
	return true;
}

/* The scratch page is RAM-like; anything else reads all-ones. */
static int mmio_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *value)
{
	struct vm *vm = ((struct access *)ctx)->vm;
	uint64_t off = gpa - VM_MMIO_SCRATCH;

	uint32_t v32 = 0;

	*value = ~0ull;
	if (apic_access(ctx, gpa, size, false, &v32)) {
		*value = size >= 4 ? v32 : v32 & ((1u << (8 * size)) - 1);
	} else if (gpa >= ACPI_IOAPIC_ADDRESS && gpa - ACPI_IOAPIC_ADDRESS < IOAPIC_MMIO_SIZE) {
		ioapic_mmio_read(&vm->ioapic, (uint32_t)(gpa - ACPI_IOAPIC_ADDRESS), &v32);
		*value = size >= 4 ? v32 : v32 & ((1u << (8 * size)) - 1);
	} else if (gpa >= VM_MMIO_SCRATCH && off + size <= sizeof(vm->mmio_scratch)) {
		*value = 0;
		memcpy(value, vm->mmio_scratch + off, size);
	} else {
		vm->stray_accesses++;
	}
	return 0;
}

static int mmio_write(void *ctx, uint64_t gpa, unsigned size, uint64_t value)
{
	struct vm *vm = ((struct access *)ctx)->vm;
	uint64_t off = gpa - VM_MMIO_SCRATCH;

	uint32_t v32 = (uint32_t)value;

	if (apic_access(ctx, gpa, size, true, &v32))
		return 0;
	if (gpa >= ACPI_IOAPIC_ADDRESS && gpa - ACPI_IOAPIC_ADDRESS < IOAPIC_MMIO_SIZE)
		ioapic_mmio_write(&vm->ioapic, (uint32_t)(gpa - ACPI_IOAPIC_ADDRESS), (uint32_t)value);
	else if (gpa >= VM_MMIO_SCRATCH && off + size <= sizeof(vm->mmio_scratch))
		memcpy(vm->mmio_scratch + off, &value, size);
	else
		vm->stray_accesses++;
	return 0;
}

/* The child's RAM through its VP's paging (KEEL_HVCALL_GUEST_MEMORY). */
static int guest_memory(struct access *a, uint64_t linear, void *buf, size_t len, bool write)
{
	static struct {
		struct keel_guest_memory_input in;
		uint8_t data[KEEL_GUEST_MEMORY_MAX];
	} req __attribute__((aligned(4096)));
	static uint8_t out[KEEL_GUEST_MEMORY_MAX] __attribute__((aligned(4096)));

	while (len) {
		size_t n = len < KEEL_GUEST_MEMORY_MAX ? len : KEEL_GUEST_MEMORY_MAX;

		req.in = (struct keel_guest_memory_input){ a->vm->partition_id, a->vp_index,
							   write ? KEEL_GUEST_MEMORY_WRITE : 0, linear, (uint32_t)n, 0 };
		if (write)
			memcpy(req.data, buf, n);
		if ((uint16_t)hvcall(KEEL_HVCALL_GUEST_MEMORY, (uint64_t)&req, (uint64_t)out) != HV_STATUS_SUCCESS)
			return -1;
		if (!write)
			memcpy(buf, out, n);
		buf = (uint8_t *)buf + n;
		linear += n;
		len -= n;
	}
	return 0;
}

static int read_guest(void *ctx, uint64_t linear, void *buf, size_t len)
{
	return guest_memory(ctx, linear, buf, len, false);
}

static int write_guest(void *ctx, uint64_t linear, const void *buf, size_t len)
{
	return guest_memory(ctx, linear, (void *)buf, len, true);
}

static const struct emulate_ops ops = { mmio_read, mmio_write, pio_in, pio_out, read_guest, write_guest, NULL };

/* ---- one message ---- */

static enum x86_cpu_mode mode_of(const struct hv_x64_intercept_message_header *h)
{
	if (!(h->execution_state & HV_X64_EXEC_STATE_CR0_PE))
		return X86_MODE_REAL16;
	if ((h->execution_state & HV_X64_EXEC_STATE_EFER_LMA) && (h->cs_segment.attributes & SEG_L))
		return X86_MODE_LONG64;
	return h->cs_segment.attributes & SEG_D ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

/* Write back what changed and let the VP run again. */
static void resume(struct access *a, const struct emulate_regs *before, const struct emulate_regs *after)
{
	uint32_t names[20];
	union hv_register_value values[20];
	size_t n = 0;
	uint16_t st;

	for (unsigned r = 0; r < 16; r++) {
		if (before->gpr[r] == after->gpr[r])
			continue;
		names[n] = HV_X64_REGISTER_RAX + r;
		values[n++].reg64 = after->gpr[r];
	}
	if (before->rflags != after->rflags) {
		names[n] = HV_X64_REGISTER_RFLAGS;
		values[n++].reg64 = after->rflags;
	}
	names[n] = HV_X64_REGISTER_RIP;
	values[n++].reg64 = after->rip;
	names[n] = HV_REGISTER_INTERCEPT_SUSPEND;
	values[n++].reg64 = 0;
	st = hv_set_registers(a->vm->partition_id, a->vp_index, names, values, n);
	if (st != HV_STATUS_SUCCESS)
		printf("vm %s: cannot resume after an intercept: %s\n", a->vm->name, hv_status_name(st));
}

/* The access could not be emulated: the VM is stopped as crashed. */
static void fail(struct access *a, const char *what, int err)
{
	char reason[sizeof(a->vm->crash_reason)];

	snprintf(reason, sizeof(reason), "%s at rip %#llx: %s", what, (unsigned long long)a->msg->intercept.rip,
		 emulate_strerror(err));
	printf("vm %s: crashed: %s\n", a->vm->name, reason);
	vm_crash(a->vm, reason);
}

static void serve_io(struct access *a)
{
	const struct hv_x64_io_port_intercept_message *m = &a->msg->io_port;
	struct emulate_io io = { m->port_number, (uint8_t)(m->access_info & HV_X64_IO_ACCESS_SIZE_MASK),
				 m->header.intercept_access_type == HV_INTERCEPT_ACCESS_READ };
	struct emulate_regs before = { .rip = m->header.rip, .rflags = m->header.rflags }, after;
	unsigned len = m->header.instruction_length & HV_X64_INSTRUCTION_LENGTH_MASK;
	int rc;

	before.gpr[EMULATE_RAX] = m->rax;
	before.gpr[EMULATE_RCX] = m->rcx;
	before.gpr[EMULATE_RDX] = m->port_number; /* the port an IN/OUT DX used */
	before.gpr[EMULATE_RSI] = m->rsi;
	before.gpr[EMULATE_RDI] = m->rdi;
	before.seg_base[EMULATE_CS] = m->header.cs_segment.base;
	before.seg_base[EMULATE_DS] = m->ds_segment.base;
	before.seg_base[EMULATE_ES] = m->es_segment.base;
	after = before;
	if (!(m->access_info & HV_X64_IO_ACCESS_STRING_OP) && len) {
		/* IN or OUT of a known length: no decoding needed. */
		uint32_t value = (uint32_t)m->rax;

		rc = (io.size == 1 || io.size == 2 || io.size == 4) ? 0 : -EMULATE_EOPERAND;
		if (!rc)
			rc = io.in ? pio_in(a, io.port, io.size, &value) : pio_out(a, io.port, io.size, value);
		if (!rc && io.in)
			after.gpr[EMULATE_RAX] = io.size == 4 ? value
					       : (m->rax & ~((1ull << (8 * io.size)) - 1)) |
							 (value & ((1u << (8 * io.size)) - 1));
		after.rip += len;
	} else if (m->access_info & HV_X64_IO_ACCESS_STRING_OP)
		rc = emulate_pio_string(m->instruction_bytes, m->instruction_byte_count, mode_of(&m->header), &io,
					&after, &ops, a);
	else
		rc = emulate_pio(m->instruction_bytes, m->instruction_byte_count, mode_of(&m->header), &io, &after,
				 &ops, a);
	if (a->vm->state != VM_RUNNING)
		return; /* the guest asked to be stopped */
	if (rc) {
		fail(a, "port I/O", rc);
		return;
	}
	after.gpr[EMULATE_RDX] = before.gpr[EMULATE_RDX]; /* not the guest's RDX: never written back */
	resume(a, &before, &after);
}

static void serve_memory(struct access *a)
{
	const struct hv_x64_memory_intercept_message *m = &a->msg->memory;
	struct emulate_regs before = { .rip = m->header.rip, .rflags = m->header.rflags }, after;
	int rc;

	memcpy(before.gpr, &m->rax, sizeof(before.gpr));
	before.seg_base[EMULATE_CS] = m->header.cs_segment.base;
	before.seg_base[EMULATE_DS] = m->ds_segment.base;
	before.seg_base[EMULATE_ES] = m->ds_segment.base; /* not in the message; flat guests */
	before.seg_base[EMULATE_SS] = m->ss_segment.base;
	after = before;
	rc = emulate_mmio(m->instruction_bytes, m->instruction_byte_count, mode_of(&m->header),
			  m->guest_physical_address, &after, &ops, a);
	if (a->vm->state != VM_RUNNING)
		return;
	if (rc) {
		fail(a, "memory access", rc);
		return;
	}
	resume(a, &before, &after);
}

/* A level-triggered vector ended with an x2APIC EOI: the IOAPIC clears
 * its Remote IRR (and raises it again while the pin is still asserted);
 * the VP, which has completed its instruction, goes on. */
static void serve_apic_eoi(struct access *a)
{
	uint32_t name = HV_REGISTER_INTERCEPT_SUSPEND;
	union hv_register_value zero = { .reg64 = 0 };
	uint16_t st;

	ioapic_eoi(&a->vm->ioapic, (uint8_t)a->msg->apic_eoi.interrupt_vector);
	st = hv_set_registers(a->vm->partition_id, a->vp_index, &name, &zero, 1);
	if (st != HV_STATUS_SUCCESS)
		printf("vm %s: cannot resume after an EOI: %s\n", a->vm->name, hv_status_name(st));
}

static void serve(const struct hv_message *msg)
{
	struct access a = { vm_by_partition(msg->header.sender), msg, msg->intercept.vp_index };

	if (!a.vm || a.vm->state != VM_RUNNING)
		return; /* stopped or deleted since: the message is stale */
	a.vm->intercepts++;
	switch (msg->header.message_type) {
	case HV_MESSAGE_TYPE_X64_IO_PORT_INTERCEPT:
		serve_io(&a);
		break;
	case HV_MESSAGE_TYPE_UNMAPPED_GPA:
		serve_memory(&a);
		break;
	case HV_MESSAGE_TYPE_X64_APIC_EOI:
		serve_apic_eoi(&a);
		break;
	default:
		printf("vm %s: unexpected message type %#x\n", a.vm->name, msg->header.message_type);
		break;
	}
}

#define SERVE_BATCH 64

int vstack_poll(void)
{
	struct hv_message *slot = &sim.sint_message[HV_SYNIC_INTERCEPTION_SINT];
	static struct hv_message msg;
	int served = 0;

	wallclock_refine(); /* also while busy: children keep it from idling */
	/* The slot is freed before the message is served, so the next can come
	 * in; at most SERVE_BATCH a call, so that callers (an attached console,
	 * the CLI) get their turn while children keep the slot full. */
	while (ready && served < SERVE_BATCH && sim_slot_take(slot, &msg)) {
		serve(&msg);
		served++;
	}
	if (ready)
		served += ipc_poll(&sim, &sief);
	return served + vm_reboot_pending();
}
