/* ACPI table walk (ACPI 6.x §5.2): RSDP -> XSDT/RSDT -> MADT, FADT. */
#include "arch/x86/acpi.h"

#include <string.h>

#include "arch/x86/cpu.h"

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct sdt_header) == 36, "ACPI table header");

static int checksum_ok(const void *p, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

static void parse_madt(const struct sdt_header *h, struct acpi_info *out)
{
	const uint8_t *p = (const uint8_t *)h + 44, *end = (const uint8_t *)h + h->length;

	for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		uint32_t id, flags;

		if (p[0] == 0 && p[1] >= 8) { /* processor local APIC */
			id = p[3];
			memcpy(&flags, p + 4, 4);
		} else if (p[0] == 9 && p[1] >= 16) { /* processor local x2APIC */
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
		} else {
			continue;
		}
		if ((flags & 1) && out->cpu_count < ACPI_MAX_CPUS)
			out->apic_ids[out->cpu_count++] = id;
	}
}

static void parse_fadt(const struct sdt_header *h, struct acpi_info *out)
{
	const uint8_t *f = (const uint8_t *)h;
	uint32_t port, flags = 0;

	if (h->length < 80)
		return;
	memcpy(&port, f + 76, 4); /* PM_TMR_BLK */
	if (h->length >= 116)
		memcpy(&flags, f + 112, 4);
	out->pm_timer_port = (uint16_t)port;
	out->pm_timer_32bit = (flags >> 8) & 1; /* TMR_VAL_EXT */
}

int acpi_parse(uint64_t rsdp_phys, struct acpi_info *out)
{
	const uint8_t *rsdp = (const uint8_t *)rsdp_phys;
	const struct sdt_header *root;
	uint64_t root_phys;
	unsigned entry_size;
	uint32_t count;

	memset(out, 0, sizeof(*out));
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) || !checksum_ok(rsdp, 20))
		return -1;
	if (rsdp[15] >= 2) { /* ACPI 2.0+: XSDT */
		memcpy(&root_phys, rsdp + 24, 8);
		entry_size = 8;
	} else {
		uint32_t r;

		memcpy(&r, rsdp + 16, 4);
		root_phys = r;
		entry_size = 4;
	}
	root = (const struct sdt_header *)root_phys;
	if (!root || !checksum_ok(root, root->length))
		return -1;
	count = (root->length - sizeof(*root)) / entry_size;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t phys = 0;
		const struct sdt_header *h;

		memcpy(&phys, (const uint8_t *)(root + 1) + i * entry_size, entry_size);
		h = (const struct sdt_header *)phys;
		if (!h || !checksum_ok(h, h->length))
			continue;
		if (!memcmp(h->signature, "APIC", 4))
			parse_madt(h, out);
		else if (!memcmp(h->signature, "FACP", 4))
			parse_fadt(h, out);
	}
	return 0;
}

void acpi_udelay(const struct acpi_info *a, uint32_t us)
{
	uint32_t mask = a->pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	uint64_t ticks = (uint64_t)us * 3579545 / 1000000 + 1, elapsed = 0;
	uint32_t last;

	if (!a->pm_timer_port) {
		for (uint64_t i = 0; i < (uint64_t)us * 1000; i++)
			cpu_relax();
		return;
	}
	last = inl(a->pm_timer_port) & mask;
	while (elapsed < ticks) {
		uint32_t now = inl(a->pm_timer_port) & mask;

		elapsed += (now - last) & mask;
		last = now;
		cpu_relax();
	}
}
