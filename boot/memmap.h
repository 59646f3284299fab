/*
 * memmap: edits to a UEFI memory map (an array of EFI_MEMORY_DESCRIPTORs,
 * UEFI 2.x §7.2 GetMemoryMap) after ExitBootServices.  Pure freestanding C.
 */
#ifndef KEEL_BOOT_MEMMAP_H
#define KEEL_BOOT_MEMMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Give the 4 KiB-aligned range [start, end) the memory type `type`,
 * splitting the descriptors it cuts.  The map holds *count descriptors of
 * desc_size bytes (>= 40; any bytes past the standard fields are kept) and
 * has room for capacity.  The order of descriptors is kept.  Returns 0, or
 * -1 without changing the map when there is no room for the split.
 */
int memmap_set_type(void *map, size_t *count, size_t desc_size, size_t capacity,
		    uint64_t start, uint64_t end, uint32_t type);

#endif
