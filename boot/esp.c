/*
 * File access on the EFI system partition the loader itself was started
 * from (EFI_LOADED_IMAGE_PROTOCOL.DeviceHandle, UEFI 2.x §9.1), through
 * EFI_SIMPLE_FILE_SYSTEM_PROTOCOL (§13.4) and EFI_FILE_PROTOCOL (§13.5).
 */
#include "boot/loader.h"

static EFI_GUID esp_loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID esp_fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID esp_file_info_guid = EFI_FILE_INFO_ID;

#define ESP_READ_CHUNK (4ull << 20)

int esp_open(struct loader *ld)
{
	EFI_LOADED_IMAGE *image = NULL;
	EFI_FILE_IO_INTERFACE *fs = NULL;
	EFI_STATUS st;

	st = ld->bs->HandleProtocol(ld->image, &esp_loaded_image_guid, (void **)&image);
	if (EFI_ERROR(st))
		return loader_error(ld, st, "cannot find the loader's own image (%s)",
				    efi_status_text(st));
	st = ld->bs->HandleProtocol(image->DeviceHandle, &esp_fs_guid, (void **)&fs);
	if (EFI_ERROR(st))
		return loader_error(ld, st, "the device the loader was started from has no "
				    "readable file system (%s)", efi_status_text(st));
	st = fs->OpenVolume(fs, &ld->root);
	if (EFI_ERROR(st)) {
		ld->root = NULL;
		return loader_error(ld, st, "cannot open the EFI system partition (%s)",
				    efi_status_text(st));
	}
	return 0;
}

void esp_close(struct loader *ld)
{
	if (ld->root) {
		ld->root->Close(ld->root);
		ld->root = NULL;
	}
}

static int esp_file_size(struct loader *ld, EFI_FILE_HANDLE fh, const char *what,
			 const char *path, UINT64 *size)
{
	UINTN info_size = 0;
	EFI_FILE_INFO *info;
	EFI_STATUS st;

	st = fh->GetInfo(fh, &esp_file_info_guid, &info_size, NULL);
	if (st != EFI_BUFFER_TOO_SMALL)
		return loader_error(ld, st, "%s%s: cannot read file information (%s)",
				    what, path, efi_status_text(st));
	info = mem_alloc_pool(ld, info_size);
	if (!info)
		return loader_error(ld, EFI_OUT_OF_RESOURCES, "%s%s: out of memory", what, path);
	st = fh->GetInfo(fh, &esp_file_info_guid, &info_size, info);
	if (EFI_ERROR(st)) {
		mem_free_pool(ld, info);
		return loader_error(ld, st, "%s%s: cannot read file information (%s)",
				    what, path, efi_status_text(st));
	}
	UINT64 attribute = info->Attribute;
	*size = info->FileSize;
	mem_free_pool(ld, info);
	if (attribute & EFI_FILE_DIRECTORY)
		return loader_error(ld, EFI_LOAD_ERROR, "%s%s: is a directory, not a file", what, path);
	return 0;
}

int esp_read(struct loader *ld, const char *what, const char *path, UINT64 max_size,
	     EFI_PHYSICAL_ADDRESS *phys, UINT64 *size)
{
	CHAR16 path16[CONFIG_PATH_LEN];
	EFI_FILE_HANDLE fh = NULL;
	EFI_STATUS st;
	unsigned n = 0;

	for (; path[n] && n + 1 < CONFIG_PATH_LEN; n++)
		path16[n] = (CHAR16)(unsigned char)(path[n] == '/' ? '\\' : path[n]);
	path16[n] = 0;

	st = ld->root->Open(ld->root, &fh, path16, EFI_FILE_MODE_READ, 0);
	if (st == EFI_NOT_FOUND)
		return loader_error(ld, st, "%s%s: not found", what, path);
	if (EFI_ERROR(st))
		return loader_error(ld, st, "%s%s: cannot open (%s)", what, path, efi_status_text(st));

	UINT64 file_size = 0;
	if (esp_file_size(ld, fh, what, path, &file_size) < 0)
		goto close;
	if (max_size && file_size > max_size) {
		loader_error(ld, EFI_LOAD_ERROR, "%s%s: too large (%llu bytes, at most %llu)",
			     what, path, (unsigned long long)file_size, (unsigned long long)max_size);
		goto close;
	}

	UINTN pages = EFI_SIZE_TO_PAGES(file_size ? file_size : 1);
	st = mem_alloc_pages(ld, AllocateAnyPages, EfiLoaderData, pages, phys);
	if (EFI_ERROR(st)) {
		loader_error(ld, st, "%s%s: not enough memory to load it (%llu KiB)",
			     what, path, (unsigned long long)KIB(file_size));
		goto close;
	}

	UINT64 done = 0;
	while (done < file_size) {
		UINTN chunk = file_size - done > ESP_READ_CHUNK ? ESP_READ_CHUNK : file_size - done;
		st = fh->Read(fh, &chunk, (void *)(UINTN)(*phys + done));
		if (EFI_ERROR(st) || chunk == 0) {
			loader_error(ld, EFI_ERROR(st) ? st : EFI_END_OF_FILE,
				     "%s%s: read failed after %llu of %llu bytes (%s)", what, path,
				     (unsigned long long)done, (unsigned long long)file_size,
				     EFI_ERROR(st) ? efi_status_text(st) : "unexpected end of file");
			mem_free_pages(ld, *phys);
			goto close;
		}
		done += chunk;
	}
	fh->Close(fh);
	*size = file_size;
	return 0;

close:
	fh->Close(fh);
	return -1;
}
