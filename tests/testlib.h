/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers for the test suites: a real daemon on a temp socket, raw wire I/O. */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "psa_algorithm.pb.h"
#include "psa_key_attributes.pb.h"
#include "wire.h"

struct TTest;
/* One test of a case: Check's test and, for a loop test, its rounds (_i from 0). */
struct test_entry {
	const struct TTest *test;
	int loops; /* 0: a plain test */
};
#define TEST(t) { (t), 0 }
#define TEST_LOOP(t, n) { (t), (int)(n) }
#define TEST_CASE_MAX 24

/* One Check test case: a timeout in seconds (0 keeps Check's), an optional
 * checked fixture, and its tests in order up to the first empty entry. */
struct test_case {
	const char *name;
	int timeout;
	void (*setup)(void);
	void (*teardown)(void);
	struct test_entry tests[TEST_CASE_MAX];
};

/* main() of a test program: runs suite NAME of the N CASES (fork mode, SIGPIPE
 * ignored) and returns the exit status. */
int test_main(const char *name, const struct test_case *cases, size_t n);

struct test_daemon {
	char dir[256];
	char socket_path[300];
	char config_path[300];
	char log_path[300];
	pid_t pid;
	int starts; /* ready lines seen in the log so far */
};

/*
 * The built tree whose parsecd the tests start: BUILD_TOP, or PARSEC_TEST_TOP
 * when set (a copy other uids can read, tests/stage.sh, for a run as nobody
 * from a clone they cannot enter).
 */
const char *test_top(void);

/*
 * Writes a config (the [listener] and [[provider]] basics plus extra, a TOML
 * fragment appended as is) in a fresh temp dir, starts test_top()/parsecd/parsecd
 * on it and waits for the socket. Returns 0 or -1.
 */
int test_daemon_start(struct test_daemon *d, const char *core_extra, const char *extra);
void test_daemon_stop(struct test_daemon *d);
/* Starts the daemon again on the same directory (after test_daemon_stop_status). */
int test_daemon_launch(struct test_daemon *d);
/* The daemon's exit status after SIGTERM (-1 if it did not exit in 5 s). */
int test_daemon_stop_status(struct test_daemon *d);

int test_connect(const char *socket_path);
/* Listens on a fresh socket /tmp/NAME.PID.sock (its path into path) and points
 * libparsec's PARSEC_SERVICE_ENDPOINT at it; returns the listening fd. */
int test_listen_service(const char *name, char *path, size_t path_size);
/* Sends a request with a normal header built from the arguments. */
int test_send_request(int fd, uint8_t provider, uint32_t opcode, uint8_t auth_type,
    const void *auth, size_t auth_len, const void *body, size_t body_len, uint64_t session);
int test_send_raw(int fd, const void *data, size_t len);
/* Reads one response (5 s limit); *body is malloc'd. 0, or -1 on EOF/timeout/garbage. */
/* Reads exactly len bytes, waiting at most timeout_ms for each (-1: no limit). 0 or -1. */
int test_read_full(int fd, uint8_t *buf, size_t len, int timeout_ms);
int test_read_response(int fd, struct wire_hdr *hdr, uint8_t **body, size_t *body_len);
/* A response's status; when it is a success and res_fields is not NULL, its body
 * decoded into res. Frees body. */
int test_answer(const struct wire_hdr *hdr, uint8_t *body, size_t body_len,
    const pb_msgdesc_t *res_fields, void *res);
/* 1 if the peer closed (EOF within 2 s), 0 otherwise. */
int test_peer_closed(int fd);
/* Whether the peer closes the connection within ms milliseconds. */
int test_peer_closed_within(int fd, int ms);
/* 1 if the peer has already closed (waits at most 200 ms). */
int test_peer_closed_now(int fd);
/*
 * Builds a request header into out[WIRE_HDR_LEN] that asks the service to keep
 * the connection (WIRE_FLAG_KEEP_ALIVE), as libparsec does; test_build_hdr_flags
 * sets the flags field as given (0: one request per connection, as upstream's clients).
 */
void test_build_hdr(uint8_t *out, uint8_t provider, uint32_t opcode, uint8_t auth_type,
    uint32_t body_len, uint16_t auth_len, uint64_t session);
void test_build_hdr_flags(uint8_t *out, uint16_t flags, uint8_t provider, uint32_t opcode,
    uint8_t auth_type, uint32_t body_len, uint16_t auth_len, uint64_t session);

/* ECDSA with SHA-256, as a signature algorithm. */
void test_ecdsa_sha256(psa_algorithm_Algorithm_AsymmetricSignature *alg);
/* A P-256 key pair for sign_hash (and verify_hash if asked) with ECDSA-SHA-256. */
void test_p256_attributes(psa_key_attributes_KeyAttributes *a, int verify_too);

#endif
