/*
 * x86 instruction-length decoder.
 *
 * Used to advance a guest RIP past an intercepted instruction when the CPU
 * does not report it (AMD processors without NRIP save, APM vol. 2 §15.7.1).
 * Pure freestanding C: no allocation, no global state, safe on any input.
 *
 * Where Intel and AMD differ, AMD behaviour is decoded: in 64-bit mode an
 * operand-size prefix on a near branch (E8, E9, 0F 80..8F) selects a 16-bit
 * displacement (APM vol. 3, "CALL (Near)").
 */
#ifndef KEEL_ARCH_X86_INSN_LEN_H
#define KEEL_ARCH_X86_INSN_LEN_H

#include <stddef.h>
#include <stdint.h>

/* Architectural limit on instruction length (SDM vol. 2 §2.3.11). */
#define X86_INSN_MAX_LENGTH 15

/*
 * Decoding mode, from CR0.PE, EFER.LMA and CS.L/CS.D:
 *   REAL16  real or virtual-8086 mode (VEX, XOP and EVEX not recognised)
 *   PROT16  protected or compatibility mode, CS.D = 0
 *   PROT32  protected or compatibility mode, CS.D = 1
 *   LONG64  64-bit mode (CS.L = 1)
 */
enum x86_cpu_mode {
	X86_MODE_REAL16,
	X86_MODE_PROT16,
	X86_MODE_PROT32,
	X86_MODE_LONG64,
};

/* Returned negated by x86_insn_length(). */
enum x86_insn_error {
	X86_INSN_TRUNCATED = 1, /* more than `avail` bytes are needed */
	X86_INSN_INVALID = 2,   /* undefined encoding, bad mode, or > 15 bytes */
};

/*
 * Length in bytes of the instruction at bytes[0..avail), decoded for `mode`.
 * Reads no byte at or beyond bytes[avail] (nor beyond the 15-byte limit).
 * Returns 1..15, -X86_INSN_TRUNCATED if the instruction continues past
 * `avail`, or -X86_INSN_INVALID for an encoding that cannot execute in `mode`
 * or that would exceed 15 bytes.  The 0F 38 and 0F 3A maps are decoded by
 * their uniform layout (ModRM; ModRM + imm8), so opcodes left undefined in
 * them are given a length rather than rejected.
 */
int x86_insn_length(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode);

#endif
