/* SPDX-License-Identifier: Apache-2.0 */
/* libparsec's conveniences: the common cases in one call each. */
#include <string.h>

#include "libparsec.h"
#include "psa_codec.h"

#include "list_keys.pb.h"

/* Sign and verify, hashes and messages; encrypt and decrypt. */
#define PARSEC_USAGE_SIGNING (PARSEC_PSA_KEY_USAGE_SIGN_HASH | PARSEC_PSA_KEY_USAGE_VERIFY_HASH | \
	PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE | PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE)
#define PARSEC_USAGE_CRYPT (PARSEC_PSA_KEY_USAGE_ENCRYPT | PARSEC_PSA_KEY_USAGE_DECRYPT)
#define SECP_R1_PAIR PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1)
#define SECP_R1_PUBLIC PARSEC_PSA_KEY_TYPE_ECC_PUBLIC_KEY(PARSEC_PSA_ECC_FAMILY_SECP_R1)

int
parsec_create_ecc_signing_key(parsec_client *c, const char *name, uint32_t bits)
{
	struct parsec_key_attributes a = { SECP_R1_PAIR, bits, PARSEC_USAGE_SIGNING,
		PARSEC_PSA_ALG_ECDSA(bits == 384 ? PARSEC_PSA_ALG_SHA_384 : PARSEC_PSA_ALG_SHA_256) };

	if (bits != 256 && bits != 384)
		return PARSEC_ERR_NOT_SUPPORTED;
	return parsec_generate_key(c, name, &a);
}

int
parsec_create_rsa_signing_key(parsec_client *c, const char *name, uint32_t bits)
{
	struct parsec_key_attributes a = { PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR, bits, PARSEC_USAGE_SIGNING,
		PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(PARSEC_PSA_ALG_SHA_256) };

	return parsec_generate_key(c, name, &a);
}

int
parsec_create_rsa_encryption_key(parsec_client *c, const char *name, uint32_t bits)
{
	/* PKCS#1 v1.5, as upstream's parsec-tool makes encryption keys. */
	struct parsec_key_attributes a = { PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR, bits, PARSEC_USAGE_CRYPT,
		PARSEC_PSA_ALG_RSA_PKCS1V15_CRYPT };

	return parsec_generate_key(c, name, &a);
}

/*
 * ListKeys answers every key of the application, all decoded: the one named
 * is looked for in that answer, however many keys there are, with nothing
 * copied out of it but its attributes.
 */
int
parsec_get_key_attributes(parsec_client *c, const char *name, struct parsec_key_attributes *attrs)
{
	list_keys_Result res = list_keys_Result_init_zero;
	const struct op_request none = { 0 };
	struct op_key_attrs a;
	pb_size_t i;
	int st = parsec_run(c, OP_LIST_KEYS, &none, NULL, &res);

	if (st != PARSEC_SUCCESS)
		return st;
	st = PARSEC_ERR_DOES_NOT_EXIST;
	for (i = 0; i < res.keys_count; i++) {
		const list_keys_KeyInfo *k = &res.keys[i];

		if (k->name == NULL || strcmp(k->name, name) != 0 || k->provider_id != c->provider)
			continue;
		/* Attributes the codec cannot read are an answer it cannot read. */
		if (pc_key_attrs_from_pb(&k->attributes, &a) == -1) {
			st = PARSEC_ERR_INVALID_ENCODING;
			break;
		}
		*attrs = (struct parsec_key_attributes){ a.type, a.bits, a.usage, a.alg };
		st = PARSEC_SUCCESS;
		break;
	}
	pb_release(list_keys_Result_fields, &res);
	return st;
}

int
parsec_key_attributes(parsec_client *c, const char *name, struct parsec_key_attributes *attrs)
{
	return parsec_get_key_attributes(c, name, attrs);
}

/* The key's signature algorithm, with SHA-256 for an any-hash policy. */
static int
parsec_signing_alg(parsec_client *c, const char *name, uint32_t *alg)
{
	struct parsec_key_attributes a;
	int st = parsec_get_key_attributes(c, name, &a);

	if (st != PARSEC_SUCCESS)
		return st;
	*alg = a.alg;
	if (PARSEC_PSA_ALG_GET_HASH(*alg) == PARSEC_PSA_ALG_ANY_HASH)
		*alg = (*alg & ~0xffu) | PARSEC_PSA_ALG_HASH_PART(PARSEC_PSA_ALG_SHA_256);
	return PARSEC_SUCCESS;
}

/*
 * The message's hash, by the service, for a provider without the message
 * operations (upstream Parsec's Mbed Crypto provider has PsaSignHash but not
 * PsaSignMessage, as upstream's parsec-tool uses it).
 */
static int
parsec_message_hash(parsec_client *c, uint32_t alg, const uint8_t *message, size_t message_len,
    uint8_t *hash, size_t *hash_len)
{
	return parsec_hash_compute(c, PARSEC_PSA_ALG_GET_HASH(alg), message, message_len, hash, 64,
	    hash_len);
}

/* Signs message into out, or (verify) checks signature against it. */
static int
parsec_message_op(parsec_client *c, int verify, const char *name, const uint8_t *message,
    size_t message_len, const uint8_t *signature, size_t signature_len, uint8_t *out, size_t cap,
    size_t *len)
{
	uint8_t hash[64];
	size_t hash_len;
	uint32_t alg;
	int st = parsec_signing_alg(c, name, &alg);

	if (st != PARSEC_SUCCESS)
		return st;
	st = verify ? parsec_verify_message(c, name, alg, message, message_len, signature,
	    signature_len) : parsec_sign_message(c, name, alg, message, message_len, out, cap, len);
	if (st != PARSEC_ERR_NOT_SUPPORTED)
		return st;
	if ((st = parsec_message_hash(c, alg, message, message_len, hash, &hash_len)) != 0)
		return st;
	return verify ? parsec_verify_hash(c, name, alg, hash, hash_len, signature, signature_len) :
	    parsec_sign_hash(c, name, alg, hash, hash_len, out, cap, len);
}

int
parsec_sign(parsec_client *c, const char *name, const uint8_t *message, size_t message_len,
    uint8_t *out, size_t cap, size_t *len)
{
	*len = 0;
	return parsec_message_op(c, 0, name, message, message_len, NULL, 0, out, cap, len);
}

int
parsec_verify(parsec_client *c, const char *name, const uint8_t *message, size_t message_len,
    const uint8_t *signature, size_t signature_len)
{
	return parsec_message_op(c, 1, name, message, message_len, signature, signature_len, NULL, 0,
	    NULL);
}

/* RSA encryption or decryption with the algorithm the key permits. */
static int
parsec_crypt(parsec_client *c, int decrypt, const char *name, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	struct parsec_key_attributes a;
	int st = parsec_get_key_attributes(c, name, &a);

	*len = 0;
	if (st != PARSEC_SUCCESS)
		return st;
	return (decrypt ? parsec_asymmetric_decrypt : parsec_asymmetric_encrypt)(c, name, a.alg, in,
	    in_len, NULL, 0, out, cap, len);
}

int
parsec_encrypt(parsec_client *c, const char *name, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	return parsec_crypt(c, 0, name, in, in_len, out, cap, len);
}

int
parsec_decrypt(parsec_client *c, const char *name, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	return parsec_crypt(c, 1, name, in, in_len, out, cap, len);
}

/* DER: a tag and a length, then the content is the caller's. */
static size_t
der_head(uint8_t *out, uint8_t tag, size_t len)
{
	size_t n = 0;

	out[n++] = tag;
	if (len < 0x80) {
		out[n++] = (uint8_t)len;
	} else if (len < 0x100) {
		out[n++] = 0x81;
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = 0x82;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	}
	return n;
}

int
parsec_export_public_key_der(parsec_client *c, const char *name, uint8_t *out, size_t cap,
    size_t *len)
{
	/* AlgorithmIdentifier bodies: rsaEncryption + NULL; ecPublicKey + the curve. */
	static const uint8_t rsa_alg[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
		0x01, 0x01, 0x05, 0x00 };
	static const uint8_t ec_p256[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const uint8_t ec_p384[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
	struct parsec_key_attributes a;
	uint8_t key[1100], alg_seq[32], bit_head[8], spki_head[8];
	const uint8_t *alg;
	size_t key_len, alg_len, alg_head_len, bit_head_len, spki_head_len, total;
	int st;

	*len = 0;
	if ((st = parsec_get_key_attributes(c, name, &a)) != PARSEC_SUCCESS ||
	    (st = parsec_export_public_key(c, name, key, sizeof(key), &key_len)) != PARSEC_SUCCESS)
		return st;
	if (a.type == PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR || a.type == PARSEC_PSA_KEY_TYPE_RSA_PUBLIC_KEY) {
		alg = rsa_alg;
		alg_len = sizeof(rsa_alg);
	} else if ((a.type == SECP_R1_PAIR || a.type == SECP_R1_PUBLIC) &&
	    (a.bits == 256 || a.bits == 384)) {
		alg = a.bits == 256 ? ec_p256 : ec_p384;
		alg_len = a.bits == 256 ? sizeof(ec_p256) : sizeof(ec_p384);
	} else {
		return PARSEC_ERR_NOT_SUPPORTED;
	}
	alg_head_len = der_head(alg_seq, 0x30, alg_len);
	memcpy(alg_seq + alg_head_len, alg, alg_len);
	bit_head_len = der_head(bit_head, 0x03, key_len + 1);
	total = alg_head_len + alg_len + bit_head_len + 1 + key_len;
	spki_head_len = der_head(spki_head, 0x30, total);
	*len = spki_head_len + total;
	if (*len > cap)
		return PARSEC_ERR_BUFFER_TOO_SMALL;
	memcpy(out, spki_head, spki_head_len);
	memcpy(out + spki_head_len, alg_seq, alg_head_len + alg_len);
	memcpy(out + spki_head_len + alg_head_len + alg_len, bit_head, bit_head_len);
	out[spki_head_len + alg_head_len + alg_len + bit_head_len] = 0; /* no unused bits */
	memcpy(out + *len - key_len, key, key_len);
	return PARSEC_SUCCESS;
}
