/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: IPC framing (truncated, oversized, unknown type) and real channels. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "log.h"
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
	ck_assert_int_eq(ipc_send(a, IPC_CONN_NEW, 1, 0, p[0], NULL, 0), 0);
	ck_assert_int_eq(ipc_send(a, IPC_REQUEST, 1, 2, -1, payload, big), 0);
	/* Over the cap: refused on send, nothing queued. */
	ck_assert_int_eq(ipc_send(a, IPC_REQUEST, 1, 3, -1, payload, IPC_MAX_PAYLOAD + 1), -1);
	event_base_dispatch(base);
	ck_assert_int_eq(rx.count, 3);
	ck_assert_uint_eq(rx.types[0], IPC_HELLO);
	ck_assert_uint_eq(rx.lens[0], 2);
	ck_assert_uint_eq(rx.types[1], IPC_CONN_NEW);
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
	make_hdr(buf, IPC_CONN_NEW, 0, IPC_F_FD, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(receive_garbage(buf, sizeof(buf)), 1);
	/* A truncated message followed by hang-up: the channel reports the close (fatal here). */
	make_hdr(buf, IPC_REQUEST, 100, 0, IPC_PROTOCOL_VERSION);
	ck_assert_int_eq(receive_garbage(buf, sizeof(buf)), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("framing");

	log_init("check_ipc", LOG_LVL_ERROR, 0);
	signal(SIGPIPE, SIG_IGN);
	tcase_add_test(tc, t_frame_truncated);
	tcase_add_test(tc, t_frame_rejects);
	tcase_add_test(tc, t_channel_roundtrip);
	tcase_add_test(tc, t_channel_garbage_fatal);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
