/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-tool: the Parsec service from the command line, with upstream
 * parsec-tool's subcommands and flags (plus verify and import-key). Binary
 * data goes in and out as base64. Exit status: 0 success, 1 the service
 * refused (its status is printed), 2 bad usage, 3 no service.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/x509.h>

#include "parsec/client.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_NO_SERVICE 3
#define TOOL_BUF 8192

struct tool_args {
	const char *key_name;
	const char *client;
	const char *signature;
	const char *data_file;
	const char *cn, *l, *c, *st, *o, *ou, *serial;
	long nbytes;
	long bits;
	int for_signing;
	int provider;
	const char *input;
};

struct tool_cmd {
	const char *name;
	const char *help;
	int (*run)(parsec_client *client, const struct tool_args *args);
	int needs_key;
};

static int
tool_status(const char *what, int st)
{
	if (st == PARSEC_SUCCESS)
		return 0;
	fprintf(stderr, "parsec-tool: %s: %s (%s, %d)\n", what, parsec_status_str(st),
	    parsec_status_name(st), st);
	return st == PARSEC_ERR_CONNECTION ? EXIT_NO_SERVICE : EXIT_REFUSED;
}

static void
tool_print_base64(const uint8_t *data, size_t len)
{
	size_t olen = 0;
	unsigned char *b64 = malloc(4 * ((len + 2) / 3) + 1);

	if (b64 == NULL || mbedtls_base64_encode(b64, 4 * ((len + 2) / 3) + 1, &olen, data, len)) {
		fprintf(stderr, "parsec-tool: out of memory\n");
		exit(EXIT_REFUSED);
	}
	printf("%.*s\n", (int)olen, b64);
	free(b64);
}

static int
tool_decode_base64(const char *in, uint8_t *out, size_t cap, size_t *len)
{
	return mbedtls_base64_decode(out, cap, len, (const unsigned char *)in, strlen(in)) == 0 ?
	    0 : -1;
}

static int
cmd_ping(parsec_client *client, const struct tool_args *a)
{
	uint8_t maj, min;
	int st = parsec_ping(client, &maj, &min);

	if (st == PARSEC_SUCCESS)
		printf("Service wire protocol version: %u.%u\n", maj, min);
	return tool_status("ping", st);
}

static int
cmd_list_providers(parsec_client *client, const struct tool_args *a)
{
	struct parsec_provider_info p[16];
	size_t n, i;
	int st = parsec_list_providers(client, p, 16, &n);

	for (i = 0; st == PARSEC_SUCCESS && i < n; i++)
		printf("ID: 0x%02x (%u)\nDescription: %s\nVendor: %s\nVersion: %u.%u.%u\nUUID: %s\n\n",
		    p[i].id, p[i].id, p[i].description, p[i].vendor, p[i].version_maj,
		    p[i].version_min, p[i].version_rev, p[i].uuid);
	return tool_status("list-providers", st);
}

static int
cmd_list_opcodes(parsec_client *client, const struct tool_args *a)
{
	uint32_t ops[64];
	size_t n, i;
	int st = parsec_list_opcodes(client, a->provider >= 0 ? (uint32_t)a->provider :
	    parsec_client_provider(client), ops, 64, &n);

	for (i = 0; st == PARSEC_SUCCESS && i < n; i++)
		printf("0x%02x\n", ops[i]);
	return tool_status("list-opcodes", st);
}

static int
cmd_list_authenticators(parsec_client *client, const struct tool_args *a)
{
	struct parsec_authenticator_info auth[8];
	size_t n, i;
	int st = parsec_list_authenticators(client, auth, 8, &n);

	for (i = 0; st == PARSEC_SUCCESS && i < n; i++)
		printf("ID: 0x%02x\nDescription: %s\nVersion: %u.%u.%u\n\n", auth[i].id,
		    auth[i].description, auth[i].version_maj, auth[i].version_min,
		    auth[i].version_rev);
	return tool_status("list-authenticators", st);
}

static int
cmd_list_keys(parsec_client *client, const struct tool_args *a)
{
	static struct parsec_key_info keys[4096];
	size_t n, i;
	int st = parsec_list_keys(client, keys, 4096, &n);

	for (i = 0; (st == PARSEC_SUCCESS || st == PARSEC_ERR_BUFFER_TOO_SMALL) && i < n &&
	    i < 4096; i++)
		printf("%s (provider %u, type 0x%04x, %u bits, usage 0x%x, algorithm 0x%08x)\n",
		    keys[i].name, keys[i].provider_id, keys[i].attributes.type, keys[i].attributes.bits,
		    keys[i].attributes.usage, keys[i].attributes.alg);
	return tool_status("list-keys", st == PARSEC_ERR_BUFFER_TOO_SMALL ? 0 : st);
}

static int
cmd_list_clients(parsec_client *client, const struct tool_args *a)
{
	static char names[4096][PARSEC_NAME_MAX + 1];
	size_t n, i;
	int st = parsec_list_clients(client, names, 4096, &n);

	for (i = 0; st == PARSEC_SUCCESS && i < n; i++)
		printf("%s\n", names[i]);
	return tool_status("list-clients", st);
}

static int
cmd_delete_client(parsec_client *client, const struct tool_args *a)
{
	if (a->client == NULL) {
		fprintf(stderr, "parsec-tool delete-client: --client is required\n");
		return EXIT_USAGE;
	}
	return tool_status("delete-client", parsec_delete_client(client, a->client));
}

static int
cmd_generate_random(parsec_client *client, const struct tool_args *a)
{
	uint8_t *buf;
	int st;

	if (a->nbytes <= 0 || a->nbytes > 1024 * 1024) {
		fprintf(stderr, "parsec-tool generate-random: --nbytes between 1 and 1048576\n");
		return EXIT_USAGE;
	}
	if ((buf = malloc((size_t)a->nbytes)) == NULL)
		return EXIT_REFUSED;
	st = parsec_generate_random(client, buf, (size_t)a->nbytes);
	if (st == PARSEC_SUCCESS)
		tool_print_base64(buf, (size_t)a->nbytes);
	free(buf);
	return tool_status("generate-random", st);
}

static int
cmd_export_public_key(parsec_client *client, const struct tool_args *a)
{
	uint8_t der[TOOL_BUF];
	unsigned char pem[TOOL_BUF];
	size_t len, olen;
	int st = parsec_export_public_key_der(client, a->key_name, der, sizeof(der), &len);

	if (st != PARSEC_SUCCESS)
		return tool_status("export-public-key", st);
	if (mbedtls_pem_write_buffer("-----BEGIN PUBLIC KEY-----\n", "-----END PUBLIC KEY-----\n",
	    der, len, pem, sizeof(pem), &olen) != 0)
		return EXIT_REFUSED;
	fputs((const char *)pem, stdout);
	return 0;
}

static int
cmd_create_rsa_key(parsec_client *client, const struct tool_args *a)
{
	uint32_t bits = a->bits > 0 ? (uint32_t)a->bits : 2048;

	return tool_status("create-rsa-key", a->for_signing ?
	    parsec_create_rsa_signing_key(client, a->key_name, bits) :
	    parsec_create_rsa_encryption_key(client, a->key_name, bits));
}

static int
cmd_create_ecc_key(parsec_client *client, const struct tool_args *a)
{
	return tool_status("create-ecc-key", parsec_create_ecc_signing_key(client, a->key_name,
	    a->bits > 0 ? (uint32_t)a->bits : 256));
}

static int
cmd_delete_key(parsec_client *client, const struct tool_args *a)
{
	return tool_status("delete-key", parsec_destroy_key(client, a->key_name));
}

static int
tool_need_input(const struct tool_args *a, const char *cmd)
{
	if (a->input == NULL) {
		fprintf(stderr, "parsec-tool %s: the input is missing\n", cmd);
		return -1;
	}
	return 0;
}

static int
cmd_sign(parsec_client *client, const struct tool_args *a)
{
	uint8_t sig[1024];
	size_t len;
	int st;

	if (tool_need_input(a, "sign") == -1)
		return EXIT_USAGE;
	st = parsec_sign(client, a->key_name, (const uint8_t *)a->input, strlen(a->input), sig,
	    sizeof(sig), &len);
	if (st == PARSEC_SUCCESS)
		tool_print_base64(sig, len);
	return tool_status("sign", st);
}

static int
cmd_verify(parsec_client *client, const struct tool_args *a)
{
	uint8_t sig[1024];
	size_t len;
	int st;

	if (tool_need_input(a, "verify") == -1 || a->signature == NULL ||
	    tool_decode_base64(a->signature, sig, sizeof(sig), &len) == -1) {
		fprintf(stderr, "parsec-tool verify: --signature BASE64 and the signed input\n");
		return EXIT_USAGE;
	}
	st = parsec_verify(client, a->key_name, (const uint8_t *)a->input, strlen(a->input), sig,
	    len);
	if (st == PARSEC_SUCCESS)
		printf("Signature verified\n");
	return tool_status("verify", st);
}

static int
cmd_encrypt(parsec_client *client, const struct tool_args *a)
{
	uint8_t out[1024];
	size_t len;
	int st;

	if (tool_need_input(a, "encrypt") == -1)
		return EXIT_USAGE;
	st = parsec_encrypt(client, a->key_name, (const uint8_t *)a->input, strlen(a->input), out,
	    sizeof(out), &len);
	if (st == PARSEC_SUCCESS)
		tool_print_base64(out, len);
	return tool_status("encrypt", st);
}

static int
cmd_decrypt(parsec_client *client, const struct tool_args *a)
{
	uint8_t in[1024], out[1024];
	size_t in_len, len;
	int st;

	if (tool_need_input(a, "decrypt") == -1 ||
	    tool_decode_base64(a->input, in, sizeof(in), &in_len) == -1) {
		fprintf(stderr, "parsec-tool decrypt: the input must be base64\n");
		return EXIT_USAGE;
	}
	st = parsec_decrypt(client, a->key_name, in, in_len, out, sizeof(out), &len);
	if (st == PARSEC_SUCCESS)
		printf("%.*s\n", (int)len, (const char *)out);
	return tool_status("decrypt", st);
}

static int
cmd_import_key(parsec_client *client, const struct tool_args *a)
{
	struct parsec_key_attributes attrs;
	static uint8_t der[TOOL_BUF], data[TOOL_BUF];
	mbedtls_pk_context pk;
	size_t len = 0;
	FILE *f;
	int st;

	if (a->data_file == NULL || (f = fopen(a->data_file, "rb")) == NULL) {
		fprintf(stderr, "parsec-tool import-key: --data FILE (a PEM or DER public key)\n");
		return EXIT_USAGE;
	}
	len = fread(der, 1, sizeof(der) - 1, f);
	fclose(f);
	der[len] = '\0';
	mbedtls_pk_init(&pk);
	if (mbedtls_pk_parse_public_key(&pk, der, strstr((char *)der, "-----BEGIN") ? len + 1 :
	    len) != 0) {
		fprintf(stderr, "parsec-tool import-key: %s is not a public key\n", a->data_file);
		return EXIT_USAGE;
	}
	memset(&attrs, 0, sizeof(attrs));
	if (mbedtls_pk_get_type(&pk) == MBEDTLS_PK_RSA) {
		/* The PKCS#1 RSAPublicKey, as PSA imports it. */
		unsigned char *p = data + sizeof(data);
		int n = mbedtls_pk_write_pubkey(&p, data, &pk);

		attrs.type = 0x4001; /* RSA public key */
		attrs.usage = 0x2800 | 0x0100; /* verify hash and message, encrypt */
		attrs.alg = 0x06000209;        /* RSA PKCS#1 v1.5 SHA-256 */
		attrs.bits = (uint32_t)mbedtls_pk_get_bitlen(&pk);
		st = n < 0 ? EXIT_USAGE : parsec_import_key(client, a->key_name, &attrs, p, (size_t)n);
	} else {
		/* An EC point: the BIT STRING of the SubjectPublicKeyInfo. */
		unsigned char *p = data + sizeof(data);
		int n = mbedtls_pk_write_pubkey(&p, data, &pk);
		size_t bits = mbedtls_pk_get_bitlen(&pk);

		attrs.type = 0x4112; /* ECC public key, SECP R1 */
		attrs.bits = (uint32_t)bits;
		attrs.usage = 0x2800;
		attrs.alg = bits == 384 ? 0x0600060a : 0x06000609;
		st = n < 0 ? EXIT_USAGE : parsec_import_key(client, a->key_name, &attrs, p, (size_t)n);
	}
	mbedtls_pk_free(&pk);
	return st == EXIT_USAGE ? EXIT_USAGE : tool_status("import-key", st);
}

/* ECDSA's PSA r || s as the DER ECDSA-Sig-Value X.509 wants, in place. */
static int
tool_ecdsa_der(uint8_t *sig, size_t *sig_len, size_t cap)
{
	uint8_t der[1100];
	unsigned char *q = der + sizeof(der);
	mbedtls_mpi r, s;
	int n = 0, rc;

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	rc = mbedtls_mpi_read_binary(&r, sig, *sig_len / 2) ||
	    mbedtls_mpi_read_binary(&s, sig + *sig_len / 2, *sig_len / 2);
	if (rc == 0) {
		n += mbedtls_asn1_write_mpi(&q, der, &s);
		n += mbedtls_asn1_write_mpi(&q, der, &r);
		n += mbedtls_asn1_write_len(&q, der, (size_t)n);
		n += mbedtls_asn1_write_tag(&q, der, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	}
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	if (rc != 0 || n <= 0 || (size_t)n > cap)
		return -1;
	memcpy(sig, q, (size_t)n);
	*sig_len = (size_t)n;
	return 0;
}

/* PKCS#10: the CertificationRequestInfo written with mbedtls' writers, signed by the service. */
static int
cmd_create_csr(parsec_client *client, const struct tool_args *a)
{
	static uint8_t cri_buf[TOOL_BUF], sig_buf[TOOL_BUF], csr[2 * TOOL_BUF], spki[TOOL_BUF];
	static unsigned char pem[4 * TOOL_BUF];
	struct parsec_key_attributes attrs;
	mbedtls_asn1_named_data *names = NULL;
	mbedtls_pk_context pk;
	char subject[1024] = "";
	unsigned char *p, *cri, *q;
	uint8_t hash[64], sig[1100];
	size_t spki_len, sig_len, cri_len, sig_part_len, olen, hash_len, head;
	const char *oid;
	size_t oid_len;
	int n, st, is_ecc;

	if (a->cn == NULL) {
		fprintf(stderr, "parsec-tool create-csr: --cn is required\n");
		return EXIT_USAGE;
	}
#define SUBJECT(tag, v) \
	if ((v) != NULL) \
		snprintf(subject + strlen(subject), sizeof(subject) - strlen(subject), "%s%s=%s", \
		    subject[0] ? "," : "", tag, v)
	SUBJECT("CN", a->cn);
	SUBJECT("C", a->c);
	SUBJECT("ST", a->st);
	SUBJECT("L", a->l);
	SUBJECT("O", a->o);
	SUBJECT("OU", a->ou);
	SUBJECT("serialNumber", a->serial);
#undef SUBJECT
	if ((st = parsec_key_attributes(client, a->key_name, &attrs)) != PARSEC_SUCCESS ||
	    (st = parsec_export_public_key_der(client, a->key_name, spki, sizeof(spki),
	    &spki_len)) != PARSEC_SUCCESS)
		return tool_status("create-csr", st);
	is_ecc = attrs.type == 0x7112;
	hash_len = is_ecc && attrs.bits == 384 ? 48 : 32;
	mbedtls_pk_init(&pk);
	if (mbedtls_pk_parse_public_key(&pk, spki, spki_len) != 0 ||
	    mbedtls_x509_string_to_names(&names, subject) != 0) {
		fprintf(stderr, "parsec-tool create-csr: bad subject %s\n", subject);
		return EXIT_USAGE;
	}
	/* mbedtls writes backwards: no attributes, the key, the subject, version 0. */
	p = cri_buf + sizeof(cri_buf);
	cri_len = 0;
	cri_len += (size_t)mbedtls_asn1_write_len(&p, cri_buf, 0);
	cri_len += (size_t)mbedtls_asn1_write_tag(&p, cri_buf,
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED);
	n = mbedtls_pk_write_pubkey_der(&pk, cri_buf, (size_t)(p - cri_buf));
	p -= n;
	cri_len += (size_t)n;
	cri_len += (size_t)mbedtls_x509_write_names(&p, cri_buf, names);
	cri_len += (size_t)mbedtls_asn1_write_int(&p, cri_buf, 0);
	cri_len += (size_t)mbedtls_asn1_write_len(&p, cri_buf, cri_len);
	cri_len += (size_t)mbedtls_asn1_write_tag(&p, cri_buf,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	cri = p;
	mbedtls_asn1_free_named_data_list(&names);
	mbedtls_pk_free(&pk);

	if (hash_len == 48)
		mbedtls_sha512_ret(cri, cri_len, hash, 1);
	else
		mbedtls_sha256_ret(cri, cri_len, hash, 0);
	st = parsec_sign_hash(client, a->key_name, is_ecc ? (hash_len == 48 ? 0x0600060a :
	    0x06000609) : 0x06000209, hash, hash_len, sig, sizeof(sig), &sig_len);
	if (st != PARSEC_SUCCESS)
		return tool_status("create-csr", st);
	if ((is_ecc && tool_ecdsa_der(sig, &sig_len, sizeof(sig)) == -1) ||
	    mbedtls_oid_get_oid_by_sig_alg(is_ecc ? MBEDTLS_PK_ECDSA : MBEDTLS_PK_RSA,
	    hash_len == 48 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256, &oid, &oid_len) != 0)
		return EXIT_REFUSED;
	q = sig_buf + sizeof(sig_buf);
	n = mbedtls_x509_write_sig(&q, sig_buf, oid, oid_len, sig, sig_len);
	if (n < 0)
		return EXIT_REFUSED;
	sig_part_len = (size_t)n;
	/* SEQUENCE { request info, signature algorithm, signature }. */
	p = csr + 8;
	head = (size_t)mbedtls_asn1_write_len(&p, csr, cri_len + sig_part_len);
	head += (size_t)mbedtls_asn1_write_tag(&p, csr, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	memcpy(p + head, cri, cri_len);
	memcpy(p + head + cri_len, q, sig_part_len);
	if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE REQUEST-----\n",
	    "-----END CERTIFICATE REQUEST-----\n", p, head + cri_len + sig_part_len, pem,
	    sizeof(pem), &olen) != 0)
		return EXIT_REFUSED;
	fputs((const char *)pem, stdout);
	return 0;
}

static const struct tool_cmd tool_cmds[] = {
	{ "ping", "Checks the service answers and prints its wire protocol version.", cmd_ping, 0 },
	{ "list-providers", "Lists the providers the service offers.", cmd_list_providers, 0 },
	{ "list-opcodes", "Lists the operations a provider serves (--provider).", cmd_list_opcodes, 0 },
	{ "list-authenticators", "Lists the service's authenticators.", cmd_list_authenticators, 0 },
	{ "list-keys", "Lists this application's keys.", cmd_list_keys, 0 },
	{ "list-clients", "Lists the applications holding keys (admins only).", cmd_list_clients, 0 },
	{ "delete-client", "Destroys every key of --client (admins only).", cmd_delete_client, 0 },
	{ "generate-random", "Prints --nbytes random bytes, base64.", cmd_generate_random, 0 },
	{ "export-public-key", "Prints --key-name's public key as PEM.", cmd_export_public_key, 1 },
	{ "create-rsa-key", "Creates an RSA key (--for-signing, --bits, default 2048).",
	    cmd_create_rsa_key, 1 },
	{ "create-ecc-key", "Creates an ECDSA key on SECP R1 (--bits 256 or 384).",
	    cmd_create_ecc_key, 1 },
	{ "encrypt", "Encrypts INPUT with --key-name; prints base64.", cmd_encrypt, 1 },
	{ "decrypt", "Decrypts base64 INPUT with --key-name.", cmd_decrypt, 1 },
	{ "sign", "Signs INPUT with --key-name; prints the signature, base64.", cmd_sign, 1 },
	{ "verify", "Checks --signature (base64) over INPUT with --key-name.", cmd_verify, 1 },
	{ "delete-key", "Destroys --key-name.", cmd_delete_key, 1 },
	{ "import-key", "Imports the public key in --data FILE as --key-name.", cmd_import_key, 1 },
	{ "create-csr", "Prints a PKCS#10 request for --key-name (--cn, --c, --st, --l, --o, "
	    "--ou, --serialNumber).", cmd_create_csr, 1 },
};

static void
tool_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: parsec-tool [--provider ID] SUBCOMMAND [OPTIONS] [INPUT]\n"
		     "       parsec-tool -V | --version\n\n");
	for (i = 0; i < sizeof(tool_cmds) / sizeof(tool_cmds[0]); i++)
		fprintf(out, "  %-20s %s\n", tool_cmds[i].name, tool_cmds[i].help);
	fprintf(out, "\nThe service is PARSEC_SERVICE_ENDPOINT (unix:/path), by default "
		     "/run/parsec/parsec.sock.\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "provider", required_argument, NULL, 'p' },
		{ "key-name", required_argument, NULL, 'k' },
		{ "client", required_argument, NULL, 'C' },
		{ "nbytes", required_argument, NULL, 'n' },
		{ "bits", required_argument, NULL, 'b' },
		{ "for-signing", no_argument, NULL, 's' },
		{ "signature", required_argument, NULL, 'S' },
		{ "data", required_argument, NULL, 'd' },
		{ "cn", required_argument, NULL, 1 },
		{ "l", required_argument, NULL, 2 },
		{ "c", required_argument, NULL, 3 },
		{ "st", required_argument, NULL, 4 },
		{ "o", required_argument, NULL, 5 },
		{ "ou", required_argument, NULL, 6 },
		{ "serialNumber", required_argument, NULL, 7 },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct tool_args args;
	const struct tool_cmd *cmd = NULL;
	parsec_client *client;
	int ch, i, st, help = 0;

	memset(&args, 0, sizeof(args));
	args.provider = -1;
	/* Options may come before or after the subcommand, as upstream allows. */
	while ((ch = getopt_long(argc, argv, "p:k:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': args.provider = atoi(optarg); break;
		case 'k': args.key_name = optarg; break;
		case 'C': args.client = optarg; break;
		case 'n': args.nbytes = strtol(optarg, NULL, 10); break;
		case 'b': args.bits = strtol(optarg, NULL, 10); break;
		case 's': args.for_signing = 1; break;
		case 'S': args.signature = optarg; break;
		case 'd': args.data_file = optarg; break;
		case 1: args.cn = optarg; break;
		case 2: args.l = optarg; break;
		case 3: args.c = optarg; break;
		case 4: args.st = optarg; break;
		case 5: args.o = optarg; break;
		case 6: args.ou = optarg; break;
		case 7: args.serial = optarg; break;
		case 'h': help = 1; break;
		case 'V': printf("parsec-tool %s\n", PARSEC_VERSION); return 0;
		default: tool_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		for (i = 0; i < (int)(sizeof(tool_cmds) / sizeof(tool_cmds[0])); i++)
			if (strcmp(argv[optind], tool_cmds[i].name) == 0)
				cmd = &tool_cmds[i];
		if (cmd == NULL) {
			fprintf(stderr, "parsec-tool: unknown subcommand %s\n", argv[optind]);
			tool_usage(stderr);
			return EXIT_USAGE;
		}
		if (optind + 1 < argc)
			args.input = argv[optind + 1];
	}
	if (cmd == NULL) {
		tool_usage(help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	if (help) {
		printf("usage: parsec-tool %s%s\n%s\n", cmd->name, cmd->needs_key ?
		    " --key-name NAME" : "", cmd->help);
		return 0;
	}
	if (cmd->needs_key && args.key_name == NULL) {
		fprintf(stderr, "parsec-tool %s: --key-name is required\n", cmd->name);
		return EXIT_USAGE;
	}
	if ((st = parsec_client_new(&client, NULL)) != PARSEC_SUCCESS)
		return tool_status("connecting to the service", st);
	if (args.provider >= 0 && strcmp(cmd->name, "list-opcodes") != 0 &&
	    (st = parsec_client_set_provider(client, (uint32_t)args.provider)) != PARSEC_SUCCESS) {
		parsec_client_free(client);
		return tool_status("--provider", st);
	}
	st = cmd->run(client, &args);
	parsec_client_free(client);
	return st;
}
