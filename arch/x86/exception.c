/*
 * Exceptions and NMIs taken in the hypervisor.  An NMI (another
 * partition's IPI, a watchdog) and an interrupt on a vector that names an
 * exception (a fixed IPI with vector 16-31 from the parent, which drives
 * the APICs) are counted and dismissed; anything else is a hypervisor bug:
 * reported on serial, and this pCPU stops.
 */
#include <stdint.h>

#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "hv/log.h"

struct exception_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct exception_frame) == 22 * 8, "frame pushed by exception.S");

static const char *const names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound",
	"#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
};

/* Dismissed events, for the record (per pCPU would need GS; a rough
 * total is all a reader needs). */
uint64_t host_nmis, host_stray_interrupts;

void exception_report(struct exception_frame *f);
static void exception_report_fatal(const struct exception_frame *f) __attribute__((noreturn));

/* The stubs push a zero error code for vectors without one; an interrupt
 * on a vector whose exception has one (17 #AC, 21 #CP) pushes none. */
static bool stub_expects_error(uint64_t vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21;
}

/* Returns only for a dismissed event, with f->vector replaced by the bytes
 * the entry code drops before IRETQ (vector and error code, or just the
 * vector when the CPU pushed no error code). */
void exception_report(struct exception_frame *f)
{
	if (f->vector == X86_EXC_NMI) {
		__atomic_add_fetch(&host_nmis, 1, __ATOMIC_RELAXED);
		f->vector = 16;
		return;
	}
	if (f->vector == X86_EXC_SX) {
		/* An INIT the CPU redirected (AMD VM_CR.R_INIT): nobody may
		 * reset a hypervisor pCPU.  #SX pushes an error code the stub
		 * did not expect: drop the vector, the stub's 0 and it. */
		__atomic_add_fetch(&host_stray_interrupts, 1, __ATOMIC_RELAXED);
		f->vector = 24;
		return;
	}
	if (f->vector >= 16 && f->vector < 32 && f->vector != X86_EXC_MC && apic_in_service((uint8_t)f->vector)) {
		bool shifted = stub_expects_error(f->vector);

		apic_eoi();
		__atomic_add_fetch(&host_stray_interrupts, 1, __ATOMIC_RELAXED);
		f->vector = shifted ? 8 : 16;
		return;
	}
	exception_report_fatal(f);
}

static void exception_report_fatal(const struct exception_frame *f)
{
	const char *name = f->vector < 32 && names[f->vector] ? names[f->vector] : "reserved";

	log_err("exception %lu (%s) error %#lx", f->vector, name, f->error);
	log_err("  rip %#018lx cs %#lx rflags %#lx rsp %#018lx ss %#lx", f->rip, f->cs, f->rflags,
		f->rsp, f->ss);
	log_err("  cr0 %#lx cr2 %#018lx cr3 %#lx cr4 %#lx", read_cr0(), read_cr2(), read_cr3(),
		read_cr4());
	log_err("  rax %#018lx rbx %#018lx rcx %#018lx rdx %#018lx", f->rax, f->rbx, f->rcx, f->rdx);
	log_err("  rsi %#018lx rdi %#018lx rbp %#018lx r8  %#018lx", f->rsi, f->rdi, f->rbp, f->r8);
	log_err("  r9  %#018lx r10 %#018lx r11 %#018lx r12 %#018lx", f->r9, f->r10, f->r11, f->r12);
	log_err("  r13 %#018lx r14 %#018lx r15 %#018lx", f->r13, f->r14, f->r15);
	panic("unexpected exception in the hypervisor; this CPU stops");
}
