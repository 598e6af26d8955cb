/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers: start a real parsecd from the build tree, talk raw wire protocol. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <pb_decode.h>

#include "testlib.h"

static void
test_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
test_daemon_start(struct test_daemon *d, const char *core_extra, const char *extra)
{
	FILE *f;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/parsecd-test.XXXXXX");
	if (mkdtemp(d->dir) == NULL || chmod(d->dir, 0755) == -1)
		return -1;
	snprintf(d->socket_path, sizeof(d->socket_path), "%s/parsec.sock", d->dir);
	snprintf(d->config_path, sizeof(d->config_path), "%s/config.toml", d->dir);
	snprintf(d->log_path, sizeof(d->log_path), "%s/parsecd.log", d->dir);
	if ((f = fopen(d->config_path, "w")) == NULL)
		return -1;
	fprintf(f,
	    "[core_settings]\nlog_level = \"info\"\n%s\n"
	    "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 1000\n"
	    "socket_path = \"%s\"\n"
	    "[authenticator]\nauth_type = \"Direct\"\n"
	    "[[key_manager]]\nname = \"sqlite-manager\"\nmanager_type = \"SQLite\"\n"
	    "sqlite_db_path = \"%s/kim/kim.sqlite3\"\n"
	    "[[provider]]\nprovider_type = \"MbedCrypto\"\nkey_info_manager = \"sqlite-manager\"\n"
	    "[privsep]\nstate_dir = \"%s/state\"\n%s\n",
	    core_extra ? core_extra : "", d->socket_path, d->dir, d->dir, extra ? extra : "");
	fclose(f);
	/*
	 * parsecd refuses, as root, a config others could change, and one that others
	 * can read when it holds a PIN; a umask must not decide.
	 */
	chmod(d->config_path, extra != NULL && strstr(extra, "user_pin") != NULL ? 0600 : 0644);
	return test_daemon_launch(d);
}

const char *
test_top(void)
{
	const char *top = getenv("PARSEC_TEST_TOP");

	return top != NULL && top[0] != '\0' ? top : BUILD_TOP;
}

int
test_daemon_launch(struct test_daemon *d)
{
	int i, fd;

	d->pid = fork();
	if (d->pid == -1)
		return -1;
	if (d->pid == 0) {
		int logfd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		char exe[PATH_MAX];

		/* A test that dies (a failed assertion) must not leave a service behind. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);

		if (logfd != -1) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		snprintf(exe, sizeof(exe), "%s/parsecd/parsecd", test_top());
		execl(exe, "parsecd", "-c", d->config_path, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		int status;

		if ((fd = test_connect(d->socket_path)) != -1) {
			/* Connectable is not yet serving: wait for the ready line. */
			char buf[8192];
			FILE *lf = fopen(d->log_path, "r");
			int ready = 0;

			close(fd);
			if (lf != NULL) {
				while (fgets(buf, sizeof(buf), lf) != NULL)
					ready += strstr(buf, "listening on") != NULL;
				fclose(lf);
			}
			if (ready > d->starts) {
				d->starts = ready;
				return 0;
			}
		}
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			return -1;
		}
		test_sleep_ms(50);
	}
	return -1;
}

int
test_daemon_stop_status(struct test_daemon *d)
{
	int status = -1, i;

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		for (i = 0; i < 100; i++) {
			if (waitpid(d->pid, &status, WNOHANG) == d->pid)
				break;
			test_sleep_ms(50);
		}
		if (i == 100) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			status = -1;
		}
		d->pid = 0;
	}
	return status;
}

void
test_daemon_stop(struct test_daemon *d)
{
	char cmd[400];

	test_daemon_stop_status(d);
	if (d->dir[0] != '\0' && getenv("TEST_KEEP_DIR") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", d->dir);
	}
}

int
test_connect(const char *socket_path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", socket_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

void
test_build_hdr(uint8_t *out, uint8_t provider, uint32_t opcode, uint8_t auth_type,
    uint32_t body_len, uint16_t auth_len, uint64_t session)
{
	test_build_hdr_flags(out, WIRE_FLAG_KEEP_ALIVE, provider, opcode, auth_type, body_len,
	    auth_len, session);
}

void
test_build_hdr_flags(uint8_t *out, uint16_t flags, uint8_t provider, uint32_t opcode,
    uint8_t auth_type, uint32_t body_len, uint16_t auth_len, uint64_t session)
{
	struct wire_hdr hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.flags = flags;
	hdr.provider = provider;
	hdr.session = session;
	hdr.auth_type = auth_type;
	hdr.body_len = body_len;
	hdr.auth_len = auth_len;
	hdr.opcode = opcode;
	wire_encode_hdr(&hdr, out);
}

int
test_send_raw(int fd, const void *data, size_t len)
{
	return wire_send_all(fd, data, len);
}

int
test_send_request(int fd, uint8_t provider, uint32_t opcode, uint8_t auth_type, const void *auth,
    size_t auth_len, const void *body, size_t body_len, uint64_t session)
{
	uint8_t hdr[WIRE_HDR_LEN];

	test_build_hdr(hdr, provider, opcode, auth_type, (uint32_t)body_len, (uint16_t)auth_len,
	    session);
	if (test_send_raw(fd, hdr, sizeof(hdr)) == -1 || test_send_raw(fd, body, body_len) == -1 ||
	    test_send_raw(fd, auth, auth_len) == -1)
		return -1;
	return 0;
}

int
test_read_full(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	while (len > 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		n = recv(fd, buf, len, 0);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
test_read_response(int fd, struct wire_hdr *hdr, uint8_t **body, size_t *body_len)
{
	uint8_t raw[WIRE_HDR_LEN];

	*body = NULL;
	*body_len = 0;
	if (test_read_full(fd, raw, sizeof(raw), 5000) == -1)
		return -1;
	if (wire_decode_response_hdr(raw, sizeof(raw), hdr) == -1)
		return -1;
	if (hdr->body_len > 64u * 1024 * 1024)
		return -1;
	*body = malloc(hdr->body_len + 1);
	if (*body == NULL || test_read_full(fd, *body, hdr->body_len, 5000) == -1) {
		free(*body);
		*body = NULL;
		return -1;
	}
	*body_len = hdr->body_len;
	return 0;
}

int
test_peer_closed_within(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	uint8_t b;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return recv(fd, &b, 1, MSG_DONTWAIT) == 0;
}

int
test_peer_closed(int fd)
{
	return test_peer_closed_within(fd, 2000);
}

int
test_peer_closed_now(int fd)
{
	return test_peer_closed_within(fd, 200);
}

int
test_main(const char *name, const struct test_case *cases, size_t n)
{
	Suite *suite = suite_create(name);
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < n; i++) {
		const struct test_case *c = &cases[i];
		TCase *tc = tcase_create(c->name);

		if (c->setup != NULL || c->teardown != NULL)
			tcase_add_checked_fixture(tc, c->setup, c->teardown);
		if (c->timeout > 0)
			tcase_set_timeout(tc, c->timeout);
		for (size_t t = 0; t < TEST_CASE_MAX && c->tests[t].test != NULL; t++) {
			const struct test_entry *e = &c->tests[t];

			if (e->loops > 0)
				tcase_add_loop_test(tc, e->test, 0, e->loops);
			else
				tcase_add_test(tc, e->test);
		}
		suite_add_tcase(suite, tc);
	}
	sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void
test_ecdsa_sha256(psa_algorithm_Algorithm_AsymmetricSignature *alg)
{
	memset(alg, 0, sizeof(*alg));
	alg->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_tag;
	alg->variant.ecdsa.has_hash_alg = true;
	alg->variant.ecdsa.hash_alg.which_variant =
	    psa_algorithm_Algorithm_AsymmetricSignature_SignHash_specific_tag;
	alg->variant.ecdsa.hash_alg.variant.specific = psa_algorithm_Algorithm_Hash_SHA_256;
}

void
test_p256_attributes(psa_key_attributes_KeyAttributes *a, int verify_too)
{
	memset(a, 0, sizeof(*a));
	a->has_key_type = true;
	a->key_type.which_variant = psa_key_attributes_KeyType_ecc_key_pair_tag;
	a->key_type.variant.ecc_key_pair.curve_family = psa_key_attributes_KeyType_EccFamily_SECP_R1;
	a->key_bits = 256;
	a->has_key_policy = true;
	a->key_policy.has_key_usage_flags = true;
	a->key_policy.key_usage_flags.sign_hash = true;
	a->key_policy.key_usage_flags.verify_hash = verify_too != 0;
	a->key_policy.has_key_algorithm = true;
	a->key_policy.key_algorithm.which_variant = psa_algorithm_Algorithm_asymmetric_signature_tag;
	test_ecdsa_sha256(&a->key_policy.key_algorithm.variant.asymmetric_signature);
}

int
test_listen_service(const char *name, char *path, size_t path_size)
{
	struct sockaddr_un sun;
	char endpoint[128];
	int fd;

	snprintf(path, path_size, "/tmp/%s.%d.sock", name, (int)getpid());
	unlink(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	snprintf(endpoint, sizeof(endpoint), "unix:%s", path);
	setenv("PARSEC_SERVICE_ENDPOINT", endpoint, 1);
	return fd;
}

int
test_answer(const struct wire_hdr *hdr, uint8_t *body, size_t body_len,
    const pb_msgdesc_t *res_fields, void *res)
{
	pb_istream_t in;

	if (hdr->status == ST_SUCCESS && res_fields != NULL) {
		in = pb_istream_from_buffer(body, body_len);
		ck_assert(pb_decode(&in, res_fields, res));
	}
	free(body);
	return hdr->status;
}
