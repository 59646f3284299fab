/*
 * Host unit tests for a child's ACPI tables (parent/acpi_tables.c) and the
 * AML emitter under them (parent/aml.c): every table reached from the RSDP
 * the way an OS walks them, lengths, checksums, the FADT's hardware-reduced
 * fields, the MADT's entries for 1 to 64 VPs, the DSDT's bytes, and the
 * emitter's encodings one by one.
 *
 * The AML is also checked by an independent parser: iasl (Debian package
 * acpica-tools) disassembles the tables and compiles the disassembly back,
 * which must give the same bytes.  Without iasl those tests fail, saying so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "parent/acpi_tables.h"
#include "parent/aml.h"

#define LOW_GPA  0xe0000ull
#define HIGH_GPA 0x100000000ull /* 4 GiB: only the 64-bit pointers can reach it */

static uint8_t region[ACPI_TABLES_SIZE];

static struct acpi_platform platform(unsigned vp_count)
{
	struct acpi_platform cfg = {
		.vp_count = vp_count,
		.ioapic_id = 0,
		.ioapic_address = ACPI_IOAPIC_ADDRESS,
		.sleep_control_port = 0x5e8,
		.sleep_status_port = 0x5e9,
		.reset_port = 0xcf9,
		.reset_value = 0x06,
		.com1 = true,
		.com1_irq = 4,
	};

	return cfg;
}

static uint64_t build(const struct acpi_platform *cfg, uint64_t gpa)
{
	uint64_t rsdp_gpa = 0;

	memset(region, 0xa5, sizeof(region));
	assert_int_equal(acpi_tables_build(region, sizeof(region), gpa, cfg, &rsdp_gpa), 0);
	return rsdp_gpa;
}

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += b[i];
	return s;
}

/*
 * The table at guest-physical `addr`, as an OS would find it: inside the
 * region copied at `gpa`, with signature `sig`, a Length that fits, and a
 * checksum that sums to 0.
 */
static const struct acpi_header *table_at(uint64_t gpa, uint64_t addr, const char *sig)
{
	const struct acpi_header *h;

	assert_true(addr >= gpa);
	assert_true(addr - gpa + sizeof(struct acpi_header) <= ACPI_TABLES_SIZE);
	h = (const struct acpi_header *)(region + (addr - gpa));
	assert_memory_equal(h->signature, sig, 4);
	assert_true(h->length >= sizeof(*h));
	assert_true(addr - gpa + h->length <= ACPI_TABLES_SIZE);
	assert_int_equal(sum(h, h->length), 0);
	return h;
}

static const struct acpi_rsdp *rsdp_of(void)
{
	return (const struct acpi_rsdp *)(region + ACPI_TABLES_RSDP_OFFSET);
}

static uint64_t xsdt_entry(const struct acpi_header *xsdt, unsigned i)
{
	uint64_t e;

	memcpy(&e, (const uint8_t *)(xsdt + 1) + 8 * i, 8);
	return e;
}

/* Follows RSDP -> XSDT -> FADT, MADT and FADT -> DSDT. */
struct walk {
	const struct acpi_header *xsdt, *dsdt;
	const struct acpi_fadt *fadt;
	const struct acpi_madt *madt;
};

static struct walk walk_tables(uint64_t gpa, uint64_t rsdp_gpa)
{
	const struct acpi_rsdp *rsdp;
	struct walk w = { 0 };
	unsigned entries;

	assert_true(rsdp_gpa >= gpa && rsdp_gpa - gpa + sizeof(*rsdp) <= ACPI_TABLES_SIZE);
	assert_int_equal(rsdp_gpa % 16, 0);
	rsdp = (const struct acpi_rsdp *)(region + (rsdp_gpa - gpa));
	assert_memory_equal(rsdp->signature, "RSD PTR ", 8);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(sum(rsdp, sizeof(*rsdp)), 0);

	w.xsdt = table_at(gpa, rsdp->xsdt_address, "XSDT");
	assert_int_equal((w.xsdt->length - sizeof(struct acpi_header)) % 8, 0);
	entries = (w.xsdt->length - sizeof(struct acpi_header)) / 8;
	assert_int_equal(entries, 2);
	w.fadt = (const struct acpi_fadt *)table_at(gpa, xsdt_entry(w.xsdt, 0), "FACP");
	w.madt = (const struct acpi_madt *)table_at(gpa, xsdt_entry(w.xsdt, 1), "APIC");
	assert_int_equal(w.fadt->header.length, sizeof(struct acpi_fadt));
	w.dsdt = table_at(gpa, w.fadt->x_dsdt, "DSDT");
	return w;
}

/* ---- The table set ---------------------------------------------------- */

static void rsdp_fields(void **state)
{
	struct acpi_platform cfg = platform(2);
	uint64_t rsdp_gpa = build(&cfg, LOW_GPA);
	const struct acpi_rsdp *rsdp = rsdp_of();

	assert_int_equal(rsdp_gpa, LOW_GPA + ACPI_TABLES_RSDP_OFFSET);
	assert_memory_equal(rsdp->signature, "RSD PTR ", 8);
	assert_memory_equal(rsdp->oem_id, "KEEL  ", 6);
	assert_int_equal(rsdp->revision, 2);
	assert_int_equal(rsdp->length, 36);
	assert_int_equal(rsdp->rsdt_address, 0);
	assert_int_equal(rsdp->xsdt_address, LOW_GPA + ACPI_TABLES_XSDT_OFFSET);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(sum(rsdp, 36), 0);
	assert_memory_equal(rsdp->reserved, "\0\0\0", 3);
}

/* Every pointer lands on the right table at the documented offset, at a
 * GPA below 4 GiB and above it, for 1, 2 and 64 VPs. */
static void tables_reached_from_rsdp(void **state)
{
	const uint64_t gpas[] = { LOW_GPA, 0x7fff0000ull, HIGH_GPA, HIGH_GPA + 0x123450ull };
	const unsigned vps[] = { 1, 2, 64 };

	for (unsigned g = 0; g < sizeof(gpas) / sizeof(gpas[0]); g++) {
		for (unsigned v = 0; v < sizeof(vps) / sizeof(vps[0]); v++) {
			struct acpi_platform cfg = platform(vps[v]);
			uint64_t gpa = gpas[g];
			struct walk w = walk_tables(gpa, build(&cfg, gpa));

			assert_ptr_equal(w.xsdt, region + ACPI_TABLES_XSDT_OFFSET);
			assert_ptr_equal(w.fadt, region + ACPI_TABLES_FADT_OFFSET);
			assert_ptr_equal(w.madt, region + ACPI_TABLES_MADT_OFFSET);
			assert_ptr_equal(w.dsdt, region + ACPI_TABLES_DSDT_OFFSET);
			assert_int_equal(xsdt_entry(w.xsdt, 0), gpa + ACPI_TABLES_FADT_OFFSET);
			assert_int_equal(xsdt_entry(w.xsdt, 1), gpa + ACPI_TABLES_MADT_OFFSET);
			assert_int_equal(w.xsdt->length, 36 + 16);
			assert_int_equal(w.madt->header.length, 62 + 8 * vps[v]);
			/* Each table ends before the next begins. */
			assert_true(ACPI_TABLES_XSDT_OFFSET + w.xsdt->length <=
				    ACPI_TABLES_FADT_OFFSET);
			assert_true(ACPI_TABLES_FADT_OFFSET + w.fadt->header.length <=
				    ACPI_TABLES_MADT_OFFSET);
			assert_true(ACPI_TABLES_MADT_OFFSET + w.madt->header.length <=
				    ACPI_TABLES_DSDT_OFFSET);
		}
	}
}

/* Bytes outside the tables are zero, whatever the buffer held before. */
static void gaps_are_zero(void **state)
{
	struct acpi_platform cfg = platform(3);
	struct walk w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	const size_t spans[][2] = {
		{ ACPI_TABLES_RSDP_OFFSET + 36, ACPI_TABLES_XSDT_OFFSET },
		{ ACPI_TABLES_XSDT_OFFSET + 52, ACPI_TABLES_FADT_OFFSET },
		{ ACPI_TABLES_FADT_OFFSET + 276, ACPI_TABLES_MADT_OFFSET },
		{ ACPI_TABLES_MADT_OFFSET + 62 + 8 * 3, ACPI_TABLES_DSDT_OFFSET },
		{ ACPI_TABLES_DSDT_OFFSET + w.dsdt->length, ACPI_TABLES_SIZE },
	};

	for (unsigned i = 0; i < sizeof(spans) / sizeof(spans[0]); i++)
		for (size_t b = spans[i][0]; b < spans[i][1]; b++)
			assert_int_equal(region[b], 0);
}

static void headers_identity(void **state)
{
	struct acpi_platform cfg = platform(1);
	struct walk w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	const struct acpi_header *tables[] = { w.xsdt, &w.fadt->header, &w.madt->header, w.dsdt };
	const uint8_t revisions[] = { 1, 6, 5, 2 };

	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(tables[i]->revision, revisions[i]);
		assert_memory_equal(tables[i]->oem_id, "KEEL  ", 6);
		assert_memory_equal(tables[i]->oem_table_id, "KEELVM  ", 8);
		assert_int_equal(tables[i]->oem_revision, 1);
		assert_memory_equal(tables[i]->creator_id, "KEEL", 4);
		assert_int_equal(tables[i]->creator_revision, 1);
	}
}

static void assert_io_byte(const struct acpi_gas *gas, uint16_t port)
{
	assert_int_equal(gas->space_id, ACPI_GAS_SYSTEM_IO);
	assert_int_equal(gas->bit_width, 8);
	assert_int_equal(gas->bit_offset, 0);
	assert_int_equal(gas->access_size, ACPI_GAS_ACCESS_BYTE);
	assert_int_equal(gas->address, port);
}

static void assert_gas_zero(const struct acpi_gas *gas)
{
	static const struct acpi_gas zero;

	assert_memory_equal(gas, &zero, sizeof(zero));
}

static void fadt_hardware_reduced(void **state)
{
	struct acpi_platform cfg = platform(4);
	struct walk w = walk_tables(HIGH_GPA, build(&cfg, HIGH_GPA));
	const struct acpi_fadt *f = w.fadt;

	assert_int_equal(f->header.revision, 6);
	assert_int_equal(f->minor_version, 3);
	assert_int_equal(f->flags, ACPI_FADT_HW_REDUCED_ACPI | ACPI_FADT_RESET_REG_SUP |
					   ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON);
	assert_int_equal(f->iapc_boot_arch, ACPI_FADT_BOOT_NO_VGA | ACPI_FADT_BOOT_NO_CMOS_RTC);
	assert_false(f->iapc_boot_arch & (ACPI_FADT_BOOT_LEGACY_DEVICES | ACPI_FADT_BOOT_8042));
	/* 64-bit pointers only; no FACS. */
	assert_int_equal(f->dsdt, 0);
	assert_int_equal(f->x_dsdt, HIGH_GPA + ACPI_TABLES_DSDT_OFFSET);
	assert_int_equal(f->firmware_ctrl, 0);
	assert_int_equal(f->x_firmware_ctrl, 0);
	/* No SCI, SMI command port or fixed-hardware blocks. */
	assert_int_equal(f->sci_int, 0);
	assert_int_equal(f->smi_cmd, 0);
	assert_int_equal(f->acpi_enable, 0);
	assert_int_equal(f->acpi_disable, 0);
	assert_int_equal(f->pm1a_evt_blk | f->pm1b_evt_blk | f->pm1a_cnt_blk | f->pm1b_cnt_blk |
				 f->pm2_cnt_blk | f->pm_tmr_blk | f->gpe0_blk | f->gpe1_blk,
			 0);
	assert_int_equal(f->pm1_evt_len | f->pm1_cnt_len | f->pm2_cnt_len | f->pm_tmr_len |
				 f->gpe0_blk_len | f->gpe1_blk_len,
			 0);
	assert_gas_zero(&f->x_pm1a_evt_blk);
	assert_gas_zero(&f->x_pm1b_evt_blk);
	assert_gas_zero(&f->x_pm1a_cnt_blk);
	assert_gas_zero(&f->x_pm1b_cnt_blk);
	assert_gas_zero(&f->x_pm2_cnt_blk);
	assert_gas_zero(&f->x_pm_tmr_blk);
	assert_gas_zero(&f->x_gpe0_blk);
	assert_gas_zero(&f->x_gpe1_blk);
	assert_memory_equal(f->hypervisor_vendor_id, "KEEL\0\0\0\0", 8);
	/* The hypervisor vendor identity sits at offset 268 (ACPI 6.x). */
	assert_memory_equal((const uint8_t *)f + 268, "KEEL", 4);
}

static void fadt_sleep_and_reset_registers(void **state)
{
	struct acpi_platform cfg = platform(1);
	struct walk w;

	w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	assert_io_byte(&w.fadt->sleep_control_reg, 0x5e8);
	assert_io_byte(&w.fadt->sleep_status_reg, 0x5e9);
	assert_io_byte(&w.fadt->reset_reg, 0xcf9);
	assert_int_equal(w.fadt->reset_value, 0x06);

	/* One port for both sleep registers, another reset port and value. */
	cfg.sleep_control_port = 0x600;
	cfg.sleep_status_port = 0x600;
	cfg.reset_port = 0x601;
	cfg.reset_value = 0xfe;
	w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	assert_io_byte(&w.fadt->sleep_control_reg, 0x600);
	assert_io_byte(&w.fadt->sleep_status_reg, 0x600);
	assert_io_byte(&w.fadt->reset_reg, 0x601);
	assert_int_equal(w.fadt->reset_value, 0xfe);
	/* The raw offsets a parser like Linux's reads. */
	assert_int_equal(((const uint8_t *)w.fadt)[244], ACPI_GAS_SYSTEM_IO);
	assert_int_equal(((const uint8_t *)w.fadt)[116], ACPI_GAS_SYSTEM_IO);
	assert_int_equal(((const uint8_t *)w.fadt)[128], 0xfe);
}

/* Every VP count from 1 to 64: one enabled local APIC per VP with UID =
 * APIC ID = VP index, then the IOAPIC, then the LINT1 NMI. */
static void madt_entries_every_vp_count(void **state)
{
	for (unsigned vps = 1; vps <= ACPI_MAX_VPS; vps++) {
		struct acpi_platform cfg = platform(vps);
		struct walk w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
		const uint8_t *p = (const uint8_t *)w.madt + sizeof(struct acpi_madt);
		const uint8_t *end = (const uint8_t *)w.madt + w.madt->header.length;
		unsigned lapics = 0, ioapics = 0, nmis = 0, entries = 0;

		assert_int_equal(w.madt->lapic_address, 0xfee00000u);
		assert_int_equal(w.madt->flags & ACPI_MADT_PCAT_COMPAT, 0);
		for (; p < end; p += p[1], entries++) {
			assert_true(p + 2 <= end && p[1] >= 2 && p + p[1] <= end);
			if (p[0] == ACPI_MADT_LAPIC) {
				const struct acpi_madt_lapic *l = (const void *)p;

				assert_int_equal(ioapics + nmis, 0); /* processors first */
				assert_int_equal(l->length, 8);
				assert_int_equal(l->processor_uid, lapics);
				assert_int_equal(l->apic_id, lapics);
				assert_int_equal(l->flags, ACPI_MADT_ENABLED);
				lapics++;
			} else if (p[0] == ACPI_MADT_IOAPIC) {
				ioapics++;
			} else if (p[0] == ACPI_MADT_LAPIC_NMI) {
				nmis++;
			} else {
				fail_msg("unexpected MADT entry type %u", p[0]);
			}
		}
		assert_ptr_equal(p, end);
		assert_int_equal(lapics, vps);
		assert_int_equal(ioapics, 1);
		assert_int_equal(nmis, 1);
		assert_int_equal(entries, vps + 2);
	}
}

static void madt_ioapic_and_nmi(void **state)
{
	struct acpi_platform cfg = platform(2);
	const uint8_t *e;
	const struct acpi_madt_ioapic *io;
	const struct acpi_madt_lapic_nmi *nmi;
	struct walk w;

	cfg.ioapic_id = 9;
	cfg.ioapic_address = 0xfec01000u;
	w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	e = (const uint8_t *)w.madt + sizeof(struct acpi_madt) + 2 * 8;
	io = (const struct acpi_madt_ioapic *)e;
	assert_int_equal(io->type, ACPI_MADT_IOAPIC);
	assert_int_equal(io->length, 12);
	assert_int_equal(io->ioapic_id, 9);
	assert_int_equal(io->reserved, 0);
	assert_int_equal(io->address, 0xfec01000u);
	assert_int_equal(io->gsi_base, 0);

	nmi = (const struct acpi_madt_lapic_nmi *)(e + 12);
	assert_int_equal(nmi->type, ACPI_MADT_LAPIC_NMI);
	assert_int_equal(nmi->length, 6);
	assert_int_equal(nmi->processor_uid, 0xff);
	assert_int_equal(nmi->flags, 0x0005); /* edge, active high */
	assert_int_equal(nmi->lint, 1);
}

/* ASL:
 *   Scope (\_SB) { Device (COM1) { Name (_HID, EisaId ("PNP0501"))
 *     Name (_UID, One) Name (_CRS, ResourceTemplate () {
 *       IO (Decode16, 0x3F8, 0x3F8, 1, 8) IRQNoFlags () {4} }) } }
 *   Name (_S5, Package (4) { 5, 0, 0, 0 })
 * encoded by hand from ACPI 6.3 §20.2 and §6.4. */
static const uint8_t dsdt_com1_irq4[] = {
	0x10, 0x33, '\\', '_', 'S', 'B', '_',             /* Scope, PkgLength 51 */
	0x5b, 0x82, 0x2b, 'C', 'O', 'M', '1',             /* Device, PkgLength 43 */
	0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01,
	0x08, '_', 'U', 'I', 'D', 0x01,
	0x08, '_', 'C', 'R', 'S', 0x11, 0x10, 0x0a, 0x0d, /* Buffer, PkgLength 16, size 13 */
	0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,   /* IO */
	0x22, 0x10, 0x00,                                 /* IRQNoFlags {4} */
	0x79, 0x00,                                       /* end tag */
	0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04,       /* Package, PkgLength 7, 4 elements */
	0x0a, 0x05, 0x00, 0x00, 0x00,
};

static void dsdt_bytes(void **state)
{
	struct acpi_platform cfg = platform(1);
	struct walk w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));

	assert_int_equal(w.dsdt->length, 36 + sizeof(dsdt_com1_irq4));
	assert_memory_equal(w.dsdt + 1, dsdt_com1_irq4, sizeof(dsdt_com1_irq4));
}

static bool dsdt_contains(const struct acpi_header *dsdt, const void *bytes, size_t n)
{
	const uint8_t *p = (const uint8_t *)dsdt;

	for (size_t i = sizeof(*dsdt); i + n <= dsdt->length; i++)
		if (!memcmp(p + i, bytes, n))
			return true;
	return false;
}

static void dsdt_com1_options(void **state)
{
	struct acpi_platform cfg = platform(1);
	const uint8_t irq3[] = { 0x22, 0x08, 0x00, 0x79, 0x00 };
	const uint8_t irq15[] = { 0x22, 0x00, 0x80, 0x79, 0x00 };
	const uint8_t s5[] = { '_', 'S', '5', '_', 0x12 };
	struct walk w;

	cfg.com1_irq = 3;
	w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	assert_true(dsdt_contains(w.dsdt, irq3, sizeof(irq3)));
	cfg.com1_irq = 15;
	w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	assert_true(dsdt_contains(w.dsdt, irq15, sizeof(irq15)));

	/* Without COM1: an empty \_SB scope and \_S5. */
	cfg.com1 = false;
	w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	assert_false(dsdt_contains(w.dsdt, "COM1", 4));
	assert_false(dsdt_contains(w.dsdt, "\x41\xd0\x05\x01", 4));
	assert_true(dsdt_contains(w.dsdt, "\x10\x06\\_SB_", 7));
	assert_true(dsdt_contains(w.dsdt, s5, sizeof(s5)));
}

/* ASL: Device (VMBS) { Name (_HID, "VMBUS") Name (_UID, Zero)
 *   Name (_CRS, ResourceTemplate () {}) }, encoded by hand (ACPI 6.3 §20.2). */
static void dsdt_vmbus(void **state)
{
	static const uint8_t vmbs[] = {
		0x5b, 0x82, 0x22, 'V', 'M', 'B', 'S',             /* Device, PkgLength 34 */
		0x08, '_', 'H', 'I', 'D', 0x0d, 'V', 'M', 'B', 'U', 'S', 0x00,
		0x08, '_', 'U', 'I', 'D', 0x00,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x05, 0x0a, 0x02, 0x79, 0x00,
	};
	struct acpi_platform cfg = platform(1);
	struct walk w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));

	assert_false(dsdt_contains(w.dsdt, "VMBS", 4));
	cfg.vmbus = true;
	w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	assert_true(dsdt_contains(w.dsdt, vmbs, sizeof(vmbs)));
}

/* ASL: Device (RTC0) { Name (_HID, EisaId ("PNP0B00"))
 *   Name (_CRS, ResourceTemplate () { IO (Decode16, 0x70, 0x70, 1, 2) }) },
 * encoded by hand (ACPI 6.3 §20.2, §6.4.2.5); with it the FADT no longer
 * says there is no CMOS clock, and iasl reads it back. */
static size_t count(const char *text, const char *needle);
static char *iasl_round_trip(const struct acpi_header *table, bool recompile);

static void dsdt_rtc(void **state)
{
	static const uint8_t rtc0[] = {
		0x5b, 0x82, 0x22, 'R', 'T', 'C', '0',             /* Device, PkgLength 34 */
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0b, 0x00,
		0x08, '_', 'C', 'R', 'S', 0x11, 0x0d, 0x0a, 0x0a, /* Buffer, PkgLength 13, size 10 */
		0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02,   /* IO */
		0x79, 0x00,                                       /* end tag */
	};
	struct acpi_platform cfg = platform(1);
	struct walk w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	char *dsl;

	assert_false(dsdt_contains(w.dsdt, "RTC0", 4));
	assert_true(w.fadt->iapc_boot_arch & ACPI_FADT_BOOT_NO_CMOS_RTC);
	cfg.rtc = true;
	w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	assert_true(dsdt_contains(w.dsdt, rtc0, sizeof(rtc0)));
	assert_int_equal(w.fadt->iapc_boot_arch, ACPI_FADT_BOOT_NO_VGA);

	dsl = iasl_round_trip(w.dsdt, true);
	assert_non_null(strstr(dsl, "Device (RTC0)"));
	assert_non_null(strstr(dsl, "Name (_HID, EisaId (\"PNP0B00\")"));
	assert_int_equal(count(dsl, "0x0070,"), 2); /* range minimum and maximum */
	free(dsl);
}

/* The \_S5 package's SLP_TYP, written as the sleep control register wants
 * it, is what acpi_sleep_control_is_s5 recognizes. */
static void s5_matches_sleep_control(void **state)
{
	struct acpi_platform cfg = platform(1);
	struct walk w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	const uint8_t *d = (const uint8_t *)w.dsdt;
	uint8_t slp_typ = 0xff, write;
	bool found = false;

	for (size_t i = sizeof(struct acpi_header); i + 8 <= w.dsdt->length; i++) {
		if (memcmp(d + i, "_S5_\x12", 5))
			continue;
		/* PkgLength (1 byte here), NumElements, first element. */
		assert_int_equal(d[i + 6], 4);
		if (d[i + 7] == 0x0a)
			slp_typ = d[i + 8];
		else if (d[i + 7] <= 1)
			slp_typ = d[i + 7];
		found = true;
		break;
	}
	assert_true(found);
	assert_int_equal(slp_typ, ACPI_S5_SLP_TYP);

	write = (uint8_t)(slp_typ << 2 | 0x20);
	assert_true(acpi_sleep_control_is_s5(write));
	assert_false(acpi_sleep_control_is_s5(slp_typ << 2));           /* no SLP_EN */
	assert_false(acpi_sleep_control_is_s5((uint8_t)(0 << 2 | 0x20))); /* S0 type */
	assert_true(acpi_sleep_control_is_s5((uint8_t)(write | 0x80 | 0x03)));
}

static void invalid_configs_rejected(void **state)
{
	static uint8_t snapshot[ACPI_TABLES_SIZE];
	struct acpi_platform bad[8], good = platform(1);
	uint64_t rsdp_gpa = 0x1234;

	for (unsigned i = 0; i < 8; i++)
		bad[i] = platform(1);
	bad[0].vp_count = 0;
	bad[1].vp_count = ACPI_MAX_VPS + 1;
	bad[2].ioapic_id = ACPI_IOAPIC_ID_MAX + 1;
	bad[3].ioapic_address = 0;
	bad[4].sleep_control_port = 0;
	bad[5].sleep_status_port = 0;
	bad[6].reset_port = 0;
	bad[7].com1_irq = ACPI_ISA_IRQ_MAX + 1;

	memset(region, 0x5a, sizeof(region));
	memcpy(snapshot, region, sizeof(region));
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(
			acpi_tables_build(region, sizeof(region), LOW_GPA, &bad[i], &rsdp_gpa), -1);
	/* The buffer's size, the GPA's alignment, a region past 2^64. */
	assert_int_equal(acpi_tables_build(region, ACPI_TABLES_SIZE - 1, LOW_GPA, &good, &rsdp_gpa),
			 -1);
	assert_int_equal(acpi_tables_build(region, sizeof(region), LOW_GPA + 8, &good, &rsdp_gpa),
			 -1);
	assert_int_equal(acpi_tables_build(region, sizeof(region), UINT64_MAX - 0xfff, &good,
					   &rsdp_gpa),
			 -1);
	/* Nothing was written. */
	assert_memory_equal(region, snapshot, sizeof(region));
	assert_int_equal(rsdp_gpa, 0x1234);

	/* The limits themselves are accepted. */
	assert_int_equal(acpi_tables_build(region, sizeof(region), UINT64_MAX - 0x100f, &good,
					   &rsdp_gpa),
			 0);
	assert_int_equal(rsdp_gpa, UINT64_MAX - 0x100f);
	good.vp_count = ACPI_MAX_VPS;
	good.ioapic_id = ACPI_IOAPIC_ID_MAX;
	good.com1_irq = ACPI_ISA_IRQ_MAX;
	assert_int_equal(acpi_tables_build(region, sizeof(region), 0, &good, &rsdp_gpa), 0);
	/* A COM1 IRQ out of range does not matter without COM1. */
	bad[7].com1 = false;
	assert_int_equal(acpi_tables_build(region, sizeof(region), LOW_GPA, &bad[7], &rsdp_gpa), 0);
}

/* ---- iasl: an independent parser ----------------------------------------- */

static bool iasl_present(void)
{
	return system("command -v iasl >/dev/null 2>&1") == 0;
}

static void require_iasl(void)
{
	if (!iasl_present())
		fail_msg("iasl not found: install the Debian package acpica-tools");
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The whole file at `path`, NUL-terminated, in a malloc'ed buffer. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	text = malloc((size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	text[size] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)size;
	return text;
}

static void remove_dir(const char *dir)
{
	char line[300];

	snprintf(line, sizeof(line), "rm -rf '%s'", dir);
	assert_int_equal(system(line), 0);
}

static void run(const char *dir, const char *command)
{
	char line[512];
	int rc;

	snprintf(line, sizeof(line), "cd '%s' && %s >>iasl.log 2>&1", dir, command);
	rc = system(line);
	if (rc != 0) {
		char log[300];
		char *text;

		snprintf(log, sizeof(log), "%s/iasl.log", dir);
		text = read_file(log, NULL);
		print_error("%s\n", text);
		free(text);
		remove_dir(dir);
		fail_msg("`%s` failed (status %d) in %s", command, rc, dir);
	}
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/*
 * Disassemble `table` with iasl; returns the disassembly (malloc'ed).  With
 * `recompile`, compile it back without optimizations and require the same
 * AML bytes after the header (the compiler writes its own creator fields).
 */
static char *iasl_round_trip(const struct acpi_header *table, bool recompile)
{
	char dir[] = "/tmp/keel-acpi-XXXXXX";
	char path[300];
	char *dsl;

	require_iasl();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/table.dat", dir);
	write_file(path, table, table->length);
	run(dir, "iasl -vs -d table.dat");
	snprintf(path, sizeof(path), "%s/table.dsl", dir);
	dsl = read_file(path, NULL);
	assert_null(strstr(dsl, "Incorrect checksum"));

	if (recompile) {
		char *aml;
		size_t len;

		run(dir, "iasl -vs -oa -p again table.dsl");
		snprintf(path, sizeof(path), "%s/again.aml", dir);
		aml = read_file(path, &len);
		assert_int_equal(len, table->length);
		assert_memory_equal(aml + sizeof(*table), table + 1, len - sizeof(*table));
		free(aml);
	}
	remove_dir(dir);
	return dsl;
}

static void iasl_disassembles_dsdt(void **state)
{
	struct acpi_platform cfg = platform(2);
	struct walk w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	char *dsl = iasl_round_trip(w.dsdt, true);

	assert_non_null(
		strstr(dsl, "DefinitionBlock (\"\", \"DSDT\", 2, \"KEEL  \", \"KEELVM  \""));
	assert_non_null(strstr(dsl, "Scope (\\_SB)"));
	assert_non_null(strstr(dsl, "Device (COM1)"));
	assert_non_null(strstr(dsl, "Name (_HID, EisaId (\"PNP0501\")"));
	assert_non_null(strstr(dsl, "Name (_UID, One)"));
	assert_non_null(strstr(dsl, "Name (_CRS, ResourceTemplate ()"));
	assert_non_null(strstr(dsl, "IO (Decode16,"));
	assert_int_equal(count(dsl, "0x03F8,"), 2); /* range minimum and maximum */
	assert_non_null(strstr(dsl, "0x08,               // Length"));
	assert_non_null(strstr(dsl, "IRQNoFlags ()"));
	assert_non_null(strstr(dsl, "{4}"));
	assert_non_null(strstr(dsl, "Name (_S5, Package (0x04)"));
	assert_non_null(strstr(dsl, "0x05, "));
	free(dsl);

	cfg.com1 = false;
	w = walk_tables(LOW_GPA, build(&cfg, LOW_GPA));
	dsl = iasl_round_trip(w.dsdt, true);
	assert_null(strstr(dsl, "PNP0501"));
	assert_non_null(strstr(dsl, "Name (_S5, Package (0x04)"));
	free(dsl);
}

/* iasl's table decoder agrees with the FADT and MADT fields. */
static void iasl_decodes_fadt_and_madt(void **state)
{
	struct acpi_platform cfg = platform(5);
	struct walk w = walk_tables(HIGH_GPA, build(&cfg, HIGH_GPA));
	char *dsl = iasl_round_trip(&w.fadt->header, false);

	assert_non_null(strstr(dsl, "Hardware Reduced (V5) : 1"));
	assert_non_null(strstr(dsl, "Reset Register Supported (V2) : 1"));
	assert_non_null(strstr(dsl, "FADT Minor Revision : 03"));
	assert_non_null(strstr(dsl, "DSDT Address : 0000000100000480"));
	assert_non_null(strstr(dsl, "Address : 0000000000000CF9"));
	assert_non_null(strstr(dsl, "Address : 00000000000005E8"));
	assert_non_null(strstr(dsl, "Address : 00000000000005E9"));
	assert_int_equal(count(dsl, "Space ID : 01 [SystemIO]"), 3);
	free(dsl);

	dsl = iasl_round_trip(&w.madt->header, false);
	assert_non_null(strstr(dsl, "Local Apic Address : FEE00000"));
	assert_non_null(strstr(dsl, "PC-AT Compatibility : 0"));
	assert_int_equal(count(dsl, "[Processor Local APIC]"), 5);
	assert_int_equal(count(dsl, "Processor Enabled : 1"), 5);
	assert_int_equal(count(dsl, "[I/O APIC]"), 1);
	assert_non_null(strstr(dsl, "Address : FEC00000"));
	assert_int_equal(count(dsl, "[Local APIC NMI]"), 1);
	assert_non_null(strstr(dsl, "Interrupt Input LINT : 01"));
	free(dsl);
}

/* ---- The AML emitter ----------------------------------------------------- */

static uint8_t aml_buf[(1u << 20) + 64];

static void assert_aml(const struct aml *a, const void *bytes, size_t n)
{
	assert_false(a->failed);
	assert_int_equal(a->len, n);
	assert_memory_equal(a->dst, bytes, n);
}

static void aml_integers(void **state)
{
	static const struct {
		uint64_t value;
		uint8_t bytes[9];
		size_t n;
	} cases[] = {
		{ 0, { 0x00 }, 1 },
		{ 1, { 0x01 }, 1 },
		{ 2, { 0x0a, 0x02 }, 2 },
		{ 0xff, { 0x0a, 0xff }, 2 },
		{ 0x100, { 0x0b, 0x00, 0x01 }, 3 },
		{ 0xffff, { 0x0b, 0xff, 0xff }, 3 },
		{ 0x10000, { 0x0c, 0x00, 0x00, 0x01, 0x00 }, 5 },
		{ 0xfee00000, { 0x0c, 0x00, 0x00, 0xe0, 0xfe }, 5 },
		{ 0x100000000ull, { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 }, 9 },
		{ UINT64_MAX, { 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9 },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct aml a;

		aml_init(&a, aml_buf, sizeof(aml_buf));
		aml_integer(&a, cases[i].value);
		assert_aml(&a, cases[i].bytes, cases[i].n);
	}
}

static void aml_names(void **state)
{
	static const struct {
		const char *text;
		const char *bytes;
		size_t n;
	} good[] = {
		{ "_S5", "_S5_", 4 },
		{ "COM1", "COM1", 4 },
		{ "A", "A___", 4 },
		{ "\\_SB", "\\_SB_", 5 },
		{ "\\_SB.COM1", "\\\x2e_SB_COM1", 10 },
		{ "_SB.PCI0.ISA", "\x2f\x03_SB_PCI0ISA_", 14 },
		{ "^^FOO", "^^FOO_", 6 },
	};
	static const char *const bad[] = {
		"", "1ABC", "ABCDE", "abc", "A..B", "A.", ".A", "\\", "A-B",
	};

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct aml a;

		aml_init(&a, aml_buf, sizeof(aml_buf));
		aml_name(&a, good[i].text);
		assert_aml(&a, good[i].bytes, good[i].n);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct aml a;

		aml_init(&a, aml_buf, sizeof(aml_buf));
		aml_name(&a, bad[i]);
		assert_true(a.failed);
	}
}

static void aml_eisaids_and_strings(void **state)
{
	const uint8_t pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	struct aml a;

	assert_int_equal(aml_eisaid_value("PNP0501"), 0x0105d041u);
	assert_int_equal(aml_eisaid_value("PNP0C0C"), 0x0c0cd041u); /* power button */
	assert_int_equal(aml_eisaid_value("PNP0A03"), 0x030ad041u); /* PCI bus */
	assert_int_equal(aml_eisaid_value("pnp0501"), 0);
	assert_int_equal(aml_eisaid_value("PNP05O1"), 0);
	assert_int_equal(aml_eisaid_value("PNP050"), 0);
	assert_int_equal(aml_eisaid_value("PNP05011"), 0);

	aml_init(&a, aml_buf, sizeof(aml_buf));
	aml_eisaid(&a, "PNP0501");
	assert_aml(&a, pnp0501, sizeof(pnp0501));
	aml_eisaid(&a, "bad");
	assert_true(a.failed);

	aml_init(&a, aml_buf, sizeof(aml_buf));
	aml_string(&a, "VMBUS");
	assert_aml(&a, "\x0dVMBUS\0", 7);
	aml_string(&a, "tab\t");
	assert_true(a.failed);
}

/* A PkgLength around `body` filler bytes: its encoded bytes, and the body
 * intact behind them. */
static void check_pkg_length(size_t body, const uint8_t *pkg, size_t pkg_len)
{
	struct aml a;
	size_t at;

	aml_init(&a, aml_buf, sizeof(aml_buf));
	aml_byte(&a, AML_SCOPE);
	at = aml_open(&a);
	for (size_t i = 0; i < body; i++)
		aml_byte(&a, (uint8_t)(i * 7 + 3));
	aml_close(&a, at);
	assert_false(a.failed);
	assert_int_equal(at, 1);
	assert_int_equal(a.len, 1 + pkg_len + body);
	assert_memory_equal(aml_buf + 1, pkg, pkg_len);
	for (size_t i = 0; i < body; i++)
		assert_int_equal(aml_buf[1 + pkg_len + i], (uint8_t)(i * 7 + 3));
}

static void aml_pkg_length_forms(void **state)
{
	/* 1 byte up to 63 in all; then bits 7:6 count the following bytes,
	 * bits 3:0 hold the low nibble and the rest follows, 8 bits a byte. */
	check_pkg_length(0, (const uint8_t[]){ 0x01 }, 1);
	check_pkg_length(62, (const uint8_t[]){ 0x3f }, 1);
	check_pkg_length(63, (const uint8_t[]){ 0x41, 0x04 }, 2);                 /* 65 */
	check_pkg_length(4093, (const uint8_t[]){ 0x4f, 0xff }, 2);               /* 4095 */
	check_pkg_length(4094, (const uint8_t[]){ 0x81, 0x00, 0x01 }, 3);         /* 4097 */
	check_pkg_length((1u << 20) - 4, (const uint8_t[]){ 0x8f, 0xff, 0xff }, 3); /* 2^20-1 */
	check_pkg_length((1u << 20) - 3, (const uint8_t[]){ 0xc1, 0x00, 0x00, 0x01 }, 4);
}

static void aml_overflow_latches(void **state)
{
	uint8_t small[8];
	struct aml a;
	size_t at;

	aml_init(&a, small, sizeof(small));
	aml_name_op(&a, "_UID");
	aml_integer(&a, 1);
	assert_false(a.failed);
	assert_int_equal(a.len, 6);
	aml_integer(&a, 0x1000); /* 3 bytes: one too many */
	assert_true(a.failed);
	assert_true(a.len <= sizeof(small));
	aml_init(&a, small, sizeof(small));
	aml_bytes(&a, "1234567", 7);
	aml_bytes(&a, "89", 2); /* does not fit: nothing of it is written */
	assert_true(a.failed);
	assert_int_equal(a.len, 7);
	aml_init(&a, small, 7);
	aml_bytes(&a, "1234567", 7);
	aml_bytes(&a, "8", 1);
	assert_true(a.failed);
	a.cap = sizeof(small);
	aml_byte(&a, 0); /* would fit now, but the stream has failed */
	assert_int_equal(a.len, 7);

	/* Growing a PkgLength past the end fails too. */
	aml_init(&a, aml_buf, 70);
	at = aml_open(&a);
	for (unsigned i = 0; i < 69; i++)
		aml_byte(&a, 0);
	assert_false(a.failed);
	aml_close(&a, at);
	assert_true(a.failed);
}

/* A DSDT whose scope, device and buffer need the 2- and 3-byte PkgLength
 * forms, read back by iasl and compiled to the same bytes. */
static void iasl_reads_long_pkg_lengths(void **state)
{
	static uint8_t table[16384];
	static uint8_t blob[5000];
	struct acpi_header *h = (struct acpi_header *)table;
	struct aml a;
	size_t sb, dev, pkg;
	char *dsl;

	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 13);
	aml_init(&a, table + sizeof(*h), sizeof(table) - sizeof(*h));
	sb = aml_scope_open(&a, "\\_SB");
	dev = aml_device_open(&a, "BIG0");
	aml_name_op(&a, "TEXT");
	aml_string(&a, "VMBus");
	for (unsigned i = 0; i < 20; i++) {
		char name[5];

		snprintf(name, sizeof(name), "N%03u", i);
		aml_name_op(&a, name);
		aml_integer(&a, (uint64_t)i << (3 * (i % 20)));
	}
	aml_name_op(&a, "BLOB");
	aml_buffer(&a, blob, sizeof(blob));
	aml_close(&a, dev);
	aml_close(&a, sb);
	aml_name_op(&a, "\\_SB.BIG0.PKG0");
	pkg = aml_package_open(&a, 3);
	aml_integer(&a, 0x1234);
	aml_string(&a, "x");
	aml_eisaid(&a, "PNP0C0C");
	aml_close(&a, pkg);
	assert_false(a.failed);
	assert_int_equal(table[sizeof(*h) + 1] >> 6, 2); /* the scope needs 3 bytes */

	memcpy(h->signature, "DSDT", 4);
	h->length = (uint32_t)(sizeof(*h) + a.len);
	h->revision = 2;
	memcpy(h->oem_id, "KEEL  ", 6);
	memcpy(h->oem_table_id, "KEELTEST", 8);
	memcpy(h->creator_id, "KEEL", 4);
	h->checksum = (uint8_t)-sum(h, h->length);

	dsl = iasl_round_trip(h, true);
	assert_non_null(strstr(dsl, "Device (BIG0)"));
	assert_non_null(strstr(dsl, "Name (TEXT, \"VMBus\")"));
	assert_non_null(strstr(dsl, "Name (N019,"));
	assert_non_null(strstr(dsl, "Name (BLOB, Buffer (0x1388)"));
	assert_non_null(strstr(dsl, "Name (\\_SB.BIG0.PKG0, Package (0x03)"));
	assert_non_null(strstr(dsl, "0x0C0CD041")); /* EisaId ("PNP0C0C") outside _HID */
	free(dsl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rsdp_fields),
		cmocka_unit_test(tables_reached_from_rsdp),
		cmocka_unit_test(gaps_are_zero),
		cmocka_unit_test(headers_identity),
		cmocka_unit_test(fadt_hardware_reduced),
		cmocka_unit_test(fadt_sleep_and_reset_registers),
		cmocka_unit_test(madt_entries_every_vp_count),
		cmocka_unit_test(madt_ioapic_and_nmi),
		cmocka_unit_test(dsdt_bytes),
		cmocka_unit_test(dsdt_com1_options),
		cmocka_unit_test(dsdt_vmbus),
		cmocka_unit_test(dsdt_rtc),
		cmocka_unit_test(s5_matches_sleep_control),
		cmocka_unit_test(invalid_configs_rejected),
		cmocka_unit_test(iasl_disassembles_dsdt),
		cmocka_unit_test(iasl_decodes_fadt_and_madt),

		cmocka_unit_test(aml_integers),
		cmocka_unit_test(aml_names),
		cmocka_unit_test(aml_eisaids_and_strings),
		cmocka_unit_test(aml_pkg_length_forms),
		cmocka_unit_test(aml_overflow_latches),
		cmocka_unit_test(iasl_reads_long_pkg_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
