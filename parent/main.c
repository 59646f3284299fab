/* The parent partition's kernel: bring-up, startup script, then the CLI. */
#include <stdio.h>
#include <string.h>

#include "hv/abi/version.h"
#include "parent/cli.h"
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
	boot = pb;
	serial_init();
	desc_init();
	if (pb->magic != PARENT_BOOT_MAGIC || pb->version != PARENT_BOOT_VERSION) {
		printf("PANIC: parent: bad boot page at %p\n", (const void *)pb);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	heap_init();
	paging_init();
	printf("Keel parent partition %s\n", KEEL_VERSION);
	if (commands_init())
		printf("parent: warning: no hypervisor interface; hv commands will not work\n");
	run_startup_script();
	cli_loop();
}
