/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directories the children need, made or checked by the parent before they
 * start: frontd's empty chroot, the state directory with one directory per
 * provider, the key store's directory and the socket's. Every path is walked
 * from / one component at a time through descriptors (O_NOFOLLOW), so a
 * directory swapped for a symbolic link half-way is refused, never followed;
 * owner and mode change only on directories made here (fchown, fchmod).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "parsecd.h"

#define DIRS_MAX_LINKS 16
#define DIRS_LOCK_NAME "parsecd.lock"

/* Whether we run as root (only then do owners change); -1 until parsecd_prepare_dirs. */
static int dirs_root = -1;

static int dirs_lock_fd = -1;
/*
 * What the lock file holds once parsecd has stopped with every child reaped:
 * each worker's temporary key files were removed at its reaping, so the next
 * start need not read the providers' directories for them (a million key
 * files took seconds). Any other content (a pid: parsecd was killed, or the
 * machine went down) has the start read them.
 */
#define DIRS_CLEAN_STOP "stopped\n"
static int dirs_clean_stop;
/* The state directory, kept open: a worker's leftovers are removed through it at its reaping. */
static int dirs_state_fd = -1;
static char dirs_state_path[CFG_LONGPATH_MAX];

/*
 * A directory nobody but root and the service may change: anyone else who
 * can write it could swap what lies below it between a check and a use.
 */
static void
dirs_check_safe(const char *key, const char *path, const struct stat *st)
{
	if (st->st_uid != 0 && !users_is_service_uid(st->st_uid))
		fatalx("%s: %s belongs to uid %u, neither root nor a [privsep] user: refused "
		    "(whoever owns it can swap what lies below it)", key, path,
		    (unsigned)st->st_uid);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st->st_mode & S_ISVTX) == 0)
		fatalx("%s: %s is writable by %s without the sticky bit (mode %04o): refused", key,
		    path, (st->st_mode & S_IWOTH) ? "others" : "its group",
		    (unsigned)(st->st_mode & 07777));
}

/* As root, owner and mode; otherwise everything is ours already, and only the mode is set. */
static void
dirs_set(int fd, const char *key, const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	if (dirs_root && fchown(fd, uid, gid) == -1)
		fatal("%s: fchown %s", key, path);
	if (fchmod(fd, mode) == -1)
		fatal("%s: fchmod %s", key, path);
}

static int
dirs_open_root(const char *key)
{
	struct stat st;
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1 || fstat(fd, &st) == -1)
		fatal("%s: open /", key);
	dirs_check_safe(key, "/", &st);
	return fd;
}

/* A walk from / down a path, one component at a time (parsecd_dir_open). */
struct dirs_walk {
	const char *key;
	const char *path;
	char todo[2 * CFG_LONGPATH_MAX];   /* the path with the links so far replaced */
	const char *p;                     /* what is left of todo */
	char walked[2 * CFG_LONGPATH_MAX]; /* where fd is, for messages */
	int fd;
	int links;
};

#define DIRS_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* comp below the walk, opened (with create, made first if missing); -1 and errno if not. */
static int
dirs_open_comp(struct dirs_walk *w, const char *comp, int create, int *made_here)
{
	int nfd = openat(w->fd, comp, DIRS_OPEN_FLAGS);

	*made_here = 0;
	if (nfd == -1 && errno == ENOENT && create) {
		if (mkdirat(w->fd, comp, 0700) == 0)
			*made_here = 1;
		else if (errno != EEXIST)
			fatal("%s: mkdir %s/%s", w->key, w->walked, comp);
		nfd = openat(w->fd, comp, DIRS_OPEN_FLAGS);
	}
	return nfd;
}

/*
 * comp, which did not open as a directory, is a symbolic link: root's are
 * followed (what is left of the path now starts at the link's target),
 * anyone else's stop the start. 0 if comp is no link.
 */
static int
dirs_follow_link(struct dirs_walk *w, const char *comp)
{
	char target[CFG_LONGPATH_MAX], next[2 * CFG_LONGPATH_MAX];
	struct stat st;
	ssize_t len;

	if (fstatat(w->fd, comp, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode))
		return 0;
	/* Only root's links are followed: others may point anywhere. */
	if (st.st_uid != 0)
		fatalx("%s: %s/%s is a symbolic link owned by uid %u: refused", w->key, w->walked,
		    comp, (unsigned)st.st_uid);
	if (++w->links > DIRS_MAX_LINKS)
		fatalx("%s: too many symbolic links in %s", w->key, w->path);
	if ((len = readlinkat(w->fd, comp, target, sizeof(target) - 1)) <= 0)
		fatal("%s: readlink %s/%s", w->key, w->walked, comp);
	target[len] = '\0';
	if ((size_t)snprintf(next, sizeof(next), "%s/%s", target, w->p) >= sizeof(w->todo))
		fatalx("%s: %s is too long once its links are followed", w->key, w->path);
	strlcpy(w->todo, next, sizeof(w->todo));
	w->p = w->todo;
	if (target[0] == '/') {
		close(w->fd);
		w->fd = dirs_open_root(w->key);
		w->walked[0] = '\0';
	}
	return 1;
}

/*
 * Steps into nfd, comp's directory: one we made gets its owner and mode
 * (the last one as asked, those on the way root's and traversable), one we
 * found must be safe.
 */
static void
dirs_enter(struct dirs_walk *w, const char *comp, int nfd, int made_here, int last,
    uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;

	strlcat(w->walked, "/", sizeof(w->walked));
	strlcat(w->walked, comp, sizeof(w->walked));
	if (fstat(nfd, &st) == -1)
		fatal("%s: fstat %s", w->key, w->walked);
	if (made_here && last)
		dirs_set(nfd, w->key, w->walked, uid, gid, mode);
	else if (made_here)
		dirs_set(nfd, w->key, w->walked, 0, 0, 0755);
	else
		dirs_check_safe(w->key, w->walked, &st);
	close(w->fd);
	w->fd = nfd;
}

int
parsecd_dir_open(const char *key, const char *path, int create, uid_t uid, gid_t gid,
    mode_t mode, int *made)
{
	/* 16 KiB: on the heap, as a stack page once touched stays resident for good. */
	struct dirs_walk *w;
	char comp[NAME_MAX + 1];
	int nfd, fd, last, made_here;
	size_t n;

	if (dirs_root == -1)
		fatalx("parsecd_dir_open before the service's users are known");
	if (made != NULL)
		*made = 0;
	if (path[0] != '/')
		fatalx("%s: %s is not an absolute path", key, path);
	if ((w = malloc(sizeof(*w))) == NULL)
		fatal("malloc");
	w->key = key;
	w->path = path;
	strlcpy(w->todo, path, sizeof(w->todo));
	w->p = w->todo;
	w->walked[0] = '\0';
	w->links = 0;
	w->fd = dirs_open_root(key);
	for (;;) {
		while (*w->p == '/')
			w->p++;
		if (*w->p == '\0')
			break;
		if ((n = strcspn(w->p, "/")) > NAME_MAX)
			fatalx("%s: a component of %s is too long", key, path);
		memcpy(comp, w->p, n);
		comp[n] = '\0';
		w->p += n;
		last = w->p[strspn(w->p, "/")] == '\0';
		if (strcmp(comp, ".") == 0)
			continue;
		nfd = dirs_open_comp(w, comp, create, &made_here);
		if (nfd == -1 && (errno == ELOOP || errno == ENOTDIR) && dirs_follow_link(w, comp))
			continue;
		if (nfd == -1)
			fatal("%s: %s/%s", key, w->walked, comp);
		dirs_enter(w, comp, nfd, made_here, last, uid, gid, mode);
		if (made_here && last && made != NULL)
			*made = 1;
	}
	fd = w->fd;
	free(w);
	return fd;
}

/*
 * `.<16 hex>.key.<pid>.<n>.tmp` (or `.fast.`, the software provider's own copy
 * of a signing key): a key file a provider was writing when it was stopped.
 * The pid of the worker that wrote it, or -1 for any other name.
 */
static long
dirs_key_tmp_pid(const char *name)
{
	const char *p = name;
	long pid = 0;
	int i, digits;

	if (*p++ != '.')
		return -1;
	for (i = 0; i < 16; i++)
		if (!isxdigit((unsigned char)*p++))
			return -1;
	if (strncmp(p, ".key.", 5) == 0)
		p += 5;
	else if (strncmp(p, ".fast.", 6) == 0)
		p += 6;
	else
		return -1;
	for (i = 0; i < 2; i++) {
		for (digits = 0; isdigit((unsigned char)*p); digits++, p++)
			if (i == 0 && digits < 10)
				pid = pid * 10 + (*p - '0');
		if (digits == 0 || (i == 0 && digits > 10) || *p++ != '.')
			return -1;
	}
	return strcmp(p, "tmp") == 0 ? pid : -1;
}

/*
 * The temporary key files in a provider's directory that nothing can still
 * be writing: all of them before any worker starts (pid 0), or those of the
 * worker pid just reaped. No process has taken that pid since (we spawn
 * every worker, and this runs before the next spawn), so a live sibling's
 * files, which carry its own pid, are never among them.
 */
static void
dirs_remove_leftovers(int dirfd, const char *path, pid_t pid, const char *who)
{
	struct dirent *de;
	DIR *d;
	long file_pid;
	int fd, removed = 0;

	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("reading %s", path);
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if ((file_pid = dirs_key_tmp_pid(de->d_name)) == -1 ||
		    (pid != 0 && file_pid != (long)pid))
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == -1)
			log_warn("cannot remove %s/%s", path, de->d_name);
		else
			removed++;
	}
	closedir(d);
	if (removed > 0)
		log_info("removed %d temporary key file%s %s left in %s", removed,
		    removed == 1 ? "" : "s", who, path);
}

void
parsecd_remove_worker_leftovers(const char *provider_dir, pid_t pid, const char *worker)
{
	char path[CFG_LONGPATH_MAX + CFG_NAME_MAX + 2], who[CFG_NAME_MAX + 48];
	int fd;

	if (dirs_state_fd == -1 || pid <= 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", dirs_state_path, provider_dir);
	if ((fd = openat(dirs_state_fd, provider_dir, DIRS_OPEN_FLAGS)) == -1) {
		if (errno != ENOENT)
			log_warn("%s", path);
		return;
	}
	snprintf(who, sizeof(who), "%s (pid %ld)", worker, (long)pid);
	dirs_remove_leftovers(fd, path, pid, who);
	close(fd);
}

/* One instance per state directory: the lock lives as long as this process. */
static void
dirs_lock(int state_fd, const char *state_dir)
{
	char pid[32], held[32];
	ssize_t n;
	int fd;

	fd = openat(state_fd, DIRS_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		fatal("privsep.state_dir: %s/%s", state_dir, DIRS_LOCK_NAME);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			fatal("privsep.state_dir: flock %s/%s", state_dir, DIRS_LOCK_NAME);
		n = pread(fd, held, sizeof(held) - 1, 0);
		held[n > 0 ? n : 0] = '\0';
		held[strcspn(held, "\n")] = '\0';
		fatalx("privsep.state_dir: %s is in use by another parsecd (pid %s holds %s/%s); "
		    "give each instance its own state_dir and key store", state_dir,
		    held[0] != '\0' ? held : "?", state_dir, DIRS_LOCK_NAME);
	}
	n = pread(fd, held, sizeof(held) - 1, 0);
	held[n > 0 ? n : 0] = '\0';
	dirs_clean_stop = strcmp(held, DIRS_CLEAN_STOP) == 0;
	/* The mark gone for good before any worker can write: a crash from here has the start read. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)n, 0) != n ||
	    (dirs_clean_stop && fdatasync(fd) == -1))
		log_warn("writing %s/%s", state_dir, DIRS_LOCK_NAME);
	dirs_lock_fd = fd;
}

void
parsecd_mark_clean_stop(void)
{
	size_t len = strlen(DIRS_CLEAN_STOP);

	if (dirs_lock_fd == -1)
		return;
	if (ftruncate(dirs_lock_fd, 0) == -1 ||
	    pwrite(dirs_lock_fd, DIRS_CLEAN_STOP, len, 0) != (ssize_t)len ||
	    fdatasync(dirs_lock_fd) == -1)
		log_warn("writing %s/%s", dirs_state_path, DIRS_LOCK_NAME);
}

/*
 * A file of the key store: brokerd's user's. One root made (a key store
 * that root opened in the past, or made just now) or another [privsep] user
 * owns (the one user every child ran as before roles) is handed over by its
 * descriptor; one anybody else owns is refused.
 */
static void
dirs_kim_file(int dirfd, const char *dir, const char *name, int make)
{
	const struct users_entry *b = users_get(USERS_ROLE_BROKERD);
	struct stat st;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && make)
		fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		if (errno == ENOENT)
			return;
		fatal("key_manager.sqlite_db_path: %s/%s", dir, name);
	}
	if (fstat(fd, &st) == -1)
		fatal("key_manager.sqlite_db_path: fstat %s/%s", dir, name);
	if (!S_ISREG(st.st_mode))
		fatalx("key_manager.sqlite_db_path: %s/%s is not a regular file", dir, name);
	if (st.st_uid != b->uid) {
		if ((st.st_uid != 0 && !users_is_service_uid(st.st_uid)) || st.st_nlink != 1)
			fatalx("key_manager.sqlite_db_path: %s/%s belongs to uid %u, not %s: refused",
			    dir, name, (unsigned)st.st_uid, b->name);
		if (st.st_uid != 0)
			log_info("key store %s/%s: handed from uid %u to %s", dir, name,
			    (unsigned)st.st_uid, b->name);
		dirs_set(fd, "key_manager.sqlite_db_path", name, b->uid, b->gid, 0600);
	}
	close(fd);
}

/* Whether brokerd's user may make files in a directory (the key store's journals). */
static int
dirs_writable_by_service(const struct stat *st)
{
	const struct users_entry *b = users_get(USERS_ROLE_BROKERD);

	if (st->st_uid == b->uid)
		return (st->st_mode & S_IWUSR) != 0;
	if (st->st_gid == b->gid)
		return (st->st_mode & S_IWGRP) != 0;
	return (st->st_mode & S_IWOTH) != 0;
}

static void
dirs_key_store(const char *db)
{
	static const char *const suffixes[] = { "", "-journal", "-wal", "-shm" };
	char dir[CFG_LONGPATH_MAX], name[NAME_MAX + 1];
	const char *slash = strrchr(db, '/');
	const struct users_entry *b = users_get(USERS_ROLE_BROKERD);
	struct stat st;
	size_t k;
	int fd, writable;

	if (slash == NULL || slash[1] == '\0')
		fatalx("key_manager.sqlite_db_path: %s names no file", db);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - db), db);
	if (dir[0] == '\0')
		strlcpy(dir, "/", sizeof(dir));
	fd = parsecd_dir_open("key_manager.sqlite_db_path", dir, 1, b->uid, b->gid, 0700, NULL);
	if (fstat(fd, &st) == -1)
		fatal("fstat %s", dir);
	/* brokerd's root: made for the one user of before roles, it is now brokerd's. */
	if (st.st_uid != 0 && st.st_uid != b->uid) {
		log_info("key store directory %s: handed from uid %u to %s", dir,
		    (unsigned)st.st_uid, b->name);
		dirs_set(fd, "key_manager.sqlite_db_path", dir, b->uid, b->gid, st.st_mode & 0700);
		st.st_uid = b->uid;
		st.st_gid = b->gid;
	}
	writable = dirs_writable_by_service(&st);
	for (k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
		if ((size_t)snprintf(name, sizeof(name), "%s%s", slash + 1, suffixes[k]) >=
		    sizeof(name))
			fatalx("key_manager.sqlite_db_path: %s: name too long", db);
		/*
		 * In a directory the service user cannot write (the socket's, say),
		 * the key store and its journal are made here for it, and it runs
		 * with a journal it keeps rather than deletes.
		 */
		dirs_kim_file(fd, dir, name, !writable && k < 2);
	}
	close(fd);
}

/*
 * A provider directory another [privsep] user owns (the one user of before
 * roles, or brokerd's after an adoption): given to u with the files in it.
 * Only regular files with one link change owner, through their descriptors.
 */
static void
dirs_reown(int dirfd, const char *path, const struct users_entry *u)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, moved = 0;

	if (!dirs_root)
		return;
	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL)
		fatal("reading %s", path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
		    st.st_uid == u->uid || !users_is_service_uid(st.st_uid)) {
			if (fd != -1)
				close(fd);
			continue;
		}
		if (fchown(fd, u->uid, u->gid) == -1)
			fatal("privsep.state_dir: fchown %s/%s", path, de->d_name);
		close(fd);
		moved++;
	}
	closedir(d);
	if (fchown(dirfd, u->uid, u->gid) == -1)
		fatal("privsep.state_dir: fchown %s", path);
	log_do(moved > 0 ? LOG_LVL_INFO : LOG_LVL_DEBUG, __func__, 0,
	    "provider state %s: given to %s with %d file%s", path, u->name, moved,
	    moved == 1 ? "" : "s");
}

/* A provider's own directory below state_dir: its role's user's, made if missing. */
static int
dirs_provider(const struct parsec_config *cfg, const struct cfg_provider *p, int at_start)
{
	const struct users_entry *u = users_get(users_provider_role(p->kind));
	char path[CFG_LONGPATH_MAX + CFG_NAME_MAX + 2];
	struct stat st;
	int fd, made;

	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, p->name);
	fd = parsecd_dir_open("privsep.state_dir", path, 1, u->uid, u->gid, 0700, &made);
	if (fstat(fd, &st) == -1)
		fatal("fstat %s", path);
	if (!made && st.st_uid != u->uid && users_is_service_uid(st.st_uid))
		dirs_reown(fd, path, u);
	else if (!made && st.st_uid != u->uid)
		fatalx("privsep.state_dir: %s belongs to uid %u; the provider keeps its state "
		    "there as %s (remove it to have it made, or give it to %s)", path,
		    (unsigned)st.st_uid, u->name, u->name);
	/* At a reload, workers of a provider being replaced may still be finishing a write. */
	if (at_start)
		dirs_remove_leftovers(fd, path, 0, "a stopped provider");
	return fd;
}

int
parsecd_provider_dir(const struct parsec_config *cfg, const struct cfg_provider *p)
{
	return dirs_provider(cfg, p, 0);
}

void
parsecd_prepare_dirs(const struct parsec_config *cfg)
{
	struct stat st;
	size_t i;
	int fd, state_fd;

	users_init(cfg);
	dirs_root = geteuid() == 0;
	/* frontd's chroot (only as root): empty, root's, nothing to write. */
	if (dirs_root) {
		fd = parsecd_dir_open("privsep.chroot_dir", cfg->chroot_dir, 1, 0, 0, 0755, NULL);
		if (fstat(fd, &st) == -1)
			fatal("fstat %s", cfg->chroot_dir);
		if (st.st_uid != 0 || (st.st_mode & 022) != 0)
			fatalx("privsep.chroot_dir: %s must be owned by root and not writable by "
			    "others", cfg->chroot_dir);
		close(fd);
	}

	state_fd = parsecd_dir_open("privsep.state_dir", cfg->state_dir, 1, 0, 0, 0755, NULL);
	dirs_lock(state_fd, cfg->state_dir);
	dirs_state_fd = state_fd;
	strlcpy(dirs_state_path, cfg->state_dir, sizeof(dirs_state_path));
	for (i = 0; i < cfg->provider_count; i++)
		close(dirs_provider(cfg, &cfg->providers[i], !dirs_clean_stop));
	for (i = 0; i < cfg->key_manager_count; i++)
		dirs_key_store(cfg->key_managers[i].sqlite_db_path);
}

/* The directories of the providers that keep key files, given to uid:gid (as root only). */
static void
dirs_give_provider_dirs(const struct parsec_config *cfg, const uid_t *uid, const gid_t *gid)
{
	char path[CFG_LONGPATH_MAX + CFG_NAME_MAX + 2];
	const struct users_entry *u;
	size_t i;
	int fd;

	for (i = 0; dirs_root && i < cfg->provider_count; i++) {
		if (cfg->providers[i].kind == CFG_PROVIDER_PKCS11)
			continue;
		u = users_get(users_provider_role(cfg->providers[i].kind));
		snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, cfg->providers[i].name);
		fd = parsecd_dir_open("privsep.state_dir", path, 0, 0, 0, 0, NULL);
		if (fchown(fd, uid ? *uid : u->uid, gid ? *gid : u->gid) == -1)
			fatal("privsep.state_dir: fchown %s", path);
		close(fd);
	}
}

void
parsecd_lend_provider_dirs(const struct parsec_config *cfg, uid_t uid, gid_t gid)
{
	dirs_give_provider_dirs(cfg, &uid, &gid);
}

void
parsecd_settle_provider_dirs(const struct parsec_config *cfg, int wrote)
{
	size_t i;

	if (!wrote) {
		dirs_give_provider_dirs(cfg, NULL, NULL);
		return;
	}
	for (i = 0; i < cfg->provider_count; i++)
		close(dirs_provider(cfg, &cfg->providers[i], 0));
}
