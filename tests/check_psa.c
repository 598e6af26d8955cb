/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec-psa against a parsecd this suite starts (Mbed Crypto provider):
 * every function of the PSA Cryptography API as a program calls it, with its
 * error paths (before psa_crypto_init, bad state, buffer too small, not
 * permitted, no such key), threads, fork, and a volatile key outliving
 * neither a SIGKILL nor its process. Known answers are FIPS 180-2 (SHA-256),
 * RFC 4231 (HMAC-SHA-256) and FIPS 197 (AES-128).
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <psa/crypto.h>

#include <pb_decode.h>

#include "list_keys.pb.h"
#include "testlib.h"

#define PSA_T_APP "check-psa"

static struct test_daemon psa_t_daemon;

#define PSA_EQ(expr, want) do {								\
	psa_status_t st_ = (expr);							\
	ck_assert_msg(st_ == (want), "%s: %d, expected %d (%s)", #expr, (int)st_,	\
	    (int)(want), #want);							\
} while (0)

/* Whether the service serves parsecd's extension operations the call needs (else pending). */
#define PSA_T_PENDING(expr, what) do {							\
	if ((expr) == PSA_ERROR_NOT_SUPPORTED) {					\
		fprintf(stderr, "pending: %s: the service does not serve it yet\n", what); \
		return;									\
	}										\
} while (0)

static void
psa_t_hex(const char *hex, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

static void
psa_t_init(void)
{
	PSA_EQ(psa_crypto_init(), PSA_SUCCESS);
}

/* A persistent key's attributes: id, type, bits, usage, algorithm. */
static psa_key_attributes_t
psa_t_attrs(psa_key_id_t id, psa_key_type_t type, size_t bits, psa_key_usage_t usage,
    psa_algorithm_t alg)
{
	psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;

	if (id != 0)
		psa_set_key_id(&a, id);
	psa_set_key_type(&a, type);
	psa_set_key_bits(&a, bits);
	psa_set_key_usage_flags(&a, usage);
	psa_set_key_algorithm(&a, alg);
	return a;
}

/* A P-256 ECDSA-SHA-256 key pair under id (0: volatile). */
static psa_status_t
psa_t_p256(psa_key_id_t id, psa_key_usage_t usage, psa_key_id_t *key)
{
	psa_key_attributes_t a = psa_t_attrs(id, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    256, usage, PSA_ALG_ECDSA(PSA_ALG_SHA_256));

	return psa_generate_key(&a, key);
}

/* ---- before psa_crypto_init, and init itself ---- */

START_TEST(test_before_init)
{
	psa_hash_operation_t hash = PSA_HASH_OPERATION_INIT;
	psa_key_attributes_t a = psa_t_attrs(1, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CTR);
	uint8_t buf[64];
	size_t len = 99;
	psa_key_id_t key = 7;

	PSA_EQ(psa_generate_random(buf, sizeof(buf)), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_compute(PSA_ALG_SHA_256, buf, 3, buf, sizeof(buf), &len),
	    PSA_ERROR_BAD_STATE);
	ck_assert_uint_eq(len, 0);
	PSA_EQ(psa_generate_key(&a, &key), PSA_ERROR_BAD_STATE);
	ck_assert_uint_eq(key, 0);
	PSA_EQ(psa_sign_hash(1, PSA_ALG_ECDSA(PSA_ALG_SHA_256), buf, 32, buf, sizeof(buf), &len),
	    PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_setup(&hash, PSA_ALG_SHA_256), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_destroy_key(1), PSA_ERROR_BAD_STATE);
	/* Nothing to do is done, initialised or not. */
	PSA_EQ(psa_destroy_key(PSA_KEY_ID_NULL), PSA_SUCCESS);
	PSA_EQ(psa_hash_abort(&hash), PSA_SUCCESS);
}
END_TEST

START_TEST(test_init_twice)
{
	uint8_t buf[16];

	PSA_EQ(psa_crypto_init(), PSA_SUCCESS);
	PSA_EQ(psa_crypto_init(), PSA_SUCCESS);
	PSA_EQ(psa_generate_random(buf, sizeof(buf)), PSA_SUCCESS);
}
END_TEST

START_TEST(test_init_no_service)
{
	uint8_t buf[16];

	setenv("PARSEC_SERVICE_ENDPOINT", "unix:/nonexistent/parsec.sock", 1);
	PSA_EQ(psa_crypto_init(), PSA_ERROR_COMMUNICATION_FAILURE);
	PSA_EQ(psa_generate_random(buf, sizeof(buf)), PSA_ERROR_BAD_STATE);
}
END_TEST

START_TEST(test_init_bad_provider)
{
	uint8_t buf[16];

	setenv("PARSEC_PSA_PROVIDER", "core", 1);
	PSA_EQ(psa_crypto_init(), PSA_ERROR_INVALID_ARGUMENT);
	setenv("PARSEC_PSA_PROVIDER", "0", 1);
	PSA_EQ(psa_crypto_init(), PSA_ERROR_INVALID_ARGUMENT);
	/* A provider this service does not have (TPM): found out at once. */
	setenv("PARSEC_PSA_PROVIDER", "3", 1);
	PSA_EQ(psa_crypto_init(), PSA_ERROR_COMMUNICATION_FAILURE);
	PSA_EQ(psa_generate_random(buf, sizeof(buf)), PSA_ERROR_BAD_STATE);
	setenv("PARSEC_PSA_PROVIDER", "1", 1);
	PSA_EQ(psa_crypto_init(), PSA_SUCCESS);
	PSA_EQ(psa_generate_random(buf, sizeof(buf)), PSA_SUCCESS);
}
END_TEST

/* ---- keyless one-shot operations ---- */

START_TEST(test_random)
{
	static uint8_t big[200000];
	uint8_t a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };
	size_t i, zeros = 0;

	psa_t_init();
	PSA_EQ(psa_generate_random(a, 0), PSA_SUCCESS);
	PSA_EQ(psa_generate_random(a, sizeof(a)), PSA_SUCCESS);
	PSA_EQ(psa_generate_random(b, sizeof(b)), PSA_SUCCESS);
	ck_assert(memcmp(a, zero, sizeof(a)) != 0);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	/* More than one request's worth, every part filled. */
	PSA_EQ(psa_generate_random(big, sizeof(big)), PSA_SUCCESS);
	for (i = sizeof(big) - 4096; i < sizeof(big); i++)
		zeros += big[i] == 0;
	ck_assert_uint_lt(zeros, 64);
}
END_TEST

START_TEST(test_hash_oneshot)
{
	uint8_t want[32], out[64];
	size_t len = 99;

	psa_t_init();
	psa_t_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	PSA_EQ(psa_hash_compute(PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, out, sizeof(out),
	    &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 32);
	ck_assert(memcmp(out, want, 32) == 0);
	PSA_EQ(psa_hash_compare(PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, want, 32),
	    PSA_SUCCESS);
	want[5] ^= 1;
	PSA_EQ(psa_hash_compare(PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, want, 32),
	    PSA_ERROR_INVALID_SIGNATURE);
	len = 99;
	PSA_EQ(psa_hash_compute(PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, out, 31, &len),
	    PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(len, 0);
	PSA_EQ(psa_hash_compute(PSA_ALG_HMAC(PSA_ALG_SHA_256), (const uint8_t *)"abc", 3, out,
	    sizeof(out), &len), PSA_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* ---- key management ---- */

START_TEST(test_key_life)
{
	psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t key = 0, again = 0;
	uint8_t pub[128];
	size_t len;

	psa_t_init();
	PSA_EQ(psa_t_p256(101, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH, &key),
	    PSA_SUCCESS);
	ck_assert_uint_eq(key, 101);
	PSA_EQ(psa_t_p256(101, PSA_KEY_USAGE_SIGN_HASH, &again), PSA_ERROR_ALREADY_EXISTS);
	ck_assert_uint_eq(again, 0);
	PSA_EQ(psa_get_key_attributes(key, &got), PSA_SUCCESS);
	ck_assert_uint_eq(psa_get_key_id(&got), 101);
	ck_assert_uint_eq(psa_get_key_lifetime(&got), PSA_KEY_LIFETIME_PERSISTENT);
	ck_assert_uint_eq(psa_get_key_type(&got), PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	ck_assert_uint_eq(psa_get_key_bits(&got), 256);
	ck_assert_uint_eq(psa_get_key_algorithm(&got), PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	/* Signing hashes lets a key sign messages too (PSA 1.0.1). */
	ck_assert_uint_eq(psa_get_key_usage_flags(&got), PSA_KEY_USAGE_SIGN_HASH |
	    PSA_KEY_USAGE_VERIFY_HASH | PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE);
	PSA_EQ(psa_export_public_key(key, pub, sizeof(pub), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 65);
	ck_assert_uint_eq(pub[0], 0x04);
	PSA_EQ(psa_export_public_key(key, pub, 64, &len), PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(len, 0);
	/* Without PSA_KEY_USAGE_EXPORT the private key stays in the service. */
	PSA_EQ(psa_export_key(key, pub, sizeof(pub), &len), PSA_ERROR_NOT_PERMITTED);
	PSA_EQ(psa_purge_key(key), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
	PSA_EQ(psa_get_key_attributes(key, &got), PSA_ERROR_INVALID_HANDLE);
	ck_assert_uint_eq(psa_get_key_type(&got), 0);
	PSA_EQ(psa_export_public_key(key, pub, sizeof(pub), &len), PSA_ERROR_INVALID_HANDLE);
	PSA_EQ(psa_destroy_key(key), PSA_ERROR_INVALID_HANDLE);
	/* Mbed TLS's answer for a valid id without a key. */
	PSA_EQ(psa_purge_key(key), PSA_ERROR_DOES_NOT_EXIST);
	PSA_EQ(psa_purge_key(0), PSA_ERROR_INVALID_HANDLE);
	/* The id is free again. */
	PSA_EQ(psa_t_p256(101, PSA_KEY_USAGE_SIGN_HASH, &key), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
}
END_TEST

START_TEST(test_key_ids)
{
	psa_key_attributes_t a = psa_t_attrs(0, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CTR);
	psa_key_attributes_t got;
	uint8_t buf[32];
	psa_key_id_t key = 5;
	size_t len;

	psa_t_init();
	/* A persistent key needs an id in the application's range. */
	psa_set_key_lifetime(&a, PSA_KEY_LIFETIME_PERSISTENT);
	PSA_EQ(psa_generate_key(&a, &key), PSA_ERROR_INVALID_ARGUMENT);
	ck_assert_uint_eq(key, 0);
	psa_set_key_id(&a, PSA_KEY_ID_VENDOR_MIN);
	PSA_EQ(psa_generate_key(&a, &key), PSA_ERROR_INVALID_ARGUMENT);
	/* A location the library does not have. */
	psa_set_key_id(&a, 102);
	psa_set_key_lifetime(&a, PSA_KEY_LIFETIME_FROM_PERSISTENCE_AND_LOCATION(
	    PSA_KEY_PERSISTENCE_DEFAULT, 1));
	PSA_EQ(psa_generate_key(&a, &key), PSA_ERROR_INVALID_ARGUMENT);
	psa_set_key_lifetime(&a, PSA_KEY_LIFETIME_PERSISTENT);
	psa_set_key_bits(&a, 0x10000);
	PSA_EQ(psa_generate_key(&a, &key), PSA_ERROR_NOT_SUPPORTED);
	/* Ids that name no key: the null id, a volatile id never handed out, beyond the ranges. */
	PSA_EQ(psa_get_key_attributes(0, &got), PSA_ERROR_INVALID_HANDLE);
	PSA_EQ(psa_get_key_attributes(PSA_KEY_ID_VENDOR_MAX, &got), PSA_ERROR_INVALID_HANDLE);
	PSA_EQ(psa_export_public_key(0x80000000u, buf, sizeof(buf), &len),
	    PSA_ERROR_INVALID_HANDLE);
	PSA_EQ(psa_get_key_attributes(103, &got), PSA_ERROR_INVALID_HANDLE);
}
END_TEST

START_TEST(test_import_export)
{
	psa_key_attributes_t a = psa_t_attrs(104, PSA_KEY_TYPE_AES, 0, PSA_KEY_USAGE_EXPORT |
	    PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_ECB_NO_PADDING);
	psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t k[16], pt[16], want[16], out[64], back[64];
	psa_key_id_t key;
	size_t len, back_len;

	psa_t_init();
	psa_t_hex("000102030405060708090a0b0c0d0e0f", k, 16);
	psa_t_hex("00112233445566778899aabbccddeeff", pt, 16);
	psa_t_hex("69c4e0d86a7b0430d8cdb78070b4c55a", want, 16);
	PSA_EQ(psa_import_key(&a, k, sizeof(k), &key), PSA_SUCCESS);
	PSA_EQ(psa_get_key_attributes(key, &got), PSA_SUCCESS);
	ck_assert_uint_eq(psa_get_key_bits(&got), 128);
	PSA_EQ(psa_export_key(key, out, sizeof(out), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 16);
	ck_assert(memcmp(out, k, 16) == 0);
	PSA_EQ(psa_export_key(key, out, 15, &len), PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(len, 0);
	/* FIPS 197 appendix C.1. */
	PSA_EQ(psa_cipher_encrypt(key, PSA_ALG_ECB_NO_PADDING, pt, 16, out, sizeof(out), &len),
	    PSA_SUCCESS);
	ck_assert_uint_eq(len, 16);
	ck_assert(memcmp(out, want, 16) == 0);
	PSA_EQ(psa_cipher_decrypt(key, PSA_ALG_ECB_NO_PADDING, out, 16, back, sizeof(back),
	    &back_len), PSA_SUCCESS);
	ck_assert(back_len == 16 && memcmp(back, pt, 16) == 0);
	/* The key's policy names one algorithm. */
	PSA_EQ(psa_cipher_encrypt(key, PSA_ALG_CBC_PKCS7, pt, 16, out, sizeof(out), &len),
	    PSA_ERROR_NOT_PERMITTED);
	ck_assert_uint_eq(len, 0);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
}
END_TEST

/* An application with more keys than one ListKeys guess holds: each is still found. */
START_TEST(test_many_keys)
{
	psa_key_attributes_t a = psa_t_attrs(0, PSA_KEY_TYPE_AES, 0, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CTR);
	psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t k[16] = { 0 };
	psa_key_id_t key, id;

	psa_t_init();
	for (id = 1000; id < 1100; id++) {
		psa_set_key_id(&a, id);
		k[0] = (uint8_t)id;
		PSA_EQ(psa_import_key(&a, k, sizeof(k), &key), PSA_SUCCESS);
	}
	PSA_EQ(psa_get_key_attributes(1099, &got), PSA_SUCCESS);
	ck_assert_uint_eq(psa_get_key_id(&got), 1099);
	ck_assert_uint_eq(psa_get_key_bits(&got), 128);
	for (id = 1000; id < 1100; id++)
		PSA_EQ(psa_destroy_key(id), PSA_SUCCESS);
}
END_TEST

/* ---- keyed one-shot operations ---- */

START_TEST(test_sign_verify)
{
	uint8_t hash[32], sig[128], msg[] = "a message to sign";
	size_t len, hash_len;
	psa_key_id_t key, verify_only;
	psa_algorithm_t alg = PSA_ALG_ECDSA(PSA_ALG_SHA_256);

	psa_t_init();
	PSA_EQ(psa_t_p256(105, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH, &key),
	    PSA_SUCCESS);
	PSA_EQ(psa_hash_compute(PSA_ALG_SHA_256, msg, sizeof(msg), hash, sizeof(hash),
	    &hash_len), PSA_SUCCESS);
	PSA_EQ(psa_sign_hash(key, alg, hash, 32, sig, sizeof(sig), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 64);
	PSA_EQ(psa_verify_hash(key, alg, hash, 32, sig, len), PSA_SUCCESS);
	/* The message form of the same signature, both ways. */
	PSA_EQ(psa_verify_message(key, alg, msg, sizeof(msg), sig, len), PSA_SUCCESS);
	PSA_EQ(psa_sign_message(key, alg, msg, sizeof(msg), sig, sizeof(sig), &len), PSA_SUCCESS);
	PSA_EQ(psa_verify_hash(key, alg, hash, 32, sig, len), PSA_SUCCESS);
	sig[10] ^= 0x40;
	PSA_EQ(psa_verify_hash(key, alg, hash, 32, sig, len), PSA_ERROR_INVALID_SIGNATURE);
	PSA_EQ(psa_verify_message(key, alg, msg, sizeof(msg), sig, len),
	    PSA_ERROR_INVALID_SIGNATURE);
	len = 7;
	PSA_EQ(psa_sign_hash(key, alg, hash, 32, sig, 63, &len), PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(len, 0);
	/* A key that may only verify. */
	PSA_EQ(psa_t_p256(106, PSA_KEY_USAGE_VERIFY_HASH, &verify_only), PSA_SUCCESS);
	PSA_EQ(psa_sign_hash(verify_only, alg, hash, 32, sig, sizeof(sig), &len),
	    PSA_ERROR_NOT_PERMITTED);
	PSA_EQ(psa_destroy_key(verify_only), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
	PSA_EQ(psa_sign_hash(key, alg, hash, 32, sig, sizeof(sig), &len),
	    PSA_ERROR_INVALID_HANDLE);
	PSA_EQ(psa_verify_hash(key, alg, hash, 32, sig, 64), PSA_ERROR_INVALID_HANDLE);
}
END_TEST

START_TEST(test_mac)
{
	psa_key_attributes_t a = psa_t_attrs(107, PSA_KEY_TYPE_HMAC, 0, PSA_KEY_USAGE_SIGN_MESSAGE |
	    PSA_KEY_USAGE_VERIFY_MESSAGE, PSA_ALG_HMAC(PSA_ALG_SHA_256));
	const char *data = "what do ya want for nothing?";
	uint8_t want[32], mac[64];
	psa_key_id_t key;
	size_t len;

	psa_t_init();
	/* RFC 4231 test case 2. */
	psa_t_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
	PSA_EQ(psa_import_key(&a, (const uint8_t *)"Jefe", 4, &key), PSA_SUCCESS);
	PSA_EQ(psa_mac_compute(key, PSA_ALG_HMAC(PSA_ALG_SHA_256), (const uint8_t *)data,
	    strlen(data), mac, sizeof(mac), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 32);
	ck_assert(memcmp(mac, want, 32) == 0);
	PSA_EQ(psa_mac_verify(key, PSA_ALG_HMAC(PSA_ALG_SHA_256), (const uint8_t *)data,
	    strlen(data), want, 32), PSA_SUCCESS);
	want[31] ^= 1;
	PSA_EQ(psa_mac_verify(key, PSA_ALG_HMAC(PSA_ALG_SHA_256), (const uint8_t *)data,
	    strlen(data), want, 32), PSA_ERROR_INVALID_SIGNATURE);
	PSA_EQ(psa_mac_compute(key, PSA_ALG_HMAC(PSA_ALG_SHA_256), (const uint8_t *)data,
	    strlen(data), mac, 16, &len), PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(len, 0);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
}
END_TEST

START_TEST(test_cipher_aead)
{
	psa_key_attributes_t a = psa_t_attrs(108, PSA_KEY_TYPE_AES, 256, PSA_KEY_USAGE_ENCRYPT |
	    PSA_KEY_USAGE_DECRYPT, PSA_ALG_CBC_PKCS7);
	uint8_t pt[40], ct[128], back[128], nonce[12] = { 1, 2, 3 }, ad[5] = { 9, 8, 7 };
	size_t len, back_len;
	psa_key_id_t cbc, gcm;

	psa_t_init();
	memset(pt, 0x5a, sizeof(pt));
	PSA_EQ(psa_generate_key(&a, &cbc), PSA_SUCCESS);
	/* The IV first, then the padded text. */
	PSA_EQ(psa_cipher_encrypt(cbc, PSA_ALG_CBC_PKCS7, pt, sizeof(pt), ct, sizeof(ct), &len),
	    PSA_SUCCESS);
	ck_assert_uint_eq(len, 16 + 48);
	PSA_EQ(psa_cipher_decrypt(cbc, PSA_ALG_CBC_PKCS7, ct, len, back, sizeof(back),
	    &back_len), PSA_SUCCESS);
	ck_assert(back_len == sizeof(pt) && memcmp(back, pt, sizeof(pt)) == 0);
	PSA_EQ(psa_cipher_decrypt(cbc, PSA_ALG_CBC_PKCS7, ct, len, back, 8, &back_len),
	    PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(back_len, 0);
	PSA_EQ(psa_destroy_key(cbc), PSA_SUCCESS);

	a = psa_t_attrs(109, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT,
	    PSA_ALG_GCM);
	PSA_EQ(psa_generate_key(&a, &gcm), PSA_SUCCESS);
	PSA_EQ(psa_aead_encrypt(gcm, PSA_ALG_GCM, nonce, sizeof(nonce), ad, sizeof(ad), pt,
	    sizeof(pt), ct, sizeof(ct), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, sizeof(pt) + 16);
	PSA_EQ(psa_aead_decrypt(gcm, PSA_ALG_GCM, nonce, sizeof(nonce), ad, sizeof(ad), ct, len,
	    back, sizeof(back), &back_len), PSA_SUCCESS);
	ck_assert(back_len == sizeof(pt) && memcmp(back, pt, sizeof(pt)) == 0);
	ad[0] ^= 1;
	PSA_EQ(psa_aead_decrypt(gcm, PSA_ALG_GCM, nonce, sizeof(nonce), ad, sizeof(ad), ct, len,
	    back, sizeof(back), &back_len), PSA_ERROR_INVALID_SIGNATURE);
	ck_assert_uint_eq(back_len, 0);
	/* A policy of a shortest tag: kept by the service as asked, read back as made. */
	a = psa_t_attrs(126, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(PSA_ALG_GCM, 8));
	PSA_EQ(psa_generate_key(&a, &cbc), PSA_SUCCESS);
	psa_reset_key_attributes(&a);
	PSA_EQ(psa_get_key_attributes(cbc, &a), PSA_SUCCESS);
	ck_assert_uint_eq(psa_get_key_algorithm(&a),
	    PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(PSA_ALG_GCM, 8));
	PSA_EQ(psa_aead_encrypt(cbc, PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 12), nonce,
	    sizeof(nonce), ad, sizeof(ad), pt, sizeof(pt), ct, sizeof(ct), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, sizeof(pt) + 12);
	PSA_EQ(psa_aead_encrypt(cbc, PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 4), nonce,
	    sizeof(nonce), ad, sizeof(ad), pt, sizeof(pt), ct, sizeof(ct), &len),
	    PSA_ERROR_NOT_PERMITTED);
	PSA_EQ(psa_destroy_key(cbc), PSA_SUCCESS);
	a = psa_t_attrs(126, PSA_KEY_TYPE_HMAC, 256, PSA_KEY_USAGE_SIGN_MESSAGE,
	    PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_256), 16));
	PSA_EQ(psa_generate_key(&a, &cbc), PSA_SUCCESS);
	PSA_EQ(psa_mac_compute(cbc, PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_256), 8), pt,
	    sizeof(pt), ct, sizeof(ct), &len), PSA_ERROR_NOT_PERMITTED);
	PSA_EQ(psa_mac_compute(cbc, PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_256), 20), pt,
	    sizeof(pt), ct, sizeof(ct), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 20);
	PSA_EQ(psa_destroy_key(cbc), PSA_SUCCESS);
	/* Not an AEAD algorithm: not supported, whatever the key. */
	PSA_EQ(psa_aead_encrypt(gcm, PSA_ALG_CTR, nonce, sizeof(nonce), ad, sizeof(ad), pt,
	    sizeof(pt), ct, sizeof(ct), &len), PSA_ERROR_NOT_SUPPORTED);
	PSA_EQ(psa_aead_encrypt(999, PSA_ALG_CTR, nonce, sizeof(nonce), ad, sizeof(ad), pt,
	    sizeof(pt), ct, sizeof(ct), &len), PSA_ERROR_NOT_SUPPORTED);
	PSA_EQ(psa_destroy_key(gcm), PSA_SUCCESS);
}
END_TEST

START_TEST(test_asymmetric)
{
	psa_key_attributes_t a = psa_t_attrs(110, PSA_KEY_TYPE_RSA_KEY_PAIR, 2048,
	    PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256));
	psa_key_attributes_t pub_a, got = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t msg[] = "secret", ct[256], back[256], der[300];
	size_t len, back_len, der_len;
	psa_key_id_t key, pub;

	psa_t_init();
	PSA_EQ(psa_generate_key(&a, &key), PSA_SUCCESS);
	PSA_EQ(psa_asymmetric_encrypt(key, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256), msg, sizeof(msg),
	    (const uint8_t *)"label", 5, ct, sizeof(ct), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 256);
	PSA_EQ(psa_asymmetric_decrypt(key, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256), ct, len,
	    (const uint8_t *)"label", 5, back, sizeof(back), &back_len), PSA_SUCCESS);
	ck_assert(back_len == sizeof(msg) && memcmp(back, msg, sizeof(msg)) == 0);
	/* The public half imported on its own (its size read from its DER) encrypts for the pair. */
	pub_a = psa_t_attrs(123, PSA_KEY_TYPE_RSA_PUBLIC_KEY, 0, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256));
	PSA_EQ(psa_export_public_key(key, der, sizeof(der), &der_len), PSA_SUCCESS);
	PSA_EQ(psa_import_key(&pub_a, der, der_len, &pub), PSA_SUCCESS);
	PSA_EQ(psa_get_key_attributes(pub, &got), PSA_SUCCESS);
	ck_assert_uint_eq(psa_get_key_bits(&got), 2048);
	PSA_EQ(psa_asymmetric_encrypt(pub, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256), msg, sizeof(msg),
	    NULL, 0, ct, sizeof(ct), &len), PSA_SUCCESS);
	PSA_EQ(psa_asymmetric_decrypt(key, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256), ct, len, NULL, 0,
	    back, sizeof(back), &back_len), PSA_SUCCESS);
	ck_assert(back_len == sizeof(msg) && memcmp(back, msg, sizeof(msg)) == 0);
	PSA_EQ(psa_asymmetric_decrypt(pub, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256), ct, len, NULL, 0,
	    back, sizeof(back), &back_len), PSA_ERROR_NOT_PERMITTED);
	PSA_EQ(psa_destroy_key(pub), PSA_SUCCESS);
	PSA_EQ(psa_asymmetric_encrypt(key, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256), msg, sizeof(msg),
	    (const uint8_t *)"label", 5, ct, sizeof(ct), &len), PSA_SUCCESS);
	/* Another label: the padding does not check out. */
	PSA_EQ(psa_asymmetric_decrypt(key, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256), ct, len,
	    (const uint8_t *)"other", 5, back, sizeof(back), &back_len), PSA_ERROR_INVALID_PADDING);
	ck_assert_uint_eq(back_len, 0);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
}
END_TEST

START_TEST(test_key_agreement)
{
	psa_key_attributes_t a = psa_t_attrs(111, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    256, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
	psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t pub_a[65], pub_b[65], s_ab[32], s_ba[32];
	size_t len;
	psa_key_id_t ka, kb, pub;

	psa_t_init();
	PSA_EQ(psa_generate_key(&a, &ka), PSA_SUCCESS);
	psa_set_key_id(&a, 112);
	PSA_EQ(psa_generate_key(&a, &kb), PSA_SUCCESS);
	PSA_EQ(psa_export_public_key(ka, pub_a, sizeof(pub_a), &len), PSA_SUCCESS);
	PSA_EQ(psa_export_public_key(kb, pub_b, sizeof(pub_b), &len), PSA_SUCCESS);
	PSA_EQ(psa_raw_key_agreement(PSA_ALG_ECDH, ka, pub_b, sizeof(pub_b), s_ab, sizeof(s_ab),
	    &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 32);
	PSA_EQ(psa_raw_key_agreement(PSA_ALG_ECDH, kb, pub_a, sizeof(pub_a), s_ba, sizeof(s_ba),
	    &len), PSA_SUCCESS);
	ck_assert(memcmp(s_ab, s_ba, 32) == 0);
	PSA_EQ(psa_raw_key_agreement(PSA_ALG_ECDH, ka, pub_b, sizeof(pub_b), s_ab, 16, &len),
	    PSA_ERROR_BUFFER_TOO_SMALL);
	/* A public key imported without a size has the curve's. */
	a = psa_t_attrs(124, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), 0,
	    PSA_KEY_USAGE_VERIFY_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	PSA_EQ(psa_import_key(&a, pub_a, sizeof(pub_a), &pub), PSA_SUCCESS);
	PSA_EQ(psa_get_key_attributes(pub, &got), PSA_SUCCESS);
	ck_assert_uint_eq(psa_get_key_bits(&got), 256);
	PSA_EQ(psa_destroy_key(pub), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(ka), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(kb), PSA_SUCCESS);
}
END_TEST

/* ---- multipart operations: the library's own state checks ---- */

START_TEST(test_multipart_state)
{
	psa_hash_operation_t h = PSA_HASH_OPERATION_INIT, h2 = PSA_HASH_OPERATION_INIT;
	psa_mac_operation_t m = PSA_MAC_OPERATION_INIT;
	psa_cipher_operation_t c = PSA_CIPHER_OPERATION_INIT;
	psa_aead_operation_t ae = PSA_AEAD_OPERATION_INIT;
	psa_key_derivation_operation_t kd = PSA_KEY_DERIVATION_OPERATION_INIT;
	uint8_t buf[64];
	size_t len = 5, cap;
	psa_key_id_t key = 9;
	psa_key_attributes_t a = psa_t_attrs(113, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CTR);

	psa_t_init();
	/* Every step of an operation never set up. */
	PSA_EQ(psa_hash_update(&h, buf, 1), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_finish(&h, buf, sizeof(buf), &len), PSA_ERROR_BAD_STATE);
	ck_assert_uint_eq(len, 0);
	PSA_EQ(psa_hash_verify(&h, buf, 32), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_clone(&h, &h2), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_mac_update(&m, buf, 1), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_mac_sign_finish(&m, buf, sizeof(buf), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_mac_verify_finish(&m, buf, 32), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_cipher_set_iv(&c, buf, 16), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_cipher_generate_iv(&c, buf, sizeof(buf), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_cipher_update(&c, buf, 16, buf, sizeof(buf), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_cipher_finish(&c, buf, sizeof(buf), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_aead_set_lengths(&ae, 1, 1), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_aead_set_nonce(&ae, buf, 12), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_aead_generate_nonce(&ae, buf, sizeof(buf), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_aead_update_ad(&ae, buf, 1), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_aead_update(&ae, buf, 1, buf, sizeof(buf), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_key_derivation_get_capacity(&kd, &cap), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_key_derivation_set_capacity(&kd, 10), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_key_derivation_input_bytes(&kd, PSA_KEY_DERIVATION_INPUT_SALT, buf, 4),
	    PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_key_derivation_output_bytes(&kd, buf, 4), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_key_derivation_output_key(&a, &kd, &key), PSA_ERROR_BAD_STATE);
	ck_assert_uint_eq(key, 0);
	/* Aborting what is not active is fine. */
	PSA_EQ(psa_hash_abort(&h), PSA_SUCCESS);
	PSA_EQ(psa_mac_abort(&m), PSA_SUCCESS);
	PSA_EQ(psa_cipher_abort(&c), PSA_SUCCESS);
	PSA_EQ(psa_aead_abort(&ae), PSA_SUCCESS);
	PSA_EQ(psa_key_derivation_abort(&kd), PSA_SUCCESS);
}
END_TEST

/* ---- multipart operations against the service (pending until it serves them) ---- */

/* Two million "a": more than the service takes in one request (1 MiB). */
static uint8_t psa_t_long[2000000];
static uint8_t psa_t_out[sizeof(psa_t_long) + 16], psa_t_back[sizeof(psa_t_long) + 16];

START_TEST(test_hash_multipart)
{
	psa_hash_operation_t h = PSA_HASH_OPERATION_INIT, c = PSA_HASH_OPERATION_INIT;
	uint8_t want[32], out[64];
	size_t len;

	psa_t_init();
	psa_t_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	PSA_T_PENDING(psa_hash_setup(&h, PSA_ALG_SHA_256), "multipart hash");
	ck_assert_uint_ne(h.handle, 0);
	/* A second setup on an active operation is a bad state, and ends it. */
	PSA_EQ(psa_hash_setup(&h, PSA_ALG_SHA_256), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"a", 1), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_setup(&h, PSA_ALG_SHA_256), PSA_SUCCESS);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"a", 1), PSA_SUCCESS);
	PSA_EQ(psa_hash_update(&h, NULL, 0), PSA_SUCCESS);
	PSA_EQ(psa_hash_clone(&h, &c), PSA_SUCCESS);
	PSA_EQ(psa_hash_clone(&h, &c), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"bc", 2), PSA_SUCCESS);
	PSA_EQ(psa_hash_update(&c, (const uint8_t *)"bc", 2), PSA_SUCCESS);
	PSA_EQ(psa_hash_finish(&h, out, 31, &len), PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(len, 0);
	/* The error ended it. */
	PSA_EQ(psa_hash_finish(&h, out, sizeof(out), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_verify(&c, want, 32), PSA_SUCCESS);
	ck_assert_uint_eq(c.handle, 0);
	PSA_EQ(psa_hash_setup(&h, PSA_ALG_SHA_256), PSA_SUCCESS);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"abc", 3), PSA_SUCCESS);
	PSA_EQ(psa_hash_finish(&h, out, sizeof(out), &len), PSA_SUCCESS);
	ck_assert(len == 32 && memcmp(out, want, 32) == 0);
	PSA_EQ(psa_hash_setup(&h, PSA_ALG_SHA_256), PSA_SUCCESS);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"abd", 3), PSA_SUCCESS);
	PSA_EQ(psa_hash_verify(&h, want, 32), PSA_ERROR_INVALID_SIGNATURE);
	PSA_EQ(psa_hash_abort(&h), PSA_SUCCESS);
	/* Two million "a", sent in parts (the hash computed apart, by Python's hashlib). */
	psa_t_hex("bcf7f9d1b4311c3352e60502255ce09a6744df84e8f2c89f79c4b5d74933a95a", want, 32);
	memset(psa_t_long, 'a', sizeof(psa_t_long));
	PSA_EQ(psa_hash_compute(PSA_ALG_SHA_256, psa_t_long, sizeof(psa_t_long), out,
	    sizeof(out), &len), PSA_SUCCESS);
	ck_assert(len == 32 && memcmp(out, want, 32) == 0);
	PSA_EQ(psa_hash_compare(PSA_ALG_SHA_256, psa_t_long, sizeof(psa_t_long), want, 32),
	    PSA_SUCCESS);
	want[0] ^= 1;
	PSA_EQ(psa_hash_compare(PSA_ALG_SHA_256, psa_t_long, sizeof(psa_t_long), want, 32),
	    PSA_ERROR_INVALID_SIGNATURE);
}
END_TEST

/*
 * psa_hash_suspend and psa_hash_resume: the state in the API's format (its
 * fields checked here; e2e_ext_mp.py checks its words against a separate
 * computation), the operation inactive after a suspend, a resumed hash that
 * ends as the whole message's (FIPS 180-2 B.1), and the errors the API names.
 */
START_TEST(test_hash_suspend)
{
	psa_hash_operation_t h = PSA_HASH_OPERATION_INIT, r = PSA_HASH_OPERATION_INIT;
	uint8_t want[32], out[32], state[PSA_HASH_SUSPEND_OUTPUT_SIZE(PSA_ALG_SHA_256)];
	const uint8_t head[] = { 0x02, 0x00, 0x00, 0x09, 0, 0, 0, 0, 0, 0, 0, 2 };
	size_t len = 7, slen;

	psa_t_init();
	psa_t_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	ck_assert_uint_eq(sizeof(state), 4 + 8 + 32 + 63);
	PSA_EQ(psa_hash_suspend(&h, state, sizeof(state), &len), PSA_ERROR_BAD_STATE);
	ck_assert_uint_eq(len, 0);
	PSA_EQ(psa_hash_setup(&h, PSA_ALG_SHA_256), PSA_SUCCESS);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"ab", 2), PSA_SUCCESS);
	PSA_EQ(psa_hash_suspend(&h, state, sizeof(state), &slen), PSA_SUCCESS);
	/* Algorithm, input length 2, eight words, the two unprocessed bytes. */
	ck_assert_uint_eq(slen, 4 + 8 + 32 + 2);
	ck_assert(memcmp(state, head, sizeof(head)) == 0 && memcmp(state + 44, "ab", 2) == 0);
	ck_assert_uint_eq(h.handle, 0);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"c", 1), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_resume(&r, state, slen), PSA_SUCCESS);
	ck_assert_uint_ne(r.handle, 0);
	/* Resuming onto an active operation is a bad state, which ends it. */
	PSA_EQ(psa_hash_resume(&r, state, slen), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_hash_resume(&r, state, slen), PSA_SUCCESS);
	PSA_EQ(psa_hash_update(&r, (const uint8_t *)"c", 1), PSA_SUCCESS);
	PSA_EQ(psa_hash_finish(&r, out, sizeof(out), &len), PSA_SUCCESS);
	ck_assert(len == 32 && memcmp(out, want, 32) == 0);
	/* The same state twice: each resume is its own operation. */
	PSA_EQ(psa_hash_resume(&h, state, slen), PSA_SUCCESS);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"c", 1), PSA_SUCCESS);
	PSA_EQ(psa_hash_verify(&h, want, 32), PSA_SUCCESS);
	/* Bad states leave the operation inactive. */
	PSA_EQ(psa_hash_resume(&h, state, slen - 1), PSA_ERROR_INVALID_ARGUMENT);
	PSA_EQ(psa_hash_resume(&h, state, 3), PSA_ERROR_INVALID_ARGUMENT);
	state[3] = 0x0b; /* SHA-512's number on SHA-256's fields */
	PSA_EQ(psa_hash_resume(&h, state, slen), PSA_ERROR_INVALID_ARGUMENT);
	state[3] = 0x11; /* SHA3-256: no suspend format */
	PSA_EQ(psa_hash_resume(&h, state, slen), PSA_ERROR_NOT_SUPPORTED);
	ck_assert_uint_eq(h.handle, 0);
	/* Too little room: BUFFER_TOO_SMALL, and the operation ended. */
	PSA_EQ(psa_hash_setup(&h, PSA_ALG_SHA_512), PSA_SUCCESS);
	PSA_EQ(psa_hash_suspend(&h, state, 4 + 16 + 64 - 1, &slen), PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(slen, 0);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"c", 1), PSA_ERROR_BAD_STATE);
	ck_assert_uint_eq(PSA_HASH_SUSPEND_OUTPUT_SIZE(PSA_ALG_SHA3_256), 0);
}
END_TEST

START_TEST(test_mac_multipart)
{
	psa_key_attributes_t a = psa_t_attrs(115, PSA_KEY_TYPE_HMAC, 0, PSA_KEY_USAGE_SIGN_MESSAGE |
	    PSA_KEY_USAGE_VERIFY_MESSAGE, PSA_ALG_HMAC(PSA_ALG_SHA_256));
	psa_mac_operation_t m = PSA_MAC_OPERATION_INIT;
	uint8_t want[32], mac[64];
	psa_key_id_t key;
	size_t len;

	psa_t_init();
	psa_t_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
	PSA_EQ(psa_import_key(&a, (const uint8_t *)"Jefe", 4, &key), PSA_SUCCESS);
	PSA_T_PENDING(psa_mac_sign_setup(&m, key, PSA_ALG_HMAC(PSA_ALG_SHA_256)),
	    "multipart MAC");
	/* Set up again on an active operation: a bad state that ends it. */
	PSA_EQ(psa_mac_sign_setup(&m, key, PSA_ALG_HMAC(PSA_ALG_SHA_256)), PSA_ERROR_BAD_STATE);
	ck_assert_uint_eq(m.handle, 0);
	/* A key that does not exist. */
	PSA_EQ(psa_mac_sign_setup(&m, 114, PSA_ALG_HMAC(PSA_ALG_SHA_256)),
	    PSA_ERROR_INVALID_HANDLE);
	ck_assert_uint_eq(m.handle, 0);
	PSA_EQ(psa_mac_sign_setup(&m, key, PSA_ALG_HMAC(PSA_ALG_SHA_256)), PSA_SUCCESS);
	PSA_EQ(psa_mac_update(&m, (const uint8_t *)"what do ya want ", 16), PSA_SUCCESS);
	PSA_EQ(psa_mac_update(&m, (const uint8_t *)"for nothing?", 12), PSA_SUCCESS);
	/* A signing operation does not verify. */
	PSA_EQ(psa_mac_verify_finish(&m, want, 32), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_mac_sign_setup(&m, key, PSA_ALG_HMAC(PSA_ALG_SHA_256)), PSA_SUCCESS);
	PSA_EQ(psa_mac_update(&m, (const uint8_t *)"what do ya want for nothing?", 28),
	    PSA_SUCCESS);
	PSA_EQ(psa_mac_sign_finish(&m, mac, sizeof(mac), &len), PSA_SUCCESS);
	ck_assert(len == 32 && memcmp(mac, want, 32) == 0);
	PSA_EQ(psa_mac_verify_setup(&m, key, PSA_ALG_HMAC(PSA_ALG_SHA_256)), PSA_SUCCESS);
	PSA_EQ(psa_mac_update(&m, (const uint8_t *)"what do ya want for nothing?", 28),
	    PSA_SUCCESS);
	PSA_EQ(psa_mac_sign_finish(&m, mac, sizeof(mac), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_mac_verify_setup(&m, key, PSA_ALG_HMAC(PSA_ALG_SHA_256)), PSA_SUCCESS);
	PSA_EQ(psa_mac_update(&m, (const uint8_t *)"what do ya want for nothing?", 28),
	    PSA_SUCCESS);
	PSA_EQ(psa_mac_verify_finish(&m, want, 32), PSA_SUCCESS);
	PSA_EQ(psa_mac_verify_setup(&m, key, PSA_ALG_HMAC(PSA_ALG_SHA_256)), PSA_SUCCESS);
	want[0] ^= 1;
	PSA_EQ(psa_mac_verify_finish(&m, want, 32), PSA_ERROR_INVALID_SIGNATURE);
	ck_assert_uint_eq(m.handle, 0);
	/* Two million "a" in one call, sent in parts (the HMAC computed apart, by Python's hmac). */
	psa_t_hex("499c137c833de535c8bbf9f970d75f3213a216595f301a88e1a3ebb17671af2e", want, 32);
	memset(psa_t_long, 'a', sizeof(psa_t_long));
	PSA_EQ(psa_mac_compute(key, PSA_ALG_HMAC(PSA_ALG_SHA_256), psa_t_long,
	    sizeof(psa_t_long), mac, sizeof(mac), &len), PSA_SUCCESS);
	ck_assert(len == 32 && memcmp(mac, want, 32) == 0);
	PSA_EQ(psa_mac_verify(key, PSA_ALG_HMAC(PSA_ALG_SHA_256), psa_t_long,
	    sizeof(psa_t_long), want, 32), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
}
END_TEST

START_TEST(test_cipher_multipart)
{
	psa_key_attributes_t a = psa_t_attrs(116, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT |
	    PSA_KEY_USAGE_DECRYPT, PSA_ALG_CBC_NO_PADDING);
	psa_cipher_operation_t c = PSA_CIPHER_OPERATION_INIT;
	uint8_t pt[48], iv[16], ct[64], one[80], back[64];
	size_t len, n, total;
	psa_key_id_t key;

	psa_t_init();
	memset(pt, 0x33, sizeof(pt));
	PSA_EQ(psa_generate_key(&a, &key), PSA_SUCCESS);
	PSA_T_PENDING(psa_cipher_encrypt_setup(&c, key, PSA_ALG_CBC_NO_PADDING),
	    "multipart cipher");
	/* Text before the IV. */
	PSA_EQ(psa_cipher_update(&c, pt, 16, ct, sizeof(ct), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_cipher_encrypt_setup(&c, key, PSA_ALG_CBC_NO_PADDING), PSA_SUCCESS);
	PSA_EQ(psa_cipher_generate_iv(&c, iv, 15, &len), PSA_ERROR_BUFFER_TOO_SMALL);
	PSA_EQ(psa_cipher_encrypt_setup(&c, key, PSA_ALG_CBC_NO_PADDING), PSA_SUCCESS);
	PSA_EQ(psa_cipher_generate_iv(&c, iv, sizeof(iv), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 16);
	PSA_EQ(psa_cipher_set_iv(&c, iv, 16), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_cipher_encrypt_setup(&c, key, PSA_ALG_CBC_NO_PADDING), PSA_SUCCESS);
	PSA_EQ(psa_cipher_set_iv(&c, iv, 16), PSA_SUCCESS);
	PSA_EQ(psa_cipher_update(&c, pt, 20, ct, sizeof(ct), &n), PSA_SUCCESS);
	total = n;
	PSA_EQ(psa_cipher_update(&c, pt + 20, 28, ct + total, sizeof(ct) - total, &n),
	    PSA_SUCCESS);
	total += n;
	PSA_EQ(psa_cipher_finish(&c, ct + total, sizeof(ct) - total, &n), PSA_SUCCESS);
	total += n;
	ck_assert_uint_eq(total, 48);
	/* The one-shot decryption of IV || text gives the text back. */
	memcpy(one, iv, 16);
	memcpy(one + 16, ct, 48);
	PSA_EQ(psa_cipher_decrypt(key, PSA_ALG_CBC_NO_PADDING, one, 64, back, sizeof(back), &len),
	    PSA_SUCCESS);
	ck_assert(len == 48 && memcmp(back, pt, 48) == 0);
	/* Two million bytes in one update each way: the library sends them in parts. */
	memset(psa_t_long, 'a', sizeof(psa_t_long));
	PSA_EQ(psa_cipher_encrypt_setup(&c, key, PSA_ALG_CBC_NO_PADDING), PSA_SUCCESS);
	PSA_EQ(psa_cipher_set_iv(&c, iv, 16), PSA_SUCCESS);
	PSA_EQ(psa_cipher_update(&c, psa_t_long, sizeof(psa_t_long), psa_t_out, sizeof(psa_t_out),
	    &total), PSA_SUCCESS);
	PSA_EQ(psa_cipher_finish(&c, psa_t_out + total, sizeof(psa_t_out) - total, &n),
	    PSA_SUCCESS);
	ck_assert_uint_eq(total + n, sizeof(psa_t_long));
	PSA_EQ(psa_cipher_decrypt_setup(&c, key, PSA_ALG_CBC_NO_PADDING), PSA_SUCCESS);
	PSA_EQ(psa_cipher_set_iv(&c, iv, 16), PSA_SUCCESS);
	PSA_EQ(psa_cipher_update(&c, psa_t_out, sizeof(psa_t_long), psa_t_back, sizeof(psa_t_back),
	    &total), PSA_SUCCESS);
	PSA_EQ(psa_cipher_finish(&c, psa_t_back + total, sizeof(psa_t_back) - total, &n),
	    PSA_SUCCESS);
	ck_assert(total + n == sizeof(psa_t_long) && memcmp(psa_t_back, psa_t_long,
	    sizeof(psa_t_long)) == 0);
	/* And one-shot: IV || text out, the same back. */
	PSA_EQ(psa_cipher_encrypt(key, PSA_ALG_CBC_NO_PADDING, psa_t_long, sizeof(psa_t_long),
	    psa_t_out, sizeof(psa_t_out), &total), PSA_SUCCESS);
	ck_assert_uint_eq(total, 16 + sizeof(psa_t_long));
	memset(psa_t_back, 0, sizeof(psa_t_back));
	PSA_EQ(psa_cipher_decrypt(key, PSA_ALG_CBC_NO_PADDING, psa_t_out, total, psa_t_back,
	    sizeof(psa_t_back), &n), PSA_SUCCESS);
	ck_assert(n == sizeof(psa_t_long) && memcmp(psa_t_back, psa_t_long,
	    sizeof(psa_t_long)) == 0);
	PSA_EQ(psa_cipher_decrypt(key, PSA_ALG_CBC_NO_PADDING, psa_t_out, total, psa_t_back,
	    1000, &n), PSA_ERROR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(n, 0);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
}
END_TEST

/*
 * Two million bytes in one update each way (the library sends them in parts):
 * back whole, and the ciphertext's start is the one-shot ciphertext of the
 * text's start under the same nonce (GCM is a counter mode).
 */
static void
psa_t_aead_long(psa_key_id_t key)
{
	psa_aead_operation_t op = PSA_AEAD_OPERATION_INIT;
	uint8_t nonce[12] = { 7 }, tag[16], one[1000 + 16];
	size_t total, n, tag_len;

	memset(psa_t_long, 'a', sizeof(psa_t_long));
	PSA_EQ(psa_aead_encrypt_setup(&op, key, PSA_ALG_GCM), PSA_SUCCESS);
	PSA_EQ(psa_aead_set_nonce(&op, nonce, sizeof(nonce)), PSA_SUCCESS);
	PSA_EQ(psa_aead_update(&op, psa_t_long, sizeof(psa_t_long), psa_t_out, sizeof(psa_t_out),
	    &total), PSA_SUCCESS);
	PSA_EQ(psa_aead_finish(&op, psa_t_out + total, sizeof(psa_t_out) - total, &n, tag,
	    sizeof(tag), &tag_len), PSA_SUCCESS);
	ck_assert(total + n == sizeof(psa_t_long) && tag_len == 16);
	PSA_EQ(psa_aead_encrypt(key, PSA_ALG_GCM, nonce, sizeof(nonce), NULL, 0, psa_t_long, 1000,
	    one, sizeof(one), &n), PSA_SUCCESS);
	ck_assert(n == sizeof(one) && memcmp(one, psa_t_out, 1000) == 0);
	memset(psa_t_back, 0, sizeof(psa_t_back));
	PSA_EQ(psa_aead_decrypt_setup(&op, key, PSA_ALG_GCM), PSA_SUCCESS);
	PSA_EQ(psa_aead_set_nonce(&op, nonce, sizeof(nonce)), PSA_SUCCESS);
	PSA_EQ(psa_aead_update(&op, psa_t_out, sizeof(psa_t_long), psa_t_back, sizeof(psa_t_back),
	    &total), PSA_SUCCESS);
	PSA_EQ(psa_aead_verify(&op, psa_t_back + total, sizeof(psa_t_back) - total, &n, tag, 16),
	    PSA_SUCCESS);
	ck_assert(total + n == sizeof(psa_t_long) &&
	    memcmp(psa_t_back, psa_t_long, sizeof(psa_t_long)) == 0);
}

START_TEST(test_aead_multipart)
{
	psa_key_attributes_t a = psa_t_attrs(117, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT |
	    PSA_KEY_USAGE_DECRYPT, PSA_ALG_GCM);
	psa_aead_operation_t op = PSA_AEAD_OPERATION_INIT;
	uint8_t pt[30], nonce[12], ct[64], tag[16], one[64], back[64];
	size_t len, n, tag_len, total;
	psa_key_id_t key;

	psa_t_init();
	memset(pt, 0x21, sizeof(pt));
	PSA_EQ(psa_generate_key(&a, &key), PSA_SUCCESS);
	PSA_EQ(psa_aead_encrypt_setup(&op, key, PSA_ALG_GCM), PSA_SUCCESS);
	PSA_EQ(psa_aead_update_ad(&op, (const uint8_t *)"ad", 2), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_aead_encrypt_setup(&op, key, PSA_ALG_GCM), PSA_SUCCESS);
	PSA_EQ(psa_aead_generate_nonce(&op, nonce, sizeof(nonce), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 12);
	PSA_EQ(psa_aead_update_ad(&op, (const uint8_t *)"ad", 2), PSA_SUCCESS);
	PSA_EQ(psa_aead_update(&op, pt, 10, ct, sizeof(ct), &n), PSA_SUCCESS);
	total = n;
	PSA_EQ(psa_aead_update(&op, pt + 10, 20, ct + total, sizeof(ct) - total, &n),
	    PSA_SUCCESS);
	total += n;
	PSA_EQ(psa_aead_finish(&op, ct + total, sizeof(ct) - total, &n, tag, sizeof(tag),
	    &tag_len), PSA_SUCCESS);
	total += n;
	ck_assert(total == 30 && tag_len == 16);
	/* One shot over the same nonce and data: ciphertext || tag. */
	memcpy(one, ct, 30);
	memcpy(one + 30, tag, 16);
	PSA_EQ(psa_aead_decrypt(key, PSA_ALG_GCM, nonce, 12, (const uint8_t *)"ad", 2, one, 46,
	    back, sizeof(back), &len), PSA_SUCCESS);
	ck_assert(len == 30 && memcmp(back, pt, 30) == 0);
	/* Multipart decryption: no nonce of its own, and a bad tag. */
	PSA_EQ(psa_aead_decrypt_setup(&op, key, PSA_ALG_GCM), PSA_SUCCESS);
	PSA_EQ(psa_aead_generate_nonce(&op, nonce, sizeof(nonce), &len), PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_aead_decrypt_setup(&op, key, PSA_ALG_GCM), PSA_SUCCESS);
	PSA_EQ(psa_aead_set_nonce(&op, nonce, 12), PSA_SUCCESS);
	PSA_EQ(psa_aead_update_ad(&op, (const uint8_t *)"ad", 2), PSA_SUCCESS);
	PSA_EQ(psa_aead_update(&op, ct, 30, back, sizeof(back), &n), PSA_SUCCESS);
	total = n;
	PSA_EQ(psa_aead_finish(&op, back, sizeof(back), &n, tag, sizeof(tag), &tag_len),
	    PSA_ERROR_BAD_STATE);
	/* The right tag, the text cut at 7 and 23: the plaintext back. */
	PSA_EQ(psa_aead_decrypt_setup(&op, key, PSA_ALG_GCM), PSA_SUCCESS);
	PSA_EQ(psa_aead_set_nonce(&op, nonce, 12), PSA_SUCCESS);
	PSA_EQ(psa_aead_update_ad(&op, (const uint8_t *)"ad", 2), PSA_SUCCESS);
	memset(back, 0, sizeof(back));
	PSA_EQ(psa_aead_update(&op, ct, 7, back, sizeof(back), &n), PSA_SUCCESS);
	total = n;
	PSA_EQ(psa_aead_update(&op, ct + 7, 16, back + total, sizeof(back) - total, &n),
	    PSA_SUCCESS);
	total += n;
	PSA_EQ(psa_aead_update(&op, ct + 23, 7, back + total, sizeof(back) - total, &n),
	    PSA_SUCCESS);
	total += n;
	PSA_EQ(psa_aead_verify(&op, back + total, sizeof(back) - total, &len, tag, 16),
	    PSA_SUCCESS);
	ck_assert(total + len == 30 && memcmp(back, pt, 30) == 0);
	PSA_EQ(psa_aead_decrypt_setup(&op, key, PSA_ALG_GCM), PSA_SUCCESS);
	PSA_EQ(psa_aead_set_nonce(&op, nonce, 12), PSA_SUCCESS);
	PSA_EQ(psa_aead_update(&op, ct, 30, back, sizeof(back), &n), PSA_SUCCESS);
	tag[0] ^= 1;
	PSA_EQ(psa_aead_verify(&op, back + n, sizeof(back) - n, &len, tag, 16),
	    PSA_ERROR_INVALID_SIGNATURE);
	ck_assert_uint_eq(op.handle, 0);
	psa_t_aead_long(key);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
}
END_TEST

/* HKDF's inputs in their order: salt, the secret as a key, info. */
static void
psa_t_hkdf_inputs(psa_key_derivation_operation_t *kd, const uint8_t *salt, size_t salt_len,
    psa_key_id_t secret, const uint8_t *info, size_t info_len)
{
	PSA_EQ(psa_key_derivation_input_bytes(kd, PSA_KEY_DERIVATION_INPUT_SALT, salt, salt_len),
	    PSA_SUCCESS);
	PSA_EQ(psa_key_derivation_input_key(kd, PSA_KEY_DERIVATION_INPUT_SECRET, secret),
	    PSA_SUCCESS);
	PSA_EQ(psa_key_derivation_input_bytes(kd, PSA_KEY_DERIVATION_INPUT_INFO, info, info_len),
	    PSA_SUCCESS);
}

START_TEST(test_derivation)
{
	psa_key_derivation_operation_t kd = PSA_KEY_DERIVATION_OPERATION_INIT;
	psa_key_attributes_t out_a = psa_t_attrs(119, PSA_KEY_TYPE_AES, 128,
	    PSA_KEY_USAGE_EXPORT, PSA_ALG_CTR);
	psa_key_attributes_t in_a = psa_t_attrs(118, PSA_KEY_TYPE_DERIVE, 0, PSA_KEY_USAGE_DERIVE,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256));
	uint8_t ikm[22], salt[13], info[10], okm[42], want[42], exported[16];
	psa_key_id_t secret, derived;
	size_t cap, len;
	psa_status_t st;

	psa_t_init();
	/* RFC 5869 test case 1. */
	memset(ikm, 0x0b, sizeof(ikm));
	psa_t_hex("000102030405060708090a0b0c", salt, sizeof(salt));
	psa_t_hex("f0f1f2f3f4f5f6f7f8f9", info, sizeof(info));
	psa_t_hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887"
	    "185865", want, sizeof(want));
	PSA_EQ(psa_import_key(&in_a, ikm, sizeof(ikm), &secret), PSA_SUCCESS);
	PSA_T_PENDING(psa_key_derivation_setup(&kd, PSA_ALG_HKDF(PSA_ALG_SHA_256)),
	    "key derivation");
	psa_t_hkdf_inputs(&kd, salt, sizeof(salt), secret, info, sizeof(info));
	PSA_EQ(psa_key_derivation_set_capacity(&kd, 42 + 16), PSA_SUCCESS);
	PSA_EQ(psa_key_derivation_get_capacity(&kd, &cap), PSA_SUCCESS);
	ck_assert_uint_eq(cap, 58);
	PSA_EQ(psa_key_derivation_output_bytes(&kd, okm, sizeof(okm)), PSA_SUCCESS);
	ck_assert(memcmp(okm, want, sizeof(okm)) == 0);
	PSA_EQ(psa_key_derivation_output_key(&out_a, &kd, &derived), PSA_SUCCESS);
	PSA_EQ(psa_export_key(derived, exported, sizeof(exported), &len), PSA_SUCCESS);
	ck_assert_uint_eq(len, 16);
	PSA_EQ(psa_key_derivation_output_bytes(&kd, okm, 1), PSA_ERROR_INSUFFICIENT_DATA);
	/* No more input once output began. */
	PSA_EQ(psa_key_derivation_input_bytes(&kd, PSA_KEY_DERIVATION_INPUT_INFO, info, 1),
	    PSA_ERROR_BAD_STATE);
	PSA_EQ(psa_key_derivation_abort(&kd), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(derived), PSA_SUCCESS);
	/* Into a volatile key: the same inputs, so the first 16 bytes of the same output. */
	PSA_EQ(psa_key_derivation_setup(&kd, PSA_ALG_HKDF(PSA_ALG_SHA_256)), PSA_SUCCESS);
	psa_t_hkdf_inputs(&kd, salt, sizeof(salt), secret, info, sizeof(info));
	psa_set_key_lifetime(&out_a, PSA_KEY_LIFETIME_VOLATILE);
	st = psa_key_derivation_output_key(&out_a, &kd, &derived);
	PSA_EQ(psa_key_derivation_abort(&kd), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(secret), PSA_SUCCESS);
	PSA_T_PENDING(st, "derivation into a volatile key");
	PSA_EQ(st, PSA_SUCCESS);
	ck_assert_uint_ge(derived, PSA_KEY_ID_VENDOR_MIN);
	PSA_EQ(psa_export_key(derived, exported, sizeof(exported), &len), PSA_SUCCESS);
	ck_assert(len == 16 && memcmp(exported, want, 16) == 0);
	PSA_EQ(psa_destroy_key(derived), PSA_SUCCESS);
}
END_TEST

/* ---- volatile keys and copies (pending until the service serves them) ---- */

START_TEST(test_volatile)
{
	psa_key_attributes_t a = psa_t_attrs(0, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_EXPORT |
	    PSA_KEY_USAGE_COPY | PSA_KEY_USAGE_ENCRYPT, PSA_ALG_CTR);
	psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t k[16] = { 1, 2, 3, 4 }, out[32];
	psa_key_id_t key = 0, copy;
	size_t len;

	psa_t_init();
	PSA_T_PENDING(psa_import_key(&a, k, sizeof(k), &key), "volatile keys");
	ck_assert_uint_ge(key, PSA_KEY_ID_VENDOR_MIN);
	ck_assert_uint_le(key, PSA_KEY_ID_VENDOR_MAX);
	PSA_EQ(psa_get_key_attributes(key, &got), PSA_SUCCESS);
	ck_assert_uint_eq(psa_get_key_lifetime(&got), PSA_KEY_LIFETIME_VOLATILE);
	ck_assert_uint_eq(psa_get_key_id(&got), key);
	PSA_EQ(psa_export_key(key, out, sizeof(out), &len), PSA_SUCCESS);
	ck_assert(len == 16 && memcmp(out, k, 16) == 0);
	/* A persistent copy with a narrower policy. */
	a = psa_t_attrs(120, 0, 0, PSA_KEY_USAGE_EXPORT, PSA_ALG_CTR);
	PSA_T_PENDING(psa_copy_key(key, &a, &copy), "copy key");
	ck_assert_uint_eq(copy, 120);
	PSA_EQ(psa_export_key(copy, out, sizeof(out), &len), PSA_SUCCESS);
	ck_assert(len == 16 && memcmp(out, k, 16) == 0);
	PSA_EQ(psa_get_key_attributes(copy, &got), PSA_SUCCESS);
	ck_assert_uint_eq(psa_get_key_usage_flags(&got), PSA_KEY_USAGE_EXPORT);
	PSA_EQ(psa_destroy_key(copy), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
	PSA_EQ(psa_export_key(key, out, sizeof(out), &len), PSA_ERROR_INVALID_HANDLE);
}
END_TEST

/* How many volatile keys of the suite's application the service holds (ListKeys). */
static int
psa_t_volatile_count(void)
{
	list_keys_Result res = list_keys_Result_init_zero;
	struct wire_hdr hdr;
	uint8_t *body;
	size_t body_len;
	int fd = test_connect(psa_t_daemon.socket_path), n = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(test_send_request(fd, 0, OP_LIST_KEYS, WIRE_AUTH_DIRECT, PSA_T_APP,
	    strlen(PSA_T_APP), NULL, 0, 1), 0);
	ck_assert_int_eq(test_read_response(fd, &hdr, &body, &body_len), 0);
	ck_assert_int_eq(test_answer(&hdr, body, body_len, list_keys_Result_fields, &res), 0);
	for (pb_size_t i = 0; i < res.keys_count; i++)
		n += res.keys[i].name != NULL && strncmp(res.keys[i].name, "psa-volatile-", 13) == 0;
	pb_release(list_keys_Result_fields, &res);
	close(fd);
	return n;
}

/* Waits up to 5 s for the service to hold want volatile keys. */
static int
psa_t_volatile_wait(int want)
{
	for (int i = 0; i < 100; i++) {
		if (psa_t_volatile_count() == want)
			return 1;
		usleep(50000);
	}
	return 0;
}

/* A process holding a volatile key, killed with SIGKILL: the service drops the key. */
START_TEST(test_volatile_sigkill)
{
	psa_key_attributes_t a = psa_t_attrs(0, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CTR);
	int ready[2], before;
	psa_key_id_t key;
	char c = 0;
	pid_t pid;

	psa_t_init();
	PSA_T_PENDING(psa_generate_key(&a, &key), "volatile keys");
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
	before = psa_t_volatile_count();
	ck_assert_int_eq(pipe(ready), 0);
	if ((pid = fork()) == 0) {
		close(ready[0]);
		c = psa_generate_key(&a, &key) == PSA_SUCCESS ? 'y' : 'n';
		(void)!write(ready[1], &c, 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	ck_assert_int_eq(psa_t_volatile_count(), before + 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_msg(psa_t_volatile_wait(before), "the killed process's volatile key remained");
}
END_TEST

/* ---- threads and fork ---- */

static psa_key_id_t psa_t_shared_key;

static void *
psa_t_thread(void *arg)
{
	uint8_t hash[32], sig[64];
	size_t len;
	intptr_t bad = 0;

	memset(hash, (int)(intptr_t)arg, sizeof(hash));
	for (int i = 0; i < 20; i++) {
		bad += psa_sign_hash(psa_t_shared_key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig,
		    sizeof(sig), &len) != PSA_SUCCESS;
		bad += psa_verify_hash(psa_t_shared_key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32,
		    sig, len) != PSA_SUCCESS;
		bad += psa_hash_compute(PSA_ALG_SHA_256, sig, len, hash, sizeof(hash), &len) !=
		    PSA_SUCCESS;
	}
	return (void *)bad;
}

START_TEST(test_threads)
{
	pthread_t threads[8];
	void *bad;
	int i;

	psa_t_init();
	PSA_EQ(psa_t_p256(121, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH,
	    &psa_t_shared_key), PSA_SUCCESS);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, psa_t_thread,
		    (void *)(intptr_t)(i + 1)), 0);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(pthread_join(threads[i], &bad), 0);
		ck_assert_msg(bad == NULL, "thread %d: %ld calls failed", i, (long)(intptr_t)bad);
	}
	PSA_EQ(psa_destroy_key(psa_t_shared_key), PSA_SUCCESS);
}
END_TEST

/* How many sockets this process holds open. */
static int
psa_t_sockets(void)
{
	char path[64], target[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if ((len = readlink(path, target, sizeof(target) - 1)) <= 0)
			continue;
		target[len] = '\0';
		n += strncmp(target, "socket:", 7) == 0;
	}
	return n;
}

/*
 * After fork() the child holds none of the parent's connections (it opens
 * its own on its first call), and the parent carries on with its own.
 */
START_TEST(test_fork)
{
	uint8_t hash[32] = { 7 }, sig[64];
	size_t len;
	psa_key_id_t key;
	int status;
	pid_t pid;

	psa_t_init();
	PSA_EQ(psa_t_p256(122, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH, &key),
	    PSA_SUCCESS);
	PSA_EQ(psa_sign_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, sizeof(sig),
	    &len), PSA_SUCCESS);
	ck_assert_int_ge(psa_t_sockets(), 1);
	if ((pid = fork()) == 0) {
		uint8_t sig2[64];
		size_t len2;

		if (psa_t_sockets() != 0)
			_exit(2);
		/* No second psa_crypto_init: the child carries on. */
		if (psa_verify_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, len) !=
		    PSA_SUCCESS || psa_sign_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32,
		    sig2, sizeof(sig2), &len2) != PSA_SUCCESS)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: status %d", status);
	PSA_EQ(psa_verify_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, len),
	    PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
}
END_TEST

/* The service is the truth: a key another process destroyed is gone here too. */
START_TEST(test_other_process_destroys)
{
	psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t hash[32] = { 3 }, sig[64];
	psa_key_id_t key;
	size_t len;
	int status;
	pid_t pid;

	psa_t_init();
	PSA_EQ(psa_t_p256(125, PSA_KEY_USAGE_SIGN_HASH, &key), PSA_SUCCESS);
	PSA_EQ(psa_get_key_attributes(key, &got), PSA_SUCCESS);
	if ((pid = fork()) == 0)
		_exit(psa_destroy_key(key) == PSA_SUCCESS ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PSA_EQ(psa_get_key_attributes(key, &got), PSA_ERROR_INVALID_HANDLE);
	PSA_EQ(psa_sign_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, sizeof(sig),
	    &len), PSA_ERROR_INVALID_HANDLE);
	PSA_EQ(psa_purge_key(key), PSA_ERROR_DOES_NOT_EXIST);
}
END_TEST

/*
 * The service closes connections idle longer than its keep-alive time (1.5 s
 * here); the library's next call opens a new one. A volatile key or a
 * multipart operation must not go with an idle connection.
 */
START_TEST(test_idle)
{
	psa_key_attributes_t a = psa_t_attrs(0, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CTR);
	psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;
	psa_hash_operation_t h = PSA_HASH_OPERATION_INIT;
	uint8_t buf[16], want[32];
	psa_key_id_t key;

	psa_t_init();
	PSA_EQ(psa_generate_random(buf, sizeof(buf)), PSA_SUCCESS);
	sleep(3);
	PSA_EQ(psa_generate_random(buf, sizeof(buf)), PSA_SUCCESS);
	PSA_T_PENDING(psa_generate_key(&a, &key), "volatile keys");
	sleep(3);
	PSA_EQ(psa_get_key_attributes(key, &got), PSA_SUCCESS);
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
	/* Nor a multipart operation. */
	PSA_T_PENDING(psa_hash_setup(&h, PSA_ALG_SHA_256), "multipart hash");
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"ab", 2), PSA_SUCCESS);
	sleep(3);
	PSA_EQ(psa_hash_update(&h, (const uint8_t *)"c", 1), PSA_SUCCESS);
	psa_t_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	PSA_EQ(psa_hash_verify(&h, want, 32), PSA_SUCCESS);
}
END_TEST

/*
 * A volatile key is the parent's alone: the child cannot name it, and the
 * parent's exit takes it even while a child it forked lives on.
 */
START_TEST(test_fork_volatile)
{
	psa_key_attributes_t a = psa_t_attrs(0, PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CTR);
	psa_key_id_t key;
	int status, before, gone[2];
	pid_t pid, holder;
	char c;

	psa_t_init();
	PSA_T_PENDING(psa_generate_key(&a, &key), "volatile keys");
	/* The parent's volatile key is not the child's. */
	if ((pid = fork()) == 0) {
		psa_key_attributes_t got = PSA_KEY_ATTRIBUTES_INIT;

		_exit(psa_get_key_attributes(key, &got) == PSA_ERROR_INVALID_HANDLE &&
		    psa_destroy_key(key) == PSA_ERROR_INVALID_HANDLE ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the child reached its parent's volatile key");
	PSA_EQ(psa_destroy_key(key), PSA_SUCCESS);
	before = psa_t_volatile_count();
	ck_assert_int_eq(pipe(gone), 0);
	/* holder: makes a key, forks a child that outlives it, exits. */
	if ((holder = fork()) == 0) {
		close(gone[1]);
		if (psa_generate_key(&a, &key) != PSA_SUCCESS)
			_exit(1);
		if ((pid = fork()) == 0) {
			uint8_t buf[8];

			(void)psa_generate_random(buf, sizeof(buf));
			/* Lives until the test closes its end of the pipe. */
			(void)!read(gone[0], &c, 1);
			_exit(0);
		}
		_exit(0);
	}
	close(gone[0]);
	ck_assert_int_eq(waitpid(holder, &status, 0), holder);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(psa_t_volatile_wait(before),
	    "the exited process's volatile key remained while its child lived");
	close(gone[1]);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "init", 30, NULL, NULL, { TEST(test_before_init), TEST(test_init_twice),
		    TEST(test_init_no_service), TEST(test_init_bad_provider) } },
		{ "keyless", 30, NULL, NULL, { TEST(test_random), TEST(test_hash_oneshot) } },
		{ "keys", 60, NULL, NULL, { TEST(test_key_life), TEST(test_key_ids),
		    TEST(test_import_export), TEST(test_many_keys) } },
		{ "oneshot", 60, NULL, NULL, { TEST(test_sign_verify), TEST(test_mac),
		    TEST(test_cipher_aead), TEST(test_asymmetric), TEST(test_key_agreement) } },
		{ "multipart", 60, NULL, NULL, { TEST(test_multipart_state),
		    TEST(test_hash_multipart), TEST(test_hash_suspend), TEST(test_mac_multipart),
		    TEST(test_cipher_multipart), TEST(test_aead_multipart),
		    TEST(test_derivation) } },
		{ "volatile", 60, NULL, NULL, { TEST(test_volatile), TEST(test_volatile_sigkill),
		    TEST(test_fork_volatile), TEST(test_idle) } },
		{ "concurrency", 60, NULL, NULL, { TEST(test_threads), TEST(test_fork),
		    TEST(test_other_process_destroys) } },
	};
	char endpoint[400];
	int rc;

	/* Idle connections closed soon, so that the library meets it (test_idle). */
	if (test_daemon_start(&psa_t_daemon, NULL, "keep_alive_timeout = 1500") != 0) {
		fprintf(stderr, "parsecd did not start (log %s)\n", psa_t_daemon.log_path);
		return 1;
	}
	snprintf(endpoint, sizeof(endpoint), "unix:%s", psa_t_daemon.socket_path);
	setenv("PARSEC_SERVICE_ENDPOINT", endpoint, 1);
	setenv("PARSEC_APP_NAME", PSA_T_APP, 1);
	unsetenv("PARSEC_PSA_PROVIDER");
	rc = test_main("psa", cases, sizeof(cases) / sizeof(cases[0]));
	test_daemon_stop(&psa_t_daemon);
	return rc;
}
