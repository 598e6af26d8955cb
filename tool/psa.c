/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PSA encodings parsec-tool reasons about, and signing as upstream's
 * tool signs: the message hashed here with the key's hash, PsaSignHash, and
 * ECDSA's r || s turned into the DER that OpenSSL and X.509 expect.
 */
#include <string.h>

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "tool.h"

int
tool_is_rsa(uint32_t type)
{
	return type == TOOL_PSA_RSA_PAIR || type == TOOL_PSA_RSA_PUBLIC;
}

int
tool_is_ecc(uint32_t type)
{
	return (type & 0xff00) == 0x7100 || (type & 0xff00) == 0x4100;
}

int
tool_is_sign_alg(uint32_t alg)
{
	return (alg & 0xff000000u) == 0x06000000u;
}

int
tool_is_ecdsa(uint32_t alg)
{
	return (alg & ~0x1ffu) == TOOL_PSA_ALG_ECDSA_BASE;
}

int
tool_hash(uint32_t hash_alg, const uint8_t *data, size_t len, uint8_t *hash, size_t *hash_len)
{
	switch (hash_alg & 0xff) {
	case 0x08:
		*hash_len = 28;
		return mbedtls_sha256_ret(data, len, hash, 1) == 0 ? 0 : -1;
	case 0x09:
		*hash_len = 32;
		return mbedtls_sha256_ret(data, len, hash, 0) == 0 ? 0 : -1;
	case 0x0a:
		*hash_len = 48;
		return mbedtls_sha512_ret(data, len, hash, 1) == 0 ? 0 : -1;
	case 0x0b:
		*hash_len = 64;
		return mbedtls_sha512_ret(data, len, hash, 0) == 0 ? 0 : -1;
	default:
		return -1;
	}
}

/* The specific hash a signature with alg uses: default_hash for an any-hash policy. */
static int
tool_signing_hash(uint32_t alg, uint32_t default_hash, uint32_t *hash_alg)
{
	char name[96];

	tool_sign_alg_name(name, sizeof(name), alg);
	if ((alg & 0xff) == TOOL_PSA_HASH_ANY) {
		if (default_hash == 0) {
			tool_error("Signing key allows any hashing algorithm, but no default was "
			    "specified.");
			return -1;
		}
		*hash_alg = default_hash;
		return 0;
	}
	if ((alg & 0xff) == 0 || tool_hash_name(alg) == NULL) {
		tool_error("Asymmetric signing algorithm (%s) is not supported", name);
		return -1;
	}
	*hash_alg = 0x02000000u | (alg & 0xff);
	return 0;
}

int
tool_sign_with_policy(parsec_client *client, const char *key_name, const uint8_t *data,
    size_t len, uint32_t default_hash, uint8_t *sig, size_t cap, size_t *sig_len)
{
	struct parsec_key_attributes attrs;
	uint8_t hash[64], raw[1024];
	size_t hash_len, raw_len;
	uint32_t hash_alg, alg;
	char name[96];
	int st;

	if ((st = parsec_key_attributes(client, key_name, &attrs)) != PARSEC_SUCCESS)
		return tool_status(st);
	if (!tool_is_sign_alg(attrs.alg)) {
		tool_alg_name(name, sizeof(name), attrs.alg);
		tool_error("Key's algorithm is %s which can not be used for signing.", name);
		return tool_fail(TOOL_WRONG_KEY_ALGORITHM);
	}
	if (tool_signing_hash(attrs.alg, default_hash, &hash_alg) == -1)
		return tool_fail(TOOL_NOT_SUPPORTED);
	if (tool_hash(hash_alg, data, len, hash, &hash_len) == -1) {
		tool_error("Hashing algorithm (%s) not supported", tool_hash_name(hash_alg));
		return tool_fail(TOOL_NOT_SUPPORTED);
	}
	tool_info("Hashing data with %s...", tool_hash_name(hash_alg));
	alg = (attrs.alg & ~0xffu) | (hash_alg & 0xff);
	tool_sign_alg_name(name, sizeof(name), attrs.alg);
	tool_info("Signing data with %s...", name);
	st = parsec_sign_hash(client, key_name, alg, hash, hash_len, raw, sizeof(raw), &raw_len);
	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	if (tool_is_ecdsa(alg))
		return tool_ecdsa_to_der(raw, raw_len, sig, cap, sig_len) == 0 ? 0 :
		    tool_fail(TOOL_INCORRECT_DATA);
	if (raw_len > cap)
		return tool_fail(TOOL_INCORRECT_DATA);
	memcpy(sig, raw, raw_len);
	*sig_len = raw_len;
	return 0;
}
