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

#include "key_ref.h"
#include "log.h"
#include "prov_mbed.h"
#include "prov_mbed_its.h"
#include "key_policy.h"
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
 * What an operation costs a worker here, for brokerd's fair share of the
 * workers (broker_cost.c): medians of bench/cost.py (make bench-cost) through
 * the service on the project's 2-core machine, 2026-12-07, at a load average
 * of 3 to 4. P-256 sign 0.48-0.55 ms, generate 1.6-3.7 ms, destroy 0.7-1.4 ms.
 */
#define PROV_MBED_COST 500
#define PROV_MBED_COST_CREATE 2500
#define PROV_MBED_COST_DESTROY 1400
/* A multipart step on data already in the worker (an estimate, not measured). */
#define PROV_MBED_COST_STEP 50

/*
 * Upstream Rust clients reject a whole ListOpcodes answer that holds an opcode
 * their crate does not know, and the MAC opcodes (0x16/0x17) are such. They
 * are served, but advertised only when the config asks for it
 * ([[provider]] advertise_mac_opcodes = true).
 */
static int prov_mbed_advertise_mac;

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

static int
prov_mbed_mac_listed(void)
{
	return prov_mbed_advertise_mac;
}

/* The persistent key id the broker's reference names, or 0 if none this provider could hold. */
static psa_key_id_t
prov_mbed_key_id(const uint8_t *key_ref, size_t key_ref_len)
{
	uint32_t v;

	if (key_ref_id(key_ref, key_ref_len, &v) == -1 || v > PROV_MBED_MAX_KEY_ID)
		return 0;
	return (psa_key_id_t)v;
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

psa_status_t
prov_mbed_key_attrs(const struct op_key_attrs *a, psa_key_id_t id, psa_key_attributes_t *attrs)
{
	/* psa_key_type_t is 16 bits: a wider value must not wrap into a valid type. */
	if (a->type > 0xffffu)
		return PSA_ERROR_NOT_SUPPORTED;
	psa_set_key_id(attrs, id);
	psa_set_key_lifetime(attrs, PSA_KEY_LIFETIME_PERSISTENT);
	psa_set_key_type(attrs, (psa_key_type_t)a->type);
	psa_set_key_bits(attrs, a->bits);
	psa_set_key_usage_flags(attrs, a->usage);
	psa_set_key_algorithm(attrs, a->alg);
	return PSA_SUCCESS;
}

static psa_status_t
prov_mbed_create(const struct op_request *op, psa_key_id_t id)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	int generate = wire_opcode_base(op->opcode) == OP_PSA_GENERATE_KEY;
	psa_key_id_t made;
	psa_status_t st;

	if ((st = prov_mbed_key_attrs(&op->attrs, id, &attrs)) != PSA_SUCCESS)
		return st;
	(void)prov_its_take_error();
	if (!prov_mbed_fast_create(&attrs, generate, op->in[0].ptr, op->in[0].len, &made, &st))
		st = generate ? psa_generate_key(&attrs, &made) :
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
 * (mbedtls' ECDSA would silently truncate or pad anything else), a check
 * that comes after the key's policy, as in mbedtls.
 */
static psa_status_t
prov_mbed_check_sign(const struct op_request *op)
{
	if (!PSA_ALG_IS_SIGN(op->alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (PSA_ALG_SIGN_GET_HASH(op->alg) == PSA_ALG_ANY_HASH)
		return PSA_ERROR_INVALID_ARGUMENT;
	return key_policy_hash_length(&op->attrs, op->opcode, op->alg, op->in[0].len);
}

/* Bytes out: allocates room for max, then records what was written. */
#define OUT(n) prov_out_alloc(out, res, 0, (n))

/* What runs on a stored key; an output it makes is *p, *len bytes of it written. */
typedef psa_status_t prov_mbed_key_fn(const struct op_request *op, psa_key_id_t id,
    struct op_result *res, struct prov_out *out, uint8_t **p, size_t *len);

/* A key's removal, from PSA and from this worker's fast-path cache. */
static psa_status_t
prov_mbed_destroy(const struct op_request *op, psa_key_id_t id, struct op_result *res,
    struct prov_out *out, uint8_t **p, size_t *len)
{
	psa_status_t st;

	prov_mbed_fast_forget(id);
	prov_mbed_rsa_drop(id);
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

/* Signatures and their checks, of hashes and of messages. */
static psa_status_t
prov_mbed_sign(const struct op_request *op, psa_key_id_t id, struct op_result *res,
    struct prov_out *out, uint8_t **p, size_t *len)
{
	psa_status_t st;

	if ((st = prov_mbed_check_sign(op)) != PSA_SUCCESS)
		return st;
	if (op->opcode == OP_PSA_SIGN_HASH || op->opcode == OP_PSA_SIGN_MESSAGE)
		*p = OUT(PSA_SIGNATURE_MAX_SIZE);
	/* The fast paths sign with their own parsed keys: PSA loads nothing. */
	if (op->opcode == OP_PSA_SIGN_HASH && prov_mbed_fast_sign(id, op->alg, op->in[0].ptr,
	    op->in[0].len, *p, PSA_SIGNATURE_MAX_SIZE, len, &st))
		return st;
	if ((op->opcode == OP_PSA_SIGN_HASH || op->opcode == OP_PSA_SIGN_MESSAGE) &&
	    prov_mbed_rsa_sign(id, op->alg, op->opcode == OP_PSA_SIGN_MESSAGE, op->in[0].ptr,
	    op->in[0].len, *p, PSA_SIGNATURE_MAX_SIZE, len, &st))
		return st;
	return prov_mbed_signature(op, id, *p, len);
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
		if (op->opcode == OP_PSA_ASYMMETRIC_DECRYPT && prov_mbed_rsa_decrypt(id, op->alg,
		    in[0].ptr, in[0].len, in[1].ptr, in[1].len, *p, cap, len))
			return PSA_SUCCESS;
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

/* A key pair or secret key, or the public part of a pair. */
static psa_status_t
prov_mbed_export(const struct op_request *op, psa_key_id_t id, struct op_result *res,
    struct prov_out *out, uint8_t **p, size_t *len)
{
	if (op->opcode == OP_PSA_EXPORT_PUBLIC_KEY) {
		*p = OUT(PSA_EXPORT_PUBLIC_KEY_MAX_SIZE);
		return psa_export_public_key(id, *p, PSA_EXPORT_PUBLIC_KEY_MAX_SIZE, len);
	}
	*p = OUT(PROV_MBED_EXPORT_MAX);
	return psa_export_key(id, *p, PROV_MBED_EXPORT_MAX, len);
}

static psa_status_t
prov_mbed_mac(const struct op_request *op, psa_key_id_t id, struct op_result *res,
    struct prov_out *out, uint8_t **p, size_t *len)
{
	const struct op_bytes *in = op->in;

	if (op->opcode == OP_PSA_MAC_VERIFY)
		return psa_mac_verify(id, op->alg, in[0].ptr, in[0].len, in[1].ptr, in[1].len);
	*p = OUT(PSA_MAC_MAX_SIZE);
	return psa_mac_compute(id, op->alg, in[0].ptr, in[0].len, *p, PSA_MAC_MAX_SIZE, len);
}

static psa_status_t
prov_mbed_agree(const struct op_request *op, psa_key_id_t id, struct op_result *res,
    struct prov_out *out, uint8_t **p, size_t *len)
{
	*p = OUT(PSA_RAW_KEY_AGREEMENT_OUTPUT_MAX_SIZE);
	return psa_raw_key_agreement(op->alg, id, op->in[0].ptr, op->in[0].len, *p,
	    PSA_RAW_KEY_AGREEMENT_OUTPUT_MAX_SIZE, len);
}

/*
 * Runs an operation on the stored key the broker's reference names, then
 * records the output's length, takes the key out of this worker's few key
 * slots (a slot would otherwise keep key material in memory and outlive a
 * destroy made by another worker: the file is the truth), and gives an id
 * with no key behind it PSA's name (mbedtls calls it an invalid handle).
 */
static psa_status_t
prov_mbed_keyed(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out, prov_mbed_key_fn *run)
{
	psa_key_id_t id = prov_mbed_key_id(key_ref, key_ref_len);
	psa_status_t st;
	size_t len = 0;
	uint8_t *p = NULL;

	if (id == 0)
		return PSA_ERROR_INVALID_HANDLE;
	st = run(op, id, res, out, &p, &len);
	if (p != NULL)
		res->out[0].len = st == PSA_SUCCESS ? len : 0;
	psa_purge_key(id);
	return st == PSA_ERROR_INVALID_HANDLE ? PSA_ERROR_DOES_NOT_EXIST : st;
}

static psa_status_t
prov_mbed_op_create(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	psa_key_id_t id = prov_mbed_key_id(key_ref, key_ref_len);

	return id == 0 ? PSA_ERROR_INVALID_HANDLE : prov_mbed_create(op, id);
}

/*
 * psa_copy_key: the new key (the reference) from the one brokerd names in
 * in[0], with the policy brokerd narrowed; mbedtls checks the copy
 * permission and narrows again by the same rule.
 */
static psa_status_t
prov_mbed_op_copy(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = prov_mbed_key_id(key_ref, key_ref_len);
	psa_key_id_t source = prov_mbed_key_id(op->in[0].ptr, op->in[0].len);
	psa_key_id_t made;
	psa_status_t st;

	if (id == 0 || source == 0)
		return PSA_ERROR_INVALID_HANDLE;
	psa_set_key_id(&attrs, id);
	psa_set_key_lifetime(&attrs, PSA_KEY_LIFETIME_PERSISTENT);
	psa_set_key_usage_flags(&attrs, op->attrs.usage);
	psa_set_key_algorithm(&attrs, op->attrs.alg);
	(void)prov_its_take_error();
	st = prov_mbed_storage_cause(psa_copy_key(source, &attrs, &made));
	psa_reset_key_attributes(&attrs);
	psa_purge_key(source);
	if (st == PSA_SUCCESS)
		psa_purge_key(made);
	return st == PSA_ERROR_INVALID_HANDLE ? PSA_ERROR_DOES_NOT_EXIST : st;
}

/* The row handler name: fn on the stored key that the reference names. */
#define PROV_MBED_KEYED(name, fn)                                                            \
	static psa_status_t name(const struct op_request *op, const uint8_t *key_ref,        \
	    size_t key_ref_len, struct op_result *res, struct prov_out *out)                 \
	{                                                                                    \
		return prov_mbed_keyed(op, key_ref, key_ref_len, res, out, fn);              \
	}
PROV_MBED_KEYED(prov_mbed_op_destroy, prov_mbed_destroy)
PROV_MBED_KEYED(prov_mbed_op_sign, prov_mbed_sign)
PROV_MBED_KEYED(prov_mbed_op_crypt, prov_mbed_crypt)
PROV_MBED_KEYED(prov_mbed_op_export, prov_mbed_export)
PROV_MBED_KEYED(prov_mbed_op_mac, prov_mbed_mac)
PROV_MBED_KEYED(prov_mbed_op_agree, prov_mbed_agree)

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
		/* mbedtls 2.28's PSA ciphers for AES: all but XTS (and CMAC, a MAC, of any length). */
		return alg == PSA_ALG_ECB_NO_PADDING || alg == PSA_ALG_CBC_NO_PADDING ||
		    alg == PSA_ALG_CBC_PKCS7 || alg == PSA_ALG_CTR || alg == PSA_ALG_CFB ||
		    alg == PSA_ALG_OFB || PSA_ALG_FULL_LENGTH_MAC(alg) == PSA_ALG_CMAC;
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

static psa_status_t
prov_mbed_op_random(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	if (op->number > PROV_MBED_MAX_RANDOM)
		return PSA_ERROR_INVALID_ARGUMENT;
	return psa_generate_random(OUT((size_t)op->number), (size_t)op->number);
}

static psa_status_t
prov_mbed_op_hash(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	psa_status_t st;
	size_t len = 0;

	if (op->opcode == OP_PSA_HASH_COMPARE)
		return psa_hash_compare(op->alg, op->in[0].ptr, op->in[0].len, op->in[1].ptr,
		    op->in[1].len);
	st = psa_hash_compute(op->alg, op->in[0].ptr, op->in[0].len, OUT(PSA_HASH_MAX_SIZE),
	    PSA_HASH_MAX_SIZE, &len);
	res->out[0].len = len;
	return st;
}

static psa_status_t
prov_mbed_op_can_do(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	return prov_mbed_can_do(op->number, &op->attrs);
}

/* Another worker destroys the key: what this worker keeps parsed of it goes. */
static void
prov_mbed_forget(const uint8_t *key_ref, size_t key_ref_len)
{
	psa_key_id_t id = prov_mbed_key_id(key_ref, key_ref_len);

	if (id != 0) {
		prov_mbed_fast_drop_cached(id);
		prov_mbed_rsa_drop(id);
	}
}

/* Every operation, in the order ListOpcodes names them. */
static const struct prov_op prov_mbed_ops[] = {
	{ OP_PSA_GENERATE_KEY, 1, PROV_MBED_COST_CREATE, prov_mbed_op_create, NULL, NULL },
	{ OP_PSA_DESTROY_KEY, 1, PROV_MBED_COST_DESTROY, prov_mbed_op_destroy, NULL, NULL },
	{ OP_PSA_SIGN_HASH, 1, PROV_MBED_COST, prov_mbed_op_sign, NULL, NULL },
	{ OP_PSA_VERIFY_HASH, 1, PROV_MBED_COST, prov_mbed_op_sign, NULL, NULL },
	{ OP_PSA_IMPORT_KEY, 1, PROV_MBED_COST_CREATE, prov_mbed_op_create, NULL, NULL },
	{ OP_PSA_EXPORT_PUBLIC_KEY, 1, PROV_MBED_COST, prov_mbed_op_export, NULL, NULL },
	{ OP_PSA_ASYMMETRIC_ENCRYPT, 1, PROV_MBED_COST, prov_mbed_op_crypt, NULL, NULL },
	{ OP_PSA_ASYMMETRIC_DECRYPT, 1, PROV_MBED_COST, prov_mbed_op_crypt, NULL, NULL },
	{ OP_PSA_EXPORT_KEY, 1, PROV_MBED_COST, prov_mbed_op_export, NULL, NULL },
	{ OP_PSA_GENERATE_RANDOM, 0, PROV_MBED_COST, prov_mbed_op_random, NULL, NULL },
	{ OP_PSA_HASH_COMPUTE, 0, PROV_MBED_COST, prov_mbed_op_hash, NULL, NULL },
	{ OP_PSA_HASH_COMPARE, 0, PROV_MBED_COST, prov_mbed_op_hash, NULL, NULL },
	{ OP_PSA_AEAD_ENCRYPT, 1, PROV_MBED_COST, prov_mbed_op_crypt, NULL, NULL },
	{ OP_PSA_AEAD_DECRYPT, 1, PROV_MBED_COST, prov_mbed_op_crypt, NULL, NULL },
	{ OP_PSA_RAW_KEY_AGREEMENT, 1, PROV_MBED_COST, prov_mbed_op_agree, NULL, NULL },
	{ OP_PSA_CIPHER_ENCRYPT, 1, PROV_MBED_COST, prov_mbed_op_crypt, NULL, NULL },
	{ OP_PSA_CIPHER_DECRYPT, 1, PROV_MBED_COST, prov_mbed_op_crypt, NULL, NULL },
	{ OP_PSA_SIGN_MESSAGE, 1, PROV_MBED_COST, prov_mbed_op_sign, NULL, NULL },
	{ OP_PSA_VERIFY_MESSAGE, 1, PROV_MBED_COST, prov_mbed_op_sign, NULL, NULL },
	{ OP_CAN_DO_CRYPTO, 0, PROV_MBED_COST, prov_mbed_op_can_do, NULL, NULL },
	{ OP_PSA_MAC_COMPUTE, 1, PROV_MBED_COST, prov_mbed_op_mac, NULL, prov_mbed_mac_listed },
	{ OP_PSA_MAC_VERIFY, 1, PROV_MBED_COST, prov_mbed_op_mac, NULL, prov_mbed_mac_listed },
	{ OP_EXT_GENERATE_VOLATILE, 1, PROV_MBED_COST_CREATE, prov_mbed_op_create, NULL, NULL },
	{ OP_EXT_IMPORT_VOLATILE, 1, PROV_MBED_COST_CREATE, prov_mbed_op_create, NULL, NULL },
	{ OP_EXT_COPY_KEY, 1, PROV_MBED_COST_CREATE, prov_mbed_op_copy, NULL, NULL },
	/*
	 * parsecd's extensions (prov_mbed_multi.c): a step costs about a tenth of a
	 * use; a keyed setup loads its key, as a use; a derived key is a creation.
	 * Multipart AEAD is prov_mbed_aead.c's (mbedtls 2.28 has none of its own).
	 */
	{ OP_EXT_ABORT, 0, PROV_MBED_COST_STEP, prov_mbed_multi_abort, NULL, NULL },
	{ OP_EXT_HASH_SETUP, 0, PROV_MBED_COST_STEP, prov_mbed_multi_hash_setup, NULL, NULL },
	{ OP_EXT_HASH_UPDATE, 0, PROV_MBED_COST_STEP, prov_mbed_multi_hash_update, NULL, NULL },
	{ OP_EXT_HASH_FINISH, 0, PROV_MBED_COST_STEP, prov_mbed_multi_hash_finish, NULL, NULL },
	{ OP_EXT_HASH_VERIFY, 0, PROV_MBED_COST_STEP, prov_mbed_multi_hash_finish, NULL, NULL },
	{ OP_EXT_HASH_CLONE, 0, PROV_MBED_COST_STEP, prov_mbed_multi_hash_setup, NULL, NULL },
	{ OP_EXT_HASH_SUSPEND, 0, PROV_MBED_COST_STEP, prov_mbed_multi_hash_finish, NULL, NULL },
	{ OP_EXT_HASH_RESUME, 0, PROV_MBED_COST_STEP, prov_mbed_multi_hash_setup, NULL, NULL },
	{ OP_EXT_MAC_SETUP, 1, PROV_MBED_COST, prov_mbed_multi_keyed_setup, NULL, NULL },
	{ OP_EXT_MAC_UPDATE, 0, PROV_MBED_COST_STEP, prov_mbed_multi_mac_update, NULL, NULL },
	{ OP_EXT_MAC_SIGN_FINISH, 0, PROV_MBED_COST_STEP, prov_mbed_multi_mac_finish, NULL, NULL },
	{ OP_EXT_MAC_VERIFY_FINISH, 0, PROV_MBED_COST_STEP, prov_mbed_multi_mac_finish, NULL, NULL },
	{ OP_EXT_CIPHER_SETUP, 1, PROV_MBED_COST, prov_mbed_multi_keyed_setup, NULL, NULL },
	{ OP_EXT_CIPHER_GENERATE_IV, 0, PROV_MBED_COST_STEP, prov_mbed_multi_cipher_iv, NULL, NULL },
	{ OP_EXT_CIPHER_SET_IV, 0, PROV_MBED_COST_STEP, prov_mbed_multi_cipher_iv, NULL, NULL },
	{ OP_EXT_CIPHER_UPDATE, 0, PROV_MBED_COST_STEP, prov_mbed_multi_cipher_update, NULL, NULL },
	{ OP_EXT_CIPHER_FINISH, 0, PROV_MBED_COST_STEP, prov_mbed_multi_cipher_finish, NULL, NULL },
	{ OP_EXT_AEAD_SETUP, 1, PROV_MBED_COST, prov_mbed_multi_aead_setup, NULL, NULL },
	{ OP_EXT_AEAD_SET_LENGTHS, 0, PROV_MBED_COST_STEP, prov_mbed_multi_aead_step, NULL, NULL },
	{ OP_EXT_AEAD_GENERATE_NONCE, 0, PROV_MBED_COST_STEP, prov_mbed_multi_aead_step, NULL, NULL },
	{ OP_EXT_AEAD_SET_NONCE, 0, PROV_MBED_COST_STEP, prov_mbed_multi_aead_step, NULL, NULL },
	{ OP_EXT_AEAD_UPDATE_AD, 0, PROV_MBED_COST_STEP, prov_mbed_multi_aead_step, NULL, NULL },
	{ OP_EXT_AEAD_UPDATE, 0, PROV_MBED_COST_STEP, prov_mbed_multi_aead_step, NULL, NULL },
	{ OP_EXT_AEAD_FINISH, 0, PROV_MBED_COST_STEP, prov_mbed_multi_aead_finish, NULL, NULL },
	{ OP_EXT_AEAD_VERIFY, 0, PROV_MBED_COST_STEP, prov_mbed_multi_aead_finish, NULL, NULL },
	{ OP_EXT_KDF_SETUP, 0, PROV_MBED_COST_STEP, prov_mbed_multi_kdf_setup, NULL, NULL },
	{ OP_EXT_KDF_GET_CAPACITY, 0, PROV_MBED_COST_STEP, prov_mbed_multi_kdf_capacity, NULL, NULL },
	{ OP_EXT_KDF_SET_CAPACITY, 0, PROV_MBED_COST_STEP, prov_mbed_multi_kdf_capacity, NULL, NULL },
	{ OP_EXT_KDF_INPUT_BYTES, 0, PROV_MBED_COST_STEP, prov_mbed_multi_kdf_input_bytes, NULL, NULL },
	{ OP_EXT_KDF_INPUT_KEY, 1, PROV_MBED_COST, prov_mbed_multi_kdf_input_key, NULL, NULL },
	{ OP_EXT_KDF_KEY_AGREEMENT, 1, PROV_MBED_COST, prov_mbed_multi_kdf_input_key, NULL, NULL },
	{ OP_EXT_KDF_OUTPUT_BYTES, 0, PROV_MBED_COST_STEP, prov_mbed_multi_kdf_output_bytes, NULL, NULL },
	{ OP_EXT_KDF_OUTPUT_KEY, 1, PROV_MBED_COST_CREATE, prov_mbed_multi_kdf_output_key, NULL, NULL },
};

const struct prov_backend prov_mbed_backend = {
	.name = "provider-mbed",
	.provider_id = WIRE_PROVIDER_MBED_CRYPTO,
	.chroot_state_dir = 1,
	.init = prov_mbed_init,
	.describe = prov_mbed_describe,
	PROV_OPS(prov_mbed_ops),
	.key_ref_len = KEY_REF_ID_LEN,
	/* RSA sign and decrypt: 0.77, 2.8, 7.5, 16.2 ms; generate 70, 470, 750-1670 ms. */
	.rsa_cost = { { 1024, 800, 20000 }, { 2048, 2800, 70000 }, { 3072, 7500, 470000 },
	    { 4096, 16200, 1200000 } },
	.forget = prov_mbed_forget,
	.drop = prov_mbed_multi_drop,
};
