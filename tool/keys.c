/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-tool's key subcommands: create-rsa-key and create-ecc-key with
 * upstream's policies, delete-key, export-public-key, and our import-key.
 */
#include <string.h>

#include <mbedtls/pk.h>

#include "tool.h"

static int
tool_generate(parsec_client *client, const char *name, const struct parsec_key_attributes *a)
{
	int st = parsec_generate_key(client, name, a);

	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	tool_info("Key \"%s\" created.", name);
	return 0;
}

int
tool_create_rsa_key(parsec_client *client, const struct tool_args *args)
{
	struct parsec_key_attributes a = { TOOL_PSA_RSA_PAIR, 2048, TOOL_PSA_USAGE_CRYPT,
		TOOL_PSA_ALG_RSA_PKCS1V15_CRYPT };

	if (args->given[OPT_BITS])
		a.bits = (uint32_t)args->number[OPT_BITS];
	if (args->given[OPT_FOR_SIGNING]) {
		/* --for-signing wins over --for-signing-pss, as upstream has it. */
		tool_info("Creating RSA signing key with PKCS1 v1.5 scheme...");
		a.usage = TOOL_PSA_USAGE_SIGN;
		a.alg = TOOL_PSA_ALG_RSA_PKCS1V15_SIGN_BASE | (TOOL_PSA_ALG_SHA_256 & 0xff);
	} else if (args->given[OPT_FOR_SIGNING_PSS]) {
		tool_info("Creating RSA signing key with PSS scheme...");
		a.usage = TOOL_PSA_USAGE_SIGN;
		a.alg = TOOL_PSA_ALG_RSA_PSS_BASE | (TOOL_PSA_ALG_SHA_256 & 0xff);
	} else {
		tool_info("Creating RSA encryption key...");
		if (args->given[OPT_OAEP])
			a.alg = TOOL_PSA_ALG_RSA_OAEP_BASE | (TOOL_PSA_ALG_SHA_256 & 0xff);
	}
	return tool_generate(client, args->value[OPT_KEY_NAME], &a);
}

int
tool_create_ecc_key(parsec_client *client, const struct tool_args *args)
{
	struct parsec_key_attributes a = { TOOL_PSA_ECC_PAIR_SECP_R1, 256, TOOL_PSA_USAGE_SIGN,
		TOOL_PSA_ALG_ECDSA_BASE | (TOOL_PSA_ALG_SHA_256 & 0xff) };

	tool_info("Creating ECC signing key...");
	return tool_generate(client, args->value[OPT_KEY_NAME], &a);
}

int
tool_delete_key(parsec_client *client, const struct tool_args *args)
{
	int st;

	tool_info("Deleting a key...");
	if ((st = parsec_destroy_key(client, args->value[OPT_KEY_NAME])) != PARSEC_SUCCESS)
		return tool_status(st);
	tool_info("Key \"%s\" deleted.", args->value[OPT_KEY_NAME]);
	return 0;
}

int
tool_export_public_key(parsec_client *client, const struct tool_args *args)
{
	const char *name = args->value[OPT_KEY_NAME];
	struct parsec_key_attributes attrs;
	uint8_t der[TOOL_BUF];
	size_t len;
	int st;

	if ((st = parsec_key_attributes(client, name, &attrs)) != PARSEC_SUCCESS)
		return tool_status(st);
	if (args->given[OPT_PKCS1] && tool_is_ecc(attrs.type)) {
		tool_error("PKCS1 format doesn't support ECC keys");
		return tool_fail(TOOL_WRONG_KEY_ALGORITHM);
	}
	if (!tool_is_rsa(attrs.type) && !tool_is_ecc(attrs.type)) {
		tool_error("Unsupported type of key");
		return tool_fail(TOOL_NOT_SUPPORTED);
	}
	if (args->given[OPT_PKCS1]) {
		/* PSA exports an RSA public key as PKCS#1 RSAPublicKey already. */
		if ((st = parsec_export_public_key(client, name, der, sizeof(der), &len)) != 0)
			return tool_status(st);
		return tool_print_pem("RSA PUBLIC KEY", der, len);
	}
	if ((st = parsec_export_public_key_der(client, name, der, sizeof(der), &len)) != 0)
		return tool_status(st);
	return tool_print_pem("PUBLIC KEY", der, len);
}

/* The PSA attributes and import form of a parsed public key. */
static int
tool_import_form(mbedtls_pk_context *pk, struct parsec_key_attributes *attrs, uint8_t *buf,
    size_t cap, uint8_t **data, size_t *len)
{
	unsigned char *p = buf + cap;
	/* RSA: the PKCS#1 RSAPublicKey; ECC: the point of the SubjectPublicKeyInfo. */
	int n = mbedtls_pk_write_pubkey(&p, buf, pk);

	if (n <= 0)
		return -1;
	memset(attrs, 0, sizeof(*attrs));
	attrs->bits = (uint32_t)mbedtls_pk_get_bitlen(pk);
	if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA) {
		attrs->type = TOOL_PSA_RSA_PUBLIC;
		attrs->usage = 0x2800 | 0x0100; /* verify hash and message, encrypt */
		attrs->alg = TOOL_PSA_ALG_RSA_PKCS1V15_SIGN_BASE | (TOOL_PSA_ALG_SHA_256 & 0xff);
	} else {
		attrs->type = TOOL_PSA_ECC_PUBLIC_SECP_R1;
		attrs->usage = 0x2800;
		attrs->alg = TOOL_PSA_ALG_ECDSA_BASE | (attrs->bits == 384 ? 0x0a : 0x09);
	}
	*data = p;
	*len = (size_t)n;
	return 0;
}

int
tool_import_key(parsec_client *client, const struct tool_args *args)
{
	static uint8_t file[TOOL_BUF], buf[TOOL_BUF];
	struct parsec_key_attributes attrs;
	mbedtls_pk_context pk;
	uint8_t *data;
	size_t len;
	FILE *f;
	int rc;

	if ((f = fopen(args->value[OPT_DATA], "rb")) == NULL) {
		tool_error("Cannot read %s", args->value[OPT_DATA]);
		return TOOL_EXIT_FAILED;
	}
	len = fread(file, 1, sizeof(file) - 1, f);
	fclose(f);
	file[len] = '\0';
	mbedtls_pk_init(&pk);
	/* mbedtls wants a PEM's terminating NUL counted. */
	rc = mbedtls_pk_parse_public_key(&pk, file, strstr((char *)file, "-----BEGIN") ? len + 1 :
	    len) != 0 || tool_import_form(&pk, &attrs, buf, sizeof(buf), &data, &len) != 0;
	mbedtls_pk_free(&pk);
	if (rc) {
		tool_error("%s is not a public key", args->value[OPT_DATA]);
		return tool_fail(TOOL_INCORRECT_DATA);
	}
	rc = parsec_import_key(client, args->value[OPT_KEY_NAME], &attrs, data, len);
	if (rc != PARSEC_SUCCESS)
		return tool_status(rc);
	tool_info("Key \"%s\" imported.", args->value[OPT_KEY_NAME]);
	return 0;
}
