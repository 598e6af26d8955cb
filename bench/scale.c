/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hot loop of make bench-scale (bench/scale.py drives it): CLIENTS
 * threads, each on a kept connection, send one prepared request per key
 * index, the index written as ten digits into the body at NAME_OFF (the key
 * name) and the application ("app" and five digits, index modulo APPS) as
 * the Direct authenticator's application name. Indices come from FIRST:COUNT
 * or, with @FILE, one per line from FILE. The time at every thousandth answer
 * is kept, so the rate of any thousand keys can be read. A transport failure
 * (the service gone) ends that client; indices answered success go to OKFILE
 * unless it is "-".
 *
 *   parsec-bench-scale SOCKET CLIENTS APPS OPCODE BODY_HEX NAME_OFF FIRST:COUNT|@FILE OKFILE
 * prints: block K SECONDS (the K-th thousand answered, seconds since the
 * start), then done=N ok=N errors=N transport=N seconds=S
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "testlib.h"
#include "wire.h"

#define SCALE_MAX_CLIENTS 64
#define SCALE_NAME_DIGITS 10
#define SCALE_APP_LEN 8 /* "app" and five digits */
#define SCALE_BLOCK 1000
#define SCALE_WAIT_MS 600000 /* an answer's bound: creations wait on fsync under any load */

static struct {
	const char *sock;
	uint32_t opcode, apps;
	uint8_t *body;
	size_t body_len, name_off;
	uint32_t *indices; /* from @FILE, else NULL */
	uint64_t first, count;
	atomic_uint_fast64_t next, answered;
	double start, *blocks;
} s;

struct client {
	pthread_t thread;
	long ok, errors, transport;
	uint32_t *ok_idx;
	size_t ok_n, ok_cap;
};

/* One request for key index i on *fd: its status, or -1 (the connection is then closed). */
static int
scale_exchange(int *fd, uint8_t *req, uint32_t i)
{
	uint8_t raw[WIRE_HDR_LEN], sink[4096];
	char digits[SCALE_NAME_DIGITS + 1], app[16];
	struct wire_hdr hdr;
	uint32_t rest;

	if (*fd < 0 && (*fd = test_connect(s.sock)) < 0)
		return -1;
	snprintf(digits, sizeof(digits), "%010u", i);
	snprintf(app, sizeof(app), "app%05u", (i % s.apps) % 100000);
	memcpy(req + WIRE_HDR_LEN + s.name_off, digits, SCALE_NAME_DIGITS);
	memcpy(req + WIRE_HDR_LEN + s.body_len, app, SCALE_APP_LEN);
	if (test_send_raw(*fd, req, WIRE_HDR_LEN + s.body_len + SCALE_APP_LEN) == -1 ||
	    test_read_full(*fd, raw, sizeof(raw), SCALE_WAIT_MS) == -1 ||
	    wire_decode_response_hdr(raw, sizeof(raw), &hdr) == -1)
		goto fail;
	for (rest = hdr.body_len + hdr.auth_len; rest > 0;) {
		size_t n = rest < sizeof(sink) ? rest : sizeof(sink);

		if (test_read_full(*fd, sink, n, SCALE_WAIT_MS) == -1)
			goto fail;
		rest -= (uint32_t)n;
	}
	if (!(hdr.flags & WIRE_FLAG_KEEP_ALIVE)) {
		close(*fd);
		*fd = -1;
	}
	return (int)hdr.status;
fail:
	close(*fd);
	*fd = -1;
	return -1;
}

static void
scale_note_ok(struct client *c, uint32_t i)
{
	if (c->ok_n == c->ok_cap) {
		c->ok_cap = c->ok_cap ? c->ok_cap * 2 : 1024;
		if ((c->ok_idx = realloc(c->ok_idx, c->ok_cap * sizeof(*c->ok_idx))) == NULL)
			exit(1);
	}
	c->ok_idx[c->ok_n++] = i;
	c->ok++;
}

static void *
scale_client(void *arg)
{
	struct client *c = arg;
	uint8_t *req = malloc(WIRE_HDR_LEN + s.body_len + SCALE_APP_LEN);
	uint64_t k, done;
	int fd = -1, st;

	if (req == NULL)
		exit(1);
	test_build_hdr(req, 1, s.opcode, 1, (uint32_t)s.body_len, SCALE_APP_LEN, 0);
	memcpy(req + WIRE_HDR_LEN, s.body, s.body_len);
	while ((k = atomic_fetch_add(&s.next, 1)) < s.count) {
		uint32_t i = s.indices ? s.indices[k] : (uint32_t)(s.first + k);

		if ((st = scale_exchange(&fd, req, i)) == -1) {
			c->transport++;
			break;
		}
		if (st == 0)
			scale_note_ok(c, i);
		else
			c->errors++;
		done = atomic_fetch_add(&s.answered, 1) + 1;
		if (done % SCALE_BLOCK == 0)
			s.blocks[done / SCALE_BLOCK] = now_s() - s.start;
	}
	if (fd >= 0)
		close(fd);
	free(req);
	return NULL;
}

static int
scale_parse_body(const char *hex)
{
	size_t i;
	unsigned int byte;

	s.body_len = strlen(hex) / 2;
	if (strlen(hex) % 2 != 0 || (s.body = malloc(s.body_len + 1)) == NULL)
		return -1;
	for (i = 0; i < s.body_len; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -1;
		s.body[i] = (uint8_t)byte;
	}
	return s.name_off + SCALE_NAME_DIGITS <= s.body_len ? 0 : -1;
}

static int
scale_parse_range(const char *arg)
{
	FILE *f;
	unsigned long v;
	size_t cap = 0;

	if (arg[0] != '@') {
		char *colon;

		s.first = strtoull(arg, &colon, 10);
		if (*colon != ':')
			return -1;
		s.count = strtoull(colon + 1, NULL, 10);
		return 0;
	}
	if ((f = fopen(arg + 1, "r")) == NULL)
		return -1;
	while (fscanf(f, "%lu", &v) == 1) {
		if (s.count == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((s.indices = realloc(s.indices, cap * sizeof(*s.indices))) == NULL)
				exit(1);
		}
		s.indices[s.count++] = (uint32_t)v;
	}
	fclose(f);
	return 0;
}

static void
scale_report(struct client *c, int clients, const char *okfile, double took)
{
	long ok = 0, errors = 0, transport = 0;
	FILE *f = strcmp(okfile, "-") != 0 ? fopen(okfile, "w") : NULL;
	uint64_t b;
	size_t j;
	int i;

	for (b = 1; b <= atomic_load(&s.answered) / SCALE_BLOCK; b++)
		printf("block %llu %.6f\n", (unsigned long long)b, s.blocks[b]);
	for (i = 0; i < clients; i++) {
		ok += c[i].ok;
		errors += c[i].errors;
		transport += c[i].transport;
		for (j = 0; f != NULL && j < c[i].ok_n; j++)
			fprintf(f, "%u\n", c[i].ok_idx[j]);
	}
	if (f != NULL)
		fclose(f);
	printf("done=%llu ok=%ld errors=%ld transport=%ld seconds=%.3f\n",
	    (unsigned long long)atomic_load(&s.answered), ok, errors, transport, took);
}

int
main(int argc, char **argv)
{
	static struct client c[SCALE_MAX_CLIENTS];
	int clients, i;

	if (argc != 9) {
		fprintf(stderr, "usage: parsec-bench-scale SOCKET CLIENTS APPS OPCODE BODY_HEX "
				"NAME_OFF FIRST:COUNT|@FILE OKFILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	clients = atoi(argv[2]);
	s.apps = (uint32_t)strtoul(argv[3], NULL, 10);
	s.opcode = (uint32_t)strtoul(argv[4], NULL, 0);
	s.name_off = strtoul(argv[6], NULL, 10);
	if (clients < 1 || clients > SCALE_MAX_CLIENTS || s.apps < 1 || s.apps > 100000 ||
	    scale_parse_body(argv[5]) == -1 || scale_parse_range(argv[7]) == -1) {
		fprintf(stderr, "parsec-bench-scale: bad arguments\n");
		return 2;
	}
	if ((s.blocks = calloc(s.count / SCALE_BLOCK + 2, sizeof(double))) == NULL)
		return 1;
	s.sock = argv[1];
	s.start = now_s();
	for (i = 0; i < clients; i++)
		pthread_create(&c[i].thread, NULL, scale_client, &c[i]);
	for (i = 0; i < clients; i++)
		pthread_join(c[i].thread, NULL);
	scale_report(c, clients, argv[8], now_s() - s.start);
	return 0;
}
