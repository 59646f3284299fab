/* Leveled logging to the serial console.  Not for exit paths: count instead. */
#ifndef KEEL_HV_LOG_H
#define KEEL_HV_LOG_H

#include "hv/abi/boot_info.h"

extern int log_level; /* enum boot_log_level; messages above it are dropped */

void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#define log_err(...)  log_write(BOOT_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(BOOT_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_write(BOOT_LOG_INFO, __VA_ARGS__)
#ifdef KEEL_DEBUG
#define log_debug(...) log_write(BOOT_LOG_DEBUG, __VA_ARGS__)
#else
#define log_debug(...) do { } while (0)
#endif

#endif
