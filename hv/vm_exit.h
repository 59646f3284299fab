/*
 * The vendor-neutral description of why a VP stopped running.  A backend
 * fills one from its hardware exit (VMCB EXITCODE / VMCS exit reason); the
 * policy in hv/exit.c reads only this.
 *
 * Every VP intercepts #DB and #AC: a guest that makes their delivery fault
 * again (CVE-2015-8104, CVE-2015-5307) would otherwise hold its pCPU in
 * microcode forever; intercepted, each delivery is an exit the scheduler
 * sees, and the exception is reflected to the guest.
 */
#ifndef KEEL_HV_VM_EXIT_H
#define KEEL_HV_VM_EXIT_H

#include <stdbool.h>
#include <stdint.h>

enum vm_exit_reason {
	VM_EXIT_NONE = 0,
	VM_EXIT_CPUID,
	VM_EXIT_HYPERCALL,       /* VMMCALL / VMCALL */
	VM_EXIT_MSR_READ,
	VM_EXIT_MSR_WRITE,
	VM_EXIT_IO,
	VM_EXIT_HLT,
	VM_EXIT_PAUSE,           /* a child's PAUSE: it spins (run_pause) */
	VM_EXIT_GPA_FAULT,       /* NPF / EPT violation */
	VM_EXIT_VIRT_INSN,       /* an SVM/VMX instruction the guest may not use */
	VM_EXIT_EXTERNAL_INTR,
	VM_EXIT_SLICE_END,       /* the backend's own slice timer expired */
	VM_EXIT_SHUTDOWN,        /* triple fault */
	VM_EXIT_XSETBV,          /* ECX = XCR index, EDX:EAX = value */
	VM_EXIT_INVD,            /* caches invalidated without write-back: never let through */
	VM_EXIT_EXCEPTION,       /* an intercepted exception (#DB, #AC): `exception` */
	VM_EXIT_ENTRY_FAILED,    /* the hardware refused the guest state */
	VM_EXIT_UNHANDLED,       /* anything else; `hw_code` says what */
	VM_EXIT_REASON_COUNT
};

/* Access kinds of a GPA fault. */
#define VM_ACCESS_READ  (1u << 0)
#define VM_ACCESS_WRITE (1u << 1)
#define VM_ACCESS_EXEC  (1u << 2)

struct vm_exit {
	enum vm_exit_reason reason;
	uint32_t hw_code;          /* the backend's raw exit code, for logs */
	union {
		struct {
			uint32_t msr;
		} msr;
		struct {
			uint16_t port;
			uint8_t size;      /* 1, 2 or 4 */
			uint8_t in : 1, string : 1, rep : 1;
		} io;
		struct {
			uint64_t gpa;
			uint32_t access;   /* VM_ACCESS_* */
		} gpa_fault;
		struct {
			uint8_t vector;
			bool has_error;
			uint32_t error;
		} exception;
	};
	/* RIP after the instruction for exits that skip it (CPUID, hypercall,
	 * MSR, I/O); 0 if unknown or not applicable. */
	uint64_t next_rip;
};

#endif
