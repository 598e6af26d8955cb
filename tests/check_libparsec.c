/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: libparsec against a fake service on a temp socket that
 * misbehaves on purpose: closes after every answer, dribbles its answers a
 * byte at a time, announces an oversized body, or answers each status.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "list_authenticators.pb.h"
#include "list_providers.pb.h"
#include "parsec/client.h"
#include "ping.pb.h"
#include "psa_export_public_key.pb.h"
#include "psa_sign_hash.pb.h"
#include "wire.h"
#include "testlib.h"

/*
 * FAKE_CLOSE_EACH promises keep-alive and breaks it (a kept connection timed out);
 * FAKE_UPSTREAM answers as upstream's service: no keep-alive flag in any reply.
 */
enum fake_mode { FAKE_NORMAL, FAKE_CLOSE_EACH, FAKE_UPSTREAM, FAKE_DRIBBLE, FAKE_OVERSIZED,
	FAKE_STATUS, FAKE_SILENT, FAKE_BODY_LIMIT };

static struct {
	char path[108];
	int listen_fd;
	enum fake_mode mode;
	uint16_t status;
	int connections;
	int requests;
	int reused_unkept; /* requests on a connection whose last reply did not keep it */
	uint32_t announce; /* FAKE_OVERSIZED: the body length it announces, and sends */
	uint8_t last_provider, last_auth_type; /* of the last request */
	char last_auth[256];
	char last_key_name[256]; /* of the last SignHash */
	pthread_t thread;
	int running;
	volatile int conn_fd; /* the connection the thread serves, or -1 */
} fake;

/* What the fake's results hold: a 64-byte signature, a 65-byte public key. */
#define FAKE_SIGNATURE_LEN 64
#define FAKE_PUBLIC_LEN 65
#define FAKE_RESULT_BYTE(i) ((uint8_t)(0x40 + (i)))

/* The body the fake answers each opcode with. */
static size_t
fake_body(uint32_t opcode, uint8_t *out, size_t cap)
{
	pb_ostream_t os = pb_ostream_from_buffer(out, cap);
	size_t i;

	if (opcode == OP_LIST_AUTHENTICATORS) {
		list_authenticators_Result r = list_authenticators_Result_init_zero;

		r.authenticators_count = 1;
		strcpy(r.authenticators[0].description, "direct");
		r.authenticators[0].id = WIRE_AUTH_DIRECT;
		pb_encode(&os, list_authenticators_Result_fields, &r);
	} else if (opcode == OP_LIST_PROVIDERS) {
		list_providers_Result r = list_providers_Result_init_zero;

		r.providers_count = 2;
		r.providers[0].id = 1;
		r.providers[1].id = 0;
		pb_encode(&os, list_providers_Result_fields, &r);
	} else if (opcode == OP_PING) {
		ping_Result r = ping_Result_init_zero;

		r.wire_protocol_version_maj = 1;
		pb_encode(&os, ping_Result_fields, &r);
	} else if (opcode == OP_PSA_SIGN_HASH) {
		psa_sign_hash_Result r = psa_sign_hash_Result_init_zero;

		r.signature.size = FAKE_SIGNATURE_LEN;
		for (i = 0; i < FAKE_SIGNATURE_LEN; i++)
			r.signature.bytes[i] = FAKE_RESULT_BYTE(i);
		pb_encode(&os, psa_sign_hash_Result_fields, &r);
	} else if (opcode == OP_PSA_EXPORT_PUBLIC_KEY) {
		psa_export_public_key_Result r = psa_export_public_key_Result_init_zero;
		pb_bytes_array_t *data = malloc(PB_BYTES_ARRAY_T_ALLOCSIZE(FAKE_PUBLIC_LEN));
		uint8_t *bytes = (uint8_t *)data + offsetof(pb_bytes_array_t, bytes);

		ck_assert_ptr_nonnull(data);
		data->size = FAKE_PUBLIC_LEN;
		for (i = 0; i < FAKE_PUBLIC_LEN; i++)
			bytes[i] = FAKE_RESULT_BYTE(i);
		r.data = data;
		pb_encode(&os, psa_export_public_key_Result_fields, &r);
		free(data);
	}
	return os.bytes_written;
}

/* A SignHash body's key name into fake.last_key_name ("" if it does not decode). */
static void
fake_key_name(const uint8_t *body, size_t len)
{
	psa_sign_hash_Operation op = psa_sign_hash_Operation_init_zero;
	pb_istream_t is = pb_istream_from_buffer(body, len);

	fake.last_key_name[0] = '\0';
	if (pb_decode(&is, psa_sign_hash_Operation_fields, &op))
		memcpy(fake.last_key_name, op.key_name, sizeof(fake.last_key_name));
}

static size_t
varint_len(size_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/*
 * A ping result of exactly len bytes: major version 1, then an unknown
 * length-delimited field (number 15) that a decoder skips.
 */
static uint8_t *
padded_ping_result(size_t len)
{
	uint8_t *b = calloc(1, len), *p;
	size_t pad = len - 3, v;

	ck_assert_ptr_nonnull(b);
	while (1 + varint_len(pad) + pad > len - 2)
		pad--;
	b[0] = 0x08;
	b[1] = 0x01;
	b[2] = 0x7a;
	p = b + 3;
	for (v = pad; v >= 0x80; v >>= 7)
		*p++ = (uint8_t)(v | 0x80);
	*p++ = (uint8_t)v;
	ck_assert_uint_eq((size_t)(p - b) + pad, len);
	return b;
}

/* Sends the announced body without ever blocking: a client that stops reading is left. */
static void
fake_send_body(int fd, size_t len)
{
	uint8_t *body = padded_ping_result(len);
	size_t off = 0;
	ssize_t n;

	while (off < len && (n = send(fd, body + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
		off += (size_t)n;
	free(body);
}

static void *
fake_serve(void *arg)
{
	for (;;) {
		int fd = accept(fake.listen_fd, NULL, NULL);

		if (fd == -1)
			return NULL;
		int answered_unkept = 0;

		fake.conn_fd = fd;
		fake.connections++;
		for (;;) {
			uint8_t raw[WIRE_HDR_LEN], skip[4096], resp[WIRE_HDR_LEN + 256];
			struct wire_hdr hdr;
			size_t body_len, i;
			int discovery;

			if (test_read_full(fd, raw, sizeof(raw), -1) == -1 ||
			    wire_decode_request_hdr(raw, sizeof(raw), UINT32_MAX, &hdr) != WIRE_HDR_OK)
				break;
			/*
			 * As parsecd's frontd (front_conn_process): a body over the
			 * limit is answered from the header, unread, and the
			 * connection closed.
			 */
			if (fake.mode == FAKE_BODY_LIMIT && hdr.body_len > sizeof(skip)) {
				hdr.status = ST_BODY_SIZE_EXCEEDS_LIMIT;
				hdr.body_len = hdr.auth_len = 0;
				hdr.flags = 0;
				wire_encode_hdr(&hdr, resp);
				if (write(fd, resp, WIRE_HDR_LEN) != WIRE_HDR_LEN)
					break;
				break;
			}
			if (hdr.body_len + hdr.auth_len > sizeof(skip) ||
			    test_read_full(fd, skip, hdr.body_len + hdr.auth_len, -1) == -1)
				break;
			fake.requests++;
			fake.last_provider = hdr.provider;
			fake.last_auth_type = hdr.auth_type;
			memcpy(fake.last_auth, skip + hdr.body_len, hdr.auth_len < 255 ? hdr.auth_len : 255);
			fake.last_auth[hdr.auth_len < 255 ? hdr.auth_len : 255] = '\0';
			if (hdr.opcode == OP_PSA_SIGN_HASH)
				fake_key_name(skip, hdr.body_len);
			if (answered_unkept)
				fake.reused_unkept++;
			discovery = hdr.opcode == OP_LIST_AUTHENTICATORS || hdr.opcode == OP_LIST_PROVIDERS;
			body_len = fake_body(hdr.opcode, resp + WIRE_HDR_LEN, 256);
			hdr.status = 0;
			if (!discovery && fake.mode == FAKE_SILENT)
				continue; /* never answers */
			if (!discovery && fake.mode == FAKE_STATUS) {
				hdr.status = fake.status;
				body_len = 0;
			}
			hdr.body_len = (uint32_t)body_len;
			hdr.auth_len = 0;
			if (fake.mode == FAKE_UPSTREAM) {
				hdr.flags = 0;
				answered_unkept = 1;
			}
			if (!discovery && fake.mode == FAKE_OVERSIZED) {
				hdr.body_len = fake.announce;
				wire_encode_hdr(&hdr, resp);
				if (write(fd, resp, WIRE_HDR_LEN) != WIRE_HDR_LEN)
					break;
				fake_send_body(fd, fake.announce);
				continue;
			}
			wire_encode_hdr(&hdr, resp);
			if (!discovery && fake.mode == FAKE_DRIBBLE) {
				for (i = 0; i < WIRE_HDR_LEN + body_len; i++) {
					if (write(fd, resp + i, 1) != 1)
						break;
					usleep(1000);
				}
			} else if (write(fd, resp, WIRE_HDR_LEN + body_len) < 0) {
				break;
			}
			if (fake.mode == FAKE_CLOSE_EACH)
				break;
		}
		fake.conn_fd = -1;
		close(fd);
	}
}

/*
 * The fake's thread stopped and joined, its socket gone: under CK_FORK=no
 * (valgrind) every test runs in one process, and a thread left from one test
 * would accept and count the next test's connections.
 */
static void
fake_stop(void)
{
	int fd;

	if (!fake.running)
		return;
	shutdown(fake.listen_fd, SHUT_RDWR);
	if ((fd = fake.conn_fd) != -1)
		shutdown(fd, SHUT_RDWR);
	pthread_join(fake.thread, NULL);
	close(fake.listen_fd);
	unlink(fake.path);
	fake.running = 0;
}

static void
fake_start(enum fake_mode mode, uint16_t status)
{
	fake_stop();
	memset(&fake, 0, sizeof(fake));
	fake.conn_fd = -1;
	fake.mode = mode;
	fake.status = status;
	fake.listen_fd = test_listen_service("libparsec-fake", fake.path, sizeof(fake.path));
	pthread_create(&fake.thread, NULL, fake_serve, NULL);
	fake.running = 1;
}

static parsec_client *
connected(void)
{
	parsec_client *c = NULL;

	ck_assert_int_eq(parsec_client_new(&c, "tester"), PARSEC_SUCCESS);
	ck_assert_uint_eq(parsec_client_provider(c), 1);
	return c;
}

/* A client of a fake in this mode that has pinged it n times, each a success; the
 * last answer's version in *maj and *min. */
static parsec_client *
pinged(enum fake_mode mode, int n, uint8_t *maj, uint8_t *min)
{
	parsec_client *c;
	int i;

	fake_start(mode, 0);
	c = connected();
	for (i = 0; i < n; i++)
		ck_assert_int_eq(parsec_ping(c, maj, min), PARSEC_SUCCESS);
	return c;
}

START_TEST(t_keeps_one_connection)
{
	uint8_t maj, min;
	parsec_client *c = pinged(FAKE_NORMAL, 5, &maj, &min);

	ck_assert_uint_eq(maj, 1);
	ck_assert_int_eq(fake.connections, 1);
	parsec_client_free(c);
}
END_TEST

/* Five pings against a fake in mode: two discovery requests and five pings, each on a
 * fresh connection. */
static void
fresh_each(enum fake_mode mode)
{
	uint8_t maj, min;
	parsec_client *c = pinged(mode, 5, &maj, &min);

	ck_assert_int_eq(fake.requests, 7);
	ck_assert_int_eq(fake.connections, 7);
	parsec_client_free(c);
}

START_TEST(t_reconnects_when_closed_after_each)
{
	fresh_each(FAKE_CLOSE_EACH);
}
END_TEST

/* Against upstream's service: a new connection per call, none reused after its reply. */
START_TEST(t_new_connection_when_not_kept)
{
	fresh_each(FAKE_UPSTREAM);
	ck_assert_int_eq(fake.reused_unkept, 0);
}
END_TEST

START_TEST(t_partial_reads)
{
	uint8_t maj = 0, min = 9;
	parsec_client *c = pinged(FAKE_DRIBBLE, 1, &maj, &min);

	ck_assert_uint_eq(maj, 1);
	ck_assert_uint_eq(min, 0);
	parsec_client_free(c);
}
END_TEST

/*
 * A body over max_response is refused from its header, never read; one at
 * max_response is read. The fake sends every byte it announces, so a client
 * that read on would get an answer, not hang.
 */
START_TEST(t_oversized_response_refused)
{
	parsec_client *c;
	uint8_t maj = 0, min;
	int st;

	fake_start(FAKE_OVERSIZED, 0);
	c = connected();
	parsec_client_set_max_response(c, 1024);
	fake.announce = 1025;
	st = parsec_ping(c, &maj, &min);
	ck_assert_msg(st == PARSEC_ERR_RESPONSE_TOO_LARGE,
	    "a 1025-byte body over max_response 1024: status %d, expected RESPONSE_TOO_LARGE", st);
	fake.announce = 1024;
	st = parsec_ping(c, &maj, &min);
	ck_assert_msg(st == PARSEC_SUCCESS && maj == 1,
	    "a 1024-byte body at max_response 1024: status %d, expected it read", st);
	/* The default limit, 16 MiB: one byte over it. */
	parsec_client_free(c);
	c = connected();
	fake.announce = 16u * 1024 * 1024 + 1;
	st = parsec_ping(c, &maj, &min);
	ck_assert_msg(st == PARSEC_ERR_RESPONSE_TOO_LARGE,
	    "a body one byte over the default 16 MiB max_response: status %d, expected "
	    "RESPONSE_TOO_LARGE", st);
	parsec_client_free(c);
}
END_TEST

/*
 * A result larger than the caller's buffer: BUFFER_TOO_SMALL, the size
 * needed in *len, and not one byte written into or around the buffer. Then
 * a buffer of exactly the size needed takes the whole result.
 */
#define ECDSA_SHA_256 0x06000609u /* PSA_ALG_ECDSA(PSA_ALG_SHA_256) */
#define CANARY 0xa5
#define CANARY_LEN 32

static void
assert_untouched(const uint8_t *p, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_msg(p[i] == CANARY, "%s: byte %zu changed (0x%02x) by a too-small call", what,
		    i, p[i]);
}

static void
check_too_small(const char *op, int st, size_t len, size_t needed, const uint8_t *area, size_t cap)
{
	ck_assert_msg(st == PARSEC_ERR_BUFFER_TOO_SMALL,
	    "%s: a %zu-byte result into a %zu-byte buffer: status %d, expected BUFFER_TOO_SMALL",
	    op, needed, cap, st);
	ck_assert_msg(len == needed, "%s: *len %zu, expected the size needed, %zu", op, len, needed);
	assert_untouched(area, CANARY_LEN, "the canary before the buffer");
	assert_untouched(area + CANARY_LEN, cap, "the buffer itself");
	assert_untouched(area + CANARY_LEN + cap, CANARY_LEN, "the canary after the buffer");
}

START_TEST(t_result_larger_than_buffer)
{
	uint8_t area[CANARY_LEN + 128 + CANARY_LEN], *exact, hash[32] = { 0 };
	size_t len, cap, i;
	parsec_client *c;
	int st;

	fake_start(FAKE_NORMAL, 0);
	c = connected();
	for (cap = 0; cap < FAKE_SIGNATURE_LEN; cap += 21) {
		memset(area, CANARY, sizeof(area));
		len = 12345;
		st = parsec_sign_hash(c, "k", ECDSA_SHA_256, hash, sizeof(hash), area + CANARY_LEN, cap,
		    &len);
		check_too_small("sign_hash", st, len, FAKE_SIGNATURE_LEN, area, cap);
	}
	memset(area, CANARY, sizeof(area));
	len = 12345;
	st = parsec_export_public_key(c, "k", area + CANARY_LEN, FAKE_PUBLIC_LEN - 1, &len);
	check_too_small("export_public_key", st, len, FAKE_PUBLIC_LEN, area, FAKE_PUBLIC_LEN - 1);
	/* Exactly the size needed, on the heap so valgrind and ASan see any write past it. */
	exact = malloc(FAKE_SIGNATURE_LEN);
	ck_assert_int_eq(parsec_sign_hash(c, "k", ECDSA_SHA_256, hash,
	    sizeof(hash), exact, FAKE_SIGNATURE_LEN, &len), PARSEC_SUCCESS);
	ck_assert_uint_eq(len, FAKE_SIGNATURE_LEN);
	for (i = 0; i < FAKE_SIGNATURE_LEN; i++)
		ck_assert_uint_eq(exact[i], FAKE_RESULT_BYTE(i));
	free(exact);
	exact = malloc(FAKE_SIGNATURE_LEN - 1);
	ck_assert_int_eq(parsec_sign_hash(c, "k", ECDSA_SHA_256, hash,
	    sizeof(hash), exact, FAKE_SIGNATURE_LEN - 1, &len), PARSEC_ERR_BUFFER_TOO_SMALL);
	free(exact);
	parsec_client_free(c);
}
END_TEST

/*
 * Key names as long as the service takes (255 bytes) reach it whole; longer,
 * empty or missing ones are refused before anything is sent.
 */
START_TEST(t_key_name_bounds)
{
	char name[PARSEC_NAME_MAX + 2];
	uint8_t hash[32] = { 0 }, sig[FAKE_SIGNATURE_LEN];
	size_t len;
	parsec_client *c;
	int sent;

	fake_start(FAKE_NORMAL, 0);
	c = connected();
	memset(name, 'k', PARSEC_NAME_MAX);
	name[PARSEC_NAME_MAX] = '\0';
	ck_assert_int_eq(parsec_sign_hash(c, name, ECDSA_SHA_256, hash, sizeof(hash), sig,
	    sizeof(sig), &len), PARSEC_SUCCESS);
	ck_assert_str_eq(fake.last_key_name, name);
	sent = fake.requests;
	name[PARSEC_NAME_MAX] = 'k';
	name[PARSEC_NAME_MAX + 1] = '\0';
	len = 12345;
	ck_assert_int_eq(parsec_sign_hash(c, name, ECDSA_SHA_256, hash, sizeof(hash), sig,
	    sizeof(sig), &len), PARSEC_ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(parsec_sign_hash(c, "", ECDSA_SHA_256, hash, sizeof(hash), sig,
	    sizeof(sig), &len), PARSEC_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(parsec_sign_hash(c, NULL, ECDSA_SHA_256, hash, sizeof(hash), sig,
	    sizeof(sig), &len), PARSEC_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(parsec_delete_client(c, name), PARSEC_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(fake.requests, sent);
	parsec_client_free(c);
}
END_TEST

static const int statuses[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
	19, 20, 21, 22, 1132, 1133, 1134, 1135, 1136, 1137, 1138, 1139, 1140, 1141, 1142, 1143,
	1145, 1146, 1147, 1148, 1149, 1150, 1151, 1152, 1153 };

/*
 * A request whose body the service refuses from its header gets that
 * answer, BodySizeExceedsLimit, though the service closed before reading it
 * all: not a lost connection.
 */
START_TEST(t_body_over_limit)
{
	static uint8_t input[2u << 20];
	uint8_t hash[64], maj, min;
	size_t len = 0;
	parsec_client *c;

	fake_start(FAKE_BODY_LIMIT, 0);
	c = connected();
	ck_assert_int_eq(parsec_hash_compute(c, 0x02000009, input, sizeof(input), hash,
	    sizeof(hash), &len), ST_BODY_SIZE_EXCEEDS_LIMIT);
	ck_assert_int_eq(parsec_ping(c, &maj, &min), PARSEC_SUCCESS);
	parsec_client_free(c);
}
END_TEST

START_TEST(t_status_mapping)
{
	parsec_client *c;
	uint8_t maj, min;
	int st = statuses[_i];

	fake_start(FAKE_STATUS, (uint16_t)st);
	c = connected();
	ck_assert_int_eq(parsec_ping(c, &maj, &min), st);
	ck_assert_str_ne(parsec_status_name(st), "unknown status");
	ck_assert_str_ne(parsec_status_str(st),
	    "The service answered with a status this library does not know.");
	parsec_client_free(c);
}
END_TEST

START_TEST(t_no_service)
{
	parsec_client *c = NULL;

	setenv("PARSEC_SERVICE_ENDPOINT", "unix:/nonexistent/parsec.sock", 1);
	ck_assert_int_eq(parsec_client_new(&c, NULL), PARSEC_ERR_CONNECTION);
	ck_assert_ptr_null(c);
	setenv("PARSEC_SERVICE_ENDPOINT", "tcp:127.0.0.1:1", 1);
	ck_assert_int_eq(parsec_client_new(&c, NULL), PARSEC_ERR_SETTING_ENDPOINT);
	ck_assert_ptr_nonnull(strstr(parsec_strerror(PARSEC_ERR_SETTING_ENDPOINT),
	    "PARSEC_SERVICE_ENDPOINT"));
	ck_assert_str_eq(parsec_status_name(PARSEC_ERR_SETTING_ENDPOINT), "SettingEndpoint");
	ck_assert_str_eq(parsec_status_str(9999),
	    "The service answered with a status this library does not know.");
}
END_TEST

/* Each setter refuses what it cannot use, with the error that names it. */
START_TEST(t_settings_refused)
{
	static const int codes[] = { PARSEC_ERR_SETTING_ENDPOINT, PARSEC_ERR_SETTING_APP_NAME,
		PARSEC_ERR_SETTING_AUTHENTICATOR, PARSEC_ERR_SETTING_PROVIDER,
		PARSEC_ERR_SETTING_TIMEOUT, PARSEC_ERR_SETTING_MAX_RESPONSE };
	static const char *named[] = { "endpoint", "application name", "authenticator",
		"provider", "timeout", "maximum response" };
	parsec_settings *s;
	char long_name[300];
	size_t i;

	ck_assert_int_eq(parsec_settings_new(&s), PARSEC_SUCCESS);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_int_eq(parsec_settings_set_endpoint(s, "/run/parsec/parsec.sock"),
	    PARSEC_ERR_SETTING_ENDPOINT);
	ck_assert_int_eq(parsec_settings_set_endpoint(s, "unix:"), PARSEC_ERR_SETTING_ENDPOINT);
	ck_assert_int_eq(parsec_settings_set_endpoint(s, long_name), PARSEC_ERR_SETTING_ENDPOINT);
	memcpy(long_name, "unix:", 5);
	ck_assert_int_eq(parsec_settings_set_endpoint(s, long_name), PARSEC_ERR_SETTING_ENDPOINT);
	ck_assert_int_eq(parsec_settings_set_app_name(s, ""), PARSEC_ERR_SETTING_APP_NAME);
	ck_assert_int_eq(parsec_settings_set_app_name(s, "caf\xe9"), PARSEC_ERR_SETTING_APP_NAME);
	ck_assert_int_eq(parsec_settings_set_app_name(s, long_name + 40), PARSEC_ERR_SETTING_APP_NAME);
	ck_assert_int_eq(parsec_settings_set_authenticator(s, PARSEC_AUTH_JWT_SVID),
	    PARSEC_ERR_SETTING_AUTHENTICATOR);
	ck_assert_int_eq(parsec_settings_set_authenticator(s, 2), PARSEC_ERR_SETTING_AUTHENTICATOR);
	ck_assert_int_eq(parsec_settings_set_provider(s, 6), PARSEC_ERR_SETTING_PROVIDER);
	ck_assert_int_eq(parsec_settings_set_timeout(s, 0), PARSEC_ERR_SETTING_TIMEOUT);
	ck_assert_int_eq(parsec_settings_set_timeout(s, PARSEC_TIMEOUT_MAX_MS + 1),
	    PARSEC_ERR_SETTING_TIMEOUT);
	ck_assert_int_eq(parsec_settings_set_max_response(s, 0), PARSEC_ERR_SETTING_MAX_RESPONSE);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_ptr_nonnull(strstr(parsec_strerror(codes[i]), named[i]));
		ck_assert_str_eq(parsec_status_str(codes[i]), parsec_strerror(codes[i]));
		ck_assert_str_ne(parsec_status_name(codes[i]), "unknown status");
	}
	parsec_settings_free(s);
}
END_TEST

/* Settings win over the environment, and requests carry what they chose. */
START_TEST(t_settings_used)
{
	char endpoint[128];
	parsec_settings *s;
	parsec_client *c = NULL;
	uint8_t hash[32] = { 0 }, sig[FAKE_SIGNATURE_LEN];
	size_t len;

	fake_start(FAKE_NORMAL, 0);
	snprintf(endpoint, sizeof(endpoint), "unix:%s", fake.path);
	setenv("PARSEC_SERVICE_ENDPOINT", "unix:/nonexistent/parsec.sock", 1);
	setenv("PARSEC_APP_NAME", "from-environment", 1);
	ck_assert_int_eq(parsec_settings_new(&s), PARSEC_SUCCESS);
	ck_assert_int_eq(parsec_settings_set_endpoint(s, endpoint), PARSEC_SUCCESS);
	ck_assert_int_eq(parsec_settings_set_app_name(s, "from-settings"), PARSEC_SUCCESS);
	ck_assert_int_eq(parsec_settings_set_provider(s, PARSEC_PROVIDER_TPM), PARSEC_SUCCESS);
	ck_assert_int_eq(parsec_settings_set_authenticator(s, PARSEC_AUTH_DIRECT), PARSEC_SUCCESS);
	ck_assert_int_eq(parsec_client_new_with_settings(&c, s), PARSEC_SUCCESS);
	ck_assert_uint_eq(parsec_client_provider(c), PARSEC_PROVIDER_TPM);
	ck_assert_uint_eq(parsec_client_authenticator(c), PARSEC_AUTH_DIRECT);
	ck_assert_int_eq(parsec_sign_hash(c, "k", PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_SHA_256), hash,
	    sizeof(hash), sig, sizeof(sig), &len), PARSEC_SUCCESS);
	ck_assert_uint_eq(fake.last_provider, PARSEC_PROVIDER_TPM);
	ck_assert_uint_eq(fake.last_auth_type, PARSEC_AUTH_DIRECT);
	ck_assert_str_eq(fake.last_auth, "from-settings");
	parsec_client_free(c);
	/* The service offers Direct only: Unix peer credentials asked for are refused. */
	ck_assert_int_eq(parsec_settings_set_authenticator(s, PARSEC_AUTH_UNIX_PEER_CREDENTIALS),
	    PARSEC_SUCCESS);
	ck_assert_int_eq(parsec_client_new_with_settings(&c, s), 13 /* AuthenticatorNotRegistered */);
	ck_assert_ptr_null(c);
	parsec_settings_free(s);
	unsetenv("PARSEC_APP_NAME");
}
END_TEST

/* A service that never answers: the call ends after the timeout the settings gave. */
START_TEST(t_settings_timeout)
{
	parsec_settings *s;
	parsec_client *c = NULL;
	struct timespec t0, t1;
	uint8_t maj, min;
	double took;

	fake_start(FAKE_SILENT, 0);
	ck_assert_int_eq(parsec_settings_new(&s), PARSEC_SUCCESS);
	ck_assert_int_eq(parsec_settings_set_timeout(s, 300), PARSEC_SUCCESS);
	ck_assert_int_eq(parsec_client_new_with_settings(&c, s), PARSEC_SUCCESS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(parsec_ping(c, &maj, &min), PARSEC_ERR_CONNECTION);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(took >= 0.25 && took < 5.0, "the call took %.2f s with a 0.3 s timeout", took);
	parsec_client_free(c);
	parsec_settings_free(s);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "fake service", 20, NULL, fake_stop, {
			TEST(t_keeps_one_connection), TEST(t_new_connection_when_not_kept),
			TEST(t_reconnects_when_closed_after_each), TEST(t_partial_reads),
			TEST(t_oversized_response_refused), TEST(t_result_larger_than_buffer),
			TEST(t_key_name_bounds), TEST(t_body_over_limit),
			TEST_LOOP(t_status_mapping, sizeof(statuses) / sizeof(statuses[0])),
			TEST(t_no_service), TEST(t_settings_refused), TEST(t_settings_used),
			TEST(t_settings_timeout)
		} },
	};

	return test_main("libparsec", cases, sizeof(cases) / sizeof(cases[0]));
}
