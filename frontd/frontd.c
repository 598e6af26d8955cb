/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-frontd: the only process that touches client bytes. Accepts on the
 * listening socket (fd 5), frames and decodes requests, and talks only to
 * brokerd (fd 4) and the parent (fd 3).
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "frontd.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "proc.h"
#include "setup.h"

/* The shared start-up (proc.h); its handlers are below. */
static struct proc_child frontd;

static struct {
	struct front_settings settings;
	int setup_done;
	int serving;
	char user[CFG_NAME_MAX];
	char chroot_dir[CFG_LONGPATH_MAX];
} fd_main;

/* IPC_SETUP and IPC_RELOAD carry the same settings; user and chroot count at setup only. */
static void
frontd_settings(const struct ipc_msg *msg, int setup)
{
	struct setup_front s;

	if (setup_front_decode(msg->data, msg->hdr.len, &s) == -1)
		fatalx("malformed %s from parent", ipc_type_name(msg->hdr.type));
	fd_main.settings.body_len_limit = s.body_len_limit;
	fd_main.settings.timeout_ms = s.timeout_ms;
	fd_main.settings.keep_alive_timeout_ms = s.keep_alive_timeout_ms;
	fd_main.settings.max_connections = s.max_connections;
	fd_main.settings.max_connections_per_uid = s.max_connections_per_uid;
	fd_main.settings.max_output_bytes_per_uid = s.max_output_bytes_per_uid;
	if (!setup)
		return;
	strlcpy(fd_main.user, s.user, sizeof(fd_main.user));
	strlcpy(fd_main.chroot_dir, s.chroot_dir, sizeof(fd_main.chroot_dir));
}

/* frontd opens nothing by name: it holds sockets only, in an empty root. */
static void
frontd_sandbox(struct proc_sandbox *sb)
{
	sb->user = fd_main.user;
	sb->chroot_dir = fd_main.chroot_dir;
}

static void
frontd_parent_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	switch (msg->hdr.type) {
	case IPC_SETUP:
		frontd_settings(msg, 1);
		break;
	case IPC_SETUP_DONE: /* in its sandbox now (proc_child_enter) */
		front_conn_init(frontd.base, IPC_FD_LISTENER, frontd.peer, &fd_main.settings);
		fd_main.setup_done = 1;
		ipc_send_ctl(chan, IPC_READY, 0, -1, NULL, 0);
		break;
	case IPC_SERVE:
		/*
		 * Clients that came early (a socket-activated start) wait in the
		 * listen queue until every provider is up, rather than get an error.
		 */
		if (!fd_main.setup_done || fd_main.serving)
			fatalx("SERVE out of order");
		fd_main.serving = 1;
		front_conn_start();
#ifdef PARSEC_TEST_HOOKS
		/* frontd taken over (test build): it says HELLO again, out of turn. */
		if (getenv("PARSEC_FAULT") != NULL && strcmp(getenv("PARSEC_FAULT"), "frontd-hello") == 0)
			ipc_send_hello(chan);
#endif
		break;
	case IPC_RELOAD:
		frontd_settings(msg, 0);
		front_conn_reconfigure(&fd_main.settings);
		break;
	default:
		fatalx("unexpected %s from parent", ipc_type_name(msg->hdr.type));
	}
}

static void
frontd_broker_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	switch (msg->hdr.type) {
	case IPC_RESPONSE:
		front_conn_response(msg->hdr.conn_id, msg->hdr.req_id, msg->data, msg->hdr.len);
		break;
	case IPC_FRONT_LOCAL: {
		struct ipc_front_local m;

		if (ipc_front_local_decode(msg->data, msg->hdr.len, &m) == -1)
			fatalx("malformed %s from brokerd", ipc_type_name(msg->hdr.type));
		front_local_set(m.random_auths);
		break;
	}
	default:
		fatalx("unexpected %s from brokerd", ipc_type_name(msg->hdr.type));
	}
}

static struct proc_child frontd = {
	.kind = PROC_FRONTD,
	.parent_msg = frontd_parent_msg,
	.peer_msg = frontd_broker_msg,
	.sandbox = frontd_sandbox,
	.stop = front_conn_shutdown,
	/* At a stop brokerd may go before our own SIGTERM is read: the totals still count. */
	.lost = front_conn_log_totals,
	.poll_pays = front_conn_awaiting,
};

int
main(int argc, char **argv)
{
	proc_child_start(&frontd, argc, argv);
	ipc_chan_set_batched(frontd.peer, frontd.base);
	/*
	 * Answers of up to a MiB each live only until written: with a fixed
	 * threshold they are mapped and unmapped, so memory held for clients that
	 * are gone returns to the system (glibc's own threshold would rise to
	 * their size and keep them in the heap).
	 */
	if (mallopt(M_MMAP_THRESHOLD, 64 * 1024) != 1)
		log_warnx("mallopt M_MMAP_THRESHOLD failed");
	proc_child_run(&frontd);
	return 0;
}
