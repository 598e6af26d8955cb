/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The start-up every child shares (proc.h's proc_child_*): logging options,
 * the event base and the two channels, the one way into the sandbox, and the
 * loop. Apart from proc.c so that the parent, which links only the table and
 * proc_spawn, does not link the sandbox.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc_msg.h"
#include "log.h"
#include "proc.h"
#include "sandbox.h"

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
	sandbox_seccomp_open();
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

static uint64_t
proc_child_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * How long a child keeps polling its descriptors (epoll without sleeping,
 * yielding the CPU between polls) after the last thing that arrived, before it
 * sleeps in epoll again. A request crosses frontd, brokerd and a worker and
 * back: each sleeping process on the way costs a wake-up. Bounded by the last
 * arrival, so an idle service would still use no CPU at all. Off: on the
 * 2-core machine it was measured on (bench/HOPS.md), 50 us removed most
 * wake-ups but no latency gain stood out of the noise, and serving one client
 * took up to 40 % more CPU; test and bench-hops builds take PARSEC_POLL_US.
 */
#define PROC_CHILD_POLL_US 0
/*
 * Polling pays only while the CPU would otherwise idle. A yield that kept us
 * off the CPU longer than this gave it to a process with work of its own for a
 * whole time slice (a hop of ours takes tens of microseconds, the scheduler's
 * slice 750): polling then only delays both, so it stops, and starts again
 * only after PROC_CHILD_POLL_BACKOFF_US (a wake-up from epoll on a busy
 * machine is cheap, its CPU being awake anyway).
 */
#define PROC_CHILD_YIELD_BUSY_US 200
#define PROC_CHILD_POLL_BACKOFF_US 100000

static unsigned
proc_child_poll_us(enum proc_kind kind)
{
#if defined(PARSEC_TEST_HOOKS) || defined(PARSEC_HOPTIME)
	/* Test and bench-hops builds compare settings: "frontd,brokerd,provider" in microseconds. */
	const char *e = getenv("PARSEC_POLL_US");
	unsigned v[PROC_KINDS];

	if (e != NULL && sscanf(e, "%u,%u,%u", &v[0], &v[1], &v[2]) == PROC_KINDS)
		return v[kind];
#endif
	return PROC_CHILD_POLL_US;
}

/*
 * Polls until poll_us pass without an arrival; returns 0, or the time until
 * which polling is off because the CPU is wanted elsewhere.
 */
static uint64_t
proc_child_poll(struct proc_child *pc, unsigned poll_us)
{
	unsigned long seen = ipc_activity();
	uint64_t now = proc_child_now_us(), until = now + poll_us;

	while (!pc->stopping && now < until) {
		if (event_base_loop(pc->base, EVLOOP_NONBLOCK) != 0)
			return 0;
		now = proc_child_now_us();
		if (ipc_activity() != seen) {
			seen = ipc_activity();
			until = now + poll_us;
			continue;
		}
		sched_yield();
		if (proc_child_now_us() - now > PROC_CHILD_YIELD_BUSY_US)
			return proc_child_now_us() + PROC_CHILD_POLL_BACKOFF_US;
		now = proc_child_now_us();
	}
	return 0;
}

void
proc_child_run(struct proc_child *pc)
{
	unsigned poll_us = proc_child_poll_us(pc->kind);
	uint64_t poll_off_until = 0;

	ipc_send_hello(pc->parent);
	/* One loop iteration at a time: after one that ran something, poll a while. */
	while (!pc->stopping) {
		if (event_base_loop(pc->base, EVLOOP_ONCE) != 0)
			break;
		if (poll_us > 0 && proc_child_now_us() >= poll_off_until &&
		    (pc->poll_pays == NULL || pc->poll_pays()))
			poll_off_until = proc_child_poll(pc, poll_us);
	}
	log_debug("exiting");
}
