/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The software provider's multipart AEAD, which mbedtls 2.28 declares but
 * does not implement: driven here on its low-level GCM, CCM and
 * ChaCha20-Poly1305 contexts, with the PSA Crypto API 1.0.1's key policy,
 * nonce, length and order rules. The key's material is read from this
 * worker's own key store (the PSA key file) into the context and wiped; it
 * never leaves the worker.
 *
 * GCM: mbedtls_gcm_starts takes the whole additional data at once, so it is
 * held until the first update (or the finish); mbedtls_gcm_update wants whole
 * blocks but the last, so an update keeps back up to 15 bytes.
 * CCM: no streaming in 2.28; prov_mbed_ccm.c streams it on the block cipher
 * (PSA makes set_lengths come first, which B0 needs).
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/chachapoly.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/gcm.h>
#include <mbedtls/platform_util.h>
#include <psa/crypto.h>

#include "buf.h"
#include "prov_mbed.h"
#include "prov_mbed_its.h"
#include "wipe.h"

/* The most additional data (GCM) or nonce (GCM) held. */
#define AEAD_HELD_MAX (256u * 1024u)
/*
 * The most one worker holds across its operations, so that many operations
 * (of many applications) cannot take its memory: PsaErrorInsufficientMemory
 * beyond.
 */
#define AEAD_HELD_WORKER_MAX (16u * 1024u * 1024u)
#define AEAD_KEY_HDR 36 /* PSA key data: magic, version, lifetime, policy, length */
#define AEAD_KEY_MAX 32

enum aead_mode { AEAD_GCM, AEAD_CCM, AEAD_CHACHAPOLY };

/* What this worker's operations hold now (their buffers' capacities). */
static size_t aead_held_total;

struct mbed_aead {
	enum aead_mode mode;
	int decrypt, nonce_set, lengths_set, started, text_seen;
	size_t tag_len, default_nonce_len;
	uint64_t ad_len, text_len, ad_given, text_given;
	struct buf_held {
		uint8_t *p;
		size_t len, cap;
	} nonce, ad, text; /* GCM: additional data, partial block */
	union {
		mbedtls_gcm_context gcm;
		struct mbed_ccm ccm;
		mbedtls_chachapoly_context cp;
	} u;
};

/* Appends to a held buffer, bounded by max: PSA_SUCCESS or NOT_SUPPORTED. */
static psa_status_t
aead_hold(struct buf_held *h, const uint8_t *in, size_t len, size_t max)
{
	uint8_t *p;
	size_t cap;

	if (len == 0)
		return PSA_SUCCESS;
	if (len > max || h->len > max - len)
		return PSA_ERROR_NOT_SUPPORTED;
	if (h->len + len > h->cap) {
		cap = h->len + len < 256 ? 256 : (h->len + len) * 2;
		if (cap > max)
			cap = max;
		if (cap - h->cap > AEAD_HELD_WORKER_MAX - aead_held_total ||
		    (p = malloc(cap)) == NULL)
			return PSA_ERROR_INSUFFICIENT_MEMORY;
		aead_held_total += cap - h->cap;
		if (h->p != NULL) {
			memcpy(p, h->p, h->len);
			wipe_free(h->p, h->cap);
		}
		h->p = p;
		h->cap = cap;
	}
	memcpy(h->p + h->len, in, len);
	h->len += len;
	return PSA_SUCCESS;
}

static void
aead_unhold(struct buf_held *h)
{
	aead_held_total -= h->cap;
	if (h->p != NULL)
		wipe_free(h->p, h->cap);
	memset(h, 0, sizeof(*h));
}

void
prov_mbed_aead_free(struct mbed_aead *a)
{
	if (a == NULL)
		return;
	if (a->mode == AEAD_GCM)
		mbedtls_gcm_free(&a->u.gcm);
	else if (a->mode == AEAD_CCM) {
		mbedtls_ccm_free(&a->u.ccm.key);
		prov_mbed_ccm_wipe(&a->u.ccm);
	}
	else
		mbedtls_chachapoly_free(&a->u.cp);
	aead_unhold(&a->nonce);
	aead_unhold(&a->ad);
	aead_unhold(&a->text);
	wipe_free(a, sizeof(*a));
}

/* Whether a key's permitted algorithm admits alg, its "at least this tag" wildcard included. */
static int
aead_alg_permits(psa_algorithm_t policy, psa_algorithm_t alg)
{
	if (policy == alg)
		return 1;
	if (!PSA_ALG_IS_AEAD(policy) || (policy & PSA_ALG_AEAD_AT_LEAST_THIS_LENGTH_FLAG) == 0)
		return 0;
	return PSA_ALG_AEAD_WITH_SHORTENED_TAG(policy, 0) ==
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(alg, 0) &&
	    PSA_ALG_AEAD_GET_TAG_LENGTH(alg) >= PSA_ALG_AEAD_GET_TAG_LENGTH(policy);
}

static psa_status_t
aead_policy(const psa_key_attributes_t *attrs, psa_algorithm_t alg, int decrypt)
{
	psa_key_usage_t need = decrypt ? PSA_KEY_USAGE_DECRYPT : PSA_KEY_USAGE_ENCRYPT;

	if ((psa_get_key_usage_flags(attrs) & need) == 0)
		return PSA_ERROR_NOT_PERMITTED;
	return aead_alg_permits(psa_get_key_algorithm(attrs), alg) ||
	    aead_alg_permits(psa_get_key_enrollment_algorithm(attrs), alg) ? PSA_SUCCESS :
	    PSA_ERROR_NOT_PERMITTED;
}

/*
 * mbedtls's own verdict on the key and algorithm (type, size, tag length):
 * its one-shot call on nothing, which fails only on what the multipart
 * operation would refuse too (a decryption's made-up tag aside).
 */
static psa_status_t
aead_probe(psa_key_id_t id, psa_algorithm_t alg, int decrypt, size_t nonce_len)
{
	uint8_t nonce[PSA_AEAD_NONCE_MAX_SIZE] = { 0 }, tag[PSA_AEAD_TAG_MAX_SIZE] = { 0 };
	uint8_t out[PSA_AEAD_TAG_MAX_SIZE];
	size_t len, tag_len = PSA_ALG_AEAD_GET_TAG_LENGTH(alg);
	psa_status_t st;

	/* A key type without a nonce length for alg, or a tag too long: mbedtls says what then. */
	if (nonce_len == 0 || nonce_len > sizeof(nonce))
		nonce_len = 12;
	if (tag_len > sizeof(tag))
		tag_len = sizeof(tag);
	if (!decrypt)
		return psa_aead_encrypt(id, alg, nonce, nonce_len, NULL, 0, NULL, 0, out,
		    sizeof(out), &len);
	st = psa_aead_decrypt(id, alg, nonce, nonce_len, NULL, 0, tag, tag_len, out, sizeof(out),
	    &len);
	return st == PSA_ERROR_INVALID_SIGNATURE ? PSA_SUCCESS : st;
}

/* The key's material from its PSA key file: as many bytes as its bits say, or an error. */
static psa_status_t
aead_material(psa_key_id_t id, const psa_key_attributes_t *attrs, uint8_t *key, size_t *len)
{
	uint8_t file[AEAD_KEY_HDR + AEAD_KEY_MAX];
	struct psa_storage_info_t info;
	size_t want = PSA_BITS_TO_BYTES(psa_get_key_bits(attrs)), got = 0;
	psa_status_t st;

	if (want == 0 || want > AEAD_KEY_MAX)
		return PSA_ERROR_NOT_SUPPORTED;
	if ((st = psa_its_get_info(id, &info)) != PSA_SUCCESS)
		return st;
	if (info.size != AEAD_KEY_HDR + want)
		return PSA_ERROR_DATA_CORRUPT;
	st = psa_its_get(id, 0, info.size, file, &got);
	if (st == PSA_SUCCESS && (got != info.size || memcmp(file, "PSA\0KEY\0", 8) != 0 ||
	    buf_le32(file + 8) != 0 || buf_le32(file + 32) != want ||
	    (uint32_t)(file[16] | file[17] << 8) != psa_get_key_type(attrs)))
		st = PSA_ERROR_DATA_CORRUPT;
	if (st == PSA_SUCCESS) {
		memcpy(key, file + AEAD_KEY_HDR, want);
		*len = want;
	}
	mbedtls_platform_zeroize(file, sizeof(file));
	return st;
}

/* The block cipher under GCM or CCM, or none (0). */
static mbedtls_cipher_id_t
aead_cipher(psa_key_type_t type)
{
	if (type == PSA_KEY_TYPE_AES)
		return MBEDTLS_CIPHER_ID_AES;
	if (type == PSA_KEY_TYPE_CAMELLIA)
		return MBEDTLS_CIPHER_ID_CAMELLIA;
	return MBEDTLS_CIPHER_ID_NONE;
}

/* The context keyed: PSA_SUCCESS, or NOT_SUPPORTED for what this file does not drive. */
static psa_status_t
aead_key_context(struct mbed_aead *a, psa_algorithm_t base, psa_key_type_t type,
    const uint8_t *key, size_t key_len)
{
	mbedtls_cipher_id_t cid = aead_cipher(type);
	unsigned int bits = (unsigned int)key_len * 8;

	if (base == PSA_ALG_CHACHA20_POLY1305 && type == PSA_KEY_TYPE_CHACHA20) {
		a->mode = AEAD_CHACHAPOLY;
		mbedtls_chachapoly_init(&a->u.cp);
		return mbedtls_chachapoly_setkey(&a->u.cp, key) == 0 ? PSA_SUCCESS :
		    PSA_ERROR_NOT_SUPPORTED;
	}
	if (base == PSA_ALG_GCM && cid != MBEDTLS_CIPHER_ID_NONE) {
		a->mode = AEAD_GCM;
		mbedtls_gcm_init(&a->u.gcm);
		return mbedtls_gcm_setkey(&a->u.gcm, cid, key, bits) == 0 ? PSA_SUCCESS :
		    PSA_ERROR_NOT_SUPPORTED;
	}
	if (base == PSA_ALG_CCM && cid != MBEDTLS_CIPHER_ID_NONE) {
		a->mode = AEAD_CCM;
		mbedtls_ccm_init(&a->u.ccm.key);
		return mbedtls_ccm_setkey(&a->u.ccm.key, cid, key, bits) == 0 ? PSA_SUCCESS :
		    PSA_ERROR_NOT_SUPPORTED;
	}
	a->mode = AEAD_CHACHAPOLY; /* nothing to free */
	mbedtls_chachapoly_init(&a->u.cp);
	return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t
prov_mbed_aead_setup(struct mbed_aead **out, psa_key_id_t id, psa_algorithm_t alg, int decrypt)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t key[AEAD_KEY_MAX];
	struct mbed_aead *a;
	size_t key_len = 0;
	psa_status_t st;

	*out = NULL;
	if (!PSA_ALG_IS_AEAD(alg) || PSA_ALG_IS_WILDCARD(alg))
		return PSA_ERROR_NOT_SUPPORTED;
	if ((st = psa_get_key_attributes(id, &attrs)) != PSA_SUCCESS)
		return st;
	if ((st = aead_policy(&attrs, alg, decrypt)) != PSA_SUCCESS ||
	    (st = aead_probe(id, alg, decrypt, PSA_AEAD_NONCE_LENGTH(psa_get_key_type(&attrs),
	    alg))) != PSA_SUCCESS ||
	    (st = aead_material(id, &attrs, key, &key_len)) != PSA_SUCCESS)
		goto done;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		st = PSA_ERROR_INSUFFICIENT_MEMORY;
		goto done;
	}
	a->decrypt = decrypt;
	a->tag_len = PSA_ALG_AEAD_GET_TAG_LENGTH(alg);
	a->default_nonce_len = PSA_AEAD_NONCE_LENGTH(psa_get_key_type(&attrs), alg);
	st = aead_key_context(a, PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(alg),
	    psa_get_key_type(&attrs), key, key_len);
	if (st != PSA_SUCCESS)
		prov_mbed_aead_free(a);
	else
		*out = a;
done:
	mbedtls_platform_zeroize(key, sizeof(key));
	psa_reset_key_attributes(&attrs);
	return st;
}

/* Whether CCM takes a nonce of n bytes with a text of text_len bytes (RFC 3610's L). */
static int
aead_ccm_fits(size_t n, uint64_t text_len)
{
	size_t l = 15 - n;

	return l >= 8 || text_len < (uint64_t)1 << (8 * l);
}

psa_status_t
prov_mbed_aead_set_lengths(struct mbed_aead *a, uint64_t ad_len, uint64_t text_len)
{
	if (a->lengths_set || a->ad_given != 0 || a->text_seen)
		return PSA_ERROR_BAD_STATE;
	if (a->mode == AEAD_CCM && a->nonce_set && !aead_ccm_fits(a->nonce.len, text_len))
		return PSA_ERROR_INVALID_ARGUMENT;
	a->lengths_set = 1;
	a->ad_len = ad_len;
	a->text_len = text_len;
	return PSA_SUCCESS;
}

/*
 * The nonce lengths each mode takes in mbedtls's one-shot psa_aead_encrypt:
 * GCM any of at least one byte (held up to AEAD_HELD_MAX, NOT_SUPPORTED beyond).
 */
static int
aead_nonce_ok(const struct mbed_aead *a, size_t n)
{
	if (a->mode == AEAD_CHACHAPOLY)
		return n == 12;
	if (a->mode == AEAD_CCM)
		return n >= 7 && n <= 13 && (!a->lengths_set || aead_ccm_fits(n, a->text_len));
	return n >= 1;
}

psa_status_t
prov_mbed_aead_nonce(struct mbed_aead *a, int generate, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t room, size_t *len)
{
	uint8_t made[PSA_AEAD_NONCE_MAX_SIZE];
	psa_status_t st;

	*len = 0;
	if (a->nonce_set || (generate && a->decrypt))
		return PSA_ERROR_BAD_STATE;
	if (generate) {
		if (room < a->default_nonce_len)
			return PSA_ERROR_BUFFER_TOO_SMALL;
		if ((st = psa_generate_random(made, a->default_nonce_len)) != PSA_SUCCESS ||
		    (st = aead_hold(&a->nonce, made, a->default_nonce_len, AEAD_HELD_MAX)) !=
		    PSA_SUCCESS)
			return st;
		memcpy(out, made, a->default_nonce_len);
		*len = a->default_nonce_len;
	} else {
		if (!aead_nonce_ok(a, in_len))
			return PSA_ERROR_INVALID_ARGUMENT;
		if ((st = aead_hold(&a->nonce, in, in_len, AEAD_HELD_MAX)) != PSA_SUCCESS)
			return st;
	}
	if (a->mode == AEAD_CHACHAPOLY && mbedtls_chachapoly_starts(&a->u.cp, a->nonce.p,
	    a->decrypt ? MBEDTLS_CHACHAPOLY_DECRYPT : MBEDTLS_CHACHAPOLY_ENCRYPT) != 0)
		return PSA_ERROR_GENERIC_ERROR;
	a->nonce_set = 1;
	return PSA_SUCCESS;
}

/* The common checks of update_ad, update and the ends; CCM's B0 made at the first. */
static psa_status_t
aead_ready(struct mbed_aead *a)
{
	if (!a->nonce_set || (a->mode == AEAD_CCM && !a->lengths_set))
		return PSA_ERROR_BAD_STATE;
	if (a->mode != AEAD_CCM || a->started)
		return PSA_SUCCESS;
	a->started = 1;
	return prov_mbed_ccm_start(&a->u.ccm, a->nonce.p, a->nonce.len, a->ad_len, a->text_len,
	    a->tag_len) == 0 ? PSA_SUCCESS : PSA_ERROR_GENERIC_ERROR;
}

psa_status_t
prov_mbed_aead_update_ad(struct mbed_aead *a, const uint8_t *in, size_t len)
{
	psa_status_t st;

	if ((st = aead_ready(a)) != PSA_SUCCESS || a->text_seen)
		return st != PSA_SUCCESS ? st : PSA_ERROR_BAD_STATE;
	if (a->lengths_set && len > a->ad_len - a->ad_given)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (a->mode == AEAD_CHACHAPOLY)
		st = mbedtls_chachapoly_update_aad(&a->u.cp, in, len) == 0 ? PSA_SUCCESS :
		    PSA_ERROR_GENERIC_ERROR;
	else if (a->mode == AEAD_CCM)
		st = prov_mbed_ccm_ad(&a->u.ccm, in, len) == 0 ? PSA_SUCCESS :
		    PSA_ERROR_GENERIC_ERROR;
	else
		st = aead_hold(&a->ad, in, len, AEAD_HELD_MAX);
	if (st == PSA_SUCCESS)
		a->ad_given += len;
	return st;
}

/* GCM's start, with all the additional data, before its first text. */
static psa_status_t
aead_gcm_start(struct mbed_aead *a)
{
	if (a->started)
		return PSA_SUCCESS;
	a->started = 1;
	return mbedtls_gcm_starts(&a->u.gcm, a->decrypt ? MBEDTLS_GCM_DECRYPT :
	    MBEDTLS_GCM_ENCRYPT, a->nonce.p, a->nonce.len, a->ad.p, a->ad.len) == 0 ?
	    PSA_SUCCESS : PSA_ERROR_GENERIC_ERROR;
}

size_t
prov_mbed_aead_update_max(size_t in_len)
{
	return in_len + 16;
}

/* GCM's update: whole blocks through mbedtls, the rest (< 16 bytes) held for later. */
static psa_status_t
aead_gcm_update(struct mbed_aead *a, const uint8_t *in, size_t in_len, uint8_t *out,
    size_t room, size_t *len)
{
	size_t n = (a->text.len + in_len) / 16 * 16, take;
	uint8_t block[16];

	if (n > room)
		return PSA_ERROR_BUFFER_TOO_SMALL;
	if (n > 0 && a->text.len > 0) {
		take = 16 - a->text.len;
		memcpy(block, a->text.p, a->text.len);
		memcpy(block + a->text.len, in, take);
		if (mbedtls_gcm_update(&a->u.gcm, 16, block, out) != 0)
			return PSA_ERROR_GENERIC_ERROR;
		mbedtls_platform_zeroize(block, sizeof(block));
		a->text.len = 0;
		in += take;
		in_len -= take;
		*len = 16;
	}
	take = in_len / 16 * 16;
	if (take > 0 && mbedtls_gcm_update(&a->u.gcm, take, in, out + *len) != 0)
		return PSA_ERROR_GENERIC_ERROR;
	*len += take;
	return aead_hold(&a->text, in + take, in_len - take, 16);
}

psa_status_t
prov_mbed_aead_update(struct mbed_aead *a, const uint8_t *in, size_t in_len, uint8_t *out,
    size_t room, size_t *len)
{
	psa_status_t st;

	*len = 0;
	if ((st = aead_ready(a)) != PSA_SUCCESS)
		return st;
	if (a->lengths_set && (a->ad_given != a->ad_len || in_len > a->text_len - a->text_given))
		return PSA_ERROR_INVALID_ARGUMENT;
	a->text_seen = 1;
	if (a->mode == AEAD_CHACHAPOLY) {
		if (in_len > room)
			return PSA_ERROR_BUFFER_TOO_SMALL;
		st = mbedtls_chachapoly_update(&a->u.cp, in_len, in, out) == 0 ? PSA_SUCCESS :
		    PSA_ERROR_GENERIC_ERROR;
		*len = st == PSA_SUCCESS ? in_len : 0;
	} else if (a->mode == AEAD_GCM) {
		if ((st = aead_gcm_start(a)) == PSA_SUCCESS)
			st = aead_gcm_update(a, in, in_len, out, room, len);
	} else if ((a->u.ccm.held + in_len) / 16 * 16 > room)
		st = PSA_ERROR_BUFFER_TOO_SMALL;
	else
		st = prov_mbed_ccm_update(&a->u.ccm, a->decrypt, in, in_len, out, len) == 0 ?
		    PSA_SUCCESS : PSA_ERROR_GENERIC_ERROR;
	if (st == PSA_SUCCESS)
		a->text_given += in_len;
	return st;
}

size_t
prov_mbed_aead_finish_max(const struct mbed_aead *a)
{
	(void)a;
	return 16;
}

/* Whether the operation may end now, with room for what it gives then (< 16 bytes). */
static psa_status_t
aead_end_ready(struct mbed_aead *a, size_t room)
{
	psa_status_t st;

	if ((st = aead_ready(a)) != PSA_SUCCESS)
		return st;
	if (a->lengths_set && (a->ad_given != a->ad_len || a->text_given != a->text_len))
		return PSA_ERROR_INVALID_ARGUMENT;
	return (a->mode == AEAD_CCM ? a->u.ccm.held : a->text.len) > room ?
	    PSA_ERROR_BUFFER_TOO_SMALL : PSA_SUCCESS;
}

/*
 * The end of either direction: the rest of the text into out[*len] and the
 * tag computed into tag (the caller compares it when decrypting).
 */
static psa_status_t
aead_end(struct mbed_aead *a, uint8_t *out, size_t room, size_t *len, uint8_t *tag)
{
	psa_status_t st;

	*len = 0;
	if ((st = aead_end_ready(a, room)) != PSA_SUCCESS)
		return st;
	if (a->mode == AEAD_CHACHAPOLY)
		return mbedtls_chachapoly_finish(&a->u.cp, tag) == 0 ? PSA_SUCCESS :
		    PSA_ERROR_GENERIC_ERROR;
	if (a->mode == AEAD_GCM) {
		if ((st = aead_gcm_start(a)) != PSA_SUCCESS)
			return st;
		if (a->text.len > 0 && mbedtls_gcm_update(&a->u.gcm, a->text.len, a->text.p,
		    out) != 0)
			return PSA_ERROR_GENERIC_ERROR;
		*len = a->text.len;
		return mbedtls_gcm_finish(&a->u.gcm, tag, a->tag_len) == 0 ? PSA_SUCCESS :
		    PSA_ERROR_GENERIC_ERROR;
	}
	return prov_mbed_ccm_finish(&a->u.ccm, a->decrypt, out, len, tag) == 0 ? PSA_SUCCESS :
	    PSA_ERROR_GENERIC_ERROR;
}

psa_status_t
prov_mbed_aead_finish(struct mbed_aead *a, uint8_t *out, size_t room, size_t *len,
    uint8_t *tag, size_t *tag_len)
{
	psa_status_t st;

	*tag_len = 0;
	if (a->decrypt)
		return PSA_ERROR_BAD_STATE;
	if ((st = aead_end(a, out, room, len, tag)) == PSA_SUCCESS)
		*tag_len = a->tag_len;
	return st;
}

psa_status_t
prov_mbed_aead_verify(struct mbed_aead *a, uint8_t *out, size_t room, size_t *len,
    const uint8_t *tag, size_t tag_len)
{
	uint8_t mine[PSA_AEAD_TAG_MAX_SIZE];
	psa_status_t st;

	*len = 0;
	if (!a->decrypt)
		return PSA_ERROR_BAD_STATE;
	st = aead_end(a, out, room, len, mine);
	if (st == PSA_SUCCESS && (tag_len != a->tag_len ||
	    mbedtls_ct_memcmp(mine, tag, a->tag_len) != 0))
		st = PSA_ERROR_INVALID_SIGNATURE;
	mbedtls_platform_zeroize(mine, sizeof(mine));
	if (st != PSA_SUCCESS && *len > 0) {
		mbedtls_platform_zeroize(out, *len);
		*len = 0;
	}
	return st;
}
