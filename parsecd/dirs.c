/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directories the unprivileged children need, made by the root parent before
 * they start: frontd's empty chroot, each provider's state directory and the
 * key store's directory, owned by the service user and closed to others.
 */
#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "parsecd.h"

/* mkdir -p with mode for the last component; parents are made 0755. */
static void
dirs_make(const char *path, mode_t mode)
{
	char buf[CFG_LONGPATH_MAX];
	char *p;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		fatalx("path too long: %s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		fatal("mkdir %s", buf);
}

/* The directory and the given files in it become the service user's alone. */
static void
dirs_own(const char *dir, const struct passwd *pw)
{
	struct stat st;

	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", dir);
	if (chown(dir, pw->pw_uid, pw->pw_gid) == -1 || chmod(dir, 0700) == -1)
		fatal("cannot hand %s to %s", dir, pw->pw_name);
}

static void
dirs_own_file(const char *path, const struct passwd *pw)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return;
		fatal("%s", path);
	}
	if (!S_ISREG(st.st_mode))
		fatalx("%s is not a regular file", path);
	if (chown(path, pw->pw_uid, pw->pw_gid) == -1)
		fatal("chown %s", path);
}

void
parsecd_prepare_dirs(const struct parsec_config *cfg)
{
	struct passwd *pw = getpwnam(cfg->user);
	char path[CFG_LONGPATH_MAX + 16], dir[CFG_LONGPATH_MAX];
	size_t i;
	struct stat st;

	if (pw == NULL)
		fatalx("[privsep] user %s does not exist (scripts/deps.sh creates _parsec)",
		    cfg->user);
	/* frontd's chroot: empty, root's, nothing to write. */
	dirs_make(cfg->chroot_dir, 0755);
	if (stat(cfg->chroot_dir, &st) == -1 || st.st_uid != 0 || (st.st_mode & 022) != 0)
		fatalx("[privsep] chroot_dir %s must be owned by root and not writable by others",
		    cfg->chroot_dir);

	dirs_make(cfg->state_dir, 0755);
	for (i = 0; i < cfg->provider_count; i++) {
		snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, cfg->providers[i].name);
		dirs_make(path, 0700);
		dirs_own(path, pw);
	}
	for (i = 0; i < cfg->key_manager_count; i++) {
		const char *db = cfg->key_managers[i].sqlite_db_path;
		static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
		size_t k;

		strlcpy(dir, db, sizeof(dir));
		dirs_make(dirname(dir), 0700);
		strlcpy(dir, db, sizeof(dir));
		dirs_own(dirname(dir), pw);
		for (k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
			snprintf(path, sizeof(path), "%s%s", db, suffixes[k]);
			dirs_own_file(path, pw);
		}
	}
}
