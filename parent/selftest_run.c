/*
 * `selftest run`: child VPs running on the application processors.  Six
 * small 64-bit children: one makes 101 CPUID exits and halts, two spin with
 * interrupts off, one triple-faults, one does port I/O (an intercept for the
 * parent, which this test leaves unanswered), one increments a counter in
 * its page 8 in a tight loop without exits.  Passes when the first halts
 * with the hypervisor's CPUID answer in R15 despite the spinners, the
 * spinners are preempted, the faulting one is shown crashed with its
 * reason, the port-I/O one waits for its intercept, the counter page, taken
 * from the writer while it runs, comes back zeroed and stays zero for 50 ms
 * (the writer's pCPU let go of its translation first: hv/tlb.h), the parent
 * is answering all along, and deleting them all gives every page back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/abi/keel_hypercall.h"
#include "hv/abi/tlfs.h"
#include "parent/hvcall.h"
#include "parent/hvpart.h"
#include "parent/kernel.h"
#include "parent/x86.h"

#define GUEST_PAGES 16 /* GPA 0-64 KiB: tables, GDT, code, stack */
#define CODE_GPA    0x5000

/* Machine code, checked with `as --64` + objdump. */
static const uint8_t cpuid_guest[] = { /* cpuid leaf 0x40000000 -> r15; 100 more; hlt */
	0xb8, 0x00, 0x00, 0x00, 0x40, 0x0f, 0xa2, 0x49, 0x89, 0xdf, 0x41, 0xbe, 0x64, 0x00, 0x00, 0x00,
	0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2, 0x41, 0xff, 0xce, 0x75, 0xf4, 0xf4, 0xeb, 0xfd };
static const uint8_t spin_guest[] = { 0xfa, 0xeb, 0xfe };             /* cli; jmp . */
static const uint8_t crash_guest[] = { 0x0f, 0x0b };                  /* ud2, no IDT */
static const uint8_t io_guest[] = { 0xb0, 0x41, 0xe6, 0x80, 0xf4 };   /* out 0x80; hlt */
static const uint8_t write_guest[] = {                                 /* cli; 1: incq (0x8000); jmp 1b */
	0xfa, 0x48, 0xff, 0x04, 0x25, 0x00, 0x80, 0x00, 0x00, 0xeb, 0xf6 };
#define WRITE_PAGE 8 /* GPA 0x8000 */

struct child {
	const char *name;
	const uint8_t *code;
	size_t code_len;
	uint64_t id;
	char *block;   /* guest memory, pages strictly inside */
	char *deposit; /* memory deposited for its tables */
	uint64_t pages[GUEST_PAGES];
};

static int failures;

static void check(int ok, const char *what)
{
	printf("run: %-58s %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

static uint16_t vp_state(uint64_t id, struct keel_vp_state *st)
{
	static struct keel_vp_state_input in __attribute__((aligned(64)));
	static struct keel_vp_state out __attribute__((aligned(64)));
	uint16_t s;

	in = (struct keel_vp_state_input){ id, 0, 0 };
	s = (uint16_t)hvcall(KEEL_HVCALL_GET_VP_STATE, (uint64_t)&in, (uint64_t)&out);
	*st = out;
	return s;
}

/* Lay out a long-mode guest in its pages (still the parent's). */
static void build_image(struct child *c)
{
	uint8_t *g = (uint8_t *)(c->pages[0] * 4096); /* pages are contiguous */
	uint64_t *pml4 = (uint64_t *)(g + 0x1000), *pdpt = (uint64_t *)(g + 0x2000), *pd = (uint64_t *)(g + 0x3000);
	uint64_t *gdt = (uint64_t *)(g + 0x4000);

	memset(g, 0, GUEST_PAGES * 4096);
	pml4[0] = 0x2000 | 3;
	pdpt[0] = 0x3000 | 3;
	pd[0] = 0x83; /* 0-2 MiB identity, 2 MiB page */
	gdt[1] = 0x00af9a000000ffffull;
	gdt[2] = 0x00cf92000000ffffull;
	memcpy(g + CODE_GPA, c->code, c->code_len);
}

static uint16_t set_start_state(uint64_t id)
{
	static const uint32_t names[] = {
		HV_X64_REGISTER_CR0, HV_X64_REGISTER_CR3, HV_X64_REGISTER_CR4, HV_X64_REGISTER_EFER,
		HV_X64_REGISTER_CS, HV_X64_REGISTER_SS, HV_X64_REGISTER_DS, HV_X64_REGISTER_ES,
		HV_X64_REGISTER_FS, HV_X64_REGISTER_GS, HV_X64_REGISTER_TR, HV_X64_REGISTER_LDTR,
		HV_X64_REGISTER_GDTR, HV_X64_REGISTER_IDTR, HV_X64_REGISTER_RIP, HV_X64_REGISTER_RSP,
		HV_X64_REGISTER_RFLAGS,
	};
	union hv_register_value v[sizeof(names) / sizeof(names[0])];
	struct hv_x64_segment_register data = { 0, 0xffffffff, 0x10, 0xc093 };

	memset(v, 0, sizeof(v));
	v[0].reg64 = 0x80000031;        /* PG | NE | ET | PE */
	v[1].reg64 = 0x1000;
	v[2].reg64 = 0x20;              /* PAE */
	v[3].reg64 = 0x500;             /* LME | LMA */
	v[4].segment = (struct hv_x64_segment_register){ 0, 0xffffffff, 0x08, 0xa09b };
	for (int i = 5; i <= 9; i++)
		v[i].segment = data;
	v[10].segment = (struct hv_x64_segment_register){ 0, 0x67, 0, 0x008b };
	v[11].segment = (struct hv_x64_segment_register){ 0, 0, 0, 0 };
	v[12].table.base = 0x4000;
	v[12].table.limit = 0x17;
	v[13].table.limit = 0;          /* no IDT: any exception triple-faults */
	v[14].reg64 = CODE_GPA;
	v[15].reg64 = 0xf000;
	v[16].reg64 = 0x2;
	return hv_set_registers(id, 0, names, v, sizeof(names) / sizeof(names[0]));
}

static int make_child(struct child *c)
{
	size_t done;
	uint64_t deposit[8];

	c->block = malloc((GUEST_PAGES + 2) * 4096);
	c->deposit = malloc(10 * 4096);
	if (!c->block || !c->deposit)
		return -1;
	for (int i = 0; i < GUEST_PAGES; i++)
		c->pages[i] = ((uint64_t)c->block + 4095) / 4096 + 1 + i;
	for (int i = 0; i < 8; i++)
		deposit[i] = ((uint64_t)c->deposit + 4095) / 4096 + 1 + i;
	build_image(c);
	if (hv_create_partition(&c->id) || hv_deposit(c->id, deposit, 8, &done) ||
	    hv_partition_op(HVCALL_INITIALIZE_PARTITION, c->id) ||
	    hv_map_gpa(c->id, 0, c->pages, GUEST_PAGES,
		       HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_EXECUTABLE, &done) ||
	    hv_create_vp(c->id, 0) || set_start_state(c->id))
		return -1;
	return 0;
}

/* Take the writer's counter page while it runs (it has run for 20 ms):
 * the page must come back zeroed and stay zero, read for 50 ms. */
static void check_unmap_while_running(struct child *c)
{
	volatile uint64_t *page = (volatile uint64_t *)(c->pages[WRITE_PAGE] * 4096);
	uint64_t hz = parent_tsc_hz(), t0 = rdtsc(), reads = 0, nonzero = 0, value = 0;
	size_t done;

	while (rdtsc() - t0 < hz / 50)
		;
	t0 = rdtsc();
	check(hv_unmap_gpa(c->id, WRITE_PAGE, 1, &done) == HV_STATUS_SUCCESS, "unmap the writer's page while it runs");
	/* TSC ticks: instructions under --icount. */
	printf("run: unmap with a TLB shootdown of the writer's pCPU: %llu ticks\n", (unsigned long long)(rdtsc() - t0));
	t0 = rdtsc();
	while (rdtsc() - t0 < hz / 20) {
		uint64_t v = page[0];

		reads++;
		if (v && !nonzero++)
			value = v;
	}
	printf("run: counter page: %llu reads in 50 ms, %llu nonzero (first %#llx)\n", (unsigned long long)reads,
	       (unsigned long long)nonzero, (unsigned long long)value);
	check(reads > 0 && nonzero == 0, "the page taken back stays zero (no stale translation)");
}

static uint16_t start(uint64_t id, int run)
{
	static const uint32_t name = HV_REGISTER_EXPLICIT_SUSPEND;
	union hv_register_value v = { .reg64 = run ? 0 : 1 };

	return hv_set_registers(id, 0, &name, &v, 1);
}

void selftest_run(void);
void selftest_run(void)
{
	struct child kids[] = {
		{ "cpuid", cpuid_guest, sizeof(cpuid_guest), 0, NULL, NULL, { 0 } },
		{ "spin1", spin_guest, sizeof(spin_guest), 0, NULL, NULL, { 0 } },
		{ "spin2", spin_guest, sizeof(spin_guest), 0, NULL, NULL, { 0 } },
		{ "crash", crash_guest, sizeof(crash_guest), 0, NULL, NULL, { 0 } },
		{ "io", io_guest, sizeof(io_guest), 0, NULL, NULL, { 0 } },
		{ "write", write_guest, sizeof(write_guest), 0, NULL, NULL, { 0 } },
	};
	enum { N = sizeof(kids) / sizeof(kids[0]) };
	struct keel_vp_state st[N];
	static struct keel_hv_info info __attribute__((aligned(128)));
	uint64_t hv0, parent0, t0;
	uint16_t s;

	failures = 0;
	if ((uint16_t)hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)&info) != HV_STATUS_SUCCESS)
		return;
	hv0 = info.hv_free_bytes;
	parent0 = info.parent_memory_bytes;
	for (int i = 0; i < N; i++) {
		if (make_child(&kids[i])) {
			printf("FAIL: run: cannot set up child %s\n", kids[i].name);
			return;
		}
	}
	s = start(kids[0].id, 1);
	if (s == HV_STATUS_INVALID_VP_STATE && info.pcpus < 2) {
		printf("run: child VPs need a second pCPU; this machine has %u\n", info.pcpus);
	} else {
		check(s == HV_STATUS_SUCCESS, "start the CPUID child");
		for (int i = 1; i < N; i++)
			check(start(kids[i].id, 1) == HV_STATUS_SUCCESS, "start another child");
		/* Wait for the CPUID child to halt, spinners notwithstanding. */
		t0 = rdtsc();
		do {
			vp_state(kids[0].id, &st[0]);
		} while (st[0].state != KEEL_VP_HALTED && rdtsc() - t0 < 3000000000ull);
		for (int i = 1; i < N; i++) {
			t0 = rdtsc();
			do
				vp_state(kids[i].id, &st[i]);
			while ((i == 3 ? st[i].state != KEEL_VP_CRASHED :
				i == 4 ? st[i].state != KEEL_VP_INTERCEPT : st[i].exits == 0) &&
			       rdtsc() - t0 < 3000000000ull);
		}
		printf("run: states: cpuid %u (%llu exits), spin %u/%u (%llu/%llu exits), crash %u, io %u\n",
		       st[0].state, (unsigned long long)st[0].exits, st[1].state, st[2].state,
		       (unsigned long long)st[1].exits, (unsigned long long)st[2].exits, st[3].state, st[4].state);
		check(st[0].state == KEEL_VP_HALTED && st[0].exits >= 102, "the CPUID child halted after its exits");
		check(st[1].state != KEEL_VP_CRASHED && st[2].state != KEEL_VP_CRASHED && st[1].exits > 0 &&
			      st[2].exits > 0,
		      "the spinning children were preempted (timer exits)");
		check(st[3].state == KEEL_VP_CRASHED && strstr(st[3].reason, "triple fault"),
		      "the triple-faulting child is crashed, reason given");
		printf("run: crash reason: %s\n", st[3].reason);
		check(st[4].state == KEEL_VP_INTERCEPT, "the port-I/O child waits for its intercept");
		/* The writer alone on its pCPU: it is running when its page goes. */
		start(kids[1].id, 0);
		start(kids[2].id, 0);
		{
			/* [ExplicitSuspend = 0, RIP]: the VP starts, and the RIP
			 * write after that is refused, not done to a running VP. */
			static const uint32_t names[] = { HV_REGISTER_EXPLICIT_SUSPEND, HV_X64_REGISTER_RIP };
			static const uint32_t rip_name = HV_X64_REGISTER_RIP;
			union hv_register_value v[2] = { { .reg64 = 0 }, { .reg64 = 0x1234 } }, rip;

			check(hv_set_registers(kids[1].id, 0, names, v, 2) == HV_STATUS_INVALID_VP_STATE,
			      "a register write after the start in one call is refused");
			start(kids[1].id, 0);
			check(hv_get_registers(kids[1].id, 0, &rip_name, &rip, 1) == HV_STATUS_SUCCESS &&
				      rip.reg64 != 0x1234,
			      "... and the running VP's RIP was not written");
		}
		check_unmap_while_running(&kids[5]);
		{
			static const uint32_t name = HV_X64_REGISTER_R15;
			union hv_register_value r15;

			check(hv_get_registers(kids[0].id, 0, &name, &r15, 1) == HV_STATUS_INVALID_VP_STATE,
			      "registers of an unsuspended VP are refused");
			start(kids[0].id, 0);
			check(hv_get_registers(kids[0].id, 0, &name, &r15, 1) == HV_STATUS_SUCCESS &&
				      (uint32_t)r15.reg64 == 0x7263694d,
			      "the CPUID child saw the hypervisor signature ('Micr')");
		}
	}
	for (int i = 0; i < N; i++) {
		start(kids[i].id, 0);
		if (hv_partition_op(HVCALL_FINALIZE_PARTITION, kids[i].id) ||
		    hv_partition_op(HVCALL_DELETE_PARTITION, kids[i].id))
			check(0, "delete a child");
		free(kids[i].block);
		free(kids[i].deposit);
	}
	hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)&info);
	check(info.hv_free_bytes == hv0 && info.parent_memory_bytes == parent0,
	      "every page is back after the deletes");
	printf(failures ? "FAIL: run: %d checks failed\n" : "run: PASS\n", failures);
}
