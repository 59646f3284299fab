/*
 * loader: the UEFI side of the boot loader (gnu-efi, ms_abi firmware calls).
 * The pure parts it uses live in config.h, elf.h, paging.h and fmt.h.
 *
 * Every step returns 0, or -1 after printing one "keel-loader: error: ..."
 * line and setting loader.status; efi_main then releases every allocation
 * recorded in the loader and returns loader.status to the firmware.
 */
#ifndef KEEL_BOOT_LOADER_H
#define KEEL_BOOT_LOADER_H

#include <efi.h>

#include "hv/abi/boot_info.h"
#include "boot/config.h"
#include "boot/elf.h"

#define LOADER_MAX_ALLOCS 64
#define LOADER_PAGE_SIZE  4096ull
#define LOADER_2M         (2ull << 20)
#define LOADER_HV_MIN_FREE (4ull << 20)   /* left free in the hv region after the image */
#define LOADER_BOOT_AREA_SIZE (256ull << 10)

#define KIB(x) ((x) >> 10)
#define MIB(x) ((x) >> 20)

struct loader_alloc {
	EFI_PHYSICAL_ADDRESS phys; /* pages: their base; pool: the pointer */
	UINTN pages;               /* 0 for a pool allocation */
};

/*
 * A parent range that lies in boot-services memory, which cannot be
 * allocated before ExitBootServices: it is staged elsewhere and copied to
 * `dest` after ExitBootServices (handoff_place_deferred).
 */
struct loader_deferred {
	uint64_t dest;
	uint64_t staging;
	uint64_t size;
};

struct loader {
	EFI_HANDLE image;
	EFI_SYSTEM_TABLE *st;
	EFI_BOOT_SERVICES *bs;
	EFI_FILE_HANDLE root;          /* the ESP's root directory, or NULL */
	EFI_STATUS status;             /* what efi_main returns after a failure */
	uint32_t log_level;            /* enum boot_log_level; info until the config is read */
	struct keel_config *cfg;       /* pool */
	struct boot_info *info;        /* its own EfiLoaderData page */
	uint64_t hv_entry;             /* virtual */
	uint64_t pml4;                 /* physical address of the new PML4 */
	struct loader_deferred deferred[ELF_MAX_SEGMENTS];
	unsigned deferred_count;
	size_t memmap_capacity;        /* descriptors the final map buffer holds */
	struct loader_alloc allocs[LOADER_MAX_ALLOCS];
	unsigned alloc_count;
};

/* console.c: ConOut output, ASCII in, "\n" becomes "\r\n". */
void con_init(EFI_SYSTEM_TABLE *st);
void con_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int loader_error(struct loader *ld, EFI_STATUS status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void loader_warn(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void loader_info(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void loader_debug(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *efi_status_text(EFI_STATUS status);

/* alloc.c: tracked allocations, released newest first by mem_release_all. */
EFI_STATUS mem_alloc_pages(struct loader *ld, EFI_ALLOCATE_TYPE how, UINT32 type,
			   UINTN pages, EFI_PHYSICAL_ADDRESS *phys);
void mem_track_pages(struct loader *ld, EFI_PHYSICAL_ADDRESS phys, UINTN pages);
void mem_free_pages(struct loader *ld, EFI_PHYSICAL_ADDRESS phys);
void *mem_alloc_pool(struct loader *ld, UINTN size);
void mem_free_pool(struct loader *ld, void *p);
void mem_release_all(struct loader *ld);
void mem_forget_all(struct loader *ld);
/*
 * Whether [start, end) can be claimed after ExitBootServices: it is all free
 * or boot-services memory and holds neither the current stack nor the
 * firmware's GDT or IDT.  Its free parts are allocated now (tracked) so
 * nothing else lands there.  Returns 1 if so, 0 if not.
 */
int mem_claim_after_exit(struct loader *ld, uint64_t start, uint64_t end);
/* What occupies [start, end) in the firmware's memory map, for error messages. */
void mem_describe_range(struct loader *ld, uint64_t start, uint64_t end,
			char *buf, size_t len);

/* esp.c: files on the partition the loader was started from. */
int esp_open(struct loader *ld);
void esp_close(struct loader *ld);
/*
 * Read the whole file at `path` into fresh EfiLoaderData pages (tracked).
 * `what` prefixes error messages ("" or e.g. "module startup: ").  A file
 * bigger than max_size (when nonzero) is an error.
 */
int esp_read(struct loader *ld, const char *what, const char *path, UINT64 max_size,
	     EFI_PHYSICAL_ADDRESS *phys, UINT64 *size);

/* cpu.c */
int cpu_check(struct loader *ld);
/* Fill boot_info's processor list from the firmware's MP services. */
void find_processors(struct loader *ld);
int cpu_check_paging(struct loader *ld);
/* The live stack pointer and the firmware's GDT and IDT bases. */
void cpu_firmware_state(uint64_t *rsp, uint64_t *gdt, uint64_t *idt);
/* Interrupts off, then CR3 = pml4.  Callers must run identity-mapped. */
void cpu_switch_page_tables(uint64_t pml4);
__attribute__((noreturn)) void cpu_enter_hypervisor(uint64_t entry, uint64_t boot_info);

/* load.c: the hypervisor, the parent and the modules, in that order. */
int load_hypervisor(struct loader *ld);
int load_parent(struct loader *ld);
int load_modules(struct loader *ld);

/* handoff.c: page tables, the final memory map, ExitBootServices. */
int handoff_build_page_tables(struct loader *ld);
int handoff_exit_boot_services(struct loader *ld);
/* After ExitBootServices, on the new page tables: copy deferred ranges into
 * place and retype them (and their staging copies) in the memory map. */
void handoff_place_deferred(struct loader *ld);

#endif
