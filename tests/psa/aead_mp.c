/* aead_mp.c: multipart AEAD. mbedtls 2.28 declares these functions but has none, so
 * its build (TP_AEAD_ONESHOT) prints each "result" line from the one-shot functions
 * instead; the runner compares the result and kat lines of both builds, and the
 * multipart build's own status lines against the specification. */
#include <stdio.h>
#include <string.h>

#include "aead_kats.h"

#define AEAD_USAGE	(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT)

struct mp_in {
	psa_key_id_t	 id;
	psa_key_type_t	 type;
	psa_algorithm_t	 alg;
	uint8_t		 nonce[16], ad[64], in[TP_BUF];
	size_t		 nlen, adlen, inlen;
	int		 tampered; /* a decryption's verify must fail */
};

#ifdef TP_AEAD_ONESHOT
static psa_status_t
mp_run(struct mp_in *m, int encrypt, uint8_t *out, size_t *outlen)
{
	if (encrypt)
		return psa_aead_encrypt(m->id, m->alg, m->nonce, m->nlen, m->ad, m->adlen, m->in,
		    m->inlen, out, TP_BUF, outlen);
	return psa_aead_decrypt(m->id, m->alg, m->nonce, m->nlen, m->ad, m->adlen, m->in,
	    m->inlen, out, TP_BUF, outlen);
}

static void
mp_states(psa_key_id_t id)
{
	(void)id;
}
#else
/*
 * Additional data in two pieces, the text in pieces of 1, 7, 16 and the rest;
 * every output into exactly the room the API's size macro gives for it.
 */
static psa_status_t
mp_run(struct mp_in *m, int encrypt, uint8_t *out, size_t *outlen)
{
	static const size_t cuts[] = { 1, 7, 16, TP_BUF };
	psa_aead_operation_t op = PSA_AEAD_OPERATION_INIT;
	size_t at = 0, total = 0, n, got, i, textlen;
	psa_status_t st;

	st = encrypt ? psa_aead_encrypt_setup(&op, m->id, m->alg) :
	    psa_aead_decrypt_setup(&op, m->id, m->alg);
	tp_want(encrypt ? "psa_aead_encrypt_setup" : "psa_aead_decrypt_setup", st, PSA_SUCCESS);
	if (st != PSA_SUCCESS)
		return st;
	/* The tag's length from the algorithm (PSA_AEAD_TAG_LENGTH with an AES key
	 * type is 0 for ChaCha20-Poly1305). */
	textlen = encrypt ? m->inlen : m->inlen - PSA_ALG_AEAD_GET_TAG_LENGTH(m->alg);
	tp_want("psa_aead_set_lengths", psa_aead_set_lengths(&op, m->adlen, textlen),
	    PSA_SUCCESS);
	tp_want("psa_aead_set_nonce", psa_aead_set_nonce(&op, m->nonce, m->nlen), PSA_SUCCESS);
	tp_want("psa_aead_update_ad", psa_aead_update_ad(&op, m->ad, m->adlen / 2), PSA_SUCCESS);
	tp_want("psa_aead_update_ad", psa_aead_update_ad(&op, m->ad + m->adlen / 2,
	    m->adlen - m->adlen / 2), PSA_SUCCESS);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]) && at < textlen; i++) {
		n = cuts[i] < textlen - at ? cuts[i] : textlen - at;
		got = 0;
		st = psa_aead_update(&op, m->in + at, n, out + total,
		    PSA_AEAD_UPDATE_OUTPUT_SIZE(m->type, m->alg, n), &got);
		tp_want("psa_aead_update", st, PSA_SUCCESS);
		at += n;
		total += got;
	}
	got = 0;
	if (encrypt) {
		uint8_t tag[PSA_AEAD_TAG_MAX_SIZE];
		size_t taglen = 0;

		st = psa_aead_finish(&op, out + total, PSA_AEAD_FINISH_OUTPUT_SIZE(m->type, m->alg),
		    &got, tag, sizeof(tag), &taglen);
		total += got;
		memcpy(out + total, tag, taglen);
		total += taglen;
		tp_want("psa_aead_finish", st, PSA_SUCCESS);
	} else {
		st = psa_aead_verify(&op, out + total, PSA_AEAD_VERIFY_OUTPUT_SIZE(m->type, m->alg),
		    &got, m->in + textlen, m->inlen - textlen);
		total += got;
		tp_want("psa_aead_verify", st, m->tampered ? PSA_ERROR_INVALID_SIGNATURE :
		    PSA_SUCCESS);
	}
	*outlen = total;
	psa_aead_abort(&op);
	return st;
}

/* The states of the specification's multipart AEAD (PSA Crypto API 1.0.1 section 10.5). */
static void
mp_states(psa_key_id_t id)
{
	psa_aead_operation_t op = PSA_AEAD_OPERATION_INIT;
	uint8_t buf[64] = { 0 }, tag[16] = { 0 };
	size_t len = 0, taglen = 0;
	psa_status_t st;

	tp_want("psa_aead_update inactive", psa_aead_update(&op, buf, 1, buf, sizeof(buf), &len),
	    PSA_ERROR_BAD_STATE);
	tp_want("psa_aead_set_nonce inactive", psa_aead_set_nonce(&op, buf, 12),
	    PSA_ERROR_BAD_STATE);
	tp_want("psa_aead_abort inactive", psa_aead_abort(&op), PSA_SUCCESS);
	tp_want("psa_aead_encrypt_setup", psa_aead_encrypt_setup(&op, id, PSA_ALG_GCM),
	    PSA_SUCCESS);
	tp_want("psa_aead_update_ad before-nonce", psa_aead_update_ad(&op, buf, 1),
	    PSA_ERROR_BAD_STATE);
	psa_aead_abort(&op);
	tp_want("psa_aead_encrypt_setup", psa_aead_encrypt_setup(&op, id, PSA_ALG_GCM),
	    PSA_SUCCESS);
	st = psa_aead_generate_nonce(&op, buf, sizeof(buf), &len);
	tp_len("psa_aead_generate_nonce", st, len);
	tp_want("psa_aead_set_nonce after-generate", psa_aead_set_nonce(&op, buf, 12),
	    PSA_ERROR_BAD_STATE);
	psa_aead_abort(&op);
	tp_want("psa_aead_encrypt_setup", psa_aead_encrypt_setup(&op, id, PSA_ALG_GCM),
	    PSA_SUCCESS);
	tp_want("psa_aead_set_nonce", psa_aead_set_nonce(&op, buf, 12), PSA_SUCCESS);
	tp_want("psa_aead_update", psa_aead_update(&op, buf, 4, buf + 32, 32, &len), PSA_SUCCESS);
	tp_want("psa_aead_update_ad after-update", psa_aead_update_ad(&op, buf, 1),
	    PSA_ERROR_BAD_STATE);
	psa_aead_abort(&op);
	tp_want("psa_aead_encrypt_setup", psa_aead_encrypt_setup(&op, id, PSA_ALG_GCM),
	    PSA_SUCCESS);
	tp_want("psa_aead_set_nonce", psa_aead_set_nonce(&op, buf, 12), PSA_SUCCESS);
	tp_want("psa_aead_verify on-encrypt", psa_aead_verify(&op, buf, sizeof(buf), &len, tag,
	    16), PSA_ERROR_BAD_STATE);
	psa_aead_abort(&op);
	tp_want("psa_aead_encrypt_setup", psa_aead_encrypt_setup(&op, id, PSA_ALG_GCM),
	    PSA_SUCCESS);
	tp_want("psa_aead_set_nonce", psa_aead_set_nonce(&op, buf, 12), PSA_SUCCESS);
	tp_want("psa_aead_finish short-tag", psa_aead_finish(&op, buf, sizeof(buf), &len, tag,
	    15, &taglen), PSA_ERROR_BUFFER_TOO_SMALL);
	psa_aead_abort(&op);
	tp_want("psa_aead_decrypt_setup", psa_aead_decrypt_setup(&op, id, PSA_ALG_GCM),
	    PSA_SUCCESS);
	tp_want("psa_aead_set_nonce", psa_aead_set_nonce(&op, buf, 12), PSA_SUCCESS);
	tp_want("psa_aead_finish on-decrypt", psa_aead_finish(&op, buf, sizeof(buf), &len, tag,
	    16, &taglen), PSA_ERROR_BAD_STATE);
	psa_aead_abort(&op);
	tp_want("psa_aead_decrypt_setup", psa_aead_decrypt_setup(&op, id, PSA_ALG_GCM),
	    PSA_SUCCESS);
	tp_want("psa_aead_set_nonce", psa_aead_set_nonce(&op, buf, 12), PSA_SUCCESS);
	memset(tag, 0, sizeof(tag));
	tp_want("psa_aead_verify bad-tag", psa_aead_verify(&op, buf, sizeof(buf), &len, tag, 16),
	    PSA_ERROR_INVALID_SIGNATURE);
	psa_aead_abort(&op);
}
#endif

static void
mp_kat(size_t k)
{
	static struct mp_in m;
	static uint8_t out[TP_BUF];
	size_t outlen = 0;
	psa_status_t st;
	char name[96];

	tp_case(aead_kats[k].name);
	m.alg = aead_kats[k].alg;
	m.type = aead_kats[k].type;
	m.nlen = tp_unhex(aead_kats[k].nonce, m.nonce, sizeof(m.nonce));
	m.adlen = tp_unhex(aead_kats[k].ad, m.ad, sizeof(m.ad));
	m.inlen = tp_unhex(aead_kats[k].pt, m.in, sizeof(m.in));
	m.id = tp_import("psa_import_key", aead_kats[k].type, AEAD_USAGE, m.alg,
	    aead_kats[k].key);
	st = mp_run(&m, 1, out, &outlen);
	tp_hex("result encrypt", st, out, outlen);
	snprintf(name, sizeof(name), "%s-multipart-encrypt", aead_kats[k].name);
	tp_kat(name, st, out, outlen, aead_kats[k].ct);
	m.inlen = tp_unhex(aead_kats[k].ct, m.in, sizeof(m.in));
	st = mp_run(&m, 0, out, &outlen);
	tp_hex("result decrypt", st, out, outlen);
	snprintf(name, sizeof(name), "%s-multipart-decrypt", aead_kats[k].name);
	tp_kat(name, st, out, outlen, aead_kats[k].pt);
	m.in[0] ^= 1;
	m.tampered = 1;
	st = mp_run(&m, 0, out, &outlen);
	m.tampered = 0;
	tp_st("result decrypt-tampered", st);
	tp_destroy(m.id);
}

int
main(void)
{
	psa_key_id_t id;
	size_t i;

	tp_init();
	for (i = 0; i < AEAD_NKATS; i++)
		mp_kat(i);
	tp_case("aead multipart states");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_AES, AEAD_USAGE, PSA_ALG_GCM,
	    "000102030405060708090a0b0c0d0e0f");
	mp_states(id);
	tp_destroy(id);
	return tp_done();
}
