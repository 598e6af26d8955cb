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

#ifdef PARSEC_TEST_HOOKS
/* Test builds: attempt a system call kind's sandbox forbids (it must kill us). */
void sandbox_test_forbidden(enum proc_kind kind);
#endif

/* The allow-list of kind, default kill (seccomp.c). */
void sandbox_seccomp(enum proc_kind kind);

#endif
