/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-frontd: the only process that touches client bytes. Accepts on the
 * listening socket (fd 5), frames and decodes requests, and talks only to
 * brokerd (fd 4) and the parent (fd 3).
 */
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "frontd.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"
#include "setup.h"

static struct {
	struct event_base *base;
	struct ipc_chan *parent;
	struct ipc_chan *broker;
	struct front_settings settings;
	int have_setup;
	int setup_done;
	int serving;
	int stopping;
	char user[CFG_NAME_MAX];
	char chroot_dir[CFG_LONGPATH_MAX];
} fd_main;

static void
frontd_stop(void)
{
	fd_main.stopping = 1;
	front_conn_shutdown();
	event_base_loopexit(fd_main.base, NULL);
}

static void
frontd_parent_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct setup_front s;

	switch (msg->hdr.type) {
	case IPC_SETUP:
		if (setup_front_decode(msg->data, msg->hdr.len, &s) == -1)
			fatalx("malformed setup from parent");
		fd_main.settings.body_len_limit = s.body_len_limit;
		fd_main.settings.timeout_ms = s.timeout_ms;
		fd_main.settings.keep_alive_timeout_ms = s.keep_alive_timeout_ms;
		fd_main.settings.max_connections = s.max_connections;
		fd_main.settings.max_connections_per_uid = s.max_connections_per_uid;
		strlcpy(fd_main.user, s.user, sizeof(fd_main.user));
		strlcpy(fd_main.chroot_dir, s.chroot_dir, sizeof(fd_main.chroot_dir));
		fd_main.have_setup = 1;
		break;
	case IPC_SETUP_DONE:
		if (!fd_main.have_setup)
			fatalx("setup done before setup");
		/* Everything frontd needs is open: from here on it holds nothing but sockets. */
		sandbox_enter(PROC_FRONTD, fd_main.user, fd_main.chroot_dir);
		front_conn_init(fd_main.base, IPC_FD_LISTENER, fd_main.broker, &fd_main.settings);
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
		break;
	case IPC_RELOAD:
		if (setup_front_decode(msg->data, msg->hdr.len, &s) == -1)
			fatalx("malformed reload from parent");
		fd_main.settings.body_len_limit = s.body_len_limit;
		fd_main.settings.timeout_ms = s.timeout_ms;
		fd_main.settings.keep_alive_timeout_ms = s.keep_alive_timeout_ms;
		fd_main.settings.max_connections = s.max_connections;
		fd_main.settings.max_connections_per_uid = s.max_connections_per_uid;
		front_conn_reconfigure(&fd_main.settings);
		break;
	case IPC_SHUTDOWN:
		frontd_stop();
		break;
#ifdef PARSEC_TEST_HOOKS
	case IPC_TEST_FORBIDDEN:
		sandbox_test_forbidden(PROC_FRONTD);
		break;
#endif
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
	default:
		fatalx("unexpected %s from brokerd", ipc_type_name(msg->hdr.type));
	}
}

static void
frontd_peer_lost(struct ipc_chan *chan, void *arg)
{
	/* At a stop brokerd may go before our own SIGTERM is read: the totals still count. */
	front_conn_log_totals();
	if (fd_main.stopping)
		exit(0);
	log_warnx("channel to %s closed; exiting", ipc_chan_peer(chan));
	exit(1);
}

static void
frontd_signal(evutil_socket_t sig, short ev, void *arg)
{
	frontd_stop();
}

int
main(int argc, char **argv)
{
	struct event *ev_term;

	proc_child_init("frontd", argc, argv);
	/*
	 * Answers of up to a MiB each live only until written: with a fixed
	 * threshold they are mapped and unmapped, so memory held for clients that
	 * are gone returns to the system (glibc's own threshold would rise to
	 * their size and keep them in the heap).
	 */
	if (mallopt(M_MMAP_THRESHOLD, 64 * 1024) != 1)
		log_warnx("mallopt M_MMAP_THRESHOLD failed");
	if ((fd_main.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	fd_main.parent = ipc_chan_new(fd_main.base, IPC_FD_PARENT, "parent", frontd_parent_msg,
	    frontd_peer_lost, NULL);
	fd_main.broker = ipc_chan_new(fd_main.base, IPC_FD_PEER, "brokerd", frontd_broker_msg,
	    frontd_peer_lost, NULL);
	ev_term = evsignal_new(fd_main.base, SIGTERM, frontd_signal, NULL);
	evsignal_add(ev_term, NULL);
	ipc_send_hello(fd_main.parent);
	event_base_dispatch(fd_main.base);
	log_debug("exiting");
	return 0;
}
