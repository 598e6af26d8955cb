/* SPDX-License-Identifier: Apache-2.0 */
/*
 * psa_copy_key's policy rule: the copy may do no more than its source. Its
 * usage is the intersection of both; its algorithm the most restrictive one
 * both permit, where a policy may be a wildcard (any hash of a hash-and-sign
 * family, an AEAD or MAC tag of at least some length), as mbedtls 2.28
 * intersects them. Only the PSA headers' macros are used: brokerd links no
 * mbedtls code.
 */
#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>

#include "broker_copy.h"
#include "wire.h"

/* The shorter AEAD tag either policy allows, or the tag of the exact one: 0 when incompatible. */
static psa_algorithm_t
broker_copy_aead(psa_algorithm_t a, psa_algorithm_t b)
{
	size_t a_len = PSA_ALG_AEAD_GET_TAG_LENGTH(a), b_len = PSA_ALG_AEAD_GET_TAG_LENGTH(b);
	int a_min = (a & PSA_ALG_AEAD_AT_LEAST_THIS_LENGTH_FLAG) != 0;
	int b_min = (b & PSA_ALG_AEAD_AT_LEAST_THIS_LENGTH_FLAG) != 0;

	if (a_min && b_min)
		return PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(a, a_len > b_len ? a_len : b_len);
	if (a_min && a_len <= b_len)
		return b;
	if (b_min && b_len <= a_len)
		return a;
	return 0;
}

/* Whether a MAC algorithm fits a key type: HMAC on HMAC keys, CMAC and CBC-MAC on block ciphers. */
static int
broker_copy_mac_fits(psa_algorithm_t alg, psa_key_type_t type)
{
	if (PSA_ALG_IS_HMAC(alg))
		return type == PSA_KEY_TYPE_HMAC;
	return PSA_ALG_IS_BLOCK_CIPHER_MAC(alg) && PSA_BLOCK_CIPHER_BLOCK_LENGTH(type) > 1;
}

/* Two MAC policies of one base algorithm, their lengths compared as a MAC of type makes them. */
static psa_algorithm_t
broker_copy_mac(psa_key_type_t type, psa_algorithm_t a, psa_algorithm_t b)
{
	size_t a_len, b_len;
	int a_min = (a & PSA_ALG_MAC_AT_LEAST_THIS_LENGTH_FLAG) != 0;
	int b_min = (b & PSA_ALG_MAC_AT_LEAST_THIS_LENGTH_FLAG) != 0;

	if (!broker_copy_mac_fits(a, type))
		return 0;
	a_len = PSA_MAC_LENGTH(type, 0, a);
	b_len = PSA_MAC_LENGTH(type, 0, b);
	if (a_min && b_min)
		return PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(a, a_len > b_len ? a_len : b_len);
	if (a_min)
		return a_len <= b_len ? b : 0;
	if (b_min)
		return b_len <= a_len ? a : 0;
	/* The full length and its explicit truncation to the same length are one policy. */
	return a_len == b_len ? PSA_ALG_TRUNCATED_MAC(a, a_len) : 0;
}

/* The algorithm both policies permit, 0 if none. */
static psa_algorithm_t
broker_copy_alg(psa_key_type_t type, psa_algorithm_t a, psa_algorithm_t b)
{
	if (a == b)
		return a;
	if (PSA_ALG_IS_SIGN_HASH(a) && PSA_ALG_IS_SIGN_HASH(b) &&
	    (a & ~PSA_ALG_HASH_MASK) == (b & ~PSA_ALG_HASH_MASK)) {
		if (PSA_ALG_SIGN_GET_HASH(a) == PSA_ALG_ANY_HASH)
			return b;
		if (PSA_ALG_SIGN_GET_HASH(b) == PSA_ALG_ANY_HASH)
			return a;
	}
	if (PSA_ALG_IS_AEAD(a) && PSA_ALG_IS_AEAD(b) &&
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(a, 0) == PSA_ALG_AEAD_WITH_SHORTENED_TAG(b, 0))
		return broker_copy_aead(a, b);
	if (PSA_ALG_IS_MAC(a) && PSA_ALG_IS_MAC(b) &&
	    PSA_ALG_FULL_LENGTH_MAC(a) == PSA_ALG_FULL_LENGTH_MAC(b))
		return broker_copy_mac(type, a, b);
	return 0;
}

uint32_t
broker_copy_policy(const struct op_key_attrs *source, struct op_key_attrs *target)
{
	psa_algorithm_t alg;

	if ((source->usage & PSA_KEY_USAGE_COPY) == 0)
		return ST_PSA_NOT_PERMITTED;
	if ((target->type != 0 && target->type != source->type) ||
	    (target->bits != 0 && target->bits != source->bits))
		return ST_PSA_INVALID_ARGUMENT;
	alg = broker_copy_alg((psa_key_type_t)source->type, target->alg, source->alg);
	/* No algorithm on either side permits none; two that share nothing are an error. */
	if (alg == 0 && target->alg != 0 && source->alg != 0)
		return ST_PSA_INVALID_ARGUMENT;
	target->type = source->type;
	target->bits = source->bits;
	target->usage &= source->usage;
	target->alg = alg;
	return ST_SUCCESS;
}
