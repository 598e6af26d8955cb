/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names parsec-tool prints for provider, authenticator and opcode ids, key
 * types and algorithms, in the words upstream's tool prints them.
 */
#include <string.h>

#include "tool.h"
#include "wire.h"

struct tool_name {
	uint32_t id;
	const char *name;
};

static const char *
tool_name_of(const struct tool_name *names, size_t count, uint32_t id)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (names[i].id == id)
			return names[i].name;
	return NULL;
}

#define NAME_OF(table, id) tool_name_of(table, sizeof(table) / sizeof(table[0]), id)

const char *
tool_provider_name(uint32_t id)
{
	static const struct tool_name providers[] = {
		{ 0, "Core provider" }, { 1, "Mbed Crypto provider" }, { 2, "PKCS #11 provider" },
		{ 3, "TPM provider" }, { 4, "Trusted Service provider" },
		{ 5, "CryptoAuthentication Library provider" },
	};
	const char *name = NAME_OF(providers, id);

	return name != NULL ? name : "Unknown provider";
}

const char *
tool_auth_name(uint32_t id)
{
	static const struct tool_name auths[] = {
		{ 0, "No authentication" }, { 1, "Direct authentication" },
		{ 2, "JSON Web Tokens authentication" },
		{ 3, "Unix Peer Credentials authentication" },
		{ 4, "JWT SPIFFE Verifiable Identity Document authentication" },
	};
	const char *name = NAME_OF(auths, id);

	return name != NULL ? name : "Unknown authentication";
}

const char *
tool_opcode_name(uint32_t opcode)
{
	return wire_opcode_name(opcode);
}

static const char *
tool_curve_name(uint32_t family)
{
	static const struct tool_name curves[] = {
		{ 0x17, "SecpK1" }, { 0x12, "SecpR1" }, { 0x1b, "SecpR2" }, { 0x27, "SectK1" },
		{ 0x22, "SectR1" }, { 0x2b, "SectR2" }, { 0x30, "BrainpoolPR1" }, { 0x33, "Frp" },
		{ 0x41, "Montgomery" },
	};

	return NAME_OF(curves, family);
}

void
tool_type_name(char *out, size_t cap, uint32_t type)
{
	static const struct tool_name types[] = {
		{ 0x1001, "RawData" }, { 0x1100, "Hmac" }, { 0x1200, "Derive" }, { 0x2400, "Aes" },
		{ 0x2301, "Des" }, { 0x2403, "Camellia" }, { 0x2002, "Arc4" }, { 0x2004, "Chacha20" },
		{ TOOL_PSA_RSA_PUBLIC, "RsaPublicKey" }, { TOOL_PSA_RSA_PAIR, "RsaKeyPair" },
	};
	const char *name = NAME_OF(types, type);
	const char *curve = tool_curve_name(type & 0xff);

	if (name != NULL)
		snprintf(out, cap, "%s", name);
	else if ((type & 0xff00) == 0x7100 && curve != NULL)
		snprintf(out, cap, "EccKeyPair { curve_family: %s }", curve);
	else if ((type & 0xff00) == 0x4100 && curve != NULL)
		snprintf(out, cap, "EccPublicKey { curve_family: %s }", curve);
	else if ((type & 0xff00) == 0x7200 || (type & 0xff00) == 0x4200)
		snprintf(out, cap, "Dh%s { group_family: Rfc7919 }",
		    (type & 0xff00) == 0x7200 ? "KeyPair" : "PublicKey");
	else
		snprintf(out, cap, "0x%04x", type);
}

const char *
tool_hash_name(uint32_t hash)
{
	static const struct tool_name hashes[] = {
		{ 0x03, "Md5" }, { 0x04, "Ripemd160" }, { 0x05, "Sha1" }, { 0x08, "Sha224" },
		{ 0x09, "Sha256" }, { 0x0a, "Sha384" }, { 0x0b, "Sha512" }, { 0x0c, "Sha512_224" },
		{ 0x0d, "Sha512_256" }, { 0x10, "Sha3_224" }, { 0x11, "Sha3_256" },
		{ 0x12, "Sha3_384" }, { 0x13, "Sha3_512" },
	};

	return NAME_OF(hashes, hash & 0xff);
}

/* The signature scheme alone: "Ecdsa { hash_alg: Specific(Sha256) }". */
void
tool_sign_alg_name(char *out, size_t cap, uint32_t alg)
{
	static const struct tool_name schemes[] = {
		{ TOOL_PSA_ALG_RSA_PKCS1V15_SIGN_BASE, "RsaPkcs1v15Sign" },
		{ TOOL_PSA_ALG_RSA_PSS_BASE, "RsaPss" }, { TOOL_PSA_ALG_ECDSA_BASE, "Ecdsa" },
		{ 0x06000700, "DeterministicEcdsa" },
	};
	const char *scheme = NAME_OF(schemes, alg & ~0xffu), *hash = tool_hash_name(alg);

	if (alg == TOOL_PSA_ALG_RSA_PKCS1V15_SIGN_BASE)
		snprintf(out, cap, "RsaPkcs1v15SignRaw");
	else if (alg == TOOL_PSA_ALG_ECDSA_BASE)
		snprintf(out, cap, "EcdsaAny");
	else if (scheme != NULL && (alg & 0xff) == TOOL_PSA_HASH_ANY)
		snprintf(out, cap, "%s { hash_alg: Any }", scheme);
	else if (scheme != NULL && hash != NULL)
		snprintf(out, cap, "%s { hash_alg: Specific(%s) }", scheme, hash);
	else
		snprintf(out, cap, "0x%08x", alg);
}

void
tool_alg_name(char *out, size_t cap, uint32_t alg)
{
	char inner[96];

	if (alg == 0)
		snprintf(out, cap, "None");
	else if (tool_is_sign_alg(alg)) {
		tool_sign_alg_name(inner, sizeof(inner), alg);
		snprintf(out, cap, "AsymmetricSignature(%s)", inner);
	} else if (alg == TOOL_PSA_ALG_RSA_PKCS1V15_CRYPT)
		snprintf(out, cap, "AsymmetricEncryption(RsaPkcs1v15Crypt)");
	else if ((alg & ~0xffu) == TOOL_PSA_ALG_RSA_OAEP_BASE && tool_hash_name(alg) != NULL)
		snprintf(out, cap, "AsymmetricEncryption(RsaOaep { hash_alg: %s })",
		    tool_hash_name(alg));
	else if ((alg & 0xff000000u) == 0x02000000u && tool_hash_name(alg) != NULL)
		snprintf(out, cap, "Hash(%s)", tool_hash_name(alg));
	else
		snprintf(out, cap, "0x%08x", alg);
}
