/*
 * A multiboot v1 test kernel for a multiprocessor child's local APICs
 * (Intel SDM vol. 3 chapter 11; the x2APIC MSRs in §11.12).  The bootstrap
 * processor first checks the xAPIC mode every processor starts in (base MSR,
 * the register page at 0xfee00000: ID, version, SVR, TPR, a self IPI and its
 * EOI through the ICR), switches to x2APIC, finds the processors in the ACPI
 * MADT, starts the others with INIT and SIPI (aptramp.S; each switches to
 * x2APIC), then checks, each as a named test:
 *   - every AP arrives once, with the APIC ID and x2APIC logical ID
 *     (cluster << 16 | 1 << (id & 15)) the MADT promised;
 *   - fixed IPIs to each AP by physical ID; to a logical cluster mask;
 *     with the shorthands self, all-including-self, all-excluding-self;
 *     the SELF IPI MSR; lowest priority (exactly one of its targets);
 *   - TPR: an interrupt of a class at or below it waits, lowering it
 *     delivers;
 *   - the timer: one-shot fires once, periodic keeps firing at its period
 *     until stopped, masked counts down without an interrupt;
 *   - INIT and SIPI again to a running AP restart it;
 *   - the IOAPIC (at 0xfec00000, emulated by the parent) with COM1's
 *     interrupt (pin 4, the THR-empty interrupt holding the line high):
 *     edge-triggered, one interrupt for the one edge; level-triggered, the
 *     interrupt again after every EOI while the line is high (Remote IRR
 *     set in the handler), none once the handler lowers it; in xAPIC mode
 *     (EOI through the page) and in x2APIC mode (EOI MSR).
 * It prints on COM1 and leaves through the exit port 0xf4 with code 0x10 +
 * the number of failed tests.  NMIs: to one AP, to all but self and to
 * self by ID (with IF clear), each arriving once.
 */
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

#define EXIT_PORT      0xf4
#define AP_TRAMPOLINE  0x20000u   /* free RAM below 1 MiB, above the loader's area */
#define MAX_CPUS       64

/* x2APIC MSRs (SDM table 11-6). */
#define MSR_ID         0x802
#define MSR_TPR        0x808
#define MSR_EOI        0x80b
#define MSR_LDR        0x80d
#define MSR_SVR        0x80f
#define MSR_ICR        0x830
#define MSR_LVT_TIMER  0x832
#define MSR_TIMER_INIT 0x838
#define MSR_TIMER_CUR  0x839
#define MSR_TIMER_DIV  0x83e
#define MSR_SELF_IPI   0x83f
#define MSR_REF_TIME   0x40000020 /* TLFS: 100 ns units */
#define MSR_APIC_BASE  0x1b
#define APIC_BASE_BSP    (1u << 8)
#define APIC_BASE_X2APIC (1u << 10)
#define APIC_BASE_ENABLE (1u << 11)

/* xAPIC registers (SDM table 11-1), offsets in the page at 0xfee00000. */
#define XAPIC_PAGE     0xfee00000u
#define XAPIC_ID       0x020
#define XAPIC_VERSION  0x030
#define XAPIC_TPR      0x080
#define XAPIC_EOI      0x0b0
#define XAPIC_SVR      0x0f0
#define XAPIC_ICR_LOW  0x300
#define XAPIC_ICR_HIGH 0x310

/* ICR (SDM figure 11-12): vector, delivery mode << 8, logical bit 11,
 * level assert bit 14, destination shorthand << 18, destination << 32. */
#define ICR_FIXED      (0u << 8)
#define ICR_LOWEST     (1u << 8)
#define ICR_NMI        (4u << 8)
#define ICR_INIT       (5u << 8)
#define ICR_SIPI       (6u << 8)
#define ICR_LOGICAL    (1u << 11)
#define ICR_ASSERT     (1u << 14)
#define ICR_SELF       (1u << 18)
#define ICR_ALL        (2u << 18)
#define ICR_OTHERS     (3u << 18)

#define LVT_MASKED     (1u << 16)
#define LVT_PERIODIC   (1u << 17)

#define IPI_VECTOR     0x40
#define PING_VECTOR    0x41       /* bench: the AP answers with PONG */
#define PONG_VECTOR    0x42
#define TIMER_VECTOR   0x50
#define COM1_VECTOR    0x60

/* The IOAPIC the MADT describes (82093AA registers) and COM1 on its pin 4. */
#define IOAPIC_BASE    0xfec00000u
#define IOAPIC_WINDOW  0x10
#define RTE_LOW(pin)   (0x10 + 2 * (pin))
#define RTE_HIGH(pin)  (0x11 + 2 * (pin))
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL      (1u << 15)
#define RTE_MASKED     (1u << 16)
#define COM1_PIN       4
#define COM1_IER       0x3f9
#define COM1_IIR       0x3fa
#define COM1_MCR       0x3fc
#define IER_THRI       0x02
#define MCR_OUT2       0x08       /* gates the UART's interrupt onto its line */

const char guest_name[] = "apictest";

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	(void)ram_bytes;
	(void)low_bytes;
}

extern const char ap_trampoline[], ap_trampoline_end[];
extern const uint8_t ap_gdt_pointer_linear[];
extern volatile uint32_t ap_arrivals;

static volatile uint32_t ipi_hits[MAX_CPUS];
static volatile uint32_t ap_started[MAX_CPUS];  /* ap_main runs, by APIC ID */
static volatile uint32_t ap_ldr[MAX_CPUS];
static volatile uint32_t nmi_hits[MAX_CPUS];
static volatile uint32_t timer_hits, pongs;
static uint32_t cpu_ids[MAX_CPUS];
static unsigned cpus;

static volatile bool xapic_mode = true; /* the BSP's, until test_xapic ends */

static uint32_t xapic_read(uint32_t reg) { return *(volatile uint32_t *)(uintptr_t)(XAPIC_PAGE + reg); }
static void xapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(XAPIC_PAGE + reg) = v; }

static uint32_t apic_id(void) { return xapic_mode ? xapic_read(XAPIC_ID) >> 24 : (uint32_t)rdmsr(MSR_ID); }

static void apic_eoi(void)
{
	if (xapic_mode)
		xapic_write(XAPIC_EOI, 0);
	else
		wrmsr(MSR_EOI, 0);
}

/* Leave xAPIC mode for x2APIC (SDM §11.12.5: enabled xAPIC -> x2APIC). */
static void x2apic_enable(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_X2APIC);
}

__attribute__((interrupt)) static void ipi_isr(void *frame)
{
	(void)frame;
	__atomic_add_fetch(&ipi_hits[apic_id() % MAX_CPUS], 1, __ATOMIC_SEQ_CST);
	apic_eoi();
}

/* NMIs take no EOI (SDM 11.8.5: the APIC's EOI is for fixed interrupts). */
__attribute__((interrupt)) static void nmi_isr(void *frame)
{
	(void)frame;
	__atomic_add_fetch(&nmi_hits[apic_id() % MAX_CPUS], 1, __ATOMIC_SEQ_CST);
}

__attribute__((interrupt)) static void timer_isr_c(void *frame)
{
	(void)frame;
	__atomic_add_fetch(&timer_hits, 1, __ATOMIC_SEQ_CST);
	wrmsr(MSR_EOI, 0);
}

__attribute__((interrupt)) static void ping_isr(void *frame)
{
	(void)frame;
	wrmsr(MSR_ICR, (uint64_t)cpu_ids[0] << 32 | ICR_FIXED | ICR_ASSERT | PONG_VECTOR);
	wrmsr(MSR_EOI, 0);
}

__attribute__((interrupt)) static void pong_isr(void *frame)
{
	(void)frame;
	__atomic_add_fetch(&pongs, 1, __ATOMIC_SEQ_CST);
	wrmsr(MSR_EOI, 0);
}

static uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = reg;
	return *(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOAPIC_WINDOW);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOAPIC_WINDOW) = v;
}

/* COM1's interrupt: count it, note Remote IRR, lower the line (IER 0) at
 * the com1_stop_at'th, then EOI. */
static volatile uint32_t com1_hits, com1_irr_seen, com1_stop_at;

__attribute__((interrupt)) static void com1_isr(void *frame)
{
	(void)frame;
	if (__atomic_add_fetch(&com1_hits, 1, __ATOMIC_SEQ_CST) >= com1_stop_at)
		outb(COM1_IER, 0);
	if (ioapic_read(RTE_LOW(COM1_PIN)) & RTE_REMOTE_IRR)
		com1_irr_seen++;
	apic_eoi();
}

static uint64_t ref_now(void) { return rdmsr(MSR_REF_TIME); }

/* Wait with interrupts on until *counter reaches `want` or `ms` pass;
 * returns the last value seen. */
static uint32_t wait_for(volatile uint32_t *counter, uint32_t want, unsigned ms)
{
	uint64_t end = ref_now() + (uint64_t)ms * 10000;

	sti();
	while (*counter < want && ref_now() < end)
		pause();
	return *counter;
}

/* Let `ms` pass with interrupts on. */
static void settle(unsigned ms)
{
	uint64_t end = ref_now() + (uint64_t)ms * 10000;

	sti();
	while (ref_now() < end)
		pause();
}

static void send_ipi(uint32_t dest, uint32_t low)
{
	wrmsr(MSR_ICR, (uint64_t)dest << 32 | low);
}

static void clear_hits(void)
{
	for (unsigned i = 0; i < MAX_CPUS; i++)
		ipi_hits[i] = 0;
}

static uint32_t x2apic_ldr(uint32_t id) { return (id >> 4) << 16 | 1u << (id & 15); }

void ap_main(void);

static volatile uint32_t ap_base_bad; /* APs whose base MSR was not xAPIC, non-BSP */

void ap_main(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t id;

	if ((base & (APIC_BASE_BSP | APIC_BASE_X2APIC | APIC_BASE_ENABLE)) != APIC_BASE_ENABLE &&
	    !(base & APIC_BASE_X2APIC)) /* a restarted AP keeps x2APIC mode (SDM §11.12.5.1) */
		__atomic_add_fetch(&ap_base_bad, 1, __ATOMIC_SEQ_CST);
	x2apic_enable();
	id = apic_id();
	idt_load();
	wrmsr(MSR_SVR, 0x1ff);
	ap_ldr[id % MAX_CPUS] = (uint32_t)rdmsr(MSR_LDR);
	__atomic_add_fetch(&ap_started[id % MAX_CPUS], 1, __ATOMIC_SEQ_CST);
	for (;;)
		sti_hlt();
}

/* ---- the processors, from the MADT (ACPI 6.4 §5.2.12) ---- */

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

static bool sig(const char *p, const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != s[i])
			return false;
	return true;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* The RSDP in the BIOS area [0xe0000, 0x100000), on a 16-byte boundary. */
static const uint8_t *find_rsdp(void)
{
	for (uintptr_t a = 0xe0000; a < 0x100000; a += 16)
		if (sig((const char *)a, "RSD PTR ", 8) && sum((const uint8_t *)a, 20) == 0)
			return (const uint8_t *)a;
	return NULL;
}

/* Fills cpu_ids from the MADT's enabled processor entries (types 0 and 9). */
static void find_cpus(void)
{
	const uint8_t *rsdp = find_rsdp();
	const struct acpi_header *xsdt, *madt = NULL;

	test_begin("madt");
	if (!rsdp) {
		test_fail("no RSDP in 0xe0000-0xfffff");
		test_end();
		return;
	}
	test_expect("RSDP revision", rsdp[15] >= 2, 1);
	xsdt = (const struct acpi_header *)(uintptr_t) * (const uint64_t *)(rsdp + 24);
	test_expect("XSDT signature", sig(xsdt->signature, "XSDT", 4), 1);
	test_expect("XSDT checksum", sum((const uint8_t *)xsdt, xsdt->length), 0);
	for (uint32_t off = sizeof(*xsdt); off + 8 <= xsdt->length; off += 8) {
		const struct acpi_header *t;

		t = (const struct acpi_header *)(uintptr_t) * (const uint64_t *)((const uint8_t *)xsdt + off);
		if (sig(t->signature, "APIC", 4))
			madt = t;
	}
	if (!madt) {
		test_fail("no MADT");
		test_end();
		return;
	}
	test_expect("MADT checksum", sum((const uint8_t *)madt, madt->length), 0);
	for (uint32_t off = sizeof(*madt) + 8; off + 2 <= madt->length;) {
		const uint8_t *e = (const uint8_t *)madt + off;

		if (e[1] < 2)
			break;
		if (e[0] == 0 && (e[4] & 1) && cpus < MAX_CPUS) /* processor local APIC */
			cpu_ids[cpus++] = e[3];
		else if (e[0] == 9 && (e[8] & 1) && cpus < MAX_CPUS) /* processor local x2APIC */
			cpu_ids[cpus++] = *(const uint32_t *)(e + 4);
		off += e[1];
	}
	say(OUT_COM1, "%u CPUs in the MADT", cpus);
	test_expect("CPUs", cpus >= 2, 1);
	test_expect("BSP first", cpus ? cpu_ids[0] : ~0u, apic_id());
	test_end();
}

/* ---- the tests ---- */

static void test_start_aps(void)
{
	test_begin("init-sipi");
	memcpy((void *)AP_TRAMPOLINE, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
	send_ipi(0, ICR_INIT | ICR_ASSERT | ICR_OTHERS);
	settle(10);
	send_ipi(0, ICR_SIPI | ICR_ASSERT | ICR_OTHERS | (AP_TRAMPOLINE >> 12));
	settle(1);
	send_ipi(0, ICR_SIPI | ICR_ASSERT | ICR_OTHERS | (AP_TRAMPOLINE >> 12)); /* ignored by those started */
	test_expect("arrivals", wait_for(&ap_arrivals, cpus - 1, 5000), cpus - 1);
	settle(20);
	test_expect("arrivals after the second SIPI", ap_arrivals, cpus - 1);
	for (unsigned i = 1; i < cpus; i++) {
		uint32_t id = cpu_ids[i] % MAX_CPUS;

		if (!test_expect("AP started once", wait_for(&ap_started[id], 1, 1000), 1))
			say(OUT_COM1, "  APIC ID %u", cpu_ids[i]);
		test_expect("AP logical ID", ap_ldr[id], x2apic_ldr(cpu_ids[i]));
	}
	test_expect("BSP logical ID", (uint32_t)rdmsr(MSR_LDR), x2apic_ldr(apic_id()));
	test_expect("APs started in xAPIC mode, not BSP", ap_base_bad, 0);
	test_end();
}

/* COM1's THR-empty interrupt through the IOAPIC, to this CPU.  Nothing
 * may be printed while it is enabled: a THR write raises it again. */
static void test_ioapic(const char *name, bool level)
{
	uint8_t mcr = inb(COM1_MCR);
	uint32_t want = level ? 3 : 1;

	test_begin(name);
	com1_hits = com1_irr_seen = 0;
	com1_stop_at = 3;
	ioapic_write(RTE_HIGH(COM1_PIN), apic_id() << 24);
	ioapic_write(RTE_LOW(COM1_PIN), COM1_VECTOR | (level ? RTE_LEVEL : 0));
	outb(COM1_MCR, mcr | MCR_OUT2);
	outb(COM1_IER, IER_THRI); /* THR is empty: the line rises */
	wait_for(&com1_hits, want, 1000);
	settle(20);
	cli();
	outb(COM1_IER, 0);
	(void)inb(COM1_IIR);
	outb(COM1_MCR, mcr);
	test_expect(level ? "again after each EOI while the line is high, until the handler lowers it"
			  : "one interrupt for the one edge",
		    com1_hits, want);
	test_expect("Remote IRR set in the handler", com1_irr_seen, level ? want : 0);
	test_expect("Remote IRR clear after the EOI", ioapic_read(RTE_LOW(COM1_PIN)) & RTE_REMOTE_IRR, 0);
	ioapic_write(RTE_LOW(COM1_PIN), RTE_MASKED);
	test_end();
}

/* The BSP at entry: xAPIC mode and its register page, then x2APIC. */
static void test_xapic(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t id;

	test_begin("xapic");
	test_expect("base MSR: 0xfee00000, enabled, BSP, xAPIC", (uint32_t)base,
		    XAPIC_PAGE | APIC_BASE_ENABLE | APIC_BASE_BSP);
	id = xapic_read(XAPIC_ID) >> 24;
	test_expect("version: integrated APIC", (xapic_read(XAPIC_VERSION) & 0xf0) == 0x10, 1);
	test_expect("version: max LVT entry >= 5", ((xapic_read(XAPIC_VERSION) >> 16) & 0xff) >= 5, 1);
	xapic_write(XAPIC_SVR, 0x1ff);
	test_expect("SVR", xapic_read(XAPIC_SVR) & 0x1ff, 0x1ff);
	xapic_write(XAPIC_TPR, 0x20);
	test_expect("TPR", xapic_read(XAPIC_TPR), 0x20);
	xapic_write(XAPIC_TPR, 0);
	clear_hits();
	xapic_write(XAPIC_ICR_HIGH, 0);
	xapic_write(XAPIC_ICR_LOW, ICR_FIXED | ICR_ASSERT | ICR_SELF | IPI_VECTOR);
	test_expect("self IPI through the ICR", wait_for(&ipi_hits[id % MAX_CPUS], 1, 1000), 1);
	test_expect("ICR delivery status idle", xapic_read(XAPIC_ICR_LOW) & (1u << 12), 0);
	test_end();
	test_ioapic("ioapic level, xapic eoi", true);
	test_begin("x2apic");
	cli();
	x2apic_enable();
	xapic_mode = false;
	test_expect("base MSR: x2APIC", (uint32_t)rdmsr(MSR_APIC_BASE) & APIC_BASE_X2APIC, APIC_BASE_X2APIC);
	test_expect("same ID in x2APIC mode", apic_id(), id);
	test_end();
}

static void test_fixed_physical(void)
{
	test_begin("fixed ipi, physical");
	clear_hits();
	for (unsigned i = 1; i < cpus; i++) {
		send_ipi(cpu_ids[i], ICR_FIXED | ICR_ASSERT | IPI_VECTOR);
		if (!test_expect("delivered", wait_for(&ipi_hits[cpu_ids[i] % MAX_CPUS], 1, 1000), 1))
			say(OUT_COM1, "  to APIC ID %u", cpu_ids[i]);
	}
	settle(5);
	for (unsigned i = 0; i < cpus; i++)
		test_expect("each exactly once", ipi_hits[cpu_ids[i] % MAX_CPUS], i ? 1 : 0);
	test_end();
}

static void test_shorthands(void)
{
	uint32_t total;

	test_begin("fixed ipi, shorthands");
	clear_hits();
	send_ipi(0, ICR_FIXED | ICR_ASSERT | ICR_OTHERS | IPI_VECTOR);
	settle(20);
	total = 0;
	for (unsigned i = 0; i < cpus; i++)
		total += ipi_hits[cpu_ids[i] % MAX_CPUS];
	test_expect("all but self: total", total, cpus - 1);
	test_expect("all but self: not the sender", ipi_hits[apic_id()], 0);

	clear_hits();
	send_ipi(0, ICR_FIXED | ICR_ASSERT | ICR_ALL | IPI_VECTOR);
	settle(20);
	total = 0;
	for (unsigned i = 0; i < cpus; i++)
		total += ipi_hits[cpu_ids[i] % MAX_CPUS];
	test_expect("all: total", total, cpus);
	test_expect("all: the sender too", ipi_hits[apic_id()], 1);

	clear_hits();
	send_ipi(0, ICR_FIXED | ICR_ASSERT | ICR_SELF | IPI_VECTOR);
	test_expect("self", wait_for(&ipi_hits[apic_id()], 1, 100), 1);
	clear_hits();
	wrmsr(MSR_SELF_IPI, IPI_VECTOR);
	test_expect("SELF IPI MSR", wait_for(&ipi_hits[apic_id()], 1, 100), 1);
	settle(5);
	total = 0;
	for (unsigned i = 0; i < cpus; i++)
		total += ipi_hits[cpu_ids[i] % MAX_CPUS];
	test_expect("self: nobody else", total, 1);
	test_end();
}

/* Logical destination in cluster 0: the APs with IDs 1 and 2 (and, with
 * 18 or more processors, cluster 1's first, ID 16). */
static void test_logical(void)
{
	test_begin("fixed ipi, logical");
	clear_hits();
	send_ipi(x2apic_ldr(1) | x2apic_ldr(2), ICR_FIXED | ICR_LOGICAL | ICR_ASSERT | IPI_VECTOR);
	if (cpus > 2) {
		test_expect("ID 1", wait_for(&ipi_hits[1], 1, 1000), 1);
		test_expect("ID 2", wait_for(&ipi_hits[2], 1, 1000), 1);
	}
	if (cpus >= 18) {
		send_ipi(x2apic_ldr(16), ICR_FIXED | ICR_LOGICAL | ICR_ASSERT | IPI_VECTOR);
		test_expect("ID 16", wait_for(&ipi_hits[16], 1, 1000), 1);
	}
	settle(10);
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (i != 1 && i != 2 && !(i == 16 && cpus >= 18))
			test_expect("no other", ipi_hits[i], 0);
	test_end();
}

static void test_lowest(void)
{
	uint32_t total = 0;

	test_begin("lowest priority ipi");
	clear_hits();
	send_ipi(x2apic_ldr(1) | x2apic_ldr(2) | x2apic_ldr(3), ICR_LOWEST | ICR_LOGICAL | ICR_ASSERT | IPI_VECTOR);
	settle(20);
	for (unsigned i = 0; i < MAX_CPUS; i++)
		total += ipi_hits[i];
	test_expect("exactly one target", total, 1);
	test_expect("one of IDs 1-3", ipi_hits[1] + ipi_hits[2] + ipi_hits[3], 1);
	test_end();
}

/* NMI through the ICR: to one AP, to all but self, to self by ID; an NMI
 * arrives whatever IF says, and wakes a halted processor. */
static void test_nmi(void)
{
	uint32_t self = apic_id(), one = cpu_ids[1];
	uint64_t end;

	test_begin("nmi");
	send_ipi(one, ICR_NMI | ICR_ASSERT);
	test_expect("NMI to one AP", wait_for(&nmi_hits[one % MAX_CPUS], 1, 1000), 1);
	send_ipi(0, ICR_NMI | ICR_ASSERT | ICR_OTHERS);
	for (unsigned i = 1; i < cpus; i++) {
		uint32_t id = cpu_ids[i] % MAX_CPUS;

		test_expect("NMI to all but self", wait_for(&nmi_hits[id], id == one % MAX_CPUS ? 2 : 1, 1000),
			    id == one % MAX_CPUS ? 2 : 1);
	}
	settle(10);
	test_expect("no NMI at the sender", nmi_hits[self % MAX_CPUS], 0);
	cli();
	send_ipi(self, ICR_NMI | ICR_ASSERT);
	end = ref_now() + 1000 * 10000;
	while (!nmi_hits[self % MAX_CPUS] && ref_now() < end)
		pause();
	test_expect("NMI to self with IF clear", nmi_hits[self % MAX_CPUS], 1);
	test_expect("each AP got exactly its NMIs", nmi_hits[one % MAX_CPUS], 2);
	test_end();
}

static void test_tpr(void)
{
	test_begin("tpr");
	clear_hits();
	wrmsr(MSR_TPR, IPI_VECTOR & 0xf0); /* class 4 and below wait */
	wrmsr(MSR_SELF_IPI, IPI_VECTOR);
	settle(10);
	test_expect("held below the TPR", ipi_hits[apic_id()], 0);
	wrmsr(MSR_TPR, 0);
	test_expect("delivered once the TPR drops", wait_for(&ipi_hits[apic_id()], 1, 100), 1);
	test_end();
}

static void test_timer(void)
{
	uint32_t n;

	test_begin("timer one-shot");
	timer_hits = 0;
	wrmsr(MSR_TIMER_DIV, 0xb); /* divide by 1 */
	wrmsr(MSR_LVT_TIMER, TIMER_VECTOR);
	wrmsr(MSR_TIMER_INIT, 1000000); /* 1 ms at the 1 GHz input clock */
	test_expect("fires", wait_for(&timer_hits, 1, 100), 1);
	settle(10);
	test_expect("once", timer_hits, 1);
	test_expect("current count 0", rdmsr(MSR_TIMER_CUR), 0);
	test_end();

	test_begin("timer periodic");
	timer_hits = 0;
	wrmsr(MSR_LVT_TIMER, TIMER_VECTOR | LVT_PERIODIC);
	wrmsr(MSR_TIMER_INIT, 1000000);
	settle(20);
	n = timer_hits;
	say(OUT_COM1, "periodic 1 ms: %u interrupts in 20 ms", n);
	test_expect("10 to 21 interrupts in 20 ms", n >= 10 && n <= 21, 1);
	wrmsr(MSR_TIMER_INIT, 0); /* stops it */
	n = timer_hits;
	settle(10);
	test_expect("stopped", timer_hits, n);
	test_end();

	test_begin("timer masked");
	timer_hits = 0;
	wrmsr(MSR_LVT_TIMER, TIMER_VECTOR | LVT_MASKED);
	wrmsr(MSR_TIMER_INIT, 100000000); /* 100 ms */
	settle(5);
	n = (uint32_t)rdmsr(MSR_TIMER_CUR);
	test_expect("counts down", n > 0 && n < 100000000, 1);
	wrmsr(MSR_TIMER_INIT, 1000);
	settle(5);
	test_expect("no interrupt", timer_hits, 0);
	test_end();
}

/* INIT then SIPI to a running AP: it starts over at the trampoline. */
static void test_restart(void)
{
	uint32_t id = cpu_ids[1], before = ap_arrivals;

	test_begin("init-sipi of a running ap");
	send_ipi(id, ICR_INIT | ICR_ASSERT);
	settle(10);
	send_ipi(id, ICR_SIPI | ICR_ASSERT | (AP_TRAMPOLINE >> 12));
	test_expect("arrives again", wait_for(&ap_arrivals, before + 1, 1000), before + 1);
	test_expect("ap_main again", wait_for(&ap_started[id % MAX_CPUS], 2, 1000), 2);
	clear_hits();
	send_ipi(id, ICR_FIXED | ICR_ASSERT | IPI_VECTOR);
	test_expect("takes IPIs again", wait_for(&ipi_hits[id % MAX_CPUS], 1, 1000), 1);
	test_end();
}

/* ---- costs, in TSC ticks (instructions under QEMU -icount) ---- */

#define BENCH_ROUNDS 1000

/* A fixed IPI to AP 1 and its answer, the sender halting until it comes. */
static void bench_ipi(void)
{
	uint64_t t0, t1;

	pongs = 0;
	cli();
	t0 = rdtsc();
	for (uint32_t i = 1; i <= BENCH_ROUNDS; i++) {
		send_ipi(cpu_ids[1], ICR_FIXED | ICR_ASSERT | PING_VECTOR);
		while (pongs < i) {
			sti_hlt();
			cli();
		}
	}
	t1 = rdtsc();
	sti();
	say(OUT_COM1, "ipi round trip %llu ticks", (unsigned long long)udiv64(t1 - t0, BENCH_ROUNDS, NULL));
}

static uint64_t busy_loop(void)
{
	uint64_t t0 = rdtsc();

	for (volatile uint32_t i = 0; i < 2000000; i++)
		;
	return rdtsc() - t0;
}

/* The same loop without and with a 20 us periodic APIC timer: what each
 * interrupt adds (exit, injection, the handler, its EOI).  The least of
 * five rounds: the parent's own work (it may still be reading a command)
 * counts in the TSC under -icount. */
static void bench_timer(void)
{
	uint64_t plain = ~0ull, best = ~0ull;
	uint32_t n = 0;

	wrmsr(MSR_LVT_TIMER, TIMER_VECTOR | LVT_MASKED);
	wrmsr(MSR_TIMER_DIV, 0xb);
	sti();
	for (unsigned round = 0; round < 5; round++) {
		uint64_t t = busy_loop();

		if (t < plain)
			plain = t;
	}
	for (unsigned round = 0; round < 5; round++) {
		uint64_t timed;

		timer_hits = 0;
		wrmsr(MSR_LVT_TIMER, TIMER_VECTOR | LVT_PERIODIC);
		wrmsr(MSR_TIMER_INIT, 20000);
		timed = busy_loop();
		n = timer_hits;
		wrmsr(MSR_TIMER_INIT, 0);
		if (n && timed > plain && udiv64(timed - plain, n, NULL) < best)
			best = udiv64(timed - plain, n, NULL);
	}
	if (best == ~0ull) {
		test_begin("timer cost");
		test_fail("%u interrupts in the last round, %llu ticks without", n, (unsigned long long)plain);
		test_end();
		return;
	}
	say(OUT_COM1, "timer interrupt %llu ticks (%u interrupts a round)", (unsigned long long)best, n);
}

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static bool has_word(const char *s, const char *w)
{
	for (; s && *s; s++) {
		unsigned i = 0;

		while (w[i] && s[i] == w[i])
			i++;
		if (!w[i] && (s[i] == 0 || s[i] == ' '))
			return true;
	}
	return false;
}

void mboot_main(uint32_t magic, const struct mb_info *mb);

/* Command line: "bench" also prints the costs (tools/bench). */
void mboot_main(uint32_t magic, const struct mb_info *mb)
{
	bool bench = (mb->flags & 4) && has_word((const char *)(uintptr_t)mb->cmdline, "bench");

	(void)magic;
	/* Our GDT (CS 0x08, as the gates say) on every processor. */
	__asm__ volatile("lgdt %0; ljmp $0x08, $1f; 1: mov $0x10, %%eax; mov %%eax, %%ds; mov %%eax, %%es;"
			 "mov %%eax, %%ss"
			 ::"m"(*(const uint8_t(*)[6])ap_gdt_pointer_linear)
			 : "eax", "memory");
	idt_set_exceptions();
	idt_set(IPI_VECTOR, (void (*)(void))ipi_isr);
	idt_set(TIMER_VECTOR, (void (*)(void))timer_isr_c);
	idt_set(PING_VECTOR, (void (*)(void))ping_isr);
	idt_set(PONG_VECTOR, (void (*)(void))pong_isr);
	idt_set(2 /* NMI */, (void (*)(void))nmi_isr);
	idt_set(COM1_VECTOR, (void (*)(void))com1_isr);
	idt_load();
	test_xapic();
	say(OUT_COM1, "BSP APIC ID %u", apic_id());

	find_cpus();
	if (cpus >= 2) {
		test_start_aps();
		test_fixed_physical();
		test_shorthands();
		if (cpus >= 4) {
			test_logical();
			test_lowest();
		}
		test_nmi();
		test_restart();
	}
	test_tpr();
	test_timer();
	test_ioapic("ioapic edge", false);
	test_ioapic("ioapic level", true);
	if (bench && cpus >= 2)
		bench_ipi();
	if (bench)
		bench_timer();

	if (tests_failed)
		print(OUT_BOTH, "FAIL %s: %u failed\n", guest_name, tests_failed);
	else
		print(OUT_BOTH, "PASS %s: all\n", guest_name);
	outb(EXIT_PORT, (uint8_t)(0x10 + tests_failed));
	for (;;)
		__asm__ volatile("cli; hlt");
}
