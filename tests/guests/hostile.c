/*
 * hostile.elf: a 64-bit child that tries to hurt the hypervisor and the
 * parent and must be the only casualty.  Every risky instruction runs under
 * guard_call(), so an exception is counted and the guest goes on.  Each
 * phase is announced on the test device and on COM1 ("hostile: phase N
 * WHAT"); details go to COM1 only.  The last phase triple-faults on
 * purpose: the hypervisor must then crash this child and nothing else.
 */
#include "hv/abi/tlfs.h"
#include "tests/guests/guard.h"
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

const char guest_name[] = "hostile";

#define ROUNDS 2000u

static uint64_t ram;

/* ---- helpers --------------------------------------------------------- */

static uint64_t prng_state;

/* xorshift64 (Marsaglia 2003). */
static uint64_t prng(void)
{
	uint64_t x = prng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return prng_state = x;
}

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9", "#TS", "#NP", "#SS",
	"#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25",
	"#26", "#27", "#HV", "#VC", "#SX", "#31",
};

/* A guard_call() result: "ok" or the exception. */
static const char *vector_name(long v)
{
	if (v == GUARD_OK)
		return "ok";
	return v >= 0 && v < 32 ? vector_names[v] : "?";
}

/* One memory access through a pointer, for guard_call(). */
struct access {
	uintptr_t address;
	uint64_t value;
	unsigned size; /* 1, 4 or 8 */
};

static void do_read(void *arg)
{
	struct access *a = arg;
	if (a->size == 1)
		a->value = *(volatile uint8_t *)a->address;
	else if (a->size == 4)
		a->value = *(volatile uint32_t *)a->address;
	else
		a->value = *(volatile uint64_t *)a->address;
}

static void do_write(void *arg)
{
	struct access *a = arg;
	if (a->size == 1)
		*(volatile uint8_t *)a->address = (uint8_t)a->value;
	else if (a->size == 4)
		*(volatile uint32_t *)a->address = (uint32_t)a->value;
	else
		*(volatile uint64_t *)a->address = a->value;
}

/* "0x<value>" (formatted in buf) or the exception's name. */
static const char *outcome(long vector, uint64_t value, char buf[24])
{
	if (vector != GUARD_OK)
		return vector_name(vector);
	static const char hex[] = "0123456789abcdef";
	char *p = buf;
	*p++ = '0', *p++ = 'x';
	int shift = 60;
	while (shift > 0 && !((value >> shift) & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = hex[(value >> shift) & 0xf];
	*p = 0;
	return buf;
}

/* Read, write, read again.  The write is skipped inside RAM (our own
 * memory) unless `write_ram`. */
static void poke(const char *what, uintptr_t address, unsigned size, bool write_ram)
{
	struct access a = { address, 0, size };
	char b1[24], b2[24];
	long r = guard_call(do_read, &a); /* before a.value is looked at */
	const char *first = outcome(r, a.value, b1);
	const char *wrote = "skipped (RAM)";
	if (address >= ram || write_ram) {
		a.value = 0x5a5a5a5a5a5a5a5aull;
		wrote = vector_name(guard_call(do_write, &a));
	}
	r = guard_call(do_read, &a);
	const char *second = outcome(r, a.value, b2);
	say(OUT_COM1, "  %s %p (%u bytes): read %s, write %s, read %s", what, (void *)address, size, first,
	    wrote, second);
}

/* ---- phase 1: guest-physical memory outside RAM ------------------------ */

static uint64_t high_pd[512] __attribute__((aligned(4096)));
static uint8_t ram_buffer[4096] __attribute__((aligned(4096)));

#define PTE_P  0x001ull
#define PTE_RW 0x002ull
#define PTE_PS 0x080ull /* 2 MiB page in a page directory */
#define PTE_ADDR 0x000ffffffffff000ull

struct string_op {
	uintptr_t si, di, cx;
};

static void do_rep_stosq(void *arg)
{
	struct string_op *s = arg;
	__asm__ volatile("rep stosq" : "+D"(s->di), "+c"(s->cx) : "a"(~0ull) : "memory");
}

static void do_rep_movsb(void *arg)
{
	struct string_op *s = arg;
	__asm__ volatile("rep movsb" : "+S"(s->si), "+D"(s->di), "+c"(s->cx) : : "memory");
}

static void phase_memory(void)
{
	static const uintptr_t targets[] = {
		0x7ff000, 0x4000000, 0x80000000, 0xc0000000,
		0xfec00000,             /* where a PC has its I/O APIC */
		0xfed00000,             /* HPET */
		0xfee00000, 0xfee000b0, 0xfee00300, /* local APIC: ID, EOI, ICR */
		0xfffff000,
		0xffffff000,            /* above 4 GiB: not mapped by the page tables (#PF) */
		0x8000000000000000ull,  /* not canonical (#GP) */
	};
	for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		poke("gpa", targets[i], 4, false);
		poke("gpa", targets[i], 1, false);
		poke("gpa", targets[i], 8, false);
	}

	/* String instructions over a whole page with nothing behind it. */
	struct string_op s = { 0, 0x80000000, 512 };
	long r = guard_call(do_rep_stosq, &s);
	say(OUT_COM1, "  rep stosq 4 KiB to 0x80000000: %s, rcx %lu", vector_name(r), (unsigned long)s.cx);
	/* The RAM side at another page offset, so that the MMIO side is
	 * clear even to an emulator that cannot translate addresses. */
	s = (struct string_op){ 0xfee00000, (uintptr_t)ram_buffer + 0x800, 256 };
	r = guard_call(do_rep_movsb, &s);
	say(OUT_COM1, "  rep movsb 256 bytes from 0xfee00000: %s, rcx %lu, first byte 0x%x",
	    vector_name(r), (unsigned long)s.cx, ram_buffer[0x800]);

	/*
	 * Map 2 MiB pages at linear 4 GiB + n * 2 MiB to guest-physical
	 * addresses far above RAM, through entry 4 of the PDPT that PML4
	 * entry 0 points to (docs/guests.md "Memory").
	 */
	uint32_t r4[4];
	unsigned maxphys = 36;
	cpuid(0x80000000, 0, r4);
	if (r4[0] >= 0x80000008) {
		cpuid(0x80000008, 0, r4);
		maxphys = r4[0] & 0xff;
	}
	uint64_t high[] = { 1ull << 32, (1ull << maxphys) - (2ull << 20), 1ull << maxphys };
	unsigned n = maxphys < 52 ? 3 : 2;
	uintptr_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	const volatile uint64_t *pml4 = (const volatile uint64_t *)(cr3 & PTE_ADDR);
	volatile uint64_t *pdpt = (volatile uint64_t *)(uintptr_t)(pml4[0] & PTE_ADDR);
	for (unsigned i = 0; i < n; i++)
		high_pd[i] = high[i] | PTE_P | PTE_RW | PTE_PS;
	pdpt[4] = (uintptr_t)high_pd | PTE_P | PTE_RW;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
	say(OUT_COM1, "  MAXPHYADDR %u; mapping gpa 0x%llx, 0x%llx%s at linear 4 GiB", maxphys,
	    (unsigned long long)high[0], (unsigned long long)high[1], n == 3 ? " and one beyond" : "");
	for (unsigned i = 0; i < n; i++)
		poke("high gpa via linear", (uintptr_t)(0x100000000ull + i * (2ull << 20) + 0x123000), 4, false);
	pdpt[4] = 0;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
}

/* ---- phase 2: VMX and SVM instructions --------------------------------- */

struct hostile_insn {
	const char *name;
	void (*fn)(void *);
};
extern const struct hostile_insn hostile_insns[], hostile_insns_end[];

static void phase_virtualization(void)
{
	for (const struct hostile_insn *i = hostile_insns; i < hostile_insns_end; i++) {
		long r = guard_call(i->fn, NULL);
		say(OUT_COM1, "  %s: %s", i->name, r == GUARD_OK ? "returned" : vector_name(r));
	}
}

/* ---- phase 3: hypercalls --------------------------------------------------- */

static uint8_t hypercall_page[4096] __attribute__((aligned(4096)));
static uint8_t hc_input[4096] __attribute__((aligned(4096)));
static uint8_t hc_output[4096] __attribute__((aligned(4096)));

struct hypercall {
	uint64_t control, input, output, result;
};

struct msr_access {
	uint32_t msr;
	uint64_t value;
};

static void do_wrmsr(void *arg)
{
	struct msr_access *m = arg;
	wrmsr(m->msr, m->value);
}

static void do_rdmsr(void *arg)
{
	struct msr_access *m = arg;
	m->value = rdmsr(m->msr);
}

/* TLFS §3.7: control in RCX, input GPA (or value) in RDX, output GPA in
 * R8, status in RAX; RCX, RDX, R8-R11 may change. */
#define HYPERCALL_ASM(insn)                                                                   \
	do {                                                                                  \
		struct hypercall *h = arg;                                                    \
		register uint64_t r8 __asm__("r8") = h->output;                               \
		uint64_t rcx = h->control, rdx = h->input;                                    \
		__asm__ volatile(insn                                                         \
				 : "=a"(h->result), "+c"(rcx), "+d"(rdx), "+r"(r8)            \
				 : [page] "r"(hypercall_page)                                 \
				 : "r9", "r10", "r11", "memory", "cc");                       \
	} while (0)

static void do_vmcall(void *arg) { HYPERCALL_ASM("vmcall"); }
static void do_vmmcall(void *arg) { HYPERCALL_ASM("vmmcall"); }
static void do_page_call(void *arg) { HYPERCALL_ASM("call *%[page]"); }

static uint64_t random_gpa(void)
{
	uint64_t r = prng();
	switch (r & 3) {
	case 0: /* our own buffers, any offset */
		return (uintptr_t)((r & 4) ? hc_input : hc_output) + ((r >> 8) & 0xfff);
	case 1:
		return prng();
	case 2: /* between the end of RAM and 4 GiB */
		return ram + (prng() % ((1ull << 32) - ram));
	default:
		return (r >> 8) & 0xfff;
	}
}

/* Counts of the statuses seen, for the summary. */
struct status_count {
	uint16_t status;
	unsigned count;
};
static struct status_count statuses[16];
static unsigned status_other;

static void count_status(uint64_t result, uint64_t control)
{
	uint16_t st = (uint16_t)result;
	static unsigned successes;
	if (st == HV_STATUS_SUCCESS && successes++ < 8)
		say(OUT_COM1, "  call 0x%04x (control 0x%llx) succeeded", (unsigned)(control & 0xffff),
		    (unsigned long long)control);
	for (unsigned i = 0; i < 16; i++) {
		if (statuses[i].count && statuses[i].status == st) {
			statuses[i].count++;
			return;
		}
		if (!statuses[i].count) {
			statuses[i] = (struct status_count){ st, 1 };
			return;
		}
	}
	status_other++;
}

static bool enable_hypercall_page(void)
{
	memset(hypercall_page, 0xcc, sizeof(hypercall_page)); /* INT3 until filled */
	struct msr_access id = { HV_X64_MSR_GUEST_OS_ID, 0x8100000000000001ull };
	struct msr_access hc = { HV_X64_MSR_HYPERCALL, (uintptr_t)hypercall_page | HV_HYPERCALL_ENABLE };
	long r1 = guard_call(do_wrmsr, &id);
	long r2 = guard_call(do_wrmsr, &hc);
	struct msr_access back = { HV_X64_MSR_HYPERCALL, 0 };
	long r3 = guard_call(do_rdmsr, &back);
	bool filled = hypercall_page[0] != 0xcc;
	say(OUT_COM1, "  guest OS id: %s; hypercall msr: %s, reads back %s 0x%llx; page %s, starts %02x %02x %02x %02x",
	    vector_name(r1), vector_name(r2), vector_name(r3), (unsigned long long)back.value,
	    filled ? "filled" : "untouched", hypercall_page[0], hypercall_page[1], hypercall_page[2],
	    hypercall_page[3]);
	return r2 == GUARD_OK && filled;
}

static void phase_hypercalls(void)
{
	bool page = enable_hypercall_page();
	unsigned returned[3] = { 0 }, faulted[3] = { 0 };
	void (*const how[3])(void *) = { do_vmcall, do_vmmcall, do_page_call };

	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t r = prng(), code;
		switch (r & 3) {
		case 0: code = (r >> 8) & 0xffff; break;          /* anything */
		case 1: code = (r >> 8) & 0xff; break;            /* TLFS simple and rep calls */
		case 2: code = 0x7f00 + ((r >> 8) & 0xf); break;  /* Keel's calls (parent only) */
		default: code = 0x8000 + ((r >> 8) & 0xff); break; /* TLFS extended calls */
		}
		uint64_t control = code | (prng() & ~0xffffull);
		if (r & 0x10000) /* half of them with the reserved bits clear */
			control &= ~HV_HYPERCALL_RSVD_MASK;
		for (unsigned i = 0; i < sizeof(hc_input) / 8; i++)
			((uint64_t *)hc_input)[i] = prng();
		uint64_t input = random_gpa(), output = random_gpa();
		for (unsigned m = 0; m < (page ? 3u : 2u); m++) {
			struct hypercall h = { control, input, output, ~0ull };
			if (guard_call(how[m], &h) == GUARD_OK) {
				returned[m]++;
				count_status(h.result, control);
			} else {
				faulted[m]++;
			}
		}
	}
	say(OUT_BOTH, "phase 3: %u rounds; vmcall %u returned %u faulted; vmmcall %u returned %u faulted; "
		      "page %u returned %u faulted",
	    ROUNDS, returned[0], faulted[0], returned[1], faulted[1], returned[2], faulted[2]);
	for (unsigned i = 0; i < 16 && statuses[i].count; i++)
		say(OUT_COM1, "  status 0x%04x: %u", statuses[i].status, statuses[i].count);
	if (status_other)
		say(OUT_COM1, "  other statuses: %u", status_other);
}

/* ---- phase 4: MSRs ----------------------------------------------------------- */

static bool msr_skipped(uint32_t msr)
{
	return (msr >= 0xc0000080 && msr <= 0xc0000102) || /* EFER, SYSCALL, FS/GS bases */
	       msr == HV_X64_MSR_GUEST_OS_ID || msr == HV_X64_MSR_HYPERCALL ||
	       msr == 0x40000003; /* HV_X64_MSR_RESET: would end the run early */
}

static void phase_msrs(void)
{
	unsigned written = 0, write_faults = 0, read_faults = 0, skipped = 0, shown = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t r = prng();
		uint32_t msr;
		switch (r & 3) {
		case 0: msr = (uint32_t)(r >> 32); break;
		case 1: msr = 0x40000000 + ((r >> 8) & 0xff); break;
		case 2: msr = 0xc0000000 + ((r >> 8) & 0xfff); break;
		default: msr = (r >> 8) & 0x1fff; break;
		}
		if (msr_skipped(msr)) {
			skipped++;
			continue;
		}
		uint64_t value;
		switch ((r >> 4) & 3) {
		case 0: value = (r >> 24) & 0xff; break;
		case 1: value = (r & 0x40) ? ~0ull : 0; break;
		default: value = prng(); break;
		}
		struct msr_access m = { msr, value };
		if (guard_call(do_wrmsr, &m) == GUARD_OK) {
			written++;
			if (shown++ < 8)
				say(OUT_COM1, "  wrmsr 0x%x = 0x%llx accepted", msr, (unsigned long long)value);
		} else {
			write_faults++;
		}
		if (guard_call(do_rdmsr, &m) != GUARD_OK)
			read_faults++;
	}
	say(OUT_BOTH, "phase 4: %u msrs; %u writes accepted, %u faulted; %u reads faulted; %u skipped", ROUNDS,
	    written, write_faults, read_faults, skipped);
}

/* ---- the run --------------------------------------------------------------- */

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	ram = low_bytes; /* the RAM below the hole; memory it probes lies above */
	say(OUT_COM1, "hello, 64-bit child with %lu MiB; trying to hurt the hypervisor",
	    (unsigned long)(ram_bytes >> 20));
	idt_set_exceptions();
	idt_load();
	prng_state = rdtsc() | 1;
	say(OUT_COM1, "random seed 0x%llx", (unsigned long long)prng_state);

	uint64_t before = guard_faults;
	say(OUT_BOTH, "phase 1 memory");
	phase_memory();
	say(OUT_BOTH, "phase 1: %llu faults", (unsigned long long)(guard_faults - before));

	before = guard_faults;
	say(OUT_BOTH, "phase 2 virtualization instructions");
	phase_virtualization();
	say(OUT_BOTH, "phase 2: %llu faults", (unsigned long long)(guard_faults - before));

	before = guard_faults;
	say(OUT_BOTH, "phase 3 hypercalls");
	phase_hypercalls();
	say(OUT_BOTH, "phase 3: %llu faults", (unsigned long long)(guard_faults - before));

	before = guard_faults;
	say(OUT_BOTH, "phase 4 msrs");
	phase_msrs();
	say(OUT_BOTH, "phase 4: %llu faults", (unsigned long long)(guard_faults - before));

	say(OUT_BOTH, "all phases survived, %llu faults recovered", (unsigned long long)guard_faults);
	say(OUT_BOTH, "triple fault");
	/* An IDT with limit 0: #UD cannot be delivered, nor the #GP and #DF
	 * that follow, so the processor shuts down (SDM vol. 3 §6.15,
	 * "Interrupt 8"). */
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} empty = { 0, 0 };
	__asm__ volatile("lidt %0; ud2" ::"m"(empty) : "memory");
	print(OUT_BOTH, "FAIL hostile: still running after a triple fault\n");
	guest_stop(1);
}
