/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process plumbing shared by parsecd and its children: the process table
 * (which processes exist, what each runs and with whom it talks), fork +
 * exec with fixed descriptors, and the start-up every child shares.
 */
#ifndef PARSEC_PROC_H
#define PARSEC_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "ipc.h"

/* A kind of child; also its sandbox profile (seccomp.c's allow-list for it). */
enum proc_kind { PROC_FRONTD, PROC_BROKERD, PROC_PROVIDER };
#define PROC_KINDS (PROC_PROVIDER + 1)

/*
 * The topology as data, one row per kind. Every child starts with its
 * parent's channel on IPC_FD_PARENT and its one peer's on IPC_FD_PEER; with
 * nfds 3 the listening socket follows on IPC_FD_LISTENER. parsecd makes a
 * peer channel when the first of the two starts: the other takes its end
 * at exec if it has not started yet, or in IPC_SETUP_PROVIDER if it runs
 * already (brokerd gets each provider's end so, restarts included).
 */
struct proc_info {
	const char *name;      /* in logs, and the channel's name at the other end */
	const char *binary;    /* NULL: one per provider kind (parsecd_provider_binary) */
	const char *build_dir; /* its folder in a build tree, next to parsecd's */
	enum proc_kind peer;   /* the process on IPC_FD_PEER */
	int nfds;              /* descriptors from fd 3 on */
};
extern const struct proc_info proc_table[PROC_KINDS];

/*
 * fork + exec of path with argv; in the child, fds[i] becomes descriptor
 * 3 + i (for i < nfds) and every other descriptor above 2 is closed.
 * A negative entry leaves that slot closed. Returns the pid or -1.
 */
pid_t proc_spawn(const char *path, char *const argv[], const int *fds, int nfds);

/*
 * A child as its main() describes it. proc_child_start() reads logging
 * options from argv (-l LEVEL, -T), makes the event base and the two
 * channels (named from proc_table) and stops on SIGTERM; proc_child_run()
 * says HELLO to the parent and runs the loop until the child stops.
 * IPC_SHUTDOWN (and the test build's IPC_TEST_FORBIDDEN) are handled here;
 * every other parent message goes to parent_msg. A channel that closes ends
 * the process: exit 0 while stopping, else a warning and exit 1.
 */
struct proc_child {
	enum proc_kind kind;
	const char *name;      /* in logs; NULL: the table's */
	ipc_msg_cb parent_msg; /* setup and control from parsecd (arg NULL) */
	ipc_msg_cb peer_msg;   /* the peer's messages (arg NULL) */
	void (*stop)(void);    /* may be NULL: what to finish before the loop exits */
	void (*lost)(void);    /* may be NULL: last words before a lost channel's exit */
	/* Set by proc_child_start. */
	struct event_base *base;
	struct ipc_chan *parent;
	struct ipc_chan *peer;
	int stopping;
};
void proc_child_start(struct proc_child *pc, int argc, char **argv);
void proc_child_run(struct proc_child *pc);
/* An orderly exit: stop, then the loop ends. */
void proc_child_stop(struct proc_child *pc);

/* Monotonic milliseconds. */
uint64_t proc_now_ms(void);

#endif
