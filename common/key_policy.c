/* SPDX-License-Identifier: Apache-2.0 */
/* PSA key policy checks for backends whose device keeps no PSA policy. */
#include <stddef.h>

#include <psa/crypto.h>

#include "key_policy.h"
#include "wire.h"

uint32_t
key_policy_usage_needed(uint32_t opcode)
{
	switch (opcode) {
	case OP_PSA_SIGN_HASH:
		return PSA_KEY_USAGE_SIGN_HASH;
	case OP_PSA_SIGN_MESSAGE:
		return PSA_KEY_USAGE_SIGN_MESSAGE;
	case OP_PSA_VERIFY_HASH:
		return PSA_KEY_USAGE_VERIFY_HASH;
	case OP_PSA_VERIFY_MESSAGE:
		return PSA_KEY_USAGE_VERIFY_MESSAGE;
	case OP_PSA_ASYMMETRIC_ENCRYPT:
	case OP_PSA_AEAD_ENCRYPT:
	case OP_PSA_CIPHER_ENCRYPT:
		return PSA_KEY_USAGE_ENCRYPT;
	case OP_PSA_ASYMMETRIC_DECRYPT:
	case OP_PSA_AEAD_DECRYPT:
	case OP_PSA_CIPHER_DECRYPT:
		return PSA_KEY_USAGE_DECRYPT;
	case OP_PSA_RAW_KEY_AGREEMENT:
		return PSA_KEY_USAGE_DERIVE;
	case OP_PSA_EXPORT_KEY:
		return PSA_KEY_USAGE_EXPORT;
	default:
		return 0;
	}
}

/* As PSA does: permission to sign (verify) a hash includes the message form. */
uint32_t
key_policy_usage_extended(uint32_t usage)
{
	if (usage & PSA_KEY_USAGE_SIGN_HASH)
		usage |= PSA_KEY_USAGE_SIGN_MESSAGE;
	if (usage & PSA_KEY_USAGE_VERIFY_HASH)
		usage |= PSA_KEY_USAGE_VERIFY_MESSAGE;
	return usage;
}

/* A MAC or tag of at least some length: a policy, never an operation. */
static int
key_policy_at_least(uint32_t alg)
{
	return (PSA_ALG_IS_MAC(alg) && (alg & PSA_ALG_MAC_AT_LEAST_THIS_LENGTH_FLAG)) ||
	    (PSA_ALG_IS_AEAD(alg) && (alg & PSA_ALG_AEAD_AT_LEAST_THIS_LENGTH_FLAG));
}

int
key_policy_mac_key_fits(uint32_t alg, uint32_t type)
{
	if (PSA_ALG_IS_HMAC(alg))
		return type == PSA_KEY_TYPE_HMAC;
	if (PSA_ALG_IS_BLOCK_CIPHER_MAC(alg))
		return (type & PSA_KEY_TYPE_CATEGORY_MASK) == PSA_KEY_TYPE_CATEGORY_SYMMETRIC &&
		    PSA_BLOCK_CIPHER_BLOCK_LENGTH(type) > 1;
	return 0;
}

/*
 * MAC and AEAD policies of one base algorithm, as mbedtls 2.28 compares them:
 * a MAC policy admits nothing on a key it cannot run on; a MAC's length is
 * what it makes on a key of type (the full length and its explicit truncation
 * to that length are one policy); an "at least" policy allows any length from
 * its own up, the default one included.
 */
static int
key_policy_length_permits(uint32_t type, uint32_t policy, uint32_t alg)
{
	if (PSA_ALG_IS_MAC(policy) && PSA_ALG_IS_MAC(alg) &&
	    PSA_ALG_FULL_LENGTH_MAC(policy) == PSA_ALG_FULL_LENGTH_MAC(alg)) {
		if (!key_policy_mac_key_fits(policy, type))
			return 0;
		if (policy & PSA_ALG_MAC_AT_LEAST_THIS_LENGTH_FLAG)
			return PSA_MAC_TRUNCATED_LENGTH(policy) <= PSA_MAC_LENGTH(type, 0, alg);
		return PSA_MAC_LENGTH(type, 0, policy) == PSA_MAC_LENGTH(type, 0, alg);
	}
	if (PSA_ALG_IS_AEAD(policy) && PSA_ALG_IS_AEAD(alg) &&
	    (policy & PSA_ALG_AEAD_AT_LEAST_THIS_LENGTH_FLAG))
		return PSA_ALG_AEAD_WITH_SHORTENED_TAG(policy, 0) ==
		    PSA_ALG_AEAD_WITH_SHORTENED_TAG(alg, 0) &&
		    PSA_ALG_AEAD_GET_TAG_LENGTH(policy) <= PSA_ALG_AEAD_GET_TAG_LENGTH(alg);
	return 0;
}

/*
 * A specific algorithm is permitted by a policy equal to it, a hash wildcard
 * of it, or a MAC or tag length policy that admits its length.
 */
static int
key_policy_alg_permits(uint32_t type, uint32_t policy, uint32_t alg)
{
	if (key_policy_at_least(alg))
		return 0;
	if (policy == alg)
		return alg != PSA_ALG_NONE;
	if (PSA_ALG_IS_SIGN_HASH(policy) && PSA_ALG_SIGN_GET_HASH(policy) == PSA_ALG_ANY_HASH &&
	    PSA_ALG_IS_SIGN_HASH(alg) && PSA_ALG_IS_HASH(PSA_ALG_SIGN_GET_HASH(alg)))
		return (policy & ~PSA_ALG_HASH_MASK) == (alg & ~PSA_ALG_HASH_MASK);
	return key_policy_length_permits(type, policy, alg);
}

int
key_policy_permits(const struct op_key_attrs *attrs, uint32_t need, uint32_t alg)
{
	return (key_policy_usage_extended(attrs->usage) & need) == need &&
	    key_policy_alg_permits(attrs->type, attrs->alg, alg);
}

psa_status_t
key_policy_check(const struct op_key_attrs *attrs, uint32_t opcode, uint32_t alg)
{
	uint32_t needed = key_policy_usage_needed(opcode);

	/* As in PSA, a public key may always be exported, whatever its usage flags. */
	if (opcode == OP_PSA_EXPORT_KEY && PSA_KEY_TYPE_IS_PUBLIC_KEY(attrs->type))
		needed = 0;
	if ((key_policy_usage_extended(attrs->usage) & needed) != needed)
		return PSA_ERROR_NOT_PERMITTED;
	if (opcode == OP_PSA_EXPORT_KEY || opcode == OP_PSA_EXPORT_PUBLIC_KEY ||
	    opcode == OP_PSA_DESTROY_KEY)
		return PSA_SUCCESS;
	if ((PSA_ALG_IS_SIGN_HASH(alg) && PSA_ALG_SIGN_GET_HASH(alg) == PSA_ALG_ANY_HASH) ||
	    key_policy_at_least(alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	return key_policy_permits(attrs, needed, alg) ? PSA_SUCCESS : PSA_ERROR_NOT_PERMITTED;
}

psa_status_t
key_policy_hash_length(const struct op_key_attrs *attrs, uint32_t opcode, uint32_t alg,
    size_t hash_len)
{
	psa_status_t st;

	if ((opcode != OP_PSA_SIGN_HASH && opcode != OP_PSA_VERIFY_HASH) ||
	    !PSA_ALG_IS_HASH_AND_SIGN(alg) ||
	    hash_len == PSA_HASH_LENGTH(PSA_ALG_SIGN_GET_HASH(alg)))
		return PSA_SUCCESS;
	if ((st = key_policy_check(attrs, opcode, alg)) != PSA_SUCCESS)
		return st;
	/* mbedtls's ECDSA verifies a hash of any length, and refuses this one as a signature. */
	return opcode == OP_PSA_VERIFY_HASH && PSA_ALG_IS_ECDSA(alg) ?
	    PSA_ERROR_INVALID_SIGNATURE : PSA_ERROR_INVALID_ARGUMENT;
}

/* DER DigestInfo headers (RFC 8017, section 9.2, note 1), followed by the hash. */
static const uint8_t prov_di_sha224[] = { 0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c };
static const uint8_t prov_di_sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
static const uint8_t prov_di_sha384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 };
static const uint8_t prov_di_sha512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86,
	0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 };

const uint8_t *
key_policy_digest_info(uint32_t hash_alg, size_t *len)
{
	switch (hash_alg) {
	case PSA_ALG_SHA_224:
		*len = sizeof(prov_di_sha224);
		return prov_di_sha224;
	case PSA_ALG_SHA_256:
		*len = sizeof(prov_di_sha256);
		return prov_di_sha256;
	case PSA_ALG_SHA_384:
		*len = sizeof(prov_di_sha384);
		return prov_di_sha384;
	case PSA_ALG_SHA_512:
		*len = sizeof(prov_di_sha512);
		return prov_di_sha512;
	default:
		*len = 0;
		return NULL;
	}
}
