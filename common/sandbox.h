/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one privilege drop every child goes through, in a fixed order, each
 * step checked and fatal on failure.
 */
#ifndef PARSEC_SANDBOX_H
#define PARSEC_SANDBOX_H

/* A seccomp allow-list (seccomp.c): each proc_table row names its own. */
enum sandbox_profile {
	SANDBOX_FRONTD,
	SANDBOX_BROKERD,
	SANDBOX_PROVIDER,
	SANDBOX_ADOPT, /* parsecd's adoption process, not a proc_table row */
};

/*
 * In two steps, so that a process may open its key store, a device or a
 * module between them (proc_child_enter runs them for every child): drops
 * to user (when started as root), chroots into chroot_dir if given (groups
 * says whether the user's supplementary groups are kept), removes every
 * capability, sets rlimits and NO_NEW_PRIVS. Started as non-root, the uid
 * and chroot steps are skipped with a log line and the rest still applies.
 * Then the filter of profile with extra system calls allowed (a NULL-
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
void sandbox_filter(enum sandbox_profile profile, const char *const *extra,
    const char *const *refused, int relaxed);

#ifdef PARSEC_TEST_HOOKS
/* Test builds: attempt a system call profile forbids (it must kill us). */
void sandbox_test_forbidden(enum sandbox_profile profile);
#endif

/*
 * Loads libseccomp (unloaded again once the filter is in place): a child
 * calls it before the chroot, after which the library is out of reach.
 */
void sandbox_seccomp_open(void);
/*
 * The allow-list of profile plus extra, default kill or, relaxed, log; the
 * calls in refused fail with EACCES instead of killing (seccomp.c).
 */
void sandbox_seccomp(enum sandbox_profile profile, const char *const *extra,
    const char *const *refused, int relaxed);
/*
 * The allow-list of parsecd's adoption process, once it has read upstream's
 * files and opened its key store: files and memory, no socket, no exec, no
 * change of owner or mode (fchown, which SQLite tries as root, fails with EACCES).
 */
void sandbox_seccomp_adopt(void);

#endif
