/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The helper's reach job: whether each role's user reaches, by path, what it
 * opens once it is no longer root, asked of the kernel by a child with that
 * user's credentials (so ACLs count). parsecd runs it before it makes any
 * directory and for -t; it lives here, not in the root parent, as it reads
 * paths as other users, as the adoption does. A key store below /root (0700)
 * then stops the start naming the path, the user and the directory in the
 * way, not with a bare "Permission denied" from brokerd.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "adopt.h"
#include "users.h"

#define REACH_NEEDS_MAX (CFG_KEY_MANAGER_MAX + CFG_PROVIDER_MAX + 1)

/* A path one role's user opens by name after its privileges are dropped. */
struct reach_need {
	enum users_role role;
	const char *key;     /* the configuration key that names it */
	char path[CFG_LONGPATH_MAX];
	int is_file;         /* read, not entered */
	int handed;          /* another role's: parsecd gives it to this one before it starts */
	const char *why;     /* what the user does there */
};

static size_t
reach_needs(const struct parsec_config *cfg, struct reach_need *needs)
{
	const char *db, *slash;
	struct stat st;
	size_t i, n = 0;

	/* The adoption opens the key store as brokerd's user, by its full path. */
	for (i = 0; i < cfg->key_manager_count && n < REACH_NEEDS_MAX; i++) {
		db = cfg->key_managers[i].sqlite_db_path;
		if (db[0] != '/' || (slash = strrchr(db, '/')) == db)
			continue;
		needs[n] = (struct reach_need){ USERS_ROLE_BROKERD, "key_manager.sqlite_db_path",
		    "", 0, 0, "brokerd's user opens the key store there" };
		snprintf(needs[n].path, sizeof(needs[n].path), "%.*s", (int)(slash - db), db);
		n++;
	}
	/* ...and writes the keys it adopts into the providers' directories. */
	if (cfg->key_manager_count > 0 && n < REACH_NEEDS_MAX) {
		needs[n] = (struct reach_need){ USERS_ROLE_BROKERD, "privsep.state_dir", "", 0, 0,
		    "brokerd's user adopts upstream's keys into the providers' directories there" };
		strlcpy(needs[n].path, cfg->state_dir, sizeof(needs[n].path));
		n++;
	}
	/* A PKCS#11 module is loaded by the provider's user. */
	for (i = 0; i < cfg->provider_count && n < REACH_NEEDS_MAX; i++) {
		if (cfg->providers[i].kind != CFG_PROVIDER_PKCS11 ||
		    cfg->providers[i].library_path[0] != '/')
			continue;
		needs[n] = (struct reach_need){ USERS_ROLE_DEVICE, "provider.library_path", "", 1, 0,
		    "the PKCS#11 provider loads the module as that user" };
		strlcpy(needs[n].path, cfg->providers[i].library_path, sizeof(needs[n].path));
		n++;
	}
	/* A directory of the one user of before roles: parsecd hands it over at the start. */
	for (i = 0; i < n; i++)
		needs[i].handed = !needs[i].is_file && lstat(needs[i].path, &st) == 0 &&
		    S_ISDIR(st.st_mode) && st.st_uid != 0 && users_is_service_uid(st.st_uid);
	return n;
}

/*
 * In the child, as the user: the first directory of path it may not enter
 * (or path itself, a file it may not read) into blocker; 0 when nothing is
 * in the way. What does not exist yet is made by parsecd, traversable.
 */
static int
reach_blocked(const struct reach_need *need, char *blocker, size_t len)
{
	char prefix[CFG_LONGPATH_MAX];
	size_t end = 0;

	for (;;) {
		end += strspn(need->path + end, "/");
		if (need->path[end] == '\0')
			return 0;
		end += strcspn(need->path + end, "/");
		snprintf(prefix, sizeof(prefix), "%.*s", (int)end, need->path);
		if (need->path[end] == '\0' && need->handed)
			return 0;
		if (need->path[end] == '\0' && need->is_file) {
			if (access(prefix, R_OK) == -1 && errno == EACCES)
				break;
			return 0;
		}
		if (access(prefix, X_OK) == 0)
			continue;
		if (errno == EACCES)
			break;
		return 0; /* missing, or no directory: the code that opens it names that */
	}
	/* Every directory before it let the user through: this one is in the way. */
	strlcpy(blocker, prefix, len);
	return 1;
}

/* A child as user u answers on fd: the index of the first need in the way, and the blocker. */
static void
reach_child(const struct users_entry *u, enum users_role role,
    const struct reach_need *needs, size_t n, int fd)
{
	char line[16 + CFG_LONGPATH_MAX];
	char blocker[CFG_LONGPATH_MAX];
	size_t i;
	int len;

	if (adopt_priv_drop(role == USERS_ROLE_DEVICE ? u->name : NULL, u->uid, u->gid) == -1)
		_exit(2);
	for (i = 0; i < n; i++) {
		if (needs[i].role != role || !reach_blocked(&needs[i], blocker, sizeof(blocker)))
			continue;
		len = snprintf(line, sizeof(line), "%zu %s", i, blocker);
		if (len > 0 && write(fd, line, (size_t)len) != len)
			_exit(2);
		break;
	}
	_exit(0);
}

/*
 * Stops the start: the need in the way, its user, and what blocks it. What is
 * gone or no directory, or a directory or link of someone neither root nor the
 * service, is left to parsecd's directory walk (parsecd/dirs.c), which refuses it for what
 * it is: such a path may be changing under us (another user swapping links
 * between the child's look and ours), and "cannot reach" would hide that.
 */
static void
reach_refuse(const struct reach_need *need, const struct users_entry *u, const char *blocker)
{
	struct passwd *pw;
	struct group *gr;
	struct stat st;
	char owner[64] = "?", group[64] = "?";

	if (lstat(blocker, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid != 0 &&
	    !users_is_service_uid(st.st_uid))
		return;
	if (stat(blocker, &st) == -1 || (!S_ISDIR(st.st_mode) && !need->is_file) ||
	    (st.st_uid != 0 && !users_is_service_uid(st.st_uid)))
		return;
	if ((pw = getpwuid(st.st_uid)) != NULL)
		strlcpy(owner, pw->pw_name, sizeof(owner));
	else
		snprintf(owner, sizeof(owner), "%u", (unsigned)st.st_uid);
	if ((gr = getgrgid(st.st_gid)) != NULL)
		strlcpy(group, gr->gr_name, sizeof(group));
	else
		snprintf(group, sizeof(group), "%u", (unsigned)st.st_gid);
	fatalx("%s: user %s cannot reach %s (%s): %s (owner %s, group %s, mode %04o) does not let "
	    "it %s; keep the service's paths where every [privsep] user may pass (as below "
	    "/var/lib or /run)", need->key, u->name, need->path, need->why, blocker, owner,
	    group, (unsigned)(st.st_mode & 07777), strcmp(blocker, need->path) == 0 &&
	    need->is_file ? "read it" : "through");
}

/* One role: a child with its user's credentials tries each of its needs. */
static void
reach_role(enum users_role role, const struct reach_need *needs, size_t n)
{
	const struct users_entry *u = users_get(role);
	char answer[16 + CFG_LONGPATH_MAX], *space;
	ssize_t got;
	size_t i;
	int fds[2], status;
	pid_t pid;

	for (i = 0; i < n && needs[i].role != role; i++)
		;
	if (i == n)
		return;
	if (pipe(fds) == -1)
		fatal("pipe");
	fflush(stderr);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(fds[0]);
		reach_child(u, role, needs, n, fds[1]);
	}
	close(fds[1]);
	got = read(fds[0], answer, sizeof(answer) - 1);
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			fatal("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fatalx("cannot take the credentials of %s to check the paths it needs", u->name);
	if (got <= 0)
		return;
	answer[got] = '\0';
	i = strtoul(answer, &space, 10);
	if (*space != ' ' || i >= n)
		fatalx("the path check for %s answered nonsense", u->name);
	reach_refuse(&needs[i], u, space + 1);
}

void
adopt_reach(const struct parsec_config *cfg)
{
	/* 69 KiB, needed at the start only: mapped for the check, not resident for good. */
	struct reach_need *needs;
	size_t n;
	int role;

	if (geteuid() != 0)
		return; /* one user for every role: what we reach, it reaches */
	if ((needs = calloc(REACH_NEEDS_MAX, sizeof(*needs))) == NULL)
		fatal("calloc");
	users_init(cfg);
	n = reach_needs(cfg, needs);
	for (role = 0; role < USERS_ROLES; role++)
		reach_role((enum users_role)role, needs, n);
	free(needs);
}
