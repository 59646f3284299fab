/*
 * The ACPI tables of a child partition: a hardware-reduced ACPI 6.3
 * platform (ACPI 6.3 §4.1) with local APICs, one IOAPIC, optionally COM1,
 * a CMOS clock and the VMBus, a sleep control/status register pair for S5 and a reset register.
 *
 * acpi_tables_build() writes the whole set into one ACPI_TABLES_SIZE-byte
 * region that the caller copies into the child at guest-physical `gpa`;
 * every pointer in it is a GPA inside that region.  Fixed layout (offsets
 * from `gpa`, all 16-byte aligned; the rest of the region is zero):
 *
 *   0x000  RSDP  36 bytes   revision 2; RsdtAddress 0 (no RSDT: the XSDT
 *                           alone, so the region may lie anywhere, above
 *                           4 GiB too); XsdtAddress -> 0x040
 *   0x040  XSDT  52 bytes   entries: FADT, MADT
 *   0x080  FADT  276 bytes  revision 6.3, HW_REDUCED_ACPI; DSDT (32-bit) 0
 *                           and X_DSDT -> 0x480; no FACS
 *   0x200  MADT  62 + 8 * vp_count bytes (at most 574)
 *   0x480  DSDT  what the AML needs (under 200 bytes today; room to 0x1000)
 *
 * The OS finds the RSDP where the caller tells it to (its GPA is returned):
 * a UEFI configuration table, Linux's boot_params.acpi_rsdp_addr, or the
 * BIOS scan of [0xe0000, 0x100000) if the region is put there.  The region
 * belongs in the child's memory map as ACPI reclaimable memory.
 *
 * Identity: OEM ID "KEEL  ", OEM table ID "KEELVM  ", OEM revision 1,
 * creator ID "KEEL", creator revision 1; the FADT's hypervisor vendor
 * identity (offset 268) is "KEEL" padded with NUL bytes to 8.
 *
 * Pure C, no allocation, no hardware access; shared with the host unit
 * tests.  Little-endian (x86) only.
 */
#ifndef KEEL_PARENT_ACPI_TABLES_H
#define KEEL_PARENT_ACPI_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_TABLES_SIZE        0x1000u
#define ACPI_TABLES_RSDP_OFFSET 0x000u
#define ACPI_TABLES_XSDT_OFFSET 0x040u
#define ACPI_TABLES_FADT_OFFSET 0x080u
#define ACPI_TABLES_MADT_OFFSET 0x200u
#define ACPI_TABLES_DSDT_OFFSET 0x480u

#define ACPI_MAX_VPS            64
#define ACPI_LAPIC_ADDRESS      0xfee00000u
#define ACPI_IOAPIC_ADDRESS     0xfec00000u
#define ACPI_IOAPIC_ID_MAX      15 /* the 82093AA ID register has 4 bits */
#define ACPI_ISA_IRQ_MAX        15

/*
 * The sleep control and status registers (ACPI 6.3 §4.8.3.7, §4.8.3.8):
 * one byte each in system I/O space.  OSPM enters S5 by writing
 * SLP_TYP << 2 | SLP_EN to the control register, SLP_TYP being the first
 * element of the DSDT's \_S5 package, ACPI_S5_SLP_TYP.  It clears WAK_STS
 * in the status register (write 1) before it does.  The two registers may
 * share one port.
 */
#define ACPI_SLEEP_CONTROL_SLP_TYP_SHIFT 2
#define ACPI_SLEEP_CONTROL_SLP_TYP_MASK  0x1c
#define ACPI_SLEEP_CONTROL_SLP_EN        0x20
#define ACPI_SLEEP_STATUS_WAK_STS        0x80
#define ACPI_S5_SLP_TYP                  5

/* Whether a byte written to the sleep control register asks for S5. */
static inline bool acpi_sleep_control_is_s5(uint8_t value)
{
	return (value & ACPI_SLEEP_CONTROL_SLP_EN) &&
	       ((value & ACPI_SLEEP_CONTROL_SLP_TYP_MASK) >> ACPI_SLEEP_CONTROL_SLP_TYP_SHIFT) ==
		       ACPI_S5_SLP_TYP;
}

/* What the tables describe. */
struct acpi_platform {
	unsigned vp_count;           /* 1..ACPI_MAX_VPS; VP i has APIC ID and ACPI UID i */
	uint8_t ioapic_id;           /* 0..ACPI_IOAPIC_ID_MAX */
	uint32_t ioapic_address;     /* ACPI_IOAPIC_ADDRESS on a PC; not 0; GSI base is 0 */
	uint16_t sleep_control_port; /* not 0 */
	uint16_t sleep_status_port;  /* not 0; may equal sleep_control_port */
	uint16_t reset_port;         /* not 0; a one-byte register */
	uint8_t reset_value;         /* what OSPM writes to reset_port to reset */
	bool com1;                   /* describe a 16550 at 0x3f8 in the DSDT */
	uint8_t com1_irq;            /* its ISA IRQ, 0..ACPI_ISA_IRQ_MAX (4 on a PC) */
	bool vmbus;                  /* describe the VMBus device (_HID "VMBUS") */
	bool rtc;                    /* describe a CMOS clock at 0x70-0x71 (PNP0B00);
					without it the FADT says there is none */
};

/*
 * Build the table set for `cfg` into buf[0, ACPI_TABLES_SIZE), to be
 * copied to guest-physical `gpa`.  Requires buf_size >= ACPI_TABLES_SIZE,
 * `gpa` 16-byte aligned with the region below 2^64, and `cfg` within the
 * ranges above.  Returns 0 and the RSDP's GPA in *rsdp_gpa (gpa +
 * ACPI_TABLES_RSDP_OFFSET), or -1 without touching buf when a requirement
 * is not met (or, with buf zeroed, if the AML outgrew its room: a bug).
 * Every table's Length covers exactly its bytes and every checksum (the
 * RSDP's two included) sums its bytes to 0.
 */
int acpi_tables_build(void *buf, size_t buf_size, uint64_t gpa, const struct acpi_platform *cfg,
		      uint64_t *rsdp_gpa);

/* ---- Table formats (ACPI 6.3 §5.2), little-endian, byte-packed ---------- */

/* Root System Description Pointer (§5.2.5.3). */
struct acpi_rsdp {
	char signature[8];   /* "RSD PTR " */
	uint8_t checksum;    /* of the first 20 bytes */
	char oem_id[6];
	uint8_t revision;    /* 2: ACPI 2.0 and later */
	uint32_t rsdt_address;
	uint32_t length;     /* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* of all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP size");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP layout");

/* System description table header (§5.2.6). */
struct acpi_header {
	char signature[4];
	uint32_t length;     /* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;    /* all `length` bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "table header size");

/* Generic Address Structure (§5.2.3.2). */
struct acpi_gas {
	uint8_t space_id;    /* ACPI_GAS_SYSTEM_IO, ... */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size; /* ACPI_GAS_ACCESS_BYTE, ... */
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS size");

#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_SYSTEM_IO     1
#define ACPI_GAS_ACCESS_BYTE   1

/* Fixed ACPI Description Table, revision 6 (§5.2.9). */
struct acpi_fadt {
	struct acpi_header header;  /* "FACP" */
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;    /* ACPI_FADT_BOOT_* */
	uint8_t reserved1;
	uint32_t flags;             /* ACPI_FADT_* */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	char hypervisor_vendor_id[8];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT size");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, sleep_status_reg) == 256, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor_id) == 268, "FADT layout");

/* FADT Flags (§5.2.9). */
#define ACPI_FADT_PWR_BUTTON      (1u << 4)  /* no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON      (1u << 5)  /* no fixed-feature sleep button */
#define ACPI_FADT_RESET_REG_SUP   (1u << 10)
#define ACPI_FADT_HW_REDUCED_ACPI (1u << 20)
/* FADT IA-PC Boot Architecture Flags (§5.2.9.3). */
#define ACPI_FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define ACPI_FADT_BOOT_8042           (1u << 1)
#define ACPI_FADT_BOOT_NO_VGA         (1u << 2)
#define ACPI_FADT_BOOT_NO_CMOS_RTC    (1u << 5)

/* Multiple APIC Description Table (§5.2.12); entries follow. */
struct acpi_madt {
	struct acpi_header header;  /* "APIC" */
	uint32_t lapic_address;
	uint32_t flags;             /* ACPI_MADT_PCAT_COMPAT */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT size");

#define ACPI_MADT_PCAT_COMPAT 1u

/* MADT entry types (§5.2.12). */
#define ACPI_MADT_LAPIC      0
#define ACPI_MADT_IOAPIC     1
#define ACPI_MADT_LAPIC_NMI  4

/* Processor Local APIC (§5.2.12.2). */
struct acpi_madt_lapic {
	uint8_t type, length;       /* 0, 8 */
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;             /* ACPI_MADT_ENABLED */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT local APIC entry");

#define ACPI_MADT_ENABLED 1u

/* I/O APIC (§5.2.12.3). */
struct acpi_madt_ioapic {
	uint8_t type, length;       /* 1, 12 */
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC entry");

/* Local APIC NMI (§5.2.12.7). */
struct acpi_madt_lapic_nmi {
	uint8_t type, length;       /* 4, 6 */
	uint8_t processor_uid;      /* 0xff: all processors */
	uint16_t flags;             /* MPS INTI flags (§5.2.12.5) */
	uint8_t lint;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT local APIC NMI entry");

#define ACPI_MADT_ALL_PROCESSORS 0xff
/* MPS INTI flags: polarity in bits 1:0, trigger mode in bits 3:2. */
#define ACPI_MPS_ACTIVE_HIGH 0x1
#define ACPI_MPS_EDGE        0x4

#define ACPI_TABLES_MADT_MAX_SIZE                                                      \
	(sizeof(struct acpi_madt) + ACPI_MAX_VPS * sizeof(struct acpi_madt_lapic) + \
	 sizeof(struct acpi_madt_ioapic) + sizeof(struct acpi_madt_lapic_nmi))

_Static_assert(ACPI_TABLES_RSDP_OFFSET + sizeof(struct acpi_rsdp) <= ACPI_TABLES_XSDT_OFFSET,
	       "RSDP fits");
_Static_assert(ACPI_TABLES_XSDT_OFFSET + sizeof(struct acpi_header) + 2 * 8 <=
		       ACPI_TABLES_FADT_OFFSET,
	       "XSDT fits");
_Static_assert(ACPI_TABLES_FADT_OFFSET + sizeof(struct acpi_fadt) <= ACPI_TABLES_MADT_OFFSET,
	       "FADT fits");
_Static_assert(ACPI_TABLES_MADT_OFFSET + ACPI_TABLES_MADT_MAX_SIZE <= ACPI_TABLES_DSDT_OFFSET,
	       "MADT fits");

#endif
