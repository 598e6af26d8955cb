/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one privilege drop every child goes through, in a fixed order, each
 * step checked and fatal on failure.
 */
#ifndef PARSEC_SANDBOX_H
#define PARSEC_SANDBOX_H

#include "proc.h"

/*
 * Drops to user (when started as root), chroots into chroot_dir if given,
 * removes every capability, sets rlimits and NO_NEW_PRIVS, then loads the
 * seccomp allow-list of kind. Started as non-root, the uid and chroot steps
 * are skipped with a log line and the rest still applies.
 */
void sandbox_enter(enum proc_kind kind, const char *user, const char *chroot_dir);

/*
 * The same in two steps, for a process that must open a device or a module
 * as the service user before the filter goes on: every step of sandbox_enter
 * but the filter (sandbox_enter keeps no supplementary group; groups says
 * whether this drop keeps the user's), then the filter with extra system calls allowed (a NULL-
 * terminated list of names). relaxed logs instead of killing what the list
 * does not allow (for modules that need more, by configuration). The calls
 * in refused (NULL-terminated) fail with EACCES: a module's attempt to log
 * to syslog, say, is answered rather than punished.
 */
enum sandbox_groups {
	SANDBOX_NO_GROUPS,   /* the user's own group alone */
	SANDBOX_USER_GROUPS, /* and its supplementary groups (tss, softhsm: device access) */
};
void sandbox_drop(const char *user, const char *chroot_dir, enum sandbox_groups groups);
void sandbox_filter(enum proc_kind kind, const char *const *extra, const char *const *refused,
    int relaxed);

#ifdef PARSEC_TEST_HOOKS
/* Test builds: attempt a system call kind's sandbox forbids (it must kill us). */
void sandbox_test_forbidden(enum proc_kind kind);
#endif

/*
 * The allow-list of kind plus extra, default kill or, relaxed, log; the calls
 * in refused fail with EACCES instead of killing (seccomp.c).
 */
void sandbox_seccomp(enum proc_kind kind, const char *const *extra, const char *const *refused,
    int relaxed);
/*
 * The allow-list of parsecd's adoption process, once it has read upstream's
 * files and opened its key store: files and memory, no socket, no exec, no
 * change of owner or mode (fchown, which SQLite tries as root, fails with EACCES).
 */
void sandbox_seccomp_adopt(void);

#endif
