/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-tool's sign, encrypt and decrypt with the algorithm the key's
 * policy names, as upstream's tool does, and our verify, sign's counterpart.
 */
#include <string.h>

#include "tool.h"

int
tool_sign(parsec_client *client, const struct tool_args *args)
{
	uint8_t sig[1100];
	size_t len;
	int rc = tool_sign_with_policy(client, args->value[OPT_KEY_NAME],
	    (const uint8_t *)args->input, strlen(args->input), 0, sig, sizeof(sig), &len);

	if (rc == 0)
		tool_print_base64(sig, len);
	return rc;
}

int
tool_verify(parsec_client *client, const struct tool_args *args)
{
	struct parsec_key_attributes attrs;
	uint8_t sig[1100], raw[1100], hash[64];
	size_t sig_len, hash_len;
	uint32_t hash_alg;
	int st;

	if (tool_decode_base64(args->value[OPT_SIGNATURE], sig, sizeof(sig), &sig_len) == -1)
		return tool_fail(TOOL_BAD_BASE64);
	if ((st = parsec_key_attributes(client, args->value[OPT_KEY_NAME], &attrs)) != 0)
		return tool_status(st);
	if (!tool_is_sign_alg(attrs.alg))
		return tool_fail(TOOL_WRONG_KEY_ALGORITHM);
	hash_alg = (attrs.alg & 0xff) == TOOL_PSA_HASH_ANY ? TOOL_PSA_ALG_SHA_256 :
	    0x02000000u | (attrs.alg & 0xff);
	if (tool_hash(hash_alg, (const uint8_t *)args->input, strlen(args->input), hash,
	    &hash_len) == -1)
		return tool_fail(TOOL_NOT_SUPPORTED);
	if (tool_is_ecdsa(attrs.alg)) {
		/* sign prints DER; the service wants r || s. */
		if (tool_ecdsa_from_der(sig, sig_len, (attrs.bits + 7) / 8, raw) == -1)
			return tool_fail(TOOL_INCORRECT_DATA);
		sig_len = 2 * ((attrs.bits + 7) / 8);
		memcpy(sig, raw, sig_len);
	}
	st = parsec_verify_hash(client, args->value[OPT_KEY_NAME],
	    (attrs.alg & ~0xffu) | (hash_alg & 0xff), hash, hash_len, sig, sig_len);
	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	printf("Signature verified\n");
	return 0;
}

/* The key's asymmetric encryption algorithm, or a failure logged as upstream logs it. */
static int
tool_crypt_alg(parsec_client *client, const char *key_name, const char *what, uint32_t *alg)
{
	struct parsec_key_attributes attrs;
	char name[128];
	int st;

	if ((st = parsec_key_attributes(client, key_name, &attrs)) != PARSEC_SUCCESS)
		return tool_status(st);
	tool_alg_name(name, sizeof(name), attrs.alg);
	if ((attrs.alg & 0xff000000u) == 0x07000000u) {
		/* "AsymmetricEncryption(X)" logs as X. */
		name[strlen(name) - 1] = '\0';
		tool_info("%sing data with %s...", what, strchr(name, '(') + 1);
		*alg = attrs.alg;
		return 0;
	}
	if ((attrs.alg & 0xff000000u) == 0x04000000u || (attrs.alg & 0xff000000u) == 0x05000000u) {
		tool_error("Key's algorithm is %s which is not currently supported for %sion.",
		    name, what[0] == 'E' ? "encrypt" : "decrypt");
		return tool_fail(TOOL_NOT_SUPPORTED);
	}
	tool_error("Key's algorithm is %s which cannot be used for %sion.", name,
	    what[0] == 'E' ? "encrypt" : "decrypt");
	return tool_fail(TOOL_WRONG_KEY_ALGORITHM);
}

int
tool_encrypt(parsec_client *client, const struct tool_args *args)
{
	uint8_t out[1024];
	size_t len;
	uint32_t alg;
	int st = tool_crypt_alg(client, args->value[OPT_KEY_NAME], "Encrypt", &alg);

	if (st != 0)
		return st;
	st = parsec_asymmetric_encrypt(client, args->value[OPT_KEY_NAME], alg,
	    (const uint8_t *)args->input, strlen(args->input), NULL, 0, out, sizeof(out), &len);
	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	tool_print_base64(out, len);
	return 0;
}

int
tool_decrypt(parsec_client *client, const struct tool_args *args)
{
	uint8_t in[1024], out[1024];
	size_t in_len, len;
	uint32_t alg;
	int st;

	if (tool_decode_base64(args->input, in, sizeof(in), &in_len) == -1)
		return tool_fail(TOOL_BAD_BASE64);
	if ((st = tool_crypt_alg(client, args->value[OPT_KEY_NAME], "Decrypt", &alg)) != 0)
		return st;
	st = parsec_asymmetric_decrypt(client, args->value[OPT_KEY_NAME], alg, in, in_len, NULL,
	    0, out, sizeof(out), &len);
	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	tool_print_text(out, len);
	return 0;
}
