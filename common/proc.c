/* SPDX-License-Identifier: Apache-2.0 */
/* The process table, fork + exec with fixed descriptors, and the start-up every child shares. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc_msg.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"

#define PROC_INFO_ROW(kind, name, binary, build_dir, peer, nfds, sandbox, restart, settings) \
	[kind] = { name, binary, build_dir, peer, nfds, sandbox, restart },
const struct proc_info proc_table[PROC_KINDS] = { PROC_TABLE(PROC_INFO_ROW) };

/*
 * Between fork and exec the child still has our handlers, and libevent's
 * writes the signal's number into our own event loop's socket: a SIGTERM
 * sent to a worker in that window (a reload retiring the worker the reload
 * before started) was read by parsecd as its own, and stopped the service.
 * So signals stay blocked across fork; the child takes the defaults before
 * it lets them in, and one sent meanwhile acts on the child alone.
 */
static void
proc_child_signals_default(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

pid_t
proc_spawn(const char *path, char *const argv[], const int *fds, int nfds)
{
	sigset_t all, old_mask;
	pid_t pid;
	int i, saved_errno;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old_mask);
	pid = fork();
	if (pid != 0) {
		saved_errno = errno;
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		errno = saved_errno;
		return pid;
	}

	/* Child: move each fd out of the way first so no dup2 clobbers another. */
	{
		int moved[16];

		if (nfds > 16)
			_exit(127);
		for (i = 0; i < nfds; i++) {
			moved[i] = -1;
			if (fds[i] >= 0 && (moved[i] = fcntl(fds[i], F_DUPFD, 64)) == -1)
				_exit(127);
		}
		for (i = 0; i < nfds; i++) {
			if (moved[i] >= 0 && dup2(moved[i], 3 + i) == -1)
				_exit(127);
		}
		/* Everything past our fixed slots goes, including the moved copies. */
		if (syscall(SYS_close_range, (unsigned)(3 + nfds), ~0u, 0) == -1) {
			int fd, max = (int)sysconf(_SC_OPEN_MAX);

			for (fd = 3 + nfds; fd < max; fd++)
				close(fd);
		}
		for (i = 0; i < nfds; i++)
			if (moved[i] < 0)
				close(3 + i);
		proc_child_signals_default();
		execv(path, argv);
		_exit(127);
	}
}

static void
proc_child_log_init(const char *procname, int argc, char **argv)
{
	int level = LOG_LVL_INFO, timestamps = 0, ch;

	while ((ch = getopt(argc, argv, "l:T")) != -1) {
		switch (ch) {
		case 'l':
			level = atoi(optarg);
			if (level < LOG_LVL_ERROR || level > LOG_LVL_TRACE)
				level = LOG_LVL_INFO;
			break;
		case 'T':
			timestamps = 1;
			break;
		default:
			break;
		}
	}
	log_init(procname, level, timestamps);
}

void
proc_child_stop(struct proc_child *pc)
{
	pc->stopping = 1;
	if (pc->stop != NULL)
		pc->stop();
	event_base_loopexit(pc->base, NULL);
}

/*
 * The one way into the sandbox, the same steps in the same order for every
 * child; only what each opens on the way (its key store, its backend) and
 * its filter's extras are its own.
 */
static void
proc_child_enter(struct proc_child *pc)
{
	struct proc_sandbox sb = { .groups = SANDBOX_NO_GROUPS };

	pc->sandbox(&sb);
	if (sb.user == NULL)
		fatalx("no user to run as");
	if (sb.open_as_root != NULL)
		sb.open_as_root();
	sandbox_drop(sb.user, sb.chroot_dir, sb.groups);
	if (sb.open_as_user != NULL)
		sb.open_as_user();
	sandbox_filter(proc_table[pc->kind].sandbox, sb.extra, sb.refused, sb.relaxed);
}

static void
proc_child_parent_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct proc_child *pc = arg;

	switch (msg->hdr.type) {
	case IPC_SHUTDOWN:
		proc_child_stop(pc);
		break;
#ifdef PARSEC_TEST_HOOKS
	case IPC_TEST_FORBIDDEN:
		sandbox_test_forbidden(proc_table[pc->kind].sandbox);
		break;
#endif
	case IPC_SETUP:
		pc->parent_msg(chan, msg, NULL); /* a malformed setup is fatal there */
		pc->have_setup = 1;
		break;
	case IPC_SETUP_DONE:
		if (!pc->have_setup)
			fatalx("setup done before setup");
		proc_child_enter(pc);
		pc->parent_msg(chan, msg, NULL);
		break;
	default:
		pc->parent_msg(chan, msg, NULL);
	}
}

static void
proc_child_lost(struct ipc_chan *chan, void *arg)
{
	struct proc_child *pc = arg;

	if (pc->lost != NULL)
		pc->lost();
	if (pc->stopping)
		exit(0);
	log_warnx("channel to %s closed; exiting", ipc_chan_peer(chan));
	exit(1);
}

static void
proc_child_signal(evutil_socket_t sig, short ev, void *arg)
{
	proc_child_stop(arg);
}

void
proc_child_start(struct proc_child *pc, int argc, char **argv)
{
	struct event *ev_term;

	proc_child_log_init(pc->name != NULL ? pc->name : proc_table[pc->kind].name, argc, argv);
	if (fcntl(IPC_FD_PARENT, F_GETFD) == -1)
		fatalx("must be started by parsecd (no channel on fd %d)", IPC_FD_PARENT);
	signal(SIGPIPE, SIG_IGN);
	/* The parent decides when we stop; a terminal's ^C must not race it. */
	signal(SIGINT, SIG_IGN);
	if ((pc->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	pc->parent = ipc_chan_new(pc->base, IPC_FD_PARENT, "parent", proc_child_parent_msg,
	    proc_child_lost, pc);
	pc->peer = ipc_chan_new(pc->base, IPC_FD_PEER, proc_table[proc_table[pc->kind].peer].name,
	    pc->peer_msg, proc_child_lost, pc);
	if ((ev_term = evsignal_new(pc->base, SIGTERM, proc_child_signal, pc)) == NULL ||
	    evsignal_add(ev_term, NULL) == -1)
		fatalx("cannot watch SIGTERM");
}

void
proc_child_run(struct proc_child *pc)
{
	ipc_send_hello(pc->parent);
	event_base_dispatch(pc->base);
	log_debug("exiting");
}

uint64_t
proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
