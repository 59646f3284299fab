/* Serial logging; one lock so lines from several pCPUs do not interleave. */
#include "hv/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "arch/x86/serial.h"
#include "hv/pcpu.h"
#include "hv/spinlock.h"

int log_level = BOOT_LOG_INFO;
static struct spinlock console_lock;

static const char *const level_tag[] = { "error: ", "warning: ", "", "debug: " };

static void vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "hv[%u]: %s%s", pcpu_index_or_zero(), prefix,
			 level >= 0 && level <= BOOT_LOG_DEBUG ? level_tag[level] : "");

	if (n < 0 || n >= (int)sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	spin_lock(&console_lock);
	serial_write_line(line);
	spin_unlock(&console_lock);
}

void spin_lock_stalled(const struct spinlock *l, const void *caller)
{
	if (l != &console_lock)
		log_err("lock %p: pCPU %u has waited for it for a long time (from %p)", (const void *)l,
			pcpu_index_or_zero(), caller);
}

void log_write(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vlog(level, "", fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(-1, "PANIC: ", fmt, ap);
	va_end(ap);
	cpu_halt_forever();
}
