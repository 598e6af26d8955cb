/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pieces the PKCS#11 and TPM backends share, in-process: PSA key policy
 * as PSA defines it, and the DER of RSA public keys (strict in, canonical out).
 */
#include <check.h>
#include <string.h>

#include <psa/crypto.h>

#include "der.h"
#include "key_policy.h"
#include "testlib.h"
#include "wire.h"

static struct op_key_attrs
sign_key(uint32_t usage, uint32_t alg)
{
	struct op_key_attrs a = { PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256, usage,
		alg };

	return a;
}

/* One policy check: a P-256 key's usage and algorithm, the operation asked, its answer. */
struct policy_case {
	uint32_t usage, key_alg, opcode, alg, status;
};

#define ECDSA(h) PSA_ALG_ECDSA(PSA_ALG_##h)

static const struct policy_case policy_cases[] = {
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(SHA_256), OP_PSA_SIGN_HASH, ECDSA(SHA_256), ST_SUCCESS },
	/* Permission for the hash form covers the message form, as in PSA. */
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(SHA_256), OP_PSA_SIGN_MESSAGE, ECDSA(SHA_256),
	    ST_SUCCESS },
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(SHA_256), OP_PSA_VERIFY_HASH, ECDSA(SHA_256),
	    ST_PSA_NOT_PERMITTED },
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(SHA_256), OP_PSA_EXPORT_KEY, 0, ST_PSA_NOT_PERMITTED },
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(SHA_256), OP_PSA_EXPORT_PUBLIC_KEY, 0, ST_SUCCESS },
	{ PSA_KEY_USAGE_SIGN_MESSAGE, ECDSA(SHA_256), OP_PSA_SIGN_HASH, ECDSA(SHA_256),
	    ST_PSA_NOT_PERMITTED },
	/* A wildcard policy permits each specific hash of its family and nothing else. */
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(ANY_HASH), OP_PSA_SIGN_HASH, ECDSA(SHA_384), ST_SUCCESS },
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(ANY_HASH), OP_PSA_SIGN_HASH,
	    PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), ST_PSA_NOT_PERMITTED },
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(ANY_HASH), OP_PSA_SIGN_HASH,
	    PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), ST_PSA_NOT_PERMITTED },
	/* The wildcard is a policy, never an operation. */
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(ANY_HASH), OP_PSA_SIGN_HASH, ECDSA(ANY_HASH),
	    ST_PSA_INVALID_ARGUMENT },
	{ PSA_KEY_USAGE_SIGN_HASH, ECDSA(SHA_256), OP_PSA_SIGN_HASH, ECDSA(SHA_384),
	    ST_PSA_NOT_PERMITTED },
};

START_TEST(t_policy_check)
{
	const struct policy_case *c = &policy_cases[_i];
	struct op_key_attrs a = sign_key(c->usage, c->key_alg);
	uint32_t st = wire_status_of_psa(key_policy_check(&a, c->opcode, c->alg));

	ck_assert_msg(st == c->status, "policy case %d: opcode %u, alg 0x%08x: status %u, "
	    "expected %u", _i, c->opcode, c->alg, st, c->status);
}
END_TEST

/* A key with no algorithm permits none. */
START_TEST(t_policy_no_alg)
{
	struct op_key_attrs a = sign_key(PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_NONE);

	ck_assert_int_eq(key_policy_permits(&a, PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_NONE), 0);
}
END_TEST

/*
 * MAC and AEAD lengths, as mbedtls 2.28 permits them (the cases of
 * tests/psa/mac.c and aead.c): a policy of at least 12 bytes admits 12 and
 * longer and the default length; an exact policy admits its own length, the
 * full length and its explicit truncation being one; the at-least policy is
 * never an operation's algorithm.
 */
struct length_case {
	uint32_t type, key_alg, opcode, alg, status;
};

#define HMAC256 PSA_ALG_HMAC(PSA_ALG_SHA_256)
#define MAC_AT_LEAST_12 PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(HMAC256, 12)
#define GCM_AT_LEAST_12 PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(PSA_ALG_GCM, 12)

static const struct length_case length_cases[] = {
	{ PSA_KEY_TYPE_HMAC, MAC_AT_LEAST_12, OP_PSA_MAC_COMPUTE,
	    PSA_ALG_TRUNCATED_MAC(HMAC256, 12), ST_SUCCESS },
	{ PSA_KEY_TYPE_HMAC, MAC_AT_LEAST_12, OP_PSA_MAC_COMPUTE,
	    PSA_ALG_TRUNCATED_MAC(HMAC256, 20), ST_SUCCESS },
	{ PSA_KEY_TYPE_HMAC, MAC_AT_LEAST_12, OP_PSA_MAC_COMPUTE, HMAC256, ST_SUCCESS },
	{ PSA_KEY_TYPE_HMAC, MAC_AT_LEAST_12, OP_PSA_MAC_COMPUTE,
	    PSA_ALG_TRUNCATED_MAC(HMAC256, 11), ST_PSA_NOT_PERMITTED },
	{ PSA_KEY_TYPE_HMAC, MAC_AT_LEAST_12, OP_PSA_MAC_COMPUTE,
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_512), 12), ST_PSA_NOT_PERMITTED },
	{ PSA_KEY_TYPE_HMAC, MAC_AT_LEAST_12, OP_PSA_MAC_COMPUTE, MAC_AT_LEAST_12,
	    ST_PSA_INVALID_ARGUMENT },
	{ PSA_KEY_TYPE_HMAC, HMAC256, OP_PSA_MAC_COMPUTE, PSA_ALG_TRUNCATED_MAC(HMAC256, 32),
	    ST_SUCCESS },
	{ PSA_KEY_TYPE_HMAC, PSA_ALG_TRUNCATED_MAC(HMAC256, 32), OP_PSA_MAC_COMPUTE, HMAC256,
	    ST_SUCCESS },
	{ PSA_KEY_TYPE_HMAC, HMAC256, OP_PSA_MAC_COMPUTE, PSA_ALG_TRUNCATED_MAC(HMAC256, 16),
	    ST_PSA_NOT_PERMITTED },
	{ PSA_KEY_TYPE_AES, PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(PSA_ALG_CMAC, 12),
	    OP_PSA_MAC_COMPUTE, PSA_ALG_CMAC, ST_SUCCESS },
	{ PSA_KEY_TYPE_AES, PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(PSA_ALG_CMAC, 12),
	    OP_PSA_MAC_COMPUTE, PSA_ALG_TRUNCATED_MAC(PSA_ALG_CMAC, 8), ST_PSA_NOT_PERMITTED },
	{ PSA_KEY_TYPE_AES, GCM_AT_LEAST_12, OP_PSA_AEAD_ENCRYPT, PSA_ALG_GCM, ST_SUCCESS },
	{ PSA_KEY_TYPE_AES, GCM_AT_LEAST_12, OP_PSA_AEAD_DECRYPT,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 12), ST_SUCCESS },
	{ PSA_KEY_TYPE_AES, GCM_AT_LEAST_12, OP_PSA_AEAD_ENCRYPT,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 8), ST_PSA_NOT_PERMITTED },
	{ PSA_KEY_TYPE_AES, GCM_AT_LEAST_12, OP_PSA_AEAD_ENCRYPT, PSA_ALG_CCM,
	    ST_PSA_NOT_PERMITTED },
	{ PSA_KEY_TYPE_AES, GCM_AT_LEAST_12, OP_PSA_AEAD_ENCRYPT, GCM_AT_LEAST_12,
	    ST_PSA_INVALID_ARGUMENT },
	{ PSA_KEY_TYPE_AES, PSA_ALG_GCM, OP_PSA_AEAD_ENCRYPT,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM, 12), ST_PSA_NOT_PERMITTED },
};

START_TEST(t_policy_lengths)
{
	const struct length_case *c = &length_cases[_i];
	struct op_key_attrs a = { c->type, 0, PSA_KEY_USAGE_SIGN_MESSAGE |
		PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT, c->key_alg };
	uint32_t st = wire_status_of_psa(key_policy_check(&a, c->opcode, c->alg));

	ck_assert_msg(st == c->status, "length case %d: policy 0x%08x, alg 0x%08x: status %u, "
	    "expected %u", _i, c->key_alg, c->alg, st, c->status);
}
END_TEST

START_TEST(t_policy_status)
{
	ck_assert_uint_eq(wire_status_of_psa(PSA_SUCCESS), ST_SUCCESS);
	ck_assert_uint_eq(wire_status_of_psa(PSA_ERROR_INVALID_SIGNATURE),
	    ST_PSA_INVALID_SIGNATURE);
	ck_assert_uint_eq(wire_status_of_psa(PSA_ERROR_NOT_PERMITTED), ST_PSA_NOT_PERMITTED);
	ck_assert_uint_eq(wire_status_of_psa(PSA_ERROR_DATA_INVALID), ST_PSA_DATA_INVALID);
	ck_assert_uint_eq(wire_status_of_psa(-1000), ST_PSA_GENERIC_ERROR);
}
END_TEST

/* SEQUENCE { INTEGER 0x00c1 (sign octet), INTEGER 65537 } */
static const uint8_t der_small[] = { 0x30, 0x09, 0x02, 0x02, 0x00, 0xc1, 0x02, 0x03, 0x01,
	0x00, 0x01 };

START_TEST(t_der_roundtrip)
{
	const uint8_t *n, *e;
	size_t n_len, e_len;
	uint8_t out[16];

	ck_assert_int_eq(der_rsa_public_parse(der_small, sizeof(der_small), &n, &n_len, &e,
	    &e_len), 0);
	ck_assert_uint_eq(n_len, 1);
	ck_assert_uint_eq(n[0], 0xc1);
	ck_assert_uint_eq(e_len, 3);
	ck_assert_uint_eq(der_rsa_public_write(n, n_len, e, e_len, NULL, 0), sizeof(der_small));
	ck_assert_uint_eq(der_rsa_public_write(n, n_len, e, e_len, out, sizeof(out)),
	    sizeof(der_small));
	ck_assert_mem_eq(out, der_small, sizeof(der_small));
	/* Too little room writes nothing. */
	ck_assert_uint_eq(der_rsa_public_write(n, n_len, e, e_len, out, 5), 0);
}
END_TEST

START_TEST(t_der_long_lengths)
{
	uint8_t modulus[256], out[300];
	const uint8_t *n, *e;
	size_t n_len, e_len, len;
	static const uint8_t f4[] = { 0x01, 0x00, 0x01 };

	memset(modulus, 0xa5, sizeof(modulus));
	len = der_rsa_public_write(modulus, sizeof(modulus), f4, sizeof(f4), out,
	    sizeof(out));
	/* The 2048-bit RSAPublicKey that PSA exports is 270 bytes. */
	ck_assert_uint_eq(len, 270);
	ck_assert_int_eq(der_rsa_public_parse(out, len, &n, &n_len, &e, &e_len), 0);
	ck_assert_uint_eq(n_len, 256);
	ck_assert_mem_eq(n, modulus, 256);
}
END_TEST

START_TEST(t_der_refused)
{
	static const uint8_t *const bad[] = {
		(const uint8_t *)"\x30\x09\x02\x02\x00\xc1\x02\x03\x01\x00\x01\x00", /* trailing */
		(const uint8_t *)"\x30\x08\x02\x02\x00\xc1\x02\x03\x01\x00\x01",     /* short seq */
		(const uint8_t *)"\x30\x09\x02\x02\x00\x41\x02\x03\x01\x00\x01",     /* 00 not needed */
		(const uint8_t *)"\x30\x09\x02\x02\xc1\x41\x02\x03\x01\x00\x01",     /* negative */
		(const uint8_t *)"\x30\x81\x09\x02\x02\x00\xc1\x02\x03\x01\x00\x01", /* long form < 128 */
		(const uint8_t *)"\x31\x09\x02\x02\x00\xc1\x02\x03\x01\x00\x01",     /* not a SEQUENCE */
		(const uint8_t *)"\x30\x09\x02\x02\x00\xc1\x02\x04\x01\x00\x01",     /* runs past the end */
	};
	static const size_t lens[] = { 12, 11, 11, 11, 12, 11, 11 };
	const uint8_t *n, *e;
	size_t n_len, e_len, i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		ck_assert_msg(der_rsa_public_parse(bad[i], lens[i], &n, &n_len, &e, &e_len) == -1,
		    "case %zu accepted", i);
	for (i = 0; i <= sizeof(der_small); i++)
		if (i != sizeof(der_small))
			ck_assert_int_eq(der_rsa_public_parse(der_small, i, &n, &n_len, &e,
			    &e_len), -1);
}
END_TEST

START_TEST(t_digest_info)
{
	size_t len;
	const uint8_t *p = key_policy_digest_info(PSA_ALG_SHA_256, &len);

	/* DigestInfo header + a 32-byte hash is the 51 bytes PKCS#1 v1.5 pads. */
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(len + 32, 51);
	ck_assert_uint_eq(p[len - 1], 32);
	ck_assert_ptr_null(key_policy_digest_info(PSA_ALG_MD5, &len));
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "device", 0, NULL, NULL, {
			TEST_LOOP(t_policy_check, sizeof(policy_cases) / sizeof(policy_cases[0])),
			TEST_LOOP(t_policy_lengths, sizeof(length_cases) / sizeof(length_cases[0])),
			TEST(t_policy_no_alg), TEST(t_policy_status),
			TEST(t_der_roundtrip), TEST(t_der_long_lengths), TEST(t_der_refused),
			TEST(t_digest_info)
		} },
	};

	return test_main("device", cases, sizeof(cases) / sizeof(cases[0]));
}
