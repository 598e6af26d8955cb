/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded little-endian readers and writers with sticky errors. */
#include <string.h>

#include "buf.h"

void
buf_reader_init(struct buf_reader *rd, const void *data, size_t len)
{
	rd->data = data;
	rd->len = len;
	rd->off = 0;
	rd->failed = 0;
}

const uint8_t *
buf_get_bytes(struct buf_reader *rd, size_t len)
{
	const uint8_t *p;

	if (rd->failed || len > rd->len - rd->off) {
		rd->failed = 1;
		return NULL;
	}
	/* An empty field of an empty buffer still gets a valid pointer. */
	if (len == 0)
		return (const uint8_t *)"";
	p = rd->data + rd->off;
	rd->off += len;
	return p;
}

uint8_t
buf_get_u8(struct buf_reader *rd)
{
	const uint8_t *p = buf_get_bytes(rd, 1);

	return p ? p[0] : 0;
}

uint16_t
buf_get_u16le(struct buf_reader *rd)
{
	const uint8_t *p = buf_get_bytes(rd, 2);

	return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

uint32_t
buf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void
buf_set_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

uint32_t
buf_get_u32le(struct buf_reader *rd)
{
	const uint8_t *p = buf_get_bytes(rd, 4);

	return p ? buf_le32(p) : 0;
}

uint64_t
buf_get_u64le(struct buf_reader *rd)
{
	uint64_t lo = buf_get_u32le(rd);
	uint64_t hi = buf_get_u32le(rd);

	return lo | hi << 32;
}

const uint8_t *
buf_get_blob(struct buf_reader *rd, size_t max_len, size_t *out_len)
{
	uint32_t len = buf_get_u32le(rd);
	const uint8_t *p;

	*out_len = 0;
	if (len > max_len) {
		rd->failed = 1;
		return NULL;
	}
	p = buf_get_bytes(rd, len);
	if (p != NULL)
		*out_len = len;
	return p;
}

int
buf_get_str(struct buf_reader *rd, char *out, size_t outsz)
{
	size_t len;
	const uint8_t *p = buf_get_blob(rd, outsz - 1, &len);

	out[0] = '\0';
	if (p == NULL || memchr(p, '\0', len) != NULL) {
		rd->failed = 1;
		return -1;
	}
	if (len > 0)
		memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

size_t
buf_remaining(const struct buf_reader *rd)
{
	return rd->failed ? 0 : rd->len - rd->off;
}

int
buf_reader_ok(const struct buf_reader *rd)
{
	return !rd->failed;
}

int
buf_reader_done(const struct buf_reader *rd)
{
	return !rd->failed && rd->off == rd->len;
}

void
buf_writer_init(struct buf_writer *wr, void *data, size_t cap)
{
	wr->data = data;
	wr->cap = cap;
	wr->off = 0;
	wr->failed = 0;
}

void
buf_put_bytes(struct buf_writer *wr, const void *data, size_t len)
{
	if (wr->failed || len > wr->cap - wr->off) {
		wr->failed = 1;
		return;
	}
	if (len > 0)
		memcpy(wr->data + wr->off, data, len);
	wr->off += len;
}

void
buf_put_u8(struct buf_writer *wr, uint8_t v)
{
	buf_put_bytes(wr, &v, 1);
}

void
buf_put_u16le(struct buf_writer *wr, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	buf_put_bytes(wr, b, sizeof(b));
}

void
buf_put_u32le(struct buf_writer *wr, uint32_t v)
{
	uint8_t b[4];

	buf_set_le32(b, v);
	buf_put_bytes(wr, b, sizeof(b));
}

void
buf_put_u64le(struct buf_writer *wr, uint64_t v)
{
	buf_put_u32le(wr, (uint32_t)v);
	buf_put_u32le(wr, (uint32_t)(v >> 32));
}

void
buf_put_blob(struct buf_writer *wr, const void *data, size_t len)
{
	if (len > UINT32_MAX) {
		wr->failed = 1;
		return;
	}
	buf_put_u32le(wr, (uint32_t)len);
	buf_put_bytes(wr, data, len);
}

void
buf_put_str(struct buf_writer *wr, const char *s)
{
	buf_put_blob(wr, s, strlen(s));
}

int
buf_writer_ok(const struct buf_writer *wr)
{
	return !wr->failed;
}

/* The field f of the struct at s, as the type its kind says. */
#define BUF_AT(s, off, type) ((type *)(void *)((char *)(s) + (off)))
#define BUF_AT_CONST(s, off, type) ((const type *)(const void *)((const char *)(s) + (off)))

/* An integer of size bytes in the struct, widened, and back. */
static uint64_t
buf_load(const void *p, size_t size)
{
	if (size == 1)
		return *(const uint8_t *)p;
	if (size == 2)
		return *(const uint16_t *)p;
	return size == 4 ? *(const uint32_t *)p : *(const uint64_t *)p;
}

static void
buf_store(void *p, size_t size, uint64_t v)
{
	if (size == 1)
		*(uint8_t *)p = (uint8_t)v;
	else if (size == 2)
		*(uint16_t *)p = (uint16_t)v;
	else if (size == 4)
		*(uint32_t *)p = (uint32_t)v;
	else
		*(uint64_t *)p = v;
}

/* size (at most 8) little-endian bytes. */
static void
buf_put_uint(struct buf_writer *wr, uint64_t v, size_t size)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	buf_put_bytes(wr, b, size);
}

static uint64_t
buf_get_uint(struct buf_reader *rd, size_t size)
{
	const uint8_t *p = buf_get_bytes(rd, size);
	uint64_t v = 0;
	size_t i;

	for (i = 0; p != NULL && i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void
buf_put_fields(struct buf_writer *wr, const void *s, const struct buf_field *fields, size_t n)
{
	const struct buf_field *f;
	uint32_t i, count;

	for (f = fields; f < fields + n; f++) {
		switch (f->kind) {
		case BUF_UINT:
			buf_put_uint(wr, buf_load(BUF_AT_CONST(s, f->off, void), f->size), f->size);
			break;
		case BUF_STR:
			buf_put_str(wr, BUF_AT_CONST(s, f->off, char));
			break;
		case BUF_COPY:
			buf_put_blob(wr, BUF_AT_CONST(s, f->off, uint8_t),
			    *BUF_AT_CONST(s, f->aux, size_t));
			break;
		case BUF_REF:
			buf_put_blob(wr, *(const uint8_t *const *)BUF_AT_CONST(s, f->off, void),
			    *BUF_AT_CONST(s, f->aux, size_t));
			break;
		case BUF_STRS:
			count = *BUF_AT_CONST(s, f->aux, uint32_t);
			buf_put_u32le(wr, count);
			for (i = 0; i < count && i < f->count; i++)
				buf_put_str(wr, BUF_AT_CONST(s, f->off + i * f->size, char));
			break;
		}
	}
}

/* A blob of at most cap bytes copied into out; a longer one fails the read. */
static void
buf_get_copy(struct buf_reader *rd, uint8_t *out, size_t cap, size_t *out_len)
{
	const uint8_t *p = buf_get_blob(rd, cap, out_len);

	if (p == NULL) {
		*out_len = 0;
		return;
	}
	memcpy(out, p, *out_len);
}

void
buf_get_fields(struct buf_reader *rd, void *s, const struct buf_field *fields, size_t n)
{
	const struct buf_field *f;
	uint32_t i, *count;

	for (f = fields; f < fields + n; f++) {
		switch (f->kind) {
		case BUF_UINT:
			buf_store(BUF_AT(s, f->off, void), f->size, buf_get_uint(rd, f->size));
			break;
		case BUF_STR:
			buf_get_str(rd, BUF_AT(s, f->off, char), f->size);
			break;
		case BUF_COPY:
			buf_get_copy(rd, BUF_AT(s, f->off, uint8_t), f->size,
			    BUF_AT(s, f->aux, size_t));
			break;
		case BUF_REF:
			*BUF_AT(s, f->off, const uint8_t *) =
			    buf_get_blob(rd, f->size, BUF_AT(s, f->aux, size_t));
			break;
		case BUF_STRS:
			count = BUF_AT(s, f->aux, uint32_t);
			if ((*count = buf_get_u32le(rd)) > f->count)
				rd->failed = 1;
			for (i = 0; i < *count && !rd->failed; i++)
				buf_get_str(rd, BUF_AT(s, f->off + i * f->size, char), f->size);
			break;
		}
	}
}

size_t
buf_fields_len(const void *s, const struct buf_field *fields, size_t n)
{
	const struct buf_field *f;
	size_t len = 0;
	uint32_t i;

	for (f = fields; f < fields + n; f++) {
		if (f->kind == BUF_UINT)
			len += f->size;
		else if (f->kind == BUF_STR)
			len += 4 + strlen(BUF_AT_CONST(s, f->off, char));
		else if (f->kind == BUF_COPY || f->kind == BUF_REF)
			len += 4 + *BUF_AT_CONST(s, f->aux, size_t);
		else
			for (i = 0, len += 4; i < *BUF_AT_CONST(s, f->aux, uint32_t) &&
			    i < f->count; i++)
				len += 4 + strlen(BUF_AT_CONST(s, f->off + i * f->size, char));
	}
	return len;
}
