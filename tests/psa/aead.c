/* aead.c: the AEAD family, one-shot (mbedtls 2.28 has no multipart AEAD: aead_mp.c). */
#include <stdio.h>
#include <string.h>

#include "aead_kats.h"

#define AEAD_USAGE	(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT)

static uint8_t	 aead_msg[300];

static void
aead_kat(size_t k)
{
	static uint8_t nonce[16], ad[64], pt[256], ct[TP_BUF], out[TP_BUF];
	size_t nlen, adlen, ptlen, ctlen = 0, outlen = 0;
	psa_key_id_t id;
	psa_status_t st;
	char name[96];

	tp_case(aead_kats[k].name);
	nlen = tp_unhex(aead_kats[k].nonce, nonce, sizeof(nonce));
	adlen = tp_unhex(aead_kats[k].ad, ad, sizeof(ad));
	ptlen = tp_unhex(aead_kats[k].pt, pt, sizeof(pt));
	id = tp_import("psa_import_key", aead_kats[k].type, AEAD_USAGE, aead_kats[k].alg,
	    aead_kats[k].key);
	st = psa_aead_encrypt(id, aead_kats[k].alg, nonce, nlen, ad, adlen, pt, ptlen, ct,
	    sizeof(ct), &ctlen);
	tp_hex("psa_aead_encrypt", st, ct, ctlen);
	snprintf(name, sizeof(name), "%s-encrypt", aead_kats[k].name);
	tp_kat(name, st, ct, ctlen, aead_kats[k].ct);
	ctlen = tp_unhex(aead_kats[k].ct, ct, sizeof(ct));
	st = psa_aead_decrypt(id, aead_kats[k].alg, nonce, nlen, ad, adlen, ct, ctlen, out,
	    sizeof(out), &outlen);
	tp_hex("psa_aead_decrypt", st, out, outlen);
	snprintf(name, sizeof(name), "%s-decrypt", aead_kats[k].name);
	tp_kat(name, st, out, outlen, aead_kats[k].pt);
	ct[ctlen - 1] ^= 1;
	tp_st("psa_aead_decrypt bad-tag", psa_aead_decrypt(id, aead_kats[k].alg, nonce, nlen, ad,
	    adlen, ct, ctlen, out, sizeof(out), &outlen));
	ct[ctlen - 1] ^= 1;
	if (adlen > 0)
		tp_st("psa_aead_decrypt other-ad", psa_aead_decrypt(id, aead_kats[k].alg, nonce,
		    nlen, ad, adlen - 1, ct, ctlen, out, sizeof(out), &outlen));
	tp_st("psa_aead_decrypt short-buffer", psa_aead_decrypt(id, aead_kats[k].alg, nonce,
	    nlen, ad, adlen, ct, ctlen, out, ptlen - 1, &outlen));
	tp_st("psa_aead_encrypt short-buffer", psa_aead_encrypt(id, aead_kats[k].alg, nonce,
	    nlen, ad, adlen, pt, ptlen, out, ctlen - 1, &outlen));
	tp_destroy(id);
}

/* Several lengths of plaintext and additional data with a fixed nonce. */
static void
aead_lengths(const char *name, psa_key_type_t type, const char *key, psa_algorithm_t alg,
    size_t nlen)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 64, 255 };
	static uint8_t ct[TP_BUF], out[TP_BUF];
	size_t i, ctlen = 0, outlen = 0;
	psa_key_id_t id;
	psa_status_t st;
	char call[64];

	tp_case(name);
	id = tp_import("psa_import_key", type, AEAD_USAGE, alg, key);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		st = psa_aead_encrypt(id, alg, aead_msg + 7, nlen, aead_msg + 100, lens[i] / 2,
		    aead_msg, lens[i], ct, sizeof(ct), &ctlen);
		snprintf(call, sizeof(call), "psa_aead_encrypt %zu", lens[i]);
		tp_hex(call, st, ct, ctlen);
		if (st != PSA_SUCCESS)
			continue;
		st = psa_aead_decrypt(id, alg, aead_msg + 7, nlen, aead_msg + 100, lens[i] / 2,
		    ct, ctlen, out, sizeof(out), &outlen);
		snprintf(call, sizeof(call), "psa_aead_decrypt %zu", lens[i]);
		tp_hex(call, st, out, outlen);
	}
	tp_st("psa_aead_encrypt nonce-short", psa_aead_encrypt(id, alg, aead_msg, 6, NULL, 0,
	    aead_msg, 16, ct, sizeof(ct), &ctlen));
	tp_st("psa_aead_decrypt shorter-than-tag", psa_aead_decrypt(id, alg, aead_msg + 7, nlen,
	    NULL, 0, ct, 3, out, sizeof(out), &outlen));
	tp_destroy(id);
}

static void
aead_errors(void)
{
	const char *key = "000102030405060708090a0b0c0d0e0f";
	static uint8_t out[TP_BUF];
	size_t len = 0;
	psa_key_id_t id;

	tp_case("aead errors");
	id = tp_import("psa_import_key encrypt-only", PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_GCM, key);
	tp_want("psa_aead_decrypt not-permitted", psa_aead_decrypt(id, PSA_ALG_GCM, aead_msg, 12,
	    NULL, 0, aead_msg, 32, out, sizeof(out), &len), PSA_ERROR_NOT_PERMITTED);
	tp_want("psa_aead_encrypt other-alg", psa_aead_encrypt(id, PSA_ALG_CCM, aead_msg, 12,
	    NULL, 0, aead_msg, 32, out, sizeof(out), &len), PSA_ERROR_NOT_PERMITTED);
	tp_want("psa_aead_encrypt other-tag-length", psa_aead_encrypt(id,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 12), aead_msg, 12, NULL, 0, aead_msg,
	    32, out, sizeof(out), &len), PSA_ERROR_NOT_PERMITTED);
	tp_st("psa_aead_encrypt not-aead", psa_aead_encrypt(id, PSA_ALG_CTR, aead_msg, 12,
	    NULL, 0, aead_msg, 32, out, sizeof(out), &len));
	tp_destroy(id);
	tp_want("psa_aead_encrypt destroyed", psa_aead_encrypt(id, PSA_ALG_GCM, aead_msg, 12,
	    NULL, 0, aead_msg, 32, out, sizeof(out), &len), PSA_ERROR_INVALID_HANDLE);
	id = tp_import("psa_import_key at-least-8", PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(PSA_ALG_CCM, 8), key);
	tp_hex("psa_aead_encrypt tag-12-of-at-least-8", psa_aead_encrypt(id,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_CCM, 12), aead_msg, 12, NULL, 0, aead_msg, 32,
	    out, sizeof(out), &len), out, 44);
	tp_st("psa_aead_encrypt tag-4-of-at-least-8", psa_aead_encrypt(id,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_CCM, 4), aead_msg, 12, NULL, 0, aead_msg, 32,
	    out, sizeof(out), &len));
	tp_destroy(id);
}

/* A copy asking for at least 14: the policy both allow is the longer minimum. */
static void
aead_at_least_copy(psa_key_id_t id, psa_algorithm_t base, size_t nlen)
{
	static uint8_t ct[TP_BUF];
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t copy = 0;
	size_t ctlen = 0;
	psa_status_t st;

	psa_set_key_usage_flags(&attrs, PSA_KEY_USAGE_ENCRYPT);
	psa_set_key_algorithm(&attrs, PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(base, 14));
	if (tp_st("psa_copy_key at-least-14", psa_copy_key(id, &attrs, &copy)) != PSA_SUCCESS)
		return;
	tp_policy(copy);
	tp_st("psa_aead_encrypt copy tag-12", psa_aead_encrypt(copy,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(base, 12), aead_msg, nlen, NULL, 0, aead_msg, 40, ct,
	    sizeof(ct), &ctlen));
	st = psa_aead_encrypt(copy, PSA_ALG_AEAD_WITH_SHORTENED_TAG(base, 14), aead_msg, nlen,
	    NULL, 0, aead_msg, 40, ct, sizeof(ct), &ctlen);
	tp_hex("psa_aead_encrypt copy tag-14", st, ct, ctlen);
	tp_destroy(copy);
}

/*
 * A key whose policy is a shortest tag: tags below, at and above it, the
 * default one, the policy asked as an operation, and the policy read back.
 */
static void
aead_at_least(const char *name, psa_key_type_t type, psa_algorithm_t base, const char *key,
    size_t nlen)
{
	static const size_t tags[] = { 4, 8, 10, 12, 14, 16 };
	static uint8_t ct[TP_BUF], out[TP_BUF];
	const psa_algorithm_t policy = PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(base, 12);
	size_t i, ctlen = 0, outlen = 0;
	char call[64];
	psa_key_id_t id;
	psa_status_t st;

	tp_case(name);
	id = tp_import("psa_import_key at-least-12", type, AEAD_USAGE | PSA_KEY_USAGE_COPY, policy,
	    key);
	tp_policy(id);
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		psa_algorithm_t alg = PSA_ALG_AEAD_WITH_SHORTENED_TAG(base, tags[i]);

		snprintf(call, sizeof(call), "psa_aead_encrypt tag-%zu", tags[i]);
		st = psa_aead_encrypt(id, alg, aead_msg, nlen, aead_msg, 20, aead_msg, 40, ct,
		    sizeof(ct), &ctlen);
		tp_hex(call, st, ct, ctlen);
		snprintf(call, sizeof(call), "psa_aead_decrypt tag-%zu", tags[i]);
		if (st != PSA_SUCCESS)
			ctlen = 40 + tags[i];
		st = psa_aead_decrypt(id, alg, aead_msg, nlen, aead_msg, 20, ct, ctlen, out,
		    sizeof(out), &outlen);
		tp_hex(call, st, out, outlen);
	}
	st = psa_aead_encrypt(id, base, aead_msg, nlen, NULL, 0, aead_msg, 40, ct, sizeof(ct),
	    &ctlen);
	tp_hex("psa_aead_encrypt default-tag", st, ct, ctlen);
	tp_st("psa_aead_encrypt the-policy", psa_aead_encrypt(id, policy, aead_msg, nlen, NULL, 0,
	    aead_msg, 40, ct, sizeof(ct), &ctlen));
	aead_at_least_copy(id, base, nlen);
	tp_destroy(id);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(aead_msg); i++)
		aead_msg[i] = (uint8_t)(i * 17 % 241);
	tp_init();
	for (i = 0; i < AEAD_NKATS; i++)
		aead_kat(i);
	aead_lengths("aead aes256-gcm", PSA_KEY_TYPE_AES,
	    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", PSA_ALG_GCM, 12);
	aead_lengths("aead aes128-gcm-tag12", PSA_KEY_TYPE_AES, "2b7e151628aed2a6abf7158809cf4f3c",
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 12), 12);
	aead_lengths("aead aes192-ccm", PSA_KEY_TYPE_AES,
	    "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", PSA_ALG_CCM, 13);
	aead_lengths("aead aes128-ccm-nonce7-tag8", PSA_KEY_TYPE_AES,
	    "2b7e151628aed2a6abf7158809cf4f3c", PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_CCM, 8), 7);
	aead_lengths("aead chacha20-poly1305", PSA_KEY_TYPE_CHACHA20,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    PSA_ALG_CHACHA20_POLY1305, 12);
	aead_at_least("aead aes128-gcm at-least-12", PSA_KEY_TYPE_AES, PSA_ALG_GCM,
	    "2b7e151628aed2a6abf7158809cf4f3c", 12);
	aead_at_least("aead aes128-ccm at-least-12", PSA_KEY_TYPE_AES, PSA_ALG_CCM,
	    "2b7e151628aed2a6abf7158809cf4f3c", 13);
	aead_at_least("aead chacha20-poly1305 at-least-12", PSA_KEY_TYPE_CHACHA20,
	    PSA_ALG_CHACHA20_POLY1305,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 12);
	aead_errors();
	return tp_done();
}
