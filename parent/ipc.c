/* The parent's ports, connections and echo service; contract in ipc.h. */
#include "parent/ipc.h"

#include <stdio.h>
#include <string.h>

#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_synic.h"
#include "parent/hvpart.h"
#include "parent/kernel.h"
#include "parent/sim_slot.h"
#include "parent/vm.h"
#include "parent/wallclock.h"
#include "parent/window.h"
#include "parent/x86.h"
#include "vsp/ic/ic_abi.h"
#include "vsp/vmbus/vmbus_abi.h"

#define PARENT_ID      1ull
#define ID_VMBUS       0x01u /* the parent's VMBus message port and connection */
#define VMBUS_CHILD_PORT 1u  /* the child's VMBus message port (SINT2 of VP 0) */
#define ID_ECHO        0x60u /* the parent's message port and connection */
#define ID_ECHO_EVENT  0x61u /* the parent's event port and connection */
#define ID_CHANNEL(relid) (0x10u + (relid)) /* a VMBus channel's event port and connection */
#define CHILD_CHANNEL_PORT(relid) (0x2000u | (relid)) /* its event port in the child */
#define TICK_HZ        100   /* how often the VMBus services' clocks advance */

/* Words of the parent's SIEF area that children's flags may be in: up to
 * the highest partition id a VM was created with. */
static unsigned flag_words = 1;

static uint32_t parent_id(const struct vm *vm, uint32_t n)
{
	return (uint32_t)(vm->partition_id << 8) | n;
}

uint16_t ipc_vm_create(struct vm *vm)
{
	uint64_t child = vm->partition_id;
	unsigned words = (unsigned)((child + 1) * IPC_FLAGS_PER_CHILD + 63) / 64;
	uint16_t st;

	if (words > flag_words)
		flag_words = words < HV_EVENT_FLAGS_COUNT / 64 ? words : HV_EVENT_FLAGS_COUNT / 64;
	/* VMBus: the child posts on connections 1 and 4 to the parent's
	 * port; the parent answers on its connection to the child's port. */
	if ((st = hv_create_port(PARENT_ID, parent_id(vm, ID_VMBUS), child, KEEL_PARENT_IPC_SINT, 0, 0, 0)) ||
	    (st = hv_connect_port(child, VMBUS_MESSAGE_CONNECTION_ID, PARENT_ID, parent_id(vm, ID_VMBUS),
				  HV_PORT_TYPE_MESSAGE)) ||
	    (st = hv_connect_port(child, VMBUS_MESSAGE_CONNECTION_ID_4, PARENT_ID, parent_id(vm, ID_VMBUS),
				  HV_PORT_TYPE_MESSAGE)) ||
	    (st = hv_create_port(child, VMBUS_CHILD_PORT, PARENT_ID, VMBUS_MESSAGE_SINT, 0, 0, 0)) ||
	    (st = hv_connect_port(PARENT_ID, parent_id(vm, ID_VMBUS), child, VMBUS_CHILD_PORT, HV_PORT_TYPE_MESSAGE)))
		return st;
	/* The echo channel.  child -> parent: a message port and an event port in the parent */
	if ((st = hv_create_port(PARENT_ID, parent_id(vm, ID_ECHO), child, KEEL_PARENT_IPC_SINT, 0, 0, 0)) ||
	    (st = hv_create_port(PARENT_ID, parent_id(vm, ID_ECHO_EVENT), child, KEEL_PARENT_IPC_SINT, 0,
				 (uint16_t)(child * IPC_FLAGS_PER_CHILD), 1)) ||
	    (st = hv_connect_port(child, ECHO_CONNECTION, PARENT_ID, parent_id(vm, ID_ECHO), HV_PORT_TYPE_MESSAGE)) ||
	    (st = hv_connect_port(child, ECHO_EVENT_CONNECTION, PARENT_ID, parent_id(vm, ID_ECHO_EVENT),
				  HV_PORT_TYPE_EVENT)))
		return st;
	/* parent -> child: the same in the child, on ECHO_SINT of its VP 0 */
	if ((st = hv_create_port(child, ECHO_CONNECTION, PARENT_ID, ECHO_SINT, 0, 0, 0)) ||
	    (st = hv_create_port(child, ECHO_EVENT_CONNECTION, PARENT_ID, ECHO_SINT, 0, ECHO_EVENT_FLAG, 1)) ||
	    (st = hv_connect_port(PARENT_ID, parent_id(vm, ID_ECHO), child, ECHO_CONNECTION, HV_PORT_TYPE_MESSAGE)) ||
	    (st = hv_connect_port(PARENT_ID, parent_id(vm, ID_ECHO_EVENT), child, ECHO_EVENT_CONNECTION,
				  HV_PORT_TYPE_EVENT)))
		return st;
	return HV_STATUS_SUCCESS;
}

void ipc_vm_delete(struct vm *vm)
{
	/* Whatever exists of it: a failed create leaves a part. */
	hv_disconnect_port(PARENT_ID, parent_id(vm, ID_VMBUS));
	hv_delete_port(PARENT_ID, parent_id(vm, ID_VMBUS));
	hv_disconnect_port(PARENT_ID, parent_id(vm, ID_ECHO));
	hv_disconnect_port(PARENT_ID, parent_id(vm, ID_ECHO_EVENT));
	hv_delete_port(PARENT_ID, parent_id(vm, ID_ECHO));
	hv_delete_port(PARENT_ID, parent_id(vm, ID_ECHO_EVENT));
}

/* ---- VMBus ---- */

static int vmbus_post(void *ctx, const void *msg, size_t len)
{
	struct vm *vm = ctx;

	return hv_post_message(parent_id(vm, ID_VMBUS), VMBUS_POST_MESSAGE_TYPE, msg, (uint32_t)len);
}

static void *vmbus_map(void *ctx, const uint64_t *pfns, uint32_t n)
{
	return window_map(ctx, pfns, n, true);
}

static void vmbus_unmap(void *ctx, void *at, uint32_t n)
{
	window_unmap(ctx, at, n);
}

static void vmbus_close(void *ctx, uint32_t relid)
{
	struct vm *vm = ctx;

	hv_disconnect_port(PARENT_ID, parent_id(vm, ID_CHANNEL(relid)));
	hv_delete_port(vm->partition_id, CHILD_CHANNEL_PORT(relid));
	hv_disconnect_port(vm->partition_id, VMBUS_CHANNEL_CONNECTION(relid));
	hv_delete_port(PARENT_ID, parent_id(vm, ID_CHANNEL(relid)));
}

/* A channel's events: the child signals its connection
 * VMBUS_CHANNEL_CONNECTION(relid), which sets flag
 * child * IPC_FLAGS_PER_CHILD + relid of the parent's SINT; the parent
 * signals its connection ID_CHANNEL(relid), which sets flag relid of the
 * child's VMBus SINT on target_vp (Linux scans that flag on that VP). */
static int vmbus_open(void *ctx, uint32_t relid, uint32_t target_vp)
{
	struct vm *vm = ctx;
	uint64_t child = vm->partition_id;
	uint16_t st;

	if ((st = hv_create_port(PARENT_ID, parent_id(vm, ID_CHANNEL(relid)), child, KEEL_PARENT_IPC_SINT, 0,
				 (uint16_t)(child * IPC_FLAGS_PER_CHILD + relid), 1)) ||
	    (st = hv_connect_port(child, VMBUS_CHANNEL_CONNECTION(relid), PARENT_ID, parent_id(vm, ID_CHANNEL(relid)),
				  HV_PORT_TYPE_EVENT)) ||
	    (st = hv_create_port(child, CHILD_CHANNEL_PORT(relid), PARENT_ID, VMBUS_MESSAGE_SINT, target_vp,
				 (uint16_t)relid, 1)) ||
	    (st = hv_connect_port(PARENT_ID, parent_id(vm, ID_CHANNEL(relid)), child, CHILD_CHANNEL_PORT(relid),
				  HV_PORT_TYPE_EVENT))) {
		vmbus_close(vm, relid);
		return -1;
	}
	return 0;
}

static void vmbus_signal(void *ctx, uint32_t relid)
{
	struct vm *vm = ctx;

	if (hv_signal_event(parent_id(vm, ID_CHANNEL(relid)), 0) != HV_STATUS_SUCCESS)
		vm->vmbus_signal_failures++;
}

static uint64_t reference_time(void *ctx)
{
	(void)ctx;
	return rdmsr(HV_X64_MSR_TIME_REF_COUNT);
}

static uint64_t utc_1601(void *ctx)
{
	(void)ctx;
	return IC_UNIX_EPOCH_1601 + wallclock_now_100ns();
}

static const struct ic_clock ic_clock = { reference_time, utc_1601, NULL };

void ipc_vm_start(struct vm *vm)
{
	const struct vmbus_host host = { vmbus_post, vmbus_map, vmbus_unmap, vmbus_open, vmbus_close, vmbus_signal, vm };

	vmbus_server_init(&vm->vmbus, &host);
	vm->vmbus_signal_failures = 0;
	for (int k = 0; k < IC_KINDS; k++) {
		ic_init(&vm->ics[k], k, &ic_clock);
		vmbus_server_offer(&vm->vmbus, ic_service(k), &vm->ics[k]);
	}
	memset(&vm->echo, 0, sizeof(vm->echo));
}

void ipc_vm_stop(struct vm *vm)
{
	vmbus_server_reset(&vm->vmbus);
}

int ipc_vm_shutdown(struct vm *vm)
{
	return ic_shutdown(&vm->ics[IC_SHUTDOWN]);
}

const char *ipc_vm_health(const struct vm *vm)
{
	return ic_health(&vm->ics[IC_HEARTBEAT], reference_time(NULL));
}

/* Advance the services' clocks, TICK_HZ times a second at most. */
static void tick(void)
{
	static uint64_t last, period;
	uint64_t now = rdtsc();

	if (!period)
		period = parent_tsc_hz() / TICK_HZ;
	if (now - last < period)
		return;
	last = now;
	now = reference_time(NULL);
	for (unsigned i = 0; i < VM_MAX; i++) {
		struct vm *vm = vm_at(i);

		if (vm && vm->state == VM_RUNNING)
			vmbus_server_tick(&vm->vmbus, now);
	}
}

/* ---- the echo service ---- */

static void echo_message(struct vm *vm, const struct hv_message *msg)
{
	uint16_t st;

	switch (msg->header.message_type) {
	case ECHO_TYPE_SYNC:
		st = hv_signal_event(parent_id(vm, ID_ECHO_EVENT), 0);
		break;
	case ECHO_TYPE_STATS:
		st = hv_post_message(parent_id(vm, ID_ECHO), ECHO_TYPE_STATS, &vm->echo, sizeof(vm->echo));
		break;
	default:
		st = hv_post_message(parent_id(vm, ID_ECHO), msg->header.message_type, msg->payload,
				     msg->header.payload_size);
		if (st == HV_STATUS_SUCCESS)
			vm->echo.echoed++;
		break;
	}
	if (st != HV_STATUS_SUCCESS) {
		vm->echo.dropped++;
		vm->echo.last_status = st;
	}
}

static int poll_messages(struct hv_message_page *sim)
{
	struct hv_message *slot = &sim->sint_message[KEEL_PARENT_IPC_SINT];
	static struct hv_message msg;
	int served = 0;

	while (sim_slot_take(slot, &msg)) {
		struct vm *vm;

		served++;
		vm = vm_by_partition(msg.header.port >> 8);
		if (!vm || msg.header.payload_size > HV_MESSAGE_PAYLOAD_BYTES)
			continue;
		if ((msg.header.port & 0xff) == ID_ECHO)
			echo_message(vm, &msg);
		else if ((msg.header.port & 0xff) == ID_VMBUS && msg.header.message_type == VMBUS_POST_MESSAGE_TYPE)
			vmbus_server_message(&vm->vmbus, msg.payload, msg.header.payload_size);
		else if ((msg.header.port & 0xff) == ID_VMBUS)
			vm->vmbus.dropped++;
	}
	return served;
}

static int poll_events(struct hv_synic_event_flags_page *sief)
{
	uint64_t *words = (uint64_t *)sief->sint_event_flags[KEEL_PARENT_IPC_SINT].flags;
	int served = 0;

	for (unsigned w = 0; w < flag_words; w++) {
		uint64_t bits = __atomic_load_n(&words[w], __ATOMIC_RELAXED) ?
					__atomic_exchange_n(&words[w], 0, __ATOMIC_ACQ_REL) : 0;

		while (bits) {
			unsigned flag = w * 64 + (unsigned)__builtin_ctzll(bits);
			struct vm *vm = vm_by_partition(flag / IPC_FLAGS_PER_CHILD);
			unsigned n = flag % IPC_FLAGS_PER_CHILD;

			bits &= bits - 1;
			served++;
			if (!vm || vm->state != VM_RUNNING)
				continue;
			if (n == 0 && hv_signal_event(parent_id(vm, ID_ECHO_EVENT), 0) == HV_STATUS_SUCCESS)
				vm->echo.events++;
			else if (n)
				vmbus_server_event(&vm->vmbus, n);
		}
	}
	return served;
}

int ipc_poll(void *sim, void *sief)
{
	int served = poll_events(sief) + poll_messages(sim);

	tick();
	return served;
}
