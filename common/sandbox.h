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

/* The allow-list of kind, default kill (seccomp.c). */
void sandbox_seccomp(enum proc_kind kind);

#endif
