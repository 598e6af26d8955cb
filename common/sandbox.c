/* SPDX-License-Identifier: Apache-2.0 */
/* Privilege drop: chroot, uid/gid, capabilities, rlimits, NO_NEW_PRIVS. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/*
 * The user's supplementary groups from the group database (getgrouplist:
 * initgroups' lookup without its setgroups, so it can run before the chroot,
 * where NSS no longer works). gid comes first; *count is set.
 */
static gid_t *
sandbox_user_groups(const char *user, gid_t gid, int *count)
{
	gid_t *groups = NULL;
	int n = 16, i;

	for (;;) {
		int want = n;

		if ((groups = reallocarray(groups, (size_t)n, sizeof(*groups))) == NULL)
			fatal("groups of %s", user);
		if (getgrouplist(user, gid, groups, &n) != -1)
			break;
		if (n <= want)
			fatalx("cannot list the groups of %s", user);
	}
	/* Group root opens what root's files open to it: never a reason to keep one. */
	for (i = 0; i < n; i++)
		if (groups[i] == 0 && gid != 0)
			fatalx("[privsep] user %s is in group root", user);
	*count = n;
	return groups;
}

/* The supplementary groups are exactly the count given in groups. */
static int
sandbox_groups_are(const gid_t *groups, int count)
{
	gid_t *now;
	int n, i, k, same;

	if ((n = getgroups(0, NULL)) != count)
		return 0;
	if ((now = calloc((size_t)count, sizeof(*now))) == NULL)
		fatal("calloc");
	same = getgroups(count, now) == count;
	for (i = 0; same && i < n; i++) {
		for (k = 0; k < count && groups[k] != now[i]; k++)
			;
		same = k < count;
	}
	free(now);
	return same;
}

static void
sandbox_drop_user(const char *user, const char *chroot_dir, enum sandbox_groups which)
{
	struct passwd *pw;
	uid_t uid, saved_uid;
	gid_t gid, own_group, *groups = &own_group;
	int cap, group_count = 1;

	/* NSS does not work inside the chroot: look the user and groups up first. */
	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s ([privsep] user)", user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		fatalx("[privsep] user %s is root", user);
	own_group = gid;
	if (which == SANDBOX_USER_GROUPS)
		groups = sandbox_user_groups(user, gid, &group_count);
	/* Up to the last capability this kernel knows, which may be past our headers'. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			fatal("dropping capability %d from the bounding set", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		fatal("clearing ambient capabilities");
	if (chroot_dir != NULL) {
		if (chroot(chroot_dir) == -1)
			fatal("chroot %s", chroot_dir);
		if (chdir("/") == -1)
			fatal("chdir / in %s", chroot_dir);
	}
	if (setgroups((size_t)group_count, groups) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid %u", (unsigned)gid);
	saved_uid = uid;
#ifdef PARSEC_TEST_HOOKS
	/* The test build's broken drop: a saved uid of 0, which the proof below must catch. */
	if (getenv("PARSEC_FAULT") != NULL && strcmp(getenv("PARSEC_FAULT"), "keep-saved-uid") == 0)
		saved_uid = 0;
#endif
	if (setresuid(uid, uid, saved_uid) == -1)
		fatal("setresuid %u", (unsigned)uid);
	/* Proof that root is gone for good. */
	if (setuid(0) != -1 || seteuid(0) != -1 || getuid() != uid || geteuid() != uid ||
	    getgid() != gid || getegid() != gid)
		fatalx("root could be regained after dropping to %s", user);
	if (!sandbox_groups_are(groups, group_count))
		fatalx("the supplementary groups of %s did not take", user);
	if (groups != &own_group) {
		log_debug("kept the %d groups of %s", group_count, user);
		free(groups);
	}
}

#ifdef PARSEC_TEST_HOOKS
void
sandbox_test_forbidden(enum sandbox_profile profile)
{
	char *const argv[] = { "true", NULL };

	log_info("test build: attempting a forbidden system call");
	switch (profile) {
	case SANDBOX_FRONTD:
		(void)open("/", O_RDONLY); /* frontd opens no path */
		break;
	case SANDBOX_BROKERD:
		(void)socket(AF_INET, SOCK_STREAM, 0); /* brokerd makes no socket */
		break;
	case SANDBOX_PROVIDER:
	case SANDBOX_ADOPT:
		(void)execv("/bin/true", argv); /* a provider runs nothing */
		break;
	}
	fatalx("the sandbox let a forbidden system call through");
}
#endif

void
sandbox_filter(enum sandbox_profile profile, const char *const *extra, const char *const *refused,
    int relaxed)
{
	if (relaxed)
		log_warnx("relax_seccomp is set: system calls outside the allow-list are logged "
		    "by the kernel, not refused");
	sandbox_seccomp(profile, extra, refused, relaxed);
}

/*
 * Empties the effective, permitted and inheritable sets with the capset
 * system call itself: the only capability call a child makes, which is not
 * worth mapping libcap (about 20 KiB of private relocations and 70 KiB of
 * shared pages across the children) for.
 */
static void
sandbox_caps_clear(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];

	memset(none, 0, sizeof(none));
	if (syscall(SYS_capset, &hdr, none) == -1)
		fatal("dropping capabilities");
}

void
sandbox_drop(const char *user, const char *chroot_dir, enum sandbox_groups groups)
{
	struct rlimit none_at_all = { 0, 0 };

	if (geteuid() == 0)
		sandbox_drop_user(user, chroot_dir, groups);
	else
		log_info("not started as root: uid %u kept, no chroot; the rest of the sandbox applies",
		    (unsigned)getuid());

	sandbox_caps_clear();
	/* Key material must never land in a core file, and no child ever forks. */
	if (setrlimit(RLIMIT_CORE, &none_at_all) == -1)
		fatal("setrlimit RLIMIT_CORE");
	if (setrlimit(RLIMIT_NPROC, &none_at_all) == -1)
		fatal("setrlimit RLIMIT_NPROC");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("PR_SET_DUMPABLE");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
}
