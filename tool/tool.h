/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-tool's shared pieces: the argument table's shape, the parsed
 * arguments, logging in upstream parsec-tool's format, and the subcommands.
 */
#ifndef PARSEC_TOOL_H
#define PARSEC_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "parsec/client.h"

/* Upstream's exit statuses: 0 done, 1 the subcommand failed, 2 bad usage. */
#define TOOL_EXIT_FAILED 1
#define TOOL_EXIT_USAGE 2
#define TOOL_BUF 8192
#define TOOL_SAN_MAX 16

/* Every option any subcommand takes; tool_args holds one slot per option. */
enum tool_opt_id {
	OPT_KEY_NAME, OPT_FOR_SIGNING, OPT_FOR_SIGNING_PSS, OPT_BITS, OPT_OAEP, OPT_PKCS1,
	OPT_NBYTES, OPT_PROVIDER, OPT_CLIENT, OPT_CN, OPT_L, OPT_O, OPT_OU, OPT_ST, OPT_C,
	OPT_SERIAL, OPT_SAN, OPT_SIGNATURE, OPT_DATA, OPT_TIMEOUT, OPT_COUNT
};

enum tool_opt_kind { TOOL_STRING, TOOL_FLAG, TOOL_NUMBER, TOOL_LIST };

struct tool_opt {
	enum tool_opt_id id;
	char short_name; /* 0: long form only */
	const char *long_name;
	const char *value_name; /* NULL for a flag */
	enum tool_opt_kind kind;
	unsigned long max; /* TOOL_NUMBER: the largest value accepted */
	int required;
	const char *help;      /* one line; NULL for none */
	const char *long_help; /* NULL: the same as help */
};

struct tool_args {
	const char *value[OPT_COUNT];
	unsigned long number[OPT_COUNT];
	int given[OPT_COUNT];
	const char *san[TOOL_SAN_MAX];
	size_t san_count;
	const char *input;
	int provider; /* -1: the client's default */
	long timeout; /* seconds, -1: the default */
};

struct tool_cmd {
	const char *name;
	const char *about;
	const char *long_about; /* NULL: the same as about */
	const struct tool_opt *opts;
	size_t opt_count;
	const char *input_name; /* the positional argument's value name, or NULL */
	const char *input_help;
	int provider_op; /* goes to the --provider; core operations ignore it */
	int (*run)(parsec_client *client, const struct tool_args *args);
};

/* cli_table.c */
extern const struct tool_cmd tool_cmds[];
extern const size_t tool_cmd_count;
extern const struct tool_opt tool_global_opts[];
extern const size_t tool_global_opt_count;
const struct tool_cmd *tool_cmd_find(const char *name);

/* cli.c: parsing as upstream's argument parser does it; exits on bad usage. */
const struct tool_cmd *tool_parse(int argc, char **argv, struct tool_args *args);

/* help.c */
void tool_help_main(FILE *out);
void tool_help_cmd(FILE *out, const struct tool_cmd *cmd, int long_form);
void tool_usage_line(FILE *out, const struct tool_cmd *cmd);
void tool_usage_error(const struct tool_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* log.c: env_logger's "[LEVEL] message" lines on stderr, filtered by RUST_LOG. */
void tool_log_init(void);
void tool_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "Subcommand failed" for a Parsec status; returns TOOL_EXIT_FAILED, or 0 on success. */
int tool_status(int status);
/* The tool's own failures, as upstream names them. */
enum tool_failure { TOOL_NOT_SUPPORTED, TOOL_WRONG_KEY_ALGORITHM, TOOL_INCORRECT_DATA,
	TOOL_BAD_BASE64, TOOL_BAD_NAME };
int tool_fail(enum tool_failure failure);

/* names.c: how upstream's tool prints ids, types and algorithms. */
const char *tool_provider_name(uint32_t id);
const char *tool_auth_name(uint32_t id);
const char *tool_opcode_name(uint32_t opcode);
void tool_type_name(char *out, size_t cap, uint32_t type);
void tool_alg_name(char *out, size_t cap, uint32_t alg);
void tool_sign_alg_name(char *out, size_t cap, uint32_t alg);
/* "Sha256" for a PSA hash algorithm (or its low byte), NULL for one without a name. */
const char *tool_hash_name(uint32_t hash);

/* psa.c: the PSA encodings the tool works with. */
#define TOOL_PSA_RSA_PAIR 0x7001u
#define TOOL_PSA_RSA_PUBLIC 0x4001u
#define TOOL_PSA_ECC_PAIR_SECP_R1 0x7112u
#define TOOL_PSA_ECC_PUBLIC_SECP_R1 0x4112u
#define TOOL_PSA_USAGE_CRYPT 0x0300u        /* encrypt, decrypt */
#define TOOL_PSA_USAGE_SIGN 0x3c00u         /* sign and verify, message and hash */
#define TOOL_PSA_ALG_RSA_PKCS1V15_CRYPT 0x07000200u
#define TOOL_PSA_ALG_RSA_OAEP_BASE 0x07000300u
#define TOOL_PSA_ALG_RSA_PKCS1V15_SIGN_BASE 0x06000200u
#define TOOL_PSA_ALG_RSA_PSS_BASE 0x06000300u
#define TOOL_PSA_ALG_ECDSA_BASE 0x06000600u
#define TOOL_PSA_ALG_SHA_256 0x02000009u
#define TOOL_PSA_HASH_ANY 0xffu
int tool_is_rsa(uint32_t type);
int tool_is_ecc(uint32_t type);
int tool_is_sign_alg(uint32_t alg);
int tool_is_ecdsa(uint32_t alg);
/* SHA-224/256/384/512 of data into hash (64 bytes); 0, or -1 for another hash. */
int tool_hash(uint32_t hash_alg, const uint8_t *data, size_t len, uint8_t *hash,
    size_t *hash_len);
/* Signs data as upstream does: the key's hash (default_hash when it permits any), then
 * PsaSignHash, ECDSA as DER. Returns a tool exit status. */
int tool_sign_with_policy(parsec_client *client, const char *key_name, const uint8_t *data,
    size_t len, uint32_t default_hash, uint8_t *sig, size_t cap, size_t *sig_len);

/* encode.c */
void tool_print_base64(const uint8_t *data, size_t len);
int tool_decode_base64(const char *in, uint8_t *out, size_t cap, size_t *len);
/* PSA's r || s as a DER ECDSA-Sig-Value and back. */
int tool_ecdsa_to_der(const uint8_t *raw, size_t raw_len, uint8_t *der, size_t cap,
    size_t *der_len);
int tool_ecdsa_from_der(const uint8_t *der, size_t der_len, size_t half, uint8_t *raw);
int tool_print_pem(const char *label, const uint8_t *der, size_t len);
/* Text and a newline; bytes that are not UTF-8 print as U+FFFD. */
void tool_print_text(const uint8_t *text, size_t len);

/* The subcommands: core.c, keys.c, crypto.c, csr.c. */
int tool_ping(parsec_client *client, const struct tool_args *args);
int tool_list_providers(parsec_client *client, const struct tool_args *args);
int tool_list_authenticators(parsec_client *client, const struct tool_args *args);
int tool_list_opcodes(parsec_client *client, const struct tool_args *args);
int tool_list_keys(parsec_client *client, const struct tool_args *args);
int tool_list_clients(parsec_client *client, const struct tool_args *args);
int tool_delete_client(parsec_client *client, const struct tool_args *args);
int tool_generate_random(parsec_client *client, const struct tool_args *args);
int tool_export_public_key(parsec_client *client, const struct tool_args *args);
int tool_create_rsa_key(parsec_client *client, const struct tool_args *args);
int tool_create_ecc_key(parsec_client *client, const struct tool_args *args);
int tool_delete_key(parsec_client *client, const struct tool_args *args);
int tool_import_key(parsec_client *client, const struct tool_args *args);
int tool_sign(parsec_client *client, const struct tool_args *args);
int tool_verify(parsec_client *client, const struct tool_args *args);
int tool_encrypt(parsec_client *client, const struct tool_args *args);
int tool_decrypt(parsec_client *client, const struct tool_args *args);
int tool_create_csr(parsec_client *client, const struct tool_args *args);

#endif
