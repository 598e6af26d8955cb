/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text fields of a request, checked on the wire before the body is decoded.
 * nanopb stores a string as a C string, so a key name "k\0junk" would reach
 * brokerd as key "k": every string field, at any depth, must be UTF-8 without
 * a NUL byte. Numbers and byte fields are skipped; pb_decode judges the rest.
 * The field iterator runs without a message (nanopb 0.4 allows NULL): only the
 * descriptors are read. Also a decoded name field into a key or client name.
 */
#include <stdbool.h>
#include <string.h>

#include <pb_common.h>

#include "buf.h"
#include "psa_codec.h"
#include "utf8.h"

/* Deeper than any Parsec message nests; a body nesting further is decoded
 * (and refused) by pb_decode, never walked here. */
#define NAMES_MAX_DEPTH 8

/* A base-128 varint of at most ten bytes; 0 with the reader failed otherwise. */
static uint64_t
names_varint(struct buf_reader *rd)
{
	uint64_t v = 0;
	unsigned shift;

	for (shift = 0; shift < 70 && buf_reader_ok(rd); shift += 7) {
		uint8_t b = buf_get_u8(rd);

		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return v;
	}
	(void)buf_get_bytes(rd, buf_remaining(rd) + 1); /* fail the reader */
	return 0;
}

/* 0 when a string field of DESC (or of a message inside it) is not a name. */
static int
names_walk(const pb_msgdesc_t *desc, const uint8_t *p, size_t len, int depth)
{
	struct buf_reader rd;

	buf_reader_init(&rd, p, len);
	while (buf_remaining(&rd) > 0 && buf_reader_ok(&rd)) {
		uint64_t key = names_varint(&rd), n;
		const uint8_t *field;
		pb_field_iter_t it;
		pb_type_t ltype;

		switch (key & 7) {
		case PB_WT_VARINT:
			(void)names_varint(&rd);
			continue;
		case PB_WT_64BIT:
			(void)buf_get_bytes(&rd, 8);
			continue;
		case PB_WT_32BIT:
			(void)buf_get_bytes(&rd, 4);
			continue;
		case PB_WT_STRING:
			break;
		default:
			return 1; /* not a body pb_decode accepts: it will say so */
		}
		n = names_varint(&rd);
		if (n > buf_remaining(&rd) || (field = buf_get_bytes(&rd, (size_t)n)) == NULL)
			return 1;
		if (key >> 3 > UINT32_MAX || !pb_field_iter_begin(&it, desc, NULL) ||
		    !pb_field_iter_find(&it, (uint32_t)(key >> 3)))
			continue;
		ltype = PB_LTYPE(it.type);
		if (ltype == PB_LTYPE_STRING && !utf8_name_valid(field, (size_t)n))
			return 0;
		if (PB_LTYPE_IS_SUBMSG(ltype) && it.submsg_desc != NULL && depth < NAMES_MAX_DEPTH &&
		    !names_walk(it.submsg_desc, field, (size_t)n, depth + 1))
			return 0;
	}
	return 1;
}

int
pc_names_valid(const pb_msgdesc_t *desc, const uint8_t *body, size_t len)
{
	return names_walk(desc, body, len, 0);
}

int
pc_name_get(char dst[OP_NAME_MAX], const char *field, size_t size)
{
	size_t len = strnlen(field, size);

	if (len == size || len >= OP_NAME_MAX)
		return -1;
	memcpy(dst, field, len + 1);
	return 0;
}
