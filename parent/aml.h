/*
 * A small AML emitter for the tables the parent builds for its children
 * (parent/acpi_tables.c): the encodings of ACPI 6.3 §20.2 (AML grammar)
 * and the resource descriptors of §6.4, enough to write ASL such as
 *
 *   Scope (\_SB) { Device (COM1) { Name (_HID, EisaId ("PNP0501"))
 *       Name (_CRS, ResourceTemplate () { IO (...) IRQNoFlags () {4} }) } }
 *
 * as bytes.  Objects with a PkgLength are written open-then-close:
 *
 *   size_t dev = aml_device_open(&a, "COM1");
 *   ...the device's objects...
 *   aml_close(&a, dev);
 *
 * A ResourceTemplate is a second `struct aml` over a small array, filled
 * with aml_res_* and handed to aml_buffer().
 *
 * Errors latch: a write that would pass `cap`, or a malformed name, EISA ID
 * or string, sets `failed` and writes nothing of itself (what came before,
 * maybe part of an object, stays); every later call on that stream does
 * nothing.  Check `failed` once at the end.
 *
 * Pure C, no allocation; shared with the host unit tests.
 */
#ifndef KEEL_PARENT_AML_H
#define KEEL_PARENT_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opcodes and prefixes (§20.2). */
#define AML_ZERO          0x00
#define AML_ONE           0x01
#define AML_NAME          0x08
#define AML_BYTE_PREFIX   0x0a
#define AML_WORD_PREFIX   0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE         0x10
#define AML_BUFFER        0x11
#define AML_PACKAGE       0x12
#define AML_DUAL_NAME     0x2e
#define AML_MULTI_NAME    0x2f
#define AML_EXT_PREFIX    0x5b
#define AML_EXT_DEVICE    0x82 /* after AML_EXT_PREFIX */
#define AML_ROOT_CHAR     '\\'

/* The largest PkgLength (§20.2.4: 28 bits). */
#define AML_PKG_LENGTH_MAX 0x0fffffffu

/* Small resource item tags (§6.4.2). */
#define AML_RES_IRQ_NO_FLAGS 0x22 /* IRQ descriptor, 2 bytes: the IRQ mask (§6.4.2.1) */
#define AML_RES_IO           0x47 /* I/O port descriptor, 7 bytes (§6.4.2.5) */
#define AML_RES_IO_DECODE16  0x01
#define AML_RES_END_TAG      0x79 /* end tag, 1 byte: checksum (§6.4.2.9) */

/* AML written into dst[0, cap); len bytes so far. */
struct aml {
	uint8_t *dst;
	size_t cap;
	size_t len;
	bool failed;
};

void aml_init(struct aml *a, void *dst, size_t cap);

void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/*
 * NameString (§20.2.2) from text such as "\\_SB.COM1", "_S5" or "^PCI0":
 * optional '\' or '^' prefixes, then one or more dot-separated segments of
 * 1 to 4 characters from A-Z, 0-9 and '_' (not starting with a digit),
 * each padded with '_' to a 4-byte NameSeg.  Two segments are written with
 * DualNamePrefix, more with MultiNamePrefix.
 */
void aml_name(struct aml *a, const char *name);

/* An integer in its shortest encoding (§20.2.3): ZeroOp, OneOp, or a
 * Byte/Word/DWord/QWord prefix and the value, little-endian. */
void aml_integer(struct aml *a, uint64_t value);

/* A String (§20.2.3): printable ASCII, NUL-terminated. */
void aml_string(struct aml *a, const char *s);

/*
 * The ASL EisaId ("AAA####") macro (§19.6): three letters A-Z and four
 * upper-case hex digits compressed to a DWord (letters in 5 bits each,
 * letter - 0x40, in bits 30:16, the digits in bits 15:0, the result stored
 * most significant byte first), written as a DWordPrefix integer.
 */
void aml_eisaid(struct aml *a, const char *id);
/* The compressed value alone, as it sits in memory read little-endian;
 * 0 for a malformed id. */
uint32_t aml_eisaid_value(const char *id);

/*
 * PkgLength (§20.2.4): aml_open reserves it and returns where it goes;
 * aml_close writes the length of everything from there on, its own bytes
 * included, in the shortest of the 1- to 4-byte forms (moving the body up
 * for the longer ones).  The *_open helpers write the opcode, call
 * aml_open and write what comes before the body; each pairs with one
 * aml_close, innermost first.
 */
size_t aml_open(struct aml *a);
void aml_close(struct aml *a, size_t at);

/* Scope (name) {...} */
size_t aml_scope_open(struct aml *a, const char *name);
/* Device (name) {...} */
size_t aml_device_open(struct aml *a, const char *name);
/* Package (count) {...}: the caller writes `count` elements. */
size_t aml_package_open(struct aml *a, uint8_t count);

/* Name (name, ...): NameOp and the name; the caller writes the object. */
void aml_name_op(struct aml *a, const char *name);

/* Buffer (n) {bytes}, complete. */
void aml_buffer(struct aml *a, const void *bytes, size_t n);

/* Resource descriptors for a ResourceTemplate, in order, ending with
 * aml_res_end.  IO (Decode16, base, base, 1, len): `len` fixed ports. */
void aml_res_io_fixed(struct aml *r, uint16_t base, uint8_t len);
/* IRQNoFlags () {irq}: ISA IRQ 0..15, edge-triggered, active high, exclusive. */
void aml_res_irq_no_flags(struct aml *r, uint8_t irq);
/* The end tag, checksum 0 ("treat as valid"). */
void aml_res_end(struct aml *r);

#endif
