/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded byte readers and writers. Errors are sticky: once a read or write
 * would cross the end, every later call is a no-op returning zeros, and
 * buf_reader_ok()/buf_writer_ok() report the failure once at the end.
 */
#ifndef PARSEC_BUF_H
#define PARSEC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf_reader {
	const uint8_t *data;
	size_t len;
	size_t off;
	int failed;
};

struct buf_writer {
	uint8_t *data;
	size_t cap;
	size_t off;
	int failed;
};

/* The little-endian u32 at p, and v stored there: for fixed layouts read or written whole. */
uint32_t buf_le32(const uint8_t *p);
void buf_set_le32(uint8_t *p, uint32_t v);

void buf_reader_init(struct buf_reader *rd, const void *data, size_t len);
uint8_t buf_get_u8(struct buf_reader *rd);
uint16_t buf_get_u16le(struct buf_reader *rd);
uint32_t buf_get_u32le(struct buf_reader *rd);
uint64_t buf_get_u64le(struct buf_reader *rd);
/* Points into the reader's data; NULL (and failure) if fewer than len bytes remain. */
const uint8_t *buf_get_bytes(struct buf_reader *rd, size_t len);
/* A u32 length then that many bytes, capped by max_len. */
const uint8_t *buf_get_blob(struct buf_reader *rd, size_t max_len, size_t *out_len);
/* A blob holding a string without NUL bytes, copied NUL-terminated into out[outsz]. */
int buf_get_str(struct buf_reader *rd, char *out, size_t outsz);
size_t buf_remaining(const struct buf_reader *rd);
int buf_reader_ok(const struct buf_reader *rd);
/* ok and every byte consumed: the mandatory end-of-message check. */
int buf_reader_done(const struct buf_reader *rd);

void buf_writer_init(struct buf_writer *wr, void *data, size_t cap);
void buf_put_u8(struct buf_writer *wr, uint8_t v);
void buf_put_u16le(struct buf_writer *wr, uint16_t v);
void buf_put_u32le(struct buf_writer *wr, uint32_t v);
void buf_put_u64le(struct buf_writer *wr, uint64_t v);
void buf_put_bytes(struct buf_writer *wr, const void *data, size_t len);
void buf_put_blob(struct buf_writer *wr, const void *data, size_t len);
void buf_put_str(struct buf_writer *wr, const char *s);
int buf_writer_ok(const struct buf_writer *wr);

/*
 * A payload laid out once, as a table of the fields of a C struct in wire
 * order: buf_put_fields() writes them, buf_get_fields() reads them back
 * (sticky failure as above, no end check) and buf_fields_len() gives the
 * encoded size, so the encoder and the decoder of a message cannot disagree.
 */
enum buf_field_kind {
	BUF_UINT,   /* an unsigned integer of size bytes (1, 2, 4, 8), little-endian */
	BUF_STR,    /* char[size]: a blob without NUL bytes, NUL-terminated in the struct */
	BUF_COPY,   /* uint8_t[size], its size_t length at aux: a blob copied in (secrets) */
	BUF_REF,    /* const uint8_t *, its size_t length at aux: a blob of at most size
		       bytes, pointing into the payload once read */
	BUF_STRS,   /* char[count][size], its uint32_t count at aux: the count (at most
		       count), then each string */
};

struct buf_field {
	enum buf_field_kind kind;
	size_t off;   /* of the field in the struct */
	size_t size;
	size_t aux;
	size_t count;
};

#define BUF_MEMBER_SIZE(type, member) sizeof(((type *)0)->member)
/* An integer field of width bytes; a struct member of another size does not compile. */
#define BUF_F_UINT(type, f, width) { BUF_UINT, offsetof(type, f), \
	sizeof(char[BUF_MEMBER_SIZE(type, f) == (width) ? (width) : -1]), 0, 0 }
#define BUF_F_U8(type, f) BUF_F_UINT(type, f, 1)
#define BUF_F_U16(type, f) BUF_F_UINT(type, f, 2)
#define BUF_F_U32(type, f) BUF_F_UINT(type, f, 4)
#define BUF_F_U64(type, f) BUF_F_UINT(type, f, 8)
#define BUF_F_STR(type, f) { BUF_STR, offsetof(type, f), BUF_MEMBER_SIZE(type, f), 0, 0 }
#define BUF_F_COPY(type, f, len) \
	{ BUF_COPY, offsetof(type, f), BUF_MEMBER_SIZE(type, f), offsetof(type, len), 0 }
#define BUF_F_REF(type, ptr, len, max) { BUF_REF, offsetof(type, ptr), (max), offsetof(type, len), 0 }
#define BUF_F_STRS(type, f, n) { BUF_STRS, offsetof(type, f), BUF_MEMBER_SIZE(type, f[0]), \
	offsetof(type, n), BUF_MEMBER_SIZE(type, f) / BUF_MEMBER_SIZE(type, f[0]) }
/* A table and its length, as the functions below take them. */
#define BUF_FIELDS(table) (table), (sizeof(table) / sizeof((table)[0]))

void buf_put_fields(struct buf_writer *wr, const void *s, const struct buf_field *fields,
    size_t n);
void buf_get_fields(struct buf_reader *rd, void *s, const struct buf_field *fields, size_t n);
size_t buf_fields_len(const void *s, const struct buf_field *fields, size_t n);

#endif
