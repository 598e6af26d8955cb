/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The software provider's own streams, in-process: CCM streamed on the block
 * cipher (prov_mbed_ccm.c) against SP 800-38C C.3 and RFC 3610's first packet
 * and against mbedtls's one-shot CCM at random lengths and cuts; the PSA hash
 * suspend state (prov_mbed_hsusp.c) round-tripped at every hash and many
 * lengths against mbedtls's psa_hash_compute, with its malformed states refused.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/ccm.h>
#include <psa/crypto.h>

#include "prov_mbed.h"
#include "testlib.h"

static uint32_t rng_state = 0x2545F491u;

/* A fixed-seed xorshift: the same cases every run. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static size_t
unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2, i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
	return n;
}

static void
ccm_keyed(struct mbed_ccm *c, const uint8_t *key)
{
	memset(c, 0, sizeof(*c));
	mbedtls_ccm_init(&c->key);
	ck_assert_int_eq(mbedtls_ccm_setkey(&c->key, MBEDTLS_CIPHER_ID_AES, key, 128), 0);
}

/*
 * A whole CCM stream: the additional data and the text cut at random (or
 * byte by byte); every update must give the whole blocks so far. The text out
 * and the tag into tag.
 */
static void
ccm_stream(const uint8_t *key, int decrypt, const uint8_t *nonce, size_t n, const uint8_t *ad,
    size_t ad_len, const uint8_t *in, size_t len, size_t tag_len, int bytewise, uint8_t *out,
    uint8_t *tag)
{
	struct mbed_ccm c;
	size_t at = 0, k, got, total = 0;

	ccm_keyed(&c, key);
	ck_assert_int_eq(prov_mbed_ccm_start(&c, nonce, n, ad_len, len, tag_len), 0);
	while (at < ad_len) {
		k = bytewise ? 1 : rng() % (ad_len - at + 1);
		ck_assert_int_eq(prov_mbed_ccm_ad(&c, ad + at, k), 0);
		at += k;
	}
	for (at = 0; at < len; at += k) {
		k = bytewise ? 1 : rng() % (len - at + 1);
		ck_assert_int_eq(prov_mbed_ccm_update(&c, decrypt, in + at, k, out + total, &got), 0);
		total += got;
		ck_assert_uint_eq(total, (at + k) / 16 * 16);
	}
	ck_assert_int_eq(prov_mbed_ccm_finish(&c, decrypt, out + total, &got, tag), 0);
	ck_assert_uint_lt(got, 16);
	ck_assert_uint_eq(total + got, len);
	prov_mbed_ccm_wipe(&c);
	mbedtls_ccm_free(&c.key);
}

/* SP 800-38C C.3 and RFC 3610 packet vector 1, byte by byte both ways. */
START_TEST(t_ccm_vectors)
{
	static const char *const v[][5] = {
		{ "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b",
		  "000102030405060708090a0b0c0d0e0f10111213",
		  "202122232425262728292a2b2c2d2e2f3031323334353637",
		  "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951" },
		{ "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5",
		  "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
		  "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0" },
	};
	uint8_t key[16], nonce[13], ad[32], pt[32], want[48], out[48], tag[16];
	size_t i, n, al, pl;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unhex(v[i][0], key);
		n = unhex(v[i][1], nonce);
		al = unhex(v[i][2], ad);
		pl = unhex(v[i][3], pt);
		ck_assert_uint_eq(unhex(v[i][4], want), pl + 8);
		ccm_stream(key, 0, nonce, n, ad, al, pt, pl, 8, 1, out, tag);
		ck_assert(memcmp(out, want, pl) == 0 && memcmp(tag, want + pl, 8) == 0);
		ccm_stream(key, 1, nonce, n, ad, al, want, pl, 8, 1, out, tag);
		ck_assert(memcmp(out, pt, pl) == 0 && memcmp(tag, want + pl, 8) == 0);
	}
}
END_TEST

/* Random nonce, tag, data lengths and cuts: the same as mbedtls's one-shot CCM. */
START_TEST(t_ccm_random)
{
	static uint8_t ad[600], pt[600], ct[600], out[600];
	uint8_t key[16], nonce[13], tag[16], want[16];
	mbedtls_ccm_context ref;
	size_t n, t, al, pl, i;
	int it;

	for (it = 0; it < 250; it++) {
		for (i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)rng();
		n = 7 + rng() % 7;
		t = 4 + 2 * (rng() % 7);
		al = rng() % sizeof(ad);
		pl = rng() % sizeof(pt);
		for (i = 0; i < n; i++)
			nonce[i] = (uint8_t)rng();
		for (i = 0; i < al; i++)
			ad[i] = (uint8_t)rng();
		for (i = 0; i < pl; i++)
			pt[i] = (uint8_t)rng();
		mbedtls_ccm_init(&ref);
		ck_assert_int_eq(mbedtls_ccm_setkey(&ref, MBEDTLS_CIPHER_ID_AES, key, 128), 0);
		ck_assert_int_eq(mbedtls_ccm_encrypt_and_tag(&ref, pl, nonce, n, ad, al, pt, ct,
		    want, t), 0);
		mbedtls_ccm_free(&ref);
		ccm_stream(key, 0, nonce, n, ad, al, pt, pl, t, 0, out, tag);
		ck_assert_msg(memcmp(out, ct, pl) == 0 && memcmp(tag, want, t) == 0,
		    "case %d: nonce %zu, tag %zu, ad %zu, text %zu", it, n, t, al, pl);
		ccm_stream(key, 1, nonce, n, ad, al, ct, pl, t, 0, out, tag);
		ck_assert_msg(memcmp(out, pt, pl) == 0 && memcmp(tag, want, t) == 0,
		    "decrypt case %d", it);
	}
}
END_TEST

/* What start refuses: nonces of 6 and 14 bytes, odd or out of range tags. */
START_TEST(t_ccm_start_refuses)
{
	uint8_t key[16] = { 0 }, nonce[14] = { 0 };
	struct mbed_ccm c;

	ccm_keyed(&c, key);
	ck_assert_int_eq(prov_mbed_ccm_start(&c, nonce, 6, 0, 0, 8), -1);
	ck_assert_int_eq(prov_mbed_ccm_start(&c, nonce, 14, 0, 0, 8), -1);
	ck_assert_int_eq(prov_mbed_ccm_start(&c, nonce, 12, 0, 0, 5), -1);
	ck_assert_int_eq(prov_mbed_ccm_start(&c, nonce, 12, 0, 0, 2), -1);
	ck_assert_int_eq(prov_mbed_ccm_start(&c, nonce, 12, 0, 0, 18), -1);
	ck_assert_int_eq(prov_mbed_ccm_start(&c, nonce, 12, 0, 0, 16), 0);
	mbedtls_ccm_free(&c.key);
}
END_TEST

static const psa_algorithm_t hs_algs[] = { PSA_ALG_MD2, PSA_ALG_MD4, PSA_ALG_MD5,
	PSA_ALG_RIPEMD160, PSA_ALG_SHA_1, PSA_ALG_SHA_224, PSA_ALG_SHA_256, PSA_ALG_SHA_384,
	PSA_ALG_SHA_512 };
/* The API's field sizes: input length, hash state, block. */
static const size_t hs_sizes[][3] = { { 1, 64, 16 }, { 8, 16, 64 }, { 8, 16, 64 },
	{ 8, 20, 64 }, { 8, 20, 64 }, { 8, 32, 64 }, { 8, 32, 64 }, { 16, 64, 128 },
	{ 16, 64, 128 } };

/*
 * Every hash with a suspend format, suspended at lengths around its blocks:
 * the state as long as the API says, every shorter or longer copy refused, and
 * the resumed hash the whole message's.
 */
START_TEST(t_hash_suspend)
{
	static const size_t cuts[] = { 0, 1, 15, 16, 17, 55, 56, 63, 64, 65, 111, 112, 127, 128,
		129, 200, 255, 256, 257 };
	uint8_t msg[300], state[PROV_MBED_HASH_SUSPEND_MAX + 1], d1[64], d2[64];
	psa_hash_operation_t h, r;
	size_t a, c, cut, len, k, l1, l2;

	ck_assert_int_eq(psa_crypto_init(), PSA_SUCCESS);
	for (k = 0; k < sizeof(msg); k++)
		msg[k] = (uint8_t)(k * 13 + 1);
	for (a = 0; a < sizeof(hs_algs) / sizeof(hs_algs[0]); a++) {
		for (c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
			cut = cuts[c];
			h = psa_hash_operation_init();
			r = psa_hash_operation_init();
			ck_assert_int_eq(psa_hash_setup(&h, hs_algs[a]), PSA_SUCCESS);
			ck_assert_int_eq(psa_hash_update(&h, msg, cut), PSA_SUCCESS);
			ck_assert_int_eq(prov_mbed_hash_suspend(&h, state, PROV_MBED_HASH_SUSPEND_MAX,
			    &len), PSA_SUCCESS);
			psa_hash_abort(&h);
			ck_assert_uint_eq(len, 4 + hs_sizes[a][0] + hs_sizes[a][1] +
			    cut % hs_sizes[a][2]);
			for (k = 0; k < len; k++)
				ck_assert_int_eq(prov_mbed_hash_resume(&r, state, k),
				    PSA_ERROR_INVALID_ARGUMENT);
			ck_assert_int_eq(prov_mbed_hash_resume(&r, state, len + 1),
			    PSA_ERROR_INVALID_ARGUMENT);
			ck_assert_int_eq(prov_mbed_hash_resume(&r, state, len), PSA_SUCCESS);
			ck_assert_int_eq(psa_hash_update(&r, msg + cut, sizeof(msg) - cut),
			    PSA_SUCCESS);
			ck_assert_int_eq(psa_hash_finish(&r, d1, sizeof(d1), &l1), PSA_SUCCESS);
			ck_assert_int_eq(psa_hash_compute(hs_algs[a], msg, sizeof(msg), d2, sizeof(d2),
			    &l2), PSA_SUCCESS);
			ck_assert_msg(l1 == l2 && memcmp(d1, d2, l1) == 0, "alg %#x cut %zu",
			    (unsigned)hs_algs[a], cut);
		}
	}
}
END_TEST

/* States that are no state: not a hash, a hash without a format, a room too small. */
START_TEST(t_hash_suspend_refuses)
{
	uint8_t state[PROV_MBED_HASH_SUSPEND_MAX];
	psa_hash_operation_t h = PSA_HASH_OPERATION_INIT, r = PSA_HASH_OPERATION_INIT;
	size_t len;

	ck_assert_int_eq(psa_crypto_init(), PSA_SUCCESS);
	ck_assert_int_eq(psa_hash_setup(&h, PSA_ALG_SHA_256), PSA_SUCCESS);
	ck_assert_int_eq(prov_mbed_hash_suspend(&h, state, 4 + 8 + 32 - 1, &len),
	    PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_int_eq(prov_mbed_hash_suspend(&h, state, sizeof(state), &len), PSA_SUCCESS);
	psa_hash_abort(&h);
	state[3] = 0x11; /* SHA3-256 */
	ck_assert_int_eq(prov_mbed_hash_resume(&r, state, len), PSA_ERROR_NOT_SUPPORTED);
	state[0] = 0x03; /* 0x03000011: not a hash */
	ck_assert_int_eq(prov_mbed_hash_resume(&r, state, len), PSA_ERROR_INVALID_ARGUMENT);
	ck_assert_uint_eq(r.id, 0);
	ck_assert_int_eq(prov_mbed_hash_suspend(&r, state, sizeof(state), &len),
	    PSA_ERROR_BAD_STATE);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "ccm", 60, NULL, NULL, { TEST(t_ccm_vectors), TEST(t_ccm_random),
		    TEST(t_ccm_start_refuses) } },
		{ "hash-suspend", 60, NULL, NULL, { TEST(t_hash_suspend),
		    TEST(t_hash_suspend_refuses) } },
	};

	return test_main("mbed_stream", cases, sizeof(cases) / sizeof(cases[0]));
}
