/*
 * x86 instruction emulator for intercepted MMIO and port I/O: a decoder for
 * the operands of the instructions listed in insn_emulate.h (SDM vol. 2
 * chapter 2, APM vol. 3 chapter 1), the ALU flag rules (SDM vol. 1 §3.4.3)
 * and a string-instruction engine shared by MOVS/STOS/LODS and INS/OUTS.
 */
#include "parent/vstack/insn_emulate.h"

#include <string.h>

#define PAGE_OFFSET_MASK 0xfffull

#define ARITH_FLAGS (EMULATE_FLAG_CF | EMULATE_FLAG_PF | EMULATE_FLAG_AF | \
		     EMULATE_FLAG_ZF | EMULATE_FLAG_SF | EMULATE_FLAG_OF)

/* ALU operations: the group-1 ModRM.reg numbering (SDM vol. 2 table A-6). */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST };

/* A decoded instruction. */
struct insn {
	enum x86_cpu_mode mode;
	const uint8_t *bytes;
	size_t avail;          /* bytes that may be read */
	size_t len;            /* bytes decoded so far; the length once done */
	unsigned opsize;       /* operand size in bytes: 2, 4 or 8 */
	unsigned addrsize;     /* address size in bytes: 2, 4 or 8 */
	int seg;               /* segment override, or -1 */
	uint8_t rep;           /* 0, 0xf2 or 0xf3 */
	uint8_t rex;           /* REX byte (64-bit mode), or 0 */
	bool lock;
	uint16_t opcode;       /* one-byte opcode, or 0x0fxx */
	uint8_t mod, regop;    /* ModRM.mod, ModRM.reg without REX.R */
	unsigned reg;          /* ModRM.reg with REX.R */
	int ea_seg;            /* default segment of the memory operand */
	uint64_t ea;           /* effective address, not yet truncated */
	bool rip_relative;
	uint64_t imm;          /* sign-extended, except moffs and port numbers */
};

/* Where one side of a string element comes from or goes to. */
enum side_kind { SIDE_RAX, SIDE_PORT, SIDE_GUEST, SIDE_MMIO };

struct side {
	enum side_kind kind;
	unsigned reg;          /* RSI or RDI, for SIDE_GUEST and SIDE_MMIO */
	int seg;
	uint64_t lin0, gpa0;   /* SIDE_MMIO: first element's linear address, GPA */
};

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t sign_extend(uint64_t value, unsigned size)
{
	unsigned shift = 64 - 8 * size;

	return (uint64_t)((int64_t)(value << shift) >> shift);
}

/* Without REX, byte registers 4..7 are AH, CH, DH, BH (SDM vol. 2 §3.1.1.1). */
static bool is_high_byte(unsigned reg, unsigned size, bool rex)
{
	return size == 1 && !rex && reg >= 4 && reg < 8;
}

static uint64_t reg_get(const struct emulate_regs *regs, unsigned reg,
			unsigned size, bool rex)
{
	if (is_high_byte(reg, size, rex))
		return (regs->gpr[reg - 4] >> 8) & 0xff;
	return regs->gpr[reg] & size_mask(size);
}

static void reg_set(struct emulate_regs *regs, unsigned reg, unsigned size,
		    bool rex, uint64_t value)
{
	if (is_high_byte(reg, size, rex)) {
		regs->gpr[reg - 4] = (regs->gpr[reg - 4] & ~0xff00ull) | ((value & 0xff) << 8);
	} else if (size == 4) {
		regs->gpr[reg] = (uint32_t)value;
	} else {
		uint64_t mask = size_mask(size);

		regs->gpr[reg] = (regs->gpr[reg] & ~mask) | (value & mask);
	}
}

/* Reads n little-endian bytes of the instruction. */
static int fetch(struct insn *in, unsigned n, uint64_t *out)
{
	uint64_t value = 0;

	if (in->len + n > X86_INSN_MAX_LENGTH)
		return -EMULATE_EUNSUPPORTED;
	if (in->len + n > in->avail)
		return -EMULATE_ETRUNCATED;
	for (unsigned i = 0; i < n; i++)
		value |= (uint64_t)in->bytes[in->len + i] << (8 * i);
	in->len += n;
	*out = value;
	return 0;
}

/* Records a legacy prefix (SDM vol. 2 §2.1.1); false if b is not one. */
static bool legacy_prefix(struct insn *in, uint8_t b, bool *p66, bool *p67)
{
	switch (b) {
	case 0x66: *p66 = true; return true;
	case 0x67: *p67 = true; return true;
	case 0xf0: in->lock = true; return true;
	case 0xf2: case 0xf3: in->rep = b; return true;
	case 0x26: case 0x2e: case 0x36: case 0x3e:
		/* ES CS SS DS overrides are ignored in 64-bit mode. */
		if (in->mode != X86_MODE_LONG64)
			in->seg = (b >> 3) & 3;
		return true;
	case 0x64: in->seg = EMULATE_FS; return true;
	case 0x65: in->seg = EMULATE_GS; return true;
	default: return false;
	}
}

/* ModRM, SIB and displacement (SDM vol. 2 §2.1.5 tables 2-1..2-3, §2.2.1). */
static int decode_modrm(struct insn *in, const struct emulate_regs *regs)
{
	static const int8_t base16[8] = { EMULATE_RBX, EMULATE_RBX, EMULATE_RBP, EMULATE_RBP,
					  EMULATE_RSI, EMULATE_RDI, EMULATE_RBP, EMULATE_RBX };
	static const int8_t index16[8] = { EMULATE_RSI, EMULATE_RDI, EMULATE_RSI, EMULATE_RDI,
					   -1, -1, -1, -1 };
	uint64_t modrm, sib, disp = 0;
	unsigned rm, base, disp_size = 0;
	bool has_base = true;
	int rc;

	if ((rc = fetch(in, 1, &modrm)))
		return rc;
	in->mod = (uint8_t)(modrm >> 6);
	in->regop = (uint8_t)((modrm >> 3) & 7);
	in->reg = in->regop | ((in->rex & 4) ? 8 : 0);
	rm = modrm & 7;
	if (in->mod == 3)
		return 0;
	in->ea_seg = EMULATE_DS;
	if (in->addrsize == 2) {
		if (in->mod == 0 && rm == 6) {
			disp_size = 2;
		} else {
			in->ea = regs->gpr[base16[rm]];
			if (index16[rm] >= 0)
				in->ea += regs->gpr[index16[rm]];
			if (base16[rm] == EMULATE_RBP)
				in->ea_seg = EMULATE_SS;
			disp_size = in->mod == 1 ? 1 : in->mod == 2 ? 2 : 0;
		}
	} else {
		base = rm;
		if (rm == 4) {
			unsigned index;

			if ((rc = fetch(in, 1, &sib)))
				return rc;
			index = ((sib >> 3) & 7) | ((in->rex & 2) ? 8 : 0);
			base = sib & 7;
			if (index != EMULATE_RSP)
				in->ea = regs->gpr[index] << (sib >> 6);
		}
		if (base == 5 && in->mod == 0) {
			has_base = false;
			in->rip_relative = rm == 5 && in->mode == X86_MODE_LONG64;
		} else {
			base |= (in->rex & 1) ? 8 : 0;
			in->ea += regs->gpr[base];
			if (base == EMULATE_RSP || base == EMULATE_RBP)
				in->ea_seg = EMULATE_SS;
		}
		disp_size = in->mod == 1 ? 1 : (in->mod == 2 || !has_base) ? 4 : 0;
	}
	if (disp_size) {
		if ((rc = fetch(in, disp_size, &disp)))
			return rc;
		in->ea += sign_extend(disp, disp_size);
	}
	return 0;
}

/*
 * Decodes prefixes, opcode, ModRM and immediate of a supported instruction
 * (SDM vol. 2 §2.1, §2.2.1 for REX).  Registers are read only to form the
 * effective address.
 */
static int decode(struct insn *in, const uint8_t *bytes, size_t avail,
		  enum x86_cpu_mode mode, const struct emulate_regs *regs)
{
	bool big = mode == X86_MODE_PROT32 || mode == X86_MODE_LONG64;
	bool p66 = false, p67 = false, modrm = false;
	unsigned imm_size = 0;
	uint64_t b, imm;
	int rc;

	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->bytes = bytes;
	in->avail = avail;
	in->seg = -1;
	for (;;) {
		if ((rc = fetch(in, 1, &b)))
			return rc;
		if (mode == X86_MODE_LONG64 && (b & 0xf0) == 0x40) {
			in->rex = (uint8_t)b;
			continue;
		}
		if (!legacy_prefix(in, (uint8_t)b, &p66, &p67))
			break;
		in->rex = 0; /* REX counts only right before the opcode */
	}
	in->opcode = (uint16_t)b;
	if (b == 0x0f) {
		if ((rc = fetch(in, 1, &b)))
			return rc;
		in->opcode = (uint16_t)(0x0f00 | b);
	}
	in->opsize = (in->rex & 8) ? 8 : (big != p66) ? 4 : 2;
	in->addrsize = mode == X86_MODE_LONG64 ? (p67 ? 4 : 8) : (big != p67) ? 4 : 2;

	switch (in->opcode) {
	case 0x00: case 0x01: case 0x02: case 0x03: case 0x08: case 0x09: case 0x0a: case 0x0b:
	case 0x10: case 0x11: case 0x12: case 0x13: case 0x18: case 0x19: case 0x1a: case 0x1b:
	case 0x20: case 0x21: case 0x22: case 0x23: case 0x28: case 0x29: case 0x2a: case 0x2b:
	case 0x30: case 0x31: case 0x32: case 0x33: case 0x38: case 0x39: case 0x3a: case 0x3b:
	case 0x84: case 0x85: case 0x88: case 0x89: case 0x8a: case 0x8b:
	case 0x0fb6: case 0x0fb7: case 0x0fbe: case 0x0fbf:
		modrm = true;
		break;
	case 0x63: /* ARPL outside 64-bit mode */
		if (mode != X86_MODE_LONG64)
			return -EMULATE_EUNSUPPORTED;
		modrm = true;
		break;
	case 0x80: case 0x83: case 0xc6: case 0xf6: /* F6: only TEST (/0, /1) is emulated */
		modrm = true;
		imm_size = 1;
		break;
	case 0x81: case 0xc7: case 0xf7:
		modrm = true;
		imm_size = in->opsize == 2 ? 2 : 4;
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		imm_size = in->addrsize;
		break;
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		imm_size = 1;
		break;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f: case 0xa4: case 0xa5:
	case 0xaa: case 0xab: case 0xac: case 0xad:
	case 0xec: case 0xed: case 0xee: case 0xef:
		break;
	default:
		return -EMULATE_EUNSUPPORTED;
	}
	if (modrm && (rc = decode_modrm(in, regs)))
		return rc;
	if (((in->opcode == 0xf6 || in->opcode == 0xf7) && in->regop > 1) ||
	    ((in->opcode == 0xc6 || in->opcode == 0xc7) && in->regop != 0))
		return -EMULATE_EUNSUPPORTED;
	if (imm_size) {
		if ((rc = fetch(in, imm_size, &imm)))
			return rc;
		bool unsigned_imm = (in->opcode >= 0xa0 && in->opcode <= 0xa3) ||
				    (in->opcode >= 0xe4 && in->opcode <= 0xe7);
		in->imm = unsigned_imm ? imm : sign_extend(imm, imm_size);
	}
	if (in->rip_relative)
		in->ea += regs->rip + in->len;
	return 0;
}

/* Linear address of seg:offset, offset truncated to the address size. */
static uint64_t linear(const struct insn *in, const struct emulate_regs *regs,
		       int seg, uint64_t offset)
{
	offset &= size_mask(in->addrsize);
	if (in->mode == X86_MODE_LONG64)
		return (seg == EMULATE_FS || seg == EMULATE_GS) ? regs->seg_base[seg] + offset : offset;
	return (uint32_t)(regs->seg_base[seg] + offset);
}

static void advance_rip(const struct insn *in, struct emulate_regs *regs)
{
	uint64_t rip = regs->rip + in->len;

	regs->rip = in->mode == X86_MODE_LONG64 ? rip : (uint32_t)rip;
}

/* One-byte opcodes with an even number work on bytes (SDM vol. 2 §B.1.4.3 "w"). */
static bool byte_opcode(uint16_t opcode)
{
	return opcode < 0x100 && !(opcode & 1);
}

static int mmio_read(const struct emulate_ops *ops, void *ctx, uint64_t gpa,
		     unsigned size, uint64_t *value)
{
	*value = 0;
	if (!ops->mmio_read || ops->mmio_read(ctx, gpa, size, value))
		return -EMULATE_ECALLBACK;
	*value &= size_mask(size);
	return 0;
}

static int mmio_write(const struct emulate_ops *ops, void *ctx, uint64_t gpa,
		      unsigned size, uint64_t value)
{
	if (!ops->mmio_write || ops->mmio_write(ctx, gpa, size, value & size_mask(size)))
		return -EMULATE_ECALLBACK;
	return 0;
}

/*
 * dst op src at `size` bytes; sets the arithmetic flags in *rflags as the
 * processor does and returns the result (SDM vol. 2 ADD, ADC, SUB, SBB, AND,
 * OR, XOR, CMP, TEST; AF is undefined for the logical ones and cleared).
 */
static uint64_t alu(unsigned op, unsigned size, uint64_t dst, uint64_t src, uint64_t *rflags)
{
	uint64_t mask = size_mask(size), sign = 1ull << (8 * size - 1);
	uint64_t carry_in = *rflags & EMULATE_FLAG_CF, result, flags = 0, parity;

	dst &= mask;
	src &= mask;
	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		result = dst + src + (op == ALU_ADC ? carry_in : 0);
		if (((dst & src) | ((dst | src) & ~result)) & sign)
			flags |= EMULATE_FLAG_CF;
		if ((dst ^ result) & (src ^ result) & sign)
			flags |= EMULATE_FLAG_OF;
		flags |= (dst ^ src ^ result) & EMULATE_FLAG_AF;
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		result = dst - src - (op == ALU_SBB ? carry_in : 0);
		if (((~dst & src) | (~(dst ^ src) & result)) & sign)
			flags |= EMULATE_FLAG_CF;
		if ((dst ^ src) & (dst ^ result) & sign)
			flags |= EMULATE_FLAG_OF;
		flags |= (dst ^ src ^ result) & EMULATE_FLAG_AF;
		break;
	case ALU_OR: result = dst | src; break;
	case ALU_XOR: result = dst ^ src; break;
	default: result = dst & src; break; /* AND, TEST */
	}
	result &= mask;
	flags |= result ? 0 : EMULATE_FLAG_ZF;
	flags |= (result & sign) ? EMULATE_FLAG_SF : 0;
	parity = result & 0xff;
	parity ^= parity >> 4;
	parity ^= parity >> 2;
	parity ^= parity >> 1;
	flags |= (parity & 1) ? 0 : EMULATE_FLAG_PF; /* even number of ones */
	*rflags = (*rflags & ~(uint64_t)ARITH_FLAGS) | flags;
	return result;
}

/* The ALU forms: 00..3B (ModRM), 80 81 83, 84 85, F6 F7. */
static int emulate_alu(const struct insn *in, unsigned size, uint64_t gpa,
		       struct emulate_regs *regs, const struct emulate_ops *ops, void *ctx)
{
	uint16_t opcode = in->opcode;
	bool rex = in->rex != 0, to_reg = opcode < 0x40 && (opcode & 2);
	bool reg_source = opcode < 0x40 || opcode == 0x84 || opcode == 0x85;
	uint64_t src = reg_source ? reg_get(regs, in->reg, size, rex) : in->imm;
	unsigned op = opcode < 0x40 ? opcode >> 3u : opcode >= 0x84 ? ALU_TEST : in->regop;
	uint64_t memory, result, rflags = regs->rflags;
	int rc;

	if (in->lock && (to_reg || op == ALU_CMP || op == ALU_TEST))
		return -EMULATE_EUNSUPPORTED;
	if ((rc = mmio_read(ops, ctx, gpa, size, &memory)))
		return rc;
	if (to_reg) {
		result = alu(op, size, src, memory, &rflags);
		if (op != ALU_CMP)
			reg_set(regs, in->reg, size, rex, result);
	} else {
		result = alu(op, size, memory, src, &rflags);
		if (op != ALU_CMP && op != ALU_TEST && (rc = mmio_write(ops, ctx, gpa, size, result)))
			return rc;
	}
	regs->rflags = rflags;
	return 0;
}

static uint64_t side_linear(const struct insn *in, const struct emulate_regs *regs,
			    const struct side *side)
{
	return linear(in, regs, side->seg, regs->gpr[side->reg]);
}

/* Moves one element of `size` bytes from or to a side. */
static int side_access(const struct insn *in, struct emulate_regs *regs,
		       const struct side *side, unsigned size, uint16_t port, bool write,
		       uint64_t *value, const struct emulate_ops *ops, void *ctx)
{
	uint8_t buf[8];
	uint32_t port_value = 0;
	uint64_t lin = 0;
	bool ok = false;

	if (side->kind == SIDE_GUEST || side->kind == SIDE_MMIO)
		lin = side_linear(in, regs, side);
	switch (side->kind) {
	case SIDE_RAX:
		if (write)
			reg_set(regs, EMULATE_RAX, size, true, *value);
		else
			*value = reg_get(regs, EMULATE_RAX, size, true);
		return 0;
	case SIDE_PORT:
		if (write) {
			ok = ops->pio_out && !ops->pio_out(ctx, port, size, (uint32_t)*value);
		} else {
			ok = ops->pio_in && !ops->pio_in(ctx, port, size, &port_value);
			*value = port_value & size_mask(size);
		}
		break;
	case SIDE_MMIO:
		if (write)
			return mmio_write(ops, ctx, side->gpa0 + (lin - side->lin0), size, *value);
		return mmio_read(ops, ctx, side->gpa0 + (lin - side->lin0), size, value);
	case SIDE_GUEST:
		if (write) {
			for (unsigned i = 0; i < size; i++)
				buf[i] = (uint8_t)(*value >> (8 * i));
			ok = ops->write_guest && !ops->write_guest(ctx, lin, buf, size);
		} else {
			memset(buf, 0, sizeof(buf));
			ok = ops->read_guest && !ops->read_guest(ctx, lin, buf, size);
			*value = 0;
			for (unsigned i = 0; i < size; i++)
				*value |= (uint64_t)buf[i] << (8 * i);
		}
		break;
	}
	return ok ? 0 : -EMULATE_ECALLBACK;
}

/* True if a further MMIO element would leave the first element's page. */
static bool leaves_page(const struct insn *in, const struct emulate_regs *regs,
			const struct side *side, unsigned size)
{
	uint64_t lin;

	if (side->kind != SIDE_MMIO)
		return false;
	lin = side_linear(in, regs, side);
	return ((lin ^ side->lin0) | ((lin + size - 1) ^ side->lin0)) & ~PAGE_OFFSET_MASK;
}

static void side_step(const struct insn *in, struct emulate_regs *regs,
		      const struct side *side, uint64_t step)
{
	if (side->kind == SIDE_GUEST || side->kind == SIDE_MMIO)
		reg_set(regs, side->reg, in->addrsize, true, regs->gpr[side->reg] + step);
}

/*
 * Runs a string instruction (or, with rep false and no memory side, a plain
 * IN/OUT): element by element, RSI/RDI/RCX updated after each; see the
 * contract of emulate_mmio() for chunking and RIP.
 */
static int run_string(const struct insn *in, struct emulate_regs *regs, unsigned size,
		      const struct side *src, const struct side *dst, uint16_t port, bool rep,
		      const struct emulate_ops *ops, void *ctx)
{
	uint64_t count_mask = size_mask(in->addrsize), value;
	uint64_t step = (regs->rflags & EMULATE_FLAG_DF) ? -(uint64_t)size : size;
	unsigned done = 0;
	int rc;

	while (!rep || (regs->gpr[EMULATE_RCX] & count_mask)) {
		if (done == EMULATE_REP_CHUNK ||
		    (done && (leaves_page(in, regs, src, size) || leaves_page(in, regs, dst, size))))
			return 0;
		if ((rc = side_access(in, regs, src, size, port, false, &value, ops, ctx)) ||
		    (rc = side_access(in, regs, dst, size, port, true, &value, ops, ctx)))
			return rc;
		side_step(in, regs, src, step);
		side_step(in, regs, dst, step);
		done++;
		if (!rep)
			break;
		reg_set(regs, EMULATE_RCX, in->addrsize, true, regs->gpr[EMULATE_RCX] - 1);
	}
	advance_rip(in, regs);
	return 0;
}

/* Makes `side` the MMIO side if its page offset matches the fault's. */
static int claim_mmio(const struct insn *in, const struct emulate_regs *regs,
		      struct side *side, uint64_t fault_gpa)
{
	uint64_t lin = side_linear(in, regs, side);

	if ((lin ^ fault_gpa) & PAGE_OFFSET_MASK)
		return -EMULATE_EOPERAND;
	side->kind = SIDE_MMIO;
	side->lin0 = lin;
	side->gpa0 = fault_gpa;
	return 0;
}

/* MOVS: decides which of source and destination is the MMIO side. */
static int movs_sides(const struct insn *in, const struct emulate_regs *regs,
		      struct side *src, struct side *dst, uint64_t fault_gpa,
		      const struct emulate_ops *ops, void *ctx)
{
	struct side *sides[2] = { src, dst };
	uint64_t lin, gpa;
	bool found = false;

	if (!ops->translate) {
		bool src_matches = !((side_linear(in, regs, src) ^ fault_gpa) & PAGE_OFFSET_MASK);
		bool dst_matches = !((side_linear(in, regs, dst) ^ fault_gpa) & PAGE_OFFSET_MASK);

		if (src_matches == dst_matches)
			return -EMULATE_EOPERAND;
		return claim_mmio(in, regs, src_matches ? src : dst, fault_gpa);
	}
	for (unsigned i = 0; i < 2; i++) {
		lin = side_linear(in, regs, sides[i]);
		if (ops->translate(ctx, lin, &gpa))
			return -EMULATE_ECALLBACK;
		if ((gpa ^ fault_gpa) & ~PAGE_OFFSET_MASK)
			continue;
		sides[i]->kind = SIDE_MMIO;
		sides[i]->lin0 = lin;
		sides[i]->gpa0 = gpa;
		found = true;
	}
	return found ? 0 : -EMULATE_EOPERAND;
}

static int emulate_string_mmio(const struct insn *in, unsigned size, uint64_t fault_gpa,
			       struct emulate_regs *regs, const struct emulate_ops *ops,
			       void *ctx)
{
	struct side src = { SIDE_GUEST, EMULATE_RSI, in->seg >= 0 ? in->seg : EMULATE_DS, 0, 0 };
	struct side dst = { SIDE_GUEST, EMULATE_RDI, EMULATE_ES, 0, 0 };
	int rc;

	switch (in->opcode) {
	case 0xa4: case 0xa5: /* MOVS */
		rc = movs_sides(in, regs, &src, &dst, fault_gpa, ops, ctx);
		break;
	case 0xaa: case 0xab: /* STOS */
		src.kind = SIDE_RAX;
		rc = claim_mmio(in, regs, &dst, fault_gpa);
		break;
	default: /* LODS */
		dst.kind = SIDE_RAX;
		rc = claim_mmio(in, regs, &src, fault_gpa);
		break;
	}
	if (rc)
		return rc;
	return run_string(in, regs, size, &src, &dst, 0, in->rep != 0, ops, ctx);
}

int emulate_mmio(const uint8_t *insn, size_t insn_len, enum x86_cpu_mode mode,
		 uint64_t fault_gpa, struct emulate_regs *regs,
		 const struct emulate_ops *ops, void *ctx)
{
	struct insn in;
	uint16_t opcode;
	unsigned size, src_size;
	uint64_t lin, value;
	bool rex;
	int rc;

	if ((rc = decode(&in, insn, insn_len, mode, regs)))
		return rc;
	opcode = in.opcode;
	size = byte_opcode(opcode) ? 1 : in.opsize;
	rex = in.rex != 0;
	if ((opcode >= 0x6c && opcode <= 0x6f) || (opcode >= 0xe4 && opcode <= 0xef))
		return -EMULATE_EUNSUPPORTED; /* port I/O: emulate_pio*() */
	if (opcode == 0xa4 || opcode == 0xa5 || (opcode >= 0xaa && opcode <= 0xad)) {
		if (in.lock)
			return -EMULATE_EUNSUPPORTED;
		return emulate_string_mmio(&in, size, fault_gpa, regs, ops, ctx);
	}
	if (opcode >= 0xa0 && opcode <= 0xa3) {
		lin = linear(&in, regs, in.seg >= 0 ? in.seg : EMULATE_DS, in.imm);
	} else {
		if (in.mod == 3)
			return -EMULATE_EOPERAND; /* a register operand cannot fault */
		lin = linear(&in, regs, in.seg >= 0 ? in.seg : in.ea_seg, in.ea);
	}
	if ((lin ^ fault_gpa) & PAGE_OFFSET_MASK)
		return -EMULATE_EOPERAND;
	if (opcode < 0x40 || (opcode >= 0x80 && opcode <= 0x85) || opcode == 0xf6 || opcode == 0xf7) {
		if ((rc = emulate_alu(&in, size, fault_gpa, regs, ops, ctx)))
			return rc;
		advance_rip(&in, regs);
		return 0;
	}
	if (in.lock)
		return -EMULATE_EUNSUPPORTED;

	switch (opcode) {
	case 0x88: case 0x89: /* MOV r/m, reg */
		rc = mmio_write(ops, ctx, fault_gpa, size, reg_get(regs, in.reg, size, rex));
		break;
	case 0x8a: case 0x8b: /* MOV reg, r/m */
		if (!(rc = mmio_read(ops, ctx, fault_gpa, size, &value)))
			reg_set(regs, in.reg, size, rex, value);
		break;
	case 0xc6: case 0xc7: /* MOV r/m, imm */
		rc = mmio_write(ops, ctx, fault_gpa, size, in.imm);
		break;
	case 0xa0: case 0xa1: /* MOV AL/rAX, moffs */
		if (!(rc = mmio_read(ops, ctx, fault_gpa, size, &value)))
			reg_set(regs, EMULATE_RAX, size, true, value);
		break;
	case 0xa2: case 0xa3: /* MOV moffs, AL/rAX */
		rc = mmio_write(ops, ctx, fault_gpa, size, reg_get(regs, EMULATE_RAX, size, true));
		break;
	case 0x63: /* MOVSXD */
		src_size = in.opsize == 8 ? 4 : in.opsize;
		if (!(rc = mmio_read(ops, ctx, fault_gpa, src_size, &value)))
			reg_set(regs, in.reg, in.opsize, rex, sign_extend(value, src_size));
		break;
	default: /* MOVZX 0F B6/B7, MOVSX 0F BE/BF */
		src_size = (opcode & 1) ? 2 : 1;
		if ((rc = mmio_read(ops, ctx, fault_gpa, src_size, &value)))
			break;
		if (opcode & 8)
			value = sign_extend(value, src_size);
		reg_set(regs, in.reg, in.opsize, rex, value);
		break;
	}
	if (rc)
		return rc;
	advance_rip(&in, regs);
	return 0;
}

static int emulate_port_io(const uint8_t *insn, size_t insn_len, enum x86_cpu_mode mode,
			   const struct emulate_io *io, struct emulate_regs *regs,
			   const struct emulate_ops *ops, void *ctx, bool string)
{
	struct side memory = { SIDE_GUEST, EMULATE_RDI, EMULATE_ES, 0, 0 };
	struct side port = { SIDE_PORT, 0, 0, 0, 0 };
	struct side rax = { SIDE_RAX, 0, 0, 0, 0 };
	struct insn in;
	unsigned size;
	uint16_t number;
	bool is_in;
	int rc;

	if ((rc = decode(&in, insn, insn_len, mode, regs)))
		return rc;
	if (string ? !(in.opcode >= 0x6c && in.opcode <= 0x6f)
		   : !(in.opcode >= 0xe4 && in.opcode <= 0xef))
		return -EMULATE_EUNSUPPORTED;
	if (in.lock)
		return -EMULATE_EUNSUPPORTED;
	size = byte_opcode(in.opcode) ? 1 : in.opsize == 2 ? 2 : 4;
	is_in = string ? in.opcode <= 0x6d : !(in.opcode & 2);
	number = (!string && in.opcode <= 0xe7) ? (uint16_t)in.imm : (uint16_t)regs->gpr[EMULATE_RDX];
	if (number != io->port || size != io->size || is_in != io->in)
		return -EMULATE_EOPERAND;
	if (!string)
		return run_string(&in, regs, size, is_in ? &port : &rax, is_in ? &rax : &port,
				  number, false, ops, ctx);
	if (!is_in) {
		memory.reg = EMULATE_RSI;
		memory.seg = in.seg >= 0 ? in.seg : EMULATE_DS;
	}
	return run_string(&in, regs, size, is_in ? &port : &memory, is_in ? &memory : &port,
			  number, in.rep != 0, ops, ctx);
}

int emulate_pio(const uint8_t *insn, size_t insn_len, enum x86_cpu_mode mode,
		const struct emulate_io *io, struct emulate_regs *regs,
		const struct emulate_ops *ops, void *ctx)
{
	return emulate_port_io(insn, insn_len, mode, io, regs, ops, ctx, false);
}

int emulate_pio_string(const uint8_t *insn, size_t insn_len,
		       enum x86_cpu_mode mode, const struct emulate_io *io,
		       struct emulate_regs *regs, const struct emulate_ops *ops,
		       void *ctx)
{
	return emulate_port_io(insn, insn_len, mode, io, regs, ops, ctx, true);
}

const char *emulate_strerror(int error)
{
	switch (error) {
	case 0: return "success";
	case -EMULATE_EUNSUPPORTED: return "instruction not supported";
	case -EMULATE_ETRUNCATED: return "instruction truncated";
	case -EMULATE_EOPERAND: return "operand does not match the intercepted access";
	case -EMULATE_ECALLBACK: return "device or guest memory access failed";
	default: return "unknown error";
	}
}
