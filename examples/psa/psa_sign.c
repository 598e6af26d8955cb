/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A plain PSA Crypto API 1.0 program, nothing in it parsecd's: hash a
 * message, make a signing key, sign the message and verify it, then seal and
 * open it with an AES-GCM key. Built against Mbed TLS it keeps its keys in its
 * own memory; built against libparsec-psa, in parsecd:
 *   cc psa_sign.c -lmbedcrypto
 *   cc psa_sign.c $(pkg-config --cflags --libs parsec-psa)
 * Both print the same lines.
 */
#include <stdio.h>
#include <string.h>

#include <psa/crypto.h>

static const uint8_t message[] = "a message worth signing";

static int
fail(const char *what, psa_status_t st)
{
	fprintf(stderr, "%s failed: %d\n", what, (int)st);
	return 1;
}

static void
print_hex(const char *label, const uint8_t *p, size_t len)
{
	size_t i;

	printf("%s ", label);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/* A volatile ECDSA P-256 key: sign the message, verify the signature. */
static int
sign_and_verify(void)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_algorithm_t alg = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
	uint8_t sig[PSA_SIGNATURE_MAX_SIZE];
	size_t sig_len;
	psa_key_id_t key;
	psa_status_t st;

	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE);
	psa_set_key_algorithm(&attr, alg);
	if ((st = psa_generate_key(&attr, &key)) != PSA_SUCCESS)
		return fail("psa_generate_key", st);
	st = psa_sign_message(key, alg, message, sizeof(message) - 1, sig, sizeof(sig), &sig_len);
	if (st == PSA_SUCCESS)
		st = psa_verify_message(key, alg, message, sizeof(message) - 1, sig, sig_len);
	psa_destroy_key(key);
	if (st != PSA_SUCCESS)
		return fail("sign and verify", st);
	printf("signed and verified (%zu-byte signature)\n", sig_len);
	return 0;
}

/* An imported AES-128 key: seal the message with GCM and a fixed nonce, open it again. */
static int
seal_and_open(void)
{
	static const uint8_t aes_key[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	static const uint8_t nonce[12] = { 0 };
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t sealed[sizeof(message) + 16], opened[sizeof(message)];
	size_t sealed_len, opened_len;
	psa_key_id_t key;
	psa_status_t st;

	psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
	psa_set_key_bits(&attr, 128);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT);
	psa_set_key_algorithm(&attr, PSA_ALG_GCM);
	if ((st = psa_import_key(&attr, aes_key, sizeof(aes_key), &key)) != PSA_SUCCESS)
		return fail("psa_import_key", st);
	st = psa_aead_encrypt(key, PSA_ALG_GCM, nonce, sizeof(nonce), NULL, 0, message,
	    sizeof(message) - 1, sealed, sizeof(sealed), &sealed_len);
	if (st == PSA_SUCCESS)
		st = psa_aead_decrypt(key, PSA_ALG_GCM, nonce, sizeof(nonce), NULL, 0, sealed,
		    sealed_len, opened, sizeof(opened), &opened_len);
	psa_destroy_key(key);
	if (st != PSA_SUCCESS)
		return fail("AES-GCM", st);
	print_hex("sealed", sealed, sealed_len);
	printf("opened: %s\n", opened_len == sizeof(message) - 1 &&
	    memcmp(opened, message, opened_len) == 0 ? "the same message" : "something else");
	return 0;
}

int
main(void)
{
	uint8_t hash[PSA_HASH_LENGTH(PSA_ALG_SHA_256)];
	size_t hash_len;
	psa_status_t st;

	if ((st = psa_crypto_init()) != PSA_SUCCESS)
		return fail("psa_crypto_init", st);
	st = psa_hash_compute(PSA_ALG_SHA_256, message, sizeof(message) - 1, hash, sizeof(hash),
	    &hash_len);
	if (st != PSA_SUCCESS)
		return fail("psa_hash_compute", st);
	print_hex("sha256", hash, hash_len);
	return sign_and_verify() || seal_and_open();
}
