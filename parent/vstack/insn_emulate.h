/*
 * x86 instruction emulator for a child partition's intercepted MMIO and port
 * I/O.
 *
 * A child's access to a guest-physical address with no RAM behind it, or to
 * an intercepted I/O port, reaches the parent's virtualization stack as an
 * intercept message carrying the faulting GPA (or port), the VP's registers
 * and the instruction bytes.  AMD processors without decode assists report
 * nothing about the instruction, so it is decoded here: the parent passes the
 * bytes, the registers and a table of callbacks that reach the emulated
 * device and the child's memory; the emulator performs the access, updates
 * the registers and flags and advances RIP.
 *
 * Pure freestanding C: no allocation, no global state; every byte and every
 * register value may be guest-controlled and is never trusted.  Segment
 * limits, access rights, canonical form, alignment and CPL are not checked:
 * the processor checked them for the access that faulted.
 */
#ifndef KEEL_PARENT_VSTACK_INSN_EMULATE_H
#define KEEL_PARENT_VSTACK_INSN_EMULATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/insn_len.h"

/* Indices into emulate_regs.gpr: the ModRM/REX register numbering. */
enum emulate_gpr {
	EMULATE_RAX, EMULATE_RCX, EMULATE_RDX, EMULATE_RBX,
	EMULATE_RSP, EMULATE_RBP, EMULATE_RSI, EMULATE_RDI,
	EMULATE_R8, EMULATE_R9, EMULATE_R10, EMULATE_R11,
	EMULATE_R12, EMULATE_R13, EMULATE_R14, EMULATE_R15,
};

/* Indices into emulate_regs.seg_base: the segment-register encoding. */
enum emulate_seg {
	EMULATE_ES, EMULATE_CS, EMULATE_SS, EMULATE_DS, EMULATE_FS, EMULATE_GS,
};

/* RFLAGS bits (SDM vol. 1 §3.4.3). */
#define EMULATE_FLAG_CF 0x0001u
#define EMULATE_FLAG_PF 0x0004u
#define EMULATE_FLAG_AF 0x0010u
#define EMULATE_FLAG_ZF 0x0040u
#define EMULATE_FLAG_SF 0x0080u
#define EMULATE_FLAG_DF 0x0400u
#define EMULATE_FLAG_OF 0x0800u

/*
 * The VP state the emulator works on.  gpr, rip and rflags are read and
 * written; seg_base is read only.  seg_base holds the segment bases as the
 * processor uses them (selector * 16 in real mode); in 64-bit mode only the
 * FS and GS bases are used and the others count as 0.
 *
 * Register writes follow the processor: 8- and 16-bit writes keep the rest of
 * the register, 32-bit writes clear bits 63:32 (SDM vol. 1 §3.4.1.1; done in
 * every mode, where outside 64-bit mode the bits are undefined).  Only the
 * arithmetic flags (CF PF AF ZF SF OF) are ever changed in rflags.
 */
struct emulate_regs {
	uint64_t gpr[16];
	uint64_t rip;
	uint64_t rflags;
	uint64_t seg_base[6];
};

/*
 * Callbacks into the device model and the child's memory.  Each returns 0 on
 * success and anything else on failure, which the emulator reports as
 * -EMULATE_ECALLBACK.  A NULL callback is treated as a failing one.
 *
 *   mmio_read/mmio_write  access `size` (1, 2, 4 or 8) bytes of emulated MMIO
 *                         at `gpa`; values are in the low bits of *value/value.
 *   pio_in/pio_out        access `size` (1, 2 or 4) bytes of port `port`.
 *   read_guest/write_guest
 *                         copy `len` bytes of the child's memory at the
 *                         linear address `linear` (translated through the
 *                         child's paging by the caller); used for the memory
 *                         side of MOVS, INS and OUTS.
 *   translate             optional: the GPA of linear address `linear`.  Used
 *                         only by MOVS to tell which side is the faulting MMIO
 *                         page; see emulate_mmio().
 */
struct emulate_ops {
	int (*mmio_read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *value);
	int (*mmio_write)(void *ctx, uint64_t gpa, unsigned size, uint64_t value);
	int (*pio_in)(void *ctx, uint16_t port, unsigned size, uint32_t *value);
	int (*pio_out)(void *ctx, uint16_t port, unsigned size, uint32_t value);
	int (*read_guest)(void *ctx, uint64_t linear, void *buf, size_t len);
	int (*write_guest)(void *ctx, uint64_t linear, const void *buf, size_t len);
	int (*translate)(void *ctx, uint64_t linear, uint64_t *gpa);
};

/* Returned negated by the emulate_* functions. */
enum emulate_error {
	EMULATE_EUNSUPPORTED = 1, /* not an instruction emulated here, or invalid */
	EMULATE_ETRUNCATED = 2,   /* the bytes end before the instruction does */
	EMULATE_EOPERAND = 3,     /* no memory operand, or operands that do not
				     match the intercepted GPA, port, size or
				     direction */
	EMULATE_ECALLBACK = 4,    /* a callback failed */
};

/* Iterations a REP string instruction performs per call at most. */
#define EMULATE_REP_CHUNK 4096u

/*
 * Emulates the instruction at regs->rip whose bytes are insn[0..insn_len),
 * decoded for `mode`, whose memory operand faulted at `fault_gpa`.  insn_len
 * may exceed the instruction (a 16-byte intercept buffer): only the
 * instruction's own bytes are read.
 *
 * The operand's linear address is computed from the registers, segment bases
 * and prefixes; its page offset must equal fault_gpa's (else EOPERAND), and
 * the device is accessed at fault_gpa.
 *
 * Supported (SDM vol. 2 mnemonics; operand sizes 8/16/32/64 by 66 and REX.W,
 * address sizes by 67, segment overrides, REX registers incl. SPL..DIL and
 * AH..BH without REX):
 *   MOV 88 89 8A 8B C6/0 C7/0 A0..A3 (moffs)
 *   MOVZX 0F B6/B7, MOVSX 0F BE/BF, MOVSXD 63 (64-bit mode)
 *   ADD OR ADC SBB AND SUB XOR CMP: 00..3B (ModRM forms), 80 81 83
 *   TEST 84 85 F6/0 F7/0 (and the /1 aliases)
 *   STOS AA AB, LODS AC AD, MOVS A4 A5, with REP (F3 or F2)
 * ALU forms set CF PF AF ZF SF OF as the processor does (AF cleared for the
 * logical ones, where it is undefined).  LOCK is accepted on read-modify-write
 * forms; the device sees a read followed by a write.
 *
 * String instructions: RSI/RDI/RCX are used at the address size and step by
 * the element size, down when RFLAGS.DF is set.  The MMIO side is accessed
 * only while it stays inside fault_gpa's page and at most EMULATE_REP_CHUNK
 * elements are done per call; if RCX is then not zero, RIP is left on the
 * instruction so that the child re-executes it (taking interrupts in
 * between, and faulting again on the next MMIO page).  For MOVS the side at
 * the faulting page is accessed through mmio_read/mmio_write and the other
 * through read_guest/write_guest; with ops->translate, each side whose
 * address translates into fault_gpa's page is MMIO; without it, the side
 * whose page offset equals fault_gpa's is, and EOPERAND is returned when
 * both or neither do.
 *
 * Returns 0 or a negative enum emulate_error.  On an error before any access
 * the registers are unchanged.  A callback failure inside a string
 * instruction leaves the registers counting the elements already done, with
 * RIP on the instruction.
 */
int emulate_mmio(const uint8_t *insn, size_t insn_len, enum x86_cpu_mode mode,
		 uint64_t fault_gpa, struct emulate_regs *regs,
		 const struct emulate_ops *ops, void *ctx);

/* The I/O access an intercept reports (SDM vol. 3 "Exit Qualification for
 * I/O Instructions"; APM vol. 2 "I/O Intercepts", EXITINFO1). */
struct emulate_io {
	uint16_t port;
	uint8_t size; /* 1, 2 or 4 */
	bool in;
};

/*
 * IN and OUT: E4 E5 E6 E7 (imm8 port), EC ED EE EF (port DX).  The decoded
 * port, size and direction must match *io (else EOPERAND).  IN writes AL, AX
 * or EAX (EAX clears bits 63:32).  Advances RIP.  Returns 0 or a negative
 * enum emulate_error; string forms are EUNSUPPORTED here.
 */
int emulate_pio(const uint8_t *insn, size_t insn_len, enum x86_cpu_mode mode,
		const struct emulate_io *io, struct emulate_regs *regs,
		const struct emulate_ops *ops, void *ctx);

/*
 * INS 6C 6D (port DX to ES:rDI) and OUTS 6E 6F (DS:rSI, segment override
 * allowed, to port DX), with REP.  The port (DX), size and direction must
 * match *io (else EOPERAND).  Memory goes through read_guest/write_guest.
 * With REP at most EMULATE_REP_CHUNK elements are done per call: RCX, RSI and
 * RDI count them, and RIP advances only once RCX reaches 0, so a longer
 * transfer is finished by the child re-executing the instruction.  Returns 0
 * or a negative enum emulate_error (errors as for emulate_mmio()); non-string
 * forms are EUNSUPPORTED here.
 */
int emulate_pio_string(const uint8_t *insn, size_t insn_len,
		       enum x86_cpu_mode mode, const struct emulate_io *io,
		       struct emulate_regs *regs, const struct emulate_ops *ops,
		       void *ctx);

/* A short description of a value returned by the functions above. */
const char *emulate_strerror(int error);

#endif
