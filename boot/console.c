/*
 * Loader console: formats ASCII text and writes it to the firmware's ConOut,
 * which OVMF and most server firmware also mirror to the serial port.
 * Only usable before ExitBootServices.
 */
#include "boot/loader.h"
#include "boot/fmt.h"

static SIMPLE_TEXT_OUTPUT_INTERFACE *con_out;

void con_init(EFI_SYSTEM_TABLE *st)
{
	con_out = st->ConOut;
}

static void con_write(const char *s)
{
	CHAR16 buf[128];
	unsigned n = 0;

	if (!con_out)
		return;
	for (; *s; s++) {
		if (n + 3 >= sizeof(buf) / sizeof(buf[0])) {
			buf[n] = 0;
			con_out->OutputString(con_out, buf);
			n = 0;
		}
		if (*s == '\n')
			buf[n++] = '\r';
		buf[n++] = (CHAR16)(unsigned char)*s;
	}
	buf[n] = 0;
	if (n)
		con_out->OutputString(con_out, buf);
}

static void con_vprint(const char *prefix, const char *fmt, __builtin_va_list ap)
{
	char line[512];
	size_t n = 0;

	if (prefix)
		n = fmt_snprintf(line, sizeof(line), "%s", prefix);
	if (n < sizeof(line))
		fmt_vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	con_write(line);
}

void con_print(const char *fmt, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	con_vprint(NULL, fmt, ap);
	__builtin_va_end(ap);
}

int loader_error(struct loader *ld, EFI_STATUS status, const char *fmt, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	con_vprint("keel-loader: error: ", fmt, ap);
	__builtin_va_end(ap);
	con_write("\n");
	ld->status = status;
	return -1;
}

void loader_warn(struct loader *ld, const char *fmt, ...)
{
	if (ld->log_level < BOOT_LOG_WARN)
		return;
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	con_vprint("keel-loader: warning: ", fmt, ap);
	__builtin_va_end(ap);
	con_write("\n");
}

void loader_info(struct loader *ld, const char *fmt, ...)
{
	if (ld->log_level < BOOT_LOG_INFO)
		return;
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	con_vprint("keel-loader: ", fmt, ap);
	__builtin_va_end(ap);
	con_write("\n");
}

void loader_debug(struct loader *ld, const char *fmt, ...)
{
	if (ld->log_level < BOOT_LOG_DEBUG)
		return;
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	con_vprint("keel-loader: debug: ", fmt, ap);
	__builtin_va_end(ap);
	con_write("\n");
}

const char *efi_status_text(EFI_STATUS status)
{
	switch (status) {
	case EFI_SUCCESS: return "success";
	case EFI_LOAD_ERROR: return "load error";
	case EFI_INVALID_PARAMETER: return "invalid parameter";
	case EFI_UNSUPPORTED: return "unsupported";
	case EFI_BUFFER_TOO_SMALL: return "buffer too small";
	case EFI_NOT_READY: return "not ready";
	case EFI_DEVICE_ERROR: return "device error";
	case EFI_WRITE_PROTECTED: return "write protected";
	case EFI_OUT_OF_RESOURCES: return "out of resources";
	case EFI_VOLUME_CORRUPTED: return "volume corrupted";
	case EFI_NO_MEDIA: return "no media";
	case EFI_NOT_FOUND: return "not found";
	case EFI_ACCESS_DENIED: return "access denied";
	case EFI_TIMEOUT: return "timeout";
	case EFI_ABORTED: return "aborted";
	case EFI_SECURITY_VIOLATION: return "security violation";
	default: return "firmware error";
	}
}
