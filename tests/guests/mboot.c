/*
 * A multiboot v1 test kernel: checks the machine state and the information
 * structure a multiboot loader hands it (Multiboot Specification 0.6.96
 * §3.2, §3.3), prints what it found on COM1, then leaves through the exit
 * port 0xf4 (QEMU's isa-debug-exit) with code 0x10 + the number of failed
 * tests.  What it expects: the command line "mboot hello" and one module,
 * the startup script (its string "startup", its text starting "version").
 * With "reset" at the end of its command line it writes the reset
 * register (0xcf9, value 6) instead, at once after its checks.
 */
#include "tests/guests/lib.h"
#include "tests/guests/x86.h"

#define MB_BOOT_MAGIC  0x2badb002u
#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS   (1u << 3)
#define MB_INFO_MMAP   (1u << 6)
#define MB_INFO_LOADER (1u << 9)
#define EXIT_PORT      0xf4
#define RESET_PORT     0xcf9
#define RESET_VALUE    0x06

const char guest_name[] = "mboot";

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_module {
	uint32_t start, end, string, reserved;
};

struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

static bool starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

static bool ends(const char *s, const char *suffix)
{
	unsigned n = 0, m = 0;

	while (s[n])
		n++;
	while (suffix[m])
		m++;
	return n >= m && starts(s + n - m, suffix);
}

void guest_main(uintptr_t ram_bytes, uintptr_t low_bytes)
{
	(void)ram_bytes;
	(void)low_bytes;
}

void mboot_main(uint32_t magic, const struct mb_info *mb);

void mboot_main(uint32_t magic, const struct mb_info *mb)
{
	uint32_t cr0;
	uint64_t ram = 0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	test_begin("machine state");
	test_expect("EAX", magic, MB_BOOT_MAGIC);
	test_expect("CR0.PE", cr0 & 1, 1);
	test_expect("CR0.PG", cr0 >> 31, 0);
	test_end();

	test_begin("information");
	test_expect("flags", mb->flags & (MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP | MB_INFO_LOADER),
		    MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP | MB_INFO_LOADER);
	say(OUT_COM1, "mem_lower %u KiB, mem_upper %u KiB", mb->mem_lower, mb->mem_upper);
	test_expect("mem_lower <= 640", mb->mem_lower <= 640 && mb->mem_lower > 0, 1);
	test_expect("mem_upper", mb->mem_upper >= 1024, 1);
	say(OUT_COM1, "cmdline '%s', loader '%s'", (const char *)mb->cmdline, (const char *)mb->boot_loader_name);
	test_expect("cmdline", starts((const char *)mb->cmdline, "mboot hello"), 1);
	for (uint32_t off = 0; off < mb->mmap_length;) {
		const struct mb_mmap *e = (const struct mb_mmap *)(mb->mmap_addr + off);

		say(OUT_COM1, "mmap %llx +%llx type %u", (unsigned long long)e->addr, (unsigned long long)e->len, e->type);
		if (e->type == 1)
			ram += e->len;
		off += e->size + 4;
	}
	test_expect("mmap RAM covers mem_upper", ram >= (uint64_t)mb->mem_upper * 1024, 1);
	test_expect("mods_count", mb->mods_count, 1);
	if (mb->mods_count >= 1) {
		const struct mb_module *m = (const struct mb_module *)mb->mods_addr;

		say(OUT_COM1, "module '%s' at %x-%x", (const char *)m->string, m->start, m->end);
		test_expect("module string", starts((const char *)m->string, "startup"), 1);
		test_expect("module page-aligned", m->start & 0xfff, 0);
		test_expect("module bytes", starts((const char *)m->start, "version") || starts((const char *)m->start, "#"),
			    1);
	}
	test_end();

	if (tests_failed)
		print(OUT_BOTH, "FAIL %s: %u failed\n", guest_name, tests_failed);
	else
		print(OUT_BOTH, "PASS %s: all\n", guest_name);
	if (ends((const char *)mb->cmdline, " reset"))
		outb(RESET_PORT, RESET_VALUE);
	outb(EXIT_PORT, (uint8_t)(0x10 + tests_failed));
	for (;;)
		__asm__ volatile("cli; hlt");
}
