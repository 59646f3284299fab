/* The AML emitter; see aml.h for the contract.  Sections are ACPI 6.3's. */
#include "parent/aml.h"

#include <string.h>

void aml_init(struct aml *a, void *dst, size_t cap)
{
	a->dst = dst;
	a->cap = cap;
	a->len = 0;
	a->failed = false;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->failed || n > a->cap - a->len) {
		a->failed = true;
		return;
	}
	memcpy(a->dst + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

static bool aml_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool aml_name_char(char c)
{
	return aml_lead_char(c) || (c >= '0' && c <= '9');
}

/* The length of the NameSeg text at `s`, or 0 if it is not one. */
static size_t aml_seg_length(const char *s)
{
	size_t n = 0;

	if (!aml_lead_char(s[0]))
		return 0;
	while (aml_name_char(s[n]))
		n++;
	return n <= 4 && (s[n] == '.' || s[n] == '\0') ? n : 0;
}

void aml_name(struct aml *a, const char *name)
{
	unsigned segs = 1;

	if (*name == AML_ROOT_CHAR)
		aml_byte(a, (uint8_t)*name++);
	else
		while (*name == '^')
			aml_byte(a, (uint8_t)*name++);
	for (const char *c = name; *c; c++)
		segs += *c == '.';
	if (segs > 255) {
		a->failed = true;
		return;
	}
	if (segs == 2) {
		aml_byte(a, AML_DUAL_NAME);
	} else if (segs > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)segs);
	}
	for (;;) {
		char nameseg[4] = { '_', '_', '_', '_' };
		size_t n = aml_seg_length(name);

		if (n == 0) {
			a->failed = true;
			return;
		}
		memcpy(nameseg, name, n);
		aml_bytes(a, nameseg, 4);
		if (name[n] == '\0')
			return;
		name += n + 1;
	}
}

void aml_integer(struct aml *a, uint64_t value)
{
	if (value == 0) {
		aml_byte(a, AML_ZERO);
	} else if (value == 1) {
		aml_byte(a, AML_ONE);
	} else if (value <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, value, 1);
	} else if (value <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, value, 2);
	} else if (value <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, value, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, value, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	for (const char *c = s; *c; c++) {
		if (*c < 0x20 || *c > 0x7e) {
			a->failed = true;
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int aml_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint32_t aml_eisaid_value(const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7)
		return 0;
	for (unsigned i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return 0;
		v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i);
	}
	for (unsigned i = 3; i < 7; i++) {
		int d = aml_hex_digit(id[i]);

		if (d < 0)
			return 0;
		v |= (uint32_t)d << (4 * (6 - i));
	}
	return __builtin_bswap32(v);
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = aml_eisaid_value(id);

	if (v == 0) {
		a->failed = true;
		return;
	}
	aml_byte(a, AML_DWORD_PREFIX);
	aml_le(a, v, 4);
}

size_t aml_open(struct aml *a)
{
	size_t at = a->len;

	aml_byte(a, 0);
	return at;
}

void aml_close(struct aml *a, size_t at)
{
	size_t body, total = 0;
	unsigned extra;

	if (a->failed)
		return;
	body = a->len - at - 1;
	if (body + 1 <= 0x3f) {
		a->dst[at] = (uint8_t)(body + 1);
		return;
	}
	/* Lead byte: bits 7:6 the count of bytes that follow, bits 3:0 the
	 * low nibble; each following byte carries the next 8 bits. */
	for (extra = 1; extra <= 3; extra++) {
		total = body + 1 + extra;
		if (total < (size_t)1 << (4 + 8 * extra))
			break;
	}
	if (extra > 3 || extra > a->cap - a->len) {
		a->failed = true;
		return;
	}
	memmove(a->dst + at + 1 + extra, a->dst + at + 1, body);
	a->dst[at] = (uint8_t)(extra << 6 | (total & 0xf));
	for (unsigned i = 0; i < extra; i++)
		a->dst[at + 1 + i] = (uint8_t)(total >> (4 + 8 * i));
	a->len += extra;
}

size_t aml_scope_open(struct aml *a, const char *name)
{
	size_t at;

	aml_byte(a, AML_SCOPE);
	at = aml_open(a);
	aml_name(a, name);
	return at;
}

size_t aml_device_open(struct aml *a, const char *name)
{
	size_t at;

	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_EXT_DEVICE);
	at = aml_open(a);
	aml_name(a, name);
	return at;
}

size_t aml_package_open(struct aml *a, uint8_t count)
{
	size_t at;

	aml_byte(a, AML_PACKAGE);
	at = aml_open(a);
	aml_byte(a, count);
	return at;
}

void aml_name_op(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME);
	aml_name(a, name);
}

void aml_buffer(struct aml *a, const void *bytes, size_t n)
{
	size_t at;

	aml_byte(a, AML_BUFFER);
	at = aml_open(a);
	aml_integer(a, n);
	aml_bytes(a, bytes, n);
	aml_close(a, at);
}

void aml_res_io_fixed(struct aml *r, uint16_t base, uint8_t len)
{
	aml_byte(r, AML_RES_IO);
	aml_byte(r, AML_RES_IO_DECODE16);
	aml_le(r, base, 2); /* range minimum */
	aml_le(r, base, 2); /* range maximum */
	aml_byte(r, 1);     /* alignment */
	aml_byte(r, len);
}

void aml_res_irq_no_flags(struct aml *r, uint8_t irq)
{
	if (irq > 15) {
		r->failed = true;
		return;
	}
	aml_byte(r, AML_RES_IRQ_NO_FLAGS);
	aml_le(r, 1u << irq, 2);
}

void aml_res_end(struct aml *r)
{
	aml_byte(r, AML_RES_END_TAG);
	aml_byte(r, 0);
}
