/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Adoption of an upstream Parsec deployment at start-up, in the helper
 * parsecd execs before any child: the keys its SQLite or OnDisk key store
 * maps, with the key files its Mbed Crypto provider left in its working
 * directory, are copied into our key store and provider state once.
 * Upstream's files are only ever read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "key_ref.h"
#include "buf.h"
#include "log.h"
#include "sandbox.h"

#define ADOPT_FILE_MAX (64 * 1024) /* an upstream key or mapping file; RSA-4096 is 3 KiB */
#define ADOPT_ITS_HDR 16           /* mbedtls' file: "PSA\0ITS\0", data length, flags */
#define ADOPT_KEY_HDR 36           /* PSA key data: magic, version, lifetime, policy, length */

static const char *const adopt_uuids[] = {
	[CFG_PROVIDER_MBED_CRYPTO] = "1c1139dc-ad7c-47dc-ad6b-db6fdb466552",
	[CFG_PROVIDER_PKCS11] = "30e39502-eba6-4d60-a4af-c518b7f5e38f",
	[CFG_PROVIDER_TPM] = "1e4954a4-ff21-46d3-ab0c-661eeb667e1d",
};

/* Reads a whole small file below dirfd, not following links: its length, or -1. */
static ssize_t
adopt_read_file(int dirfd, const char *name, uint8_t *buf, size_t cap)
{
	struct stat st;
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > (off_t)cap) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	return n == st.st_size ? n : -1;
}

/* One mbedtls ITS file of the working directory (as root: upstream's may be 0600). */
static void
adopt_take_its(struct adopt_run *run, int dirfd, const char *name)
{
	static uint8_t buf[ADOPT_FILE_MAX];
	struct adopt_file *f;
	unsigned long long uid;
	char *end;
	ssize_t n;

	if (strlen(name) != 16 + 8 || strcmp(name + 16, ".psa_its") != 0)
		return;
	uid = strtoull(name, &end, 16);
	if (end != name + 16 || uid == 0 || uid > UINT32_MAX)
		return; /* not a key (PSA's other uids) or a key id with an owner */
	if ((f = reallocarray(run->files, run->file_count + 1, sizeof(*f))) == NULL)
		fatal("reallocarray");
	run->files = f;
	f = &run->files[run->file_count++];
	memset(f, 0, sizeof(*f));
	f->id = (uint32_t)uid;
	n = adopt_read_file(dirfd, name, buf, sizeof(buf));
	if (n >= ADOPT_ITS_HDR && memcmp(buf, "PSA\0ITS\0", 8) == 0 &&
	    buf_le32(buf + 8) == (uint32_t)n - ADOPT_ITS_HDR &&
	    (f->data = malloc((size_t)n - ADOPT_ITS_HDR)) != NULL) {
		f->len = (size_t)n - ADOPT_ITS_HDR;
		f->flags = buf_le32(buf + 12);
		memcpy(f->data, buf + ADOPT_ITS_HDR, f->len);
	}
	if (n > 0)
		explicit_bzero(buf, (size_t)n);
}

static void
adopt_read_key_files(struct adopt_run *run)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(".")) == NULL) {
		log_warn("reading the working directory %s", run->cwd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		adopt_take_its(run, dirfd(d), de->d_name);
	closedir(d);
}

static const struct adopt_file *
adopt_find_file(const struct adopt_run *run, uint32_t id)
{
	size_t i;

	for (i = 0; i < run->file_count; i++)
		if (run->files[i].id == id)
			return &run->files[i];
	return NULL;
}

/* A row of upstream's SQLite key_mapping table. */
static int
adopt_take_row(const struct kim_upstream_row *row, void *arg)
{
	struct adopt_run *run = arg;
	struct adopt_key *k = adopt_add_key(run);
	size_t i;

	k->auth_type = row->auth_type;
	strlcpy(k->app, row->app, sizeof(k->app));
	strlcpy(k->name, row->name, sizeof(k->name));
	strlcpy(k->provider_name, row->provider_name, sizeof(k->provider_name));
	memcpy(k->key_id, row->key_id, row->key_id_len);
	k->key_id_len = row->key_id_len;
	memcpy(k->attributes, row->attributes, row->attributes_len);
	k->attributes_len = row->attributes_len;
	k->unusable = row->unusable;
	for (i = 0; i < sizeof(adopt_uuids) / sizeof(adopt_uuids[0]); i++)
		if (adopt_uuids[i] != NULL && strcmp(adopt_uuids[i], row->provider_uuid) == 0)
			k->kind = (enum cfg_provider_kind)i;
	if (k->kind == 0 && k->unusable == NULL)
		k->unusable = ADOPT_NO_PROVIDER;
	return 0;
}

/* The configured provider that serves a key: same kind, same key manager, same name. */
static const struct cfg_provider *
adopt_provider(const struct adopt_run *run, const struct adopt_key *k)
{
	const struct parsec_config *cfg = run->cfg;
	size_t i;

	for (i = 0; i < cfg->provider_count; i++) {
		const struct cfg_provider *p = &cfg->providers[i];

		if (p->kind == k->kind && strcmp(p->key_info_manager, run->km->name) == 0 &&
		    (k->provider_name[0] == '\0' || strcmp(p->name, k->provider_name) == 0))
			return p;
	}
	return NULL;
}

/*
 * The key's attributes, from the PSA key data in upstream's file (what
 * mbedtls 2.28 stores: magic, version 0, lifetime, type, bits, usage, alg).
 */
static int
adopt_mbed_attrs(const struct adopt_file *f, struct op_key_attrs *attrs)
{
	const uint8_t *d = f->data;

	if (d == NULL || f->len < ADOPT_KEY_HDR || memcmp(d, "PSA\0KEY\0", 8) != 0 ||
	    buf_le32(d + 8) != 0 || buf_le32(d + 32) != f->len - ADOPT_KEY_HDR)
		return -1;
	attrs->type = (uint32_t)d[16] | (uint32_t)d[17] << 8;
	attrs->bits = (uint32_t)d[18] | (uint32_t)d[19] << 8;
	attrs->usage = buf_le32(d + 20);
	attrs->alg = buf_le32(d + 24);
	return 0;
}

/* Our copy of a key file: temporary name (one parsecd clears if left), fsync, link, fsync. */
static int
adopt_write_key(int dirfd, uint32_t id, const struct adopt_file *f)
{
	char name[32], tmp[64];
	uint8_t hdr[12];
	int fd, ok;

	snprintf(name, sizeof(name), "%016llx.key", (unsigned long long)id);
	snprintf(tmp, sizeof(tmp), ".%s.%ld.0.tmp", name, (long)getpid());
	memcpy(hdr, "PITS", 4);
	buf_set_le32(hdr + 4, f->flags);
	buf_set_le32(hdr + 8, (uint32_t)f->len);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	ok = write(fd, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr) &&
	    write(fd, f->data, f->len) == (ssize_t)f->len && fsync(fd) == 0;
	close(fd);
	ok = ok && linkat(dirfd, tmp, dirfd, name, 0) == 0;
	unlinkat(dirfd, tmp, 0);
	return ok && fsync(dirfd) == 0 ? 0 : -1;
}

/* A key id for our copy: upstream's own when nothing of ours holds it. */
static int
adopt_mbed_id(const struct adopt_run *run, int dirfd, uint32_t provider, uint32_t *id)
{
	uint8_t ref[KEY_REF_ID_LEN];
	char name[32];
	int r;

	if (!run->store_open)
		return 0; /* a dry run before our key store exists */
	snprintf(name, sizeof(name), "%016llx.key", (unsigned long long)*id);
	key_ref_put_id(ref, *id);
	if ((r = kim_adopt_ref_free(provider, ref, sizeof(ref))) == -1)
		return -1;
	if (r == 1 && (dirfd == -1 || faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == -1))
		return 0;
	if (run->dry_run)
		return 0; /* a fresh id from the counter when done for real */
	do {
		if (kim_adopt_take_id(provider, id) == -1)
			return -1;
		snprintf(name, sizeof(name), "%016llx.key", (unsigned long long)*id);
	} while (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
	return 0;
}

/*
 * One PKCS#11 key: its objects stay on the token, where upstream gave them
 * the CKA_ID of its key id's four bytes, big endian; our key reference is
 * that CKA_ID. 0 adopted (or would be), 1 skipped, -1 failure.
 */
static int
adopt_pkcs11(struct adopt_run *run, const struct adopt_key *k, const struct cfg_provider *p)
{
	struct kim_entry e;
	char source[CFG_LONGPATH_MAX + 64];
	uint32_t id;
	int r;

	memset(&e, 0, sizeof(e));
	if (k->key_id_len != 4) {
		adopt_count_skip(run, k, "a key id that is not a PKCS#11 provider's", "");
		return 1;
	}
	if (adopt_bincode_attrs(k->attributes, k->attributes_len, &e.attrs) == -1) {
		adopt_count_skip(run, k, "key attributes this build cannot read", "");
		return 1;
	}
	id = buf_le32(k->key_id);
	e.key_ref[0] = (uint8_t)(id >> 24);
	e.key_ref[1] = (uint8_t)(id >> 16);
	e.key_ref[2] = (uint8_t)(id >> 8);
	e.key_ref[3] = (uint8_t)id;
	e.key_ref_len = 4;
	if (run->store_open && (r = kim_adopt_ref_free((uint32_t)p->kind, e.key_ref, 4)) != 1) {
		if (r == -1)
			return -1;
		adopt_count_skip(run, k, "a key of parsecd's has the same CKA_ID on the token", "");
		return 1;
	}
	if (run->dry_run) {
		printf("adopt %s %s %s: %s, token objects with CKA_ID %08x\n", adopt_auth(k),
		    k->app, k->name, p->name, id);
		return 0;
	}
	adopt_entry(&e, k, p);
	snprintf(source, sizeof(source), "%s %s, token objects with CKA_ID %08x", run->source_kind,
	    run->source, id);
	return kim_adopt_insert(&e, source, 0);
}

/* One Mbed Crypto key: 0 adopted (or would be), 1 skipped, -1 failure. */
static int
adopt_mbed(struct adopt_run *run, const struct adopt_key *k, const struct cfg_provider *p)
{
	const struct adopt_file *f;
	struct kim_entry e;
	char detail[PATH_MAX + 64], source[CFG_LONGPATH_MAX + PATH_MAX + 64];
	uint32_t id;
	int dirfd, r = -1;

	if (k->key_id_len != 4) {
		adopt_count_skip(run, k, "a key id that is not a PSA key id", "");
		return 1;
	}
	id = buf_le32(k->key_id);
	snprintf(detail, sizeof(detail), " (%016llx.psa_its in %s)", (unsigned long long)id,
	    run->cwd);
	if ((f = adopt_find_file(run, id)) == NULL) {
		adopt_count_skip(run, k, "its key file is not in the working directory", detail);
		return 1;
	}
	memset(&e, 0, sizeof(e));
	if (adopt_mbed_attrs(f, &e.attrs) == -1) {
		adopt_count_skip(run, k, "its key file is not a key mbedtls 2.28 wrote", detail);
		return 1;
	}
	if ((dirfd = adopt_state_dir(run, p)) == -1 && !run->dry_run)
		return -1;
	if (adopt_mbed_id(run, dirfd, (uint32_t)p->kind, &id) == -1)
		goto out;
	if (run->dry_run) {
		printf("adopt %s %s %s: %s, key file %s/%016llx.psa_its\n",
		    adopt_auth(k), k->app, k->name, p->name, run->cwd,
		    (unsigned long long)buf_le32(k->key_id));
		r = 0;
		goto out;
	}
	adopt_entry(&e, k, p);
	key_ref_put_id(e.key_ref, id);
	e.key_ref_len = KEY_REF_ID_LEN;
	snprintf(source, sizeof(source), "%s %s, key file %s/%016llx.psa_its", run->source_kind,
	    run->source, run->cwd, (unsigned long long)buf_le32(k->key_id));
	if (adopt_write_key(dirfd, id, f) == -1) {
		log_warn("copying %016llx.psa_its into %s/%s", (unsigned long long)buf_le32(
		    k->key_id), run->cfg->state_dir, p->name);
		goto out;
	}
	r = kim_adopt_insert(&e, source, 1);
out:
	if (dirfd != -1)
		close(dirfd);
	return r;
}

/* One upstream key: counted as adopted, already adopted, a conflict or skipped. */
static int
adopt_one(struct adopt_run *run, const struct adopt_key *k)
{
	const struct cfg_provider *p;
	int state = KIM_ADOPT_NEW, r;

	if (k->unusable != NULL) {
		adopt_count_skip(run, k, k->unusable, "");
		return 0;
	}
	if (run->store_open && (state = kim_adopt_state(k->auth_type, k->app, k->name)) == -1)
		return -1;
	if (state == KIM_ADOPT_DONE) {
		run->already++;
		return 0;
	}
	if (state == KIM_ADOPT_TAKEN) {
		run->conflicts++;
		if (run->dry_run)
			printf("conflict %s %s %s: the name is taken in parsecd's key store; "
			    "upstream's key is left alone\n", adopt_auth(k), k->app, k->name);
		else
			log_warnx("upstream key %s/%s/%s not adopted: the name is taken in the key "
			    "store; upstream's key is left alone", adopt_auth(k),
			    k->app, k->name);
		return 0;
	}
	if ((p = adopt_provider(run, k)) == NULL) {
		adopt_count_skip(run, k, "its provider is not configured", "");
		return 0;
	}
	if (p->kind == CFG_PROVIDER_TPM)
		r = adopt_tpm(run, k, p);
	else
		r = p->kind == CFG_PROVIDER_PKCS11 ? adopt_pkcs11(run, k, p) : adopt_mbed(run, k, p);
	if (r == 0)
		run->adopted[p - run->cfg->providers]++;
	return r == -1 ? -1 : 0;
}

static void
adopt_summary(struct adopt_run *run)
{
	char line[1024];
	size_t i, off;
	unsigned total = 0;

	for (i = 0; i < run->cfg->provider_count; i++)
		total += run->adopted[i];
	off = (size_t)snprintf(line, sizeof(line), "upstream keys in %s %s: %u %sadopted (",
	    run->source_kind, run->source, total, run->dry_run ? "to be " : "");
	for (i = 0; i < run->cfg->provider_count && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s %u", i ? ", " : "",
		    run->cfg->providers[i].name, run->adopted[i]);
	if (off < sizeof(line))
		off += (size_t)snprintf(line + off, sizeof(line) - off, "), %u already adopted, "
		    "%u conflicting, %u skipped", run->already, run->conflicts, run->skipped);
	for (i = 0; i < run->reason_count && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s: %u", i ? "; " : " (",
		    run->reasons[i].text, run->reasons[i].count);
	if (run->reason_count > 0 && off < sizeof(line))
		snprintf(line + off, sizeof(line) - off, ")");
	/* What changed the store or needs a look shows at upstream's default level (warn). */
	if (run->dry_run)
		printf("%s\n", line);
	else
		log_do(total + run->conflicts + run->skipped > 0 ? LOG_LVL_WARN : LOG_LVL_INFO,
		    __func__, 0, "%s", line);
}

/* Our key store: read-only for a dry run (absent is fine then), else opened and locked. */
static int
adopt_open_store(struct adopt_run *run)
{
	const char *path = run->km->sqlite_db_path;

	if (!run->dry_run) {
		if (kim_open(path) == -1)
			return -1;
		run->store_open = 1;
		return 0;
	}
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		/* Upstream's rows need a connection; our keys an earlier version kept there. */
		if (run->snap.data == NULL)
			return 0;
		if (kim_open_readonly(":memory:") == -1 || kim_adopt_attach("main", run->snap.data,
		    run->snap.len) == -1)
			return -1;
		run->store_open = 1;
		run->own_store_absent = 1;
		return 0;
	}
	if (kim_open_readonly(path) == -1)
		return -1;
	run->store_open = 1;
	return 0;
}

/* Upstream's SQLite file, read as root: it may be 0600 and anybody's. */
static int
adopt_read_upstream_db(struct adopt_run *run)
{
	const char *path = run->km->upstream_db_path;
	int hot, r;

	if (path[0] == '\0')
		return 0;
	if ((r = adopt_snapshot_read(path, &run->snap, &hot)) != 0) {
		log_warnx("upstream's key store %s: %s", path, r == 1 ? "gone since the start" :
		    "cannot be read");
		return -1;
	}
	if (hot) {
		log_warnx("upstream's key store %s has an unfinished transaction (%s-journal): "
		    "start upstream's service once to finish it, or open it with sqlite3, then "
		    "parsecd", path, path);
		return -1;
	}
	return 0;
}

/* parsecd's keys an earlier version kept in upstream's file move to our own store. */
static int
adopt_migrate(struct adopt_run *run)
{
	long long n;

	if (run->dry_run) {
		if (run->own_store_absent && kim_adopt_own_in_upstream() > 0)
			printf("move parsecd's own keys from %s to %s\n", run->km->upstream_db_path,
			    run->km->sqlite_db_path);
		return 0;
	}
	if ((n = kim_adopt_migrate()) == -1)
		return -1;
	if (n > 0)
		log_warnx("%lld keys of parsecd's own moved from %s (upstream's key store, which "
		    "an earlier version wrote into) to %s; %s is no longer written", n,
		    run->km->upstream_db_path, run->km->sqlite_db_path, run->km->upstream_db_path);
	return 0;
}

static int
adopt_sources(struct adopt_run *run)
{
	if (getcwd(run->cwd, sizeof(run->cwd)) == NULL)
		strlcpy(run->cwd, ".", sizeof(run->cwd));
	/* Upstream's files as root, who can read them wherever they are; the rest as the user. */
	adopt_read_key_files(run);
	if (adopt_read_upstream_db(run) == -1)
		return -1;
	if (run->km->type == CFG_KIM_ON_DISK) {
		run->source_kind = "OnDisk";
		run->source = run->km->store_path;
		return adopt_read_on_disk(run);
	}
	run->source_kind = "SQLite";
	run->source = run->km->upstream_db_path[0] != '\0' ? run->km->upstream_db_path :
	    run->km->sqlite_db_path;
	return 0;
}

static int
adopt_run(struct adopt_run *run)
{
	size_t i;
	int r = 0;

	if (adopt_sources(run) == -1)
		return -1;
	/*
	 * As brokerd's user, who owns our key store (parsecd lends it the software
	 * and TPM providers' directories for the adoption); a dry run too, which
	 * writes nothing: the store's bytes are what brokerd's user wrote, never
	 * SQLite's to read as root.
	 */
	if (adopt_priv_drop(NULL, run->uid, run->gid) == -1 || adopt_open_store(run) == -1)
		return -1;
	/* Everything it opens from here is below what it has open: the key store, state_dir. */
	sandbox_seccomp_adopt();
	adopt_priv_forbidden("adopt");
	if (run->snap.data != NULL && run->store_open && (kim_adopt_attach("upstream",
	    run->snap.data, run->snap.len) == -1 || adopt_migrate(run) == -1))
		r = -1;
	/* An OnDisk key manager adopts its mappings, not an SQLite store found at its path. */
	if (r == 0 && run->snap.data != NULL && kim_upstream_rows(run->km->type == CFG_KIM_SQLITE ?
	    adopt_take_row : NULL, run) == -1)
		r = -1;
	for (i = 0; i < run->key_count && r == 0; i++)
		r = adopt_one(run, &run->keys[i]);
	if (r == 0 && run->key_count > 0)
		adopt_summary(run);
	else if (r == 0 && run->dry_run)
		printf("no upstream keys in %s %s\n", run->source_kind, run->source);
	if (run->store_open)
		kim_close();
	for (i = 0; r == 0 && !run->dry_run && i < run->cfg->provider_count; i++)
		if (run->adopted[i] > 0)
			r = 1;
	return r;
}

static void
adopt_free(struct adopt_run *run)
{
	size_t i;

	for (i = 0; i < run->file_count; i++) {
		if (run->files[i].data != NULL)
			explicit_bzero(run->files[i].data, run->files[i].len);
		free(run->files[i].data);
	}
	free(run->files);
	if (run->keys != NULL)
		explicit_bzero(run->keys, run->key_count * sizeof(*run->keys));
	free(run->keys);
	adopt_snapshot_free(&run->snap);
}

int
adopt_keys(const struct parsec_config *cfg, int dry_run, uid_t uid, gid_t gid)
{
	static struct adopt_run run;
	int r;

	if (cfg->key_manager_count == 0)
		return 0;
	memset(&run, 0, sizeof(run));
	run.cfg = cfg;
	run.km = &cfg->key_managers[0];
	run.dry_run = dry_run;
	run.uid = uid;
	run.gid = gid;
	r = adopt_run(&run);
	adopt_free(&run);
	fflush(stdout);
	return r;
}
