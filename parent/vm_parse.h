/*
 * What `vm create` and friends accept, checked without touching the
 * hypervisor: VM names, memory sizes, the create command's options, and
 * guest images against docs/guests.md (ELF64 x86-64 or ELF32 i386, ET_EXEC,
 * every PT_LOAD inside [0x1000, low RAM - 64 KiB), the entry inside a segment).
 *
 * Pure C, no allocation; shared with the host unit tests.  Every checker
 * returns 0, or -1 with a one-line lower-case reason in why[0..len).
 */
#ifndef KEEL_PARENT_VM_PARSE_H
#define KEEL_PARENT_VM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_NAME_LEN_MAX   31
#define VM_MEMORY_MIN     (1ull << 20)
#define VM_MEMORY_MAX     (256ull << 30)
#define VM_MEMORY_UNIT    (1ull << 20)
#define VM_BOOT_AREA      0x10000ull /* the last 64 KiB of low RAM (docs/guests.md) */

/*
 * The guest-physical layout (docs/guests.md, "Memory"): RAM up to 3 GiB
 * lies at [0, RAM); of a larger RAM, 3 GiB lie at [0, 3 GiB) and the rest
 * at [4 GiB, RAM + 1 GiB), leaving [3 GiB, 4 GiB) to the local APIC, the
 * IOAPIC and emulated MMIO, as on a real machine.
 */
#define VM_LOW_RAM_MAX    (3ull << 30)
#define VM_HOLE_END       (4ull << 30)

/* Bytes of RAM below the hole. */
static inline uint64_t vm_low_ram(uint64_t ram_bytes)
{
	return ram_bytes < VM_LOW_RAM_MAX ? ram_bytes : VM_LOW_RAM_MAX;
}

/* The guest-physical address of RAM byte `offset` (0 <= offset < RAM). */
static inline uint64_t vm_ram_gpa(uint64_t ram_bytes, uint64_t offset)
{
	return offset < vm_low_ram(ram_bytes) ? offset : VM_HOLE_END + (offset - vm_low_ram(ram_bytes));
}
#define VM_LOAD_MIN       0x1000ull  /* lowest GPA a segment may use */
#define VM_ELF_SEGMENTS   16         /* PT_LOAD segments an image may have */

/* 1 to VM_NAME_LEN_MAX characters from A-Z a-z 0-9 _ -. */
bool vm_name_valid(const char *name);

/* A --memory value: cli_parse_size syntax, a multiple of 1 MiB, from 1 MiB
 * to 256 GiB (whether the parent has that much free is vm_create's check). */
int vm_parse_memory(const char *text, uint64_t *bytes, char *why, size_t len);

/* A --vcpus value: a decimal number from 1 to VM_VCPUS_MAX. */
int vm_parse_vcpus(const char *text, unsigned *count, char *why, size_t len);

/* A memory size as the CLI shows it: "3G", "64M", else "N KiB" / "N bytes". */
void vm_format_size(uint64_t bytes, char *buf, size_t len);

/*
 * `vm create NAME --kernel MODULE --memory SIZE [--initrd MODULE]
 * [--cmdline TEXT] [--module MODULE]... [--vcpus N]`, options in any order;
 * --image is the old spelling of --kernel.  argv[0] and argv[1] are "vm"
 * "create"; on success the fields point into argv (modules in the order
 * given, at most VM_MODULES_MAX).  Refuses a missing NAME, kernel or
 * memory, an option without a value, an option other than --module given
 * twice, too many modules, an unknown option and any other extra word;
 * does not check the name, the size, the count or the modules themselves.
 */
#define VM_MODULES_MAX 16
#define VM_VCPUS_MAX   64

struct vm_create_args {
	const char *name;
	const char *image;       /* --kernel (or --image) */
	const char *memory;
	const char *initrd;      /* NULL: none */
	const char *cmdline;     /* NULL: none */
	const char *vcpus;       /* NULL: 1 */
	const char *modules[VM_MODULES_MAX];
	unsigned module_count;
};
int vm_parse_create(int argc, char **argv, struct vm_create_args *args, char *why, size_t len);

/* One PT_LOAD segment, whichever the ELF class. */
struct vm_segment {
	uint64_t paddr;   /* where it goes in guest-physical memory */
	uint64_t offset;  /* file offset of its first filesz bytes */
	uint64_t filesz;  /* <= memsz; the rest (.bss) is zeroed */
	uint64_t memsz;
};

struct vm_elf {
	bool long_mode;   /* ELF64 x86-64 (else ELF32 i386) */
	uint64_t entry;
	unsigned segment_count;
	struct vm_segment segments[VM_ELF_SEGMENTS];
};

/*
 * Check the size-byte image at `image` as a guest for a child with
 * ram_bytes of RAM and describe it in *elf.  Guarantees on success: every
 * segment's file bytes lie inside the image, filesz <= memsz, every segment
 * lies in [VM_LOAD_MIN, vm_low_ram(ram_bytes) - VM_BOOT_AREA), and the entry lies inside
 * a segment.  `image` needs no alignment.
 */
int vm_elf_check(const void *image, size_t size, uint64_t ram_bytes, struct vm_elf *elf, char *why,
		 size_t len);

#endif
