/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-tool's argument table: upstream parsec-tool 0.7's subcommands with
 * their flags (long and short), value names and defaults, then our additions.
 */
#include <string.h>

#include "tool.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KEY_NAME(help) { OPT_KEY_NAME, 'k', "key-name", "KEY_NAME", TOOL_STRING, 0, 1, help, NULL }
#define NO_OPTS NULL, 0

const struct tool_opt tool_global_opts[] = {
	{ OPT_PROVIDER, 'p', "provider", "PROVIDER", TOOL_NUMBER, 255, 0,
	    "Provider id the subcommand goes to (default: the service's first provider)", NULL },
	{ OPT_TIMEOUT, 't', "timeout", "TIMEOUT", TOOL_NUMBER, 4294967295UL, 0,
	    "Seconds the subcommand may take (0: no limit of the tool's own)", NULL },
};
const size_t tool_global_opt_count = ARRAY_LEN(tool_global_opts);

static const struct tool_opt key_opts[] = { KEY_NAME("Name of the key") };

static const struct tool_opt list_opcodes_opts[] = {
	{ OPT_PROVIDER, 'p', "provider", "PROVIDER", TOOL_NUMBER, 255, 0,
	    "Provider whose operations are listed", NULL },
};

static const struct tool_opt random_opts[] = {
	{ OPT_NBYTES, 'n', "nbytes", "NBYTES", TOOL_NUMBER, 16777216, 1, NULL, NULL },
};

static const struct tool_opt export_opts[] = {
	KEY_NAME("Name of the key"),
	{ OPT_PKCS1, 0, "pkcs1", NULL, TOOL_FLAG, 0, 0,
	    "Print an RSA public key as PKCS#1 RSAPublicKey (RSA PUBLIC KEY)", NULL },
};

static const struct tool_opt rsa_opts[] = {
	KEY_NAME("Name of the key"),
	{ OPT_FOR_SIGNING, 's', "for-signing", NULL, TOOL_FLAG, 0, 0,
	    "Make a signing key (PKCS#1 v1.5, SHA-256) instead of an encryption key; wins over "
	    "--for-signing-pss", NULL },
	{ OPT_FOR_SIGNING_PSS, 'r', "for-signing-pss", NULL, TOOL_FLAG, 0, 0,
	    "Make a signing key for RSA-PSS with SHA-256", NULL },
	{ OPT_BITS, 'b', "bits", "BITS", TOOL_NUMBER, 4294967295UL, 0,
	    "Key size in bits (default 2048); the provider decides which sizes it accepts", NULL },
	{ OPT_OAEP, 'o', "oaep", NULL, TOOL_FLAG, 0, 0,
	    "Encrypt with RSA-OAEP (SHA-256) instead of PKCS#1 v1.5", NULL },
};

static const struct tool_opt ecc_opts[] = { KEY_NAME("Name of the key") };

static const struct tool_opt input_key_opts[] = { KEY_NAME("Name of the key") };

static const struct tool_opt delete_client_opts[] = {
	{ OPT_CLIENT, 'c', "client", "CLIENT", TOOL_STRING, 0, 1, NULL, NULL },
};

static const struct tool_opt csr_opts[] = {
	KEY_NAME("Signing key the request is made for and signed with (RSA, or ECC on P-256 or "
	    "P-384)"),
	{ OPT_CN, 0, "cn", "COMMON_NAME", TOOL_STRING, 0, 0, "Subject common name (CN)", NULL },
	{ OPT_L, 0, "l", "LOCALITY", TOOL_STRING, 0, 0, "Subject locality (L)", NULL },
	{ OPT_O, 0, "o", "ORGANIZATION", TOOL_STRING, 0, 0, "Subject organization (O)", NULL },
	{ OPT_OU, 0, "ou", "ORGANIZATIONAL_UNIT", TOOL_STRING, 0, 0,
	    "Subject organizational unit (OU)", NULL },
	{ OPT_ST, 0, "st", "STATE", TOOL_STRING, 0, 0, "Subject state or province (ST)", NULL },
	{ OPT_C, 0, "c", "COUNTRY", TOOL_STRING, 0, 0, "Subject country (C)", NULL },
	{ OPT_SERIAL, 0, "serialNumber", "SERIAL_NUMBER", TOOL_STRING, 0, 0,
	    "Subject serial number (serialNumber)", NULL },
	{ OPT_SAN, 0, "san", "SUBJECT_ALTERNATIVE_NAME", TOOL_LIST, 0, 0,
	    "Subject alternative name: a DNS name or an IP address (repeatable)", NULL },
};

static const struct tool_opt verify_opts[] = {
	KEY_NAME("Name of the key"),
	{ OPT_SIGNATURE, 0, "signature", "SIGNATURE", TOOL_STRING, 0, 1,
	    "The signature, base64, as sign prints it", NULL },
};

static const struct tool_opt import_opts[] = {
	KEY_NAME("Name of the key"),
	{ OPT_DATA, 0, "data", "FILE", TOOL_STRING, 0, 1,
	    "A public key (RSA or ECC on SECP R1), PEM or DER", NULL },
};

/* op: whether the subcommand goes to the --provider (core operations do not). */
#define CMD(name, about, opts, input, input_help, op, run) \
	{ name, about, NULL, opts, ARRAY_LEN(opts), input, input_help, op, run }
#define CMD0(name, about, op, run) { name, about, NULL, NO_OPTS, NULL, NULL, op, run }

const struct tool_cmd tool_cmds[] = {
	CMD0("ping", "Ask the service for its wire protocol version", 0, tool_ping),
	CMD0("list-providers", "List the providers the service offers", 0, tool_list_providers),
	CMD0("list-authenticators", "List the authenticators the service accepts", 0,
	    tool_list_authenticators),
	CMD("list-opcodes", "List the operations a provider serves", list_opcodes_opts, NULL,
	    NULL, 0, tool_list_opcodes),
	CMD0("list-keys", "List this application's keys", 0, tool_list_keys),
	CMD("generate-random", "Print random bytes from the provider, in hex", random_opts,
	    NULL, NULL, 1, tool_generate_random),
	CMD("export-public-key", "Print a key's public part as PEM", export_opts, NULL, NULL, 1,
	    tool_export_public_key),
	CMD("create-rsa-key", "Create an RSA key pair (2048 bits, PKCS#1 v1.5 encryption unless "
	    "told otherwise)", rsa_opts, NULL, NULL, 1, tool_create_rsa_key),
	CMD("create-ecc-key", "Create an ECC key pair on secp256r1 for ECDSA with SHA-256",
	    ecc_opts, NULL, NULL, 1, tool_create_ecc_key),
	CMD("decrypt", "Decrypt base64 ciphertext with the key's algorithm", input_key_opts,
	    "INPUT_DATA", "Ciphertext, base64", 1, tool_decrypt),
	CMD("sign", "Sign text with the key's algorithm; prints the signature in base64",
	    input_key_opts, "INPUT_DATA", "Text to sign (UTF-8)", 1, tool_sign),
	CMD("delete-key", "Destroy a key", key_opts, NULL, NULL, 1, tool_delete_key),
	CMD0("list-clients", "List the applications holding keys (administrators only)", 0,
	    tool_list_clients),
	CMD("delete-client", "Destroy every key of an application (administrators only)",
	    delete_client_opts, NULL, NULL, 0, tool_delete_client),
	CMD("create-csr", "Print a PKCS#10 certificate signing request for a key", csr_opts, NULL,
	    NULL, 1, tool_create_csr),
	CMD("encrypt", "Encrypt text with the key's algorithm; prints base64", input_key_opts,
	    "INPUT_DATA", "Text to encrypt", 1, tool_encrypt),
	/* parsecd's additions. */
	CMD("verify", "Check a signature that sign printed, with the service", verify_opts,
	    "INPUT_DATA", "The signed text", 1, tool_verify),
	CMD("import-key", "Import a public key from a file", import_opts, NULL, NULL, 1,
	    tool_import_key),
};
const size_t tool_cmd_count = ARRAY_LEN(tool_cmds);

const struct tool_cmd *
tool_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < tool_cmd_count; i++)
		if (strcmp(tool_cmds[i].name, name) == 0)
			return &tool_cmds[i];
	return NULL;
}
