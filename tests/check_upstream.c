/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: libparsec decodes upstream Parsec 1.1.0's real answers. A socket
 * replays the whole responses recorded in tests/fixtures/upstream-1.1.0/ (one
 * per connection, then closes, as upstream does); every value libparsec hands
 * back is checked against what upstream sent.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <psa/crypto.h>

#include "parsec/client.h"
#include "testlib.h"
#include "wire.h"

#define FIXTURES BUILD_TOP "/tests/fixtures/upstream-1.1.0"

static const char direct_desc[] = "Directly parses the authentication field as a UTF-8 string "
				  "and uses that as the application identity. Should be used for "
				  "testing only.";
static const char peer_desc[] = "Uses Unix peer credentials to authenticate the client. "
				"Verifies that the self-declared Unix user identifier (UID) in "
				"the request's authentication header matches that which is found "
				"from the peer credentials.";
static const char mbed_desc[] = "User space software provider, based on Mbed Crypto - the "
				"reference implementation of the PSA crypto API";
static const char core_desc[] = "Software provider that implements only administrative (i.e. "
				"no cryptographic) operations";
/* SHA-256 of the message the fixtures signed ("upstream fixture"). */
static const uint8_t fixture_hash[32] = { 0x09, 0xac, 0x80, 0x2c, 0xdf, 0xe0, 0xef, 0xa9, 0xf1,
	0xb1, 0x34, 0xf9, 0x04, 0xfa, 0x87, 0xb0, 0x29, 0x02, 0x36, 0xfd, 0x92, 0x93, 0x19, 0xc5,
	0x49, 0xa7, 0x57, 0x86, 0x61, 0x28, 0xd3, 0xa0 };

/* The replaying service. */
static struct {
	char path[108];
	int listen_fd;
	int peer;        /* answer as the Unix peer credentials service */
	int connections;
	struct wire_hdr last; /* the last request's header */
	char last_auth[64];
	pthread_t thread;
} replay;

/* A fixture's bytes (hex, whitespace ignored) into out; its length, or 0. */
static size_t
fixture(const char *name, uint8_t *out, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n = 0;
	int hi = -1, ch;

	snprintf(path, sizeof(path), "%s/%s.hex", FIXTURES, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while ((ch = fgetc(f)) != EOF && n < cap) {
		int v;

		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v = ch - 'a' + 10;
		else
			continue;
		if (hi == -1) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	fclose(f);
	return n;
}

/* Which recorded answer a request gets. */
static const char *
answer_name(const struct wire_hdr *hdr, const uint8_t *body)
{
	switch (hdr->opcode) {
	case OP_PING:
		return "ping";
	case OP_LIST_PROVIDERS:
		return "list_providers";
	case OP_LIST_OPCODES:
		/* provider_id = 1 is 08 01; an empty body is provider 0. */
		return hdr->body_len >= 2 && body[0] == 0x08 && body[1] == 1 ? "list_opcodes-1" :
		    "list_opcodes-0";
	case OP_LIST_AUTHENTICATORS:
		return replay.peer ? "list_authenticators-peer" : "list_authenticators";
	case OP_LIST_KEYS:
		return replay.peer ? "list_keys-peer" : "list_keys";
	case OP_PSA_GENERATE_KEY:
		return "psa_generate_key";
	case OP_PSA_EXPORT_PUBLIC_KEY:
		/* The key name is "fixture-key"; any other one does not exist. */
		return hdr->body_len >= 13 && memcmp(body + 2, "fixture-key", 11) == 0 ?
		    "psa_export_public_key" : "psa_export_public_key-missing";
	case OP_PSA_SIGN_MESSAGE:
		return "psa_sign_message";
	case OP_PSA_HASH_COMPUTE:
		return "psa_hash_compute";
	case OP_PSA_SIGN_HASH:
		return "psa_sign_hash";
	case OP_PSA_DESTROY_KEY:
		return "psa_destroy_key";
	default:
		return NULL;
	}
}

static void *
replay_serve(void *arg)
{
	(void)arg;
	for (;;) {
		uint8_t raw[WIRE_HDR_LEN], body[4096], resp[4096];
		struct wire_hdr hdr;
		const char *name;
		size_t len;
		int fd = accept(replay.listen_fd, NULL, NULL);

		if (fd == -1)
			return NULL;
		replay.connections++;
		if (test_read_full(fd, raw, sizeof(raw), -1) == 0 &&
		    wire_decode_request_hdr(raw, sizeof(raw), UINT32_MAX, &hdr) == WIRE_HDR_OK &&
		    hdr.body_len + hdr.auth_len <= sizeof(body) &&
		    test_read_full(fd, body, hdr.body_len + hdr.auth_len, -1) == 0) {
			replay.last = hdr;
			memset(replay.last_auth, 0, sizeof(replay.last_auth));
			if (hdr.auth_len < sizeof(replay.last_auth))
				memcpy(replay.last_auth, body + hdr.body_len, hdr.auth_len);
			if ((name = answer_name(&hdr, body)) != NULL &&
			    (len = fixture(name, resp, sizeof(resp))) > 0 &&
			    write(fd, resp, len) != (ssize_t)len)
				fprintf(stderr, "replay: short write\n");
		}
		/* Upstream closes the connection after its one answer. */
		close(fd);
	}
}

static void
replay_start(int peer)
{
	memset(&replay, 0, sizeof(replay));
	replay.peer = peer;
	replay.listen_fd = test_listen_service("libparsec-upstream", replay.path,
	    sizeof(replay.path));
	pthread_create(&replay.thread, NULL, replay_serve, NULL);
}

/* Ends the replay (each test's client is freed first). */
static void
replay_stop(void)
{
	shutdown(replay.listen_fd, SHUT_RDWR);
	close(replay.listen_fd);
	pthread_join(replay.thread, NULL);
	unlink(replay.path);
}

static void
done(parsec_client *c)
{
	parsec_client_free(c);
	replay_stop();
}

static parsec_client *
connected(int peer)
{
	parsec_client *c = NULL;

	replay_start(peer);
	ck_assert_int_eq(parsec_client_new(&c, "fixture-app"), PARSEC_SUCCESS);
	/* Upstream's discovery answers lead to its Mbed Crypto provider. */
	ck_assert_uint_eq(parsec_client_provider(c), PARSEC_PROVIDER_MBED_CRYPTO);
	return c;
}

START_TEST(t_fixtures_present)
{
	uint8_t buf[4096];

	/* Without them every other test would only prove the replay is empty. */
	ck_assert_uint_eq(fixture("ping", buf, sizeof(buf)), 38);
	ck_assert_uint_eq(fixture("list_authenticators-peer", buf, sizeof(buf)), 253);
}
END_TEST

START_TEST(t_ping)
{
	parsec_client *c = connected(0);
	uint8_t maj = 0, min = 9;

	ck_assert_int_eq(parsec_ping(c, &maj, &min), PARSEC_SUCCESS);
	ck_assert_uint_eq(maj, 1);
	ck_assert_uint_eq(min, 0);
	done(c);
}
END_TEST

START_TEST(t_list_providers)
{
	parsec_client *c = connected(0);
	struct parsec_provider_info p[4];
	size_t n = 0;

	ck_assert_int_eq(parsec_list_providers(c, p, 4, &n), PARSEC_SUCCESS);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(p[0].id, 1);
	ck_assert_str_eq(p[0].uuid, "1c1139dc-ad7c-47dc-ad6b-db6fdb466552");
	ck_assert_str_eq(p[0].description, mbed_desc);
	ck_assert_str_eq(p[0].vendor, "Arm");
	ck_assert_uint_eq(p[0].version_maj, 0);
	ck_assert_uint_eq(p[0].version_min, 1);
	ck_assert_uint_eq(p[0].version_rev, 0);
	ck_assert_uint_eq(p[1].id, 0);
	ck_assert_str_eq(p[1].uuid, "47049873-2a43-4845-9d72-831eab668784");
	ck_assert_str_eq(p[1].description, core_desc);
	ck_assert_str_eq(p[1].vendor, "");
	ck_assert_uint_eq(p[1].version_maj, 1);
	ck_assert_uint_eq(p[1].version_min, 1);
	ck_assert_uint_eq(p[1].version_rev, 0);
	/* Too small a list says how many there are. */
	ck_assert_int_eq(parsec_list_providers(c, p, 1, &n), PARSEC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(n, 2);
	done(c);
}
END_TEST

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(t_list_opcodes)
{
	/* In ascending order; upstream lists them in no particular one. */
	static const uint32_t core[] = { 0x01, 0x08, 0x09, 0x0e, 0x1a };
	static const uint32_t mbed[] = { 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x0c,
		0x0d, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x20 };
	parsec_client *c = connected(0);
	uint32_t ops[64];
	size_t n = 0, i;

	ck_assert_int_eq(parsec_list_opcodes(c, 0, ops, 64, &n), PARSEC_SUCCESS);
	ck_assert_uint_eq(n, sizeof(core) / sizeof(core[0]));
	qsort(ops, n, sizeof(ops[0]), cmp_u32);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(ops[i], core[i]);
	ck_assert_int_eq(parsec_list_opcodes(c, 1, ops, 64, &n), PARSEC_SUCCESS);
	ck_assert_uint_eq(replay.last.opcode, OP_LIST_OPCODES);
	ck_assert_uint_eq(replay.last.provider, 0);
	ck_assert_uint_eq(n, sizeof(mbed) / sizeof(mbed[0]));
	qsort(ops, n, sizeof(ops[0]), cmp_u32);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(ops[i], mbed[i]);
	done(c);
}
END_TEST

START_TEST(t_list_authenticators)
{
	parsec_client *c = connected(_i);
	struct parsec_authenticator_info a[8];
	size_t n = 0;

	ck_assert_int_eq(parsec_list_authenticators(c, a, 8, &n), PARSEC_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(a[0].id, _i ? 3 : 1);
	ck_assert_str_eq(a[0].description, _i ? peer_desc : direct_desc);
	ck_assert_uint_eq(strlen(a[0].description), _i ? 207 : 134);
	ck_assert_uint_eq(a[0].version_maj, 0);
	ck_assert_uint_eq(a[0].version_min, 1);
	ck_assert_uint_eq(a[0].version_rev, 0);
	done(c);
}
END_TEST

START_TEST(t_list_keys)
{
	parsec_client *c = connected(_i);
	struct parsec_key_info k[4];
	size_t n = 9;
	uint32_t uid = (uint32_t)getuid();

	ck_assert_int_eq(parsec_list_keys(c, k, 4, &n), PARSEC_SUCCESS);
	/* The application is named as each authenticator wants it. */
	if (_i) {
		ck_assert_uint_eq(replay.last.auth_type, WIRE_AUTH_UNIX_PEER_CREDENTIALS);
		ck_assert_uint_eq(replay.last.auth_len, 4);
		ck_assert_mem_eq(replay.last_auth, &uid, 4);
		ck_assert_uint_eq(n, 0);
		done(c);
		return;
	}
	ck_assert_uint_eq(replay.last.auth_type, WIRE_AUTH_DIRECT);
	ck_assert_str_eq(replay.last_auth, "fixture-app");
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(k[0].name, "fixture-key");
	ck_assert_uint_eq(k[0].provider_id, 1);
	ck_assert_uint_eq(k[0].attributes.type, 0x7112);   /* ECC key pair, SECP R1 */
	ck_assert_uint_eq(k[0].attributes.bits, 256);
	ck_assert_uint_eq(k[0].attributes.usage, 0x3c00); /* sign/verify hash and message */
	ck_assert_uint_eq(k[0].attributes.alg, 0x06000609); /* ECDSA with SHA-256 */
	done(c);
}
END_TEST

/* The exported key, and upstream's signatures checked with it. */
START_TEST(t_key_operations)
{
	parsec_client *c = connected(0);
	struct parsec_key_attributes attrs = { 0x7112, 256, 0x3c00, 0x06000609 };
	uint8_t pub[128], sig[128], sig2[128];
	size_t pub_len = 0, sig_len = 0, sig2_len = 0;
	psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id;

	ck_assert_int_eq(parsec_generate_key(c, "fixture-key", &attrs), PARSEC_SUCCESS);
	ck_assert_uint_eq(replay.last.opcode, OP_PSA_GENERATE_KEY);
	ck_assert_uint_eq(replay.last.provider, 1);
	ck_assert_int_eq(parsec_export_public_key(c, "fixture-key", pub, sizeof(pub), &pub_len),
	    PARSEC_SUCCESS);
	ck_assert_uint_eq(pub_len, 65);
	ck_assert_uint_eq(pub[0], 0x04); /* an uncompressed point */
	ck_assert_int_eq(parsec_sign_hash(c, "fixture-key", 0x06000609, fixture_hash, 32, sig,
	    sizeof(sig), &sig_len), PARSEC_SUCCESS);
	ck_assert_uint_eq(sig_len, 64);
	/* parsec_sign: PsaSignMessage is PsaErrorNotSupported there, so it hashes and signs. */
	ck_assert_int_eq(parsec_sign(c, "fixture-key", (const uint8_t *)"upstream fixture", 16,
	    sig2, sizeof(sig2), &sig2_len), PARSEC_SUCCESS);
	ck_assert_uint_eq(replay.last.opcode, OP_PSA_SIGN_HASH);
	ck_assert_uint_eq(sig2_len, 64);

	ck_assert_int_eq(psa_crypto_init(), PSA_SUCCESS);
	psa_set_key_type(&a, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&a, 256);
	psa_set_key_usage_flags(&a, PSA_KEY_USAGE_VERIFY_HASH);
	psa_set_key_algorithm(&a, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	ck_assert_int_eq(psa_import_key(&a, pub, pub_len, &id), PSA_SUCCESS);
	ck_assert_int_eq(psa_verify_hash(id, PSA_ALG_ECDSA(PSA_ALG_SHA_256), fixture_hash, 32, sig,
	    sig_len), PSA_SUCCESS);
	ck_assert_int_eq(psa_verify_hash(id, PSA_ALG_ECDSA(PSA_ALG_SHA_256), fixture_hash, 32, sig2,
	    sig2_len), PSA_SUCCESS);
	sig[10] ^= 1;
	ck_assert_int_ne(psa_verify_hash(id, PSA_ALG_ECDSA(PSA_ALG_SHA_256), fixture_hash, 32, sig,
	    sig_len), PSA_SUCCESS);
	psa_destroy_key(id);

	ck_assert_int_eq(parsec_destroy_key(c, "fixture-key"), PARSEC_SUCCESS);
	ck_assert_uint_eq(replay.last.opcode, OP_PSA_DESTROY_KEY);
	/* Upstream's error answer: a status and no body. */
	ck_assert_int_eq(parsec_export_public_key(c, "gone", pub, sizeof(pub), &pub_len), 1140);
	ck_assert_str_eq(parsec_status_name(1140), "PsaErrorDoesNotExist");
	done(c);
}
END_TEST

/* <parsec/psa.h>'s names and mbedtls's <psa/crypto.h> ones: the same values. */
static const struct {
	const char *name;
	uint32_t ours, mbedtls;
} psa_same[] = {
	{ "PARSEC_PSA_KEY_TYPE_NONE", PARSEC_PSA_KEY_TYPE_NONE, PSA_KEY_TYPE_NONE },
	{ "PARSEC_PSA_KEY_TYPE_RAW_DATA", PARSEC_PSA_KEY_TYPE_RAW_DATA, PSA_KEY_TYPE_RAW_DATA },
	{ "PARSEC_PSA_KEY_TYPE_HMAC", PARSEC_PSA_KEY_TYPE_HMAC, PSA_KEY_TYPE_HMAC },
	{ "PARSEC_PSA_KEY_TYPE_DERIVE", PARSEC_PSA_KEY_TYPE_DERIVE, PSA_KEY_TYPE_DERIVE },
	{ "PARSEC_PSA_KEY_TYPE_AES", PARSEC_PSA_KEY_TYPE_AES, PSA_KEY_TYPE_AES },
	{ "PARSEC_PSA_KEY_TYPE_DES", PARSEC_PSA_KEY_TYPE_DES, PSA_KEY_TYPE_DES },
	{ "PARSEC_PSA_KEY_TYPE_CAMELLIA", PARSEC_PSA_KEY_TYPE_CAMELLIA, PSA_KEY_TYPE_CAMELLIA },
	{ "PARSEC_PSA_KEY_TYPE_CHACHA20", PARSEC_PSA_KEY_TYPE_CHACHA20, PSA_KEY_TYPE_CHACHA20 },
	{ "PARSEC_PSA_KEY_TYPE_RSA_PUBLIC_KEY", PARSEC_PSA_KEY_TYPE_RSA_PUBLIC_KEY, PSA_KEY_TYPE_RSA_PUBLIC_KEY },
	{ "PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR", PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR, PSA_KEY_TYPE_RSA_KEY_PAIR },
	{ "PARSEC_PSA_ECC_FAMILY_SECP_K1", PARSEC_PSA_ECC_FAMILY_SECP_K1, PSA_ECC_FAMILY_SECP_K1 },
	{ "PARSEC_PSA_ECC_FAMILY_SECP_R1", PARSEC_PSA_ECC_FAMILY_SECP_R1, PSA_ECC_FAMILY_SECP_R1 },
	{ "PARSEC_PSA_ECC_FAMILY_SECP_R2", PARSEC_PSA_ECC_FAMILY_SECP_R2, PSA_ECC_FAMILY_SECP_R2 },
	{ "PARSEC_PSA_ECC_FAMILY_SECT_K1", PARSEC_PSA_ECC_FAMILY_SECT_K1, PSA_ECC_FAMILY_SECT_K1 },
	{ "PARSEC_PSA_ECC_FAMILY_SECT_R1", PARSEC_PSA_ECC_FAMILY_SECT_R1, PSA_ECC_FAMILY_SECT_R1 },
	{ "PARSEC_PSA_ECC_FAMILY_SECT_R2", PARSEC_PSA_ECC_FAMILY_SECT_R2, PSA_ECC_FAMILY_SECT_R2 },
	{ "PARSEC_PSA_ECC_FAMILY_BRAINPOOL_P_R1", PARSEC_PSA_ECC_FAMILY_BRAINPOOL_P_R1, PSA_ECC_FAMILY_BRAINPOOL_P_R1 },
	{ "PARSEC_PSA_ECC_FAMILY_MONTGOMERY", PARSEC_PSA_ECC_FAMILY_MONTGOMERY, PSA_ECC_FAMILY_MONTGOMERY },
	{ "PARSEC_PSA_ECC_FAMILY_TWISTED_EDWARDS", PARSEC_PSA_ECC_FAMILY_TWISTED_EDWARDS, PSA_ECC_FAMILY_TWISTED_EDWARDS },
	{ "PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1)", PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1), PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) },
	{ "PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_MONTGOMERY)", PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_MONTGOMERY), PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY) },
	{ "PARSEC_PSA_KEY_TYPE_ECC_PUBLIC_KEY(PARSEC_PSA_ECC_FAMILY_SECP_R1)", PARSEC_PSA_KEY_TYPE_ECC_PUBLIC_KEY(PARSEC_PSA_ECC_FAMILY_SECP_R1), PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1) },
	{ "PARSEC_PSA_KEY_TYPE_ECC_PUBLIC_KEY(PARSEC_PSA_ECC_FAMILY_MONTGOMERY)", PARSEC_PSA_KEY_TYPE_ECC_PUBLIC_KEY(PARSEC_PSA_ECC_FAMILY_MONTGOMERY), PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_MONTGOMERY) },
	{ "PARSEC_PSA_DH_FAMILY_RFC7919", PARSEC_PSA_DH_FAMILY_RFC7919, PSA_DH_FAMILY_RFC7919 },
	{ "PARSEC_PSA_KEY_TYPE_DH_KEY_PAIR(PARSEC_PSA_DH_FAMILY_RFC7919)", PARSEC_PSA_KEY_TYPE_DH_KEY_PAIR(PARSEC_PSA_DH_FAMILY_RFC7919), PSA_KEY_TYPE_DH_KEY_PAIR(PSA_DH_FAMILY_RFC7919) },
	{ "PARSEC_PSA_KEY_TYPE_DH_PUBLIC_KEY(PARSEC_PSA_DH_FAMILY_RFC7919)", PARSEC_PSA_KEY_TYPE_DH_PUBLIC_KEY(PARSEC_PSA_DH_FAMILY_RFC7919), PSA_KEY_TYPE_DH_PUBLIC_KEY(PSA_DH_FAMILY_RFC7919) },
	{ "PARSEC_PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR)", PARSEC_PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR), PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(PSA_KEY_TYPE_RSA_KEY_PAIR) },
	{ "PARSEC_PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1))", PARSEC_PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1)), PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)) },
	{ "PARSEC_PSA_KEY_TYPE_IS_KEY_PAIR(PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR)", PARSEC_PSA_KEY_TYPE_IS_KEY_PAIR(PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR), PSA_KEY_TYPE_IS_KEY_PAIR(PSA_KEY_TYPE_RSA_KEY_PAIR) },
	{ "PARSEC_PSA_KEY_TYPE_IS_KEY_PAIR(PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1))", PARSEC_PSA_KEY_TYPE_IS_KEY_PAIR(PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1)), PSA_KEY_TYPE_IS_KEY_PAIR(PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)) },
	{ "PARSEC_PSA_KEY_USAGE_EXPORT", PARSEC_PSA_KEY_USAGE_EXPORT, PSA_KEY_USAGE_EXPORT },
	{ "PARSEC_PSA_KEY_USAGE_COPY", PARSEC_PSA_KEY_USAGE_COPY, PSA_KEY_USAGE_COPY },
	{ "PARSEC_PSA_KEY_USAGE_ENCRYPT", PARSEC_PSA_KEY_USAGE_ENCRYPT, PSA_KEY_USAGE_ENCRYPT },
	{ "PARSEC_PSA_KEY_USAGE_DECRYPT", PARSEC_PSA_KEY_USAGE_DECRYPT, PSA_KEY_USAGE_DECRYPT },
	{ "PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE", PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE, PSA_KEY_USAGE_SIGN_MESSAGE },
	{ "PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE", PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE, PSA_KEY_USAGE_VERIFY_MESSAGE },
	{ "PARSEC_PSA_KEY_USAGE_SIGN_HASH", PARSEC_PSA_KEY_USAGE_SIGN_HASH, PSA_KEY_USAGE_SIGN_HASH },
	{ "PARSEC_PSA_KEY_USAGE_VERIFY_HASH", PARSEC_PSA_KEY_USAGE_VERIFY_HASH, PSA_KEY_USAGE_VERIFY_HASH },
	{ "PARSEC_PSA_KEY_USAGE_DERIVE", PARSEC_PSA_KEY_USAGE_DERIVE, PSA_KEY_USAGE_DERIVE },
	{ "PARSEC_PSA_ALG_NONE", PARSEC_PSA_ALG_NONE, PSA_ALG_NONE },
	{ "PARSEC_PSA_ALG_MD5", PARSEC_PSA_ALG_MD5, PSA_ALG_MD5 },
	{ "PARSEC_PSA_ALG_RIPEMD160", PARSEC_PSA_ALG_RIPEMD160, PSA_ALG_RIPEMD160 },
	{ "PARSEC_PSA_ALG_SHA_1", PARSEC_PSA_ALG_SHA_1, PSA_ALG_SHA_1 },
	{ "PARSEC_PSA_ALG_SHA_224", PARSEC_PSA_ALG_SHA_224, PSA_ALG_SHA_224 },
	{ "PARSEC_PSA_ALG_SHA_256", PARSEC_PSA_ALG_SHA_256, PSA_ALG_SHA_256 },
	{ "PARSEC_PSA_ALG_SHA_384", PARSEC_PSA_ALG_SHA_384, PSA_ALG_SHA_384 },
	{ "PARSEC_PSA_ALG_SHA_512", PARSEC_PSA_ALG_SHA_512, PSA_ALG_SHA_512 },
	{ "PARSEC_PSA_ALG_SHA_512_224", PARSEC_PSA_ALG_SHA_512_224, PSA_ALG_SHA_512_224 },
	{ "PARSEC_PSA_ALG_SHA_512_256", PARSEC_PSA_ALG_SHA_512_256, PSA_ALG_SHA_512_256 },
	{ "PARSEC_PSA_ALG_SHA3_224", PARSEC_PSA_ALG_SHA3_224, PSA_ALG_SHA3_224 },
	{ "PARSEC_PSA_ALG_SHA3_256", PARSEC_PSA_ALG_SHA3_256, PSA_ALG_SHA3_256 },
	{ "PARSEC_PSA_ALG_SHA3_384", PARSEC_PSA_ALG_SHA3_384, PSA_ALG_SHA3_384 },
	{ "PARSEC_PSA_ALG_SHA3_512", PARSEC_PSA_ALG_SHA3_512, PSA_ALG_SHA3_512 },
	{ "PARSEC_PSA_ALG_ANY_HASH", PARSEC_PSA_ALG_ANY_HASH, PSA_ALG_ANY_HASH },
	{ "PARSEC_PSA_ALG_HMAC(PARSEC_PSA_ALG_SHA_256)", PARSEC_PSA_ALG_HMAC(PARSEC_PSA_ALG_SHA_256), PSA_ALG_HMAC(PSA_ALG_SHA_256) },
	{ "PARSEC_PSA_ALG_HMAC(PARSEC_PSA_ALG_SHA_512)", PARSEC_PSA_ALG_HMAC(PARSEC_PSA_ALG_SHA_512), PSA_ALG_HMAC(PSA_ALG_SHA_512) },
	{ "PARSEC_PSA_ALG_CBC_MAC", PARSEC_PSA_ALG_CBC_MAC, PSA_ALG_CBC_MAC },
	{ "PARSEC_PSA_ALG_CMAC", PARSEC_PSA_ALG_CMAC, PSA_ALG_CMAC },
	{ "PARSEC_PSA_ALG_STREAM_CIPHER", PARSEC_PSA_ALG_STREAM_CIPHER, PSA_ALG_STREAM_CIPHER },
	{ "PARSEC_PSA_ALG_CTR", PARSEC_PSA_ALG_CTR, PSA_ALG_CTR },
	{ "PARSEC_PSA_ALG_CFB", PARSEC_PSA_ALG_CFB, PSA_ALG_CFB },
	{ "PARSEC_PSA_ALG_OFB", PARSEC_PSA_ALG_OFB, PSA_ALG_OFB },
	{ "PARSEC_PSA_ALG_XTS", PARSEC_PSA_ALG_XTS, PSA_ALG_XTS },
	{ "PARSEC_PSA_ALG_ECB_NO_PADDING", PARSEC_PSA_ALG_ECB_NO_PADDING, PSA_ALG_ECB_NO_PADDING },
	{ "PARSEC_PSA_ALG_CBC_NO_PADDING", PARSEC_PSA_ALG_CBC_NO_PADDING, PSA_ALG_CBC_NO_PADDING },
	{ "PARSEC_PSA_ALG_CBC_PKCS7", PARSEC_PSA_ALG_CBC_PKCS7, PSA_ALG_CBC_PKCS7 },
	{ "PARSEC_PSA_ALG_CCM", PARSEC_PSA_ALG_CCM, PSA_ALG_CCM },
	{ "PARSEC_PSA_ALG_GCM", PARSEC_PSA_ALG_GCM, PSA_ALG_GCM },
	{ "PARSEC_PSA_ALG_CHACHA20_POLY1305", PARSEC_PSA_ALG_CHACHA20_POLY1305, PSA_ALG_CHACHA20_POLY1305 },
	{ "PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(PARSEC_PSA_ALG_SHA_256)", PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(PARSEC_PSA_ALG_SHA_256), PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256) },
	{ "PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(PARSEC_PSA_ALG_SHA_512)", PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(PARSEC_PSA_ALG_SHA_512), PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_512) },
	{ "PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN_RAW", PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN_RAW, PSA_ALG_RSA_PKCS1V15_SIGN_RAW },
	{ "PARSEC_PSA_ALG_RSA_PSS(PARSEC_PSA_ALG_SHA_256)", PARSEC_PSA_ALG_RSA_PSS(PARSEC_PSA_ALG_SHA_256), PSA_ALG_RSA_PSS(PSA_ALG_SHA_256) },
	{ "PARSEC_PSA_ALG_RSA_PSS(PARSEC_PSA_ALG_SHA_512)", PARSEC_PSA_ALG_RSA_PSS(PARSEC_PSA_ALG_SHA_512), PSA_ALG_RSA_PSS(PSA_ALG_SHA_512) },
	{ "PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_SHA_256)", PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_SHA_256), PSA_ALG_ECDSA(PSA_ALG_SHA_256) },
	{ "PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_SHA_512)", PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_SHA_512), PSA_ALG_ECDSA(PSA_ALG_SHA_512) },
	{ "PARSEC_PSA_ALG_ECDSA_ANY", PARSEC_PSA_ALG_ECDSA_ANY, PSA_ALG_ECDSA_ANY },
	{ "PARSEC_PSA_ALG_DETERMINISTIC_ECDSA(PARSEC_PSA_ALG_SHA_256)", PARSEC_PSA_ALG_DETERMINISTIC_ECDSA(PARSEC_PSA_ALG_SHA_256), PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256) },
	{ "PARSEC_PSA_ALG_DETERMINISTIC_ECDSA(PARSEC_PSA_ALG_SHA_512)", PARSEC_PSA_ALG_DETERMINISTIC_ECDSA(PARSEC_PSA_ALG_SHA_512), PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_512) },
	{ "PARSEC_PSA_ALG_PURE_EDDSA", PARSEC_PSA_ALG_PURE_EDDSA, PSA_ALG_PURE_EDDSA },
	{ "PARSEC_PSA_ALG_RSA_PKCS1V15_CRYPT", PARSEC_PSA_ALG_RSA_PKCS1V15_CRYPT, PSA_ALG_RSA_PKCS1V15_CRYPT },
	{ "PARSEC_PSA_ALG_RSA_OAEP(PARSEC_PSA_ALG_SHA_256)", PARSEC_PSA_ALG_RSA_OAEP(PARSEC_PSA_ALG_SHA_256), PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256) },
	{ "PARSEC_PSA_ALG_RSA_OAEP(PARSEC_PSA_ALG_SHA_512)", PARSEC_PSA_ALG_RSA_OAEP(PARSEC_PSA_ALG_SHA_512), PSA_ALG_RSA_OAEP(PSA_ALG_SHA_512) },
	{ "PARSEC_PSA_ALG_HKDF(PARSEC_PSA_ALG_SHA_256)", PARSEC_PSA_ALG_HKDF(PARSEC_PSA_ALG_SHA_256), PSA_ALG_HKDF(PSA_ALG_SHA_256) },
	{ "PARSEC_PSA_ALG_HKDF(PARSEC_PSA_ALG_SHA_512)", PARSEC_PSA_ALG_HKDF(PARSEC_PSA_ALG_SHA_512), PSA_ALG_HKDF(PSA_ALG_SHA_512) },
	{ "PARSEC_PSA_ALG_TLS12_PRF(PARSEC_PSA_ALG_SHA_256)", PARSEC_PSA_ALG_TLS12_PRF(PARSEC_PSA_ALG_SHA_256), PSA_ALG_TLS12_PRF(PSA_ALG_SHA_256) },
	{ "PARSEC_PSA_ALG_TLS12_PRF(PARSEC_PSA_ALG_SHA_512)", PARSEC_PSA_ALG_TLS12_PRF(PARSEC_PSA_ALG_SHA_512), PSA_ALG_TLS12_PRF(PSA_ALG_SHA_512) },
	{ "PARSEC_PSA_ALG_TLS12_PSK_TO_MS(PARSEC_PSA_ALG_SHA_256)", PARSEC_PSA_ALG_TLS12_PSK_TO_MS(PARSEC_PSA_ALG_SHA_256), PSA_ALG_TLS12_PSK_TO_MS(PSA_ALG_SHA_256) },
	{ "PARSEC_PSA_ALG_TLS12_PSK_TO_MS(PARSEC_PSA_ALG_SHA_512)", PARSEC_PSA_ALG_TLS12_PSK_TO_MS(PARSEC_PSA_ALG_SHA_512), PSA_ALG_TLS12_PSK_TO_MS(PSA_ALG_SHA_512) },
	{ "PARSEC_PSA_ALG_FFDH", PARSEC_PSA_ALG_FFDH, PSA_ALG_FFDH },
	{ "PARSEC_PSA_ALG_ECDH", PARSEC_PSA_ALG_ECDH, PSA_ALG_ECDH },
};

/* <parsec/psa.h> next to mbedtls's <psa/crypto.h>: no clash, and the same values. */
START_TEST(t_psa_names)
{
	size_t i;

	for (i = 0; i < sizeof(psa_same) / sizeof(psa_same[0]); i++)
		ck_assert_msg(psa_same[i].ours == psa_same[i].mbedtls,
		    "%s is 0x%x, mbedtls says 0x%x", psa_same[i].name, psa_same[i].ours,
		    psa_same[i].mbedtls);
	ck_assert_uint_gt(i, 60);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "upstream 1.1.0 answers", 20, NULL, NULL, {
			TEST(t_fixtures_present), TEST(t_ping), TEST(t_list_providers),
			TEST(t_list_opcodes), TEST_LOOP(t_list_authenticators, 2),
			TEST_LOOP(t_list_keys, 2), TEST(t_key_operations), TEST(t_psa_names)
		} },
	};

	return test_main("upstream", cases, sizeof(cases) / sizeof(cases[0]));
}
