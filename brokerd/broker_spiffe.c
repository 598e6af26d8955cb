/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JwtSvid bundles from the SPIFFE Workload API: FetchJWTBundles, a gRPC
 * server stream, over a connection the parent opens and hands over. A small
 * HTTP/2 client of our own: one stream, request headers sent as HPACK
 * literals, response headers skipped (never decoded), DATA reassembled into
 * gRPC messages, each a JWTBundlesResponse (map<string, bytes> bundles = 1)
 * that replaces the bundle set. When the stream ends, it starts again with
 * backoff.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "brokerd.h"
#include "ipc.h"
#include "jwt.h"
#include "log.h"

#define H2_FRAME_MAX 16384          /* SETTINGS_MAX_FRAME_SIZE: the default, which we keep */
#define H2_WINDOW (1u << 20)        /* what we let the agent send ahead */
#define GRPC_MSG_MAX (1u << 20)     /* a JWTBundlesResponse */
#define SPIFFE_BACKOFF_MAX_MS 30000

enum { H2_DATA = 0, H2_HEADERS = 1, H2_RST_STREAM = 3, H2_SETTINGS = 4, H2_PUSH_PROMISE = 5,
	H2_PING = 6, H2_GOAWAY = 7, H2_WINDOW_UPDATE = 8, H2_CONTINUATION = 9 };
#define H2_END_STREAM 0x1
#define H2_ACK 0x1
#define H2_END_HEADERS 0x4
#define H2_PADDED 0x8

static struct {
	struct broker_ctx *b; /* for its event base and the parent */
	int enabled;  /* a JwtSvid authenticator with a workload_endpoint is configured */
	int pending;  /* a SPIFFE_CONNECT is out */
	int fd;
	struct event *ev, *retry;
	uint32_t backoff_ms;
	uint8_t in[9 + H2_FRAME_MAX];
	size_t in_len;
	uint8_t *msg;        /* gRPC bytes of stream 1 not yet a whole message */
	size_t msg_len;
	int got_bundle;      /* this connection delivered one: the backoff restarts */
} sp = { .fd = -1 };

static void spiffe_close(const char *why);

static int
spiffe_write(const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(sp.fd, p, len)) == -1 && errno == EINTR)
			continue;

		if (n <= 0)
			return -1; /* a full socket to the agent is a broken one */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
spiffe_frame(uint8_t type, uint8_t flags, uint32_t stream, const uint8_t *payload, size_t len)
{
	uint8_t f[9 + 256];

	if (len > sizeof(f) - 9)
		return -1;
	f[0] = (uint8_t)(len >> 16);
	f[1] = (uint8_t)(len >> 8);
	f[2] = (uint8_t)len;
	f[3] = type;
	f[4] = flags;
	f[5] = (uint8_t)(stream >> 24 & 0x7f);
	f[6] = (uint8_t)(stream >> 16);
	f[7] = (uint8_t)(stream >> 8);
	f[8] = (uint8_t)stream;
	if (len > 0)
		memcpy(f + 9, payload, len);
	return spiffe_write(f, 9 + len);
}

static int
spiffe_window_update(uint32_t stream, uint32_t inc)
{
	uint8_t p[4] = { (uint8_t)(inc >> 24 & 0x7f), (uint8_t)(inc >> 16), (uint8_t)(inc >> 8),
		(uint8_t)inc };

	return spiffe_frame(H2_WINDOW_UPDATE, 0, stream, p, sizeof(p));
}

/* An HPACK "literal header field without indexing, new name"; strings under 127 bytes. */
static void
spiffe_hpack(uint8_t *out, size_t *o, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	out[(*o)++] = 0x00;
	out[(*o)++] = (uint8_t)nl;
	memcpy(out + *o, name, nl);
	*o += nl;
	out[(*o)++] = (uint8_t)vl;
	memcpy(out + *o, value, vl);
	*o += vl;
}

/* Preface, settings, window, the request's headers and its one empty message. */
static int
spiffe_request(void)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	/* ENABLE_PUSH 0, INITIAL_WINDOW_SIZE H2_WINDOW */
	static const uint8_t settings[] = { 0, 2, 0, 0, 0, 0, 0, 4, 0, 0x10, 0, 0 };
	static const uint8_t empty_msg[5] = { 0, 0, 0, 0, 0 };
	uint8_t hdrs[256];
	size_t o = 0;

	spiffe_hpack(hdrs, &o, ":method", "POST");
	spiffe_hpack(hdrs, &o, ":scheme", "http");
	spiffe_hpack(hdrs, &o, ":path", "/SpiffeWorkloadAPI/FetchJWTBundles");
	spiffe_hpack(hdrs, &o, ":authority", "localhost");
	spiffe_hpack(hdrs, &o, "content-type", "application/grpc");
	spiffe_hpack(hdrs, &o, "te", "trailers");
	/* The Workload API refuses calls without this metadata (SPIFFE Workload Endpoint). */
	spiffe_hpack(hdrs, &o, "workload.spiffe.io", "true");
	return spiffe_write((const uint8_t *)preface, sizeof(preface) - 1) == -1 ||
	    spiffe_frame(H2_SETTINGS, 0, 0, settings, sizeof(settings)) == -1 ||
	    spiffe_window_update(0, H2_WINDOW - 65535) == -1 ||
	    spiffe_frame(H2_HEADERS, H2_END_HEADERS, 1, hdrs, o) == -1 ||
	    spiffe_frame(H2_DATA, H2_END_STREAM, 1, empty_msg, sizeof(empty_msg)) == -1 ? -1 : 0;
}

static void
spiffe_bundles(const uint8_t *p, size_t len)
{
	static struct jwt_bundle b;
	char refused_td[JWT_TD_MAX];
	int refused;

	refused = jwt_bundle_parse_workload(&b, broker_jwt_bundle_in_use(), p, len, refused_td);
	if (refused == -1) {
		log_warnx("JwtSvid: a malformed JWT bundle update from the Workload API was ignored");
		return;
	}
	if (refused > 0)
		log_warnx("JwtSvid: %d malformed bundle(s) in an update from the Workload API "
		    "(the first: %s); their trust domains keep the keys they had",
		    refused, refused_td[0] != '\0' ? refused_td : "a key that names no trust domain");
	broker_jwt_use_bundle(&b);
	sp.got_bundle = 1;
	log_info("JwtSvid: %zu bundle keys from the Workload API", b.count);
}

/* DATA of stream 1: whole gRPC messages out of the bytes so far. */
static int
spiffe_data(const uint8_t *p, size_t len, uint8_t flags)
{
	uint32_t mlen;

	if ((flags & H2_PADDED) && (len == 0 || (size_t)p[0] + 1 > len))
		return -1;
	if (flags & H2_PADDED) {
		len -= (size_t)p[0] + 1;
		p++;
	}
	if (len > 5 + GRPC_MSG_MAX - sp.msg_len)
		return -1;
	memcpy(sp.msg + sp.msg_len, p, len);
	sp.msg_len += len;
	while (sp.msg_len >= 5) {
		mlen = (uint32_t)sp.msg[1] << 24 | (uint32_t)sp.msg[2] << 16 |
		    (uint32_t)sp.msg[3] << 8 | sp.msg[4];
		if (sp.msg[0] != 0 || mlen > GRPC_MSG_MAX)
			return -1; /* compressed (never asked for) or too large */
		if (sp.msg_len < 5 + (size_t)mlen)
			break;
		spiffe_bundles(sp.msg + 5, mlen);
		sp.msg_len -= 5 + (size_t)mlen;
		memmove(sp.msg, sp.msg + 5 + mlen, sp.msg_len);
	}
	return (flags & H2_END_STREAM) ? -1 : 0;
}

/* One frame; -1 ends the connection (it is opened again later). */
static int
spiffe_frame_in(uint8_t type, uint8_t flags, uint32_t stream, const uint8_t *p, size_t len)
{
	switch (type) {
	case H2_SETTINGS:
		if (stream != 0 || len % 6 != 0)
			return -1;
		return (flags & H2_ACK) ? 0 : spiffe_frame(H2_SETTINGS, H2_ACK, 0, NULL, 0);
	case H2_PING:
		if (len != 8)
			return -1;
		return (flags & H2_ACK) ? 0 : spiffe_frame(H2_PING, H2_ACK, 0, p, 8);
	case H2_GOAWAY:
	case H2_PUSH_PROMISE:
		return -1;
	case H2_RST_STREAM:
		return stream == 1 ? -1 : 0;
	case H2_HEADERS:
	case H2_CONTINUATION:
		/* Response headers and trailers are not decoded: the end of the stream is all. */
		return stream == 1 && type == H2_HEADERS && (flags & H2_END_STREAM) ? -1 : 0;
	case H2_DATA:
		if (stream != 1)
			return -1;
		if (len > 0 && (spiffe_window_update(0, (uint32_t)len) == -1 ||
		    spiffe_window_update(1, (uint32_t)len) == -1))
			return -1;
		return spiffe_data(p, len, flags);
	default:
		return 0; /* WINDOW_UPDATE, PRIORITY, unknown types: nothing to do */
	}
}

static void
spiffe_readable(evutil_socket_t fd, short ev, void *arg)
{
	size_t flen;
	ssize_t n;

	n = read(sp.fd, sp.in + sp.in_len, sizeof(sp.in) - sp.in_len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		spiffe_close(n == 0 ? "the agent closed the connection" : strerror(errno));
		return;
	}
	sp.in_len += (size_t)n;
	while (sp.in_len >= 9) {
		flen = (size_t)sp.in[0] << 16 | (size_t)sp.in[1] << 8 | sp.in[2];
		if (flen > H2_FRAME_MAX) {
			spiffe_close("an HTTP/2 frame over the size we allow");
			return;
		}
		if (sp.in_len < 9 + flen)
			break;
		if (spiffe_frame_in(sp.in[3], sp.in[4], ((uint32_t)sp.in[5] << 24 |
		    (uint32_t)sp.in[6] << 16 | (uint32_t)sp.in[7] << 8 | sp.in[8]) & 0x7fffffff,
		    sp.in + 9, flen) == -1) {
			spiffe_close("the FetchJWTBundles stream ended");
			return;
		}
		sp.in_len -= 9 + flen;
		memmove(sp.in, sp.in + 9 + flen, sp.in_len);
	}
}

static void
spiffe_retry(evutil_socket_t fd, short ev, void *arg)
{
	if (sp.enabled && sp.fd == -1 && !sp.pending) {
		sp.pending = 1;
		broker_out_parent(sp.b, IPC_SPIFFE_CONNECT, NULL, 0);
	}
}

static void
spiffe_close(const char *why)
{
	struct timeval tv;

	if (sp.fd != -1) {
		log_warnx("JwtSvid: Workload API: %s; the last bundles stay in use", why);
		event_free(sp.ev);
		close(sp.fd);
		free(sp.msg);
		sp.fd = -1;
		sp.msg = NULL;
	}
	if (!sp.enabled)
		return;
	sp.backoff_ms = sp.got_bundle || sp.backoff_ms == 0 ? 500 : sp.backoff_ms * 2;
	if (sp.backoff_ms > SPIFFE_BACKOFF_MAX_MS)
		sp.backoff_ms = SPIFFE_BACKOFF_MAX_MS;
	sp.got_bundle = 0;
	tv.tv_sec = sp.backoff_ms / 1000;
	tv.tv_usec = (sp.backoff_ms % 1000) * 1000;
	if (sp.retry == NULL)
		sp.retry = evtimer_new(sp.b->proc.base, spiffe_retry, NULL);
	if (sp.retry == NULL || evtimer_add(sp.retry, &tv) == -1)
		fatalx("cannot schedule the Workload API reconnection");
}

void
broker_spiffe_socket(int fd)
{
	sp.pending = 0;
	if (fd == -1 || !sp.enabled || sp.fd != -1) {
		if (fd != -1)
			close(fd);
		if (sp.fd == -1)
			spiffe_close("cannot connect");
		return;
	}
	sp.fd = fd;
	sp.in_len = sp.msg_len = 0;
	if ((sp.msg = malloc(5 + GRPC_MSG_MAX)) == NULL ||
	    (sp.ev = event_new(sp.b->proc.base, fd, EV_READ | EV_PERSIST, spiffe_readable,
	    NULL)) == NULL || event_add(sp.ev, NULL) == -1)
		fatalx("cannot watch the Workload API connection");
	if (spiffe_request() == -1)
		spiffe_close("cannot send the FetchJWTBundles request");
}

void
broker_spiffe_apply(struct broker_ctx *b, int enabled)
{
	sp.b = b;
	sp.enabled = enabled;
	if (!enabled) {
		spiffe_close("JwtSvid no longer uses it");
		if (sp.retry != NULL)
			evtimer_del(sp.retry);
		return;
	}
	if (sp.fd == -1 && !sp.pending && (sp.retry == NULL || !evtimer_pending(sp.retry, NULL)))
		spiffe_retry(-1, 0, NULL);
}
