/* derive.c: key derivation: HKDF (RFC 5869 test cases 1 and 3), the TLS 1.2 PRF (the
 * SHA-256 vector published on the IETF TLS list), TLS 1.2 PSK-to-MS, key agreement into
 * a derivation, derivation into a key, capacity, and the errors. */
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "tp.h"

static void
derive_bytes(const char *call, psa_key_derivation_operation_t *op, size_t len,
    const char *want)
{
	uint8_t out[256];
	psa_status_t st;

	st = psa_key_derivation_output_bytes(op, out, len);
	tp_hex(call, st, out, len);
	if (want != NULL)
		tp_kat(call + 32, st, out, len, want);
}

static void
derive_hkdf_kats(void)
{
	psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
	uint8_t ikm[22], salt[13], info[10];
	size_t capacity = 0;
	psa_key_id_t id;

	tp_unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", ikm, sizeof(ikm));
	tp_unhex("000102030405060708090a0b0c", salt, sizeof(salt));
	tp_unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof(info));
	tp_case("hkdf-sha256 rfc5869 case 1, secret as bytes");
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)));
	tp_st("psa_key_derivation_get_capacity", psa_key_derivation_get_capacity(&op,
	    &capacity));
	tp_note("capacity %zu", capacity);
	tp_st("psa_key_derivation_input_bytes salt", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SALT, salt, sizeof(salt)));
	tp_st("psa_key_derivation_input_bytes secret", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, ikm, sizeof(ikm)));
	tp_st("psa_key_derivation_input_bytes info", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_INFO, info, sizeof(info)));
	/* The call name's tail from byte 32 names the known answer. */
	derive_bytes("psa_key_derivation_output_bytes hkdf-sha256-rfc5869-1", &op, 42,
	    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865");
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));

	tp_case("hkdf-sha256 rfc5869 case 1, secret as a key, output in pieces");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_DERIVE, PSA_KEY_USAGE_DERIVE,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256), "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)));
	tp_st("psa_key_derivation_input_bytes salt", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SALT, salt, sizeof(salt)));
	tp_st("psa_key_derivation_input_key secret", psa_key_derivation_input_key(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, id));
	tp_st("psa_key_derivation_input_bytes info", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_INFO, info, sizeof(info)));
	derive_bytes("psa_key_derivation_output_bytes 1", &op, 1, NULL);
	derive_bytes("psa_key_derivation_output_bytes 31", &op, 31, NULL);
	derive_bytes("psa_key_derivation_output_bytes 10", &op, 10, NULL);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
	tp_destroy(id);

	tp_case("hkdf-sha256 rfc5869 case 3 (no salt, no info)");
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)));
	tp_st("psa_key_derivation_input_bytes secret", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, ikm, sizeof(ikm)));
	tp_st("psa_key_derivation_input_bytes info", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_INFO, info, 0));
	derive_bytes("psa_key_derivation_output_bytes hkdf-sha256-rfc5869-3", &op, 42,
	    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8");
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
}

static void
derive_tls12(void)
{
	psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
	uint8_t secret[16], seed[16];
	static const char label[] = "test label";

	tp_case("tls12-prf-sha256 published vector");
	tp_unhex("9bbe436ba940f017b17652849a71db35", secret, sizeof(secret));
	tp_unhex("a0ba9f936cda311827a6f796ffd5198c", seed, sizeof(seed));
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_TLS12_PRF(PSA_ALG_SHA_256)));
	tp_st("psa_key_derivation_input_bytes seed", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SEED, seed, sizeof(seed)));
	tp_st("psa_key_derivation_input_bytes secret", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, secret, sizeof(secret)));
	tp_st("psa_key_derivation_input_bytes label", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_LABEL, (const uint8_t *)label, strlen(label)));
	derive_bytes("psa_key_derivation_output_bytes tls12-prf-sha256-test-label", &op, 100,
	    "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
	    "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
	    "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
	    "87347b66");
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));

	tp_case("tls12-psk-to-ms-sha256");
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_TLS12_PSK_TO_MS(PSA_ALG_SHA_256)));
	tp_st("psa_key_derivation_input_bytes seed", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SEED, seed, sizeof(seed)));
	tp_st("psa_key_derivation_input_bytes secret", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, secret, sizeof(secret)));
	tp_st("psa_key_derivation_input_bytes label", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_LABEL, (const uint8_t *)"master secret", 13));
	derive_bytes("psa_key_derivation_output_bytes 48", &op, 48, NULL);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
}

static void
derive_agreement_and_key(void)
{
	psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	const psa_algorithm_t alg = PSA_ALG_KEY_AGREEMENT(PSA_ALG_ECDH,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256));
	uint8_t peer[65], out[32];
	size_t len = 0;
	psa_key_id_t id, derived = 0;
	psa_status_t st;

	tp_case("ecdh-p256 into hkdf-sha256, then into an aes key");
	tp_unhex(FIX_5903_GR, peer, sizeof(peer));
	id = tp_import("psa_import_key", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    PSA_KEY_USAGE_DERIVE, alg, FIX_5903_I);
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op, alg));
	tp_st("psa_key_derivation_input_bytes salt", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SALT, (const uint8_t *)"salt", 4));
	tp_st("psa_key_derivation_key_agreement", psa_key_derivation_key_agreement(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, id, peer, sizeof(peer)));
	tp_st("psa_key_derivation_input_bytes info", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_INFO, (const uint8_t *)"info", 4));
	derive_bytes("psa_key_derivation_output_bytes 16", &op, 16, NULL);
	psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
	psa_set_key_bits(&attr, 128);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_ENCRYPT);
	psa_set_key_algorithm(&attr, PSA_ALG_CTR);
	tp_st("psa_key_derivation_output_key", psa_key_derivation_output_key(&attr, &op,
	    &derived));
	st = psa_export_key(derived, out, sizeof(out), &len);
	tp_hex("psa_export_key derived", st, out, len);
	tp_destroy(derived);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
	tp_destroy(id);
}

static void
derive_capacity(void)
{
	psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
	size_t capacity = 0;
	uint8_t out[64];

	tp_case("derive capacity");
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_512)));
	tp_st("psa_key_derivation_get_capacity", psa_key_derivation_get_capacity(&op,
	    &capacity));
	tp_note("capacity %zu", capacity);
	tp_want("psa_key_derivation_set_capacity larger", psa_key_derivation_set_capacity(&op,
	    capacity + 1), PSA_ERROR_INVALID_ARGUMENT);
	tp_want("psa_key_derivation_set_capacity 40", psa_key_derivation_set_capacity(&op, 40),
	    PSA_SUCCESS);
	tp_st("psa_key_derivation_input_bytes secret", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, (const uint8_t *)"secret", 6));
	tp_st("psa_key_derivation_input_bytes info", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_INFO, (const uint8_t *)"info", 4));
	derive_bytes("psa_key_derivation_output_bytes 30", &op, 30, NULL);
	tp_st("psa_key_derivation_get_capacity", psa_key_derivation_get_capacity(&op,
	    &capacity));
	tp_note("capacity %zu", capacity);
	tp_want("psa_key_derivation_output_bytes beyond", psa_key_derivation_output_bytes(&op,
	    out, 11), PSA_ERROR_INSUFFICIENT_DATA);
	tp_st("psa_key_derivation_get_capacity", psa_key_derivation_get_capacity(&op,
	    &capacity));
	tp_note("capacity %zu", capacity);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
}

static void
derive_errors(void)
{
	psa_key_derivation_operation_t op = PSA_KEY_DERIVATION_OPERATION_INIT;
	uint8_t out[32];
	psa_key_id_t id;

	tp_case("derive errors");
	tp_want("psa_key_derivation_output_bytes inactive", psa_key_derivation_output_bytes(&op,
	    out, 1), PSA_ERROR_BAD_STATE);
	tp_want("psa_key_derivation_input_bytes inactive", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, out, 1), PSA_ERROR_BAD_STATE);
	tp_want("psa_key_derivation_abort inactive", psa_key_derivation_abort(&op), PSA_SUCCESS);
	tp_want("psa_key_derivation_setup not-a-kdf", psa_key_derivation_setup(&op,
	    PSA_ALG_SHA_256), PSA_ERROR_INVALID_ARGUMENT);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
	tp_want("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)), PSA_SUCCESS);
	tp_want("psa_key_derivation_setup again", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)), PSA_ERROR_BAD_STATE);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)));
	/* HKDF takes its info at any time before the output. */
	tp_st("psa_key_derivation_input_bytes info-before-secret",
	    psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_INFO, out, 4));
	tp_want("psa_key_derivation_input_bytes salt-after-info", psa_key_derivation_input_bytes(
	    &op, PSA_KEY_DERIVATION_INPUT_SALT, out, 4), PSA_SUCCESS);
	tp_want("psa_key_derivation_input_bytes salt-twice", psa_key_derivation_input_bytes(
	    &op, PSA_KEY_DERIVATION_INPUT_SALT, out, 4), PSA_ERROR_BAD_STATE);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)));
	tp_want("psa_key_derivation_output_bytes before-inputs", psa_key_derivation_output_bytes(
	    &op, out, 4), PSA_ERROR_BAD_STATE);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)));
	tp_st("psa_key_derivation_input_bytes label-in-hkdf", psa_key_derivation_input_bytes(&op,
	    PSA_KEY_DERIVATION_INPUT_LABEL, out, 4));
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
	id = tp_import("psa_import_key no-derive-flag", PSA_KEY_TYPE_DERIVE,
	    PSA_KEY_USAGE_EXPORT, PSA_ALG_HKDF(PSA_ALG_SHA_256), "00112233445566778899");
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)));
	tp_want("psa_key_derivation_input_key not-permitted", psa_key_derivation_input_key(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, id), PSA_ERROR_NOT_PERMITTED);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
	tp_destroy(id);
	id = tp_import("psa_import_key other-alg", PSA_KEY_TYPE_DERIVE, PSA_KEY_USAGE_DERIVE,
	    PSA_ALG_HKDF(PSA_ALG_SHA_512), "00112233445566778899");
	tp_st("psa_key_derivation_setup", psa_key_derivation_setup(&op,
	    PSA_ALG_HKDF(PSA_ALG_SHA_256)));
	tp_want("psa_key_derivation_input_key other-alg", psa_key_derivation_input_key(&op,
	    PSA_KEY_DERIVATION_INPUT_SECRET, id), PSA_ERROR_NOT_PERMITTED);
	tp_st("psa_key_derivation_abort", psa_key_derivation_abort(&op));
	tp_destroy(id);
}

int
main(void)
{
	tp_init();
	derive_hkdf_kats();
	derive_tls12();
	derive_agreement_and_key();
	derive_capacity();
	derive_errors();
	return tp_done();
}
