/* keys.c: key management: import, generate, export, export_public, copy, destroy, purge,
 * attributes and the policies that forbid. Key ids are never printed: they differ. */
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "tp.h"

/* Persistent ids near the top of the user range, away from anything else's. */
#define KEYS_PERSISTENT_ID	((psa_key_id_t)0x3f5a0001)

static void
keys_attrs(const char *call, psa_key_id_t id)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_status_t st;

	st = psa_get_key_attributes(id, &attr);
	printf("%s %s", call, tp_name(st));
	if (st == PSA_SUCCESS)
		printf(" type=0x%04x bits=%zu usage=0x%08x alg=0x%08x lifetime=0x%08x",
		    (unsigned)psa_get_key_type(&attr), psa_get_key_bits(&attr),
		    (unsigned)psa_get_key_usage_flags(&attr), (unsigned)psa_get_key_algorithm(&attr),
		    (unsigned)psa_get_key_lifetime(&attr));
	printf("\n");
	psa_reset_key_attributes(&attr);
}

static void
keys_export(const char *what, psa_key_id_t id, int public_only, int print)
{
	static uint8_t out[TP_BUF];
	size_t len = 0;
	psa_status_t st;
	char call[96];

	if (!public_only) {
		st = psa_export_key(id, out, sizeof(out), &len);
		snprintf(call, sizeof(call), "psa_export_key %s", what);
		print ? tp_hex(call, st, out, len) : tp_len(call, st, len);
		if (st == PSA_SUCCESS && len > 0) {
			snprintf(call, sizeof(call), "psa_export_key %s short-buffer", what);
			tp_st(call, psa_export_key(id, out, len - 1, &len));
		}
	}
	st = psa_export_public_key(id, out, sizeof(out), &len);
	snprintf(call, sizeof(call), "psa_export_public_key %s", what);
	print ? tp_hex(call, st, out, len) : tp_len(call, st, len);
	if (st == PSA_SUCCESS && len > 0) {
		snprintf(call, sizeof(call), "psa_export_public_key %s short-buffer", what);
		tp_st(call, psa_export_public_key(id, out, len - 1, &len));
	}
}

static void
keys_import(void)
{
	const psa_key_usage_t ex = PSA_KEY_USAGE_EXPORT;
	psa_key_id_t id;

	tp_case("keys import aes-128");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_AES, ex | PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CTR, "000102030405060708090a0b0c0d0e0f");
	/* The id itself differs between the builds; where it lies does not. */
	tp_note("a volatile key's id is in the vendor range: %s", id >= PSA_KEY_ID_VENDOR_MIN &&
	    id <= PSA_KEY_ID_VENDOR_MAX ? "yes" : "no");
	keys_attrs("psa_get_key_attributes", id);
	keys_export("aes", id, 0, 1);
	tp_destroy(id);
	tp_want("psa_get_key_attributes destroyed", psa_get_key_attributes(id,
	    &(psa_key_attributes_t)PSA_KEY_ATTRIBUTES_INIT), PSA_ERROR_INVALID_HANDLE);
	tp_want("psa_destroy_key again", psa_destroy_key(id), PSA_ERROR_INVALID_HANDLE);
	tp_want("psa_destroy_key zero", psa_destroy_key(0), PSA_SUCCESS);

	tp_case("keys import hmac");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_HMAC, ex | PSA_KEY_USAGE_SIGN_HASH,
	    PSA_ALG_HMAC(PSA_ALG_SHA_256), "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
	keys_attrs("psa_get_key_attributes", id);
	keys_export("hmac", id, 0, 1);
	tp_destroy(id);

	tp_case("keys import ecc-p256 key pair");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    ex | PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256), FIX_P256_6979_PRIV);
	keys_attrs("psa_get_key_attributes", id);
	keys_export("ecc-p256", id, 0, 1);
	tp_destroy(id);

	tp_case("keys import ecc-p256 public");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1),
	    PSA_KEY_USAGE_VERIFY_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256), FIX_P256_6979_PUB);
	keys_attrs("psa_get_key_attributes", id);
	keys_export("ecc-p256-public", id, 0, 1);
	tp_destroy(id);

	tp_case("keys import x25519 key pair");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY),
	    ex | PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH, FIX_X25519_A);
	keys_attrs("psa_get_key_attributes", id);
	keys_export("x25519", id, 0, 1);
	tp_destroy(id);

	tp_case("keys import rsa-2048 key pair");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_RSA_KEY_PAIR, ex | PSA_KEY_USAGE_SIGN_HASH,
	    PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), FIX_RSA2048);
	keys_attrs("psa_get_key_attributes", id);
	keys_export("rsa-2048", id, 0, 1);
	tp_destroy(id);

	tp_case("keys import not exportable");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256), FIX_P256_6979_PRIV);
	keys_export("no-export-flag", id, 0, 1);
	tp_destroy(id);
	id = tp_import("psa_import_key", PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT, PSA_ALG_CTR,
	    "000102030405060708090a0b0c0d0e0f");
	tp_want("psa_export_key no-export-flag", psa_export_key(id, (uint8_t[32]){ 0 }, 32,
	    &(size_t){ 0 }), PSA_ERROR_NOT_PERMITTED);
	tp_want("psa_export_public_key symmetric", psa_export_public_key(id, (uint8_t[32]){ 0 },
	    32, &(size_t){ 0 }), PSA_ERROR_INVALID_ARGUMENT);
	tp_destroy(id);
}

static void
keys_bad_imports(void)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t data[32] = { 1, 2, 3 };
	psa_key_id_t id = 0;

	tp_case("keys bad imports");
	psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
	psa_set_key_bits(&attr, 192);
	tp_want("psa_import_key bits-mismatch", psa_import_key(&attr, data, 16, &id),
	    PSA_ERROR_INVALID_ARGUMENT);
	psa_set_key_bits(&attr, 0);
	tp_want("psa_import_key empty", psa_import_key(&attr, data, 0, &id),
	    PSA_ERROR_INVALID_ARGUMENT);
	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	tp_st("psa_import_key ecc-31-bytes", psa_import_key(&attr, data, 31, &id));
	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
	tp_st("psa_import_key ecc-public-not-a-point", psa_import_key(&attr, data, 32, &id));
	psa_set_key_type(&attr, PSA_KEY_TYPE_RSA_KEY_PAIR);
	tp_st("psa_import_key rsa-not-der", psa_import_key(&attr, data, 32, &id));
	tp_destroy(id);
}

static const struct {
	const char	*name;
	psa_key_type_t	 type;
	size_t		 bits;
	psa_key_usage_t	 usage;
	psa_algorithm_t	 alg;
	int		 public_only;	/* export the public key only */
} keys_gen[] = {
	{ "aes-256", PSA_KEY_TYPE_AES, 256, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CBC_NO_PADDING, 0 },
	{ "hmac-256", PSA_KEY_TYPE_HMAC, 256, PSA_KEY_USAGE_SIGN_MESSAGE,
	    PSA_ALG_HMAC(PSA_ALG_SHA_256), 1 },
	{ "ecc-p256", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
	    PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256), 0 },
	{ "ecc-p384", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 384,
	    PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_384), 1 },
	{ "rsa-2048", PSA_KEY_TYPE_RSA_KEY_PAIR, 2048, PSA_KEY_USAGE_SIGN_HASH |
	    PSA_KEY_USAGE_VERIFY_HASH, PSA_ALG_RSA_PSS(PSA_ALG_SHA_256), 1 },
};

static void
keys_generate(void)
{
	char name[64];
	psa_key_id_t id;
	size_t i;

	for (i = 0; i < sizeof(keys_gen) / sizeof(keys_gen[0]); i++) {
		snprintf(name, sizeof(name), "keys generate %s", keys_gen[i].name);
		tp_case(name);
		id = tp_generate("psa_generate_key", keys_gen[i].type, keys_gen[i].bits,
		    keys_gen[i].usage, keys_gen[i].alg);
		keys_attrs("psa_get_key_attributes", id);
		keys_export(keys_gen[i].name, id, keys_gen[i].public_only, 0);
		tp_destroy(id);
	}
	tp_case("keys generate errors");
	tp_st("psa_generate_key no-type", psa_generate_key(&(psa_key_attributes_t)
	    PSA_KEY_ATTRIBUTES_INIT, &id));
	id = tp_generate("psa_generate_key aes-100-bits", PSA_KEY_TYPE_AES, 100,
	    PSA_KEY_USAGE_ENCRYPT, PSA_ALG_CTR);
	tp_destroy(id);
	id = tp_generate("psa_generate_key ecc-p256-public", PSA_KEY_TYPE_ECC_PUBLIC_KEY(
	    PSA_ECC_FAMILY_SECP_R1), 256, PSA_KEY_USAGE_VERIFY_HASH, PSA_ALG_ECDSA_ANY);
	tp_destroy(id);
}

static void
keys_copy(void)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t src, copy = 0;

	tp_case("keys copy");
	src = tp_import("psa_import_key", PSA_KEY_TYPE_AES, PSA_KEY_USAGE_COPY |
	    PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, PSA_ALG_CTR,
	    "00112233445566778899aabbccddeeff");
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_ENCRYPT);
	psa_set_key_algorithm(&attr, PSA_ALG_CTR);
	if (tp_st("psa_copy_key narrower", psa_copy_key(src, &attr, &copy)) == PSA_SUCCESS) {
		keys_attrs("psa_get_key_attributes copy", copy);
		keys_export("copy", copy, 0, 1);
		tp_destroy(copy);
	}
	psa_set_key_algorithm(&attr, PSA_ALG_CBC_NO_PADDING);
	copy = 0;
	tp_want("psa_copy_key other-alg", psa_copy_key(src, &attr, &copy),
	    PSA_ERROR_INVALID_ARGUMENT);
	tp_destroy(copy);
	psa_set_key_algorithm(&attr, PSA_ALG_CTR);
	psa_set_key_type(&attr, PSA_KEY_TYPE_HMAC);
	copy = 0;
	tp_want("psa_copy_key other-type", psa_copy_key(src, &attr, &copy),
	    PSA_ERROR_INVALID_ARGUMENT);
	tp_destroy(copy);
	tp_destroy(src);
	src = tp_import("psa_import_key no-copy-flag", PSA_KEY_TYPE_AES, PSA_KEY_USAGE_EXPORT |
	    PSA_KEY_USAGE_ENCRYPT, PSA_ALG_CTR, "00112233445566778899aabbccddeeff");
	psa_reset_key_attributes(&attr);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_ENCRYPT);
	psa_set_key_algorithm(&attr, PSA_ALG_CTR);
	copy = 0;
	tp_want("psa_copy_key not-permitted", psa_copy_key(src, &attr, &copy),
	    PSA_ERROR_NOT_PERMITTED);
	tp_destroy(copy);
	tp_destroy(src);
	tp_want("psa_copy_key destroyed", psa_copy_key(src, &attr, &copy),
	    PSA_ERROR_INVALID_HANDLE);
}

/*
 * Every keyed call on an id that names no key, then on a key whose policy
 * forbids each: Mbed TLS looks at the key before whether it can do the
 * operation, so where a provider cannot, the answer must still be the key's.
 */
static void
keys_refusals(psa_key_id_t id)
{
	psa_key_derivation_operation_t kdf = PSA_KEY_DERIVATION_OPERATION_INIT;
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_cipher_operation_t cop = PSA_CIPHER_OPERATION_INIT;
	psa_mac_operation_t mop = PSA_MAC_OPERATION_INIT;
	static uint8_t in[65], out[TP_BUF];
	psa_key_id_t copy = 0;
	size_t len = 0;

	tp_st("psa_export_key", psa_export_key(id, out, sizeof(out), &len));
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_HASH);
	tp_st("psa_copy_key", psa_copy_key(id, &attr, &copy));
	tp_st("psa_mac_compute", psa_mac_compute(id, PSA_ALG_HMAC(PSA_ALG_SHA_256), in, 3, out,
	    sizeof(out), &len));
	tp_st("psa_mac_verify", psa_mac_verify(id, PSA_ALG_HMAC(PSA_ALG_SHA_256), in, 3, in, 32));
	tp_st("psa_mac_sign_setup", psa_mac_sign_setup(&mop, id, PSA_ALG_HMAC(PSA_ALG_SHA_256)));
	tp_st("psa_mac_abort", psa_mac_abort(&mop));
	tp_st("psa_cipher_encrypt", psa_cipher_encrypt(id, PSA_ALG_CTR, in, 16, out, sizeof(out),
	    &len));
	tp_st("psa_cipher_decrypt_setup", psa_cipher_decrypt_setup(&cop, id, PSA_ALG_CTR));
	tp_st("psa_cipher_abort", psa_cipher_abort(&cop));
	tp_st("psa_aead_encrypt", psa_aead_encrypt(id, PSA_ALG_GCM, in, 12, NULL, 0, in, 16, out,
	    sizeof(out), &len));
	tp_st("psa_verify_hash", psa_verify_hash(id, PSA_ALG_ECDSA(PSA_ALG_SHA_256), in, 32, in,
	    64));
	tp_st("psa_asymmetric_encrypt", psa_asymmetric_encrypt(id, PSA_ALG_RSA_PKCS1V15_CRYPT,
	    in, 16, NULL, 0, out, sizeof(out), &len));
	tp_st("psa_raw_key_agreement", psa_raw_key_agreement(PSA_ALG_ECDH, id, in, 65, out,
	    sizeof(out), &len));
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&kdf,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)));
	tp_st("psa_key_derivation_input_key", psa_key_derivation_input_key(&kdf,
	    PSA_KEY_DERIVATION_INPUT_SECRET, id));
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&kdf));
	tp_destroy(copy);
}

static void
keys_refused(void)
{
	psa_key_id_t id;

	tp_case("keys refused no-such-key");
	keys_refusals(0x3ffffff0);
	tp_case("keys refused sign-only ecc-p256");
	id = tp_generate("psa_generate_key", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
	    PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	keys_refusals(id);
	tp_destroy(id);
}

static void
keys_persistent(void)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0, again = 0;
	uint8_t key[16] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6 };

	tp_case("keys persistent");
	psa_set_key_id(&attr, KEYS_PERSISTENT_ID);
	tp_note("lifetime after set_key_id 0x%08x", (unsigned)psa_get_key_lifetime(&attr));
	psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_ENCRYPT);
	psa_set_key_algorithm(&attr, PSA_ALG_CTR);
	tp_st("psa_import_key", psa_import_key(&attr, key, sizeof(key), &id));
	tp_note("the id is the one asked for: %s", id == KEYS_PERSISTENT_ID ? "yes" : "no");
	keys_attrs("psa_get_key_attributes", KEYS_PERSISTENT_ID);
	psa_reset_key_attributes(&attr);
	tp_st("psa_get_key_attributes", psa_get_key_attributes(KEYS_PERSISTENT_ID, &attr));
	tp_note("psa_get_key_id is the id: %s", psa_get_key_id(&attr) == KEYS_PERSISTENT_ID ?
	    "yes" : "no");
	psa_set_key_id(&attr, KEYS_PERSISTENT_ID);
	tp_want("psa_import_key same-id", psa_import_key(&attr, key, sizeof(key), &again),
	    PSA_ERROR_ALREADY_EXISTS);
	tp_want("psa_purge_key", psa_purge_key(KEYS_PERSISTENT_ID), PSA_SUCCESS);
	keys_export("after-purge", KEYS_PERSISTENT_ID, 0, 1);
	tp_destroy(KEYS_PERSISTENT_ID);
	keys_attrs("psa_get_key_attributes destroyed", KEYS_PERSISTENT_ID);
	tp_st("psa_purge_key destroyed", psa_purge_key(KEYS_PERSISTENT_ID));
	tp_st("psa_destroy_key never-made", psa_destroy_key(KEYS_PERSISTENT_ID + 1));
	psa_reset_key_attributes(&attr);
	psa_set_key_id(&attr, 0);
	psa_set_key_lifetime(&attr, PSA_KEY_LIFETIME_PERSISTENT);
	psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
	tp_want("psa_import_key persistent-id-zero", psa_import_key(&attr, key, sizeof(key), &id),
	    PSA_ERROR_INVALID_ARGUMENT);
	psa_set_key_id(&attr, 0x7fff0000);
	tp_want("psa_import_key vendor-id", psa_import_key(&attr, key, sizeof(key), &id),
	    PSA_ERROR_INVALID_ARGUMENT);
	psa_reset_key_attributes(&attr);
	tp_note("reset attributes: type=0x%04x bits=%zu lifetime=0x%08x usage=0x%08x alg=0x%08x",
	    (unsigned)psa_get_key_type(&attr), psa_get_key_bits(&attr),
	    (unsigned)psa_get_key_lifetime(&attr), (unsigned)psa_get_key_usage_flags(&attr),
	    (unsigned)psa_get_key_algorithm(&attr));
}

int
main(void)
{
	tp_init();
	keys_import();
	keys_bad_imports();
	keys_generate();
	keys_copy();
	keys_refused();
	keys_persistent();
	return tp_done();
}
