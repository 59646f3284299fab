/* The parent partition's kernel: bring-up, startup script, then the CLI. */
#include <stdio.h>
#include <string.h>

#include "hv/abi/version.h"
#include "parent/cli.h"
#include "parent/crash.h"
#include "parent/kernel.h"
#include "parent/serial.h"

const struct parent_boot *boot;

int commands_init(void);
void parent_main(const struct parent_boot *pb);

static void run_startup_script(void)
{
	const struct boot_module *m;

	if (!boot->startup_module[0])
		return;
	m = module_find(boot->startup_module);
	if (!m) {
		printf("parent: startup script module '%s' is missing\n", boot->startup_module);
		return;
	}
	printf("parent: running startup script '%s' (%llu bytes)\n", m->name, (unsigned long long)m->size);
	cli_run_script((const char *)m->phys, (unsigned long)m->size);
}

void parent_main(const struct parent_boot *pb)
{
	int err;

	boot = pb;
	serial_init();
	desc_init();
	if (pb->magic != PARENT_BOOT_MAGIC || pb->version != PARENT_BOOT_VERSION) {
		printf("PANIC: parent: bad boot page at %p\n", (const void *)pb);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	if ((err = memory_init())) {
		static char line[96] __attribute__((aligned(128)));
		unsigned n = crash_append(line, 0, sizeof(line), "cannot set up its memory (step ");

		n = crash_append_dec(line, n, sizeof(line), (uint64_t)-err);
		crash_append(line, n, sizeof(line), ")");
		crash_report(line, (uint64_t)-err, 0, 0);
	}
	printf("Keel parent partition %s\n", KEEL_VERSION);
	if (commands_init())
		printf("parent: warning: no hypervisor interface; hv commands will not work\n");
	run_startup_script();
	cli_loop();
}
