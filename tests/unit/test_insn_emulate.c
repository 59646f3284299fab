/*
 * Host unit test for the MMIO and port-I/O instruction emulator.  Every
 * encoding was checked against the GNU assembler and objdump; lengths are
 * also cross-checked with x86_insn_length().  A fake device serves one MMIO
 * page at MMIO_PAGE, mapped at linear MMIO_LIN; fake guest RAM sits at
 * linear GUEST_LIN.  Registers start at POISON so that zero extension and
 * preserved bits show.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/insn_len.h"
#include "parent/vstack/insn_emulate.h"

#define MMIO_PAGE  0xfed00000ull
#define FAULT      (MMIO_PAGE + 0x100)
#define MMIO_LIN   0x40000ull
#define LIN        (MMIO_LIN + 0x100)
#define GUEST_LIN  0x20000ull
#define GUEST_SIZE 0x10000u
#define GUEST_GPA  0x100000ull
#define POISON     0xccccccccccccccccull
#define RIP0       0x1000ull

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

#define R16 X86_MODE_REAL16
#define P16 X86_MODE_PROT16
#define P32 X86_MODE_PROT32
#define L64 X86_MODE_LONG64

#define UNSUPPORTED (-EMULATE_EUNSUPPORTED)
#define TRUNCATED   (-EMULATE_ETRUNCATED)
#define OPERAND     (-EMULATE_EOPERAND)
#define CALLBACK    (-EMULATE_ECALLBACK)

#define CF EMULATE_FLAG_CF
#define PF EMULATE_FLAG_PF
#define AF EMULATE_FLAG_AF
#define ZF EMULATE_FLAG_ZF
#define SF EMULATE_FLAG_SF
#define DF EMULATE_FLAG_DF
#define OF EMULATE_FLAG_OF

#define RAX EMULATE_RAX
#define RCX EMULATE_RCX
#define RDX EMULATE_RDX
#define RBX EMULATE_RBX
#define RSP EMULATE_RSP
#define RBP EMULATE_RBP
#define RSI EMULATE_RSI
#define RDI EMULATE_RDI

/* ---- fake device, ports and guest memory ---- */

struct fake {
	uint8_t mmio[4096];
	uint8_t ram[GUEST_SIZE];
	unsigned mmio_reads, mmio_writes, last_size;
	uint64_t last_gpa;
	uint32_t port_base;       /* IN returns port_base + number of INs so far */
	unsigned ins, outs, in_fail_after;
	uint16_t last_port;
	unsigned last_port_size;
	uint32_t out_log[16];
};

static struct fake fake;
static struct emulate_regs regs;

static uint64_t load_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *p, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int fake_mmio_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *value)
{
	struct fake *f = ctx;

	if ((size != 1 && size != 2 && size != 4 && size != 8) ||
	    gpa < MMIO_PAGE || gpa + size > MMIO_PAGE + sizeof(f->mmio))
		return -1;
	f->mmio_reads++;
	f->last_gpa = gpa;
	f->last_size = size;
	*value = load_le(&f->mmio[gpa - MMIO_PAGE], size);
	return 0;
}

static int fake_mmio_write(void *ctx, uint64_t gpa, unsigned size, uint64_t value)
{
	struct fake *f = ctx;

	if ((size != 1 && size != 2 && size != 4 && size != 8) ||
	    gpa < MMIO_PAGE || gpa + size > MMIO_PAGE + sizeof(f->mmio))
		return -1;
	assert_true(size == 8 || value >> (8 * size) == 0);
	f->mmio_writes++;
	f->last_gpa = gpa;
	f->last_size = size;
	store_le(&f->mmio[gpa - MMIO_PAGE], size, value);
	return 0;
}

static int fake_pio_in(void *ctx, uint16_t port, unsigned size, uint32_t *value)
{
	struct fake *f = ctx;

	if (f->ins == f->in_fail_after)
		return -1;
	f->last_port = port;
	f->last_port_size = size;
	*value = (uint32_t)((f->port_base + f->ins++) & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1));
	return 0;
}

static int fake_pio_out(void *ctx, uint16_t port, unsigned size, uint32_t value)
{
	struct fake *f = ctx;

	f->last_port = port;
	f->last_port_size = size;
	if (f->outs < 16)
		f->out_log[f->outs] = value;
	f->outs++;
	return 0;
}

static int fake_read_guest(void *ctx, uint64_t linear, void *buf, size_t len)
{
	struct fake *f = ctx;

	if (linear < GUEST_LIN || linear + len > GUEST_LIN + GUEST_SIZE)
		return -1;
	memcpy(buf, &f->ram[linear - GUEST_LIN], len);
	return 0;
}

static int fake_write_guest(void *ctx, uint64_t linear, const void *buf, size_t len)
{
	struct fake *f = ctx;

	if (linear < GUEST_LIN || linear + len > GUEST_LIN + GUEST_SIZE)
		return -1;
	memcpy(&f->ram[linear - GUEST_LIN], buf, len);
	return 0;
}

static int fake_translate(void *ctx, uint64_t linear, uint64_t *gpa)
{
	if (linear >= MMIO_LIN && linear < MMIO_LIN + 4096)
		*gpa = MMIO_PAGE + (linear - MMIO_LIN);
	else if (linear >= GUEST_LIN && linear < GUEST_LIN + GUEST_SIZE)
		*gpa = GUEST_GPA + (linear - GUEST_LIN);
	else
		return -1;
	return 0;
}

static const struct emulate_ops ops = {
	.mmio_read = fake_mmio_read,
	.mmio_write = fake_mmio_write,
	.pio_in = fake_pio_in,
	.pio_out = fake_pio_out,
	.read_guest = fake_read_guest,
	.write_guest = fake_write_guest,
};

static const struct emulate_ops ops_translate = {
	.mmio_read = fake_mmio_read,
	.mmio_write = fake_mmio_write,
	.pio_in = fake_pio_in,
	.pio_out = fake_pio_out,
	.read_guest = fake_read_guest,
	.write_guest = fake_write_guest,
	.translate = fake_translate,
};

static void reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.in_fail_after = ~0u;
	memset(&regs, 0, sizeof(regs));
	for (unsigned i = 0; i < 16; i++)
		regs.gpr[i] = POISON;
	regs.rip = RIP0;
	regs.rflags = 0x2;
}

/* Emulates from an exact-size heap copy, so that ASan sees any over-read. */
static int run(const uint8_t *bytes, size_t len, enum x86_cpu_mode mode, uint64_t fault,
	       const struct emulate_ops *o)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, bytes, len);
	rc = emulate_mmio(copy, len, mode, fault, &regs, o, &fake);
	free(copy);
	return rc;
}

/* ---- table of single-access instructions ---- */

struct reg_value {
	bool used;
	uint8_t reg;
	uint64_t value;
};

#define RV(r, v) { true, EMULATE_##r, v }

struct mmio_case {
	const char *name;
	const uint8_t *bytes;
	size_t len;
	enum x86_cpu_mode mode;
	int rc;
	struct reg_value set[4];    /* registers set before (others POISON) */
	uint64_t seg[6];            /* segment bases */
	uint64_t rip;               /* 0: RIP0 */
	uint64_t fault;             /* 0: FAULT */
	uint64_t flags;             /* arithmetic flags before */
	uint64_t dev;               /* 8 device bytes at the operand before */
	struct reg_value want[3];   /* registers that change */
	bool writes;                /* the device is written ... */
	uint64_t dev_after;         /* ... and then holds this */
	bool alu;                   /* the flags change ... */
	uint64_t flags_after;       /* ... to these */
	unsigned size;              /* expected access size (rc == 0) */
};

/* Cases name only the fields they need. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define D 0x8877665544332211ull
#define S 0x11223344800080f1ull

static const struct mmio_case mmio_cases[] = {
	/* MOV loads, 64-bit mode */
	{ "mov eax,[rbx] zero-extends", B("\x8b\x03"), L64, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "mov rax,[rbx]", B("\x48\x8b\x03"), L64, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, D) }, .size = 8 },
	{ "mov ax,[rbx] keeps 63:16", B("\x66\x8b\x03"), L64, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccc2211) }, .size = 2 },
	{ "mov al,[rbx]", B("\x8a\x03"), L64, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccccc11) }, .size = 1 },
	{ "mov ah,[rbx]", B("\x8a\x23"), L64, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccc11cc) }, .size = 1 },
	{ "mov sil,[rbx] (REX)", B("\x40\x8a\x33"), L64, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RSI, 0xcccccccccccccc11) }, .size = 1 },
	{ "mov r9b,[rbx]", B("\x44\x8a\x0b"), L64, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(R9, 0xcccccccccccccc11) }, .size = 1 },
	{ "mov r15,[r12]", B("\x4d\x8b\x3c\x24"), L64, 0, { RV(R12, LIN) }, .dev = D,
	  .want = { RV(R15, D) }, .size = 8 },
	/* MOV stores */
	{ "mov [rbx],ecx", B("\x89\x0b"), L64, 0, { RV(RBX, LIN), RV(RCX, 0x1122334455667788) },
	  .dev = D, .writes = true, .dev_after = 0x8877665555667788, .size = 4 },
	{ "mov [rbx],cl", B("\x88\x0b"), L64, 0, { RV(RBX, LIN), RV(RCX, 0x1122334455667788) },
	  .dev = D, .writes = true, .dev_after = 0x8877665544332288, .size = 1 },
	{ "mov [rbx],bh (no REX)", B("\x88\x3b"), L64, 0, { RV(RBX, LIN) },
	  .dev = D, .writes = true, .dev_after = 0x8877665544332201, .size = 1 },
	{ "mov [rbx],dil (REX)", B("\x40\x88\x3b"), L64, 0, { RV(RBX, LIN), RV(RDI, 0xab) },
	  .dev = D, .writes = true, .dev_after = 0x88776655443322ab, .size = 1 },
	{ "mov [rbx],r8w", B("\x66\x44\x89\x03"), L64, 0, { RV(RBX, LIN), RV(R8, 0xbeef) },
	  .dev = D, .writes = true, .dev_after = 0x887766554433beef, .size = 2 },
	{ "mov [rbx],rdx", B("\x48\x89\x13"), L64, 0, { RV(RBX, LIN), RV(RDX, 0x0102030405060708) },
	  .dev = D, .writes = true, .dev_after = 0x0102030405060708, .size = 8 },
	{ "mov byte [rbx],imm8", B("\xc6\x03\x5a"), L64, 0, { RV(RBX, LIN) },
	  .dev = D, .writes = true, .dev_after = 0x887766554433225a, .size = 1 },
	{ "mov dword [rbx],imm32", B("\xc7\x03\x78\x56\x34\x12"), L64, 0, { RV(RBX, LIN) },
	  .dev = D, .writes = true, .dev_after = 0x8877665512345678, .size = 4 },
	{ "mov qword [rbx],imm32 sign-extends", B("\x48\xc7\x03\xfe\xff\xff\xff"), L64, 0,
	  { RV(RBX, LIN) }, .dev = D, .writes = true, .dev_after = 0xfffffffffffffffe, .size = 8 },
	{ "mov word [rbx],imm16", B("\x66\xc7\x03\x34\x12"), L64, 0, { RV(RBX, LIN) },
	  .dev = D, .writes = true, .dev_after = 0x8877665544331234, .size = 2 },
	/* MOVZX, MOVSX, MOVSXD */
	{ "movzx eax,byte [rbx]", B("\x0f\xb6\x03"), L64, 0, { RV(RBX, LIN) }, .dev = S,
	  .want = { RV(RAX, 0xf1) }, .size = 1 },
	{ "movzx ecx,word [rbx]", B("\x0f\xb7\x0b"), L64, 0, { RV(RBX, LIN) }, .dev = S,
	  .want = { RV(RCX, 0x80f1) }, .size = 2 },
	{ "movsx rax,byte [rbx]", B("\x48\x0f\xbe\x03"), L64, 0, { RV(RBX, LIN) }, .dev = S,
	  .want = { RV(RAX, 0xfffffffffffffff1) }, .size = 1 },
	{ "movsx eax,word [rbx]", B("\x0f\xbf\x03"), L64, 0, { RV(RBX, LIN) }, .dev = S,
	  .want = { RV(RAX, 0xffff80f1) }, .size = 2 },
	{ "movsx ax,byte [rbx]", B("\x66\x0f\xbe\x03"), L64, 0, { RV(RBX, LIN) }, .dev = S,
	  .want = { RV(RAX, 0xccccccccccccfff1) }, .size = 1 },
	{ "movzx r10,word [rbx]", B("\x4c\x0f\xb7\x13"), L64, 0, { RV(RBX, LIN) }, .dev = S,
	  .want = { RV(R10, 0x80f1) }, .size = 2 },
	{ "movsxd rax,dword [rbx]", B("\x48\x63\x03"), L64, 0, { RV(RBX, LIN) }, .dev = S,
	  .want = { RV(RAX, 0xffffffff800080f1) }, .size = 4 },
	{ "movsxd eax,dword [rbx] (no REX.W)", B("\x63\x03"), L64, 0, { RV(RBX, LIN) }, .dev = S,
	  .want = { RV(RAX, 0x800080f1) }, .size = 4 },
	/* addressing forms */
	{ "mov eax,[rip+0xfa]", B("\x8b\x05\xfa\x00\x00\x00"), L64, 0, .rip = 0x40000, .dev = D,
	  .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "mov eax,[rbx+rsi*4+0x10]", B("\x8b\x44\xb3\x10"), L64, 0,
	  { RV(RBX, 0x40000), RV(RSI, 0x3c) }, .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "mov eax,[rsp+8]", B("\x8b\x44\x24\x08"), L64, 0, { RV(RSP, 0x400f8) }, .dev = D,
	  .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "mov eax,fs:[rbx]", B("\x64\x8b\x03"), L64, 0, { RV(RBX, 0xf0) },
	  .seg = { [EMULATE_FS] = 0x40010 }, .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "mov eax,gs:[disp32] (SIB, no base)", B("\x65\x8b\x04\x25\xf0\x00\x00\x00"), L64, 0,
	  .seg = { [EMULATE_GS] = 0x40010 }, .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "mov eax,[ebx] (67)", B("\x67\x8b\x03"), L64, 0, { RV(RBX, 0xffffffff00040100) },
	  .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "ds: base ignored in 64-bit mode", B("\x3e\x8b\x03"), L64, 0, { RV(RBX, LIN) },
	  .seg = { [EMULATE_DS] = 0x1008 }, .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "fs: survives a later ds: in 64-bit mode", B("\x64\x3e\x8b\x03"), L64, 0,
	  { RV(RBX, 0xf0) }, .seg = { [EMULATE_FS] = 0x40010 }, .dev = D,
	  .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "movabs eax,[moffs64]", B("\xa1\x00\x01\x04\x00\x00\x00\x00\x00"), L64, 0, .dev = D,
	  .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "movabs [moffs64],al", B("\xa2\x00\x01\x04\x00\x00\x00\x00\x00"), L64, 0, .dev = D,
	  .writes = true, .dev_after = 0x88776655443322cc, .size = 1 },
	{ "movabs [moffs64],ax", B("\x66\xa3\x00\x01\x04\x00\x00\x00\x00\x00"), L64, 0, .dev = D,
	  .writes = true, .dev_after = 0x887766554433cccc, .size = 2 },
	{ "mov r11d,[r13+r14*8-0x20]", B("\x47\x8b\x5c\xf5\xe0"), L64, 0,
	  { RV(R13, 0x40000), RV(R14, 0x24) }, .dev = D, .want = { RV(R11, 0x44332211) }, .size = 4 },
	{ "mov rdx,[r13+0]", B("\x49\x8b\x55\x00"), L64, 0, { RV(R13, LIN) }, .dev = D,
	  .want = { RV(RDX, D) }, .size = 8 },
	{ "REX before 66 is ignored", B("\x48\x66\x8b\x03"), L64, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccc2211) }, .size = 2 },
	{ "REX.W beats 66", B("\x66\x48\x8b\x03"), L64, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, D) }, .size = 8 },
	/* ALU with flags */
	{ "add [rbx],eax carries out", B("\x01\x03"), L64, 0, { RV(RBX, LIN), RV(RAX, 1) },
	  .dev = 0x55555555ffffffff, .writes = true, .dev_after = 0x5555555500000000,
	  .alu = true, .flags_after = CF | PF | AF | ZF, .size = 4 },
	{ "or eax,[rbx]", B("\x0b\x03"), L64, 0, { RV(RBX, LIN) }, .flags = CF | OF | AF | ZF,
	  .dev = 0x11111111, .want = { RV(RAX, 0xdddddddd) }, .alu = true, .flags_after = SF | PF,
	  .size = 4 },
	{ "and byte [rbx],imm8", B("\x80\x23\x0f"), L64, 0, { RV(RBX, LIN) },
	  .dev = 0xaaaaaaaaaaaaaaf1, .writes = true, .dev_after = 0xaaaaaaaaaaaaaa01,
	  .alu = true, .flags_after = 0, .size = 1 },
	{ "xor [rbx],rax", B("\x48\x31\x03"), L64, 0, { RV(RBX, LIN), RV(RAX, D) }, .dev = D,
	  .writes = true, .dev_after = 0, .alu = true, .flags_after = ZF | PF, .size = 8 },
	{ "cmp dword [rbx],1 borrows", B("\x83\x3b\x01"), L64, 0, { RV(RBX, LIN) }, .dev = 0,
	  .alu = true, .flags_after = CF | PF | AF | SF, .size = 4 },
	{ "cmp [rbx],eax equal", B("\x39\x03"), L64, 0, { RV(RBX, LIN), RV(RAX, 0x12345678) },
	  .dev = 0x12345678, .alu = true, .flags_after = ZF | PF, .size = 4 },
	{ "sub eax,[rbx] overflows", B("\x2b\x03"), L64, 0, { RV(RBX, LIN), RV(RAX, 0x80000000) },
	  .dev = 1, .want = { RV(RAX, 0x7fffffff) }, .alu = true, .flags_after = OF | AF | PF,
	  .size = 4 },
	{ "adc [rbx],al with CF", B("\x10\x03"), L64, 0, { RV(RBX, LIN), RV(RAX, 0) }, .flags = CF,
	  .dev = 0x7f, .writes = true, .dev_after = 0x80, .alu = true,
	  .flags_after = OF | SF | AF, .size = 1 },
	{ "sbb ax,[rbx] with CF", B("\x66\x1b\x03"), L64, 0,
	  { RV(RBX, LIN), RV(RAX, 0xcccccccccccc0000) }, .flags = CF, .dev = 0,
	  .want = { RV(RAX, 0xccccccccccccffff) }, .alu = true, .flags_after = CF | PF | AF | SF,
	  .size = 2 },
	{ "test [rbx],ecx", B("\x85\x0b"), L64, 0, { RV(RBX, LIN), RV(RCX, 0x80000001) },
	  .flags = CF | OF, .dev = 0x80000000, .alu = true, .flags_after = SF | PF, .size = 4 },
	{ "test byte [rbx],imm8", B("\xf6\x03\x80"), L64, 0, { RV(RBX, LIN) }, .dev = 0x7f,
	  .alu = true, .flags_after = ZF | PF, .size = 1 },
	{ "or qword [rbx],imm32 sign-extends", B("\x48\x81\x0b\x00\x00\x00\x80"), L64, 0,
	  { RV(RBX, LIN) }, .dev = 0, .writes = true, .dev_after = 0xffffffff80000000,
	  .alu = true, .flags_after = SF | PF, .size = 8 },
	{ "lock or dword [rbx],1", B("\xf0\x83\x0b\x01"), L64, 0, { RV(RBX, LIN) }, .dev = 0x100,
	  .writes = true, .dev_after = 0x101, .alu = true, .flags_after = 0, .size = 4 },
	{ "add r8d,[rbx] zero-extends", B("\x44\x03\x03"), L64, 0,
	  { RV(RBX, LIN), RV(R8, 0xcccccccc00000001) }, .dev = 2, .want = { RV(R8, 3) },
	  .alu = true, .flags_after = PF, .size = 4 },
	{ "and ah,[rbx]", B("\x22\x23"), L64, 0, { RV(RBX, LIN) }, .dev = 0x0f,
	  .want = { RV(RAX, 0xcccccccccccc0ccc) }, .alu = true, .flags_after = PF, .size = 1 },
	{ "sub word [rbx],imm8", B("\x66\x83\x2b\x01"), L64, 0, { RV(RBX, LIN) }, .dev = 0x11110000,
	  .writes = true, .dev_after = 0x1111ffff, .alu = true, .flags_after = CF | PF | AF | SF,
	  .size = 2 },
	{ "xor [rbx],bpl", B("\x40\x30\x2b"), L64, 0, { RV(RBX, LIN), RV(RBP, 0xff) }, .dev = 0x0f,
	  .writes = true, .dev_after = 0xf0, .alu = true, .flags_after = SF | PF, .size = 1 },
	{ "test dword [rbx],imm32", B("\xf7\x03\x00\x00\xff\x00"), L64, 0, { RV(RBX, LIN) },
	  .dev = 0x10000, .alu = true, .flags_after = PF, .size = 4 },
	{ "adc eax,[rbx] wraps to 0", B("\x13\x03"), L64, 0, { RV(RBX, LIN), RV(RAX, 0xffffffff) },
	  .flags = CF, .dev = 0, .want = { RV(RAX, 0) }, .alu = true,
	  .flags_after = CF | ZF | PF | AF, .size = 4 },
	{ "add qword [rbx],imm8 overflows", B("\x48\x83\x03\x7f"), L64, 0, { RV(RBX, LIN) },
	  .dev = 0x7fffffffffffff90, .writes = true, .dev_after = 0x800000000000000f,
	  .alu = true, .flags_after = OF | SF | PF, .size = 8 },
	/* 32-bit protected mode */
	{ "p32 mov eax,[ebx]", B("\x8b\x03"), P32, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "p32 mov ax,[ebx]", B("\x66\x8b\x03"), P32, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccc2211) }, .size = 2 },
	{ "p32 mov eax,[moffs32]", B("\xa1\x00\x01\x04\x00"), P32, 0, .dev = D,
	  .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "p32 es: override", B("\x26\x8b\x03"), P32, 0, { RV(RBX, 0x100) },
	  .seg = { [EMULATE_ES] = 0x40000, [EMULATE_DS] = 0x9008 }, .dev = D,
	  .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "p32 mov eax,[bx] (67)", B("\x67\x8b\x07"), P32, 0, { RV(RBX, 0xcccccccccccc0100) },
	  .seg = { [EMULATE_DS] = 0x40000 }, .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "p32 [ebp+8] defaults to ss", B("\x8b\x45\x08"), P32, 0, { RV(RBP, 0xf8) },
	  .seg = { [EMULATE_SS] = 0x40000, [EMULATE_DS] = 0x8 }, .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "p32 mov [esi+edi*2+0x10],dl", B("\x88\x54\x7e\x10"), P32, 0,
	  { RV(RSI, 0x40000), RV(RDI, 0x78), RV(RDX, 0x5a) }, .dev = D, .writes = true,
	  .dev_after = 0x887766554433225a, .size = 1 },
	{ "p32 add [ebx],al", B("\x00\x03"), P32, 0, { RV(RBX, LIN), RV(RAX, 0x10) }, .dev = 0xf0,
	  .writes = true, .dev_after = 0, .alu = true, .flags_after = CF | ZF | PF, .size = 1 },
	{ "p32 movzx eax,word [ebx]", B("\x0f\xb7\x03"), P32, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, 0x2211) }, .size = 2 },
	{ "p32 linear address wraps at 4G", B("\x8b\x03"), P32, 0, { RV(RBX, 0x00140100) },
	  .seg = { [EMULATE_DS] = 0xfff00000 }, .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	/* 16-bit modes */
	{ "r16 mov ax,[bx+si]", B("\x8b\x00"), R16, 0, { RV(RBX, 0x80), RV(RSI, 0x80) },
	  .seg = { [EMULATE_DS] = 0x40000 }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccc2211) }, .size = 2 },
	{ "r16 [bx+si] wraps at 64K", B("\x8b\x00"), R16, 0, { RV(RBX, 0xff80), RV(RSI, 0x180) },
	  .seg = { [EMULATE_DS] = 0x40000 }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccc2211) }, .size = 2 },
	{ "r16 mov eax,[bx] (66)", B("\x66\x8b\x07"), R16, 0, { RV(RBX, 0x100) },
	  .seg = { [EMULATE_DS] = 0x40000 }, .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "r16 [bp+di+4] defaults to ss", B("\x8a\x43\x04"), R16, 0, { RV(RBP, 0x7c), RV(RDI, 0x80) },
	  .seg = { [EMULATE_SS] = 0x40000, [EMULATE_DS] = 0x8 }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccccc11) }, .size = 1 },
	{ "r16 mov [moffs16],ax", B("\xa3\x00\x01"), R16, 0, .seg = { [EMULATE_DS] = 0x40000 },
	  .dev = D, .writes = true, .dev_after = 0x887766554433cccc, .size = 2 },
	{ "r16 mov word [disp16],imm16", B("\xc7\x06\x00\x01\x34\x12"), R16, 0,
	  .seg = { [EMULATE_DS] = 0x40000 }, .dev = D, .writes = true,
	  .dev_after = 0x8877665544331234, .size = 2 },
	{ "r16 movzx ax,byte [bx]", B("\x0f\xb6\x07"), R16, 0, { RV(RBX, 0x100) },
	  .seg = { [EMULATE_DS] = 0x40000 }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccc0011) }, .size = 1 },
	{ "p16 mov ax,[ebx] (67)", B("\x67\x8b\x03"), P16, 0, { RV(RBX, LIN) }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccc2211) }, .size = 2 },
	{ "r16 cmp byte [bx],imm8 overflows", B("\x80\x3f\x7f"), R16, 0, { RV(RBX, 0x100) },
	  .seg = { [EMULATE_DS] = 0x40000 }, .dev = 0x80, .alu = true, .flags_after = OF | AF,
	  .size = 1 },
	{ "r16 mov eax,[ebx+ecx*2] (67 66)", B("\x67\x66\x8b\x04\x4b"), R16, 0,
	  { RV(RBX, 0x40000), RV(RCX, 0x80) }, .dev = D, .want = { RV(RAX, 0x44332211) }, .size = 4 },
	{ "r16 [bp+0] defaults to ss", B("\x8b\x46\x00"), R16, 0, { RV(RBP, 0x100) },
	  .seg = { [EMULATE_SS] = 0x40000, [EMULATE_DS] = 0x8 }, .dev = D,
	  .want = { RV(RAX, 0xcccccccccccc2211) }, .size = 2 },
	/* errors */
	{ "ud2 is unsupported", B("\x0f\x0b"), L64, UNSUPPORTED },
	{ "inc [rbx] is unsupported", B("\xff\x03"), L64, UNSUPPORTED, { RV(RBX, LIN) } },
	{ "c6 /1 is unsupported", B("\xc6\x0b\x01"), L64, UNSUPPORTED, { RV(RBX, LIN) } },
	{ "f6 /2 is unsupported", B("\xf6\x13"), L64, UNSUPPORTED, { RV(RBX, LIN) } },
	{ "lock mov is unsupported", B("\xf0\x89\x03"), L64, UNSUPPORTED, { RV(RBX, LIN) } },
	{ "lock cmp is unsupported", B("\xf0\x39\x03"), L64, UNSUPPORTED, { RV(RBX, LIN) } },
	{ "lock add to a register is unsupported", B("\xf0\x03\x03"), L64, UNSUPPORTED,
	  { RV(RBX, LIN) } },
	{ "p32 40 is inc, not REX", B("\x40\x8b\x03"), P32, UNSUPPORTED, { RV(RBX, LIN) } },
	{ "p32 63 is arpl", B("\x63\x03"), P32, UNSUPPORTED, { RV(RBX, LIN) } },
	{ "in eax,dx is not MMIO", B("\xed"), L64, UNSUPPORTED },
	{ "register operand cannot fault", B("\x8b\xc3"), L64, OPERAND },
	{ "page offset differs from the fault", B("\x8b\x03"), L64, OPERAND, { RV(RBX, LIN + 4) } },
	{ "device access fails", B("\x8b\x03"), L64, CALLBACK, { RV(RBX, LIN) },
	  .fault = 0xfee00100 },
	{ "truncated: no bytes", B(""), L64, TRUNCATED },
	{ "truncated: opcode only", B("\x8b"), L64, TRUNCATED },
	{ "truncated: REX only", B("\x48"), L64, TRUNCATED },
	{ "truncated: 0f only", B("\x0f"), L64, TRUNCATED },
	{ "truncated: no SIB", B("\x8b\x44"), L64, TRUNCATED },
	{ "truncated: no displacement", B("\x8b\x44\x24"), L64, TRUNCATED },
	{ "truncated: half an immediate", B("\xc7\x03\x78\x56"), L64, TRUNCATED },
	{ "truncated: moffs64", B("\xa1\x00\x01\x04\x00"), L64, TRUNCATED },
	{ "longer than 15 bytes", B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x03"),
	  L64, UNSUPPORTED, { RV(RBX, LIN) } },
};

static void prepare(const struct mmio_case *c)
{
	reset();
	for (unsigned i = 0; i < 4; i++)
		if (c->set[i].used)
			regs.gpr[c->set[i].reg] = c->set[i].value;
	memcpy(regs.seg_base, c->seg, sizeof(regs.seg_base));
	regs.rip = c->rip ? c->rip : RIP0;
	regs.rflags = 0x2 | c->flags;
	store_le(&fake.mmio[0x100], 8, c->dev);
}

static void check(const struct mmio_case *c, const struct emulate_regs *before)
{
	uint64_t want[16];

	if (c->rc) {
		assert_memory_equal(&regs, before, sizeof(regs));
		assert_int_equal(fake.mmio_writes, 0);
		return;
	}
	memcpy(want, before->gpr, sizeof(want));
	for (unsigned i = 0; i < 3; i++)
		if (c->want[i].used)
			want[c->want[i].reg] = c->want[i].value;
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(regs.gpr[i], want[i]);
	assert_int_equal(regs.rip, before->rip + c->len);
	assert_int_equal(regs.rflags, c->alu ? (0x2 | c->flags_after) : before->rflags);
	assert_int_equal(load_le(&fake.mmio[0x100], 8), c->writes ? c->dev_after : c->dev);
	assert_int_equal(fake.mmio_reads + fake.mmio_writes, c->alu && c->writes ? 2 : 1);
	assert_int_equal(fake.mmio_writes, c->writes ? 1 : 0);
	assert_int_equal(fake.last_gpa, c->fault ? c->fault : FAULT);
	assert_int_equal(fake.last_size, c->size);
}

static void test_mmio_case(void **state)
{
	const struct mmio_case *c = *state;
	uint64_t fault = c->fault ? c->fault : FAULT;
	struct emulate_regs before;
	uint8_t padded[16];

	prepare(c);
	before = regs;
	assert_int_equal(run(c->bytes, c->len, c->mode, fault, &ops), c->rc);
	check(c, &before);
	if (c->rc)
		return;
	assert_int_equal(x86_insn_length(c->bytes, c->len, c->mode), (int)c->len);
	/* The same from a 16-byte intercept buffer with trailing bytes. */
	prepare(c);
	memset(padded, 0xcc, sizeof(padded));
	memcpy(padded, c->bytes, c->len);
	assert_int_equal(emulate_mmio(padded, sizeof(padded), c->mode, fault, &regs, &ops, &fake), 0);
	check(c, &before);
}

/* ---- string instructions against MMIO ---- */

static void test_rep_stosd(void **state)
{
	reset();
	regs.gpr[RDI] = LIN;
	regs.gpr[RCX] = 4;
	regs.gpr[RAX] = 0xdeadbeef;
	assert_int_equal(run(B("\xf3\xab"), L64, FAULT, &ops), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(load_le(&fake.mmio[0x100 + 4 * i], 4), 0xdeadbeef);
	assert_int_equal(fake.mmio_writes, 4);
	assert_int_equal(regs.gpr[RDI], LIN + 16);
	assert_int_equal(regs.gpr[RCX], 0);
	assert_int_equal(regs.rip, RIP0 + 2);
	assert_int_equal(regs.rflags, 0x2);
}

static void test_rep_stosb_backwards(void **state)
{
	reset();
	regs.rflags |= DF;
	regs.gpr[RDI] = LIN + 3;
	regs.gpr[RCX] = 4;
	regs.gpr[RAX] = 0x5a;
	assert_int_equal(run(B("\xf3\xaa"), L64, FAULT + 3, &ops), 0);
	assert_int_equal(load_le(&fake.mmio[0x100], 4), 0x5a5a5a5a);
	assert_int_equal(fake.mmio[0xff], 0);
	assert_int_equal(fake.mmio[0x104], 0);
	assert_int_equal(regs.gpr[RDI], LIN - 1);
	assert_int_equal(regs.gpr[RCX], 0);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_stosq(void **state)
{
	reset();
	regs.gpr[RDI] = LIN;
	regs.gpr[RAX] = D;
	assert_int_equal(run(B("\x48\xab"), L64, FAULT, &ops), 0);
	assert_int_equal(load_le(&fake.mmio[0x100], 8), D);
	assert_int_equal(fake.last_size, 8);
	assert_int_equal(regs.gpr[RDI], LIN + 8);
	assert_int_equal(regs.gpr[RCX], POISON);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_stosw_addr32(void **state)
{
	reset();
	regs.gpr[RDI] = 0xffffffff00040100;
	regs.gpr[RAX] = 0x1234;
	assert_int_equal(run(B("\x67\x66\xab"), L64, FAULT, &ops), 0);
	assert_int_equal(load_le(&fake.mmio[0x100], 2), 0x1234);
	assert_int_equal(regs.gpr[RDI], 0x40102);
	assert_int_equal(regs.rip, RIP0 + 3);
}

static void test_rep_stosb_stops_at_page_end(void **state)
{
	reset();
	regs.gpr[RDI] = MMIO_LIN + 0xffe;
	regs.gpr[RCX] = 5;
	regs.gpr[RAX] = 0x77;
	assert_int_equal(run(B("\xf3\xaa"), L64, MMIO_PAGE + 0xffe, &ops), 0);
	assert_int_equal(fake.mmio_writes, 2);
	assert_int_equal(fake.mmio[0xffe], 0x77);
	assert_int_equal(fake.mmio[0xfff], 0x77);
	assert_int_equal(regs.gpr[RCX], 3);
	assert_int_equal(regs.gpr[RDI], MMIO_LIN + 0x1000);
	assert_int_equal(regs.rip, RIP0); /* re-executed for the rest */
}

static void test_rep_stosd_stops_before_straddling(void **state)
{
	reset();
	regs.gpr[RDI] = MMIO_LIN + 0xffa;
	regs.gpr[RCX] = 3;
	regs.gpr[RAX] = 0x01020304;
	assert_int_equal(run(B("\xf3\xab"), L64, MMIO_PAGE + 0xffa, &ops), 0);
	assert_int_equal(fake.mmio_writes, 1);
	assert_int_equal(load_le(&fake.mmio[0xffa], 4), 0x01020304);
	assert_int_equal(regs.gpr[RCX], 2);
	assert_int_equal(regs.gpr[RDI], MMIO_LIN + 0xffe);
	assert_int_equal(regs.rip, RIP0);
}

static void test_rep_zero_count(void **state)
{
	reset();
	regs.gpr[RDI] = LIN;
	regs.gpr[RCX] = 0;
	assert_int_equal(run(B("\xf3\xab"), L64, FAULT, &ops), 0);
	assert_int_equal(fake.mmio_writes, 0);
	assert_int_equal(regs.gpr[RDI], LIN);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_rep_movsd_ram_to_mmio(void **state)
{
	reset();
	for (unsigned i = 0; i < 3; i++)
		store_le(&fake.ram[4 * i], 4, 0x1000 + i);
	regs.gpr[RSI] = GUEST_LIN;
	regs.gpr[RDI] = LIN;
	regs.gpr[RCX] = 3;
	assert_int_equal(run(B("\xf3\xa5"), L64, FAULT, &ops), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(load_le(&fake.mmio[0x100 + 4 * i], 4), 0x1000 + i);
	assert_int_equal(fake.mmio_reads, 0);
	assert_int_equal(regs.gpr[RSI], GUEST_LIN + 12);
	assert_int_equal(regs.gpr[RDI], LIN + 12);
	assert_int_equal(regs.gpr[RCX], 0);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_rep_movsb_mmio_to_ram(void **state)
{
	reset();
	store_le(&fake.mmio[0x100], 8, D);
	regs.gpr[RSI] = LIN;
	regs.gpr[RDI] = GUEST_LIN + 0x10;
	regs.gpr[RCX] = 5;
	assert_int_equal(run(B("\xf3\xa4"), L64, FAULT, &ops), 0);
	assert_int_equal(load_le(&fake.ram[0x10], 8), 0x5544332211);
	assert_int_equal(fake.mmio_writes, 0);
	assert_int_equal(regs.gpr[RSI], LIN + 5);
	assert_int_equal(regs.gpr[RDI], GUEST_LIN + 0x15);
	assert_int_equal(regs.gpr[RCX], 0);
}

static void test_rep_movsq_backwards(void **state)
{
	reset();
	regs.rflags |= DF;
	store_le(&fake.mmio[0x100], 8, 0xaaaa);
	store_le(&fake.mmio[0x108], 8, 0xbbbb);
	regs.gpr[RSI] = LIN + 8;
	regs.gpr[RDI] = GUEST_LIN + 0x18;
	regs.gpr[RCX] = 2;
	assert_int_equal(run(B("\xf3\x48\xa5"), L64, FAULT + 8, &ops), 0);
	assert_int_equal(load_le(&fake.ram[0x18], 8), 0xbbbb);
	assert_int_equal(load_le(&fake.ram[0x10], 8), 0xaaaa);
	assert_int_equal(regs.gpr[RSI], LIN - 8);
	assert_int_equal(regs.gpr[RDI], GUEST_LIN + 8);
	assert_int_equal(regs.rip, RIP0 + 3);
}

static void test_movs_ambiguous_needs_translate(void **state)
{
	struct emulate_regs before;

	reset();
	store_le(&fake.ram[0x100], 4, 0xcafe);
	regs.gpr[RSI] = GUEST_LIN + 0x100;
	regs.gpr[RDI] = LIN;
	before = regs;
	assert_int_equal(run(B("\xa5"), L64, FAULT, &ops), OPERAND);
	assert_memory_equal(&regs, &before, sizeof(regs));
	assert_int_equal(run(B("\xa5"), L64, FAULT, &ops_translate), 0);
	assert_int_equal(load_le(&fake.mmio[0x100], 4), 0xcafe);
	assert_int_equal(regs.gpr[RSI], GUEST_LIN + 0x104);
	assert_int_equal(regs.gpr[RDI], LIN + 4);
	assert_int_equal(regs.rip, RIP0 + 1);
}

static void test_movs_both_sides_mmio(void **state)
{
	reset();
	store_le(&fake.mmio[0x200], 4, 0x04030201);
	regs.gpr[RSI] = MMIO_LIN + 0x200;
	regs.gpr[RDI] = LIN;
	regs.gpr[RCX] = 4;
	assert_int_equal(run(B("\xf3\xa4"), L64, FAULT, &ops_translate), 0);
	assert_int_equal(load_le(&fake.mmio[0x100], 4), 0x04030201);
	assert_int_equal(fake.mmio_reads, 4);
	assert_int_equal(fake.mmio_writes, 4);
	assert_int_equal(regs.gpr[RCX], 0);
}

static void test_movs_neither_side_mmio(void **state)
{
	reset();
	regs.gpr[RSI] = GUEST_LIN + 0x10;
	regs.gpr[RDI] = GUEST_LIN + 0x20;
	assert_int_equal(run(B("\xa4"), L64, FAULT, &ops), OPERAND);
	assert_int_equal(run(B("\xa4"), L64, FAULT, &ops_translate), OPERAND);
}

static void test_movsb_fs_source(void **state)
{
	reset();
	fake.mmio[0x100] = 0x99;
	regs.seg_base[EMULATE_FS] = 0x40010;
	regs.gpr[RSI] = 0xf0;
	regs.gpr[RDI] = GUEST_LIN + 5;
	assert_int_equal(run(B("\x64\xa4"), L64, FAULT, &ops), 0);
	assert_int_equal(fake.ram[5], 0x99);
	assert_int_equal(regs.gpr[RSI], 0xf1);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_p32_rep_movsd_segments(void **state)
{
	reset();
	store_le(&fake.ram[0], 8, 0x2222222211111111);
	regs.seg_base[EMULATE_DS] = 0x10000;
	regs.seg_base[EMULATE_ES] = 0x30000;
	regs.gpr[RSI] = 0x10000;
	regs.gpr[RDI] = 0x10100;
	regs.gpr[RCX] = 0xcccccccc00000002;
	assert_int_equal(run(B("\xf3\xa5"), P32, FAULT, &ops), 0);
	assert_int_equal(load_le(&fake.mmio[0x100], 8), 0x2222222211111111);
	assert_int_equal(regs.gpr[RCX], 0);
	assert_int_equal(regs.gpr[RSI], 0x10008);
	assert_int_equal(regs.gpr[RDI], 0x10108);
}

static void test_p32_movs_ss_override(void **state)
{
	reset();
	fake.mmio[0x100] = 0x42;
	regs.seg_base[EMULATE_SS] = 0x40000;
	regs.seg_base[EMULATE_DS] = 0x8;
	regs.gpr[RSI] = 0x100;
	regs.gpr[RDI] = GUEST_LIN + 1;
	assert_int_equal(run(B("\x36\xa4"), P32, FAULT, &ops), 0);
	assert_int_equal(fake.ram[1], 0x42);
}

static void test_r16_rep_stosw(void **state)
{
	reset();
	regs.seg_base[EMULATE_ES] = 0x40000;
	regs.gpr[RDI] = 0xcccccccccccc0100;
	regs.gpr[RCX] = 0xcccccccccccc0002;
	regs.gpr[RAX] = 0xcccccccccccc4321;
	assert_int_equal(run(B("\xf3\xab"), R16, FAULT, &ops), 0);
	assert_int_equal(load_le(&fake.mmio[0x100], 4), 0x43214321);
	assert_int_equal(fake.last_size, 2);
	assert_int_equal(regs.gpr[RCX], 0xcccccccccccc0000);
	assert_int_equal(regs.gpr[RDI], 0xcccccccccccc0104);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_r16_stosw_di_wraps(void **state)
{
	reset();
	regs.seg_base[EMULATE_ES] = LIN - 0xfffe;
	regs.gpr[RDI] = 0xcccccccccccc0000 | 0xfffe;
	regs.gpr[RAX] = 0xbeef;
	assert_int_equal(run(B("\xab"), R16, FAULT, &ops), 0);
	assert_int_equal(load_le(&fake.mmio[0x100], 2), 0xbeef);
	assert_int_equal(regs.gpr[RDI], 0xcccccccccccc0000);
}

static void test_lodsd(void **state)
{
	reset();
	store_le(&fake.mmio[0x100], 8, D);
	regs.gpr[RSI] = LIN;
	assert_int_equal(run(B("\xad"), L64, FAULT, &ops), 0);
	assert_int_equal(regs.gpr[RAX], 0x44332211);
	assert_int_equal(regs.gpr[RSI], LIN + 4);
	assert_int_equal(regs.rip, RIP0 + 1);
}

static void test_lodsb_fs(void **state)
{
	reset();
	fake.mmio[0x100] = 0x5e;
	regs.seg_base[EMULATE_FS] = 0x40010;
	regs.gpr[RSI] = 0xf0;
	assert_int_equal(run(B("\x64\xac"), L64, FAULT, &ops), 0);
	assert_int_equal(regs.gpr[RAX], 0xcccccccccccccc5e);
	assert_int_equal(regs.gpr[RSI], 0xf1);
}

static void test_string_guest_memory_fails(void **state)
{
	reset();
	regs.gpr[RSI] = GUEST_LIN + GUEST_SIZE - 2;
	regs.gpr[RDI] = LIN;
	regs.gpr[RCX] = 10;
	assert_int_equal(run(B("\xf3\xa4"), L64, FAULT, &ops), CALLBACK);
	assert_int_equal(fake.mmio_writes, 2);
	assert_int_equal(regs.gpr[RCX], 8);
	assert_int_equal(regs.gpr[RSI], GUEST_LIN + GUEST_SIZE);
	assert_int_equal(regs.gpr[RDI], LIN + 2);
	assert_int_equal(regs.rip, RIP0);
}

static void test_lock_stos_unsupported(void **state)
{
	reset();
	regs.gpr[RDI] = LIN;
	assert_int_equal(run(B("\xf0\xab"), L64, FAULT, &ops), UNSUPPORTED);
	assert_int_equal(fake.mmio_writes, 0);
}

/* ---- port I/O ---- */

static int pio(const uint8_t *bytes, size_t len, enum x86_cpu_mode mode, uint16_t port,
	       uint8_t size, bool in, bool string)
{
	struct emulate_io io = { port, size, in };
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, bytes, len);
	rc = string ? emulate_pio_string(copy, len, mode, &io, &regs, &ops, &fake)
		    : emulate_pio(copy, len, mode, &io, &regs, &ops, &fake);
	free(copy);
	if (rc == 0)
		assert_int_equal(x86_insn_length(bytes, len, mode), (int)len);
	return rc;
}

static void test_in_al_imm8(void **state)
{
	reset();
	fake.port_base = 0x12345678;
	assert_int_equal(pio(B("\xe4\x60"), L64, 0x60, 1, true, false), 0);
	assert_int_equal(regs.gpr[RAX], 0xcccccccccccccc78);
	assert_int_equal(fake.last_port, 0x60);
	assert_int_equal(fake.last_port_size, 1);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_in_eax_dx_zero_extends(void **state)
{
	reset();
	fake.port_base = 0x12345678;
	regs.gpr[RDX] = 0xcccccccccccc03f8;
	assert_int_equal(pio(B("\xed"), L64, 0x3f8, 4, true, false), 0);
	assert_int_equal(regs.gpr[RAX], 0x12345678);
	assert_int_equal(regs.rip, RIP0 + 1);
}

static void test_in_ax_dx(void **state)
{
	reset();
	fake.port_base = 0x12345678;
	regs.gpr[RDX] = 0x3f8;
	assert_int_equal(pio(B("\x66\xed"), L64, 0x3f8, 2, true, false), 0);
	assert_int_equal(regs.gpr[RAX], 0xcccccccccccc5678);
	assert_int_equal(fake.last_port_size, 2);
}

static void test_out_imm8_al(void **state)
{
	reset();
	assert_int_equal(pio(B("\xe6\x80"), L64, 0x80, 1, false, false), 0);
	assert_int_equal(fake.outs, 1);
	assert_int_equal(fake.out_log[0], 0xcc);
	assert_int_equal(fake.last_port, 0x80);
	assert_int_equal(regs.gpr[RAX], POISON);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_out_dx_eax(void **state)
{
	reset();
	regs.gpr[RDX] = 0x3f8;
	regs.gpr[RAX] = 0x1122334455667788;
	assert_int_equal(pio(B("\xef"), L64, 0x3f8, 4, false, false), 0);
	assert_int_equal(fake.out_log[0], 0x55667788);
	assert_int_equal(fake.last_port_size, 4);
}

static void test_r16_out_sizes(void **state)
{
	reset();
	regs.gpr[RDX] = 0x70;
	regs.gpr[RAX] = 0x11223344;
	assert_int_equal(pio(B("\xef"), R16, 0x70, 2, false, false), 0);
	assert_int_equal(fake.out_log[0], 0x3344);
	assert_int_equal(pio(B("\x66\xef"), R16, 0x70, 4, false, false), 0);
	assert_int_equal(fake.out_log[1], 0x11223344);
	assert_int_equal(regs.rip, RIP0 + 3);
}

static void test_pio_mismatch(void **state)
{
	struct emulate_regs before;

	reset();
	regs.gpr[RDX] = 0x3f8;
	before = regs;
	assert_int_equal(pio(B("\xed"), L64, 0x3f9, 4, true, false), OPERAND);
	assert_int_equal(pio(B("\xed"), L64, 0x3f8, 2, true, false), OPERAND);
	assert_int_equal(pio(B("\xed"), L64, 0x3f8, 4, false, false), OPERAND);
	assert_int_equal(pio(B("\xe4\x61"), L64, 0x60, 1, true, false), OPERAND);
	assert_int_equal(pio(B("\xf3\x6c"), L64, 0x3f8, 1, false, true), OPERAND);
	assert_memory_equal(&regs, &before, sizeof(regs));
	assert_int_equal(fake.ins + fake.outs, 0);
}

static void test_pio_wrong_entry_point(void **state)
{
	reset();
	regs.gpr[RDX] = 0x3f8;
	assert_int_equal(pio(B("\x6c"), L64, 0x3f8, 1, true, false), UNSUPPORTED);
	assert_int_equal(pio(B("\xec"), L64, 0x3f8, 1, true, true), UNSUPPORTED);
	assert_int_equal(pio(B("\x8b\x03"), L64, 0x3f8, 4, true, false), UNSUPPORTED);
	assert_int_equal(pio(B(""), L64, 0x3f8, 1, true, false), TRUNCATED);
	assert_int_equal(pio(B("\x66"), L64, 0x3f8, 2, true, true), TRUNCATED);
	assert_int_equal(pio(B("\xe4"), L64, 0x60, 1, true, false), TRUNCATED);
}

static void test_rep_prefix_on_in_ignored(void **state)
{
	reset();
	regs.gpr[RDX] = 0x60;
	regs.gpr[RCX] = 5;
	assert_int_equal(pio(B("\xf3\xec"), L64, 0x60, 1, true, false), 0);
	assert_int_equal(fake.ins, 1);
	assert_int_equal(regs.gpr[RCX], 5);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_rep_insw(void **state)
{
	reset();
	fake.port_base = 0x1000;
	regs.gpr[RDX] = 0x1f0;
	regs.gpr[RDI] = GUEST_LIN;
	regs.gpr[RCX] = 3;
	assert_int_equal(pio(B("\x66\xf3\x6d"), L64, 0x1f0, 2, true, true), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(load_le(&fake.ram[2 * i], 2), 0x1000 + i);
	assert_int_equal(regs.gpr[RDI], GUEST_LIN + 6);
	assert_int_equal(regs.gpr[RCX], 0);
	assert_int_equal(regs.gpr[RSI], POISON);
	assert_int_equal(regs.rip, RIP0 + 3);
}

static void test_rep_outsb(void **state)
{
	reset();
	memcpy(fake.ram, "hello", 5);
	regs.gpr[RDX] = 0x3f8;
	regs.gpr[RSI] = GUEST_LIN;
	regs.gpr[RCX] = 5;
	assert_int_equal(pio(B("\xf3\x6e"), L64, 0x3f8, 1, false, true), 0);
	assert_int_equal(fake.outs, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(fake.out_log[i], (uint8_t)"hello"[i]);
	assert_int_equal(regs.gpr[RSI], GUEST_LIN + 5);
	assert_int_equal(regs.gpr[RDI], POISON);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_rep_insb_chunked(void **state)
{
	reset();
	regs.gpr[RDX] = 0x1f0;
	regs.gpr[RDI] = GUEST_LIN;
	regs.gpr[RCX] = 5000;
	assert_int_equal(pio(B("\xf3\x6c"), L64, 0x1f0, 1, true, true), 0);
	assert_int_equal(fake.ins, EMULATE_REP_CHUNK);
	assert_int_equal(regs.gpr[RCX], 5000 - EMULATE_REP_CHUNK);
	assert_int_equal(regs.gpr[RDI], GUEST_LIN + EMULATE_REP_CHUNK);
	assert_int_equal(regs.rip, RIP0);
	assert_int_equal(pio(B("\xf3\x6c"), L64, 0x1f0, 1, true, true), 0);
	assert_int_equal(fake.ins, 5000);
	assert_int_equal(regs.gpr[RCX], 0);
	assert_int_equal(fake.ram[4999], (uint8_t)4999);
	assert_int_equal(regs.rip, RIP0 + 2);
}

static void test_outsd_backwards(void **state)
{
	reset();
	regs.rflags |= DF;
	store_le(&fake.ram[8], 4, 0xfeedface);
	regs.gpr[RDX] = 0xcf8;
	regs.gpr[RSI] = GUEST_LIN + 8;
	assert_int_equal(pio(B("\x6f"), L64, 0xcf8, 4, false, true), 0);
	assert_int_equal(fake.out_log[0], 0xfeedface);
	assert_int_equal(regs.gpr[RSI], GUEST_LIN + 4);
	assert_int_equal(regs.rip, RIP0 + 1);
}

static void test_p32_outs_es_override(void **state)
{
	reset();
	fake.ram[0x10] = 0xa7;
	regs.seg_base[EMULATE_ES] = GUEST_LIN;
	regs.gpr[RDX] = 0x80;
	regs.gpr[RSI] = 0x10;
	assert_int_equal(pio(B("\x26\x6e"), P32, 0x80, 1, false, true), 0);
	assert_int_equal(fake.out_log[0], 0xa7);
	assert_int_equal(regs.gpr[RSI], 0x11);
}

static void test_p32_rep_insd(void **state)
{
	reset();
	fake.port_base = 0xabcd0000;
	regs.seg_base[EMULATE_ES] = GUEST_LIN;
	regs.gpr[RDX] = 0xcfc;
	regs.gpr[RDI] = 0x20;
	regs.gpr[RCX] = 2;
	assert_int_equal(pio(B("\xf3\x6d"), P32, 0xcfc, 4, true, true), 0);
	assert_int_equal(load_le(&fake.ram[0x20], 4), 0xabcd0000);
	assert_int_equal(load_le(&fake.ram[0x24], 4), 0xabcd0001);
	assert_int_equal(regs.gpr[RDI], 0x28);
	assert_int_equal(regs.gpr[RCX], 0);
}

static void test_rep_ins_device_fails(void **state)
{
	reset();
	fake.in_fail_after = 2;
	regs.gpr[RDX] = 0x1f0;
	regs.gpr[RDI] = GUEST_LIN;
	regs.gpr[RCX] = 6;
	assert_int_equal(pio(B("\x66\xf3\x6d"), L64, 0x1f0, 2, true, true), CALLBACK);
	assert_int_equal(regs.gpr[RCX], 4);
	assert_int_equal(regs.gpr[RDI], GUEST_LIN + 4);
	assert_int_equal(regs.rip, RIP0);
}

static void test_r16_rep_insb_di_wraps(void **state)
{
	reset();
	fake.port_base = 0x30;
	regs.seg_base[EMULATE_ES] = GUEST_LIN;
	regs.gpr[RDX] = 0x60;
	regs.gpr[RDI] = 0xffff;
	regs.gpr[RCX] = 0x10002;
	assert_int_equal(pio(B("\xf3\x6c"), R16, 0x60, 1, true, true), 0);
	assert_int_equal(fake.ram[0xffff], 0x30);
	assert_int_equal(fake.ram[0], 0x31);
	assert_int_equal(regs.gpr[RDI], 1);
	assert_int_equal(regs.gpr[RCX], 0x10000);
}

static void test_strerror(void **state)
{
	assert_string_equal(emulate_strerror(0), "success");
	assert_string_equal(emulate_strerror(UNSUPPORTED), "instruction not supported");
	assert_string_equal(emulate_strerror(TRUNCATED), "instruction truncated");
	assert_non_null(strstr(emulate_strerror(OPERAND), "operand"));
	assert_non_null(strstr(emulate_strerror(CALLBACK), "failed"));
	assert_string_equal(emulate_strerror(-99), "unknown error");
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_rep_stosd),
	cmocka_unit_test(test_rep_stosb_backwards),
	cmocka_unit_test(test_stosq),
	cmocka_unit_test(test_stosw_addr32),
	cmocka_unit_test(test_rep_stosb_stops_at_page_end),
	cmocka_unit_test(test_rep_stosd_stops_before_straddling),
	cmocka_unit_test(test_rep_zero_count),
	cmocka_unit_test(test_rep_movsd_ram_to_mmio),
	cmocka_unit_test(test_rep_movsb_mmio_to_ram),
	cmocka_unit_test(test_rep_movsq_backwards),
	cmocka_unit_test(test_movs_ambiguous_needs_translate),
	cmocka_unit_test(test_movs_both_sides_mmio),
	cmocka_unit_test(test_movs_neither_side_mmio),
	cmocka_unit_test(test_movsb_fs_source),
	cmocka_unit_test(test_p32_rep_movsd_segments),
	cmocka_unit_test(test_p32_movs_ss_override),
	cmocka_unit_test(test_r16_rep_stosw),
	cmocka_unit_test(test_r16_stosw_di_wraps),
	cmocka_unit_test(test_lodsd),
	cmocka_unit_test(test_lodsb_fs),
	cmocka_unit_test(test_string_guest_memory_fails),
	cmocka_unit_test(test_lock_stos_unsupported),
	cmocka_unit_test(test_in_al_imm8),
	cmocka_unit_test(test_in_eax_dx_zero_extends),
	cmocka_unit_test(test_in_ax_dx),
	cmocka_unit_test(test_out_imm8_al),
	cmocka_unit_test(test_out_dx_eax),
	cmocka_unit_test(test_r16_out_sizes),
	cmocka_unit_test(test_pio_mismatch),
	cmocka_unit_test(test_pio_wrong_entry_point),
	cmocka_unit_test(test_rep_prefix_on_in_ignored),
	cmocka_unit_test(test_rep_insw),
	cmocka_unit_test(test_rep_outsb),
	cmocka_unit_test(test_rep_insb_chunked),
	cmocka_unit_test(test_outsd_backwards),
	cmocka_unit_test(test_p32_outs_es_override),
	cmocka_unit_test(test_p32_rep_insd),
	cmocka_unit_test(test_rep_ins_device_fails),
	cmocka_unit_test(test_r16_rep_insb_di_wraps),
	cmocka_unit_test(test_strerror),
};

#define N_MMIO  (sizeof(mmio_cases) / sizeof(mmio_cases[0]))
#define N_FIXED (sizeof(fixed_tests) / sizeof(fixed_tests[0]))

int main(void)
{
	static struct CMUnitTest tests[N_MMIO + N_FIXED];

	for (size_t i = 0; i < N_MMIO; i++) {
		tests[i] = (struct CMUnitTest){ .name = mmio_cases[i].name,
						.test_func = test_mmio_case,
						.initial_state = (void *)&mmio_cases[i] };
	}
	for (size_t i = 0; i < N_FIXED; i++)
		tests[N_MMIO + i] = fixed_tests[i];
	return _cmocka_run_group_tests("insn_emulate", tests, N_MMIO + N_FIXED, NULL, NULL);
}
