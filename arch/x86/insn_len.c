/*
 * x86 instruction-length decoder: one attribute byte per opcode for the
 * one-byte and 0F maps (SDM vol. 2 appendix A, APM vol. 3 appendix A), plus
 * the fixed layouts of the 0F 38 / 0F 3A maps and the VEX, XOP and EVEX
 * prefixes.
 */
#include "arch/x86/insn_len.h"

#include <stdbool.h>

/* Immediate kinds, in the low three bits of an attribute. */
enum {
	IMM_NONE = 0,
	IMM_B = 1,     /* Ib */
	IMM_W = 2,     /* Iw */
	IMM_Z = 3,     /* Iz: 2 or 4 bytes by operand size */
	IMM_V = 4,     /* Iv: 2, 4 or 8 bytes by operand size (B8+r) */
	IMM_AP = 5,    /* Ap: offset of operand size + 2-byte selector */
	IMM_MOFFS = 6, /* Ob/Ov: offset of address size (A0..A3) */
	IMM_WB = 7,    /* Iw, Ib (ENTER) */
	IMM_MASK = 7,
};

/* Attribute flags. */
enum {
	F_MODRM = 0x08,   /* a ModRM byte follows the opcode */
	F_NO64 = 0x10,    /* undefined in 64-bit mode */
	F_UD = 0x20,      /* undefined in every mode */
	F_GRP3 = 0x40,    /* the immediate is present only for ModRM.reg 0, 1 */
	F_REGONLY = 0x80, /* ModRM.mod is ignored: no SIB, no displacement
			     (MOV CR/DR, SDM vol. 2 "MOV-Move to/from Control
			     Registers") */
};

#define _   0
#define PF  0 /* prefix or escape byte, decoded before any table lookup */
#define M   F_MODRM
#define MB  (F_MODRM | IMM_B)
#define MZ  (F_MODRM | IMM_Z)
#define MR  (F_MODRM | F_REGONLY)
#define B   IMM_B
#define W   IMM_W
#define Z   IMM_Z
#define V   IMM_V
#define O   IMM_MOFFS
#define WB  IMM_WB
#define AP  (IMM_AP | F_NO64)
#define N6  F_NO64
#define UD  F_UD

static const uint8_t one_byte[256] = {
/*	 0   1   2   3   4   5   6   7   8   9   A   B   C   D   E   F */
/* 0 */	 M,  M,  M,  M,  B,  Z, N6, N6,  M,  M,  M,  M,  B,  Z, N6, PF,
/* 1 */	 M,  M,  M,  M,  B,  Z, N6, N6,  M,  M,  M,  M,  B,  Z, N6, N6,
/* 2 */	 M,  M,  M,  M,  B,  Z, PF, N6,  M,  M,  M,  M,  B,  Z, PF, N6,
/* 3 */	 M,  M,  M,  M,  B,  Z, PF, N6,  M,  M,  M,  M,  B,  Z, PF, N6,
/* 4 */	 _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,
/* 5 */	 _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,  _,
/* 6 */	N6, N6, M|N6, M, PF, PF, PF, PF, Z, MZ,  B, MB,  _,  _,  _,  _,
/* 7 */	 B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,  B,
/* 8 */	MB, MZ, MB|N6, MB, M, M, M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* 9 */	 _,  _,  _,  _,  _,  _,  _,  _,  _,  _, AP,  _,  _,  _,  _,  _,
/* A */	 O,  O,  O,  O,  _,  _,  _,  _,  B,  Z,  _,  _,  _,  _,  _,  _,
/* B */	 B,  B,  B,  B,  B,  B,  B,  B,  V,  V,  V,  V,  V,  V,  V,  V,
/* C */	MB, MB,  W,  _, M|N6, M|N6, MB, MZ, WB, _, W,  _,  _,  B, N6,  _,
/* D */	 M,  M,  M,  M, B|N6, B|N6, UD, _, M,  M,  M,  M,  M,  M,  M,  M,
/* E */	 B,  B,  B,  B,  B,  B,  B,  B,  Z,  Z, AP,  B,  _,  _,  _,  _,
/* F */	PF,  _, PF, PF,  _,  _, MB|F_GRP3, MZ|F_GRP3, _, _, _, _, _, _, M, M,
};

/* 0F A6/A7 are given ModRM for the VIA PadLock register forms. */
static const uint8_t two_byte[256] = {
/*	 0   1   2   3   4   5   6   7   8   9   A   B   C   D   E   F */
/* 0 */	 M,  M,  M,  M, UD,  _,  _,  _,  _,  _, UD,  _, UD,  M,  _, MB,
/* 1 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* 2 */	MR, MR, MR, MR, UD, UD, UD, UD,  M,  M,  M,  M,  M,  M,  M,  M,
/* 3 */	 _,  _,  _,  _,  _,  _, UD,  _, PF, UD, PF, UD, UD, UD, UD, UD,
/* 4 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* 5 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* 6 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* 7 */	MB, MB, MB, MB,  M,  M,  M,  _,  M,  M, UD, UD,  M,  M,  M,  M,
/* 8 */	 Z,  Z,  Z,  Z,  Z,  Z,  Z,  Z,  Z,  Z,  Z,  Z,  Z,  Z,  Z,  Z,
/* 9 */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* A */	 _,  _,  _,  M, MB,  M,  M,  M,  _,  _,  _,  M, MB,  M,  M,  M,
/* B */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M, MB,  M,  M,  M,  M,  M,
/* C */	 M,  M, MB,  M, MB, MB, MB,  M,  _,  _,  _,  _,  _,  _,  _,  _,
/* D */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* E */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
/* F */	 M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,  M,
};

#undef _
#undef PF
#undef M
#undef MB
#undef MZ
#undef MR
#undef B
#undef W
#undef Z
#undef V
#undef O
#undef WB
#undef AP
#undef N6
#undef UD

struct prefixes {
	bool opsize;  /* 66 */
	bool adsize;  /* 67 */
	bool lock;    /* F0 */
	bool repne;   /* F2 */
	bool rep;     /* F3 */
	uint8_t rex;  /* REX byte directly before the opcode, or 0 */
};

/* 0 if an instruction of `len` bytes fits both the limit and the buffer. */
static int need(size_t len, size_t avail)
{
	if (len > X86_INSN_MAX_LENGTH)
		return -X86_INSN_INVALID;
	if (len > avail)
		return -X86_INSN_TRUNCATED;
	return 0;
}

/* Records a legacy prefix (SDM vol. 2 §2.1.1); false if `b` is not one. */
static bool legacy_prefix(uint8_t b, struct prefixes *pf)
{
	switch (b) {
	case 0x66: pf->opsize = true; break;
	case 0x67: pf->adsize = true; break;
	case 0xf0: pf->lock = true; break;
	case 0xf2: pf->repne = true; break;
	case 0xf3: pf->rep = true; break;
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65: break;
	default: return false;
	}
	return true;
}

/*
 * VEX (C4, C5), XOP (8F) and EVEX (62) prefixes: SDM vol. 2 ch. 2 (VEX, EVEX),
 * APM vol. 3 §1.8.  *pos indexes the byte after the escape.  Returns 0 if
 * the escape is the legacy opcode (LES, LDS, BOUND, POP Ev), 1 with *pos past
 * the opcode and *attr, *extra_imm set, or a negative error.
 */
static int vex_prefix(const uint8_t *bytes, size_t avail, size_t *pos,
		      uint8_t esc, enum x86_cpu_mode mode,
		      const struct prefixes *pf, uint8_t *attr,
		      size_t *extra_imm)
{
	size_t p = *pos, opcode_at;
	unsigned int map;
	uint8_t b1, op;
	int err;

	if (mode == X86_MODE_REAL16)
		return 0;
	if (esc != 0xc4 && esc != 0xc5 && esc != 0x62 && esc != 0x8f)
		return 0;
	err = need(p + 1, avail);
	if (err)
		return err;
	b1 = bytes[p];
	if (esc == 0x8f) {
		/* XOP only when map_select >= 8, else POP Ev. */
		if ((b1 & 0x1f) < 8)
			return 0;
	} else if (mode != X86_MODE_LONG64 && (b1 & 0xc0) != 0xc0) {
		/* Outside 64-bit mode only ModRM.mod = 11 selects VEX/EVEX. */
		return 0;
	}
	/* 66, F2, F3, F0 or REX before VEX/XOP/EVEX is #UD (SDM §2.3.2-2.3.4). */
	if (pf->opsize || pf->repne || pf->rep || pf->lock || pf->rex)
		return -X86_INSN_INVALID;

	switch (esc) {
	case 0xc5:
		map = 1;
		opcode_at = p + 1;
		break;
	case 0x62:
		err = need(p + 2, avail);
		if (err)
			return err;
		/* EVEX P1 bit 2 is fixed at 1. */
		if (!(bytes[p + 1] & 0x04))
			return -X86_INSN_INVALID;
		map = b1 & 0x07;
		opcode_at = p + 3;
		break;
	default:
		map = b1 & 0x1f;
		opcode_at = p + 2;
		break;
	}
	err = need(opcode_at + 1, avail);
	if (err)
		return err;
	op = bytes[opcode_at];
	*pos = opcode_at + 1;
	*extra_imm = 0;

	if (esc == 0x8f) {
		switch (map) {
		case 0x08: *attr = F_MODRM | IMM_B; break;
		case 0x09: *attr = F_MODRM; break;
		case 0x0a: *attr = F_MODRM; *extra_imm = 4; break;
		default: return -X86_INSN_INVALID;
		}
		return 1;
	}
	switch (map) {
	case 1:
		/* ModRM always, except VZEROUPPER/VZEROALL; imm8 where the
		 * legacy 0F opcode has one; no Jz forms. */
		if ((two_byte[op] & IMM_MASK) > IMM_B)
			return -X86_INSN_INVALID;
		*attr = F_MODRM | (two_byte[op] & IMM_MASK);
		if (op == 0x77 && esc != 0x62)
			*attr = 0;
		break;
	case 2:
		*attr = F_MODRM;
		break;
	case 3:
		*attr = F_MODRM | IMM_B;
		break;
	case 5:
	case 6:
		if (esc != 0x62)
			return -X86_INSN_INVALID;
		*attr = F_MODRM;
		break;
	default:
		return -X86_INSN_INVALID;
	}
	return 1;
}

/*
 * Advances *pos past the SIB byte and displacement that follow `modrm`
 * (SDM vol. 2 tables 2-1..2-3).  Reads the SIB byte when there is one.
 */
static int modrm_operand(const uint8_t *bytes, size_t avail, size_t *pos,
			 uint8_t modrm, unsigned int asz)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	int err;

	if (mod == 3)
		return 0;
	if (asz == 2) {
		if (mod == 1)
			*pos += 1;
		else if (mod == 2 || rm == 6)
			*pos += 2;
		return 0;
	}
	if (rm == 4) {
		err = need(*pos + 1, avail);
		if (err)
			return err;
		/* SIB base 101 with mod 00: disp32, no base. */
		if (mod == 0 && (bytes[*pos] & 7) == 5)
			*pos += 4;
		*pos += 1;
	} else if (mod == 0 && rm == 5) {
		*pos += 4; /* disp32, RIP-relative in 64-bit mode */
	}
	if (mod == 1)
		*pos += 1;
	else if (mod == 2)
		*pos += 4;
	return 0;
}

static size_t imm_size(unsigned int kind, unsigned int osz, unsigned int asz)
{
	switch (kind) {
	case IMM_B: return 1;
	case IMM_W: return 2;
	case IMM_Z: return osz == 2 ? 2 : 4;
	case IMM_V: return osz;
	case IMM_AP: return (osz == 2 ? 2 : 4) + 2;
	case IMM_MOFFS: return asz;
	case IMM_WB: return 3;
	default: return 0;
	}
}

int x86_insn_length(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode)
{
	struct prefixes pf = { 0 };
	size_t pos = 0, extra_imm = 0;
	unsigned int osz, asz;
	bool long64 = mode == X86_MODE_LONG64;
	bool def16 = mode == X86_MODE_REAL16 || mode == X86_MODE_PROT16;
	uint8_t op, attr;
	int err;

	if ((unsigned int)mode > X86_MODE_LONG64)
		return -X86_INSN_INVALID;

	/* A REX prefix counts only directly before the opcode (SDM §2.2.1). */
	for (;; pos++) {
		err = need(pos + 1, avail);
		if (err)
			return err;
		op = bytes[pos];
		if (legacy_prefix(op, &pf))
			pf.rex = 0;
		else if (long64 && (op & 0xf0) == 0x40)
			pf.rex = op;
		else
			break;
	}
	pos++;

	if (long64)
		osz = (pf.rex & 0x08) ? 8 : pf.opsize ? 2 : 4;
	else
		osz = def16 != pf.opsize ? 2 : 4;
	if (long64)
		asz = pf.adsize ? 4 : 8;
	else
		asz = def16 != pf.adsize ? 2 : 4;

	if (op == 0x0f) {
		err = need(pos + 1, avail);
		if (err)
			return err;
		op = bytes[pos++];
		if (op == 0x38 || op == 0x3a) {
			err = need(pos + 1, avail);
			if (err)
				return err;
			pos++;
			attr = op == 0x38 ? F_MODRM : F_MODRM | IMM_B;
		} else {
			attr = two_byte[op];
			/* SSE4a EXTRQ/INSERTQ xmm, imm8, imm8 (APM vol. 4). */
			if (op == 0x78 && (pf.opsize || pf.repne))
				extra_imm = 2;
		}
	} else {
		err = vex_prefix(bytes, avail, &pos, op, mode, &pf, &attr,
				 &extra_imm);
		if (err < 0)
			return err;
		if (err == 0)
			attr = one_byte[op];
	}

	if ((attr & F_UD) || (long64 && (attr & F_NO64)))
		return -X86_INSN_INVALID;

	if (attr & F_MODRM) {
		uint8_t modrm;

		err = need(pos + 1, avail);
		if (err)
			return err;
		modrm = bytes[pos++];
		if (!(attr & F_REGONLY)) {
			err = modrm_operand(bytes, avail, &pos, modrm, asz);
			if (err)
				return err;
		}
		if ((attr & F_GRP3) && ((modrm >> 3) & 7) > 1)
			attr &= (uint8_t)~IMM_MASK;
	}

	pos += imm_size(attr & IMM_MASK, osz, asz) + extra_imm;
	err = need(pos, avail);
	return err ? err : (int)pos;
}
