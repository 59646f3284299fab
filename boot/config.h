/*
 * config: the parser for \keel\keel.cfg (syntax in docs/boot-config.md).
 *
 * Pure freestanding C: it reads a caller-owned text buffer and fills a
 * caller-owned struct; it allocates nothing and calls no firmware, so it
 * links into the loader and into the host unit tests alike.
 */
#ifndef KEEL_BOOT_CONFIG_H
#define KEEL_BOOT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "hv/abi/boot_info.h"

#define CONFIG_PATH_LEN   256              /* including the NUL */
#define CONFIG_ERROR_LEN  256              /* a good size for the error buffer */
#define CONFIG_MAX_SIZE   (64u * 1024)     /* the loader refuses bigger files */

#define CONFIG_HV_MEMORY_DEFAULT (64ull << 20)
#define CONFIG_HV_MEMORY_MIN     (16ull << 20)
#define CONFIG_HV_MEMORY_MAX     (4ull << 30)
#define CONFIG_HV_MEMORY_ALIGN   (2ull << 20)

#define CONFIG_VENDOR_DEFAULT "Microsoft Hv"
#define CONFIG_TIME_SLICE_DEFAULT_US 10000u   /* 10 ms */
#define CONFIG_TIME_SLICE_MIN_US     100u
#define CONFIG_TIME_SLICE_MAX_US     1000000u

struct config_module {
	char name[BOOT_MODULE_NAME_LEN];  /* 1..47 chars of [A-Za-z0-9_.-] */
	char path[CONFIG_PATH_LEN];       /* ESP path, '\' separators, leading '\' */
};

struct keel_config {
	char hypervisor[CONFIG_PATH_LEN];
	char parent[CONFIG_PATH_LEN];
	uint64_t hv_memory;               /* bytes, a multiple of 2 MiB in [16M, 4G] */
	uint32_t log_level;               /* enum boot_log_level */
	uint32_t time_slice_us;           /* scheduler slice, [100us, 1s] */
	char vendor[BOOT_VENDOR_LEN + 1]; /* 1..12 printable chars, NUL-terminated */
	char startup[BOOT_MODULE_NAME_LEN]; /* a declared module's name, or "" */
	uint32_t module_count;
	struct config_module modules[BOOT_MAX_MODULES];
};

/*
 * Parse len bytes of text into *cfg.  Returns 0 on success.  On failure returns
 * -1 and writes one NUL-terminated line to err (at most err_len bytes),
 * "keel.cfg:LINE: message", or "keel.cfg: message" for a missing key.
 * *cfg is fully initialised (defaults first) in both cases.
 */
int config_parse(const char *text, size_t len, struct keel_config *cfg,
		 char *err, size_t err_len);

/* The keyword for a log level ("error", "warn", "info", "debug"). */
const char *config_log_level_name(uint32_t level);

#endif
