/*
 * Host unit test for the x86 instruction-length decoder.  Every length in
 * `encodings` was checked against the GNU assembler and objdump; the
 * remaining tables cover undefined encodings, truncation and the 15-byte
 * limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/insn_len.h"

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

#define R16 X86_MODE_REAL16
#define P16 X86_MODE_PROT16
#define P32 X86_MODE_PROT32
#define L64 X86_MODE_LONG64

#define INVALID   (-X86_INSN_INVALID)
#define TRUNCATED (-X86_INSN_TRUNCATED)

struct insn_case {
	const uint8_t *bytes;
	size_t size;            /* bytes given to the decoder */
	enum x86_cpu_mode mode;
	int expected;           /* length, or INVALID / TRUNCATED */
	const char *what;
};

/* Complete instructions: `size` equals the expected length. */
static const struct insn_case encodings[] = {
	/* 64-bit mode */
	{ B("\x0f\xa2"), L64, 2, "cpuid" },
	{ B("\x0f\x01\xd9"), L64, 3, "vmmcall" },
	{ B("\x0f\x01\xc1"), L64, 3, "vmcall" },
	{ B("\x0f\x32"), L64, 2, "rdmsr" },
	{ B("\x0f\x30"), L64, 2, "wrmsr" },
	{ B("\x0f\x01\xf9"), L64, 3, "rdtscp" },
	{ B("\x0f\x01\xd1"), L64, 3, "xsetbv" },
	{ B("\x0f\x01\xd8"), L64, 3, "vmrun" },
	{ B("\x0f\x01\xdd"), L64, 3, "clgi" },
	{ B("\x0f\x01\xdf"), L64, 3, "invlpga rax, ecx" },
	{ B("\x0f\x01\x78\x10"), L64, 4, "invlpg [rax+disp8]" },
	{ B("\xf4"), L64, 1, "hlt" },
	{ B("\xcc"), L64, 1, "int3" },
	{ B("\xcd\x80"), L64, 2, "int imm8" },
	{ B("\xe4\x60"), L64, 2, "in al, imm8 (E4)" },
	{ B("\xe5\x60"), L64, 2, "in eax, imm8 (E5)" },
	{ B("\x66\xe5\x60"), L64, 3, "in ax, imm8 (66 E5)" },
	{ B("\xe6\x80"), L64, 2, "out imm8, al (E6)" },
	{ B("\xe7\x80"), L64, 2, "out imm8, eax (E7)" },
	{ B("\x66\xe7\x80"), L64, 3, "out imm8, ax (66 E7)" },
	{ B("\xec"), L64, 1, "in al, dx (EC)" },
	{ B("\xed"), L64, 1, "in eax, dx (ED)" },
	{ B("\x66\xed"), L64, 2, "in ax, dx (66 ED)" },
	{ B("\xee"), L64, 1, "out dx, al (EE)" },
	{ B("\xef"), L64, 1, "out dx, eax (EF)" },
	{ B("\x66\xef"), L64, 2, "out dx, ax (66 EF)" },
	{ B("\xf3\x6e"), L64, 2, "rep outsb" },
	{ B("\x66\xf3\x6d"), L64, 3, "rep insw" },
	{ B("\xf3\x48\xa5"), L64, 3, "rep movsq" },
	{ B("\x0f\x22\xc0"), L64, 3, "mov cr0, rax" },
	{ B("\x0f\x20\xe0"), L64, 3, "mov rax, cr4" },
	{ B("\x44\x0f\x22\xc0"), L64, 4, "mov cr8, rax (REX.R)" },
	{ B("\x0f\x21\xf8"), L64, 3, "mov rax, dr7" },
	{ B("\x0f\x22\x18"), L64, 3, "mov cr3 with ModRM.mod=00: no displacement" },
	{ B("\x0f\x20\x85"), L64, 3, "mov cr with ModRM.mod=10: no disp32" },
	{ B("\x8b\x84\x8b\x78\x56\x34\x12"), L64, 7, "mov with SIB + disp32" },
	{ B("\x8b\x04\xcd\x00\x01\x00\x00"), L64, 7, "SIB without base: disp32" },
	{ B("\x48\x8b\x05\x00\x10\x00\x00"), L64, 7, "RIP-relative mov" },
	{ B("\x48\x8b\x45\x00"), L64, 4, "mod=01 rbp base disp8" },
	{ B("\x49\x8b\x45\x00"), L64, 4, "r13 base still needs disp8" },
	{ B("\x49\x8b\x04\x24"), L64, 4, "r12 base needs SIB" },
	{ B("\x48\x8b\x84\x24\x78\x56\x34\x12"), L64, 8, "SIB + disp32 via mod=10" },
	{ B("\x48\xb8\x88\x77\x66\x55\x44\x33\x22\x11"), L64, 10, "movabs rax, imm64" },
	{ B("\x49\xb9\x88\x77\x66\x55\x44\x33\x22\x11"), L64, 10, "REX.WB B8+r imm64" },
	{ B("\xb8\x78\x56\x34\x12"), L64, 5, "B8 imm32" },
	{ B("\x66\xb8\x34\x12"), L64, 4, "66 B8 imm16" },
	{ B("\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11"), L64, 10, "movabs rax, moffs64 (REX.W A1)" },
	{ B("\xa1\x88\x77\x66\x55\x44\x33\x22\x11"), L64, 9, "movabs eax, moffs64 (A1)" },
	{ B("\xa2\x88\x77\x66\x55\x44\x33\x22\x11"), L64, 9, "movabs moffs64, al (A2)" },
	{ B("\x67\xa1\x78\x56\x34\x12"), L64, 6, "A1 with 67: moffs32" },
	{ B("\x66\xc7\x00\x34\x12"), L64, 5, "66 C7 mov r/m16, imm16" },
	{ B("\x48\xc7\x00\x78\x56\x34\x12"), L64, 7, "REX.W C7 imm32" },
	{ B("\x66\x48\xc7\xc0\x78\x56\x34\x12"), L64, 8, "66 REX.W C7: REX.W wins, imm32" },
	{ B("\x66\x48\xb8\x01\x02\x03\x04\x05\x06\x07\x08"), L64, 11, "66 REX.W B8: imm64" },
	{ B("\x48\x66\xc7\xc0\x34\x12"), L64, 6, "REX before 66 is ignored: imm16" },
	{ B("\xf0\x48\x0f\xc7\x0f"), L64, 5, "lock cmpxchg16b" },
	{ B("\xf0\x48\x83\x44\xc8\x10\x01"), L64, 7, "lock add, SIB disp8, imm8" },
	{ B("\xf6\x00\x12"), L64, 3, "F6 /0 test imm8" },
	{ B("\xf7\x40\x08\x78\x56\x34\x12"), L64, 7, "F7 /0 test imm32" },
	{ B("\x66\xa9\x34\x12"), L64, 4, "66 A9 test ax, imm16" },
	{ B("\x66\xf7\xc1\x34\x12"), L64, 5, "66 F7 /0 test cx, imm16" },
	{ B("\xf6\xc8\x12"), L64, 3, "F6 /1 test alias imm8" },
	{ B("\xf7\x10"), L64, 2, "F7 /2 not: no immediate" },
	{ B("\xf6\x58\x10"), L64, 3, "F6 /3 neg: no immediate" },
	{ B("\x48\xf7\xf1"), L64, 3, "REX.W F7 /6 div" },
	{ B("\x48\xf7\x3d\x00\x01\x00\x00"), L64, 7, "F7 /7 RIP-relative" },
	{ B("\xc8\x10\x00\x00"), L64, 4, "enter iw, ib" },
	{ B("\xc2\x08\x00"), L64, 3, "ret iw" },
	{ B("\xca\x08\x00"), L64, 3, "retf iw" },
	{ B("\x68\x78\x56\x34\x12"), L64, 5, "push imm32" },
	{ B("\x6a\x12"), L64, 2, "push imm8" },
	{ B("\x66\x68\x34\x12"), L64, 4, "66 push imm16" },
	{ B("\x69\xc1\x78\x56\x34\x12"), L64, 6, "imul imm32" },
	{ B("\x6b\xc1\x12"), L64, 3, "imul imm8" },
	{ B("\xe8\xfb\x00\x00\x00"), L64, 5, "call rel32" },
	{ B("\x66\xe8\x34\x12"), L64, 4, "66 call rel16 (AMD semantics)" },
	{ B("\x0f\x85\xfa\x00\x00\x00"), L64, 6, "jcc rel32" },
	{ B("\x75\x02"), L64, 2, "jcc rel8" },
	{ B("\x0f\x05"), L64, 2, "syscall" },
	{ B("\x0f\x0b"), L64, 2, "ud2" },
	{ B("\x0f\xff\xc0"), L64, 3, "ud0 with ModRM" },
	{ B("\x48\x63\xc1"), L64, 3, "movsxd (63 in 64-bit)" },
	{ B("\xc5\xf4\x58\xc2"), L64, 4, "VEX C5 vaddps" },
	{ B("\xc4\x01\x30\x58\x84\x9a\x00\x01\x00\x00"), L64, 10, "VEX C4 vaddps, SIB disp32" },
	{ B("\xc4\xe2\x71\x00\xc2"), L64, 5, "VEX map 0F38 vpshufb" },
	{ B("\xc4\xe3\x71\x0f\xc2\x08"), L64, 6, "VEX map 0F3A vpalignr ib" },
	{ B("\xc5\xf8\x77"), L64, 3, "vzeroupper: no ModRM" },
	{ B("\xc5\xf9\x70\x05\x10\x00\x00\x00\x1b"), L64, 9, "VEX 0F 70 ib RIP-relative" },
	{ B("\x62\xf1\x74\x48\x58\xc2"), L64, 6, "EVEX vaddps" },
	{ B("\x62\xf1\x74\x48\x58\x40\x01"), L64, 7, "EVEX disp8*N" },
	{ B("\x62\xf3\x75\x48\x25\xc2\x12"), L64, 7, "EVEX map 0F3A ib" },
	{ B("\x62\xf5\x74\x48\x58\xc2"), L64, 6, "EVEX map 5 (FP16)" },
	{ B("\x66\x0f\x6f\x00"), L64, 4, "66 0F 6F movdqa" },
	{ B("\xf3\x0f\x6f\x00"), L64, 4, "F3 0F 6F movdqu" },
	{ B("\x0f\x6f\x00"), L64, 3, "0F 6F movq mmx" },
	{ B("\x0f\x38\x00\xc1"), L64, 4, "0F 38 00 pshufb mmx" },
	{ B("\x66\x0f\x38\x00\xc1"), L64, 5, "66 0F 38 00 pshufb" },
	{ B("\x66\x0f\x3a\x0f\xc1\x08"), L64, 6, "66 0F 3A 0F palignr ib" },
	{ B("\x66\x0f\x70\xc1\x1b"), L64, 5, "66 0F 70 ib" },
	{ B("\x0f\xc2\xc1\x01"), L64, 4, "0F C2 ib" },
	{ B("\xf2\x0f\x38\xf0\x01"), L64, 5, "F2 0F 38 F0 crc32" },
	{ B("\x66\x0f\x78\xc0\x04\x08"), L64, 6, "SSE4a extrq imm8, imm8" },
	{ B("\xf2\x0f\x78\xc1\x04\x08"), L64, 6, "SSE4a insertq imm8, imm8" },
	{ B("\x66\x0f\x79\xc1"), L64, 4, "SSE4a extrq reg form" },
	{ B("\x8f\xe8\x78\xc2\xc1\x05"), L64, 6, "XOP map 8 imm8" },
	{ B("\x8f\xe9\x78\x80\xc1"), L64, 5, "XOP map 9" },
	{ B("\x8f\xea\x78\x10\xc1\x78\x56\x34\x12"), L64, 9, "XOP map A imm32 (TBM)" },
	{ B("\x0f\x0f\xc1\x9e"), L64, 4, "3DNow! pfadd" },
	{ B("\x0f\x0f\x40\x10\xb4"), L64, 5, "3DNow! pfmul memory" },
	{ B("\xc7\xf8\xfa\x00\x00\x00"), L64, 6, "xbegin rel32" },
	{ B("\xc6\xf8\x12"), L64, 3, "xabort imm8" },
	{ B("\x2e\x66\x0f\x1f\x04\x00"), L64, 6, "2E 66 0F 1F long nop, SIB" },
	{ B("\xf3\x0f\x1e\xfa"), L64, 4, "endbr64" },
	{ B("\x66\x0f\x38\x80\x01"), L64, 5, "66 0F 38 80 invept" },
	{ B("\x0f\x78\xc8"), L64, 3, "vmread" },
	{ B("\x0f\xa4\xc8\x04"), L64, 4, "0F A4 shld ib" },
	{ B("\x0f\xba\x20\x03"), L64, 4, "0F BA ib" },
	{ B("\x64\x45\x33\x41\x12"), L64, 5, "segment override + REX" },
	{ B("\x48\xcf"), L64, 2, "iretq" },
	{ B("\x0f\xa1"), L64, 2, "pop fs (0F A1)" },
	{ B("\x8e\xd0"), L64, 2, "mov sreg" },
	{ B("\x48\x8d\x05\x78\x56\x34\x12"), L64, 7, "lea RIP-relative" },
	{ B("\xff\x20"), L64, 2, "FF /4" },
	{ B("\x40\x90"), L64, 2, "REX then nop" },
	{ B("\xdd\x04\x58"), L64, 3, "x87" },
	{ B("\x64\x67\xf0\x48\x81\x84\xc8\x78\x56\x34\x12\x78\x56\x34\x12"), L64, 15, "15 bytes: the architectural maximum" },
	{ B("\x48\x66\xc7\xc0\x34\x12"), L64, 6, "REX before 66 is ignored, not split off" },

	/* 32-bit protected mode */
	{ B("\x40"), P32, 1, "inc (40 is not REX in 32-bit)" },
	{ B("\x49"), P32, 1, "dec" },
	{ B("\xea\x78\x56\x34\x12\x10\x00"), P32, 7, "far jmp ptr16:32" },
	{ B("\x9a\x78\x56\x34\x12\x10\x00"), P32, 7, "far call ptr16:32" },
	{ B("\x66\xea\x34\x12\x10\x00"), P32, 6, "66 far jmp ptr16:16" },
	{ B("\xc4\x01"), P32, 2, "C4 with mod!=11 is LES" },
	{ B("\xc5\x41\x10"), P32, 3, "C5 with mod!=11 is LDS" },
	{ B("\x62\x01"), P32, 2, "62 with mod!=11 is BOUND" },
	{ B("\xc5\xf4\x58\xc2"), P32, 4, "VEX C5 in 32-bit mode" },
	{ B("\xc4\xe3\x71\x0f\x40\x10\x08"), P32, 7, "VEX C4 in 32-bit mode" },
	{ B("\x62\xf1\x74\x48\x58\xc2"), P32, 6, "EVEX in 32-bit mode" },
	{ B("\x8f\x00"), P32, 2, "8F /0 pop" },
	{ B("\x8f\xe8\x78\xc2\xc1\x05"), P32, 6, "XOP in 32-bit mode" },
	{ B("\xa1\x78\x56\x34\x12"), P32, 5, "A1 moffs32" },
	{ B("\x67\xa1\x34\x12"), P32, 4, "67 A1 moffs16" },
	{ B("\x8b\x84\x8b\x78\x56\x34\x12"), P32, 7, "SIB disp32" },
	{ B("\x8b\x0d\x78\x56\x34\x12"), P32, 6, "mod=00 rm=101 absolute disp32" },
	{ B("\x67\x8b\x06\x34\x12"), P32, 5, "67: 16-bit mod=00 rm=110 disp16" },
	{ B("\x67\x8b\x47\x10"), P32, 4, "67: 16-bit [bx+disp8]" },
	{ B("\x67\x8b\x87\x34\x12"), P32, 5, "67: 16-bit [bx+disp16]" },
	{ B("\x67\x8b\x04"), P32, 3, "67: 16-bit [si] (rm=100 is not SIB)" },
	{ B("\x06"), P32, 1, "push es (valid in 32-bit)" },
	{ B("\x60"), P32, 1, "pusha" },
	{ B("\x27"), P32, 1, "daa" },
	{ B("\xd4\x0a"), P32, 2, "aam" },
	{ B("\xce"), P32, 1, "into" },
	{ B("\x63\xc8"), P32, 2, "arpl" },
	{ B("\x66\xb8\x34\x12"), P32, 4, "66 B8 imm16" },
	{ B("\xb8\x78\x56\x34\x12"), P32, 5, "B8 imm32" },
	{ B("\x66\xe8\x34\x12"), P32, 4, "66 call rel16" },
	{ B("\xe8\xfb\x00\x00\x00"), P32, 5, "call rel32" },
	{ B("\x0f\x22\xc0"), P32, 3, "mov cr0, eax" },
	{ B("\x0f\xa2"), P32, 2, "cpuid in 32-bit" },
	{ B("\xee"), P32, 1, "out dx, al" },
	{ B("\x68\x78\x56\x34\x12"), P32, 5, "push imm32" },
	{ B("\x82\xc0\x12"), P32, 3, "82 alias of 80 (valid outside 64-bit)" },

	/* 16-bit real and protected mode */
	{ B("\xa1\x34\x12"), R16, 3, "A1 moffs16" },
	{ B("\x8b\x06\x34\x12"), R16, 4, "mod=00 rm=110 disp16" },
	{ B("\x8b\x46\x10"), R16, 3, "[bp+disp8]" },
	{ B("\x8b\x80\x34\x12"), R16, 4, "[bx+si+disp16]" },
	{ B("\x67\x66\x8b\x44\x8b\x10"), R16, 6, "66 67 SIB in 16-bit mode" },
	{ B("\xb8\x34\x12"), R16, 3, "B8 imm16" },
	{ B("\x66\xb8\x78\x56\x34\x12"), R16, 6, "66 B8 imm32" },
	{ B("\xea\x78\x56\x34\x12"), R16, 5, "far jmp ptr16:16" },
	{ B("\x66\xea\x78\x56\x34\x12\x34\x12"), R16, 8, "66 far jmp ptr16:32" },
	{ B("\xc8\x10\x00\x01"), R16, 4, "enter" },
	{ B("\xe8\xfd\x00"), R16, 3, "call rel16" },
	{ B("\xc7\x07\x34\x12"), R16, 4, "C7 imm16" },
	{ B("\x66\xc7\x07\x78\x56\x34\x12"), R16, 7, "66 C7 imm32" },
	{ B("\xf7\x04\x34\x12"), R16, 4, "F7 /0 imm16" },
	{ B("\xe5\x60"), R16, 2, "E5 in 16-bit mode" },
	{ B("\x66\xe7\x80"), R16, 3, "66 E7 in 16-bit mode" },
	{ B("\xf3\x6d"), R16, 2, "rep insw" },
	{ B("\xc4\x06\x34\x12"), R16, 4, "C4 LES in real mode" },
	{ B("\x8b\x02"), P16, 2, "16-bit [bp+si] (protected 16-bit)" },
	{ B("\x68\x34\x12"), P16, 3, "push imm16 (protected 16-bit)" },
	{ B("\xc5\xf8\x77"), P16, 3, "VEX vzeroupper (protected 16-bit)" },
	{ B("\x0f\x01\xd9"), P16, 3, "vmmcall 16-bit protected" },
	{ B("\xc5\xf8"), R16, 2, "real mode: C5 mod=11 is LDS, not VEX" },
	{ B("\x62\xf1"), R16, 2, "real mode: 62 mod=11 is BOUND, not EVEX" },
	{ B("\x8f\xe8"), R16, 2, "real mode: 8F is POP, not XOP" },
	{ B("\x0f\x22\x18"), R16, 3, "mov cr3 in real mode: no displacement" },
};

static const struct insn_case undefined[] = {
	{ B("\x06"), L64, INVALID, "push es in 64-bit mode" },
	{ B("\x07"), L64, INVALID, "pop es in 64-bit mode" },
	{ B("\x0e"), L64, INVALID, "push cs in 64-bit mode" },
	{ B("\x16"), L64, INVALID, "push ss in 64-bit mode" },
	{ B("\x1f"), L64, INVALID, "pop ds in 64-bit mode" },
	{ B("\x27"), L64, INVALID, "daa in 64-bit mode" },
	{ B("\x37"), L64, INVALID, "aaa in 64-bit mode" },
	{ B("\x60"), L64, INVALID, "pusha in 64-bit mode" },
	{ B("\x61"), L64, INVALID, "popa in 64-bit mode" },
	{ B("\x82\xc0\x12"), L64, INVALID, "82 in 64-bit mode" },
	{ B("\x9a\x78\x56\x34\x12\x10\x00"), L64, INVALID, "far call ptr16:32 in 64-bit mode" },
	{ B("\xea\x78\x56\x34\x12\x10\x00"), L64, INVALID, "far jmp ptr16:32 in 64-bit mode" },
	{ B("\xce"), L64, INVALID, "into in 64-bit mode" },
	{ B("\xd4\x0a"), L64, INVALID, "aam in 64-bit mode" },
	{ B("\xd5\x0a"), L64, INVALID, "aad in 64-bit mode" },
	{ B("\xd6"), L64, INVALID, "D6 in 64-bit mode" },
	{ B("\xd6"), P32, INVALID, "D6 in 32-bit mode" },
	{ B("\x0f\x04"), L64, INVALID, "0F 04" },
	{ B("\x0f\x0a"), P32, INVALID, "0F 0A" },
	{ B("\x0f\x24\xc0"), P32, INVALID, "0F 24 (386 mov tr)" },
	{ B("\x0f\x36"), L64, INVALID, "0F 36" },
	{ B("\x0f\x3b"), L64, INVALID, "0F 3B" },
	{ B("\x0f\x7a\xc0"), L64, INVALID, "0F 7A" },
	{ B("\x66\xc5\xf8\x77"), L64, INVALID, "66 before VEX" },
	{ B("\x48\xc5\xf8\x77"), L64, INVALID, "REX before VEX" },
	{ B("\xf3\xc5\xf8\x77"), L64, INVALID, "F3 before VEX" },
	{ B("\xf0\xc5\xf8\x77"), L64, INVALID, "lock before VEX" },
	{ B("\xf2\x62\xf1\x74\x48\x58\xc2"), L64, INVALID, "F2 before EVEX" },
	{ B("\x66\xc5\xf8\x77"), P32, INVALID, "66 before VEX in 32-bit mode" },
	{ B("\xc4\xe0\x78\x00\xc0"), L64, INVALID, "VEX map 0" },
	{ B("\xc4\xe4\x78\x00\xc0"), L64, INVALID, "VEX map 4" },
	{ B("\xc5\xf8\x80\x00\x00"), L64, INVALID, "VEX 0F 80 (Jz has no VEX form)" },
	{ B("\x62\xf1\x70\x48\x58\xc2"), L64, INVALID, "EVEX with P1 bit 2 clear" },
	{ B("\x62\xf4\x7c\x48\x00\xc0"), L64, INVALID, "EVEX map 4" },
	{ B("\x8f\xeb\x78\x10\xc0"), L64, INVALID, "XOP map 0B" },
};

static const struct insn_case truncated[] = {
	{ B(""), L64, TRUNCATED, "empty buffer" },
	{ B("\x0f"), L64, TRUNCATED, "escape byte only" },
	{ B("\x0f\x38"), L64, TRUNCATED, "0F 38 without opcode" },
	{ B("\x66\x67\xf3"), L64, TRUNCATED, "prefixes only" },
	{ B("\x48"), L64, TRUNCATED, "REX only" },
	{ B("\xb8\x12\x34"), L64, TRUNCATED, "mov eax, imm32 cut short" },
	{ B("\x48\xb8\x01\x02\x03\x04\x05\x06\x07"), L64, TRUNCATED, "movabs imm64 cut short" },
	{ B("\xa1\x01\x02\x03\x04"), L64, TRUNCATED, "A1 needs 8 offset bytes in 64-bit mode" },
	{ B("\x8b\x84"), L64, TRUNCATED, "ModRM needing SIB" },
	{ B("\x8b\x84\x8b\x78\x56"), L64, TRUNCATED, "SIB + disp32 cut short" },
	{ B("\xf6\x00"), L64, TRUNCATED, "test r/m8, imm8 without imm8" },
	{ B("\xc4\xe2"), L64, TRUNCATED, "three-byte VEX cut short" },
	{ B("\x62\xf1\x74"), L64, TRUNCATED, "EVEX cut short" },
	{ B("\xc4"), P32, TRUNCATED, "C4 in 32-bit mode: LES or VEX unknown" },
	{ B("\x62"), P32, TRUNCATED, "62 in 32-bit mode: BOUND or EVEX unknown" },
	{ B("\x8f"), P32, TRUNCATED, "8F: POP or XOP unknown" },
	{ B("\x67\x8b\x06\x34"), P32, TRUNCATED, "16-bit disp16 cut short" },
	{ B("\xea\x78\x56\x34\x12\x10"), P32, TRUNCATED, "far jmp selector cut short" },
	{ B("\xc8\x10\x00"), R16, TRUNCATED, "enter without level byte" },
};

/*
 * Runs the decoder on a heap copy of exactly `avail` bytes, so that
 * AddressSanitizer reports any read past the end: the first `size` bytes of
 * `bytes`, then `filler` up to `avail`.
 */
static int decode(const uint8_t *bytes, size_t size, size_t avail,
		  enum x86_cpu_mode mode, uint8_t filler)
{
	uint8_t *copy = malloc(avail ? avail : 1);
	size_t n = size < avail ? size : avail;
	int ret;

	assert_non_null(copy);
	memcpy(copy, bytes, n);
	memset(copy + n, filler, avail - n);
	ret = x86_insn_length(copy, avail, mode);
	free(copy);
	return ret;
}

static const char *mode_name(enum x86_cpu_mode mode)
{
	switch (mode) {
	case X86_MODE_REAL16: return "real16";
	case X86_MODE_PROT16: return "prot16";
	case X86_MODE_PROT32: return "prot32";
	case X86_MODE_LONG64: return "long64";
	}
	return "?";
}

static unsigned int check_table(const struct insn_case *cases, size_t count)
{
	unsigned int failures = 0;

	for (size_t i = 0; i < count; i++) {
		const struct insn_case *c = &cases[i];
		int got = decode(c->bytes, c->size, c->size, c->mode, 0);

		if (got != c->expected) {
			print_error("%s (%s): expected %d, got %d\n", c->what,
				    mode_name(c->mode), c->expected, got);
			failures++;
		}
	}
	return failures;
}

static void test_encodings(void **state)
{
	(void)state;
	assert_true(sizeof(encodings) / sizeof(encodings[0]) >= 80);
	for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++)
		assert_int_equal(encodings[i].size, encodings[i].expected);
	assert_int_equal(check_table(encodings, sizeof(encodings) / sizeof(encodings[0])), 0);
}

static void test_undefined(void **state)
{
	(void)state;
	assert_int_equal(check_table(undefined, sizeof(undefined) / sizeof(undefined[0])), 0);
}

static void test_truncated(void **state)
{
	(void)state;
	assert_int_equal(check_table(truncated, sizeof(truncated) / sizeof(truncated[0])), 0);
}

/* Every proper prefix of a complete instruction is truncated. */
static void test_every_prefix_truncated(void **state)
{
	unsigned int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
		const struct insn_case *c = &encodings[i];

		for (size_t n = 0; n < c->size; n++) {
			int got = decode(c->bytes, n, n, c->mode, 0);

			if (got != TRUNCATED) {
				print_error("%s: %zu of %zu bytes gave %d\n",
					    c->what, n, c->size, got);
				failures++;
			}
		}
	}
	assert_int_equal(failures, 0);
}

/* Bytes after the instruction never change its length. */
static void test_trailing_bytes_ignored(void **state)
{
	static const uint8_t fillers[] = { 0x00, 0x0f, 0x66, 0xc4, 0xff };
	unsigned int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
		const struct insn_case *c = &encodings[i];

		for (size_t f = 0; f < sizeof(fillers); f++) {
			int got = decode(c->bytes, c->size, c->size + 16,
					 c->mode, fillers[f]);

			if (got != c->expected) {
				print_error("%s + %02x filler: got %d\n",
					    c->what, fillers[f], got);
				failures++;
			}
		}
	}
	assert_int_equal(failures, 0);
}

static void test_length_limit(void **state)
{
	static const uint8_t max15[] = {
		0x64, 0x67, 0xf0, 0x48, 0x81, 0x84, 0xc8, 0x78, 0x56, 0x34,
		0x12, 0x78, 0x56, 0x34, 0x12,
	};
	uint8_t buf[32];

	(void)state;
	/* 14 prefixes + nop: 15 bytes, the maximum. */
	memset(buf, 0x66, sizeof(buf));
	buf[14] = 0x90;
	assert_int_equal(decode(buf, 15, 15, L64, 0), 15);
	assert_int_equal(decode(buf, 15, 15, P32, 0), 15);

	/* 15 prefixes + nop: 16 bytes. */
	buf[14] = 0x66;
	buf[15] = 0x90;
	assert_int_equal(decode(buf, 16, 16, L64, 0), INVALID);
	assert_int_equal(decode(buf, 16, 16, R16, 0), INVALID);
	/* Fifteen prefixes are already too long, not merely truncated. */
	assert_int_equal(decode(buf, 15, 15, L64, 0), INVALID);
	assert_int_equal(decode(buf, 32, 32, L64, 0), INVALID);

	/* 14 prefixes + two-byte cpuid: 16 bytes. */
	buf[14] = 0x0f;
	buf[15] = 0xa2;
	assert_int_equal(decode(buf, 16, 16, L64, 0), INVALID);
	assert_int_equal(decode(buf, 15, 15, L64, 0), INVALID);

	/* A 15-byte instruction is fine; one more prefix is not. */
	assert_int_equal(decode(max15, sizeof(max15), sizeof(max15), L64, 0), 15);
	buf[0] = 0x2e;
	memcpy(buf + 1, max15, sizeof(max15));
	assert_int_equal(decode(buf, 16, 16, L64, 0), INVALID);
	/* ... as soon as the bytes seen fix the length past 15 ... */
	assert_int_equal(decode(buf, 15, 15, L64, 0), INVALID);
	assert_int_equal(decode(buf, 8, 8, L64, 0), INVALID);
	/* ... and truncated while they do not (the SIB byte is missing). */
	assert_int_equal(decode(buf, 7, 7, L64, 0), TRUNCATED);

	/* Ten prefixes + RIP-relative mov: the disp32 crosses the limit. */
	memset(buf, 0x2e, 10);
	buf[10] = 0x8b;
	buf[11] = 0x05; /* RIP-relative disp32 */
	assert_int_equal(decode(buf, 32, 32, L64, 0), INVALID);
}

static void test_bad_mode(void **state)
{
	static const uint8_t nop[] = { 0x90 };

	(void)state;
	assert_int_equal(x86_insn_length(nop, sizeof(nop), (enum x86_cpu_mode)4), INVALID);
	assert_int_equal(x86_insn_length(nop, sizeof(nop), (enum x86_cpu_mode)-1), INVALID);
	assert_int_equal(x86_insn_length(NULL, 0, L64), TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_undefined),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_every_prefix_truncated),
		cmocka_unit_test(test_trailing_bytes_ignored),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_bad_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
