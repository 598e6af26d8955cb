/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One deployment, one state: the key store and every provider's state
 * directory carry the same random identity, written on the first start. A
 * key store and provider state that do not belong together stop the start
 * before any request could get a wrong answer from them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker_kim.h"
#include "brokerd.h"
#include "log.h"

#define DEPLOY_FILE "deployment"
#define DEPLOY_TMP ".deployment.tmp"
#define DEPLOY_ID_LEN 32 /* 16 random bytes in hex */
#define DEPLOY_MAX_STATES 64

struct deploy_state {
	char path[4096 + 256];
	int fd;
	int has_id;
	char id[DEPLOY_ID_LEN + 1];
	char material[256]; /* the first file that is neither the identity nor ours */
};

static int
deploy_valid_id(const char *id)
{
	size_t i;

	for (i = 0; i < DEPLOY_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[DEPLOY_ID_LEN] == '\0';
}

static void
deploy_read_id(struct deploy_state *s)
{
	char buf[DEPLOY_ID_LEN + 8];
	ssize_t n;
	int fd = openat(s->fd, DEPLOY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1) {
		if (errno != ENOENT)
			fatal("%s/%s", s->path, DEPLOY_FILE);
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!deploy_valid_id(buf))
		fatalx("%s/%s does not hold a deployment identity: move it away or restore it",
		    s->path, DEPLOY_FILE);
	strlcpy(s->id, buf, sizeof(s->id));
	s->has_id = 1;
}

/* Whether path is state_dir/name or lies below it. */
static int
deploy_holds(const char *state_dir, const char *name, const char *kim_path)
{
	size_t dir_len = strlen(state_dir), name_len = strlen(name);

	while (dir_len > 1 && state_dir[dir_len - 1] == '/')
		dir_len--;
	return strncmp(kim_path, state_dir, dir_len) == 0 && kim_path[dir_len] == '/' &&
	    strncmp(kim_path + dir_len + 1, name, name_len) == 0 &&
	    (kim_path[dir_len + 1 + name_len] == '/' || kim_path[dir_len + 1 + name_len] == '\0');
}

static void
deploy_find_material(struct deploy_state *s)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = dup(s->fd)) == -1 || (d = fdopendir(fd)) == NULL)
		fatal("reading %s", s->path);
	while ((de = readdir(d)) != NULL && s->material[0] == '\0')
		if (de->d_name[0] != '.' && strcmp(de->d_name, DEPLOY_FILE) != 0)
			strlcpy(s->material, de->d_name, sizeof(s->material));
	closedir(d);
}

/*
 * Every directory below state_dir is one provider's state (configured now or
 * not), but the one that holds the key store (upstream's default puts it in
 * state_dir/kim-mappings) and upstream's OnDisk mappings (state_dir/mappings).
 */
static size_t
deploy_scan(const char *state_dir, const char *kim_path, const char *upstream_store,
    struct deploy_state *states)
{
	struct dirent *de;
	size_t count = 0;
	DIR *d;
	int fd;

	if ((fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL)
		fatal("privsep.state_dir: %s", state_dir);
	while ((de = readdir(d)) != NULL && count < DEPLOY_MAX_STATES) {
		struct deploy_state *s = &states[count];
		int sfd;

		if (de->d_name[0] == '.' || deploy_holds(state_dir, de->d_name, kim_path) ||
		    (upstream_store[0] != '\0' && deploy_holds(state_dir, de->d_name, upstream_store)))
			continue;
		sfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd == -1) {
			if (errno == ENOTDIR || errno == ELOOP)
				continue; /* the lock file, or what is not a provider's */
			fatal("privsep.state_dir: %s/%s", state_dir, de->d_name);
		}
		memset(s, 0, sizeof(*s));
		s->fd = sfd;
		snprintf(s->path, sizeof(s->path), "%s/%s", state_dir, de->d_name);
		deploy_read_id(s);
		deploy_find_material(s);
		count++;
	}
	closedir(d);
	return count;
}

static void
deploy_write_id(const struct deploy_state *s, const char *id)
{
	char line[DEPLOY_ID_LEN + 2];
	int fd;

	snprintf(line, sizeof(line), "%s\n", id);
	fd = openat(s->fd, DEPLOY_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, line, strlen(line)) != (ssize_t)strlen(line) || fsync(fd) == -1)
		fatal("writing %s/%s", s->path, DEPLOY_TMP);
	close(fd);
	if (renameat(s->fd, DEPLOY_TMP, s->fd, DEPLOY_FILE) == -1 || fsync(s->fd) == -1)
		fatal("writing %s/%s", s->path, DEPLOY_FILE);
}

static void
deploy_new_id(char *id)
{
	uint8_t raw[DEPLOY_ID_LEN / 2];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		fatal("getrandom");
	for (i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
}

void
broker_deploy_check(const char *kim_path, const char *state_dir, const char *upstream_store)
{
	static struct deploy_state states[DEPLOY_MAX_STATES];
	const struct deploy_state *with_id = NULL, *with_material = NULL;
	char id[DEPLOY_ID_LEN + 1];
	size_t count, i;
	int r, empty;

	count = deploy_scan(state_dir, kim_path, upstream_store, states);
	for (i = 0; i < count; i++) {
		const struct deploy_state *s = &states[i];

		if (s->has_id && with_id != NULL && strcmp(s->id, with_id->id) != 0)
			fatalx("provider states %s and %s belong to different deployments: give "
			    "each instance its own state_dir", with_id->path, s->path);
		if (s->has_id && with_id == NULL)
			with_id = s;
		if (!s->has_id && s->material[0] != '\0' && with_material == NULL)
			with_material = s;
	}
	if ((r = kim_deployment(id, sizeof(id))) == -1 || (empty = kim_empty()) == -1)
		fatalx("cannot read the key store %s", kim_path);
	if (r == 0) {
		if (with_id != NULL && strcmp(with_id->id, id) != 0)
			fatalx("key store %s (deployment %s) and provider state %s (deployment %s) "
			    "do not belong together: point sqlite_db_path and state_dir at one "
			    "deployment's", kim_path, id, with_id->path, with_id->id);
		if (with_material != NULL)
			fatalx("provider state %s holds %s of no known deployment, key store %s "
			    "belongs to deployment %s: move %s away or point state_dir elsewhere",
			    with_material->path, with_material->material, kim_path, id,
			    with_material->path);
	} else {
		if (with_id != NULL)
			fatalx("%s key store %s over the provider state %s of deployment %s: "
			    "restore the key store that belongs with it, or move the state away "
			    "to start afresh", empty ? "fresh" : "unlabelled", kim_path,
			    with_id->path, with_id->id);
		if (empty && with_material != NULL)
			fatalx("fresh key store %s over old provider state %s (%s): restore the "
			    "key store that belongs with it, or move %s away to start afresh",
			    kim_path, with_material->path, with_material->material,
			    with_material->path);
		/* A new deployment, or one from before identities: both get one now. */
		deploy_new_id(id);
		if (kim_set_deployment(id) == -1)
			fatalx("cannot write the deployment identity to the key store %s", kim_path);
		log_info("deployment %s: key store %s%s", id, kim_path,
		    empty ? " (new)" : " (keys from before identities)");
	}
	for (i = 0; i < count; i++) {
		if (!states[i].has_id)
			deploy_write_id(&states[i], id);
		close(states[i].fd);
	}
}
