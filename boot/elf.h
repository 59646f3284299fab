/*
 * elf: validation of an ELF64 executable held in memory, and the list of its
 * loadable segments.  Pure freestanding C (no firmware, no allocation).
 *
 * References: System V ABI gABI "ELF Header" and "Program Header", and the
 * x86-64 psABI for EM_X86_64.
 */
#ifndef KEEL_BOOT_ELF_H
#define KEEL_BOOT_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16
#define ELF_ERROR_LEN    128

/* File layouts (gABI).  Read from the file with a byte copy, never in place. */
struct elf64_ehdr {
	unsigned char e_ident[16];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr layout");

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr layout");

#define ELF_CLASS_64      2   /* e_ident[EI_CLASS] */
#define ELF_DATA_LSB      1   /* e_ident[EI_DATA] */
#define ELF_VERSION_CUR   1
#define ELF_TYPE_EXEC     2   /* ET_EXEC */
#define ELF_MACHINE_X8664 62  /* EM_X86_64 */
#define ELF_PT_LOAD       1

/* One PT_LOAD segment with p_memsz > 0. */
struct elf_segment {
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t offset;  /* file offset of the first filesz bytes */
	uint64_t filesz;  /* <= memsz; the rest is zero-filled */
	uint64_t memsz;
	uint32_t flags;   /* PF_X 1, PF_W 2, PF_R 4 */
};

struct elf_image {
	uint64_t entry;
	uint64_t vaddr_min, vaddr_end;  /* [min, end) over all segments */
	uint64_t paddr_min, paddr_end;
	uint32_t segment_count;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/*
 * Validate the size-byte file at `file` and describe its segments in *img.
 * Guarantees on success: every segment's file bytes lie inside the file, no
 * segment's virtual or physical range wraps around 2^64, no two segments
 * overlap in virtual addresses, and the entry lies inside a segment.
 * Returns 0, or -1 with a short lower-case message in err ("not an ELF file").
 */
int elf_parse(const void *file, size_t size, struct elf_image *img,
	      char *err, size_t err_len);

#endif
