/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The software provider (id 1, "MbedCrypto"): PSA Crypto from mbedtls 2.28.
 * Keys are persistent PSA keys whose ids brokerd chooses; they live in this
 * provider's state directory (its cwd) through prov_mbed_its.c.
 */
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>
#include <psa/crypto.h>

#include "log.h"
#include "prov_mbed.h"
#include "prov_mbed_its.h"
#include "prov_policy.h"
#include "providerd.h"
#include "wire.h"

#define PROV_MBED_MAX_RANDOM (1024u * 1024u)
#define PROV_MBED_MAX_KEY_ID 0x3fffffffu
/* The largest export: an RSA-4096 key pair, or a raw key of PSA's largest size. */
#define PROV_MBED_EXPORT_MAX                                                    \
	(PSA_EXPORT_KEY_PAIR_MAX_SIZE > PSA_BITS_TO_BYTES(PSA_MAX_KEY_BITS) ?        \
		PSA_EXPORT_KEY_PAIR_MAX_SIZE : PSA_BITS_TO_BYTES(PSA_MAX_KEY_BITS))

/* CanDoCrypto check types (parsec-operations' CheckType). */
#define PROV_MBED_CHECK_USE 1
#define PROV_MBED_CHECK_GENERATE 2
#define PROV_MBED_CHECK_IMPORT 3
#define PROV_MBED_CHECK_DERIVE 4

/*
 * Upstream Rust clients reject a whole ListOpcodes answer that holds an opcode
 * their crate does not know, and the MAC opcodes (0x16/0x17) are such. They
 * are served, but advertised only when the config asks for it
 * ([[provider]] advertise_mac_opcodes = true).
 */
static int prov_mbed_advertise_mac;

static const uint32_t prov_mbed_ops[] = {
	OP_PSA_GENERATE_KEY, OP_PSA_DESTROY_KEY, OP_PSA_SIGN_HASH, OP_PSA_VERIFY_HASH,
	OP_PSA_IMPORT_KEY, OP_PSA_EXPORT_PUBLIC_KEY, OP_PSA_ASYMMETRIC_ENCRYPT,
	OP_PSA_ASYMMETRIC_DECRYPT, OP_PSA_EXPORT_KEY, OP_PSA_GENERATE_RANDOM,
	OP_PSA_HASH_COMPUTE, OP_PSA_HASH_COMPARE, OP_PSA_AEAD_ENCRYPT, OP_PSA_AEAD_DECRYPT,
	OP_PSA_RAW_KEY_AGREEMENT, OP_PSA_CIPHER_ENCRYPT, OP_PSA_CIPHER_DECRYPT,
	OP_PSA_SIGN_MESSAGE, OP_PSA_VERIFY_MESSAGE, OP_CAN_DO_CRYPTO,
	OP_PSA_MAC_COMPUTE, OP_PSA_MAC_VERIFY,
};

static int
prov_mbed_init(const struct setup_provider *setup)
{
	psa_status_t st = psa_crypto_init();

	prov_mbed_advertise_mac = setup->advertise_mac_opcodes != 0;
	if (st != PSA_SUCCESS) {
		log_warnx("psa_crypto_init failed: %d", (int)st);
		return -1;
	}
	log_info("%s worker %u ready in %s", setup->name, setup->worker, setup->state_dir);
	return 0;
}

static void
prov_mbed_describe(struct op_provider_info *info)
{
	strlcpy(info->uuid, wire_provider_uuid(WIRE_PROVIDER_MBED_CRYPTO), sizeof(info->uuid));
	strlcpy(info->description,
	    "Software provider: PSA Crypto from mbedtls " MBEDTLS_VERSION_STRING,
	    sizeof(info->description));
	strlcpy(info->vendor, "parsecd", sizeof(info->vendor));
	info->version_maj = MBEDTLS_VERSION_MAJOR;
	info->version_min = MBEDTLS_VERSION_MINOR;
	info->version_rev = MBEDTLS_VERSION_PATCH;
	info->id = WIRE_PROVIDER_MBED_CRYPTO;
}

static size_t
prov_mbed_opcodes(uint32_t *ops, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < sizeof(prov_mbed_ops) / sizeof(prov_mbed_ops[0]) && n < max; i++) {
		if (!prov_mbed_advertise_mac &&
		    (prov_mbed_ops[i] == OP_PSA_MAC_COMPUTE || prov_mbed_ops[i] == OP_PSA_MAC_VERIFY))
			continue;
		ops[n++] = prov_mbed_ops[i];
	}
	return n;
}

/* The broker's reference: a 4-byte little-endian persistent key id. */
static int
prov_mbed_key_id(const uint8_t *key_ref, size_t key_ref_len, psa_key_id_t *id)
{
	uint32_t v;

	if (key_ref_len != 4)
		return -1;
	v = (uint32_t)key_ref[0] | (uint32_t)key_ref[1] << 8 | (uint32_t)key_ref[2] << 16 |
	    (uint32_t)key_ref[3] << 24;
	if (v == 0 || v > PROV_MBED_MAX_KEY_ID)
		return -1;
	*id = (psa_key_id_t)v;
	return 0;
}

/*
 * mbedtls reports any failure of the key store as DATA_INVALID; the store
 * knows the real cause (a full disk, an I/O error), and that is what the
 * client should hear.
 */
static psa_status_t
prov_mbed_storage_cause(psa_status_t st)
{
	psa_status_t cause = prov_its_take_error();

	if (st == PSA_ERROR_DATA_INVALID && cause != PSA_SUCCESS)
		return cause;
	return st;
}

static psa_status_t
prov_mbed_create(const struct op_request *op, psa_key_id_t id)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t made;
	psa_status_t st;

	/* psa_key_type_t is 16 bits: a wider value must not wrap into a valid type. */
	if (op->attrs.type > 0xffffu)
		return PSA_ERROR_NOT_SUPPORTED;
	psa_set_key_id(&attrs, id);
	psa_set_key_lifetime(&attrs, PSA_KEY_LIFETIME_PERSISTENT);
	psa_set_key_type(&attrs, (psa_key_type_t)op->attrs.type);
	psa_set_key_bits(&attrs, op->attrs.bits);
	psa_set_key_usage_flags(&attrs, op->attrs.usage);
	psa_set_key_algorithm(&attrs, op->attrs.alg);
	(void)prov_its_take_error();
	if (!prov_mbed_fast_create(&attrs, op->opcode == OP_PSA_GENERATE_KEY, op->in[0].ptr,
	    op->in[0].len, &made, &st))
		st = op->opcode == OP_PSA_GENERATE_KEY ? psa_generate_key(&attrs, &made) :
		    psa_import_key(&attrs, op->in[0].ptr, op->in[0].len, &made);
	psa_reset_key_attributes(&attrs);
	st = prov_mbed_storage_cause(st);
	if (st == PSA_SUCCESS)
		psa_purge_key(made); /* the file is the truth; other workers load it from there */
	return st;
}

/*
 * Checks PSA leaves to the algorithm: a wildcard names a policy, never an
 * operation, and a hash-and-sign algorithm signs a hash of its own length
 * (mbedtls' ECDSA would silently truncate or pad anything else).
 */
static psa_status_t
prov_mbed_check_sign(const struct op_request *op)
{
	psa_algorithm_t hash = PSA_ALG_SIGN_GET_HASH(op->alg);

	if (!PSA_ALG_IS_SIGN(op->alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (hash == PSA_ALG_ANY_HASH)
		return PSA_ERROR_INVALID_ARGUMENT;
	if ((op->opcode == OP_PSA_SIGN_HASH || op->opcode == OP_PSA_VERIFY_HASH) &&
	    PSA_ALG_IS_HASH_AND_SIGN(op->alg) && op->in[0].len != PSA_HASH_LENGTH(hash))
		return PSA_ERROR_INVALID_ARGUMENT;
	return PSA_SUCCESS;
}

/* Bytes out: allocates room for max, then records what was written. */
#define OUT(n) prov_out_alloc(out, res, 0, (n))

/* A key's removal, from PSA and from this worker's fast-path cache. */
static psa_status_t
prov_mbed_destroy(psa_key_id_t id)
{
	psa_status_t st;

	prov_mbed_fast_forget(id);
	(void)prov_its_take_error();
	st = prov_mbed_storage_cause(psa_destroy_key(id));
	/* A file PSA cannot load is still the client's to get rid of. */
	if (st == PSA_ERROR_DATA_CORRUPT || st == PSA_ERROR_DATA_INVALID)
		st = psa_its_remove(id);
	return st;
}

/* Signs into sig (PSA_SIGNATURE_MAX_SIZE bytes), or verifies when sig is NULL. */
static psa_status_t
prov_mbed_signature(const struct op_request *op, psa_key_id_t id, uint8_t *sig, size_t *len)
{
	const struct op_bytes *in = op->in;
	int message = op->opcode == OP_PSA_SIGN_MESSAGE || op->opcode == OP_PSA_VERIFY_MESSAGE;

	if (sig == NULL)
		return (message ? psa_verify_message : psa_verify_hash)(id, op->alg, in[0].ptr,
		    in[0].len, in[1].ptr, in[1].len);
	return (message ? psa_sign_message : psa_sign_hash)(id, op->alg, in[0].ptr, in[0].len,
	    sig, PSA_SIGNATURE_MAX_SIZE, len);
}

/* Encryption and decryption: asymmetric, AEAD and cipher; the output in *p. */
static psa_status_t
prov_mbed_crypt(const struct op_request *op, psa_key_id_t id, struct op_result *res,
    struct prov_out *out, uint8_t **p, size_t *len)
{
	const struct op_bytes *in = op->in;
	size_t cap;

	switch (op->opcode) {
	case OP_PSA_ASYMMETRIC_ENCRYPT:
	case OP_PSA_ASYMMETRIC_DECRYPT:
		cap = PSA_ASYMMETRIC_ENCRYPT_OUTPUT_MAX_SIZE;
		*p = OUT(cap);
		return op->opcode == OP_PSA_ASYMMETRIC_ENCRYPT ?
		    psa_asymmetric_encrypt(id, op->alg, in[0].ptr, in[0].len,
		    in[1].len ? in[1].ptr : NULL, in[1].len, *p, cap, len) :
		    psa_asymmetric_decrypt(id, op->alg, in[0].ptr, in[0].len,
		    in[1].len ? in[1].ptr : NULL, in[1].len, *p, cap, len);
	case OP_PSA_AEAD_ENCRYPT:
	case OP_PSA_AEAD_DECRYPT:
		cap = in[2].len + (op->opcode == OP_PSA_AEAD_ENCRYPT ? PSA_AEAD_TAG_MAX_SIZE : 0);
		*p = OUT(cap);
		return (op->opcode == OP_PSA_AEAD_ENCRYPT ? psa_aead_encrypt : psa_aead_decrypt)(id,
		    op->alg, in[0].ptr, in[0].len, in[1].ptr, in[1].len, in[2].ptr, in[2].len, *p,
		    cap, len);
	case OP_PSA_CIPHER_ENCRYPT:
		/* Parsec's convention, and PSA's one-shot: a fresh random IV, then ciphertext. */
		cap = in[0].len + PSA_CIPHER_IV_MAX_SIZE + PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE;
		*p = OUT(cap);
		return psa_cipher_encrypt(id, op->alg, in[0].ptr, in[0].len, *p, cap, len);
	case OP_PSA_CIPHER_DECRYPT:
		/* IV then ciphertext in; the plaintext is never longer than that. */
		cap = in[0].len;
		*p = OUT(cap);
		return psa_cipher_decrypt(id, op->alg, in[0].ptr, in[0].len, *p, cap, len);
	default:
		return PSA_ERROR_NOT_SUPPORTED;
	}
}

static psa_status_t
prov_mbed_keyed(const struct op_request *op, psa_key_id_t id, struct op_result *res,
    struct prov_out *out)
{
	const struct op_bytes *in = op->in;
	size_t len = 0;
	psa_status_t st;
	uint8_t *p = NULL;

	switch (op->opcode) {
	case OP_PSA_DESTROY_KEY:
		return prov_mbed_destroy(id);
	case OP_PSA_SIGN_HASH:
	case OP_PSA_VERIFY_HASH:
	case OP_PSA_SIGN_MESSAGE:
	case OP_PSA_VERIFY_MESSAGE:
		if ((st = prov_mbed_check_sign(op)) != PSA_SUCCESS)
			return st;
		if (op->opcode == OP_PSA_SIGN_HASH || op->opcode == OP_PSA_SIGN_MESSAGE)
			p = OUT(PSA_SIGNATURE_MAX_SIZE);
		if (op->opcode == OP_PSA_SIGN_HASH && prov_mbed_fast_sign(id, op->alg, in[0].ptr,
		    in[0].len, p, PSA_SIGNATURE_MAX_SIZE, &len, &st)) {
			res->out[0].len = st == PSA_SUCCESS ? len : 0;
			return st; /* PSA never loaded the key: nothing to purge */
		}
		st = prov_mbed_signature(op, id, p, &len);
		break;
	case OP_PSA_ASYMMETRIC_ENCRYPT:
	case OP_PSA_ASYMMETRIC_DECRYPT:
	case OP_PSA_AEAD_ENCRYPT:
	case OP_PSA_AEAD_DECRYPT:
	case OP_PSA_CIPHER_ENCRYPT:
	case OP_PSA_CIPHER_DECRYPT:
		st = prov_mbed_crypt(op, id, res, out, &p, &len);
		break;
	case OP_PSA_EXPORT_KEY:
		p = OUT(PROV_MBED_EXPORT_MAX);
		st = psa_export_key(id, p, PROV_MBED_EXPORT_MAX, &len);
		break;
	case OP_PSA_EXPORT_PUBLIC_KEY:
		p = OUT(PSA_EXPORT_PUBLIC_KEY_MAX_SIZE);
		st = psa_export_public_key(id, p, PSA_EXPORT_PUBLIC_KEY_MAX_SIZE, &len);
		break;
	case OP_PSA_MAC_COMPUTE:
		p = OUT(PSA_MAC_MAX_SIZE);
		st = psa_mac_compute(id, op->alg, in[0].ptr, in[0].len, p, PSA_MAC_MAX_SIZE, &len);
		break;
	case OP_PSA_MAC_VERIFY:
		st = psa_mac_verify(id, op->alg, in[0].ptr, in[0].len, in[1].ptr, in[1].len);
		break;
	case OP_PSA_RAW_KEY_AGREEMENT:
		p = OUT(PSA_RAW_KEY_AGREEMENT_OUTPUT_MAX_SIZE);
		st = psa_raw_key_agreement(op->alg, id, in[0].ptr, in[0].len, p,
		    PSA_RAW_KEY_AGREEMENT_OUTPUT_MAX_SIZE, &len);
		break;
	default:
		return PSA_ERROR_NOT_SUPPORTED;
	}
	if (p != NULL)
		res->out[0].len = st == PSA_SUCCESS ? len : 0;
	/*
	 * Keys stay on disk, not in this worker's few key slots: a slot would
	 * otherwise keep key material in memory and outlive a destroy made by
	 * another worker.
	 */
	psa_purge_key(id);
	return st;
}

/*
 * The hashes this provider offers inside signature, MAC and OAEP algorithms:
 * mbedtls 2.28 has RIPEMD-160 and SHA-2 but neither SHA-512/t nor SHA-3.
 */
static int
prov_mbed_hash_ok(psa_algorithm_t hash)
{
	return hash == PSA_ALG_RIPEMD160 || hash == PSA_ALG_SHA_224 || hash == PSA_ALG_SHA_256 ||
	    hash == PSA_ALG_SHA_384 || hash == PSA_ALG_SHA_512;
}

/* Whether a key of this type may carry alg as its policy, here. */
static int
prov_mbed_alg_fits(psa_key_type_t type, psa_algorithm_t alg)
{
	psa_algorithm_t sign_hash = PSA_ALG_SIGN_GET_HASH(alg);
	int pair = PSA_KEY_TYPE_IS_KEY_PAIR(type);

	if (alg == PSA_ALG_NONE)
		return 1;
	if (PSA_KEY_TYPE_IS_ECC(type)) {
		if (PSA_KEY_TYPE_ECC_GET_FAMILY(type) == PSA_ECC_FAMILY_MONTGOMERY)
			return alg == PSA_ALG_ECDH && pair;
		if (alg == PSA_ALG_ECDH)
			return pair;
		return PSA_ALG_IS_ECDSA(alg) && alg != PSA_ALG_ECDSA_ANY &&
		    (prov_mbed_hash_ok(sign_hash) || sign_hash == PSA_ALG_ANY_HASH);
	}
	if (PSA_KEY_TYPE_IS_RSA(type)) {
		if (alg == PSA_ALG_RSA_PKCS1V15_CRYPT)
			return 1;
		if (PSA_ALG_IS_RSA_OAEP(alg))
			return prov_mbed_hash_ok(PSA_ALG_RSA_OAEP_GET_HASH(alg));
		if (alg == PSA_ALG_RSA_PKCS1V15_SIGN_RAW)
			return 1;
		return (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg) || PSA_ALG_IS_RSA_PSS(alg)) &&
		    (prov_mbed_hash_ok(sign_hash) || sign_hash == PSA_ALG_ANY_HASH);
	}
	if (type == PSA_KEY_TYPE_AES) {
		if (PSA_ALG_IS_AEAD(alg)) {
			psa_algorithm_t base = PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(alg);

			return base == PSA_ALG_GCM || base == PSA_ALG_CCM;
		}
		return alg == PSA_ALG_CTR || alg == PSA_ALG_CBC_NO_PADDING ||
		    alg == PSA_ALG_CBC_PKCS7 || alg == PSA_ALG_CMAC;
	}
	if (type == PSA_KEY_TYPE_CHACHA20)
		return PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(alg) == PSA_ALG_CHACHA20_POLY1305;
	if (type == PSA_KEY_TYPE_HMAC)
		return PSA_ALG_IS_HMAC(alg) && prov_mbed_hash_ok(PSA_ALG_HMAC_GET_HASH(alg));
	return 0; /* raw data: no algorithm here uses one */
}

/*
 * The curves mbedtls 2.28's PSA makes keys on, as Debian builds it (measured:
 * a generation and a signature or key agreement each); no binary (SECT)
 * curve, no secp224k1, no Curve448. A size of 0 asks for the family alone.
 */
static int
prov_mbed_curve_ok(psa_ecc_family_t family, size_t bits)
{
	switch (family) {
	case PSA_ECC_FAMILY_SECP_R1:
		return bits == 0 || bits == 192 || bits == 224 || bits == 256 || bits == 384 ||
		    bits == 521;
	case PSA_ECC_FAMILY_SECP_K1:
		return bits == 0 || bits == 192 || bits == 256;
	case PSA_ECC_FAMILY_BRAINPOOL_P_R1:
		return bits == 0 || bits == 256 || bits == 384 || bits == 512;
	case PSA_ECC_FAMILY_MONTGOMERY:
		return bits == 0 || bits == 255;
	default:
		return 0;
	}
}

/*
 * Whether a key of this type and size is one this provider handles. A size of
 * zero stands for "whatever the key data says" in imports and uses.
 */
static int
prov_mbed_size_fits(psa_key_type_t type, size_t bits, int generating)
{
	int from_data = bits == 0 && !generating;

	if (PSA_KEY_TYPE_IS_ECC(type))
		return (from_data || bits != 0) &&
		    prov_mbed_curve_ok(PSA_KEY_TYPE_ECC_GET_FAMILY(type), bits);
	if (PSA_KEY_TYPE_IS_RSA(type))
		return from_data ||
		    (bits >= 1024 && bits <= PSA_VENDOR_RSA_MAX_KEY_BITS && bits % 8 == 0);
	if (type == PSA_KEY_TYPE_AES)
		return from_data || bits == 128 || bits == 192 || bits == 256;
	if (type == PSA_KEY_TYPE_CHACHA20)
		return from_data || bits == 256;
	if (type == PSA_KEY_TYPE_HMAC || type == PSA_KEY_TYPE_RAW_DATA)
		return (from_data || bits != 0) && bits % 8 == 0 && bits <= PSA_MAX_KEY_BITS;
	return 0;
}

/*
 * Upstream's rule for a key to be usable (parsec 1.1.0,
 * src/providers/crypto_capability.rs, use_check): an algorithm and a usage
 * that performs an operation. Upstream counts encrypt, decrypt and the four
 * sign and verify flags; derive counts here too, as a key-agreement key
 * with only that flag serves PsaRawKeyAgreement.
 */
static int
prov_mbed_usable(const struct op_key_attrs *a)
{
	const uint32_t acting = PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT |
	    PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH | PSA_KEY_USAGE_SIGN_MESSAGE |
	    PSA_KEY_USAGE_VERIFY_MESSAGE | PSA_KEY_USAGE_DERIVE;

	return a->alg != PSA_ALG_NONE && (a->usage & acting) != 0;
}

/*
 * CanDoCrypto: could this backend use, generate or import such a key? As
 * upstream, a generation or import naming an algorithm must also pass the
 * use check; the sizes and algorithms are what this backend really does.
 */
static psa_status_t
prov_mbed_can_do(uint64_t check, const struct op_key_attrs *a)
{
	psa_key_type_t type = (psa_key_type_t)a->type;

	switch (check) {
	case PROV_MBED_CHECK_USE:
	case PROV_MBED_CHECK_GENERATE:
	case PROV_MBED_CHECK_IMPORT:
		break;
	case PROV_MBED_CHECK_DERIVE:
		return PSA_ERROR_NOT_SUPPORTED; /* no key derivation operation is offered */
	default:
		return PSA_ERROR_INVALID_ARGUMENT;
	}
	if (a->type > 0xffffu || !prov_mbed_size_fits(type, a->bits,
	    check == PROV_MBED_CHECK_GENERATE) || !prov_mbed_alg_fits(type, a->alg))
		return PSA_ERROR_NOT_SUPPORTED;
	if (check == PROV_MBED_CHECK_GENERATE && PSA_KEY_TYPE_IS_PUBLIC_KEY(type))
		return PSA_ERROR_NOT_SUPPORTED; /* a public key can be imported, not generated */
	if ((check == PROV_MBED_CHECK_USE || a->alg != PSA_ALG_NONE) && !prov_mbed_usable(a))
		return PSA_ERROR_NOT_SUPPORTED;
	return PSA_SUCCESS;
}

static void
prov_mbed_handle(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	psa_status_t st;
	psa_key_id_t id;
	size_t len = 0;
	uint8_t *p;

	op_result_status(res, ST_SUCCESS);
	switch (wire_opcode_key_use(op->opcode)) {
	case WIRE_KEY_CREATE:
		if (prov_mbed_key_id(key_ref, key_ref_len, &id) == -1) {
			res->status = ST_PSA_INVALID_HANDLE;
			return;
		}
		res->status = prov_psa_status(prov_mbed_create(op, id));
		return;
	case WIRE_KEY_USE:
	case WIRE_KEY_DESTROY:
		if (prov_mbed_key_id(key_ref, key_ref_len, &id) == -1) {
			res->status = ST_PSA_INVALID_HANDLE;
			return;
		}
		st = prov_mbed_keyed(op, id, res, out);
		/* mbedtls calls a persistent id with no key behind it an invalid handle. */
		if (st == PSA_ERROR_INVALID_HANDLE)
			st = PSA_ERROR_DOES_NOT_EXIST;
		res->status = prov_psa_status(st);
		return;
	case WIRE_KEY_NONE:
		break;
	}

	switch (op->opcode) {
	case OP_PSA_GENERATE_RANDOM:
		if (op->number > PROV_MBED_MAX_RANDOM) {
			res->status = ST_PSA_INVALID_ARGUMENT;
			return;
		}
		p = OUT((size_t)op->number);
		st = psa_generate_random(p, (size_t)op->number);
		break;
	case OP_PSA_HASH_COMPUTE:
		p = OUT(PSA_HASH_MAX_SIZE);
		st = psa_hash_compute(op->alg, op->in[0].ptr, op->in[0].len, p, PSA_HASH_MAX_SIZE,
		    &len);
		res->out[0].len = len;
		break;
	case OP_PSA_HASH_COMPARE:
		st = psa_hash_compare(op->alg, op->in[0].ptr, op->in[0].len, op->in[1].ptr,
		    op->in[1].len);
		break;
	case OP_CAN_DO_CRYPTO:
		st = prov_mbed_can_do(op->number, &op->attrs);
		break;
	default:
		st = PSA_ERROR_NOT_SUPPORTED;
		break;
	}
	res->status = prov_psa_status(st);
}

/* Another worker destroys the key: its parsed scalar goes from this worker's cache. */
static void
prov_mbed_forget(const uint8_t *key_ref, size_t key_ref_len)
{
	psa_key_id_t id;

	if (prov_mbed_key_id(key_ref, key_ref_len, &id) == 0)
		prov_mbed_fast_drop_cached(id);
}

const struct prov_backend prov_mbed_backend = {
	.name = "provider-mbed",
	.provider_id = WIRE_PROVIDER_MBED_CRYPTO,
	.chroot_state_dir = 1,
	.init = prov_mbed_init,
	.describe = prov_mbed_describe,
	.opcodes = prov_mbed_opcodes,
	.handle = prov_mbed_handle,
	.forget = prov_mbed_forget,
};
