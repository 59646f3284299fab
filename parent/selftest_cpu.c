/*
 * `selftest cpu`: the hypervisor's CPUID, MSR, instruction and hypercall
 * policy as the parent sees it.  Each check prints one line; the last line
 * says PASS, or FAIL with the count of failed checks.
 */
#include <stdio.h>
#include <string.h>

#include "hv/abi/tlfs_partition.h"
#include "parent/hvcall.h"
#include "parent/kernel.h"
#include "parent/x86.h"

#define MSR_EFER        0xc0000080u
#define EFER_SVME       (1ull << 12)
#define MSR_VM_CR       0xc0010114u
#define MSR_VM_HSAVE_PA 0xc0010117u
#define MSR_FEATURE_CONTROL 0x3au
#define FEATURE_CONTROL_LOCKED (1ull << 0)
#define FEATURE_CONTROL_VMXON  (1ull << 2)
#define MSR_VMX_BASIC   0x480u
#define CR4_VMXE        (1ull << 13)

static int failures;

static void check(int ok, const char *what)
{
	printf("cpu: %-44s %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

static void do_vmrun(uint64_t a) { __asm__ volatile("vmrun" ::"a"(a) : "memory"); }
static void do_vmload(uint64_t a) { __asm__ volatile("vmload" ::"a"(a) : "memory"); }
static void do_vmsave(uint64_t a) { __asm__ volatile("vmsave" ::"a"(a) : "memory"); }
static void do_stgi(uint64_t a) { __asm__ volatile("stgi" ::: "memory"); }
static void do_clgi(uint64_t a) { __asm__ volatile("clgi" ::: "memory"); }
static void do_invlpga(uint64_t a) { __asm__ volatile("invlpga %%rax, %%ecx" ::"a"(a), "c"(0) : "memory"); }
static void do_wrmsr(uint64_t which)
{
	if (which == 0)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	else if (which == 1)
		wrmsr(MSR_VM_HSAVE_PA, 0x1000);
	else
		wrmsr(MSR_FEATURE_CONTROL, FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON);
}
static void do_rdmsr(uint64_t msr) { (void)rdmsr((uint32_t)msr); }
static void do_vmxon(uint64_t a) { __asm__ volatile("vmxon %0" ::"m"(a) : "memory"); }
static void do_vmread(uint64_t a) { uint64_t v; __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(a) : "cc"); }
static void do_vmwrite(uint64_t a) { __asm__ volatile("vmwrite %0, %0" ::"r"(a) : "cc"); }
static void do_set_vmxe(uint64_t a)
{
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | CR4_VMXE) : "memory");
}

static int faults_with(void (*fn)(uint64_t), uint64_t arg, int vector)
{
	fault_vector = -1;
	return probe_call(fn, arg) != 0 && fault_vector == vector;
}

static void amd_checks(uint8_t *scratch);
static void intel_checks(uint8_t *scratch);
static void hypercall_checks(uint8_t *scratch);

void selftest_cpu(void);
void selftest_cpu(void)
{
	static uint8_t scratch[4096] __attribute__((aligned(4096)));
	uint32_t r[4];
	char vendor[13];

	failures = 0;
	cpuid(1, 0, r);
	check(r[2] & (1u << 31), "CPUID.1:ECX[31] hypervisor present");
	cpuid(0x40000000, 0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[2], 4);
	memcpy(vendor + 8, &r[3], 4);
	vendor[12] = '\0';
	printf("cpu: vendor signature '%s', max leaf %#x\n", vendor, r[0]);
	check(r[0] >= 0x40000005 && r[0] <= 0x4000ffff, "CPUID 0x40000000 max leaf in TLFS range");
	cpuid(0x40000001, 0, r);
	check(r[0] == 0x31237648, "CPUID 0x40000001 interface 'Hv#1'");
	cpuid(0, 0, r);
	if (r[1] == 0x756e6547) /* "Genu"ineIntel */
		intel_checks(scratch);
	else
		amd_checks(scratch);
	hypercall_checks(scratch);
	if (failures)
		printf("FAIL: cpu policy: %d checks failed\n", failures);
	else
		printf("cpu policy: PASS\n");
}

/* AMD-V must be invisible and its state untouchable. */
static void amd_checks(uint8_t *scratch)
{
	uint32_t r[4];

	cpuid(0x80000001, 0, r);
	check(!(r[2] & (1u << 2)), "CPUID 0x80000001:ECX[2] SVM hidden");
	check(!(rdmsr(MSR_EFER) & EFER_SVME), "EFER.SVME reads as clear");
	check(faults_with(do_wrmsr, 0, 13), "setting EFER.SVME raises #GP");
	check(rdmsr(MSR_VM_CR) & (1u << 4), "VM_CR reads SVM disabled");
	check(rdmsr(MSR_VM_HSAVE_PA) == 0, "VM_HSAVE_PA reads 0");
	check(faults_with(do_wrmsr, 1, 13), "writing VM_HSAVE_PA raises #GP");
	check(faults_with(do_vmrun, (uint64_t)scratch, 6), "VMRUN raises #UD");
	check(faults_with(do_vmload, (uint64_t)scratch, 6), "VMLOAD raises #UD");
	check(faults_with(do_vmsave, (uint64_t)scratch, 6), "VMSAVE raises #UD");
	check(faults_with(do_stgi, 0, 6), "STGI raises #UD");
	check(faults_with(do_clgi, 0, 6), "CLGI raises #UD");
	check(faults_with(do_invlpga, 0, 6), "INVLPGA raises #UD");
}

/* VT-x must be invisible and its state untouchable. */
static void intel_checks(uint8_t *scratch)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	check(!(r[2] & (1u << 5)), "CPUID.1:ECX[5] VMX hidden");
	check((rdmsr(MSR_FEATURE_CONTROL) & (FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON)) ==
		      FEATURE_CONTROL_LOCKED,
	      "IA32_FEATURE_CONTROL locked, VMXON off");
	check(faults_with(do_wrmsr, 2, 13), "writing IA32_FEATURE_CONTROL raises #GP");
	check(faults_with(do_rdmsr, MSR_VMX_BASIC, 13), "reading IA32_VMX_BASIC raises #GP");
	check(faults_with(do_set_vmxe, 0, 13), "setting CR4.VMXE raises #GP");
	check(faults_with(do_vmxon, (uint64_t)scratch, 6), "VMXON raises #UD");
	check(faults_with(do_vmread, 0, 6), "VMREAD raises #UD");
	check(faults_with(do_vmwrite, 0, 6), "VMWRITE raises #UD");
}

/* TLFS status codes for bad calls. */
static void hypercall_checks(uint8_t *scratch)
{
	check((uint16_t)hvcall(0x7ffe, 0, 0) == HV_STATUS_INVALID_HYPERCALL_CODE,
	      "unknown hypercall: INVALID_HYPERCALL_CODE");
	check((uint16_t)hvcall(KEEL_HVCALL_NULL | HV_HYPERCALL_FAST | (1ull << 31), 0, 0) ==
		      HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "reserved control bits: INVALID_HYPERCALL_INPUT");
	check((uint16_t)hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)scratch + 4) == HV_STATUS_INVALID_ALIGNMENT,
	      "misaligned output GPA: INVALID_ALIGNMENT");
	check((uint16_t)hvcall(KEEL_HVCALL_GET_INFO, 0, (uint64_t)scratch + 4096 - 8) ==
		      HV_STATUS_INVALID_ALIGNMENT,
	      "output crossing a page: INVALID_ALIGNMENT");
	check((uint16_t)hvcall(KEEL_HVCALL_GET_INFO | HV_HYPERCALL_FAST, 0, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "fast form of a memory-only call: INVALID_HYPERCALL_INPUT");
	check((uint16_t)hvcall(KEEL_HVCALL_NULL | 1ull << 32, 0, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "rep count on a simple call: INVALID_HYPERCALL_INPUT");
	check((uint16_t)hvcall(KEEL_HVCALL_NULL | 1ull << 17, 0, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "variable header size: INVALID_HYPERCALL_INPUT");
	check(hvcall(HVCALL_DEPOSIT_MEMORY, (uint64_t)scratch, 0) == HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "rep call with no elements: INVALID_HYPERCALL_INPUT, 0 reps");
	check(hvcall(HVCALL_DEPOSIT_MEMORY | 2ull << 32 | 3ull << 48, (uint64_t)scratch, 0) ==
		      HV_STATUS_INVALID_HYPERCALL_INPUT,
	      "rep start past the count: INVALID_HYPERCALL_INPUT");
}
