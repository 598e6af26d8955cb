/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: IPC framing (truncated, oversized, unknown type), the payload
 * codecs of ipc_msg.h, and real channels.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <valgrind/valgrind.h>

#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "peer.h"
#include "sandbox.h"
#include "wire.h"
#include "testlib.h"

static void
make_hdr(uint8_t out[IPC_HDR_LEN], uint32_t type, uint32_t len, uint32_t flags, uint32_t version)
{
	struct ipc_hdr h = { .type = type, .len = len, .req_id = 7, .conn_id = 9, .flags = flags,
		.version = version };

	ipc_hdr_encode(&h, out);
}

START_TEST(t_frame_truncated)
{
	uint8_t buf[IPC_HDR_LEN + 10];
	const char *why = NULL;

	make_hdr(buf, IPC_REQUEST, 10, 0, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(ipc_frame_len(buf, IPC_HDR_LEN - 1, &why), 0);
	ck_assert_int_eq(ipc_frame_len(buf, IPC_HDR_LEN + 9, &why), 0);
	ck_assert_int_eq(ipc_frame_len(buf, IPC_HDR_LEN + 10, &why), IPC_HDR_LEN + 10);
}
END_TEST

START_TEST(t_frame_rejects)
{
	uint8_t buf[IPC_HDR_LEN];
	const char *why = NULL;

	make_hdr(buf, IPC_REQUEST, IPC_MAX_PAYLOAD + 1, 0, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(ipc_frame_len(buf, sizeof(buf), &why), -1);
	ck_assert_str_eq(why, "payload over the size cap");
	make_hdr(buf, 9999, 0, 0, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(ipc_frame_len(buf, sizeof(buf), &why), -1);
	ck_assert_str_eq(why, "unknown message type");
	make_hdr(buf, IPC_REQUEST, 0, 0x10, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(ipc_frame_len(buf, sizeof(buf), &why), -1);
	ck_assert_str_eq(why, "unknown flags");
	make_hdr(buf, IPC_REQUEST, 0, 0, IPC_PROTOCOL_VERSION + 1);
	ck_assert_int_eq(ipc_frame_len(buf, sizeof(buf), &why), -1);
	ck_assert_str_eq(why, "IPC protocol version mismatch");
	/* "Last request of the connection" means something on a request only. */
	make_hdr(buf, IPC_REQUEST, 0, IPC_F_LAST, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(ipc_frame_len(buf, sizeof(buf), &why), IPC_HDR_LEN);
	make_hdr(buf, IPC_RESPONSE, 0, IPC_F_LAST, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(ipc_frame_len(buf, sizeof(buf), &why), -1);
	ck_assert_str_eq(why, "unknown flags");
	ck_assert_str_eq(ipc_type_name(IPC_PROV_REQUEST), "PROV_REQUEST");
	ck_assert_ptr_null(ipc_type_name(0));
}
END_TEST

struct rx {
	int count;
	uint32_t types[8];
	size_t lens[8];
	uint8_t first_byte[8];
	int fd_ok;
	int dropped; /* closed_cb: ipc_chan_dropped() */
	struct event_base *base;
};

static void
rx_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct rx *rx = arg;

	if (rx->count < 8) {
		rx->types[rx->count] = msg->hdr.type;
		rx->lens[rx->count] = msg->hdr.len;
		rx->first_byte[rx->count] = msg->hdr.len ? msg->data[0] : 0;
	}
	rx->count++;
	if (msg->fd != -1) {
		char c = 0;

		/* The passed descriptor is a pipe's read end with one byte waiting. */
		rx->fd_ok = read(msg->fd, &c, 1) == 1 && c == 'x';
	}
	if (rx->count == 3)
		event_base_loopbreak(rx->base);
}

START_TEST(t_channel_roundtrip)
{
	struct event_base *base = event_base_new();
	struct rx rx;
	struct ipc_chan *a, *b;
	int sv[2], p[2];
	size_t big = 1024 * 1024;
	uint8_t *payload = malloc(big);

	memset(&rx, 0, sizeof(rx));
	rx.base = base;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	close(p[1]);
	memset(payload, 0xab, big);
	a = ipc_chan_new(base, sv[0], "a", rx_msg, NULL, &rx);
	b = ipc_chan_new(base, sv[1], "b", rx_msg, NULL, &rx);
	ck_assert_int_eq(ipc_send(a, IPC_HELLO, 0, 0, -1, "hi", 2), 0);
	ck_assert_int_eq(ipc_send(a, IPC_REQUEST, 1, 1, p[0], NULL, 0), 0);
	ck_assert_int_eq(ipc_send(a, IPC_REQUEST, 1, 2, -1, payload, big), 0);
	/* Over the cap: refused on send, nothing queued. */
	ck_assert_int_eq(ipc_send(a, IPC_REQUEST, 1, 3, -1, payload, IPC_MAX_PAYLOAD + 1), -1);
	event_base_dispatch(base);
	ck_assert_int_eq(rx.count, 3);
	ck_assert_uint_eq(rx.types[0], IPC_HELLO);
	ck_assert_uint_eq(rx.lens[0], 2);
	ck_assert_uint_eq(rx.types[1], IPC_REQUEST);
	ck_assert(rx.fd_ok);
	ck_assert_uint_eq(rx.types[2], IPC_REQUEST);
	ck_assert_uint_eq(rx.lens[2], big);
	ck_assert_uint_eq(rx.first_byte[2], 0xab);
	ipc_chan_free(a);
	ipc_chan_free(b);
	event_base_free(base);
	free(payload);
}
END_TEST

static void
ignore_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
}

#define BATCH_MSGS 100

struct batch_rx {
	int count;
	int in_order;   /* every message came in the order sent */
	int fds_right;  /* each descriptor arrived with its own message */
	struct event_base *base;
};

static void
batch_rx_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct batch_rx *rx = arg;
	int want_fd = msg->hdr.req_id % 3 != 0;

	if (msg->hdr.req_id != (uint64_t)rx->count)
		rx->in_order = 0;
	if (want_fd != (msg->fd != -1))
		rx->fds_right = 0;
	if (msg->fd != -1) {
		uint8_t c = 0;

		/* Each descriptor is a pipe holding its message's number. */
		if (read(msg->fd, &c, 1) != 1 || c != (uint8_t)msg->hdr.req_id)
			rx->fds_right = 0;
	}
	if (++rx->count == BATCH_MSGS)
		event_base_loopbreak(rx->base);
}

/*
 * A batched channel writes once the loop runs, many descriptors a write, and
 * each still reaches its own message, whatever else is between them.
 */
START_TEST(t_channel_batched_fds)
{
	struct event_base *base = event_base_new();
	struct batch_rx rx = { .in_order = 1, .fds_right = 1, .base = base };
	struct ipc_chan *a, *b;
	int sv[2], i;
	char peek;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a = ipc_chan_new(base, sv[0], "a", ignore_msg, NULL, NULL);
	ipc_chan_set_batched(a, base);
	b = ipc_chan_new(base, sv[1], "b", batch_rx_msg, NULL, &rx);
	for (i = 0; i < BATCH_MSGS; i++) {
		uint8_t c = (uint8_t)i;
		int p[2] = { -1, -1 };

		if (i % 3 != 0) {
			ck_assert_int_eq(pipe(p), 0);
			ck_assert_int_eq(write(p[1], &c, 1), 1);
			close(p[1]);
		}
		ck_assert_int_eq(ipc_send(a, IPC_REQUEST, 1, (uint64_t)i, p[0], &c, 1), 0);
	}
	/* Nothing written yet: the loop's callbacks may still add to the batch. */
	ck_assert_int_eq(recv(sv[1], &peek, 1, MSG_PEEK | MSG_DONTWAIT), -1);
	event_base_dispatch(base);
	ck_assert_int_eq(rx.count, BATCH_MSGS);
	ck_assert(rx.in_order);
	ck_assert(rx.fds_right);
	ipc_chan_free(a);
	ipc_chan_free(b);
	event_base_free(base);
}
END_TEST

/*
 * The messages marked empty in ipc.h: a payload on one is refused by the
 * framing, before any receiver sees it; the same message empty is accepted.
 */
START_TEST(t_empty_refuses_payload)
{
	static const uint32_t empty[] = { IPC_SETUP_DONE, IPC_SHUTDOWN, IPC_SERVE,
		IPC_SPIFFE_CONNECT, IPC_SPIFFE_SOCKET, IPC_CONN_CLOSED };
	uint8_t buf[IPC_HDR_LEN + 1] = { 0 };
	const char *why = NULL;
	size_t i;

	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		make_hdr(buf, empty[i], 0, 0, IPC_PROTOCOL_VERSION);
		ck_assert_int_eq(ipc_frame_len(buf, sizeof(buf), &why), IPC_HDR_LEN);
		make_hdr(buf, empty[i], 1, 0, IPC_PROTOCOL_VERSION);
		ck_assert_msg(ipc_frame_len(buf, sizeof(buf), &why) == -1,
		    "%s with a payload accepted", ipc_type_name(empty[i]));
		ck_assert_str_eq(why, "a payload on an empty message");
	}
	/* READY carries brokerd's identity: only its receiver knows who may send one. */
	make_hdr(buf, IPC_READY, 1, 0, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(ipc_frame_len(buf, sizeof(buf), &why), IPC_HDR_LEN + 1);
}
END_TEST

static void
closed_cb(struct ipc_chan *chan, void *arg)
{
	struct rx *rx = arg;

	rx->fd_ok = 1; /* here: the channel was dropped */
	rx->dropped = ipc_chan_dropped(chan);
	event_base_loopbreak(rx->base);
}

/* On a real channel the handler never sees it: an untrusted peer's channel is dropped. */
START_TEST(t_channel_empty_with_payload)
{
	struct event_base *base = event_base_new();
	struct rx rx;
	struct ipc_chan *a, *b;
	int sv[2];

	memset(&rx, 0, sizeof(rx));
	rx.base = base;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a = ipc_chan_new(base, sv[0], "a", ignore_msg, NULL, NULL);
	b = ipc_chan_new(base, sv[1], "b", rx_msg, closed_cb, &rx);
	ipc_chan_set_untrusted(b);
	ck_assert_int_eq(ipc_send(a, IPC_CONN_CLOSED, 1, 0, -1, NULL, 0), 0);
	ck_assert_int_eq(ipc_send(a, IPC_CONN_CLOSED, 2, 0, -1, "x", 1), 0);
	ck_assert_int_eq(ipc_send(a, IPC_HELLO, 0, 0, -1, "hi", 2), 0);
	event_base_dispatch(base);
	ck_assert_int_eq(rx.count, 1);
	ck_assert_uint_eq(rx.types[0], IPC_CONN_CLOSED);
	ck_assert_uint_eq(rx.lens[0], 0);
	ck_assert_msg(rx.fd_ok, "the channel was not dropped");
	ck_assert_int_eq(rx.dropped, 1);
	ipc_chan_free(a);
	ipc_chan_free(b);
	event_base_free(base);
}
END_TEST

/*
 * An untrusted peer's protocol fault (garbage, a descriptor claimed and not
 * carried) closes its channel as dropped; its own close is not a fault.
 */
static int
untrusted_receive(const uint8_t *bytes, size_t len, int *count)
{
	struct event_base *base = event_base_new();
	struct ipc_chan *b;
	struct rx rx;
	int sv[2];

	memset(&rx, 0, sizeof(rx));
	rx.base = base;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	b = ipc_chan_new(base, sv[1], "b", rx_msg, closed_cb, &rx);
	ipc_chan_set_untrusted(b);
	if (len > 0)
		ck_assert_int_eq(write(sv[0], bytes, len), (ssize_t)len);
	else
		close(sv[0]);
	event_base_dispatch(base);
	ck_assert_msg(rx.fd_ok, "the channel was not closed");
	if (len > 0)
		close(sv[0]);
	ipc_chan_free(b);
	event_base_free(base);
	*count = rx.count;
	return rx.dropped;
}

START_TEST(t_channel_untrusted_faults)
{
	uint8_t buf[2 * IPC_HDR_LEN];
	int count;

	/* A whole message first, then one claiming a descriptor that never came. */
	make_hdr(buf, IPC_CONN_CLOSED, 0, 0, IPC_PROTOCOL_VERSION);
	make_hdr(buf + IPC_HDR_LEN, IPC_PROV_RESPONSE, 0, IPC_F_FD, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(untrusted_receive(buf, sizeof(buf), &count), 1);
	ck_assert_int_eq(count, 1);
	memset(buf, 0xff, sizeof(buf));
	ck_assert_int_eq(untrusted_receive(buf, IPC_HDR_LEN, &count), 1);
	ck_assert_int_eq(count, 0);
	/* The peer's hang-up: closed, not dropped (a worker's exit is not a fault). */
	ck_assert_int_eq(untrusted_receive(NULL, 0, &count), 0);
	ck_assert_int_eq(count, 0);
}
END_TEST

/* Internal garbage is fatal to the receiver: it exits non-zero. */
static int
receive_garbage(const uint8_t *bytes, size_t len)
{
	int sv[2], status;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		struct event_base *base = event_base_new();
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		close(sv[0]);
		ipc_chan_new(base, sv[1], "test", ignore_msg, NULL, NULL);
		event_base_dispatch(base);
		_exit(0);
	}
	close(sv[1]);
	ck_assert_int_eq(write(sv[0], bytes, len), (ssize_t)len);
	close(sv[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

START_TEST(t_channel_garbage_fatal)
{
	uint8_t buf[IPC_HDR_LEN];

	make_hdr(buf, 9999, 0, 0, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(receive_garbage(buf, sizeof(buf)), 1);
	make_hdr(buf, IPC_REQUEST, IPC_MAX_PAYLOAD + 1, 0, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(receive_garbage(buf, sizeof(buf)), 1);
	/* Claims a descriptor that never came. */
	make_hdr(buf, IPC_REQUEST, 0, IPC_F_FD, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(receive_garbage(buf, sizeof(buf)), 1);
	/* A truncated message followed by hang-up: the channel reports the close (fatal here). */
	make_hdr(buf, IPC_REQUEST, 100, 0, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(receive_garbage(buf, sizeof(buf)), 1);
}
END_TEST

/* brokerd's READY: a blob identity of at most 32 characters, consumed exactly. */
START_TEST(t_ready_codec)
{
	struct ipc_ready ready = { "0123456789abcdef0123456789abcdef" }, ready2;
	uint8_t buf[64];
	struct buf_writer wr;

	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_ready_encode(&wr, &ready);
	ck_assert(buf_writer_ok(&wr));
	ck_assert_uint_eq(wr.off, IPC_READY_MAX_LEN);
	ck_assert_mem_eq(buf, "\40\0\0\0" "0123", 8);
	ck_assert_int_eq(ipc_ready_decode(buf, wr.off, &ready2), 0);
	ck_assert_str_eq(ready2.deploy_id, ready.deploy_id);
	ck_assert_int_eq(ipc_ready_decode(buf, wr.off - 1, &ready2), -1);
	buf[wr.off] = 0;
	ck_assert_int_eq(ipc_ready_decode(buf, wr.off + 1, &ready2), -1);
	/* The raw identity READY used to carry is no longer one. */
	ck_assert_int_eq(ipc_ready_decode(buf + 4, 32, &ready2), -1);
	ck_assert_int_eq(ipc_ready_decode(buf, 0, &ready2), -1);
	/* One character over an identity. */
	buf_set_le32(buf, 33);
	memset(buf + 4, 'a', 33);
	ck_assert_int_eq(ipc_ready_decode(buf, 37, &ready2), -1);
}
END_TEST

/* Each payload codec: the bytes on the wire, and every short, long or bad payload refused. */
START_TEST(t_msg_codecs)
{
	static const uint8_t want_req[] = { 2, 1, 3, 0, 0, 0, 'a', 'b', 'c' };
	struct ipc_provider_down down = { 3, 2 }, down2;
	struct ipc_request req = { .provider = 2, .auth_type = 1, .auth = (const uint8_t *)"abc",
		.auth_len = 3 }, req2;
	struct ipc_prov_request preq = { .key_ref = (const uint8_t *)"kr", .key_ref_len = 2 }, preq2;
	struct ipc_hello hello;
	uint8_t buf[4096];
	struct buf_writer wr;
	size_t len;

	/* PROVIDER_DOWN: two u32, little-endian. */
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_provider_down_encode(&wr, &down);
	ck_assert_uint_eq(wr.off, IPC_PROVIDER_DOWN_LEN);
	ck_assert_mem_eq(buf, "\3\0\0\0\2\0\0\0", 8);
	ck_assert_int_eq(ipc_provider_down_decode(buf, 8, &down2), 0);
	ck_assert_uint_eq(down2.provider_id, 3);
	ck_assert_uint_eq(down2.worker, 2);
	ck_assert_int_eq(ipc_provider_down_decode(buf, 7, &down2), -1);
	ck_assert_int_eq(ipc_provider_down_decode(buf, 9, &down2), -1);
	ck_assert_int_eq(ipc_hello_decode(buf, 4, &hello), 0);
	ck_assert_uint_eq(hello.version, 3);
	ck_assert_int_eq(ipc_hello_decode(buf, 5, &hello), -1);

	/* REQUEST: the 6-byte head, the auth bytes, then the operation. */
	req.op.opcode = OP_PING;
	len = ipc_request_encoded_len(&req);
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_request_encode(&wr, &req);
	ck_assert(buf_writer_ok(&wr));
	ck_assert_uint_eq(wr.off, len);
	ck_assert_mem_eq(buf, want_req, sizeof(want_req));
	ck_assert_int_eq(ipc_request_decode(buf, len, &req2), 0);
	ck_assert_uint_eq(req2.provider, 2);
	ck_assert_uint_eq(req2.auth_type, 1);
	ck_assert_uint_eq(req2.auth_len, 3);
	ck_assert_mem_eq(req2.auth, "abc", 3);
	ck_assert_uint_eq(req2.op.opcode, OP_PING);
	ck_assert_int_eq(ipc_request_decode(buf, len - 1, &req2), -1);
	buf[len] = 0;
	ck_assert_int_eq(ipc_request_decode(buf, len + 1, &req2), -1);
	buf[4] = 1; /* the header flags brokerd reads: the extensions bit alone */
	ck_assert_int_eq(ipc_request_decode(buf, len, &req2), -1);
	buf[4] = WIRE_FLAG_EXTENSIONS;
	ck_assert_int_eq(ipc_request_decode(buf, len, &req2), 0);
	ck_assert_uint_eq(req2.flags, WIRE_FLAG_EXTENSIONS);

	/* PROV_DROP: the connection id, a u64, and nothing else. */
	{
		struct ipc_prov_drop drop = { 0x0102030405060708ull }, drop2;

		buf_writer_init(&wr, buf, sizeof(buf));
		ipc_prov_drop_encode(&wr, &drop);
		ck_assert_uint_eq(wr.off, IPC_PROV_DROP_LEN);
		ck_assert_mem_eq(buf, "\10\7\6\5\4\3\2\1", 8);
		ck_assert_int_eq(ipc_prov_drop_decode(buf, 8, &drop2), 0);
		ck_assert_uint_eq(drop2.conn_id, drop.conn_id);
		ck_assert_int_eq(ipc_prov_drop_decode(buf, 7, &drop2), -1);
		ck_assert_int_eq(ipc_prov_drop_decode(buf, 9, &drop2), -1);
	}

	/* PROV_REQUEST: a blob key reference, then the operation. */
	preq.op.opcode = OP_PSA_SIGN_HASH;
	len = ipc_prov_request_encoded_len(&preq);
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_prov_request_encode(&wr, &preq);
	ck_assert_uint_eq(wr.off, len);
	ck_assert_mem_eq(buf, "\2\0\0\0kr", 6);
	ck_assert_int_eq(ipc_prov_request_decode(buf, len, &preq2), 0);
	ck_assert_mem_eq(preq2.key_ref, "kr", 2);
	ck_assert_uint_eq(preq2.op.opcode, OP_PSA_SIGN_HASH);
	ck_assert_int_eq(ipc_prov_request_decode(buf, len - 1, &preq2), -1);
}
END_TEST

/*
 * RESPONSE and PROV_RESPONSE carry one result; PROV_FORGET a blob key
 * reference. Both decoders refuse a byte short or a byte over.
 */
START_TEST(t_result_forget_codecs)
{
	struct op_result res, res2;
	struct ipc_prov_forget forget = { (const uint8_t *)"kr", 2 }, forget2;
	uint8_t buf[256];
	struct buf_writer wr;
	size_t len;

	op_result_status(&res, ST_SUCCESS);
	res.out[0] = (struct op_bytes){ (const uint8_t *)"sig", 3 };
	memset(buf, 0, sizeof(buf));
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_result_encode(&wr, &res);
	ck_assert(buf_writer_ok(&wr));
	len = wr.off;
	ck_assert_uint_eq(len, ipc_result_encoded_len(&res));
	ck_assert_int_eq(ipc_result_decode(buf, len, &res2), 0);
	ck_assert_uint_eq(res2.status, ST_SUCCESS);
	ck_assert_uint_eq(res2.out[0].len, 3);
	ck_assert_mem_eq(res2.out[0].ptr, "sig", 3);
	ck_assert_int_eq(ipc_result_decode(buf, len - 1, &res2), -1);
	ck_assert_int_eq(ipc_result_decode(buf, len + 1, &res2), -1);

	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_prov_forget_encode(&wr, &forget);
	len = wr.off;
	ck_assert_uint_eq(len, ipc_prov_forget_encoded_len(&forget));
	ck_assert_mem_eq(buf, "\2\0\0\0kr", 6);
	ck_assert_int_eq(ipc_prov_forget_decode(buf, len, &forget2), 0);
	ck_assert_uint_eq(forget2.key_ref_len, 2);
	ck_assert_mem_eq(forget2.key_ref, "kr", 2);
	ck_assert_int_eq(ipc_prov_forget_decode(buf, len - 1, &forget2), -1);
	ck_assert_int_eq(ipc_prov_forget_decode(buf, len + 1, &forget2), -1);
}
END_TEST

/*
 * PROV_INFO: the provider item, the RSA cost rows, a count, the operations;
 * no more than the cap, none twice, RSA rows by growing size.
 */
START_TEST(t_prov_info_codec)
{
	static struct ipc_prov_info info, info2;
	uint8_t buf[4096];
	struct buf_writer wr;
	size_t len;

	info.info.id = 1;
	for (len = 0; len < IPC_RSA_COST_ROWS; len++)
		info.rsa[len] = (struct ipc_rsa_cost){ 1024 * (uint32_t)(len + 1), 800, 20000 };
	info.op_count = 2;
	info.ops[0] = (struct ipc_prov_op){ OP_PSA_SIGN_HASH, 1, 500 };
	info.ops[1] = (struct ipc_prov_op){ OP_PSA_MAC_COMPUTE, 0, 700 };
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_prov_info_encode(&wr, &info);
	ck_assert(buf_writer_ok(&wr));
	ck_assert_int_eq(ipc_prov_info_decode(buf, wr.off, &info2), 0);
	ck_assert_uint_eq(info2.info.id, 1);
	ck_assert_uint_eq(info2.rsa[3].bits, 4096);
	ck_assert_uint_eq(info2.op_count, 2);
	ck_assert_uint_eq(info2.ops[1].opcode, OP_PSA_MAC_COMPUTE);
	ck_assert_uint_eq(info2.ops[1].listed, 0);
	ck_assert_uint_eq(info2.ops[1].cost, 700);
	ck_assert_int_eq(ipc_prov_info_decode(buf, wr.off - 1, &info2), -1);
	info.ops[1].opcode = OP_PSA_SIGN_HASH;
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_prov_info_encode(&wr, &info);
	ck_assert_int_eq(ipc_prov_info_decode(buf, wr.off, &info2), -1);
	info.ops[1] = (struct ipc_prov_op){ OP_PSA_MAC_COMPUTE, 2, 700 };
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_prov_info_encode(&wr, &info);
	ck_assert_int_eq(ipc_prov_info_decode(buf, wr.off, &info2), -1);
	info.ops[1].listed = 0;
	info.rsa[2].bits = info.rsa[1].bits;
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_prov_info_encode(&wr, &info);
	ck_assert_int_eq(ipc_prov_info_decode(buf, wr.off, &info2), -1);
	info.rsa[2].bits = 3072;
	info.op_count = IPC_MSG_MAX_OPCODES + 1;
	buf_writer_init(&wr, buf, sizeof(buf));
	op_list_put_provider(&wr, &info.info);
	for (len = 0; len < IPC_RSA_COST_ROWS; len++) {
		buf_put_u32le(&wr, info.rsa[len].bits);
		buf_put_u32le(&wr, 1);
		buf_put_u32le(&wr, 1);
	}
	buf_put_u32le(&wr, info.op_count);
	for (len = 0; len < info.op_count; len++) {
		buf_put_u32le(&wr, 0x1000 + (uint32_t)len);
		buf_put_u32le(&wr, 1);
		buf_put_u32le(&wr, 1);
	}
	ck_assert_int_eq(ipc_prov_info_decode(buf, wr.off, &info2), -1);
}
END_TEST

/* A release build does not know the test-only messages: their header is refused. */
/* Only an accepted client of the named listener passes brokerd's check. */
START_TEST(t_peer_is_client)
{
	struct sockaddr_un sun;
	char dir[] = "/tmp/parsec-peer.XXXXXX", path[sizeof(sun.sun_path)], other[64], why[160];
	int lfd, cfd, afd, pair[2], loose;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	cfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	loose = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_eq(peer_is_client(afd, path, why, sizeof(why)), 0);
	ck_assert_int_eq(peer_is_client(lfd, path, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "a listening socket");
	ck_assert_int_eq(peer_is_client(pair[0], path, why, sizeof(why)), -1);
	ck_assert_int_eq(peer_is_client(cfd, path, why, sizeof(why)), -1);
	ck_assert_int_eq(peer_is_client(loose, path, why, sizeof(why)), -1);
	snprintf(other, sizeof(other), "%s/other.sock", dir);
	ck_assert_int_eq(peer_is_client(afd, other, why, sizeof(why)), -1);
	ck_assert_int_eq(peer_is_client(afd, "", why, sizeof(why)), -1);
	close(afd);
	close(cfd);
	close(lfd);
	close(pair[0]);
	close(pair[1]);
	close(loose);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* "socket:unix" in a filter's extras: socket() for AF_UNIX only; another family kills. */
START_TEST(t_seccomp_socket_family)
{
	static const char *const extra[] = { "socket:unix", NULL };
	int status, fd;
	pid_t pid;

#if defined(__SANITIZE_ADDRESS__)
	return; /* sanitizer builds load an allow-by-default filter: nothing to see */
#endif
	if (RUNNING_ON_VALGRIND)
		return; /* valgrind cannot run a seccomp filter; the plain run checks it */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sandbox_seccomp(SANDBOX_PROVIDER, extra, NULL, 0);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			_exit(3);
		close(fd);
		(void)socket(AF_INET, SOCK_STREAM, 0);
		_exit(4);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "AF_UNIX allowed and AF_INET killed: status 0x%x", status);
}
END_TEST

START_TEST(t_test_range_release)
{
	uint8_t buf[IPC_HDR_LEN];
	const char *why = NULL;

	ck_assert_ptr_null(ipc_type_name(900));
	make_hdr(buf, 900, 0, 0, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(ipc_frame_len(buf, sizeof(buf), &why), -1);
	ck_assert_str_eq(why, "unknown message type");
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "framing", 0, NULL, NULL, {
			TEST(t_frame_truncated), TEST(t_frame_rejects), TEST(t_msg_codecs),
			TEST(t_prov_info_codec), TEST(t_result_forget_codecs),
			TEST(t_test_range_release), TEST(t_peer_is_client),
			TEST(t_seccomp_socket_family),
			TEST(t_channel_roundtrip), TEST(t_channel_batched_fds),
			TEST(t_channel_garbage_fatal), TEST(t_channel_untrusted_faults), TEST(t_empty_refuses_payload),
			TEST(t_channel_empty_with_payload), TEST(t_ready_codec)
		} },
	};

	log_init("check_ipc", LOG_LVL_ERROR, 0);
	return test_main("ipc", cases, sizeof(cases) / sizeof(cases[0]));
}
