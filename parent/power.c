/*
 * Power off through ACPI S5 (ACPI 6.x §7.4.2, §4.8.3.2.1): SLP_TYPa from
 * the DSDT's \_S5 package written with SLP_EN to PM1a_CNT (and PM1b_CNT).
 * Falls back to the emulators' exit ports if the machine stays on.
 */
#include <stdio.h>
#include <string.h>

#include "parent/kernel.h"
#include "parent/x86.h"

struct acpi_power {
	uint16_t pm1a_cnt, pm1b_cnt;
	int slp_typa, slp_typb;
};

static const uint8_t *find_table(const char *sig)
{
	const uint8_t *rsdp = (const uint8_t *)boot->acpi_rsdp;
	uint64_t root;
	uint32_t len, entry;

	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8))
		return NULL;
	if (rsdp[15] >= 2) {
		memcpy(&root, rsdp + 24, 8);
		entry = 8;
	} else {
		uint32_t r;

		memcpy(&r, rsdp + 16, 4);
		root = r;
		entry = 4;
	}
	memcpy(&len, (const uint8_t *)root + 4, 4);
	for (uint32_t off = 36; off + entry <= len; off += entry) {
		uint64_t t = 0;

		memcpy(&t, (const uint8_t *)root + off, entry);
		if (t && !memcmp((const void *)t, sig, 4))
			return (const uint8_t *)t;
	}
	return NULL;
}

/* Value of one AML integer at p (ZeroOp, OneOp, BytePrefix). */
static int aml_int(const uint8_t *p)
{
	if (p[0] == 0x00 || p[0] == 0x01)
		return p[0];
	if (p[0] == 0x0a)
		return p[1];
	return -1;
}

static int aml_skip_int(const uint8_t *p)
{
	return p[0] == 0x0a ? 2 : 1;
}

static int read_s5(const uint8_t *fadt, struct acpi_power *pw)
{
	uint32_t len, dsdt32 = 0, dlen;
	uint64_t dsdt = 0;
	const uint8_t *d;

	memcpy(&len, fadt + 4, 4);
	memcpy(&dsdt32, fadt + 40, 4);
	if (len >= 148)
		memcpy(&dsdt, fadt + 140, 8);
	if (!dsdt)
		dsdt = dsdt32;
	pw->pm1a_cnt = (uint16_t)(fadt[64] | fadt[65] << 8);
	pw->pm1b_cnt = (uint16_t)(fadt[68] | fadt[69] << 8);
	if (!dsdt)
		return -1;
	d = (const uint8_t *)dsdt;
	memcpy(&dlen, d + 4, 4);
	for (uint32_t i = 36; i + 12 < dlen; i++) {
		const uint8_t *p;

		if (memcmp(d + i, "_S5_", 4))
			continue;
		p = d + i + 4;
		if (*p++ != 0x12) /* PackageOp */
			continue;
		p += ((*p >> 6) & 3) + 1; /* PkgLength */
		p++;                      /* NumElements */
		pw->slp_typa = aml_int(p);
		pw->slp_typb = aml_int(p + aml_skip_int(p));
		return pw->slp_typa < 0 ? -1 : 0;
	}
	return -1;
}

void power_off(void)
{
	const uint8_t *fadt = find_table("FACP");
	struct acpi_power pw = { 0, 0, -1, -1 };
	const char *bochs = "Shutdown";

	printf("keel: powering off\n");
	fflush(stdout);
	if (fadt && read_s5(fadt, &pw) == 0 && pw.pm1a_cnt) {
		outw(pw.pm1a_cnt, (uint16_t)(pw.slp_typa << 10 | 1 << 13));
		if (pw.pm1b_cnt && pw.slp_typb >= 0)
			outw(pw.pm1b_cnt, (uint16_t)(pw.slp_typb << 10 | 1 << 13));
	}
	for (volatile int i = 0; i < 1000000; i++)
		pause();
	/* Bochs' shutdown port, then QEMU's isa-debug-exit. */
	for (const char *c = bochs; *c; c++)
		outb(0x8900, (uint8_t)*c);
	outb(0xf4, 0);
	printf("keel: the machine did not power off; halting\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
