/* The CLI's commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/abi/version.h"
#include "parent/cli.h"
#include "parent/cli_parse.h"
#include "parent/hvcall.h"
#include "parent/idle.h"
#include "parent/intercept.h"
#include "parent/kernel.h"
#include "parent/vstack/rtc.h"
#include "parent/wallclock.h"
#include "parent/window.h"
#include "parent/x86.h"


static int hv_ready;

int commands_init(void);
int commands_init(void)
{
	hv_ready = hvcall_init() == 0;
	if (idle_init())
		printf("parent: warning: no local APIC; the parent polls instead of sleeping\n");
	if (hv_ready && window_init())
		printf("parent: warning: no window onto child memory; VMBus channels will not open\n");
	if (hv_ready && vstack_init())
		printf("parent: warning: the SynIC message page is off; children's device accesses will wait\n");
	return hv_ready ? 0 : -1;
}

static void cmd_help(int argc, char **argv)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		printf("  %-20s %s\n", c->usage, c->help);
}

static void cmd_version(int argc, char **argv)
{
	printf("Keel %s\n", KEEL_VERSION);
}

static const char *status_name(uint16_t s)
{
	switch (s) {
	case HV_STATUS_SUCCESS: return "success";
	case HV_STATUS_INVALID_HYPERCALL_CODE: return "invalid hypercall code";
	case HV_STATUS_INVALID_HYPERCALL_INPUT: return "invalid hypercall input";
	case HV_STATUS_INVALID_ALIGNMENT: return "invalid alignment";
	case HV_STATUS_INVALID_PARAMETER: return "invalid parameter";
	case HV_STATUS_ACCESS_DENIED: return "access denied";
	default: return "error";
	}
}

int require_hv(void);
int require_hv(void)
{
	if (!hv_ready)
		printf("error: no Keel hypervisor interface (hypercall page not enabled)\n");
	return hv_ready;
}

/* "KEY: 7.9 GiB (8322176 KiB)": for people, and exact for scripts. */
static void print_size(const char *key, uint64_t bytes)
{
	char text[24];

	cli_format_bytes(bytes, text, sizeof(text));
	printf("%s: %s (%llu KiB)\n", key, text, (unsigned long long)bytes >> 10);
}

/* `date`: the parent's wall clock, the time children's clocks are set to
 * (parent/wallclock.h). */
static void cmd_date(int argc, char **argv)
{
	uint64_t t = wallclock_now_100ns();
	struct rtc_date d;

	rtc_date_of((int64_t)(t / 10000000u), &d);
	printf("date: %04d-%02u-%02uT%02u:%02u:%02u.%03lluZ (unix %llu.%03llu)\n", d.year, d.month, d.day, d.hour,
	       d.minute, d.second, (unsigned long long)(t / 10000 % 1000), (unsigned long long)(t / 10000000u),
	       (unsigned long long)(t / 10000 % 1000));
}

static void cmd_hv_info(int argc, char **argv)
{
	static struct keel_hv_info info __attribute__((aligned(128)));
	uint16_t status;
	char vendor[13];

	if (!require_hv())
		return;
	status = (uint16_t)hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)&info);
	if (status != HV_STATUS_SUCCESS) {
		printf("error: hv info: %s (%#x)\n", status_name(status), status);
		return;
	}
	memcpy(vendor, info.vendor, 12);
	vendor[12] = '\0';
	printf("backend: %s\n", info.backend == KEEL_BACKEND_SVM ? "svm" :
				info.backend == KEEL_BACKEND_VMX ? "vmx" : "unknown");
	printf("pcpus: %u\n", info.pcpus);
	printf("time_slice_us: %u\n", info.time_slice_us);
	print_size("hv_memory", info.hv_memory_bytes);
	print_size("hv_free", info.hv_free_bytes);
	print_size("parent_memory", info.parent_memory_bytes);
	printf("vendor: %s\n", vendor);
	printf("version: %u.%u.%u\n", info.version >> 16, (info.version >> 8) & 0xff, info.version & 0xff);
	printf("features:%s%s%s%s%s%s%s\n", info.features & KEEL_FEATURE_NPT ? " npt" : "",
	       info.features & KEEL_FEATURE_NRIP ? " nrip" : "",
	       info.features & KEEL_FEATURE_FLUSH_BY_ASID ? " flush-by-asid" : "",
	       info.features & KEEL_FEATURE_VGIF ? " vgif" : "",
	       info.features & KEEL_FEATURE_EPT ? " ept" : "",
	       info.features & KEEL_FEATURE_VPID ? " vpid" : "",
	       info.features & KEEL_FEATURE_REAL_MODE ? " real-mode" : "");
	printf("parent_exits: %llu\n", (unsigned long long)info.parent_exits);
	if (info.window_base)
		printf("child_windows: %#llx (%u x %llu MiB)\n", (unsigned long long)info.window_base,
		       KEEL_WINDOW_COUNT, (unsigned long long)(KEEL_WINDOW_BYTES >> 20));
	else
		printf("child_windows: none (no room in the physical address space)\n");
}

static void cmd_mem(int argc, char **argv)
{
	uint64_t total, used, hv_size, hv_base = hv_region(&hv_size);

	heap_stats(&total, &used);
	print_size("parent_memory", ram_bytes());
	print_size("free_for_vms", free_ram.free_pages * PAGES_SIZE);
	printf("free_ranges: %u\n", free_ram.count);
	print_size("heap", total);
	print_size("heap_used", used);
	printf("hypervisor_region: %#llx-%#llx (not accessible)\n", (unsigned long long)hv_base,
	       (unsigned long long)(hv_base + hv_size));
	printf("modules: %u\n", boot->module_count);
	for (uint32_t i = 0; i < boot->module_count; i++)
		printf("  %s at %#llx, %llu bytes\n", boot->modules[i].name,
		       (unsigned long long)boot->modules[i].phys, (unsigned long long)boot->modules[i].size);
}

#define BENCH_ROUNDS 4096

/* Cost per round trip in TSC ticks (instructions under QEMU -icount). */
static uint64_t bench_cpuid(void)
{
	uint64_t t0, t1, n = BENCH_ROUNDS;

	t0 = rdtsc();
	__asm__ volatile("1: mov $0x40000000, %%eax\n\t"
			 "cpuid\n\t"
			 "dec %%rsi\n\t"
			 "jnz 1b"
			 : "+S"(n)
			 :
			 : "rax", "rbx", "rcx", "rdx", "memory");
	t1 = rdtsc();
	return (t1 - t0) / BENCH_ROUNDS;
}

static uint64_t bench_hypercall(void)
{
	uint64_t t0, t1, n = BENCH_ROUNDS;

	t0 = rdtsc();
	__asm__ volatile("1: mov %[ctl], %%rcx\n\t"
			 "call *%[page]\n\t"
			 "dec %%rsi\n\t"
			 "jnz 1b"
			 : "+S"(n)
			 : [ctl] "i"(KEEL_HVCALL_NULL | HV_HYPERCALL_FAST), [page] "r"(hypercall_page)
			 : "rax", "rcx", "rdx", "r8", "memory");
	t1 = rdtsc();
	return (t1 - t0) / BENCH_ROUNDS;
}

static void cmd_bench_exits(int argc, char **argv)
{
	uint64_t status;

	if (!require_hv())
		return;
	status = hvcall(KEEL_HVCALL_NULL | HV_HYPERCALL_FAST, 0, 0);
	if ((uint16_t)status != HV_STATUS_SUCCESS) {
		printf("FAIL: null hypercall returned %#llx\n", (unsigned long long)status);
		return;
	}
	printf("rounds: %u\n", BENCH_ROUNDS);
	printf("cpuid_exit: %llu ticks\n", (unsigned long long)bench_cpuid());
	printf("hypercall_exit: %llu ticks\n", (unsigned long long)bench_hypercall());
}

static void cmd_selftest_isolation(int argc, char **argv)
{
	uint64_t size, base = hv_region(&size), value = 0;
	int pass = 1;

	if (!base) {
		printf("FAIL: isolation: no hypervisor region in the memory map\n");
		return;
	}
	/* First, last and a middle page of the region must all be refused. */
	uint64_t probes[3] = { base, base + size / 2, base + size - 8 };
	for (int i = 0; i < 3; i++) {
		fault_vector = -1;
		if (probe_read64(probes[i], &value) == 0) {
			printf("isolation: read of hypervisor memory at %#llx succeeded (%#llx)\n",
			       (unsigned long long)probes[i], (unsigned long long)value);
			pass = 0;
		} else {
			printf("isolation: access to %#llx refused (vector %d)\n",
			       (unsigned long long)probes[i], fault_vector);
		}
	}
	/* And the parent's own memory right below it still works. */
	if (pass && base >= 4096 && probe_read64(base - 8, &value) != 0) {
		printf("isolation: own memory below the region faulted\n");
		pass = 0;
	}
	printf(pass ? "isolation: PASS\n" : "FAIL: isolation\n");
}

/* An address no machine's RAM reaches (128 TiB), so not in the parent's
 * page tables: reading it is a page fault the parent does not expect. */
#define FAULT_ADDRESS 0x7ff000000000ull

/* `selftest fault`: a page fault the parent reports itself.  `selftest
 * fault triple`: a parent past reporting anything (no IDT): its triple
 * fault reaches the hypervisor, which reports it. */
static void cmd_selftest_fault(int argc, char **argv)
{
	static const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) no_idt = { 0, 0 };

	if (argc > 2 && !strcmp(argv[2], "triple")) {
		printf("fault: no IDT, then ud2; the hypervisor reports the triple fault and stops the machine\n");
		fflush(stdout);
		__asm__ volatile("cli; lidt %0; ud2" ::"m"(no_idt));
	}
	printf("fault: reading %#llx; the parent reports the page fault and the hypervisor stops the machine\n",
	       FAULT_ADDRESS);
	fflush(stdout);
	(void)*(volatile uint64_t *)FAULT_ADDRESS;
	printf("FAIL: fault: the read of %#llx returned\n", FAULT_ADDRESS);
}

void selftest_cpu(void);
void selftest_contain(void);
void selftest_partitions(void);
void selftest_run(void);
void selftest_churn(unsigned rounds);

static void cmd_selftest_churn(int argc, char **argv)
{
	unsigned long rounds = 1000;
	char *end;

	if (argc > 2) {
		rounds = strtoul(argv[2], &end, 10);
		if (*end || rounds == 0 || rounds > 1000000) {
			printf("selftest churn: ROUNDS must be a number from 1 to 1000000, not '%s'\n", argv[2]);
			return;
		}
	}
	if (require_hv())
		selftest_churn((unsigned)rounds);
}

static void cmd_selftest_run(int argc, char **argv)
{
	if (require_hv())
		selftest_run();
}

static void cmd_selftest_partitions(int argc, char **argv)
{
	if (require_hv())
		selftest_partitions();
}

static void cmd_selftest_contain(int argc, char **argv)
{
	if (require_hv())
		selftest_contain();
}

static void cmd_selftest_cpu(int argc, char **argv)
{
	if (require_hv())
		selftest_cpu();
}

void cmd_vm_create(int argc, char **argv);
void cmd_vm_start(int argc, char **argv);
void cmd_vm_stop(int argc, char **argv);
void cmd_vm_delete(int argc, char **argv);
void cmd_vm_list(int argc, char **argv);
void cmd_vm_info(int argc, char **argv);
void cmd_vm_console(int argc, char **argv);
void cmd_bench_window(int argc, char **argv);
void cmd_bench_ring(int argc, char **argv);

static void cmd_poweroff(int argc, char **argv)
{
	power_off();
}

const struct cli_command cli_commands[] = {
	{ "help", NULL, "help", "list the commands", cmd_help },
	{ "version", NULL, "version", "show Keel's version", cmd_version },
	{ "date", NULL, "date", "the parent's wall-clock time (UTC), which children's clocks follow", cmd_date },
	{ "hv", "info", "hv info", "the hypervisor's backend, CPUs and memory", cmd_hv_info },
	{ "mem", NULL, "mem", "the parent's memory", cmd_mem },
	{ "bench", "exits", "bench exits", "cost of CPUID and null-hypercall round trips", cmd_bench_exits },
	{ "bench", "window", "bench window NAME", "cost of mapping a running VM's pages into the parent's window",
	  cmd_bench_window },
	{ "bench", "ring", "bench ring", "cost of a VMBus ring's packets against memcpy", cmd_bench_ring },
	{ "selftest", "isolation", "selftest isolation", "check hypervisor memory is out of reach",
	  cmd_selftest_isolation },
	{ "selftest", "cpu", "selftest cpu", "check the CPUID, MSR, instruction and hypercall policy",
	  cmd_selftest_cpu },
	{ "selftest", "partitions", "selftest partitions",
	  "child-partition management: refusals, memory ownership, 100 create/delete cycles",
	  cmd_selftest_partitions },
	{ "selftest", "run", "selftest run",
	  "child VPs on the other pCPUs: exits, HLT, preemption, crashes contained", cmd_selftest_run },
	{ "selftest", "contain", "selftest contain",
	  "NMI and low-vector IPIs to the other pCPUs, hypercall page over the APIC: all harmless",
	  cmd_selftest_contain },
	{ "selftest", "churn", "selftest churn [ROUNDS]",
	  "delete races: create, start, stop and delete a busy VM ROUNDS times (1000); nothing leaks",
	  cmd_selftest_churn },
	{ "selftest", "fault", "selftest fault [triple]",
	  "crash the parent with a page fault on purpose: the machine stops with the report", cmd_selftest_fault },
	{ "vm", "create", "vm create NAME --image MODULE --memory SIZE", "a child VM from a boot module (ELF)",
	  cmd_vm_create },
	{ "vm", "start", "vm start NAME", "boot a created or stopped VM", cmd_vm_start },
	{ "vm", "stop", "vm stop NAME [--force]", "ask the guest to stop (up to 30 s), or stop it at once", cmd_vm_stop },
	{ "vm", "delete", "vm delete NAME", "delete a VM that is not running, freeing its memory", cmd_vm_delete },
	{ "vm", "list", "vm list", "the VMs: name, partition, state, memory, VPs, exits", cmd_vm_list },
	{ "vm", "info", "vm info NAME", "one VM in detail, with the end of its console", cmd_vm_info },
	{ "vm", "console", "vm console NAME", "the VM's COM1, live (Ctrl-] detaches)", cmd_vm_console },
	{ "poweroff", NULL, "poweroff", "power the machine off", cmd_poweroff },
	{ NULL, NULL, NULL, NULL, NULL },
};
