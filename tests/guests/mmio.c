/*
 * MMIO tests: every access below faults to the parent, which emulates the
 * instruction (parent/vstack/insn_emulate.c).  The instructions are written
 * in inline assembly so that the encoding under test is certain; objdump
 * build/guests/guest64.elf to see them.
 */
#include "tests/guests/lib.h"
#include "tests/guests/mmio.h"

#define SCRATCH  ((uintptr_t)0xd0000000u) /* docs/guests.md: emulated scratch page */
#define UNBACKED ((uintptr_t)0xc0000000u) /* nothing there */

#define ONES ((uintptr_t)~(uintptr_t)0)

/* RFLAGS arithmetic flags (SDM vol. 1 §3.4.3). */
#define CF 0x001u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ARITH_FLAGS (CF | ZF | SF | OF)

/* A RAM buffer for the MOVS tests: page offsets 0 and 0x800 differ from
 * the scratch offsets used, so each side of a MOVS is unambiguous. */
static uint8_t ram_page[4096] __attribute__((aligned(4096)));

static inline uint8_t read8(uintptr_t a)
{
	uint8_t v;
	__asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
	return v;
}

static inline uint32_t read32(uintptr_t a)
{
	uint32_t v;
	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline void write8(uintptr_t a, uint8_t v) { __asm__ volatile("movb %1, (%0)" ::"r"(a), "q"(v) : "memory"); }
static inline void write32(uintptr_t a, uint32_t v) { __asm__ volatile("movl %1, (%0)" ::"r"(a), "r"(v) : "memory"); }

static void test_8bit(void)
{
	uintptr_t p = SCRATCH + 0x10, r;

	test_begin("mmio 8-bit");
	__asm__ volatile("movb $0xa5, (%0)" ::"r"(p) : "memory");
	r = ONES;
	__asm__ volatile("movb (%1), %b0" : "+q"(r) : "r"(p) : "memory");
	test_expect("movb (mmio), %al keeps the rest of the register", r, (ONES << 8) | 0xa5);
	r = ONES;
	__asm__ volatile("movzbl (%1), %k0" : "+r"(r) : "r"(p) : "memory");
	test_expect("movzbl", r, 0xa5);
	r = 0;
	__asm__ volatile("movsbl (%1), %k0" : "+r"(r) : "r"(p) : "memory");
	test_expect("movsbl sign-extends", r, 0xffffffa5u);
#ifdef __x86_64__
	__asm__ volatile("movsbq (%1), %0" : "=r"(r) : "r"(p) : "memory");
	test_expect("movsbq sign-extends", r, 0xffffffffffffffa5ull);
#endif
	__asm__ volatile("movb %1, (%0)" ::"r"(p), "q"((uint8_t)0x5a) : "memory");
	test_expect("movb %reg, (mmio)", read8(p), 0x5a);
	r = ONES;
	__asm__ volatile("movsbl (%1), %k0" : "+r"(r) : "r"(p) : "memory");
	test_expect("movsbl of a positive byte", r, 0x5a);
	/* AH: encodable only without REX, so the address is in ESI/RSI. */
	r = 0x11;
	__asm__ volatile("movb (%1), %h0" : "+a"(r) : "S"(p) : "memory");
	test_expect("movb (mmio), %ah", r, 0x5a11);
	test_end();
}

static void test_16bit(void)
{
	uintptr_t p = SCRATCH + 0x20, r;

	test_begin("mmio 16-bit");
	__asm__ volatile("movw $0x8001, (%0)" ::"r"(p) : "memory");
	r = ONES;
	__asm__ volatile("movw (%1), %w0" : "+r"(r) : "r"(p) : "memory");
	test_expect("movw (mmio), %ax keeps the rest of the register", r, (ONES << 16) | 0x8001);
	r = ONES;
	__asm__ volatile("movzwl (%1), %k0" : "+r"(r) : "r"(p) : "memory");
	test_expect("movzwl", r, 0x8001);
	r = 0;
	__asm__ volatile("movswl (%1), %k0" : "+r"(r) : "r"(p) : "memory");
	test_expect("movswl sign-extends", r, 0xffff8001u);
#ifdef __x86_64__
	__asm__ volatile("movswq (%1), %0" : "=r"(r) : "r"(p) : "memory");
	test_expect("movswq sign-extends", r, 0xffffffffffff8001ull);
#endif
	__asm__ volatile("movw %w1, (%0)" ::"r"(p), "r"((uint16_t)0x1234) : "memory");
	test_expect("movw %reg, (mmio): low byte", read8(p), 0x34);
	test_expect("movw %reg, (mmio): high byte", read8(p + 1), 0x12);
	test_end();
}

static void test_32bit(void)
{
	uintptr_t p = SCRATCH + 0x40, r;
	uint32_t v;

	test_begin("mmio 32-bit");
	__asm__ volatile("movl $0x89abcdef, (%0)" ::"r"(p) : "memory");
	r = ONES;
	__asm__ volatile("movl (%1), %k0" : "+r"(r) : "r"(p) : "memory");
	test_expect("movl (mmio), %eax (clears bits 63:32 in 64-bit mode)", r, 0x89abcdefu);
	test_expect("byte 1 of the dword", read8(p + 1), 0xcd);
#ifdef __x86_64__
	__asm__ volatile("movslq (%1), %0" : "=r"(r) : "r"(p) : "memory");
	test_expect("movslq sign-extends", r, 0xffffffff89abcdefull);
#endif
	write32(p + 4, 0x01020304);
	test_expect("movl %reg, (mmio)", read32(p + 4), 0x01020304);
	/* The moffs forms (A1, A3): absolute address, accumulator only. */
#ifdef __x86_64__
	__asm__ volatile("movabs %%eax, 0xd0000048" ::"a"(0xcafef00du) : "memory");
	__asm__ volatile("movabs 0xd0000048, %%eax" : "=a"(v) : : "memory");
#else
	__asm__ volatile("movl %%eax, 0xd0000048" ::"a"(0xcafef00du) : "memory");
	__asm__ volatile("movl 0xd0000048, %%eax" : "=a"(v) : : "memory");
#endif
	test_expect("mov %eax <-> moffs", v, 0xcafef00du);
	test_end();
}

#ifdef __x86_64__
static void test_64bit(void)
{
	uintptr_t p = SCRATCH + 0x80, r;

	test_begin("mmio 64-bit");
	__asm__ volatile("movq $-2, (%0)" ::"r"(p) : "memory");
	__asm__ volatile("movq (%1), %0" : "=r"(r) : "r"(p) : "memory");
	test_expect("movq $imm32 sign-extended", r, 0xfffffffffffffffeull);
	__asm__ volatile("movq %1, (%0)" ::"r"(p), "r"(0x0123456789abcdefull) : "memory");
	__asm__ volatile("movq (%1), %0" : "=r"(r) : "r"(p) : "memory");
	test_expect("movq %reg <-> (mmio)", r, 0x0123456789abcdefull);
	test_expect("high dword", read32(p + 4), 0x01234567);
	test_end();
}
#endif

static void test_stos(void)
{
	uintptr_t di, cx;
	bool ok;

	test_begin("mmio rep stosb");
	ok = true;
	write8(SCRATCH + 0xff, 0x11);
	write8(SCRATCH + 0x140, 0x11);
	di = SCRATCH + 0x100, cx = 64;
	__asm__ volatile("rep stosb" : "+D"(di), "+c"(cx) : "a"(0x5a) : "memory");
	test_expect("rdi after", di, SCRATCH + 0x140);
	test_expect("rcx after", cx, 0);
	for (unsigned i = 0; i < 64 && ok; i++)
		ok = test_expect("byte stored", read8(SCRATCH + 0x100 + i), 0x5a);
	test_expect("byte before untouched", read8(SCRATCH + 0xff), 0x11);
	test_expect("byte after untouched", read8(SCRATCH + 0x140), 0x11);
	test_end();

	test_begin("mmio rep stosd");
	ok = true;
	write32(SCRATCH + 0x240, 0x22222222);
	di = SCRATCH + 0x200, cx = 16;
	__asm__ volatile("rep stosl" : "+D"(di), "+c"(cx) : "a"(0x12345678) : "memory");
	test_expect("rdi after", di, SCRATCH + 0x240);
	test_expect("rcx after", cx, 0);
	for (unsigned i = 0; i < 16 && ok; i++)
		ok = test_expect("dword stored", read32(SCRATCH + 0x200 + 4 * i), 0x12345678);
	test_expect("dword after untouched", read32(SCRATCH + 0x240), 0x22222222);
	test_end();

	test_begin("mmio rep stosb with DF set");
	ok = true;
	write8(SCRATCH + 0x2ef, 0x11);
	di = SCRATCH + 0x2ff, cx = 16;
	__asm__ volatile("std; rep stosb; cld" : "+D"(di), "+c"(cx) : "a"(0xc3) : "memory", "cc");
	test_expect("rdi after", di, SCRATCH + 0x2ef);
	test_expect("rcx after", cx, 0);
	for (unsigned i = 0; i < 16 && ok; i++)
		ok = test_expect("byte stored", read8(SCRATCH + 0x2f0 + i), 0xc3);
	test_expect("byte below untouched", read8(SCRATCH + 0x2ef), 0x11);
	test_end();
}

static void test_movs(void)
{
	uint8_t *src = ram_page, *dst = ram_page + 0x800;
	uintptr_t si, di, cx;
	bool ok;

	for (unsigned i = 0; i < 64; i++)
		src[i] = (uint8_t)(i * 7 + 1), dst[i] = 0;

	test_begin("mmio rep movsb to mmio");
	ok = true;
	si = (uintptr_t)src, di = SCRATCH + 0x300, cx = 64;
	__asm__ volatile("rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	test_expect("rsi after", si, (uintptr_t)src + 64);
	test_expect("rdi after", di, SCRATCH + 0x340);
	test_expect("rcx after", cx, 0);
	for (unsigned i = 0; i < 64 && ok; i++)
		ok = test_expect("byte copied", read8(SCRATCH + 0x300 + i), src[i]);
	test_end();

	test_begin("mmio rep movsb from mmio");
	ok = true;
	si = SCRATCH + 0x300, di = (uintptr_t)dst, cx = 64;
	__asm__ volatile("rep movsb" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	test_expect("rsi after", si, SCRATCH + 0x340);
	test_expect("rdi after", di, (uintptr_t)dst + 64);
	test_expect("rcx after", cx, 0);
	if (memcmp(src, dst, 64) != 0)
		for (unsigned i = 0; i < 64 && ok; i++)
			ok = test_expect("byte copied", dst[i], src[i]);
	test_end();
}

/* Read-modify-write forms: the result and the arithmetic flags. */
static void test_alu(void)
{
	uintptr_t p = SCRATCH + 0x400, flags, r;

	test_begin("mmio add");
	write32(p, 0xfffffffe);
	__asm__ volatile("addl $1, (%1); pushf; pop %0" : "=r"(flags) : "r"(p) : "memory", "cc");
	test_expect("addl $1: result", read32(p), 0xffffffff);
	test_expect("addl $1: flags", flags & ARITH_FLAGS, SF);
	__asm__ volatile("addl %2, (%1); pushf; pop %0" : "=r"(flags) : "r"(p), "r"(1u) : "memory", "cc");
	test_expect("addl %reg: result", read32(p), 0);
	test_expect("addl %reg: flags", flags & ARITH_FLAGS, CF | ZF);
	write32(p, 0x7fffffff);
	r = 1;
	__asm__ volatile("addl (%2), %k0; pushf; pop %1" : "+r"(r), "=r"(flags) : "r"(p) : "memory", "cc");
	test_expect("addl (mmio), %reg: result", r, 0x80000000u);
	test_expect("addl (mmio), %reg: flags", flags & ARITH_FLAGS, SF | OF);
	test_expect("addl (mmio), %reg: memory unchanged", read32(p), 0x7fffffff);
	write8(p + 4, 0x7f);
	__asm__ volatile("lock addb $2, (%0)" ::"r"(p + 4) : "memory", "cc");
	test_expect("lock addb", read8(p + 4), 0x81);
	test_end();

	test_begin("mmio or");
	write32(p, 0x0f0f0000);
	__asm__ volatile("orl $0xf0, (%1); pushf; pop %0" : "=r"(flags) : "r"(p) : "memory", "cc");
	test_expect("orl $imm: result", read32(p), 0x0f0f00f0);
	test_expect("orl $imm: flags", flags & ARITH_FLAGS, 0);
	__asm__ volatile("orw %w1, (%0)" ::"r"(p), "r"((uint16_t)0x8001) : "memory", "cc");
	test_expect("orw %reg: result", read32(p), 0x0f0f80f1);
	__asm__ volatile("orb $0x80, 3(%1); pushf; pop %0" : "=r"(flags) : "r"(p) : "memory", "cc");
	test_expect("orb $imm: result", read32(p), 0x8f0f80f1);
	test_expect("orb $imm: flags", flags & ARITH_FLAGS, SF);
	write32(p + 8, 0);
	__asm__ volatile("lock orl %2, (%1); pushf; pop %0" : "=r"(flags) : "r"(p + 8), "r"(0u) : "memory", "cc");
	test_expect("lock orl 0 to 0: flags", flags & ARITH_FLAGS, ZF);
	test_end();
}

void test_mmio(void)
{
	test_8bit();
	test_16bit();
	test_32bit();
#ifdef __x86_64__
	test_64bit();
#endif
	test_stos();
	test_movs();
	test_alu();
}

void test_unbacked(void)
{
	test_begin("unbacked gpa reads all-ones");
	test_expect("movl (0xc0000000)", read32(UNBACKED), 0xffffffff);
	test_expect("movb (0xc0000001)", read8(UNBACKED + 1), 0xff);
#ifdef __x86_64__
	uint64_t q;
	__asm__ volatile("movq (%1), %0" : "=r"(q) : "r"(UNBACKED + 8) : "memory");
	test_expect("movq (0xc0000008)", q, ~0ull);
#endif
	test_end();

	test_begin("unbacked gpa drops writes");
	write32(UNBACKED, 0x12345678);
	write8(UNBACKED + 0x10, 0);
	test_expect("movl after a write", read32(UNBACKED), 0xffffffff);
	test_expect("movb after a write", read8(UNBACKED + 0x10), 0xff);
	test_end();
}
