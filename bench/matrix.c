/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hot loop of make bench-matrix (bench/matrix.py drives it): CLIENTS
 * threads send one prepared request over and over for SECONDS, each on a
 * connection of its own per request ("once", as upstream's clients do) or kept
 * alive ("keep"), and the throughput and median round trip are printed.
 * With --echo the peer is an in-process Unix-socket echo server (one thread
 * per client, accepting in turn) answering each 36-byte header with 40 bytes:
 * the floor any service on this machine stands on.
 *
 *   parsec-bench-matrix SOCKET SECONDS CLIENTS once|keep PROVIDER OPCODE AUTH_TYPE AUTH BODY_HEX
 *   parsec-bench-matrix --echo SECONDS CLIENTS once|keep
 * prints: ops_s=N p50_us=N errors=N
 * With PARSEC_BENCH_HOPS=FILE, each round trip's start and end on the
 * monotonic clock go to FILE too, for bench/hops.py (bench/HOPS.md).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "testlib.h"
#include "wire.h"

#define MATRIX_MAX_CLIENTS 64
#define MATRIX_MAX_SAMPLES (1 << 20)
#define MATRIX_ECHO_REPLY (WIRE_HDR_LEN + 4)

static struct {
	struct sockaddr_un addr;
	int keep;
	uint8_t *req;
	size_t req_len;
	volatile int stop;
} m;

struct client {
	pthread_t thread;
	long ops, errors;
	size_t nsamples;
	double *samples;
	double *starts; /* with PARSEC_BENCH_HOPS only */
};

static int
read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int
write_full(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
connect_peer(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&m.addr, sizeof(m.addr)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One exchange on *fd (connecting first when there is none). Returns the
 * response status, or -1 for a transport failure; leaves *fd open only when
 * the connection is kept on both sides.
 */
static int
exchange(int *fd)
{
	uint8_t raw[WIRE_HDR_LEN], sink[4096];
	struct wire_hdr hdr;
	uint32_t rest;

	if (*fd < 0 && (*fd = connect_peer()) < 0)
		return -1;
	if (write_full(*fd, m.req, m.req_len) == -1 || read_full(*fd, raw, sizeof(raw)) == -1 ||
	    wire_decode_response_hdr(raw, sizeof(raw), &hdr) == -1)
		goto fail;
	rest = hdr.body_len + hdr.auth_len;
	while (rest > 0) {
		size_t n = rest < sizeof(sink) ? rest : sizeof(sink);

		if (read_full(*fd, sink, n) == -1)
			goto fail;
		rest -= (uint32_t)n;
	}
	if (!m.keep || !(hdr.flags & WIRE_FLAG_KEEP_ALIVE)) {
		close(*fd);
		*fd = -1;
	}
	return (int)hdr.status;
fail:
	close(*fd);
	*fd = -1;
	return -1;
}

static void *
client_thread(void *arg)
{
	struct client *c = arg;
	int fd = -1;

	while (!m.stop) {
		double t0 = now_s();
		int st = exchange(&fd);

		if (st != 0) {
			c->errors++;
			continue;
		}
		if (c->nsamples < MATRIX_MAX_SAMPLES) {
			if (c->starts != NULL)
				c->starts[c->nsamples] = t0;
			c->samples[c->nsamples++] = now_s() - t0;
		}
		c->ops++;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* ---- the echo floor ------------------------------------------------------------ */

/* One connection: a 40-byte answer to each 36-byte header, closed after the
 * first unless kept. */
static void
echo_conn(int fd)
{
	uint8_t buf[MATRIX_ECHO_REPLY];

	memset(buf, 0, sizeof(buf));
	while (read_full(fd, buf, WIRE_HDR_LEN) == 0) {
		buf[22] = 4;                               /* body_len: a Ping result's size */
		buf[26] = buf[27] = buf[32] = buf[33] = 0; /* no auth, status Success */
		if (write_full(fd, buf, sizeof(buf)) == -1 || !m.keep)
			break;
	}
	close(fd);
}

/* As many of these as clients, each accepting and serving one connection at a
 * time: no thread is made per connection. */
static void *
echo_server(void *arg)
{
	int lfd = (int)(intptr_t)arg, fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		echo_conn(fd);
	return NULL;
}

static void
start_echo(int servers)
{
	static uint8_t ping[WIRE_HDR_LEN];
	pthread_t t;
	int lfd, i;

	snprintf(m.addr.sun_path, sizeof(m.addr.sun_path), "/tmp/parsec-echo.%ld", (long)getpid());
	m.addr.sun_family = AF_UNIX;
	unlink(m.addr.sun_path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&m.addr, sizeof(m.addr)) == -1 || listen(lfd, 512) == -1) {
		perror("parsec-bench-matrix: echo server");
		exit(1);
	}
	for (i = 0; i < servers; i++)
		if (pthread_create(&t, NULL, echo_server, (void *)(intptr_t)lfd) != 0)
			exit(1);
	test_build_hdr_flags(ping, m.keep ? WIRE_FLAG_KEEP_ALIVE : 0, 0, OP_PING, 0, 0, 0, 0);
	m.req = ping;
	m.req_len = sizeof(ping);
}

/* ---- the run -------------------------------------------------------------------- */

/* Each round trip's start and end, as hoptime.h's lines, for bench/hops.py. */
static void
write_hops(const char *path, struct client *c, int clients)
{
	FILE *f = fopen(path, "w");
	size_t k;
	int i;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	for (i = 0; i < clients; i++)
		for (k = 0; k < c[i].nsamples; k++)
			fprintf(f, "hop client %d c.send %.0f\nhop client %d c.recv %.0f\n", i,
			    c[i].starts[k] * 1e9, i, (c[i].starts[k] + c[i].samples[k]) * 1e9);
	fclose(f);
}

static int
parse_request(char **argv)
{
	const char *hex = argv[9], *auth = argv[8];
	size_t body_len = strlen(hex) / 2, auth_len = strlen(auth), i;
	unsigned int byte;

	if (strlen(hex) % 2 != 0 || (m.req = malloc(WIRE_HDR_LEN + body_len + auth_len)) == NULL)
		return -1;
	test_build_hdr_flags(m.req, m.keep ? WIRE_FLAG_KEEP_ALIVE : 0, (uint8_t)atoi(argv[5]),
	    (uint32_t)strtoul(argv[6], NULL, 0), (uint8_t)atoi(argv[7]), (uint32_t)body_len,
	    (uint16_t)auth_len, 0);
	for (i = 0; i < body_len; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -1;
		m.req[WIRE_HDR_LEN + i] = (uint8_t)byte;
	}
	memcpy(m.req + WIRE_HDR_LEN + body_len, auth, auth_len);
	m.req_len = WIRE_HDR_LEN + body_len + auth_len;
	return 0;
}

static void
run(int seconds, int clients)
{
	static struct client c[MATRIX_MAX_CLIENTS];
	double start, took, *all, p50;
	long ops = 0, errors = 0;
	size_t n = 0;
	int i;
	const char *hops = getenv("PARSEC_BENCH_HOPS");

	for (i = 0; i < clients; i++) {
		if ((c[i].samples = malloc(MATRIX_MAX_SAMPLES * sizeof(double))) == NULL)
			exit(1);
		if (hops != NULL && (c[i].starts = malloc(MATRIX_MAX_SAMPLES * sizeof(double))) == NULL)
			exit(1);
		pthread_create(&c[i].thread, NULL, client_thread, &c[i]);
	}
	start = now_s();
	sleep((unsigned)seconds);
	m.stop = 1;
	for (i = 0; i < clients; i++) {
		pthread_join(c[i].thread, NULL);
		ops += c[i].ops;
		errors += c[i].errors;
		n += c[i].nsamples;
	}
	took = now_s() - start;
	if ((all = malloc((n ? n : 1) * sizeof(double))) == NULL)
		exit(1);
	for (n = 0, i = 0; i < clients; i++) {
		memcpy(all + n, c[i].samples, c[i].nsamples * sizeof(double));
		n += c[i].nsamples;
	}
	if (hops != NULL)
		write_hops(hops, c, clients);
	qsort(all, n, sizeof(double), cmp_double);
	p50 = n ? all[n / 2] : 0;
	printf("ops_s=%.0f p50_us=%.1f errors=%ld\n", (double)ops / took, p50 * 1e6, errors);
}

int
main(int argc, char **argv)
{
	int echo = argc == 5 && strcmp(argv[1], "--echo") == 0, seconds, clients;

	if (!echo && argc != 10) {
		fprintf(stderr, "usage: parsec-bench-matrix SOCKET SECONDS CLIENTS once|keep PROVIDER "
				"OPCODE AUTH_TYPE AUTH BODY_HEX\n"
				"       parsec-bench-matrix --echo SECONDS CLIENTS once|keep\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	seconds = atoi(argv[2]);
	clients = atoi(argv[3]);
	m.keep = strcmp(argv[4], "keep") == 0;
	if (seconds < 1 || clients < 1 || clients > MATRIX_MAX_CLIENTS) {
		fprintf(stderr, "parsec-bench-matrix: SECONDS >= 1, CLIENTS 1..%d\n", MATRIX_MAX_CLIENTS);
		return 2;
	}
	if (echo) {
		start_echo(clients);
	} else {
		m.addr.sun_family = AF_UNIX;
		snprintf(m.addr.sun_path, sizeof(m.addr.sun_path), "%s", argv[1]);
		if (parse_request(argv) == -1) {
			fprintf(stderr, "parsec-bench-matrix: BODY_HEX is not hex\n");
			return 2;
		}
	}
	run(seconds, clients);
	if (echo)
		unlink(m.addr.sun_path);
	return 0;
}
