/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End to end: a real parsecd on a temp socket, the core operations, keep-alive
 * and one-request-per-connection, and every wire-header fault answered with its
 * status while the service keeps serving others.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "list_authenticators.pb.h"
#include "list_opcodes.pb.h"
#include "list_providers.pb.h"
#include "ping.pb.h"
#include "psa_codec.h"
#include "psa_generate_random.pb.h"
#include "testlib.h"

static struct test_daemon daemon_under_test;

static void
setup(void)
{
	ck_assert_msg(test_daemon_start(&daemon_under_test, "body_len_limit = 4096", NULL) == 0,
	    "parsecd did not start (log in %s)", daemon_under_test.log_path);
}

static void
teardown(void)
{
	test_daemon_stop(&daemon_under_test);
}

/* One request on a fresh connection; returns the response status. */
static int
roundtrip(int fd, uint8_t provider, uint32_t opcode, const void *body, size_t body_len,
    struct wire_hdr *hdr, uint8_t **rbody, size_t *rlen)
{
	ck_assert_int_eq(test_send_request(fd, provider, opcode, 0, NULL, 0, body, body_len, 77), 0);
	ck_assert_int_eq(test_read_response(fd, hdr, rbody, rlen), 0);
	ck_assert_uint_eq(hdr->session, 77);
	ck_assert_uint_eq(hdr->opcode, opcode);
	return hdr->status;
}

/* One operation: its body encoded from op (no body when op_fields is NULL) and, on
 * success, the answer decoded into res; returns the response status. */
static int
ask(int fd, uint8_t provider, uint32_t opcode, const pb_msgdesc_t *op_fields, const void *op,
    const pb_msgdesc_t *res_fields, void *res)
{
	uint8_t buf[64], *body;
	pb_ostream_t out = pb_ostream_from_buffer(buf, sizeof(buf));
	struct wire_hdr hdr;
	size_t len;

	if (op_fields != NULL)
		ck_assert(pb_encode(&out, op_fields, op));
	roundtrip(fd, provider, opcode, op_fields != NULL ? buf : NULL, out.bytes_written, &hdr,
	    &body, &len);
	return test_answer(&hdr, body, len, res_fields, res);
}

static void
ping_ok(int fd)
{
	ping_Result r = ping_Result_init_zero;

	ck_assert_int_eq(ask(fd, 0, OP_PING, NULL, NULL, ping_Result_fields, &r), ST_SUCCESS);
	ck_assert_uint_eq(r.wire_protocol_version_maj, 1);
	ck_assert_uint_eq(r.wire_protocol_version_min, 0);
}

START_TEST(t_ping_keepalive_and_per_connection)
{
	int fd = test_connect(daemon_under_test.socket_path), i;

	ck_assert_int_ge(fd, 0);
	for (i = 0; i < 5; i++)
		ping_ok(fd);
	close(fd);
	for (i = 0; i < 5; i++) {
		fd = test_connect(daemon_under_test.socket_path);
		ping_ok(fd);
		close(fd);
	}
}
END_TEST

START_TEST(t_list_providers)
{
	int fd = test_connect(daemon_under_test.socket_path);
	list_providers_Result r = list_providers_Result_init_zero;

	ck_assert_int_eq(ask(fd, 0, OP_LIST_PROVIDERS, NULL, NULL, list_providers_Result_fields,
	    &r), ST_SUCCESS);
	ck_assert_uint_eq(r.providers_count, 2);
	ck_assert_uint_eq(r.providers[0].id, 1);
	ck_assert_str_eq(r.providers[0].uuid, "1c1139dc-ad7c-47dc-ad6b-db6fdb466552");
	ck_assert_uint_eq(r.providers[1].id, 0);
	ck_assert_str_eq(r.providers[1].uuid, "47049873-2a43-4845-9d72-831eab668784");
	ck_assert(strlen(r.providers[0].description) > 0);
	ck_assert(strlen(r.providers[0].vendor) > 0);
	close(fd);
}
END_TEST

static size_t
list_opcodes(int fd, uint32_t provider_id, uint32_t *ops, size_t max, int *status)
{
	list_opcodes_Operation op = list_opcodes_Operation_init_zero;
	list_opcodes_Result r = list_opcodes_Result_init_zero;
	size_t i;

	op.provider_id = provider_id;
	*status = ask(fd, 0, OP_LIST_OPCODES, list_opcodes_Operation_fields, &op,
	    list_opcodes_Result_fields, &r);
	if (*status != ST_SUCCESS)
		return 0;
	for (i = 0; i < r.opcodes_count && i < max; i++)
		ops[i] = r.opcodes[i];
	return r.opcodes_count;
}

static int
contains(const uint32_t *ops, size_t n, uint32_t op)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ops[i] == op)
			return 1;
	return 0;
}

START_TEST(t_list_opcodes)
{
	int fd = test_connect(daemon_under_test.socket_path), status;
	uint32_t ops[64];
	size_t n;

	n = list_opcodes(fd, 0, ops, 64, &status);
	ck_assert_int_eq(status, ST_SUCCESS);
	ck_assert(contains(ops, n, OP_PING));
	ck_assert(contains(ops, n, OP_LIST_PROVIDERS));
	ck_assert(contains(ops, n, OP_LIST_OPCODES));
	ck_assert(contains(ops, n, OP_LIST_AUTHENTICATORS));
	ck_assert(!contains(ops, n, OP_PSA_SIGN_HASH));
	n = list_opcodes(fd, 1, ops, 64, &status);
	ck_assert_int_eq(status, ST_SUCCESS);
	ck_assert(contains(ops, n, OP_PSA_GENERATE_RANDOM));
	/* Upstream clients reject an answer with opcodes their crate lacks. */
	ck_assert(!contains(ops, n, OP_PSA_MAC_COMPUTE));
	ck_assert(!contains(ops, n, OP_PSA_MAC_VERIFY));
	list_opcodes(fd, 3, ops, 64, &status);
	ck_assert_int_eq(status, ST_PROVIDER_NOT_REGISTERED);
	list_opcodes(fd, 9, ops, 64, &status);
	ck_assert_int_eq(status, ST_PROVIDER_DOES_NOT_EXIST);
	close(fd);
}
END_TEST

START_TEST(t_list_authenticators)
{
	int fd = test_connect(daemon_under_test.socket_path);
	list_authenticators_Result r = list_authenticators_Result_init_zero;

	ck_assert_int_eq(ask(fd, 0, OP_LIST_AUTHENTICATORS, NULL, NULL,
	    list_authenticators_Result_fields, &r), ST_SUCCESS);
	ck_assert_uint_eq(r.authenticators_count, 1);
	ck_assert_uint_eq(r.authenticators[0].id, WIRE_AUTH_DIRECT);
	close(fd);
}
END_TEST

START_TEST(t_generate_random_through_provider)
{
	int fd = test_connect(daemon_under_test.socket_path);
	psa_generate_random_Operation op = psa_generate_random_Operation_init_zero;
	psa_generate_random_Result r = psa_generate_random_Result_init_zero;
	struct op_bytes random = { NULL, 0 };

	op.size = 32;
	PC_BYTES_IN(r.random_bytes, &random);
	ck_assert_int_eq(ask(fd, 1, OP_PSA_GENERATE_RANDOM, psa_generate_random_Operation_fields,
	    &op, psa_generate_random_Result_fields, &r), ST_SUCCESS);
	ck_assert_uint_eq(random.len, 32);
	/* The same operation sent to core is not core's to serve. */
	ck_assert_int_eq(ask(fd, 0, OP_PSA_GENERATE_RANDOM, psa_generate_random_Operation_fields,
	    &op, psa_generate_random_Result_fields, &r), ST_PSA_NOT_SUPPORTED);
	/* A known provider that is not configured. */
	ck_assert_int_eq(ask(fd, 3, OP_PSA_GENERATE_RANDOM, psa_generate_random_Operation_fields,
	    &op, psa_generate_random_Result_fields, &r), ST_PROVIDER_NOT_REGISTERED);
	close(fd);
}
END_TEST

/*
 * Requests upstream cannot attribute, as its e2e suite sends them (parsec
 * 1.1.0, e2e_tests/tests/per_provider/normal_tests/basic.rs: a RawHeader with
 * flags 0, Ping to core, then the faulty field). Upstream answers each from
 * Request::read_from_stream's error through Response::from_status
 * (parsec-interface 0.27, requests/response/mod.rs and response_header.rs):
 * the answer echoes nothing of the request, and the connection closes.
 */
struct header_fault {
	const char *name;
	int offset;     /* -1: the header as built */
	int width;      /* bytes written at offset, little endian */
	uint32_t value;
	size_t sent;    /* bytes of the header sent: 0 for all of it */
	uint16_t status;
	int unknown_op; /* opcode 0x77 and provider 200 besides */
};

static const struct header_fault header_faults[] = {
	{ "bad magic", 0, 1, 0x00, 0, ST_INVALID_HEADER, 0 },
	/* Upstream checks the magic number as soon as its 4 bytes are in. */
	{ "bad magic, only its 4 bytes sent", 0, 1, 0x00, 4, ST_INVALID_HEADER, 0 },
	{ "header size 29", 4, 1, 29, 0, ST_INVALID_HEADER, 0 },
	/* It then waits for 31 bytes after the size: the deadline (1 s) cuts it. */
	{ "header size 31", 4, 1, 31, 0, ST_CONNECTION_ERROR, 0 },
	{ "version 2.0", 6, 1, 2, 0, ST_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED, 0 },
	{ "version 1.1", 7, 1, 1, 0, ST_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED, 0 },
	{ "reserved byte", 35, 1, 56, 0, ST_INVALID_HEADER, 0 },
	{ "content type 0xff", 19, 1, 0xff, 0, ST_CONTENT_TYPE_NOT_SUPPORTED, 0 },
	{ "accept type 0xff", 20, 1, 0xff, 0, ST_ACCEPT_TYPE_NOT_SUPPORTED, 0 },
	/* body_len_limit is 4096 here: one byte over it. */
	{ "body one byte over the limit", 22, 4, 4097, 0, ST_BODY_SIZE_EXCEEDS_LIMIT, 0 },
	/* A body or auth field announced and never sent: the deadline answers. */
	{ "body of 4000 bytes never sent", 22, 4, 4000, 0, ST_CONNECTION_ERROR, 0 },
	{ "auth field of 0xffff bytes never sent", 26, 2, 0xffff, 0, ST_CONNECTION_ERROR, 0 },
	{ "auth type 0xff", 21, 1, 0xff, 0, ST_AUTHENTICATOR_DOES_NOT_EXIST, 0 },
	{ "opcode 0xffff", 28, 4, 0xffff, 0, ST_OPCODE_DOES_NOT_EXIST, 0 },
	{ "provider 0xff", 10, 1, 0xff, 0, ST_PROVIDER_DOES_NOT_EXIST, 0 },
	/* Two faults: upstream judges the auth type before the opcode and the provider. */
	{ "auth type 0xff, opcode and provider unknown", 21, 1, 0xff, 0,
	    ST_AUTHENTICATOR_DOES_NOT_EXIST, 1 },
};

/* The 36 bytes of upstream's answer with status: ResponseHeader::new() and the status. */
static void
unattributed_answer(uint8_t out[WIRE_HDR_LEN], uint16_t status)
{
	static const uint8_t head[] = { 0x10, 0xa7, 0xc0, 0x5e, 0x1e, 0x00, 0x01, 0x00 };

	memset(out, 0, WIRE_HDR_LEN);
	memcpy(out, head, sizeof(head));
	out[28] = 0x01; /* opcode Ping */
	out[32] = (uint8_t)(status & 0xff);
	out[33] = (uint8_t)(status >> 8);
}

START_TEST(t_header_faults)
{
	const struct header_fault *hf = &header_faults[_i];
	uint8_t raw[WIRE_HDR_LEN], got[WIRE_HDR_LEN], want[WIRE_HDR_LEN];
	int fd = test_connect(daemon_under_test.socket_path), b;

	test_build_hdr_flags(raw, 0, WIRE_PROVIDER_CORE, OP_PING, WIRE_AUTH_NONE, 0, 0, 99);
	for (b = 0; hf->offset >= 0 && b < hf->width; b++)
		raw[hf->offset + b] = (uint8_t)(hf->value >> (8 * b));
	if (hf->unknown_op) {
		raw[28] = 0x77;
		raw[10] = 200;
	}
	ck_assert_int_eq(test_send_raw(fd, raw, hf->sent ? hf->sent : sizeof(raw)), 0);
	ck_assert_msg(test_read_full(fd, got, sizeof(got), 5000) == 0, "%s: no answer", hf->name);
	unattributed_answer(want, hf->status);
	ck_assert_msg(memcmp(got, want, sizeof(want)) == 0,
	    "%s: the answer is not upstream's (status %u, provider %u, session byte %u, "
	    "opcode byte %u, flags byte %u; expected status %u)", hf->name,
	    got[32] | got[33] << 8, got[10], got[11], got[28], got[8], hf->status);
	ck_assert_msg(test_peer_closed(fd), "%s: connection left open", hf->name);
	close(fd);
	/* Everyone else is still served. */
	fd = test_connect(daemon_under_test.socket_path);
	ping_ok(fd);
	close(fd);
}
END_TEST

/* A body of exactly body_len_limit bytes is read and decoded, not refused for its size. */
START_TEST(t_body_at_limit)
{
	static uint8_t zeros[4096];
	struct wire_hdr hdr;
	uint8_t *body;
	size_t len;
	int fd = test_connect(daemon_under_test.socket_path);

	ck_assert_int_eq(test_send_request(fd, 0, OP_PING, 0, NULL, 0, zeros, sizeof(zeros), 8), 0);
	ck_assert_msg(test_read_response(fd, &hdr, &body, &len) == 0, "body at the limit: no answer");
	ck_assert_msg(hdr.status == ST_DESERIALIZING_BODY_FAILED,
	    "body at the limit: status %u, expected the body decoded (and refused as garbage, %u)",
	    hdr.status, ST_DESERIALIZING_BODY_FAILED);
	free(body);
	ping_ok(fd);
	close(fd);
}
END_TEST

START_TEST(t_body_faults)
{
	uint8_t raw[WIRE_HDR_LEN + 3] = { 0 }, garbage[3] = { 0xff, 0xff, 0xff };
	struct wire_hdr hdr;
	uint8_t *body;
	size_t len;
	int fd = test_connect(daemon_under_test.socket_path);

	/* Undecodable body: answered, and the connection stays usable. */
	ck_assert_int_eq(test_send_request(fd, 0, OP_LIST_OPCODES, 0, NULL, 0, garbage, 3, 5), 0);
	ck_assert_int_eq(test_read_response(fd, &hdr, &body, &len), 0);
	ck_assert_uint_eq(hdr.status, ST_DESERIALIZING_BODY_FAILED);
	free(body);
	ping_ok(fd);
	close(fd);

	/* Truncated body, then the client stops sending. */
	fd = test_connect(daemon_under_test.socket_path);
	test_build_hdr(raw, 0, OP_LIST_OPCODES, 0, 10, 0, 6);
	ck_assert_int_eq(test_send_raw(fd, raw, sizeof(raw)), 0);
	shutdown(fd, SHUT_WR);
	ck_assert_int_eq(test_read_response(fd, &hdr, &body, &len), 0);
	ck_assert_uint_eq(hdr.status, ST_CONNECTION_ERROR);
	free(body);
	ck_assert(test_peer_closed(fd));
	close(fd);

	/*
	 * A client that sends half a request and waits is cut by the service at
	 * the deadline (timeout = 1000 ms): answered ConnectionError, as upstream
	 * answers a read that timed out, and closed from the service's side within
	 * a generous bound, never before the deadline (timed from before the
	 * connect, so a slow machine can only make it later).
	 */
	{
		struct timespec t0, t1;
		uint8_t answer[WIRE_HDR_LEN], want[WIRE_HDR_LEN];
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		fd = test_connect(daemon_under_test.socket_path);
		ck_assert_int_eq(test_send_raw(fd, raw, 20), 0);
		ck_assert_msg(test_read_full(fd, answer, sizeof(answer), 10000) == 0,
		    "half a request: no answer within 10 s");
		unattributed_answer(want, ST_CONNECTION_ERROR);
		ck_assert_msg(memcmp(answer, want, sizeof(want)) == 0,
		    "half a request: not answered ConnectionError with upstream's header");
		ck_assert_msg(test_peer_closed_within(fd, 10000),
		    "half a request: the service did not close the connection within 10 s");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		ck_assert_msg(ms >= 990, "half a request: cut after %ld ms, before the 1000 ms deadline",
		    ms);
	}
	close(fd);

	fd = test_connect(daemon_under_test.socket_path);
	ping_ok(fd);
	close(fd);
}
END_TEST

START_TEST(t_auth_faults)
{
	struct wire_hdr hdr;
	uint8_t *body;
	size_t len;
	int fd = test_connect(daemon_under_test.socket_path);

	/* Unknown authenticator type (the connection closes: header faults); one not configured. */
	ck_assert_int_eq(test_send_request(fd, 0, OP_PING, 9, "x", 1, NULL, 0, 1), 0);
	ck_assert_int_eq(test_read_response(fd, &hdr, &body, &len), 0);
	ck_assert_uint_eq(hdr.status, ST_AUTHENTICATOR_DOES_NOT_EXIST);
	free(body);
	close(fd);
	fd = test_connect(daemon_under_test.socket_path);
	ck_assert_int_eq(test_send_request(fd, 0, OP_PING, WIRE_AUTH_UNIX_PEER_CREDENTIALS,
	    "\0\0\0\0", 4, NULL, 0, 1), 0);
	ck_assert_int_eq(test_read_response(fd, &hdr, &body, &len), 0);
	ck_assert_uint_eq(hdr.status, ST_AUTHENTICATOR_NOT_REGISTERED);
	free(body);
	/* Direct with a name that is not UTF-8. */
	ck_assert_int_eq(test_send_request(fd, 0, OP_PING, WIRE_AUTH_DIRECT, "\xff\xfe", 2, NULL,
	    0, 1), 0);
	ck_assert_int_eq(test_read_response(fd, &hdr, &body, &len), 0);
	ck_assert_uint_eq(hdr.status, ST_AUTHENTICATION_ERROR);
	free(body);
	/* ListKeys needs an identity. */
	ck_assert_int_eq(test_send_request(fd, 0, OP_LIST_KEYS, 0, NULL, 0, NULL, 0, 1), 0);
	ck_assert_int_eq(test_read_response(fd, &hdr, &body, &len), 0);
	ck_assert_uint_eq(hdr.status, ST_NOT_AUTHENTICATED);
	free(body);
	/* Admin operations are for admins only. */
	ck_assert_int_eq(test_send_request(fd, 0, OP_LIST_CLIENTS, WIRE_AUTH_DIRECT, "app", 3,
	    NULL, 0, 1), 0);
	ck_assert_int_eq(test_read_response(fd, &hdr, &body, &len), 0);
	ck_assert_uint_eq(hdr.status, ST_ADMIN_OPERATION);
	free(body);
	close(fd);
}
END_TEST

/* Children exist, and SIGTERM stops everything and removes the socket. */
START_TEST(t_processes_and_stop)
{
	char cmd[128], line[64];
	FILE *p;
	int children = 0, status;
	struct stat st;

	snprintf(cmd, sizeof(cmd), "ps -o pid= --ppid %d", (int)daemon_under_test.pid);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p) != NULL)
		children++;
	pclose(p);
	ck_assert_int_ge(children, 3);
	status = test_daemon_stop_status(&daemon_under_test);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(stat(daemon_under_test.socket_path, &st), -1);
}
END_TEST

/* Writes text to the file at path and gives it mode. */
static void
write_mode(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* Runs cmd: its output into out (size bytes, terminated), its wait status returned. */
static int
run_output(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	return pclose(p);
}

/* Config errors: parsecd names the file, line and key and exits non-zero. */
START_TEST(t_config_error_exit)
{
	char dir[] = "/tmp/parsecd-cfg.XXXXXX", path[128], cmd[512], out[1024] = "";
	int status;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.toml", dir);
	write_mode(path, "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = \"soon\"\n"
	    "[[provider]]\nprovider_type = \"MbedCrypto\"\n", 0644);
	snprintf(cmd, sizeof(cmd), "%s/parsecd/parsecd -t -c %s 2>&1", test_top(), path);
	status = run_output(cmd, out, sizeof(out));
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	ck_assert_msg(strstr(out, "config.toml:3") != NULL, "no file:line in: %s", out);
	ck_assert_msg(strstr(out, "timeout") != NULL, "no key in: %s", out);
	/* As root, a file others may write is refused before it is read. */
	if (geteuid() == 0) {
		write_mode(path, "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 5\n"
		    "[[provider]]\nprovider_type = \"MbedCrypto\"\n", 0666);
		status = run_output(cmd, out, sizeof(out));
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0);
		ck_assert_msg(strstr(out, "writable by root alone") != NULL, "got: %s", out);
		chmod(path, 0644);
		ck_assert_int_eq(run_output(cmd, out, sizeof(out)), 0);
	}
	unlink(path);
	rmdir(dir);
}
END_TEST

/* The per-uid cap refuses a tenant's extra connections, not everyone's. */
/*
 * body_len_limit at the largest value the config accepts (what the IPC can
 * carry): a body at the limit goes through and is answered; a 20 MiB one is
 * answered BodySizeExceedsLimit and closed; the service keeps serving.
 */
START_TEST(t_oversized_request)
{
	struct test_daemon big;
	const size_t limit = 15u * 1024 * 1024, in_len = limit - 16;
	uint8_t raw[WIRE_HDR_LEN], *body, *rbody;
	struct wire_hdr hdr;
	size_t len = 0, rlen;
	int fd;

	ck_assert_msg(test_daemon_start(&big, "body_len_limit = 15728640", NULL) == 0,
	    "parsecd did not start (log in %s)", big.log_path);
	/* PsaHashCompute: alg = SHA_256 (field 1), input (field 2) of in_len bytes. */
	ck_assert_ptr_nonnull(body = calloc(1, limit));
	body[len++] = 0x08;
	body[len++] = 7;
	body[len++] = 0x12;
	body[len++] = (uint8_t)(0x80 | (in_len & 0x7f));
	body[len++] = (uint8_t)(0x80 | ((in_len >> 7) & 0x7f));
	body[len++] = (uint8_t)(0x80 | ((in_len >> 14) & 0x7f));
	body[len++] = (uint8_t)(in_len >> 21);
	len += in_len;
	ck_assert_uint_le(len, limit);
	fd = test_connect(big.socket_path);
	ck_assert_int_eq(test_send_request(fd, 1, OP_PSA_HASH_COMPUTE, 0, NULL, 0, body, len, 8),
	    0);
	ck_assert_msg(test_read_response(fd, &hdr, &rbody, &rlen) == 0, "no answer at the limit");
	ck_assert_uint_eq(hdr.session, 8);
	ck_assert_uint_eq(hdr.status, ST_SUCCESS);
	ck_assert_uint_eq(rlen > 32, 1);
	free(rbody);
	free(body);
	close(fd);

	fd = test_connect(big.socket_path);
	test_build_hdr(raw, 1, OP_PSA_HASH_COMPUTE, 0, 20u * 1024 * 1024, 0, 9);
	ck_assert_int_eq(test_send_raw(fd, raw, sizeof(raw)), 0);
	ck_assert_msg(test_read_response(fd, &hdr, &rbody, &rlen) == 0, "20 MiB: no answer");
	ck_assert_uint_eq(hdr.status, ST_BODY_SIZE_EXCEEDS_LIMIT);
	free(rbody);
	ck_assert_msg(test_peer_closed(fd), "20 MiB: connection left open");
	close(fd);
	fd = test_connect(big.socket_path);
	ping_ok(fd);
	close(fd);
	test_daemon_stop(&big);
}
END_TEST

START_TEST(t_connection_caps)
{
	struct test_daemon capped;
	int fds[3], i;

	ck_assert_msg(test_daemon_start(&capped, NULL,
	    "max_connections_per_uid = 2\nmax_connections = 10") == 0, "parsecd did not start");
	for (i = 0; i < 2; i++) {
		fds[i] = test_connect(capped.socket_path);
		ping_ok(fds[i]);
	}
	fds[2] = test_connect(capped.socket_path);
	ck_assert_int_ge(fds[2], 0);
	ck_assert(test_peer_closed(fds[2]));
	close(fds[2]);
	close(fds[0]);
	/* A slot is free again once one closes. */
	for (i = 0; i < 50; i++) {
		fds[0] = test_connect(capped.socket_path);
		if (!test_peer_closed_now(fds[0]))
			break;
		close(fds[0]);
		usleep(20000);
	}
	ping_ok(fds[0]);
	close(fds[0]);
	close(fds[1]);
	test_daemon_stop(&capped);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "end-to-end", 30, setup, teardown, {
			TEST(t_ping_keepalive_and_per_connection), TEST(t_list_providers),
			TEST(t_list_opcodes), TEST(t_list_authenticators),
			TEST(t_generate_random_through_provider),
			TEST_LOOP(t_header_faults, sizeof(header_faults) / sizeof(header_faults[0])),
			TEST(t_body_faults), TEST(t_body_at_limit), TEST(t_auth_faults),
			TEST(t_processes_and_stop)
		} },
		{ "limits", 30, NULL, NULL, {
			TEST(t_connection_caps), TEST(t_oversized_request)
		} },
		{ "config", 0, NULL, NULL, {
			TEST(t_config_error_exit)
		} },
	};

	return test_main("core", cases, sizeof(cases) / sizeof(cases[0]));
}
