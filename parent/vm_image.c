/* A child's boot image and entry registers; contract in vm_image.h. */
#include "parent/vm_image.h"

#include <string.h>

#define PAGE     0x1000ull
#define PTE_P    0x1ull  /* present */
#define PTE_RW   0x2ull  /* writable */
#define PTE_PS   0x80ull /* 2 MiB (PAE/long mode) or 4 MiB (32-bit, CR4.PSE) page */

#define CR0_PE   (1ull << 0)
#define CR0_ET   (1ull << 4)
#define CR0_NE   (1ull << 5)
#define CR0_WP   (1ull << 16)
#define CR0_PG   (1ull << 31)
#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* 64-bit: PML4 -> PDPT -> four page directories of 2 MiB pages, [0, 4 GiB)
 * identity (SDM vol. 3 §4.5).  32-bit: one page directory of 4 MiB pages
 * (§4.3, CR4.PSE).  `area` is the boot area's image, at GPA `base`. */
static void build_tables(uint8_t *area, uint64_t base, bool long_mode)
{
	if (!long_mode) {
		for (uint64_t i = 0; i < 1024; i++)
			put32(area + 4 * i, (uint32_t)((i << 22) | PTE_PS | PTE_RW | PTE_P));
		return;
	}
	put64(area, (base + PAGE) | PTE_RW | PTE_P);
	for (uint64_t g = 0; g < 4; g++) {
		uint64_t pd = (2 + g) * PAGE;

		put64(area + PAGE + 8 * g, (base + pd) | PTE_RW | PTE_P);
		for (uint64_t i = 0; i < 512; i++)
			put64(area + pd + 8 * i, ((g << 30) | (i << 21)) | PTE_PS | PTE_RW | PTE_P);
	}
}

/* A flat descriptor with the attributes in TLFS form (SDM vol. 3 §3.4.5):
 * access byte at 47:40, flags (G, D/B, L, AVL) at 55:52, limit 0xfffff. */
static uint64_t flat_descriptor(uint16_t attributes)
{
	return 0x000f00000000ffffull | (uint64_t)(attributes & 0xff) << 40 | (uint64_t)(attributes >> 12) << 52;
}

/* The TSS descriptor's low 8 bytes (§7.2.2; in long mode §7.2.3 adds the
 * base's upper half in the next 8, zero here). */
static uint64_t tss_descriptor(uint64_t base)
{
	return VM_TSS_LIMIT | (base & 0xffffff) << 16 | (uint64_t)VM_ATTR_TSS << 40 | (base >> 24 & 0xff) << 56;
}

void vm_image_build(const struct vm_ram_writer *ram, uint64_t ram_bytes, const void *image,
		    const struct vm_elf *elf)
{
	static uint8_t area[VM_BOOT_AREA];
	uint64_t top = vm_low_ram(ram_bytes), base = top - VM_BOOT_AREA;
	uint8_t *gdt = area + (VM_TABLES_BELOW - VM_GDT_BELOW);

	for (unsigned i = 0; i < elf->segment_count; i++) {
		const struct vm_segment *s = &elf->segments[i];

		ram->write(ram->ctx, s->paddr, (const uint8_t *)image + s->offset, s->filesz);
	}
	memset(area, 0, sizeof(area));
	build_tables(area, base, elf->long_mode);
	put64(gdt + VM_SEL_CODE, flat_descriptor(elf->long_mode ? VM_ATTR_CODE64 : VM_ATTR_CODE32));
	put64(gdt + VM_SEL_DATA, flat_descriptor(VM_ATTR_DATA));
	put64(gdt + VM_SEL_TSS, tss_descriptor(top - VM_TSS_BELOW));
	ram->write(ram->ctx, base, area, sizeof(area));
}

uint64_t vm_slat_pages(uint64_t ram_bytes)
{
	uint64_t gpa_top = vm_ram_gpa(ram_bytes, ram_bytes - 1) + 1;
	uint64_t gib = (gpa_top + (1ull << 30) - 1) >> 30;

	/* A page table per 2 MiB of RAM (two more where the hole splits one),
	 * a directory per GiB of guest-physical space, a PDPT per 512 GiB, the
	 * PML4, and a little slack. */
	return (ram_bytes + (2ull << 20) - 1) / (2ull << 20) + 2 + gib + (gib + 511) / 512 + 1 + 4;
}

size_t vm_image_registers(uint64_t ram_bytes, const struct vm_elf *elf, uint32_t *names,
			  union hv_register_value *values)
{
	const struct hv_x64_segment_register data = { 0, 0xffffffff, VM_SEL_DATA, VM_ATTR_DATA };
	static const uint32_t data_segments[] = { HV_X64_REGISTER_DS, HV_X64_REGISTER_ES, HV_X64_REGISTER_FS,
						  HV_X64_REGISTER_GS, HV_X64_REGISTER_SS };
	size_t n = 0;

#define SET(name_, field_, ...)                                                       \
	do {                                                                          \
		names[n] = (name_);                                                   \
		memset(&values[n], 0, sizeof(values[n]));                             \
		values[n].field_ = __VA_ARGS__;                                       \
		n++;                                                                  \
	} while (0)

	uint64_t top = vm_low_ram(ram_bytes);

	for (uint32_t r = HV_X64_REGISTER_RAX; r <= HV_X64_REGISTER_R15; r++)
		SET(r, reg64, r == HV_X64_REGISTER_RSP ? top - VM_TABLES_BELOW :
			      r == HV_X64_REGISTER_RDI ? ram_bytes :
			      r == HV_X64_REGISTER_RSI ? top : 0);
	SET(HV_X64_REGISTER_RIP, reg64, elf->entry);
	SET(HV_X64_REGISTER_RFLAGS, reg64, 0x2);
	SET(HV_X64_REGISTER_CR0, reg64, CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG);
	SET(HV_X64_REGISTER_CR3, reg64, top - VM_TABLES_BELOW);
	SET(HV_X64_REGISTER_CR4, reg64, elf->long_mode ? CR4_PAE : CR4_PSE);
	SET(HV_X64_REGISTER_EFER, reg64, elf->long_mode ? EFER_LME | EFER_LMA | EFER_NXE : 0);
	SET(HV_X64_REGISTER_CS, segment,
	    (struct hv_x64_segment_register){ 0, 0xffffffff, VM_SEL_CODE,
					      elf->long_mode ? VM_ATTR_CODE64 : VM_ATTR_CODE32 });
	for (size_t i = 0; i < sizeof(data_segments) / sizeof(data_segments[0]); i++)
		SET(data_segments[i], segment, data);
	SET(HV_X64_REGISTER_TR, segment,
	    (struct hv_x64_segment_register){ top - VM_TSS_BELOW, VM_TSS_LIMIT, VM_SEL_TSS, VM_ATTR_TSS });
	SET(HV_X64_REGISTER_LDTR, segment, (struct hv_x64_segment_register){ 0, 0, 0, 0 }); /* unusable */
	SET(HV_X64_REGISTER_GDTR, table,
	    (struct hv_x64_table_register){ .base = top - VM_GDT_BELOW,
					    .limit = (uint16_t)(VM_SEL_TSS + (elf->long_mode ? 16 : 8) - 1) });
	SET(HV_X64_REGISTER_IDTR, table, (struct hv_x64_table_register){ .base = 0, .limit = 0 });
#undef SET
	return n;
}
