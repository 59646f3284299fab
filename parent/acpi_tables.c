/*
 * A child's ACPI tables; see acpi_tables.h for the contract and the layout.
 * Section numbers are ACPI 6.3's; the AML comes from parent/aml.c.
 */
#include "parent/acpi_tables.h"

#include <string.h>

#include "parent/aml.h"

#define ACPI_OEM_ID           "KEEL  "
#define ACPI_OEM_TABLE_ID     "KEELVM  "
#define ACPI_OEM_REVISION     1
#define ACPI_CREATOR_ID       "KEEL"
#define ACPI_CREATOR_REVISION 1

#define ACPI_RSDP_REVISION 2
#define ACPI_XSDT_REVISION 1
#define ACPI_FADT_REVISION 6
#define ACPI_FADT_MINOR    3
#define ACPI_MADT_REVISION 5 /* ACPI 6.3 */
#define ACPI_DSDT_REVISION 2 /* 64-bit AML integers (§5.2.11.1) */

#define ACPI_COM1_BASE  0x3f8
#define ACPI_COM1_PORTS 8
#define ACPI_RTC_BASE   0x70
#define ACPI_RTC_PORTS  2

static uint8_t acpi_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

/* Header fields other than Length and Checksum, set by acpi_table_finish. */
static void acpi_header_init(struct acpi_header *h, const char signature[4], uint8_t revision)
{
	memcpy(h->signature, signature, 4);
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = ACPI_CREATOR_REVISION;
}

static void acpi_table_finish(struct acpi_header *h, uint32_t length)
{
	h->length = length;
	h->checksum = 0;
	h->checksum = (uint8_t)-acpi_sum(h, length);
}

/* A one-byte register at I/O port `port`. */
static struct acpi_gas acpi_io_byte(uint16_t port)
{
	struct acpi_gas gas = {
		.space_id = ACPI_GAS_SYSTEM_IO,
		.bit_width = 8,
		.bit_offset = 0,
		.access_size = ACPI_GAS_ACCESS_BYTE,
		.address = port,
	};

	return gas;
}

/* ---- The tables ---------------------------------------------------------- */

/* Name (_CRS, Buffer) from the resource template built in crs (its
 * end tag added here); a template that did not fit fails the DSDT. */
static void name_crs(struct aml *a, struct aml *crs)
{
	aml_res_end(crs);
	if (crs->failed)
		a->failed = true;
	aml_name_op(a, "_CRS");
	aml_buffer(a, crs->dst, crs->len);
}

/*
 * \_SB.COM1: a 16550 at 0x3f8-0x3ff on ISA IRQ `irq`, as a PC's firmware
 * describes it (PNP0501 is "16550A-compatible COM port").
 */
static void dsdt_com1(struct aml *a, uint8_t irq)
{
	uint8_t crs_bytes[16];
	struct aml crs;
	size_t dev = aml_device_open(a, "COM1");

	aml_name_op(a, "_HID");
	aml_eisaid(a, "PNP0501");
	aml_name_op(a, "_UID");
	aml_integer(a, 1);

	aml_init(&crs, crs_bytes, sizeof(crs_bytes));
	aml_res_io_fixed(&crs, ACPI_COM1_BASE, ACPI_COM1_PORTS);
	aml_res_irq_no_flags(&crs, irq);
	name_crs(a, &crs);
	aml_close(a, dev);
}

/*
 * \_SB.RTC0: the CMOS clock at 0x70-0x71 (PNP0B00 is "AT real-time
 * clock"), without an interrupt: no alarms or periodic interrupts.  Linux
 * binds rtc_cmos to it, so the clock is also /dev/rtc0.
 */
static void dsdt_rtc(struct aml *a)
{
	uint8_t crs_bytes[16];
	struct aml crs;
	size_t dev = aml_device_open(a, "RTC0");

	aml_name_op(a, "_HID");
	aml_eisaid(a, "PNP0B00");

	aml_init(&crs, crs_bytes, sizeof(crs_bytes));
	aml_res_io_fixed(&crs, ACPI_RTC_BASE, ACPI_RTC_PORTS);
	name_crs(a, &crs);
	aml_close(a, dev);
}

/*
 * \_SB.VMBS: the VMBus, which Linux's hv_vmbus binds by _HID "VMBUS" and
 * whose _CRS it walks (an empty one: no interrupt line, the SynIC
 * delivers; no MMIO window for synthetic devices yet).
 */
static void dsdt_vmbus(struct aml *a)
{
	static const uint8_t crs_bytes[2] = { AML_RES_END_TAG, 0 };
	size_t dev = aml_device_open(a, "VMBS");

	aml_name_op(a, "_HID");
	aml_string(a, "VMBUS");
	aml_name_op(a, "_UID");
	aml_integer(a, 0);
	aml_name_op(a, "_CRS");
	aml_buffer(a, crs_bytes, sizeof(crs_bytes));
	aml_close(a, dev);
}

/* The DSDT's AML; returns its length, or 0 if it does not fit in `cap`. */
static size_t dsdt_aml(uint8_t *dst, size_t cap, const struct acpi_platform *cfg)
{
	struct aml a;
	size_t sb, s5;

	aml_init(&a, dst, cap);
	sb = aml_scope_open(&a, "\\_SB");
	if (cfg->com1)
		dsdt_com1(&a, cfg->com1_irq);
	if (cfg->rtc)
		dsdt_rtc(&a);
	if (cfg->vmbus)
		dsdt_vmbus(&a);
	aml_close(&a, sb);

	/* \_S5: {SLP_TYPa, SLP_TYPb, reserved, reserved} (§7.4.2); with the
	 * sleep control register only SLP_TYPa is used (§4.8.3.7). */
	aml_name_op(&a, "_S5");
	s5 = aml_package_open(&a, 4);
	aml_integer(&a, ACPI_S5_SLP_TYP);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_close(&a, s5);

	return a.failed ? 0 : a.len;
}

static void build_rsdp(uint8_t *region, uint64_t gpa)
{
	struct acpi_rsdp *rsdp = (struct acpi_rsdp *)(region + ACPI_TABLES_RSDP_OFFSET);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = ACPI_RSDP_REVISION;
	rsdp->rsdt_address = 0;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = gpa + ACPI_TABLES_XSDT_OFFSET;
	rsdp->checksum = (uint8_t)-acpi_sum(rsdp, 20);
	rsdp->extended_checksum = (uint8_t)-acpi_sum(rsdp, sizeof(*rsdp));
}

static void build_xsdt(uint8_t *region, uint64_t gpa)
{
	struct acpi_header *xsdt = (struct acpi_header *)(region + ACPI_TABLES_XSDT_OFFSET);
	const uint64_t entries[] = { gpa + ACPI_TABLES_FADT_OFFSET, gpa + ACPI_TABLES_MADT_OFFSET };

	acpi_header_init(xsdt, "XSDT", ACPI_XSDT_REVISION);
	memcpy(xsdt + 1, entries, sizeof(entries));
	acpi_table_finish(xsdt, sizeof(*xsdt) + sizeof(entries));
}

/*
 * Hardware-reduced (§4.1): no SCI, no SMI command port, no PM1/PM2/GPE
 * blocks, no PM timer and no FACS; sleep and reset go through the three
 * registers.  No fixed-feature buttons.  Boot architecture: no legacy ISA
 * devices beyond what the DSDT lists, no 8042, no VGA, and no CMOS RTC
 * unless the DSDT lists one.
 */
static void build_fadt(uint8_t *region, uint64_t gpa, const struct acpi_platform *cfg)
{
	struct acpi_fadt *fadt = (struct acpi_fadt *)(region + ACPI_TABLES_FADT_OFFSET);

	acpi_header_init(&fadt->header, "FACP", ACPI_FADT_REVISION);
	fadt->minor_version = ACPI_FADT_MINOR;
	fadt->flags = ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON | ACPI_FADT_RESET_REG_SUP |
		      ACPI_FADT_HW_REDUCED_ACPI;
	fadt->iapc_boot_arch = ACPI_FADT_BOOT_NO_VGA;
	if (!cfg->rtc)
		fadt->iapc_boot_arch |= ACPI_FADT_BOOT_NO_CMOS_RTC;
	fadt->reset_reg = acpi_io_byte(cfg->reset_port);
	fadt->reset_value = cfg->reset_value;
	/* The 32-bit DSDT field stays 0: X_DSDT alone, valid at any GPA. */
	fadt->x_dsdt = gpa + ACPI_TABLES_DSDT_OFFSET;
	fadt->sleep_control_reg = acpi_io_byte(cfg->sleep_control_port);
	fadt->sleep_status_reg = acpi_io_byte(cfg->sleep_status_port);
	memcpy(fadt->hypervisor_vendor_id, "KEEL\0\0\0\0", 8);
	acpi_table_finish(&fadt->header, sizeof(*fadt));
}

/*
 * One local APIC per VP (UID = APIC ID = VP index, enabled), the IOAPIC
 * with GSI base 0, and LINT1 as NMI on every processor.  PCAT_COMPAT is
 * clear: there are no 8259s.  No interrupt source overrides: there is no
 * PIT to route ISA IRQ 0 to GSI 2, and every ISA IRQ in the DSDT keeps the
 * identity mapping, edge-triggered and active high.
 */
static void build_madt(uint8_t *region, const struct acpi_platform *cfg)
{
	uint8_t *table = region + ACPI_TABLES_MADT_OFFSET;
	struct acpi_madt *madt = (struct acpi_madt *)table;
	struct acpi_madt_ioapic *ioapic;
	struct acpi_madt_lapic_nmi *nmi;
	uint32_t len = sizeof(*madt);

	acpi_header_init(&madt->header, "APIC", ACPI_MADT_REVISION);
	madt->lapic_address = ACPI_LAPIC_ADDRESS;
	madt->flags = 0;

	for (unsigned vp = 0; vp < cfg->vp_count; vp++) {
		struct acpi_madt_lapic *lapic = (struct acpi_madt_lapic *)(table + len);

		lapic->type = ACPI_MADT_LAPIC;
		lapic->length = sizeof(*lapic);
		lapic->processor_uid = (uint8_t)vp;
		lapic->apic_id = (uint8_t)vp;
		lapic->flags = ACPI_MADT_ENABLED;
		len += sizeof(*lapic);
	}

	ioapic = (struct acpi_madt_ioapic *)(table + len);
	ioapic->type = ACPI_MADT_IOAPIC;
	ioapic->length = sizeof(*ioapic);
	ioapic->ioapic_id = cfg->ioapic_id;
	ioapic->address = cfg->ioapic_address;
	ioapic->gsi_base = 0;
	len += sizeof(*ioapic);

	nmi = (struct acpi_madt_lapic_nmi *)(table + len);
	nmi->type = ACPI_MADT_LAPIC_NMI;
	nmi->length = sizeof(*nmi);
	nmi->processor_uid = ACPI_MADT_ALL_PROCESSORS;
	nmi->flags = ACPI_MPS_ACTIVE_HIGH | ACPI_MPS_EDGE;
	nmi->lint = 1;
	len += sizeof(*nmi);

	acpi_table_finish(&madt->header, len);
}

static int build_dsdt(uint8_t *region, const struct acpi_platform *cfg)
{
	struct acpi_header *dsdt = (struct acpi_header *)(region + ACPI_TABLES_DSDT_OFFSET);
	size_t cap = ACPI_TABLES_SIZE - ACPI_TABLES_DSDT_OFFSET - sizeof(*dsdt);
	size_t aml_len = dsdt_aml((uint8_t *)(dsdt + 1), cap, cfg);

	if (aml_len == 0)
		return -1;
	acpi_header_init(dsdt, "DSDT", ACPI_DSDT_REVISION);
	acpi_table_finish(dsdt, (uint32_t)(sizeof(*dsdt) + aml_len));
	return 0;
}

static bool acpi_platform_valid(const struct acpi_platform *cfg)
{
	return cfg->vp_count >= 1 && cfg->vp_count <= ACPI_MAX_VPS &&
	       cfg->ioapic_id <= ACPI_IOAPIC_ID_MAX && cfg->ioapic_address != 0 &&
	       cfg->sleep_control_port != 0 && cfg->sleep_status_port != 0 &&
	       cfg->reset_port != 0 && (!cfg->com1 || cfg->com1_irq <= ACPI_ISA_IRQ_MAX);
}

int acpi_tables_build(void *buf, size_t buf_size, uint64_t gpa, const struct acpi_platform *cfg,
		      uint64_t *rsdp_gpa)
{
	uint8_t *region = buf;

	if (buf_size < ACPI_TABLES_SIZE || (gpa & 0xf) || gpa > UINT64_MAX - ACPI_TABLES_SIZE ||
	    !acpi_platform_valid(cfg))
		return -1;

	memset(region, 0, ACPI_TABLES_SIZE);
	if (build_dsdt(region, cfg) < 0) {
		memset(region, 0, ACPI_TABLES_SIZE);
		return -1;
	}
	build_madt(region, cfg);
	build_fadt(region, gpa, cfg);
	build_xsdt(region, gpa);
	build_rsdp(region, gpa);
	*rsdp_gpa = gpa + ACPI_TABLES_RSDP_OFFSET;
	return 0;
}
