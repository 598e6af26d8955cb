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
#include "sandbox.h"

/*
 * parsec-adopt's exit status for its "adopt" job when it adopted keys: it may
 * have written files into the providers' directories parsecd lent it, which
 * parsecd then gives back with every file in them. 0: it adopted none and
 * wrote nothing there, so the directories alone go back (their files are
 * not read: a million keys' worth took seconds at each start).
 */
#define PROC_ADOPT_EXIT_ADOPTED 3

/* A kind of child: its row in proc_table. */
enum proc_kind { PROC_FRONTD, PROC_BROKERD, PROC_PROVIDER };
#define PROC_KINDS (PROC_PROVIDER + 1)

/* What parsecd does when a child of a row exits while the service runs. */
enum proc_restart {
	PROC_RESTART_NEVER,   /* the service stops (the service manager restarts it) */
	PROC_RESTART_BACKOFF, /* restarted after a pause that doubles, up to 30 s */
};

/*
 * The topology as data, one row per kind. Every child starts with its
 * parent's channel on IPC_FD_PARENT and its one peer's on IPC_FD_PEER; with
 * nfds 3 the listening socket follows on IPC_FD_LISTENER. parsecd makes a
 * peer channel when the first of the two starts: the other takes its end
 * at exec if it has not started yet, or in IPC_SETUP_PROVIDER if it runs
 * already (brokerd gets each provider's end so, restarts included).
 * A row's settings (IPC_SETUP, IPC_RELOAD) are parsecd's to encode: its
 * settings.c reads the last column of PROC_TABLE, the children do not.
 */
struct proc_info {
	const char *name;      /* in logs, and the channel's name at the other end */
	const char *binary;    /* NULL: one per configured provider (parsecd_provider_binary) */
	const char *build_dir; /* its folder in a build tree, next to parsecd's */
	enum proc_kind peer;   /* the process on IPC_FD_PEER */
	int nfds;              /* descriptors from fd 3 on */
	enum sandbox_profile sandbox;
	enum proc_restart restart;
};
extern const struct proc_info proc_table[PROC_KINDS];

/*
 * The rows: kind, name, binary, build folder, peer, descriptors, sandbox
 * profile, restart policy, and the suffix of parsecd's settings encoder
 * (parsecd_settings_<suffix>, parsecd/settings.c). One list, expanded by
 * proc.c into proc_table and by parsecd into its encoders, so that no
 * child links the parent's configuration.
 */
#define PROC_TABLE(ROW)                                                                    \
	ROW(PROC_FRONTD, "frontd", "parsec-frontd", "frontd", PROC_BROKERD, 3, SANDBOX_FRONTD, \
	    PROC_RESTART_NEVER, front)                                                         \
	ROW(PROC_BROKERD, "brokerd", "parsec-brokerd", "brokerd", PROC_FRONTD, 2,              \
	    SANDBOX_BROKERD, PROC_RESTART_NEVER, broker)                                       \
	ROW(PROC_PROVIDER, "provider", NULL, "providerd", PROC_BROKERD, 2, SANDBOX_PROVIDER,   \
	    PROC_RESTART_BACKOFF, provider)

/*
 * fork + exec of path with argv; in the child, fds[i] becomes descriptor
 * 3 + i (for i < nfds) and every other descriptor above 2 is closed.
 * A negative entry leaves that slot closed. Returns the pid or -1.
 */
pid_t proc_spawn(const char *path, char *const argv[], const int *fds, int nfds);

/*
 * How a child enters its sandbox, as its settings say: filled in by its
 * sandbox hook once the parent's setup is done. proc_child_enter() then
 * runs, for every child in the same order: open_as_root, the drop to user
 * (chroot, groups), open_as_user, and the filter of the child's profile.
 */
struct proc_sandbox {
	const char *user;
	const char *chroot_dir; /* NULL: none */
	enum sandbox_groups groups;
	const char *const *extra;   /* system calls beyond the profile (sandbox_filter) */
	const char *const *refused; /* answered with EACCES */
	int relaxed;
	void (*open_as_root)(void); /* may be NULL: what must be open before the drop */
	void (*open_as_user)(void); /* may be NULL: what is opened as the user, before the filter */
};

/*
 * A child as its main() describes it. proc_child_start() reads logging
 * options from argv (-l LEVEL, -T), makes the event base and the two
 * channels (named from proc_table) and stops on SIGTERM; proc_child_run()
 * says HELLO to the parent and runs the loop until the child stops.
 * IPC_SHUTDOWN (and the test build's IPC_TEST_FORBIDDEN) are handled here;
 * every other parent message goes to parent_msg. IPC_SETUP_DONE, which
 * must follow an IPC_SETUP, first puts the child in its sandbox (sandbox
 * hook, proc_child_enter). A channel that closes ends the process: exit 0
 * while stopping, else a warning and exit 1.
 */
struct proc_child {
	enum proc_kind kind;
	const char *name;      /* in logs; NULL: the table's */
	ipc_msg_cb parent_msg; /* setup and control from parsecd (arg NULL) */
	ipc_msg_cb peer_msg;   /* the peer's messages (arg NULL) */
	void (*sandbox)(struct proc_sandbox *sb); /* from the settings of IPC_SETUP */
	void (*stop)(void);    /* may be NULL: what to finish before the loop exits */
	void (*lost)(void);    /* may be NULL: last words before a lost channel's exit */
	/* may be NULL (always): whether polling after activity may pay now (proc_child_run) */
	int (*poll_pays)(void);
	/* Set by proc_child_start. */
	struct event_base *base;
	struct ipc_chan *parent;
	struct ipc_chan *peer;
	int have_setup;
	int stopping;
};
void proc_child_start(struct proc_child *pc, int argc, char **argv);
void proc_child_run(struct proc_child *pc);
/* An orderly exit: stop, then the loop ends. */
void proc_child_stop(struct proc_child *pc);

/* Monotonic milliseconds. */
uint64_t proc_now_ms(void);

#endif
