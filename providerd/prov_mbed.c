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
#include "providerd.h"
#include "wire.h"

#define PROV_MBED_MAX_RANDOM (1024u * 1024u)
#define PROV_MBED_MAX_KEY_ID 0x3fffffffu

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

/* PSA error -N is wire status 1000 + N, over the published range. */
static uint32_t
prov_mbed_status(psa_status_t st)
{
	if (st == PSA_SUCCESS)
		return ST_SUCCESS;
	if (st <= -132 && st >= -153)
		return (uint32_t)(1000 - st);
	return ST_PSA_GENERIC_ERROR;
}

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

static psa_status_t
prov_mbed_create(const struct op_request *op, psa_key_id_t id)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t made;
	psa_status_t st;

	psa_set_key_id(&attrs, id);
	psa_set_key_lifetime(&attrs, PSA_KEY_LIFETIME_PERSISTENT);
	psa_set_key_type(&attrs, (psa_key_type_t)op->attrs.type);
	psa_set_key_bits(&attrs, op->attrs.bits);
	psa_set_key_usage_flags(&attrs, op->attrs.usage);
	psa_set_key_algorithm(&attrs, op->attrs.alg);
	if (op->opcode == OP_PSA_GENERATE_KEY)
		st = psa_generate_key(&attrs, &made);
	else
		st = psa_import_key(&attrs, op->in[0].ptr, op->in[0].len, &made);
	psa_reset_key_attributes(&attrs);
	if (st == PSA_SUCCESS)
		psa_purge_key(made); /* the file is the truth; other workers load it from there */
	return st;
}

/* Bytes out: allocates room for max, then records what was written. */
#define OUT(n) prov_out_alloc(out, res, 0, (n))

static psa_status_t
prov_mbed_keyed(const struct op_request *op, psa_key_id_t id, struct op_result *res,
    struct prov_out *out)
{
	const struct op_bytes *in = op->in;
	size_t len = 0, cap;
	psa_status_t st;
	uint8_t *p;

	switch (op->opcode) {
	case OP_PSA_DESTROY_KEY:
		prov_mbed_fast_forget(id);
		return psa_destroy_key(id);
	case OP_PSA_EXPORT_KEY:
	case OP_PSA_EXPORT_PUBLIC_KEY:
		cap = PSA_EXPORT_KEY_PAIR_MAX_SIZE;
		p = OUT(cap);
		st = op->opcode == OP_PSA_EXPORT_KEY ? psa_export_key(id, p, cap, &len) :
		    psa_export_public_key(id, p, cap, &len);
		break;
	case OP_PSA_SIGN_HASH:
		p = OUT(PSA_SIGNATURE_MAX_SIZE);
		if (prov_mbed_fast_sign(id, op->alg, in[0].ptr, in[0].len, p,
		    PSA_SIGNATURE_MAX_SIZE, &len, &st)) {
			res->out[0].len = st == PSA_SUCCESS ? len : 0;
			return st;
		}
		st = psa_sign_hash(id, op->alg, in[0].ptr, in[0].len, p, PSA_SIGNATURE_MAX_SIZE,
		    &len);
		break;
	case OP_PSA_VERIFY_HASH:
		return psa_verify_hash(id, op->alg, in[0].ptr, in[0].len, in[1].ptr, in[1].len);
	case OP_PSA_SIGN_MESSAGE:
		p = OUT(PSA_SIGNATURE_MAX_SIZE);
		st = psa_sign_message(id, op->alg, in[0].ptr, in[0].len, p, PSA_SIGNATURE_MAX_SIZE,
		    &len);
		break;
	case OP_PSA_VERIFY_MESSAGE:
		return psa_verify_message(id, op->alg, in[0].ptr, in[0].len, in[1].ptr, in[1].len);
	case OP_PSA_ASYMMETRIC_ENCRYPT:
	case OP_PSA_ASYMMETRIC_DECRYPT:
		cap = PSA_ASYMMETRIC_ENCRYPT_OUTPUT_MAX_SIZE;
		p = OUT(cap);
		st = op->opcode == OP_PSA_ASYMMETRIC_ENCRYPT ?
		    psa_asymmetric_encrypt(id, op->alg, in[0].ptr, in[0].len,
		    in[1].len ? in[1].ptr : NULL, in[1].len, p, cap, &len) :
		    psa_asymmetric_decrypt(id, op->alg, in[0].ptr, in[0].len,
		    in[1].len ? in[1].ptr : NULL, in[1].len, p, cap, &len);
		break;
	case OP_PSA_AEAD_ENCRYPT:
		cap = in[2].len + PSA_AEAD_TAG_MAX_SIZE;
		p = OUT(cap);
		st = psa_aead_encrypt(id, op->alg, in[0].ptr, in[0].len, in[1].ptr, in[1].len,
		    in[2].ptr, in[2].len, p, cap, &len);
		break;
	case OP_PSA_AEAD_DECRYPT:
		cap = in[2].len;
		p = OUT(cap);
		st = psa_aead_decrypt(id, op->alg, in[0].ptr, in[0].len, in[1].ptr, in[1].len,
		    in[2].ptr, in[2].len, p, cap, &len);
		break;
	case OP_PSA_CIPHER_ENCRYPT:
		/* Parsec's convention, and PSA's one-shot: IV, then ciphertext. */
		cap = in[0].len + PSA_CIPHER_IV_MAX_SIZE + PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE;
		p = OUT(cap);
		st = psa_cipher_encrypt(id, op->alg, in[0].ptr, in[0].len, p, cap, &len);
		break;
	case OP_PSA_CIPHER_DECRYPT:
		cap = in[0].len;
		p = OUT(cap);
		st = psa_cipher_decrypt(id, op->alg, in[0].ptr, in[0].len, p, cap, &len);
		break;
	case OP_PSA_MAC_COMPUTE:
		p = OUT(PSA_MAC_MAX_SIZE);
		st = psa_mac_compute(id, op->alg, in[0].ptr, in[0].len, p, PSA_MAC_MAX_SIZE, &len);
		break;
	case OP_PSA_MAC_VERIFY:
		return psa_mac_verify(id, op->alg, in[0].ptr, in[0].len, in[1].ptr, in[1].len);
	case OP_PSA_RAW_KEY_AGREEMENT:
		cap = PSA_RAW_KEY_AGREEMENT_OUTPUT_MAX_SIZE;
		p = OUT(cap);
		st = psa_raw_key_agreement(op->alg, id, in[0].ptr, in[0].len, p, cap, &len);
		break;
	default:
		return PSA_ERROR_NOT_SUPPORTED;
	}
	res->out[0].len = st == PSA_SUCCESS ? len : 0;
	/* Keys stay on disk, not in this worker's few key slots. */
	psa_purge_key(id);
	return st;
}

/* Whether this backend could handle a key with these attributes. */
static psa_status_t
prov_mbed_can_do(uint64_t check, const struct op_key_attrs *a)
{
	psa_key_type_t type = (psa_key_type_t)a->type;
	size_t bits = a->bits;

	if (PSA_KEY_TYPE_IS_ECC(type)) {
		psa_ecc_family_t family = PSA_KEY_TYPE_ECC_GET_FAMILY(type);

		if (!((family == PSA_ECC_FAMILY_SECP_R1 && (bits == 256 || bits == 384 ||
		    bits == 521)) || (family == PSA_ECC_FAMILY_MONTGOMERY && bits == 255)))
			return PSA_ERROR_NOT_SUPPORTED;
	} else if (PSA_KEY_TYPE_IS_RSA(type)) {
		if (bits < 1024 || bits > 4096 || bits % 8 != 0)
			return PSA_ERROR_NOT_SUPPORTED;
	} else if (type == PSA_KEY_TYPE_AES) {
		if (bits != 128 && bits != 192 && bits != 256)
			return PSA_ERROR_NOT_SUPPORTED;
	} else if (type == PSA_KEY_TYPE_CHACHA20) {
		if (bits != 256)
			return PSA_ERROR_NOT_SUPPORTED;
	} else if (type != PSA_KEY_TYPE_HMAC && type != PSA_KEY_TYPE_RAW_DATA &&
	    type != PSA_KEY_TYPE_DERIVE) {
		return PSA_ERROR_NOT_SUPPORTED;
	}
	if (check == 2 && PSA_KEY_TYPE_IS_PUBLIC_KEY(type))
		return PSA_ERROR_NOT_SUPPORTED; /* a public key can be imported, not generated */
	if (check == 4)
		return PSA_ERROR_NOT_SUPPORTED; /* no key derivation operation is offered */
	if (a->alg != PSA_ALG_NONE && !(PSA_ALG_IS_SIGN(a->alg) || PSA_ALG_IS_AEAD(a->alg) ||
	    PSA_ALG_IS_CIPHER(a->alg) || PSA_ALG_IS_MAC(a->alg) ||
	    PSA_ALG_IS_ASYMMETRIC_ENCRYPTION(a->alg) || PSA_ALG_IS_RAW_KEY_AGREEMENT(a->alg)))
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
		res->status = prov_mbed_status(prov_mbed_create(op, id));
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
		res->status = prov_mbed_status(st);
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
	res->status = prov_mbed_status(st);
}

const struct prov_backend prov_mbed_backend = {
	.name = "provider-mbed",
	.provider_id = WIRE_PROVIDER_MBED_CRYPTO,
	.init = prov_mbed_init,
	.describe = prov_mbed_describe,
	.opcodes = prov_mbed_opcodes,
	.handle = prov_mbed_handle,
};
