/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: libparsec against a fake service on a temp socket that
 * misbehaves on purpose: closes after every answer, dribbles its answers a
 * byte at a time, announces an oversized body, or answers each status.
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

#include <pb_encode.h>

#include "list_authenticators.pb.h"
#include "list_providers.pb.h"
#include "parsec/client.h"
#include "ping.pb.h"
#include "wire.h"
#include "testlib.h"

/*
 * FAKE_CLOSE_EACH promises keep-alive and breaks it (a kept connection timed out);
 * FAKE_UPSTREAM answers as upstream's service: no keep-alive flag in any reply.
 */
enum fake_mode { FAKE_NORMAL, FAKE_CLOSE_EACH, FAKE_UPSTREAM, FAKE_DRIBBLE, FAKE_OVERSIZED,
	FAKE_STATUS };

static struct {
	char path[108];
	int listen_fd;
	enum fake_mode mode;
	uint16_t status;
	int connections;
	int requests;
	int reused_unkept; /* requests on a connection whose last reply did not keep it */
	pthread_t thread;
} fake;

static int
read_full(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The body the fake answers each opcode with. */
static size_t
fake_body(uint32_t opcode, uint8_t *out, size_t cap)
{
	pb_ostream_t os = pb_ostream_from_buffer(out, cap);

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
	}
	return os.bytes_written;
}

static void *
fake_serve(void *arg)
{
	for (;;) {
		int fd = accept(fake.listen_fd, NULL, NULL);

		if (fd == -1)
			return NULL;
		int answered_unkept = 0;

		fake.connections++;
		for (;;) {
			uint8_t raw[WIRE_HDR_LEN], skip[4096], resp[WIRE_HDR_LEN + 256];
			struct wire_hdr hdr;
			size_t body_len, i;
			int discovery;

			if (read_full(fd, raw, sizeof(raw)) == -1 ||
			    wire_decode_request_hdr(raw, sizeof(raw), UINT32_MAX, &hdr) != WIRE_HDR_OK ||
			    hdr.body_len + hdr.auth_len > sizeof(skip) ||
			    read_full(fd, skip, hdr.body_len + hdr.auth_len) == -1)
				break;
			fake.requests++;
			if (answered_unkept)
				fake.reused_unkept++;
			discovery = hdr.opcode == OP_LIST_AUTHENTICATORS || hdr.opcode == OP_LIST_PROVIDERS;
			body_len = fake_body(hdr.opcode, resp + WIRE_HDR_LEN, 256);
			hdr.status = 0;
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
			if (!discovery && fake.mode == FAKE_OVERSIZED)
				hdr.body_len = 64u * 1024 * 1024;
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
		close(fd);
	}
}

static void
fake_start(enum fake_mode mode, uint16_t status)
{
	struct sockaddr_un sun;

	memset(&fake, 0, sizeof(fake));
	fake.mode = mode;
	fake.status = status;
	snprintf(fake.path, sizeof(fake.path), "/tmp/libparsec-fake.%d.sock", (int)getpid());
	unlink(fake.path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, fake.path);
	fake.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fake.listen_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fake.listen_fd, 8), 0);
	pthread_create(&fake.thread, NULL, fake_serve, NULL);
	{
		char endpoint[128];

		snprintf(endpoint, sizeof(endpoint), "unix:%s", fake.path);
		setenv("PARSEC_SERVICE_ENDPOINT", endpoint, 1);
	}
}

static parsec_client *
connected(void)
{
	parsec_client *c = NULL;

	ck_assert_int_eq(parsec_client_new(&c, "tester"), PARSEC_SUCCESS);
	ck_assert_uint_eq(parsec_client_provider(c), 1);
	return c;
}

START_TEST(t_keeps_one_connection)
{
	parsec_client *c;
	uint8_t maj, min;
	int i;

	fake_start(FAKE_NORMAL, 0);
	c = connected();
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(parsec_ping(c, &maj, &min), PARSEC_SUCCESS);
	ck_assert_uint_eq(maj, 1);
	ck_assert_int_eq(fake.connections, 1);
	parsec_client_free(c);
}
END_TEST

START_TEST(t_reconnects_when_closed_after_each)
{
	parsec_client *c;
	uint8_t maj, min;
	int i;

	fake_start(FAKE_CLOSE_EACH, 0);
	c = connected();
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(parsec_ping(c, &maj, &min), PARSEC_SUCCESS);
	/* Two discovery requests and five pings, each on a fresh connection. */
	ck_assert_int_eq(fake.requests, 7);
	ck_assert_int_eq(fake.connections, 7);
	parsec_client_free(c);
}
END_TEST

/* Against upstream's service: a new connection per call, none reused after its reply. */
START_TEST(t_new_connection_when_not_kept)
{
	parsec_client *c;
	uint8_t maj, min;
	int i;

	fake_start(FAKE_UPSTREAM, 0);
	c = connected();
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(parsec_ping(c, &maj, &min), PARSEC_SUCCESS);
	ck_assert_int_eq(fake.requests, 7);
	ck_assert_int_eq(fake.connections, 7);
	ck_assert_int_eq(fake.reused_unkept, 0);
	parsec_client_free(c);
}
END_TEST

START_TEST(t_partial_reads)
{
	parsec_client *c;
	uint8_t maj = 0, min = 9;

	fake_start(FAKE_DRIBBLE, 0);
	c = connected();
	ck_assert_int_eq(parsec_ping(c, &maj, &min), PARSEC_SUCCESS);
	ck_assert_uint_eq(maj, 1);
	ck_assert_uint_eq(min, 0);
	parsec_client_free(c);
}
END_TEST

START_TEST(t_oversized_response_refused)
{
	parsec_client *c;
	uint8_t maj, min;

	fake_start(FAKE_OVERSIZED, 0);
	c = connected();
	ck_assert_int_eq(parsec_ping(c, &maj, &min), PARSEC_ERR_RESPONSE_TOO_LARGE);
	parsec_client_set_max_response(c, 1024);
	ck_assert_int_eq(parsec_ping(c, &maj, &min), PARSEC_ERR_RESPONSE_TOO_LARGE);
	parsec_client_free(c);
}
END_TEST

static const int statuses[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
	19, 20, 21, 22, 1132, 1133, 1134, 1135, 1136, 1137, 1138, 1139, 1140, 1141, 1142, 1143,
	1145, 1146, 1147, 1148, 1149, 1150, 1151, 1152, 1153 };

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
	ck_assert_int_eq(parsec_client_new(&c, NULL), PARSEC_ERR_INVALID_ENCODING);
	ck_assert_str_eq(parsec_status_str(9999),
	    "The service answered with a status this library does not know.");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("libparsec");
	TCase *tc = tcase_create("fake service");

	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, t_keeps_one_connection);
	tcase_add_test(tc, t_new_connection_when_not_kept);
	tcase_add_test(tc, t_reconnects_when_closed_after_each);
	tcase_add_test(tc, t_partial_reads);
	tcase_add_test(tc, t_oversized_response_refused);
	tcase_add_loop_test(tc, t_status_mapping, 0, sizeof(statuses) / sizeof(statuses[0]));
	tcase_add_test(tc, t_no_service);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
