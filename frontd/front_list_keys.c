/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ListKeys answers, written key by key. nanopb sizes a submessage by encoding
 * it once before encoding it again, so through the generic encoder each of the
 * levels nesting a key's policy and algorithm doubled the work: with 10,000
 * keys, 75% of frontd's time in a ListKeys went to walking field descriptors.
 * Here a key's attributes are encoded once (and reused while keys share them)
 * and the KeyInfo around them, and the Result (only the repeated field 1), are
 * written by hand. The bytes are nanopb's own: check_front compares the two.
 */
#include <stdlib.h>
#include <string.h>

#include <pb_encode.h>

#include "buf.h"
#include "frontd.h"
#include "psa_codec.h"

#include "list_keys.pb.h"
#include "psa_key_attributes.pb.h"

/* Protobuf's wire types: varint (0) and length-delimited (2). */
#define PB_TAG(field, type) ((uint8_t)((field) << 3 | (type)))

struct lk_out {
	uint8_t *buf;
	size_t len, cap;
};

static int
lk_reserve(struct lk_out *o, size_t more)
{
	uint8_t *p;
	size_t cap = o->cap ? o->cap : 4096;

	if (more > SIZE_MAX / 2 - o->len)
		return -1;
	if (o->len + more <= o->cap)
		return 0;
	while (cap < o->len + more)
		cap *= 2;
	if ((p = realloc(o->buf, cap)) == NULL)
		return -1;
	o->buf = p;
	o->cap = cap;
	return 0;
}

static size_t
lk_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Room for it must have been reserved. */
static void
lk_varint(struct lk_out *o, uint64_t v)
{
	while (v >= 0x80) {
		o->buf[o->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	o->buf[o->len++] = (uint8_t)v;
}

static void
lk_bytes(struct lk_out *o, uint8_t tag, const void *p, size_t n)
{
	o->buf[o->len++] = tag;
	lk_varint(o, n);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* A key's KeyAttributes message, encoded by nanopb into buf. */
static int
lk_attrs(const struct op_key_attrs *a, uint8_t *buf, size_t cap, size_t *len)
{
	psa_key_attributes_KeyAttributes pb = psa_key_attributes_KeyAttributes_init_zero;
	pb_ostream_t out = pb_ostream_from_buffer(buf, cap);
	bool ok;

	if (pc_key_attrs_to_pb(a, &pb) == -1)
		return -1;
	ok = pb_encode(&out, psa_key_attributes_KeyAttributes_fields, &pb);
	pb_release(psa_key_attributes_KeyAttributes_fields, &pb);
	*len = out.bytes_written;
	return ok ? 0 : -1;
}

/* One KeyInfo as Result's field 1: provider_id (1), name (2), attributes (3). */
static int
lk_key(struct lk_out *o, const struct op_key_info *k, const uint8_t *attrs, size_t attrs_len)
{
	size_t name_len = strlen(k->name), info_len = 0;

	if (k->provider_id != 0)
		info_len += 1 + lk_varint_len(k->provider_id);
	if (name_len != 0)
		info_len += 1 + lk_varint_len(name_len) + name_len;
	info_len += 1 + lk_varint_len(attrs_len) + attrs_len;
	if (lk_reserve(o, 1 + lk_varint_len(info_len) + info_len) == -1)
		return -1;
	o->buf[o->len++] = PB_TAG(list_keys_Result_keys_tag, PB_WT_STRING);
	lk_varint(o, info_len);
	if (k->provider_id != 0) {
		o->buf[o->len++] = PB_TAG(list_keys_KeyInfo_provider_id_tag, PB_WT_VARINT);
		lk_varint(o, k->provider_id);
	}
	if (name_len != 0)
		lk_bytes(o, PB_TAG(list_keys_KeyInfo_name_tag, PB_WT_STRING), k->name, name_len);
	lk_bytes(o, PB_TAG(list_keys_KeyInfo_attributes_tag, PB_WT_STRING), attrs, attrs_len);
	return 0;
}

int
front_encode_list_keys(const struct op_result *res, uint8_t **body, size_t *len)
{
	struct lk_out o = { NULL, 0, 0 };
	struct op_key_attrs last = { 0, 0, 0, 0 };
	struct op_key_info k;
	struct buf_reader rd;
	uint8_t attrs[psa_key_attributes_KeyAttributes_size];
	size_t attrs_len = 0;
	uint32_t i;

	buf_reader_init(&rd, res->list.ptr, res->list.len);
	for (i = 0; i < res->list_count; i++) {
		if (op_list_get_key(&rd, &k) == -1)
			goto fail;
		if ((i == 0 || memcmp(&k.attrs, &last, sizeof(last)) != 0) &&
		    lk_attrs(&k.attrs, attrs, sizeof(attrs), &attrs_len) == -1)
			goto fail;
		last = k.attrs;
		if (lk_key(&o, &k, attrs, attrs_len) == -1)
			goto fail;
	}
	if (!buf_reader_done(&rd) || (o.buf == NULL && (o.buf = malloc(1)) == NULL))
		goto fail;
	*body = o.buf;
	*len = o.len;
	return 0;
fail:
	free(o.buf);
	return -1;
}
