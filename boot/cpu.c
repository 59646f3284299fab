/*
 * CPU checks before anything is loaded, and the final jump into the
 * hypervisor.
 */
#include "boot/loader.h"

#define CPUID_1_ECX_VMX          (1u << 5)   /* SDM Vol. 2A CPUID leaf 1 */
#define CPUID_80000001_ECX_SVM   (1u << 2)   /* APM Vol. 3 CPUID Fn8000_0001 */
#define MSR_IA32_FEATURE_CONTROL 0x0000003au /* SDM Vol. 3C §23.7 */
#define FEATURE_CONTROL_LOCKED   (1ull << 0)
#define FEATURE_CONTROL_VMX      (1ull << 2) /* VMX outside SMX */
#define MSR_VM_CR                0xc0010114u /* APM Vol. 2 §15.30.1 */
#define VM_CR_SVMDIS             (1ull << 4)
#define CR4_LA57                 (1ull << 12)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static struct cpuid_regs cpuid(uint32_t leaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(0));
	return r;
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static int vendor_is(const char vendor[13], const char *name)
{
	for (int i = 0; i < 12; i++) {
		if (vendor[i] != name[i])
			return 0;
	}
	return 1;
}

int cpu_check(struct loader *ld)
{
	struct cpuid_regs r = cpuid(0);
	uint32_t max_leaf = r.eax;
	char vendor[13];
	uint32_t words[3] = { r.ebx, r.edx, r.ecx };

	for (int i = 0; i < 12; i++)
		vendor[i] = (char)(words[i / 4] >> (8 * (i % 4)));
	vendor[12] = '\0';
	for (int i = 0; i < 12; i++) {
		if (vendor[i] < 0x20 || vendor[i] > 0x7e)
			vendor[i] = '?';
	}

	int amd = vendor_is(vendor, "AuthenticAMD") || vendor_is(vendor, "HygonGenuine");
	int vmx = 0, svm = 0;

	if (max_leaf >= 1)
		vmx = (cpuid(1).ecx & CPUID_1_ECX_VMX) != 0;
	if (cpuid(0x80000000u).eax >= 0x80000001u)
		svm = (cpuid(0x80000001u).ecx & CPUID_80000001_ECX_SVM) != 0;

	/* Real CPUs report only their vendor's extension; an emulator may
	 * report both, and then the vendor's own one is checked. */
	if (svm && vmx) {
		if (amd)
			vmx = 0;
		else
			svm = 0;
	}

	if (svm) {
		if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
			return loader_error(ld, EFI_UNSUPPORTED,
					    "this CPU (%s) has AMD-V (SVM) but the firmware has "
					    "disabled it (VM_CR.SVMDIS is set); enable SVM / "
					    "virtualization in the firmware setup", vendor);
		loader_info(ld, "cpu %s with AMD-V (SVM)", vendor);
		return 0;
	}
	if (vmx) {
		uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
		if ((fc & FEATURE_CONTROL_LOCKED) && !(fc & FEATURE_CONTROL_VMX))
			return loader_error(ld, EFI_UNSUPPORTED,
					    "this CPU (%s) has Intel VT-x but the firmware has "
					    "disabled it (IA32_FEATURE_CONTROL is locked without "
					    "VMX); enable VT-x / virtualization in the firmware setup",
					    vendor);
		loader_info(ld, "cpu %s with Intel VT-x", vendor);
		return 0;
	}
	return loader_error(ld, EFI_UNSUPPORTED,
			    "this CPU has neither AMD-V (SVM) nor Intel VT-x; Keel cannot run here");
}

int cpu_check_paging(struct loader *ld)
{
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (cr4 & CR4_LA57)
		return loader_error(ld, EFI_UNSUPPORTED,
				    "the firmware runs with 5-level paging, which the loader "
				    "does not support");
	return 0;
}

void cpu_firmware_state(uint64_t *rsp, uint64_t *gdt, uint64_t *idt)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} gdtr, idtr;

	__asm__ volatile("mov %%rsp, %0" : "=r"(*rsp));
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("sidt %0" : "=m"(idtr));
	*gdt = gdtr.base;
	*idt = idtr.base;
}

void cpu_switch_page_tables(uint64_t pml4)
{
	__asm__ volatile("cli\n\t"
			 "mov %0, %%cr3"
			 :
			 : "r"(pml4)
			 : "memory");
}

/*
 * Jump to the hypervisor as if it had been called: RSP 16-byte aligned
 * before a zero return address is pushed, RDI = boot_info.  The loader's
 * stack stays usable (identity-mapped) until the hypervisor switches to
 * its own.
 */
__attribute__((noreturn)) void cpu_enter_hypervisor(uint64_t entry, uint64_t boot_info)
{
	__asm__ volatile("and $-16, %%rsp\n\t"
			 "pushq $0\n\t"
			 "jmp *%0"
			 :
			 : "r"(entry), "D"(boot_info)
			 : "memory");
	__builtin_unreachable();
}
