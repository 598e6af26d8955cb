/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upstream Parsec's OnDisk key store, read for adoption: store_path holds one
 * directory per application (its name in URL-safe base64), in it one
 * directory per provider (the wire provider id in decimal), in it one file
 * per key (its name in URL-safe base64) holding the bincode of the key info:
 * the key id's length (64 bits, little endian) and bytes, then attributes.
 * The authenticator is the one configured: OnDisk does not record it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "jwt.h"
#include "log.h"
#include "utf8.h"

#define ADOPT_MAPPING_MAX (64 * 1024)

/* URL-safe base64 (padded or not) to a NUL-terminated name, UTF-8 without a NUL: 0, or -1. */
static int
adopt_b64_name(const char *in, char *out, size_t outsz)
{
	size_t len = strlen(in);
	long n;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (outsz == 0 || (n = jwt_b64url_decode((const uint8_t *)in, len, (uint8_t *)out,
	    outsz - 1)) <= 0 || !utf8_name_valid((const uint8_t *)out, (size_t)n))
		return -1;
	out[n] = '\0';
	return 0;
}

static int
adopt_open_dir(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The key id out of one mapping file. */
static void
adopt_mapping(struct adopt_key *k, int dirfd, const char *file)
{
	static uint8_t buf[ADOPT_MAPPING_MAX];
	struct stat st;
	uint64_t id_len = 0;
	ssize_t n = -1;
	int fd, i;

	fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd != -1 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= (off_t)
	    sizeof(buf))
		n = read(fd, buf, (size_t)st.st_size);
	if (fd != -1)
		close(fd);
	if (n >= 8)
		for (i = 7; i >= 0; i--)
			id_len = id_len << 8 | buf[i];
	if (n < 8 || id_len == 0 || id_len > sizeof(k->key_id) || id_len > (uint64_t)n - 8) {
		k->unusable = "a mapping file that is not upstream's key info";
	} else {
		memcpy(k->key_id, buf + 8, (size_t)id_len);
		k->key_id_len = (size_t)id_len;
		if ((size_t)n - 8 - id_len <= sizeof(k->attributes)) {
			k->attributes_len = (size_t)n - 8 - (size_t)id_len;
			memcpy(k->attributes, buf + 8 + id_len, k->attributes_len);
		}
	}
	if (n > 0)
		explicit_bzero(buf, (size_t)n);
}

/* The keys of one application under one provider directory. */
static void
adopt_provider_dir(struct adopt_run *run, int app_fd, const char *app, const char *prov)
{
	struct adopt_key *k;
	struct dirent *de;
	char *end;
	unsigned long id = strtoul(prov, &end, 10);
	DIR *d;
	int fd;

	if ((fd = adopt_open_dir(app_fd, prov)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		k = adopt_add_key(run);
		k->auth_type = (uint32_t)run->cfg->auth_type;
		strlcpy(k->app, app, sizeof(k->app));
		if (adopt_b64_name(de->d_name, k->name, sizeof(k->name)) == -1) {
			strlcpy(k->name, de->d_name, sizeof(k->name));
			k->unusable = "a file name that is not a key name in URL-safe base64";
		} else if (*end != '\0' || end == prov || id > 255)
			k->unusable = "a provider directory that is not a provider id";
		else if (id == CFG_PROVIDER_MBED_CRYPTO || id == CFG_PROVIDER_PKCS11 ||
		    id == CFG_PROVIDER_TPM)
			k->kind = (enum cfg_provider_kind)id;
		else
			k->unusable = ADOPT_NO_PROVIDER;
		if (k->unusable == NULL)
			adopt_mapping(k, dirfd(d), de->d_name);
	}
	closedir(d);
}

static void
adopt_app_dir(struct adopt_run *run, int store_fd, const char *entry)
{
	struct dirent *de;
	char app[OP_NAME_MAX];
	DIR *d;
	int fd;

	if (adopt_b64_name(entry, app, sizeof(app)) == -1) {
		log_warnx("OnDisk %s/%s: not an application name in URL-safe base64; left alone",
		    run->km->store_path, entry);
		return;
	}
	if ((fd = adopt_open_dir(store_fd, entry)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			adopt_provider_dir(run, dirfd(d), app, de->d_name);
	closedir(d);
}

int
adopt_read_on_disk(struct adopt_run *run)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = open(run->km->store_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("key_manager.store_path: %s", run->km->store_path);
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			adopt_app_dir(run, dirfd(d), de->d_name);
	closedir(d);
	return 0;
}
