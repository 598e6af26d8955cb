/*
 * large.c: one-shot calls on inputs longer than one request of the wire
 * protocol carries (2 and 8 MiB; parsecd takes 1 MiB a request unless told
 * otherwise): AEAD, hash, MAC, cipher, and messages signed and verified.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fixtures.h"
#include "tp.h"

#define LARGE_MAX	(8u << 20)
#define LARGE_AD	100
#define AEAD_USAGE	(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT)

static uint8_t	*large_in, *large_out, *large_back;
static char	 large_name[96];

/* "what N MiB", for the case and call names. */
static const char *
large_call(const char *what, size_t n)
{
	snprintf(large_name, sizeof(large_name), "%s %zuMiB", what, n >> 20);
	return large_name;
}

/* Encryption, decryption of what it made, a tag that does not match, too small a buffer. */
static void
large_aead(const char *name, psa_key_type_t type, const char *key, psa_algorithm_t alg,
    size_t n)
{
	size_t len = 0, back = 0, tag = PSA_ALG_AEAD_GET_TAG_LENGTH(alg);
	psa_key_id_t id;
	psa_status_t st;

	tp_case(large_call(name, n));
	id = tp_import("psa_import_key", type, AEAD_USAGE, alg, key);
	st = psa_aead_encrypt(id, alg, large_in, 12, large_in + 1, LARGE_AD, large_in, n,
	    large_out, n + tag, &len);
	tp_sum("psa_aead_encrypt", st, large_out, len);
	st = psa_aead_decrypt(id, alg, large_in, 12, large_in + 1, LARGE_AD, large_out, len,
	    large_back, n, &back);
	tp_sum("psa_aead_decrypt", st, large_back, back);
	tp_sum("plaintext", PSA_SUCCESS, large_in, n);
	large_out[len / 2] ^= 1;
	tp_st("psa_aead_decrypt altered", psa_aead_decrypt(id, alg, large_in, 12, large_in + 1,
	    LARGE_AD, large_out, len, large_back, n, &back));
	tp_st("psa_aead_encrypt short-buffer", psa_aead_encrypt(id, alg, large_in, 12,
	    large_in + 1, LARGE_AD, large_in, n, large_out, n + tag - 1, &len));
	tp_destroy(id);
}

/* Hash, MAC and cipher, each made and checked. */
static void
large_symmetric(size_t n)
{
	const psa_algorithm_t hmac = PSA_ALG_HMAC(PSA_ALG_SHA_256);
	uint8_t sum[PSA_HASH_MAX_SIZE];
	size_t len = 0, back = 0;
	psa_key_id_t id;
	psa_status_t st;

	tp_case(large_call("large hash", n));
	st = psa_hash_compute(PSA_ALG_SHA_256, large_in, n, sum, sizeof(sum), &len);
	tp_hex("psa_hash_compute", st, sum, len);
	tp_st("psa_hash_compare", psa_hash_compare(PSA_ALG_SHA_256, large_in, n, sum, len));
	tp_case(large_call("large hmac-sha256", n));
	id = tp_import("psa_import_key", PSA_KEY_TYPE_HMAC, PSA_KEY_USAGE_SIGN_MESSAGE |
	    PSA_KEY_USAGE_VERIFY_MESSAGE, hmac,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	st = psa_mac_compute(id, hmac, large_in, n, sum, sizeof(sum), &len);
	tp_hex("psa_mac_compute", st, sum, len);
	tp_st("psa_mac_verify", psa_mac_verify(id, hmac, large_in, n, sum, len));
	tp_destroy(id);
	tp_case(large_call("large aes-ctr", n));
	id = tp_import("psa_import_key", PSA_KEY_TYPE_AES, AEAD_USAGE, PSA_ALG_CTR,
	    "000102030405060708090a0b0c0d0e0f");
	st = psa_cipher_encrypt(id, PSA_ALG_CTR, large_in, n, large_out, n + 16, &len);
	tp_len("psa_cipher_encrypt", st, len);
	st = psa_cipher_decrypt(id, PSA_ALG_CTR, large_out, len, large_back, n, &back);
	tp_sum("psa_cipher_decrypt", st, large_back, back);
	tp_destroy(id);
}

/*
 * A message signed and verified, and an altered one. usage says whether the
 * key may sign hashes too (signing a hash of the message needs it).
 */
static void
large_sign(const char *name, psa_key_type_t type, psa_key_usage_t usage, psa_algorithm_t alg,
    const char *key, size_t n, int deterministic)
{
	uint8_t sig[PSA_SIGNATURE_MAX_SIZE];
	size_t len = 0;
	psa_key_id_t id;
	psa_status_t st;

	tp_case(large_call(name, n));
	id = tp_import("psa_import_key", type, usage, alg, key);
	st = psa_sign_message(id, alg, large_in, n, sig, sizeof(sig), &len);
	if (deterministic)
		tp_hex("psa_sign_message", st, sig, len);
	else
		tp_len("psa_sign_message", st, len);
	tp_st("psa_verify_message", psa_verify_message(id, alg, large_in, n, sig, len));
	large_in[n - 1] ^= 1;
	tp_st("psa_verify_message altered", psa_verify_message(id, alg, large_in, n, sig, len));
	large_in[n - 1] ^= 1;
	tp_destroy(id);
}

int
main(void)
{
	static const size_t sizes[] = { 2u << 20, LARGE_MAX };
	const psa_key_usage_t hash_usage = PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH;
	const psa_key_usage_t message_usage = PSA_KEY_USAGE_SIGN_MESSAGE |
	    PSA_KEY_USAGE_VERIFY_MESSAGE;
	const char *aes = "2b7e151628aed2a6abf7158809cf4f3c";
	size_t i, s;

	large_in = malloc(LARGE_MAX);
	large_out = malloc(LARGE_MAX + 16);
	large_back = malloc(LARGE_MAX);
	if (large_in == NULL || large_out == NULL || large_back == NULL)
		return 1;
	for (i = 0; i < LARGE_MAX; i++)
		large_in[i] = (uint8_t)(i * 31 % 251);
	tp_init();
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];

		large_aead("large aes128-gcm", PSA_KEY_TYPE_AES, aes, PSA_ALG_GCM, n);
		large_aead("large aes128-gcm-tag12", PSA_KEY_TYPE_AES, aes,
		    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 12), n);
		large_aead("large chacha20-poly1305", PSA_KEY_TYPE_CHACHA20,
		    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		    PSA_ALG_CHACHA20_POLY1305, n);
		large_symmetric(n);
		large_sign("large deterministic-ecdsa-p256", PSA_KEY_TYPE_ECC_KEY_PAIR(
		    PSA_ECC_FAMILY_SECP_R1), hash_usage,
		    PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), FIX_P256_6979_PRIV, n, 1);
		large_sign("large rsa2048-pkcs1v15-sha256", PSA_KEY_TYPE_RSA_KEY_PAIR, hash_usage,
		    PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), FIX_RSA2048, n, 1);
		large_sign("large rsa2048-pss-sha384", PSA_KEY_TYPE_RSA_KEY_PAIR, hash_usage,
		    PSA_ALG_RSA_PSS(PSA_ALG_SHA_384), FIX_RSA2048, n, 0);
		/* A key that may sign messages only: no hash of it may be signed instead. */
		large_sign("large ecdsa-p256 message-only", PSA_KEY_TYPE_ECC_KEY_PAIR(
		    PSA_ECC_FAMILY_SECP_R1), message_usage, PSA_ALG_ECDSA(PSA_ALG_SHA_256),
		    FIX_P256_6979_PRIV, n, 0);
	}
	free(large_in);
	free(large_out);
	free(large_back);
	return tp_done();
}
