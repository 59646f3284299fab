/*
 * Starting the application processors named by the MADT with
 * INIT-SIPI-SIPI (SDM vol. 3 §8.4.4), one at a time.
 */
#include <string.h>

#include "arch/x86/acpi.h"
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "hv/hv.h"
#include "hv/log.h"
#include "hv/pcpu.h"
#include "hv/run.h"
#include "hv/vcpu_ops.h"

#define TRAMP_PAGES 4          /* code+data, PML4, PDPT, PD */
#define TRAMP_DATA  0xf00

struct trampoline_data {
	uint64_t temp_cr3;
	uint64_t hv_cr3;
	uint64_t stack;
	uint64_t pcpu;
	uint64_t entry;
	uint64_t efer;
};

extern const char trampoline_start[], trampoline_end[];
extern void ap_entry64(void);

/* Four free pages below 640 KiB for the start code; the parent has not
 * started yet, and they are cleared again afterwards. */
static uint64_t find_low_pages(void)
{
	for (uint32_t i = 0; i < hv_boot.memmap_entries; i++) {
		const struct boot_memdesc *d = memmap_entry(&hv_boot, i);
		uint64_t start = d->phys_start < 0x1000 ? 0x1000 : d->phys_start;
		uint64_t end = d->phys_start + d->pages * 4096;

		if (d->type != BOOT_MEM_CONVENTIONAL)
			continue;
		if (end > 0xa0000)
			end = 0xa0000;
		if (start + TRAMP_PAGES * 4096 <= end)
			return start;
	}
	return 0;
}

void ap_main(struct pcpu *p)
{
	/* INIT leaves the caches disabled (CD, NW set); the BSP runs with them
	 * on, and VM entry keeps the host's CD/NW for the guest (SDM §27.3.2.1). */
	write_cr0((read_cr0() | CR0_WP) & ~(CR0_CD | CR0_NW));
	wbinvd();
	desc_load(p);
	xstate_cpu_init();
	if (vcpu_enable_cpu()) {
		__atomic_store_n(&p->online, -1, __ATOMIC_RELEASE);
		cpu_halt_forever();
	}
	__atomic_store_n(&p->online, 1, __ATOMIC_RELEASE);
	run_loop();
}

static int start_one(const struct acpi_info *acpi, uint64_t tramp, uint32_t apic, unsigned index)
{
	struct trampoline_data *data = (void *)(tramp + TRAMP_DATA);
	uint64_t pcpu_pages = (sizeof(struct pcpu) + 4095) / 4096;
	uint64_t pcpu_phys = frame_alloc_contig(&hv_frames, pcpu_pages, 1);
	uint64_t stack = frame_alloc_contig(&hv_frames, PCPU_STACK_SIZE / 4096, 1);
	struct pcpu *p = phys_to_virt(pcpu_phys);

	if (!pcpu_phys || !stack) {
		log_warn("smp: no memory for CPU %u", index);
		return -1;
	}
	p->index = index;
	p->apic_id = apic;
	p->stack_top = stack + PCPU_STACK_SIZE;
	data->pcpu = (uint64_t)p;
	data->stack = p->stack_top;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	apic_send_init(apic);
	acpi_udelay(acpi, 10000);
	for (int attempt = 0; attempt < 2 && !p->online; attempt++) {
		apic_send_startup(apic, (uint8_t)(tramp >> 12));
		for (int waited = 0; waited < 1000 && !__atomic_load_n(&p->online, __ATOMIC_ACQUIRE); waited++)
			acpi_udelay(acpi, attempt == 0 ? 200 : 1000);
	}
	if (p->online != 1) {
		log_warn("smp: CPU %u (APIC %u) did not start", index, apic);
		if (!p->online) {
			/* Never ran: its memory can go back.  One that failed
			 * its enable step halted and keeps it. */
			frame_free(&hv_frames, stack, PCPU_STACK_SIZE / 4096);
			frame_free(&hv_frames, pcpu_phys, pcpu_pages);
		}
		return -1;
	}
	pcpus[index] = p;
	return 0;
}

unsigned smp_start_aps(const struct acpi_info *acpi)
{
	uint64_t tramp = find_low_pages();
	uint32_t self = apic_id();
	uint64_t *pml4, *pdpt, *pd, *hv_pml4 = (uint64_t *)read_cr3();
	struct trampoline_data *data;
	unsigned next = 1;

	if (acpi->cpu_count <= 1)
		return 1;
	if (!tramp) {
		log_warn("smp: no low memory for the start code; running on one CPU");
		return 1;
	}
	memset((void *)tramp, 0, TRAMP_PAGES * 4096);
	memcpy((void *)tramp, trampoline_start, trampoline_end - trampoline_start);
	pml4 = (uint64_t *)(tramp + 0x1000);
	pdpt = (uint64_t *)(tramp + 0x2000);
	pd = (uint64_t *)(tramp + 0x3000);
	pml4[0] = (tramp + 0x2000) | 3;
	pml4[511] = hv_pml4[511];
	pdpt[0] = (tramp + 0x3000) | 3;
	pd[0] = 0x83; /* 0-2 MiB, P | RW | PS */
	data = (void *)(tramp + TRAMP_DATA);
	data->temp_cr3 = tramp + 0x1000;
	data->hv_cr3 = read_cr3();
	data->entry = (uint64_t)ap_entry64;
	data->efer = EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE);

	for (uint32_t i = 0; i < acpi->cpu_count && next < PCPU_MAX; i++) {
		if (acpi->apic_ids[i] == self || acpi->apic_ids[i] > 0xff)
			continue;
		if (start_one(acpi, tramp, acpi->apic_ids[i], next) == 0)
			next++;
	}
	memset((void *)tramp, 0, TRAMP_PAGES * 4096);
	return next;
}
