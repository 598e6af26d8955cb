/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The providers' half of the deployment identity (brokerd/broker_deploy.c
 * has the key store's): each provider's state directory belongs to its own
 * user, so the parent reads their identities for brokerd and writes the
 * identity brokerd settled into those that have none, and into the directory
 * of a provider a reload adds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "parsecd.h"
#include "setup.h"

#define DEPLOY_FILE "deployment"
#define DEPLOY_TMP ".deployment.tmp"

static int
deploy_valid_id(const char *id, size_t len)
{
	size_t i;

	if (len != SETUP_DEPLOY_ID_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

/* The identity in a state directory: 1 read into id, 0 none; fatal if unreadable. */
static int
deploy_read_id(int sfd, const char *path, char *id)
{
	char buf[SETUP_DEPLOY_ID_LEN + 8];
	ssize_t n;
	int fd = openat(sfd, DEPLOY_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1) {
		if (errno != ENOENT)
			fatal("%s/%s", path, DEPLOY_FILE);
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!deploy_valid_id(buf, strlen(buf)))
		fatalx("%s/%s does not hold a deployment identity: move it away or restore it",
		    path, DEPLOY_FILE);
	strlcpy(id, buf, SETUP_DEPLOY_ID_LEN + 1);
	return 1;
}

/* Whether path is state_dir/name or lies below it. */
static int
deploy_holds(const char *state_dir, const char *name, const char *path)
{
	size_t dir_len = strlen(state_dir), name_len = strlen(name);

	while (dir_len > 1 && state_dir[dir_len - 1] == '/')
		dir_len--;
	return path[0] != '\0' && strncmp(path, state_dir, dir_len) == 0 &&
	    path[dir_len] == '/' && strncmp(path + dir_len + 1, name, name_len) == 0 &&
	    (path[dir_len + 1 + name_len] == '/' || path[dir_len + 1 + name_len] == '\0');
}

/* The first file in a state directory that is neither the identity nor ours; 0 if none. */
static int
deploy_find_material(int sfd, const char *path, char *out, size_t outsz)
{
	struct dirent *de;
	DIR *d;
	int fd, found = 0;

	if ((fd = dup(sfd)) == -1 || (d = fdopendir(fd)) == NULL)
		fatal("reading %s", path);
	while (!found && (de = readdir(d)) != NULL)
		if ((found = de->d_name[0] != '.' && strcmp(de->d_name, DEPLOY_FILE) != 0))
			strlcpy(out, de->d_name, outsz);
	closedir(d);
	return found;
}

/*
 * Upstream's own key stores below its working directory, under the names its
 * defaults give them: its SQLite directory and its OnDisk mappings. A host
 * that moved from one to the other keeps the first; it is upstream's, never a
 * provider's state, whatever the configuration names now.
 */
static int
deploy_upstream_store(const struct parsec_config *cfg, const char *name)
{
	size_t i;

	if (strcmp(name, "kim-mappings") != 0 && strcmp(name, "mappings") != 0)
		return 0;
	for (i = 0; i < cfg->provider_count; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			return 0;
	return 1;
}

/*
 * Every directory below state_dir is one provider's state (configured now or
 * not), but the one that holds the key store (upstream's default puts it in
 * state_dir/kim-mappings) and upstream's key stores (state_dir/mappings for
 * OnDisk). fn is called with each one's descriptor and path.
 */
static void
deploy_each(const struct parsec_config *cfg, void (*fn)(int, const char *, void *), void *arg)
{
	const struct cfg_key_manager *km = &cfg->key_managers[0];
	char path[CFG_LONGPATH_MAX + NAME_MAX + 2];
	struct dirent *de;
	DIR *d;
	int fd, sfd;

	fd = parsecd_dir_open("privsep.state_dir", cfg->state_dir, 0, 0, 0, 0, NULL);
	if ((d = fdopendir(fd)) == NULL)
		fatal("privsep.state_dir: %s", cfg->state_dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || deploy_upstream_store(cfg, de->d_name) ||
		    (cfg->key_manager_count > 0 &&
		    (deploy_holds(cfg->state_dir, de->d_name, km->sqlite_db_path) ||
		    deploy_holds(cfg->state_dir, de->d_name, km->type == CFG_KIM_ON_DISK ?
		    km->store_path : km->upstream_db_path))))
			continue;
		sfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd == -1) {
			if (errno == ENOTDIR || errno == ELOOP)
				continue; /* the lock file, or what is not a provider's */
			fatal("privsep.state_dir: %s/%s", cfg->state_dir, de->d_name);
		}
		snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, de->d_name);
		fn(sfd, path, arg);
		close(sfd);
	}
	closedir(d);
}

static void
deploy_scan_one(int sfd, const char *path, void *arg)
{
	struct setup_broker *s = arg;
	char id[SETUP_DEPLOY_ID_LEN + 1];

	if (deploy_read_id(sfd, path, id)) {
		if (s->state_id[0] != '\0' && strcmp(s->state_id, id) != 0)
			fatalx("provider states %s and %s belong to different deployments: give "
			    "each instance its own state_dir", s->state_id_path, path);
		if (s->state_id[0] == '\0') {
			strlcpy(s->state_id, id, sizeof(s->state_id));
			strlcpy(s->state_id_path, path, sizeof(s->state_id_path));
		}
	} else if (s->state_material_path[0] == '\0' && deploy_find_material(sfd, path,
	    s->state_material, sizeof(s->state_material))) {
		strlcpy(s->state_material_path, path, sizeof(s->state_material_path));
	}
}

void
parsecd_deploy_scan(const struct parsec_config *cfg, struct setup_broker *s)
{
	s->state_id[0] = s->state_id_path[0] = '\0';
	s->state_material_path[0] = s->state_material[0] = '\0';
	deploy_each(cfg, deploy_scan_one, s);
}

/* The state directory's owner: the user of the provider it belongs to, if configured. */
static const struct users_entry *
deploy_owner(const struct parsec_config *cfg, const char *path)
{
	size_t i;

	for (i = 0; i < cfg->provider_count; i++)
		if (deploy_holds(cfg->state_dir, cfg->providers[i].name, path))
			return users_get(users_provider_role(cfg->providers[i].kind));
	return NULL;
}

/*
 * The identity brokerd settled at its READY, written into every provider
 * directory without one then, and kept for those a reload adds.
 */
static struct {
	const struct parsec_config *cfg;
	char line[SETUP_DEPLOY_ID_LEN + 2];
} deploy_settled;

/* Writes the settled identity into a state directory, as its owner's file: 0, or -1. */
static int
deploy_write(int sfd, const char *path)
{
	const struct users_entry *u = deploy_owner(deploy_settled.cfg, path);
	size_t len = strlen(deploy_settled.line);
	int fd, r;

	/* The directory is its provider's: nothing found there is opened for writing. */
	if (unlinkat(sfd, DEPLOY_TMP, 0) == -1 && errno != ENOENT)
		return -1;
	fd = openat(sfd, DEPLOY_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = fd == -1 || write(fd, deploy_settled.line, len) != (ssize_t)len || fsync(fd) == -1 ||
	    (u != NULL && geteuid() == 0 && fchown(fd, u->uid, u->gid) == -1) ? -1 : 0;
	if (fd != -1)
		close(fd);
	if (r == 0 && (renameat(sfd, DEPLOY_TMP, sfd, DEPLOY_FILE) == -1 || fsync(sfd) == -1))
		r = -1;
	return r;
}

static void
deploy_label_one(int sfd, const char *path, void *arg)
{
	char id[SETUP_DEPLOY_ID_LEN + 1];

	if (!deploy_read_id(sfd, path, id) && deploy_write(sfd, path) == -1)
		fatal("writing %s/%s", path, DEPLOY_FILE);
}

void
parsecd_deploy_label(const struct parsec_config *cfg, const uint8_t *id, size_t len)
{
	if (!deploy_valid_id((const char *)id, len))
		fatalx("brokerd sent no deployment identity");
	deploy_settled.cfg = cfg;
	memcpy(deploy_settled.line, id, len);
	deploy_settled.line[len] = '\n';
	deploy_settled.line[len + 1] = '\0';
	deploy_each(cfg, deploy_label_one, NULL);
}

void
parsecd_deploy_join(const struct parsec_config *cfg, const struct cfg_provider *p, int fd)
{
	char path[CFG_LONGPATH_MAX + CFG_NAME_MAX + 2], material[NAME_MAX + 1];

	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, p->name);
	if (deploy_settled.line[0] == '\0' ||
	    faccessat(fd, DEPLOY_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return;
	if (deploy_find_material(fd, path, material, sizeof(material)))
		log_warnx("provider state %s holds files of no known deployment (%s): the next "
		    "start refuses it", path, material);
	else if (deploy_write(fd, path) == -1)
		log_warn("writing %s/%s", path, DEPLOY_FILE);
}
