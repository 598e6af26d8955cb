/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash suspend and resume for the software provider: a running mbedtls hash
 * to the PSA Crypto API's hash suspend state and back. Mbed TLS 2.28 has no
 * psa_hash_suspend of its own, but its hash contexts' fields are public: the
 * chaining words, the byte count and the partial block are the state.
 */
#include <string.h>

#include <psa/crypto.h>

#include "prov_mbed.h"

/* The API's widths per algorithm, in bytes (its "hash suspend state field sizes"). */
struct hsusp_fmt {
	psa_algorithm_t alg;
	uint8_t len_field;  /* the input-length field */
	uint8_t words;      /* chaining words in the hash-state field */
	uint8_t word_bytes; /* 4 or 8 */
	uint8_t big_endian; /* how the words are written */
	uint8_t block;      /* PSA_HASH_BLOCK_LENGTH */
	uint8_t bit_count;  /* pads with a bit count: bytes < 2^(8 * len_field - 3) */
};

static const struct hsusp_fmt hsusp_fmts[] = {
	{ PSA_ALG_MD2, 1, 64, 1, 0, 16, 0 },
	{ PSA_ALG_MD4, 8, 4, 4, 0, 64, 0 },
	{ PSA_ALG_MD5, 8, 4, 4, 0, 64, 0 },
	{ PSA_ALG_RIPEMD160, 8, 5, 4, 0, 64, 0 },
	{ PSA_ALG_SHA_1, 8, 5, 4, 1, 64, 1 },
	{ PSA_ALG_SHA_224, 8, 8, 4, 1, 64, 1 },
	{ PSA_ALG_SHA_256, 8, 8, 4, 1, 64, 1 },
	{ PSA_ALG_SHA_384, 16, 8, 8, 1, 128, 1 },
	{ PSA_ALG_SHA_512, 16, 8, 8, 1, 128, 1 },
};

/* Where a running mbedtls hash keeps its state. */
struct hsusp_view {
	uint32_t *total32, *state32; /* MD4, MD5, RIPEMD-160, SHA-1, SHA-224/256 */
	uint64_t *total64, *state64; /* SHA-384/512 */
	unsigned char *md2_cksum, *md2_state; /* MD2: 16 and 48 bytes */
	unsigned char *buffer;
	size_t *md2_left;
};

static const struct hsusp_fmt *
hsusp_fmt(psa_algorithm_t alg)
{
	size_t i;

	for (i = 0; i < sizeof(hsusp_fmts) / sizeof(hsusp_fmts[0]); i++)
		if (hsusp_fmts[i].alg == alg)
			return &hsusp_fmts[i];
	return NULL;
}

/* The contexts of 32-bit words share their fields' names. */
#define HSUSP_VIEW32(v, ctx) \
	((v)->total32 = (ctx).total, (v)->state32 = (ctx).state, (v)->buffer = (ctx).buffer)

/* The fields of h's context: 0, or -1 if h is no running mbedtls hash of alg. */
static int
hsusp_view(psa_hash_operation_t *h, psa_algorithm_t alg, struct hsusp_view *v)
{
	mbedtls_psa_hash_operation_t *c = &h->ctx.mbedtls_ctx;

	memset(v, 0, sizeof(*v));
	if (h->id == 0 || c->alg != alg)
		return -1;
	switch (alg) {
	case PSA_ALG_MD2:
		_Static_assert(sizeof(c->ctx.md2.cksum) == 16 && sizeof(c->ctx.md2.state) == 48,
		    "MD2's state field: 16 bytes of checksum, 48 of digest");
		v->md2_cksum = c->ctx.md2.cksum;
		v->md2_state = c->ctx.md2.state;
		v->buffer = c->ctx.md2.buffer;
		v->md2_left = &c->ctx.md2.left;
		return 0;
	case PSA_ALG_MD4:
		HSUSP_VIEW32(v, c->ctx.md4);
		return 0;
	case PSA_ALG_MD5:
		HSUSP_VIEW32(v, c->ctx.md5);
		return 0;
	case PSA_ALG_RIPEMD160:
		HSUSP_VIEW32(v, c->ctx.ripemd160);
		return 0;
	case PSA_ALG_SHA_1:
		HSUSP_VIEW32(v, c->ctx.sha1);
		return 0;
	case PSA_ALG_SHA_224:
	case PSA_ALG_SHA_256:
		HSUSP_VIEW32(v, c->ctx.sha256);
		return 0;
	case PSA_ALG_SHA_384:
	case PSA_ALG_SHA_512:
		v->total64 = c->ctx.sha512.total, v->state64 = c->ctx.sha512.state;
		v->buffer = c->ctx.sha512.buffer;
		return 0;
	}
	return -1;
}

static void
hsusp_put(uint8_t *p, uint64_t v, size_t n, int big_endian)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[big_endian ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
hsusp_get(const uint8_t *p, size_t n, int big_endian)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[big_endian ? n - 1 - i : i] << (8 * i);
	return v;
}

/* The bytes of the input-length field below the top 64 bits. */
static size_t
hsusp_low_bytes(const struct hsusp_fmt *f)
{
	return f->len_field < 8 ? f->len_field : 8;
}

/* The input length so far: hi:lo (hi only for SHA-384/512's 128-bit count). */
static void
hsusp_total(const struct hsusp_view *v, uint64_t *hi, uint64_t *lo)
{
	*hi = v->total64 != NULL ? v->total64[1] : 0;
	if (v->total64 != NULL)
		*lo = v->total64[0];
	else if (v->total32 != NULL)
		*lo = (uint64_t)v->total32[1] << 32 | v->total32[0];
	else
		*lo = *v->md2_left;
}

psa_status_t
prov_mbed_hash_suspend(psa_hash_operation_t *h, uint8_t *out, size_t room, size_t *len)
{
	const struct hsusp_fmt *f;
	struct hsusp_view v;
	uint64_t hi, lo;
	size_t n, i, left;
	uint8_t *p = out;

	*len = 0;
	if (h->id == 0)
		return PSA_ERROR_BAD_STATE;
	if ((f = hsusp_fmt(h->ctx.mbedtls_ctx.alg)) == NULL || hsusp_view(h, f->alg, &v) == -1)
		return PSA_ERROR_NOT_SUPPORTED;
	hsusp_total(&v, &hi, &lo);
	left = (size_t)(lo % f->block);
	n = 4 + f->len_field + (size_t)f->words * f->word_bytes + left;
	if (n > room)
		return PSA_ERROR_BUFFER_TOO_SMALL;
	hsusp_put(p, f->alg, 4, 1);
	hsusp_put(p + 4, hi, f->len_field - hsusp_low_bytes(f), 1);
	hsusp_put(p + 4 + f->len_field - hsusp_low_bytes(f), lo, hsusp_low_bytes(f), 1);
	p += 4 + f->len_field;
	for (i = 0; i < f->words; i++, p += f->word_bytes) {
		if (v.md2_cksum != NULL)
			*p = i < 16 ? v.md2_cksum[i] : v.md2_state[i - 16];
		else
			hsusp_put(p, v.state64 != NULL ? v.state64[i] : v.state32[i], f->word_bytes,
			    f->big_endian);
	}
	memcpy(p, v.buffer, left);
	*len = n;
	return PSA_SUCCESS;
}

/* A state's fields checked against the API's format: its input length, or -1. */
static int
hsusp_parse(const struct hsusp_fmt *f, const uint8_t *in, size_t in_len, uint64_t *hi,
    uint64_t *lo)
{
	const uint8_t *p = in + 4;
	size_t fixed = 4 + f->len_field + (size_t)f->words * f->word_bytes;

	if (in_len < fixed)
		return -1;
	*hi = hsusp_get(p, f->len_field - hsusp_low_bytes(f), 1);
	*lo = hsusp_get(p + f->len_field - hsusp_low_bytes(f), hsusp_low_bytes(f), 1);
	/* MD2's length is of its partial block alone: under one block. */
	if (f->len_field == 1 && *lo >= f->block)
		return -1;
	/* A count of bits the padding cannot hold is no state this algorithm reaches. */
	if (f->bit_count && (f->len_field == 16 ? *hi : *lo) >> 61 != 0)
		return -1;
	return in_len - fixed == *lo % f->block ? 0 : -1;
}

psa_status_t
prov_mbed_hash_resume(psa_hash_operation_t *h, const uint8_t *in, size_t in_len)
{
	const struct hsusp_fmt *f;
	struct hsusp_view v;
	psa_algorithm_t alg;
	uint64_t hi, lo;
	const uint8_t *p;
	psa_status_t st;
	size_t i;

	if (in_len < 4)
		return PSA_ERROR_INVALID_ARGUMENT;
	alg = (psa_algorithm_t)hsusp_get(in, 4, 1);
	if (!PSA_ALG_IS_HASH(alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	/* A hash the API gives no suspend format for (SHA-3), or one mbedtls lacks. */
	if ((f = hsusp_fmt(alg)) == NULL)
		return PSA_ERROR_NOT_SUPPORTED;
	if (hsusp_parse(f, in, in_len, &hi, &lo) == -1)
		return PSA_ERROR_INVALID_ARGUMENT;
	if ((st = psa_hash_setup(h, alg)) != PSA_SUCCESS)
		return st;
	if (hsusp_view(h, alg, &v) == -1) {
		psa_hash_abort(h);
		return PSA_ERROR_NOT_SUPPORTED;
	}
	p = in + 4 + f->len_field;
	for (i = 0; i < f->words; i++, p += f->word_bytes) {
		if (v.md2_cksum != NULL)
			*(i < 16 ? &v.md2_cksum[i] : &v.md2_state[i - 16]) = *p;
		else if (v.state64 != NULL)
			v.state64[i] = hsusp_get(p, 8, 1);
		else
			v.state32[i] = (uint32_t)hsusp_get(p, 4, f->big_endian);
	}
	memcpy(v.buffer, p, (size_t)(lo % f->block));
	if (v.total64 != NULL)
		v.total64[0] = lo, v.total64[1] = hi;
	else if (v.total32 != NULL)
		v.total32[0] = (uint32_t)lo, v.total32[1] = (uint32_t)(lo >> 32);
	else
		*v.md2_left = (size_t)lo;
	return PSA_SUCCESS;
}
