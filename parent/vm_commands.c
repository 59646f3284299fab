/*
 * The `vm` commands of the CLI: argument checking and output; the work is
 * vm.c's.  Every failure prints one line, "error: vm CMD: REASON".
 */
#include <stdio.h>
#include <string.h>

#include "hv/abi/tlfs_synic.h"
#include "parent/idle.h"
#include "parent/intercept.h"
#include "parent/ipc.h"
#include "parent/serial.h"
#include "parent/vm.h"
#include "parent/vm_parse.h"
#include "parent/window.h"
#include "parent/x86.h"

#define CONSOLE_DETACH   0x1d      /* Ctrl-] */
#define CONSOLE_TAIL     2048      /* bytes of console `vm info` looks at */
#define CONSOLE_LINES    10        /* ... and the lines of it it shows */
#define REFRESH_TSC      10000000  /* how often the console looks for a crash */
#define CONSOLE_KEYS     4096      /* keys typed ahead of the child's UART */

int require_hv(void);
void cmd_vm_create(int argc, char **argv);
void cmd_vm_start(int argc, char **argv);
void cmd_vm_stop(int argc, char **argv);
void cmd_vm_delete(int argc, char **argv);
void cmd_vm_list(int argc, char **argv);
void cmd_vm_info(int argc, char **argv);
void cmd_vm_console(int argc, char **argv);

/* The VM named by argv[2] of `vm CMD NAME`, with argc checked against
 * [min, max]; NULL (and the error printed) otherwise. */
static struct vm *named_vm(int argc, char **argv, int max, const char *usage)
{
	struct vm *vm;

	if (!require_hv())
		return NULL;
	if (argc < 3 || argc > max) {
		printf("error: vm %s: usage: %s\n", argv[1], usage);
		return NULL;
	}
	if (!(vm = vm_by_name(argv[2])))
		printf("error: vm %s: no VM named '%s' (see 'vm list')\n", argv[1], argv[2]);
	return vm;
}

/* What the image is, for `vm create` and `vm info`. */
/* One line: every VP's exits this boot by kind (KEEL_EXIT_*), which add up
 * to `exits`. */
static void print_exit_kinds(const struct vm *vm)
{
	static const char *const names[KEEL_EXIT_KINDS] = {
		[KEEL_EXIT_CPUID] = "cpuid", [KEEL_EXIT_HYPERCALL] = "hypercall", [KEEL_EXIT_MSR] = "msr",
		[KEEL_EXIT_IO] = "io", [KEEL_EXIT_GPA] = "gpa", [KEEL_EXIT_HLT] = "hlt",
		[KEEL_EXIT_INTERRUPT] = "interrupt", [KEEL_EXIT_EXCEPTION] = "exception", [KEEL_EXIT_PAUSE] = "pause",
		[KEEL_EXIT_OTHER] = "other",
	};

	printf("exits_by_kind:");
	for (unsigned k = 0; k < KEEL_EXIT_KINDS; k++)
		printf("%s %s %llu", k ? "," : "", names[k], (unsigned long long)vm->exits_by_kind[k]);
	printf("\n");
}

static void print_image(const struct vm *vm)
{
	const struct loader_boot *b = &vm->boot;

	switch (vm->format) {
	case LOADER_ELF64:
		printf("%s (ELF%s %s, entry %#llx, %u segments)", vm->image->name, vm->elf.long_mode ? "64" : "32",
		       vm->elf.long_mode ? "x86-64" : "i386", (unsigned long long)vm->elf.entry,
		       vm->elf.segment_count);
		break;
	case LOADER_LINUX_BZIMAGE:
		printf("%s (Linux bzImage, boot protocol %u.%02u, at %#llx", vm->image->name, b->linux_version >> 8,
		       b->linux_version & 0xff, (unsigned long long)b->kernel_start);
		if (vm->initrd)
			printf("; initrd %s, %llu KiB at %#llx", vm->initrd->name,
			       (unsigned long long)(b->initrd_end - b->initrd_start) >> 10,
			       (unsigned long long)b->initrd_start);
		printf(")");
		break;
	default:
		printf("%s (%s, entry %#llx, %u modules)", vm->image->name, loader_format_name(vm->format),
		       (unsigned long long)b->entry, vm->module_count);
		break;
	}
}

static const char *vp_state_name(uint32_t state)
{
	static const char *const names[] = { "stopped", "queued", "running", "halted", "crashed",
					     "waiting for the parent" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

void cmd_vm_create(int argc, char **argv)
{
	struct vm_create_args args;
	struct vm_spec spec;
	char why[VM_WHY_MAX], size[24];
	struct vm *vm;

	if (!require_hv())
		return;
	memset(&spec, 0, sizeof(spec));
	spec.vcpus = 1;
	if (vm_parse_create(argc, argv, &args, why, sizeof(why)) ||
	    vm_parse_memory(args.memory, &spec.memory_bytes, why, sizeof(why)) ||
	    (args.vcpus && vm_parse_vcpus(args.vcpus, &spec.vcpus, why, sizeof(why)))) {
		printf("error: vm create: %s\n", why);
		return;
	}
	spec.name = args.name;
	spec.kernel = args.image;
	spec.initrd = args.initrd;
	spec.cmdline = args.cmdline;
	spec.module_count = args.module_count;
	memcpy(spec.modules, args.modules, sizeof(spec.modules));
	if (vm_create(&spec, why)) {
		printf("error: vm create: %s\n", why);
		return;
	}
	vm = vm_by_name(args.name);
	vm_format_size(vm->memory_bytes, size, sizeof(size));
	printf("vm: created %s: partition %llu, %s, %u vCPU%s, image ", vm->name, (unsigned long long)vm->partition_id,
	       size, vm->vcpus, vm->vcpus == 1 ? "" : "s");
	print_image(vm);
	printf("\n");
}

void cmd_vm_start(int argc, char **argv)
{
	struct vm *vm = named_vm(argc, argv, 3, "vm start NAME");
	char why[VM_WHY_MAX];

	if (!vm)
		return;
	if (vm_start(vm, why)) {
		printf("error: vm start: %s\n", why);
		return;
	}
	printf("vm: %s started\n", vm->name);
}

void cmd_vm_stop(int argc, char **argv)
{
	struct vm *vm = named_vm(argc, argv, 4, "vm stop NAME [--force]");
	char why[VM_WHY_MAX];
	bool force = argc == 4;

	if (!vm)
		return;
	if (force && strcmp(argv[3], "--force")) {
		printf("error: vm stop: unknown option '%s' (use --force)\n", argv[3]);
		return;
	}
	if (vm_stop(vm, force, why)) {
		printf("error: vm stop: %s\n", why);
		return;
	}
	if (vm->guest_stopped)
		printf("vm: %s stopped (exit code %u)\n", vm->name, vm->exit_code);
	else
		printf("vm: %s stopped\n", vm->name);
}

void cmd_vm_delete(int argc, char **argv)
{
	struct vm *vm = named_vm(argc, argv, 3, "vm delete NAME");
	char why[VM_WHY_MAX], name[VM_NAME_MAX + 1];

	if (!vm)
		return;
	snprintf(name, sizeof(name), "%s", vm->name);
	if (vm_delete(vm, why)) {
		printf("error: vm delete: %s\n", why);
		return;
	}
	printf("vm: %s deleted\n", name);
}

void cmd_vm_list(int argc, char **argv)
{
	char size[24];

	if (!require_hv())
		return;
	if (argc != 2) {
		printf("error: vm list: usage: vm list\n");
		return;
	}
	printf("%-16s %3s %-8s %7s %5s %12s %-6s\n", "NAME", "ID", "STATE", "MEMORY", "VCPUS", "EXITS", "HEALTH");
	for (unsigned i = 0; i < VM_MAX; i++) {
		struct vm *vm = vm_at(i);

		if (!vm)
			continue;
		vm_refresh(vm);
		vm_format_size(vm->memory_bytes, size, sizeof(size));
		printf("%-16s %3llu %-8s %7s %5u %12llu %-6s\n", vm->name, (unsigned long long)vm->partition_id,
		       vm_state_name(vm->state), size, vm->vcpus, (unsigned long long)vm->exits,
		       vm->state == VM_RUNNING ? ipc_vm_health(vm) : "-");
	}
}

/* The last CONSOLE_LINES lines of the console, indented, control bytes
 * shown as '.' (a guest cannot drive the parent's terminal). */
static void print_console_tail(const struct vm *vm)
{
	static char tail[CONSOLE_TAIL + 1];
	size_t n = ringlog_copy_tail(&vm->console, tail, CONSOLE_TAIL), start = 0;
	unsigned lines = 0;

	while (n && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
		n--;
	for (size_t i = n; i > 0; i--) {
		if (tail[i - 1] == '\n' && ++lines == CONSOLE_LINES) {
			start = i;
			break;
		}
	}
	printf("console: %llu bytes written this boot%s\n",
	       (unsigned long long)(ringlog_end(&vm->console) - vm->console_boot), n ? ", last lines:" : "");
	if (!n)
		return;
	fputs("  | ", stdout);
	for (size_t i = start; i < n; i++) {
		char c = tail[i];

		if (c == '\n')
			fputs("\n  | ", stdout);
		else if (c != '\r')
			putchar((c >= 0x20 && c < 0x7f) || c == '\t' ? c : '.');
	}
	putchar('\n');
}

/* The VMBus server, its channels and the integration services. */
static void print_vmbus(const struct vm *vm)
{
	const struct vmbus_server *s = &vm->vmbus;
	uint64_t pages;
	unsigned gpadls = vmbus_server_gpadls(s, &pages);

	if (s->state == VMBUS_CONNECTED)
		printf("vmbus: connected, version %s\n", vmbus_version_name(s->version));
	else
		printf("vmbus: not connected\n");
	printf("vmbus_messages_dropped: %u\n", s->dropped);
	printf("vmbus_gpadls: %u (%llu pages mapped), %u refused, %u broken rings\n", gpadls,
	       (unsigned long long)pages, s->refused, s->broken_rings);
	for (unsigned i = 0; i < VMBUS_CHANNELS_MAX; i++) {
		const struct vmbus_channel *c = &s->channels[i];

		if (c->state == VMBUS_CHANNEL_FREE)
			continue;
		printf("channel %u: %s, %s", c->relid, c->service->name, vmbus_channel_state_name(c->state));
		if (c->state == VMBUS_CHANNEL_OPEN)
			printf(" (vp %u), %llu packets in, %llu out", c->target_vp, (unsigned long long)c->packets_in,
			       (unsigned long long)c->packets_out);
		printf("\n");
	}
	for (int k = 0; k < IC_KINDS; k++) {
		const struct ic *ic = &vm->ics[k];
		char fw[8], v[8];

		if (ic->state == IC_CLOSED && !ic->framework && !ic->beats)
			continue;
		printf("ic %s: %s, version %s (framework %s), %u bad answers, %u timeouts", ic_service(k)->name,
		       ic_state_name(ic->state), ic_version_text(ic->version, v), ic_version_text(ic->framework, fw),
		       ic->bad, ic->timeouts);
		if (k == IC_HEARTBEAT)
			printf(", %llu beats", (unsigned long long)ic->beats);
		printf("\n");
	}
	if (vm->state == VM_RUNNING) {
		const struct ic *hb = &vm->ics[IC_HEARTBEAT];
		uint64_t now = rdmsr(HV_X64_MSR_TIME_REF_COUNT);

		printf("heartbeat: %s", ipc_vm_health(vm));
		if (hb->beats)
			printf(", %llu beats, last %llu ms ago", (unsigned long long)hb->beats,
			       (unsigned long long)((now - hb->last_beat) / 10000));
		printf("\n");
	}
	printf("timesync: %llu samples answered\n", (unsigned long long)vm->ics[IC_TIMESYNC].syncs);
	/* What the guest says about itself (KVP): host name, OS, addresses. */
	for (uint32_t i = 0; i < vm->ics[IC_KVP].kvp_count && i < IC_KVP_PAIRS; i++)
		printf("kvp %s: %s\n", vm->ics[IC_KVP].kvp[i].key, vm->ics[IC_KVP].kvp[i].value);
}

void cmd_vm_info(int argc, char **argv)
{
	struct vm *vm = named_vm(argc, argv, 3, "vm info NAME");
	const struct testdev_stats *t;
	char size[24];

	if (!vm)
		return;
	vm_refresh(vm);
	t = testdev_stats(&vm->testdev);
	vm_format_size(vm->memory_bytes, size, sizeof(size));
	printf("name: %s\n", vm->name);
	printf("id: %llu\n", (unsigned long long)vm->partition_id);
	printf("state: %s\n", vm_state_name(vm->state));
	printf("image: ");
	print_image(vm);
	printf("\n");
	printf("format: %s\n", loader_format_name(vm->format));
	if (vm->cmdline[0])
		printf("cmdline: %s\n", vm->cmdline);
	printf("memory: %s\n", size);
	printf("vcpus: %u\n", vm->vcpus);
	for (unsigned i = 0; i < vm->vcpus && vm->state != VM_CREATED; i++)
		printf("vp %u: %s, %llu exits\n", i, vp_state_name(vm->vp_state[i]),
		       (unsigned long long)vm->vp_exits[i]);
	printf("exits: %llu\n", (unsigned long long)vm->exits);
	print_exit_kinds(vm);
	printf("intercepts: %llu\n", (unsigned long long)vm->intercepts);
	printf("stray_accesses: %llu\n", (unsigned long long)vm->stray_accesses);
	print_vmbus(vm);
	printf("interrupts: %llu delivered, %llu refused\n", (unsigned long long)vm->interrupts,
	       (unsigned long long)vm->interrupts_refused);
	printf("tests: %llu passed, %llu failed\n", (unsigned long long)t->passes, (unsigned long long)t->fails);
	if (vm->state != VM_CREATED)
		printf("guest_resets: %u\n", vm->resets);
	if (vm->guest_stopped) {
		printf("exit_reason: %s\n", vm->stop_reason);
		printf("exit_code: %u\n", vm->exit_code);
	}
	if (vm->crash_reason[0])
		printf("crash_reason: %s\n", vm->crash_reason);
	print_console_tail(vm);
}

/* Copy what the log holds past *cursor to the terminal. */
static void console_drain(const struct vm *vm, uint64_t *cursor)
{
	char buf[256];
	uint64_t lost;
	size_t n;

	for (;;) {
		n = ringlog_read(&vm->console, cursor, buf, sizeof(buf), &lost);
		if (lost)
			printf("\n[console %s: %llu bytes lost]\n", vm->name, (unsigned long long)lost);
		if (!n)
			break;
		fflush(stdout);
		serial_write(buf, n);
	}
	fflush(stdout);
}

void cmd_vm_console(int argc, char **argv)
{
	struct vm *vm = named_vm(argc, argv, 3, "vm console NAME");
	uint64_t cursor, last;
	static uint8_t keys[CONSOLE_KEYS];
	size_t keys_len = 0;
	unsigned dropped = 0;

	if (!vm)
		return;
	cursor = ringlog_start(&vm->console); /* what the log holds, then live */
	printf("[console %s: Ctrl-] detaches]\n", vm->name);
	last = rdtsc();
	for (;;) {
		int c, served = vstack_poll();

		console_drain(vm, &cursor);
		if (rdtsc() - last > REFRESH_TSC) {
			vm_refresh(vm);
			last = rdtsc();
		}
		if (vm->state != VM_RUNNING) {
			printf("\n[console %s: %s is %s]\n", vm->name, vm->name, vm_state_name(vm->state));
			return;
		}
		/* Keys wait in `keys` while the child's UART is full (a pasted
		 * line is longer than its FIFO); Ctrl-] is seen at once. */
		c = serial_trygetc();
		if (c == CONSOLE_DETACH) {
			printf("\n[console %s: detached]\n", vm->name);
			return;
		}
		if (c >= 0 && keys_len < sizeof(keys))
			keys[keys_len++] = (uint8_t)c;
		else if (c >= 0)
			dropped++;
		if (keys_len && uart_rx_room(&vm->uart)) {
			size_t n = 0;

			while (n < keys_len && uart_rx_room(&vm->uart))
				uart_receive(&vm->uart, keys[n++]);
			memmove(keys, keys + n, keys_len - n);
			keys_len -= n;
			vm_uart_irq(vm);
		}
		if (dropped && !keys_len) {
			printf("\n[console %s: %u keys dropped: the guest does not read its serial port]\n", vm->name,
			       dropped);
			dropped = 0;
		}
		if (c < 0 && !served)
			idle_wait();
	}
}

/* `bench window NAME`: the cost of the VMBus data path's mappings, in TSC
 * ticks (instructions under QEMU -icount): a 64-page GPADL's worth of a
 * running VM's RAM mapped into the parent's window and unmapped again, per
 * page, and a single page (a ring header) mapped and unmapped. */
void cmd_bench_window(int argc, char **argv);
void cmd_bench_window(int argc, char **argv)
{
	enum { PAGES = 64, ROUNDS = 16 };
	static uint64_t pfns[PAGES];
	struct vm *vm = named_vm(argc, argv, 3, "bench window NAME");
	uint64_t t0, many, one;

	if (!vm)
		return;
	vm_refresh(vm);
	if (vm->state != VM_RUNNING || vm->memory_bytes < PAGES * 4096) {
		printf("error: bench window: %s is not running\n", vm->name);
		return;
	}
	for (unsigned i = 0; i < PAGES; i++)
		pfns[i] = i;
	/* The least of the rounds: under --icount the other pCPU's work on a
	 * child counts too, and a round it falls into says nothing of this. */
	many = one = UINT64_MAX;
	for (unsigned r = 0; r < ROUNDS; r++) {
		volatile uint64_t *p;

		t0 = rdtsc();
		if (!(p = window_map(vm, pfns, PAGES, true))) {
			printf("FAIL: bench window: the hypervisor refused to map %s's pages\n", vm->name);
			return;
		}
		(void)p[(PAGES - 1) * 512];
		window_unmap(vm, (void *)p, PAGES);
		t0 = (rdtsc() - t0) / PAGES;
		many = t0 < many ? t0 : many;
	}
	for (unsigned r = 0; r < ROUNDS; r++) {
		volatile uint64_t *p;

		t0 = rdtsc();
		if (!(p = window_map(vm, pfns, 1, true))) {
			printf("FAIL: bench window: the hypervisor refused to map %s's page\n", vm->name);
			return;
		}
		(void)p[0];
		window_unmap(vm, (void *)p, 1);
		t0 = rdtsc() - t0;
		one = t0 < one ? t0 : one;
	}
	printf("window_map_unmap_64: %llu ticks per page\n", (unsigned long long)many);
	printf("window_map_unmap_1: %llu ticks\n", (unsigned long long)one);
}
