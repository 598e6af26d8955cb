/* SPDX-License-Identifier: Apache-2.0 */
/*
 * make bench: measured ratios, all in one run on this machine.
 *   (a) ECDSA P-256 sign-hash throughput with 8 concurrent clients through
 *       the service, over the in-process mbedtls ceiling (key parsed once,
 *       one thread per core, no IPC). Target >= 0.85.
 *   (b) Ping round-trip p50 on a kept-alive connection, over a raw
 *       unix-socket echo round trip of the same size. Target <= 4.
 *   (d) TPM ECDSA P-256 signing through the service over a raw ESAPI loop
 *       on the same swtpm (bench_tpm.c). Target >= 0.9.
 *   (e) ECDSA P-256 C_Sign through the PKCS#11 module over parsec_sign_hash
 *       through libparsec (bench_p11.c). Target >= 0.95.
 *   (f) ECDSA P-256 psa_sign_hash through libparsec-psa over parsec_sign_hash
 *       through libparsec (bench_psa.c). Target >= 0.95.
 * The service runs from the build tree on a temp socket.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <pb_decode.h>
#include <pb_encode.h>

#include "list_keys.pb.h"
#include "psa_codec.h"
#include "psa_generate_key.pb.h"
#include "psa_import_key.pb.h"
#include "psa_sign_hash.pb.h"
#include "bench.h"
#include "bench_util.h"
#include "testlib.h"

#define BENCH_CLIENTS 8
#define BENCH_PINGS 20000
#define BENCH_KEYS 10000

static struct test_daemon bench_daemon;
volatile int bench_stop;

/* ---- (a) the ceiling: in-process ECDSA with the key parsed once ------------- */

static void *
ceiling_thread(void *arg)
{
	long *count = arg;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ecdsa_context key;
	unsigned char hash[32] = { 1 };
	mbedtls_mpi r, s;

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_ecdsa_init(&key);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0) != 0 ||
	    mbedtls_ecdsa_genkey(&key, MBEDTLS_ECP_DP_SECP256R1, mbedtls_ctr_drbg_random,
	    &drbg) != 0) {
		fprintf(stderr, "bench: mbedtls setup failed\n");
		exit(1);
	}
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	/* The fastest of mbedtls' ECDSA entry points: raw r and s, no encoding. */
	while (!bench_stop) {
		if (mbedtls_ecdsa_sign(&key.grp, &r, &s, &key.d, hash, sizeof(hash),
		    mbedtls_ctr_drbg_random, &drbg) != 0)
			exit(1);
		(*count)++;
	}
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecdsa_free(&key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return NULL;
}

double
run_threads(void *(*fn)(void *), int n)
{
	pthread_t threads[64];
	long counts[64] = { 0 };
	long total = 0;
	double start;
	int i;

	bench_stop = 0;
	for (i = 0; i < n; i++)
		pthread_create(&threads[i], NULL, fn, &counts[i]);
	start = now_s();
	sleep(BENCH_SECONDS);
	bench_stop = 1;
	for (i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		total += counts[i];
	}
	return (double)total / (now_s() - start);
}

/* ---- (a) through the service ------------------------------------------------ */

static size_t sign_req_len;
static uint8_t sign_req[512];
/* What service_thread sends, and where. */
static struct {
	const char *socket_path;
	const uint8_t *req;
	size_t len;
} bench_target;

size_t
bench_sign_request(uint8_t provider, const char *key_name, uint8_t *req)
{
	psa_sign_hash_Operation op = psa_sign_hash_Operation_init_zero;
	static const uint8_t sevens[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
		7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };
	struct op_bytes hash = { sevens, sizeof(sevens) };
	uint8_t body[256];
	pb_ostream_t out = pb_ostream_from_buffer(body, sizeof(body));

	strlcpy(op.key_name, key_name, sizeof(op.key_name));
	op.has_alg = true;
	test_ecdsa_sha256(&op.alg);
	PC_BYTES_OUT(op.hash, &hash);
	if (!pb_encode(&out, psa_sign_hash_Operation_fields, &op))
		exit(1);
	test_build_hdr(req, provider, OP_PSA_SIGN_HASH, WIRE_AUTH_DIRECT,
	    (uint32_t)out.bytes_written, 5, 1);
	memcpy(req + WIRE_HDR_LEN, body, out.bytes_written);
	memcpy(req + WIRE_HDR_LEN + out.bytes_written, "bench", 5);
	return WIRE_HDR_LEN + out.bytes_written + 5;
}

static void *
service_thread(void *arg)
{
	long *count = arg;
	int fd = test_connect(bench_target.socket_path);

	while (fd >= 0 && !bench_stop) {
		struct wire_hdr hdr;
		uint8_t *body;
		size_t len;

		if (test_send_raw(fd, bench_target.req, bench_target.len) == -1 ||
		    test_read_response(fd, &hdr, &body, &len) == -1) {
			close(fd);
			fd = test_connect(bench_target.socket_path);
			continue;
		}
		free(body);
		if (hdr.status != ST_SUCCESS) {
			fprintf(stderr, "bench: sign failed with status %u\n", hdr.status);
			exit(1);
		}
		(*count)++;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

double
bench_service_rate(const char *socket_path, const uint8_t *req, size_t len, int clients)
{
	bench_target.socket_path = socket_path;
	bench_target.req = req;
	bench_target.len = len;
	return run_threads(service_thread, clients);
}

void
bench_create_key(const char *socket_path, uint8_t provider, const char *key_name)
{
	psa_generate_key_Operation op = psa_generate_key_Operation_init_zero;
	psa_key_attributes_KeyAttributes *a = &op.attributes;
	uint8_t body[512], *rbody;
	pb_ostream_t out = pb_ostream_from_buffer(body, sizeof(body));
	struct wire_hdr hdr;
	size_t rlen;
	int fd;

	strlcpy(op.key_name, key_name, sizeof(op.key_name));
	op.has_attributes = true;
	test_p256_attributes(a, 0);
	if (!pb_encode(&out, psa_generate_key_Operation_fields, &op))
		exit(1);
	fd = test_connect(socket_path);
	if (fd < 0 || test_send_request(fd, provider, OP_PSA_GENERATE_KEY, WIRE_AUTH_DIRECT, "bench", 5,
	    body, out.bytes_written, 1) == -1 || test_read_response(fd, &hdr, &rbody, &rlen) == -1 ||
	    hdr.status != ST_SUCCESS) {
		fprintf(stderr, "bench: could not create the key\n");
		exit(1);
	}
	free(rbody);
	close(fd);
}

/* ---- (b) round trips ----------------------------------------------------------- */

static double
ping_p50(void)
{
	static double rtt[BENCH_PINGS];
	uint8_t req[WIRE_HDR_LEN];
	int fd = test_connect(bench_daemon.socket_path), i;

	test_build_hdr(req, 0, OP_PING, 0, 0, 0, 1);
	for (i = 0; i < BENCH_PINGS; i++) {
		struct wire_hdr hdr;
		uint8_t *body;
		size_t len;
		double t0 = now_s();

		if (test_send_raw(fd, req, sizeof(req)) == -1 ||
		    test_read_response(fd, &hdr, &body, &len) == -1) {
			fprintf(stderr, "bench: ping failed\n");
			exit(1);
		}
		rtt[i] = now_s() - t0;
		free(body);
	}
	close(fd);
	qsort(rtt, BENCH_PINGS, sizeof(rtt[0]), cmp_double);
	return rtt[BENCH_PINGS / 2];
}

static void *
echo_thread(void *arg)
{
	int fd = *(int *)arg;
	uint8_t buf[64];
	ssize_t n;

	while ((n = read(fd, buf, WIRE_HDR_LEN)) > 0)
		if (write(fd, buf, (size_t)n + 2) < 0)
			break;
	return NULL;
}

/* The same exchange (36 bytes out, 38 back) over a unix socket to an echo thread. */
static double
echo_p50(void)
{
	static double rtt[BENCH_PINGS];
	uint8_t req[WIRE_HDR_LEN] = { 0 }, resp[WIRE_HDR_LEN + 2];
	pthread_t thread;
	int sv[2], i;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		exit(1);
	pthread_create(&thread, NULL, echo_thread, &sv[1]);
	for (i = 0; i < BENCH_PINGS; i++) {
		double t0 = now_s();
		size_t got = 0;

		if (write(sv[0], req, sizeof(req)) != (ssize_t)sizeof(req))
			exit(1);
		while (got < sizeof(resp)) {
			ssize_t n = read(sv[0], resp + got, sizeof(resp) - got);

			if (n <= 0)
				exit(1);
			got += (size_t)n;
		}
		rtt[i] = now_s() - t0;
	}
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(thread, NULL);
	close(sv[0]);
	close(sv[1]);
	qsort(rtt, BENCH_PINGS, sizeof(rtt[0]), cmp_double);
	return rtt[BENCH_PINGS / 2];
}

/* ---- (c) ListKeys for an application holding many keys ------------------------ */

static volatile long keys_next;

static void *
import_thread(void *arg)
{
	long *count = arg;
	int fd = test_connect(bench_daemon.socket_path);

	for (;;) {
		long n = __atomic_fetch_add(&keys_next, 1, __ATOMIC_RELAXED);
		psa_import_key_Operation op = psa_import_key_Operation_init_zero;
		uint8_t body[512], *rbody, data[16] = { 0 };
		pb_ostream_t out = pb_ostream_from_buffer(body, sizeof(body));
		pb_bytes_array_t *bytes = malloc(PB_BYTES_ARRAY_T_ALLOCSIZE(sizeof(data)));
		struct wire_hdr hdr = { 0 };
		size_t rlen;

		if (n >= BENCH_KEYS || bytes == NULL) {
			free(bytes);
			break;
		}
		snprintf(op.key_name, sizeof(op.key_name), "many-%06ld", n);
		op.has_attributes = true;
		op.attributes.has_key_type = true;
		op.attributes.key_type.which_variant = psa_key_attributes_KeyType_raw_data_tag;
		op.attributes.key_bits = 128;
		bytes->size = sizeof(data);
		memcpy(bytes->bytes, data, sizeof(data));
		op.data = bytes;
		if (!pb_encode(&out, psa_import_key_Operation_fields, &op) ||
		    test_send_request(fd, 1, OP_PSA_IMPORT_KEY, WIRE_AUTH_DIRECT, "many", 4, body,
		    out.bytes_written, 1) == -1 || test_read_response(fd, &hdr, &rbody, &rlen) == -1 ||
		    hdr.status != ST_SUCCESS) {
			fprintf(stderr, "bench: import %ld failed (status %d)\n", n, (int)hdr.status);
			exit(1);
		}
		free(rbody);
		free(bytes);
		(*count)++;
	}
	close(fd);
	return NULL;
}

static double
list_keys_ms(size_t *count)
{
	double best = 1e9;
	int i;

	for (i = 0; i < 5; i++) {
		int fd = test_connect(bench_daemon.socket_path);
		struct wire_hdr hdr;
		uint8_t *body;
		size_t len;
		double t0 = now_s(), t;

		if (test_send_request(fd, 0, OP_LIST_KEYS, WIRE_AUTH_DIRECT, "many", 4, NULL, 0,
		    1) == -1 || test_read_response(fd, &hdr, &body, &len) == -1 ||
		    hdr.status != ST_SUCCESS) {
			fprintf(stderr, "bench: ListKeys failed\n");
			exit(1);
		}
		t = now_s() - t0;
		if (i == 0) {
			list_keys_Result r = list_keys_Result_init_zero;
			pb_istream_t in = pb_istream_from_buffer(body, len);

			if (!pb_decode(&in, list_keys_Result_fields, &r))
				exit(1);
			*count = r.keys_count;
			pb_release(list_keys_Result_fields, &r);
		}
		free(body);
		close(fd);
		if (t < best)
			best = t;
	}
	return best * 1e3;
}

static void
bench_p11_print(double ratio, double module, double lib)
{
	if (ratio < 0)
		printf("(e) PKCS#11 C_Sign ECDSA P-256: not measured\n");
	else
		printf("(e) PKCS#11 C_Sign ECDSA P-256: module %.0f/s, libparsec parsec_sign_hash "
		    "%.0f/s, one thread each: ratio %.2f (target >= 0.95)\n", module, lib, ratio);
}

static void
bench_psa_print(double ratio, double psa, double lib)
{
	if (ratio < 0)
		printf("(f) PSA psa_sign_hash ECDSA P-256: not measured\n");
	else
		printf("(f) PSA psa_sign_hash ECDSA P-256: libparsec-psa %.0f/s, libparsec "
		    "parsec_sign_hash %.0f/s (medians), one thread each: median ratio of neighbouring "
		    "rounds %.2f (target >= 0.95)\n", psa, lib, ratio);
}

/* (e) or (f) alone, on a service of its own: "parsec-bench p11", "parsec-bench psa". */
static int
bench_only(int psa)
{
	double ratio, front = 0, lib = 0;

	if (test_daemon_start(&bench_daemon, NULL, NULL) == -1) {
		fprintf(stderr, "bench: parsecd did not start\n");
		return 1;
	}
	ratio = (psa ? bench_psa : bench_p11)(bench_daemon.socket_path, &front, &lib);
	test_daemon_stop(&bench_daemon);
	(psa ? bench_psa_print : bench_p11_print)(ratio, front, lib);
	return ratio < 0;
}

/* "parsec-bench tpm" measures only (d), "parsec-bench p11" only (e), "parsec-bench psa" (f). */
int
main(int argc, char **argv)
{
	int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	double ceiling, service, ping, echo, import_s, list_ms, p11_ratio, p11_rate = 0, lib_rate = 0;
	double psa_ratio, psa_rate = 0, psa_lib_rate = 0;
	size_t listed = 0;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "tpm") == 0)
		return bench_tpm();
	if (argc > 1 && strcmp(argv[1], "p11") == 0)
		return bench_only(0);
	if (argc > 1 && strcmp(argv[1], "psa") == 0)
		return bench_only(1);
	if (cores < 1 || cores > 64)
		cores = 1;
	if (test_daemon_start(&bench_daemon, NULL, NULL) == -1) {
		fprintf(stderr, "bench: parsecd did not start\n");
		return 1;
	}
	bench_create_key(bench_daemon.socket_path, 1, "bench-key");
	sign_req_len = bench_sign_request(1, "bench-key", sign_req);

	ceiling = run_threads(ceiling_thread, cores);
	service = bench_service_rate(bench_daemon.socket_path, sign_req, sign_req_len,
	    BENCH_CLIENTS);
	ping = ping_p50();
	echo = echo_p50();
	{
		pthread_t threads[BENCH_CLIENTS];
		long counts[BENCH_CLIENTS] = { 0 };
		double t0 = now_s();
		int i;

		for (i = 0; i < BENCH_CLIENTS; i++)
			pthread_create(&threads[i], NULL, import_thread, &counts[i]);
		for (i = 0; i < BENCH_CLIENTS; i++)
			pthread_join(threads[i], NULL);
		import_s = now_s() - t0;
	}
	list_ms = list_keys_ms(&listed);
	p11_ratio = bench_p11(bench_daemon.socket_path, &p11_rate, &lib_rate);
	psa_ratio = bench_psa(bench_daemon.socket_path, &psa_rate, &psa_lib_rate);
	test_daemon_stop(&bench_daemon);

	printf("(a) ECDSA P-256 sign-hash: service %.0f/s with %d clients, in-process ceiling "
	       "%.0f/s on %d threads: ratio %.2f (target >= 0.85)\n",
	    service, BENCH_CLIENTS, ceiling, cores, service / ceiling);
	printf("(b) round trip p50: Ping %.1f us, raw unix echo %.1f us: ratio %.2f "
	       "(target <= 4)\n", ping * 1e6, echo * 1e6, ping / echo);
	printf("(c) ListKeys for an application holding %zu keys: %.1f ms (target < 50 ms); "
	       "its %d imports took %.1f s\n", listed, list_ms, BENCH_KEYS, import_s);
	bench_p11_print(p11_ratio, p11_rate, lib_rate);
	bench_psa_print(psa_ratio, psa_rate, psa_lib_rate);
	fflush(stdout);
	return bench_tpm();
}
