/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSA internal trusted storage for the software provider, replacing
 * mbedtls' file backend: one file per key in the provider's state directory
 * (its cwd), written to a unique temporary name, fsync'd, renamed, and the
 * directory fsync'd, so several worker processes can share the directory and
 * a key is on disk before the client hears about it.
 *
 * A file is "PITS", the creation flags and the data length (little-endian
 * 32-bit words), then the data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <psa/crypto.h>

#include "buf.h"
#include "prov_mbed_its.h"

#define PROV_ITS_MAGIC "PITS"
#define PROV_ITS_HDR 12 /* magic, flags, length */
#define PROV_ITS_MAX (1024u * 1024u)
#define PROV_ITS_TMP_TRIES 8

/* Why the last write or removal failed, for the caller that mbedtls leaves guessing. */
static psa_status_t prov_its_error = PSA_SUCCESS;

psa_status_t
prov_its_take_error(void)
{
	psa_status_t st = prov_its_error;

	prov_its_error = PSA_SUCCESS;
	return st;
}

static psa_status_t
prov_its_fail(psa_status_t st)
{
	prov_its_error = st;
	return st;
}

/* No room for the file, whether the disk, a quota or a file size limit says so. */
static psa_status_t
prov_its_errno_status(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EFBIG ? PSA_ERROR_INSUFFICIENT_STORAGE :
	    PSA_ERROR_STORAGE_FAILURE;
}

static void
prov_its_name(psa_storage_uid_t uid, char *out, size_t outsz)
{
	snprintf(out, outsz, "%016llx.key", (unsigned long long)uid);
}

/* Reads and checks the header; returns the open fd or -1 with *status set. */
static int
prov_its_open_name(const char *name, struct psa_storage_info_t *info, psa_status_t *status)
{
	uint8_t hdr[PROV_ITS_HDR];
	struct stat st;
	int fd;

	if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		*status = errno == ENOENT ? PSA_ERROR_DOES_NOT_EXIST : PSA_ERROR_STORAGE_FAILURE;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size < PROV_ITS_HDR ||
	    pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, PROV_ITS_MAGIC, 4) != 0) {
		close(fd);
		*status = PSA_ERROR_DATA_CORRUPT;
		return -1;
	}
	info->flags = buf_le32(hdr + 4);
	info->size = buf_le32(hdr + 8);
	if (info->size > PROV_ITS_MAX || (off_t)info->size != st.st_size - PROV_ITS_HDR) {
		close(fd);
		*status = PSA_ERROR_DATA_CORRUPT;
		return -1;
	}
	return fd;
}

static int
prov_its_open(psa_storage_uid_t uid, struct psa_storage_info_t *info, psa_status_t *status)
{
	char name[32];

	if (uid == 0) {
		*status = PSA_ERROR_INVALID_ARGUMENT;
		return -1;
	}
	prov_its_name(uid, name, sizeof(name));
	return prov_its_open_name(name, info, status);
}

psa_status_t
psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *info)
{
	psa_status_t status;
	int fd = prov_its_open(uid, info, &status);

	if (fd == -1)
		return status;
	close(fd);
	return PSA_SUCCESS;
}

/* length bytes from offset of an open file's data (fd closed). */
static psa_status_t
prov_its_read(int fd, const struct psa_storage_info_t *info, uint32_t offset, uint32_t length,
    void *data, size_t *data_length)
{
	ssize_t n;

	if (offset > info->size || length > info->size - offset) {
		close(fd);
		return PSA_ERROR_INVALID_ARGUMENT;
	}
	n = length == 0 ? 0 : pread(fd, data, length, PROV_ITS_HDR + (off_t)offset);
	close(fd);
	if (n != (ssize_t)length)
		return PSA_ERROR_STORAGE_FAILURE;
	if (data_length != NULL)
		*data_length = length;
	return PSA_SUCCESS;
}

psa_status_t
psa_its_get(psa_storage_uid_t uid, uint32_t offset, uint32_t length, void *data,
    size_t *data_length)
{
	struct psa_storage_info_t info;
	psa_status_t status;
	int fd = prov_its_open(uid, &info, &status);

	if (fd == -1)
		return status;
	return prov_its_read(fd, &info, offset, length, data, data_length);
}

psa_status_t
prov_its_file_get(const char *name, void *data, uint32_t cap, size_t *length)
{
	struct psa_storage_info_t info;
	psa_status_t status;
	int fd = prov_its_open_name(name, &info, &status);

	if (fd == -1)
		return status;
	if (info.size > cap) {
		close(fd);
		return PSA_ERROR_DATA_CORRUPT;
	}
	return prov_its_read(fd, &info, 0, info.size, data, length);
}

static int
prov_its_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static psa_status_t
prov_its_sync_dir(void)
{
	int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd == -1)
		return PSA_ERROR_STORAGE_FAILURE;
	r = fsync(fd);
	close(fd);
	return r == 0 ? PSA_SUCCESS : PSA_ERROR_STORAGE_FAILURE;
}

/*
 * A temporary file no other process can be using: our pid and a counter,
 * made with O_EXCL. A name left by a crashed process whose pid we now carry
 * is skipped, not reused.
 */
static int
prov_its_create_tmp(const char *name, char *tmp, size_t tmpsz)
{
	static unsigned counter;
	int fd, i;

	for (i = 0; i < PROV_ITS_TMP_TRIES; i++) {
		snprintf(tmp, tmpsz, ".%s.%ld.%u.tmp", name, (long)getpid(), counter++);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* Writes the file whole under a temporary name, then renames it into place. */
static psa_status_t
prov_its_write(const char *name, uint32_t length, const void *data,
    psa_storage_create_flags_t flags)
{
	uint8_t hdr[PROV_ITS_HDR];
	char tmp[80];
	psa_status_t status;
	int fd;

	if ((fd = prov_its_create_tmp(name, tmp, sizeof(tmp))) == -1)
		return prov_its_fail(prov_its_errno_status(errno));
	memcpy(hdr, PROV_ITS_MAGIC, 4);
	buf_set_le32(hdr + 4, flags);
	buf_set_le32(hdr + 8, length);
	if (prov_its_write_all(fd, hdr, sizeof(hdr)) == -1 ||
	    prov_its_write_all(fd, data, length) == -1 || fsync(fd) == -1) {
		status = prov_its_errno_status(errno);
		close(fd);
		unlink(tmp);
		return prov_its_fail(status);
	}
	if (close(fd) == -1) {
		status = prov_its_errno_status(errno);
		unlink(tmp);
		return prov_its_fail(status);
	}
	if (rename(tmp, name) == -1) {
		status = prov_its_errno_status(errno);
		unlink(tmp);
		return prov_its_fail(status);
	}
	if ((status = prov_its_sync_dir()) != PSA_SUCCESS)
		return prov_its_fail(status);
	return PSA_SUCCESS;
}

psa_status_t
psa_its_set(psa_storage_uid_t uid, uint32_t length, const void *data,
    psa_storage_create_flags_t flags)
{
	struct psa_storage_info_t info;
	char name[32];
	psa_status_t status;
	int fd;

	if (uid == 0 || (length > 0 && data == NULL))
		return prov_its_fail(PSA_ERROR_INVALID_ARGUMENT);
	if ((flags & ~PROV_ITS_FLAG_WRITE_ONCE) != 0)
		return prov_its_fail(PSA_ERROR_NOT_SUPPORTED);
	if (length > PROV_ITS_MAX)
		return prov_its_fail(PSA_ERROR_INSUFFICIENT_STORAGE);
	if ((fd = prov_its_open(uid, &info, &status)) != -1) {
		close(fd);
		if (info.flags & PROV_ITS_FLAG_WRITE_ONCE)
			return prov_its_fail(PSA_ERROR_NOT_PERMITTED);
	}
	prov_its_name(uid, name, sizeof(name));
	return prov_its_write(name, length, data, flags);
}

psa_status_t
prov_its_file_set(const char *name, const void *data, uint32_t length)
{
	if (length > PROV_ITS_MAX)
		return prov_its_fail(PSA_ERROR_INSUFFICIENT_STORAGE);
	return prov_its_write(name, length, data, 0);
}

psa_status_t
psa_its_remove(psa_storage_uid_t uid)
{
	struct psa_storage_info_t info;
	psa_status_t status;
	char name[32];
	int fd;

	/* A damaged file can still be removed; only a write-once one is kept. */
	if ((fd = prov_its_open(uid, &info, &status)) == -1 &&
	    (status == PSA_ERROR_DOES_NOT_EXIST || status == PSA_ERROR_INVALID_ARGUMENT))
		return status;
	if (fd != -1) {
		close(fd);
		if (info.flags & PROV_ITS_FLAG_WRITE_ONCE)
			return prov_its_fail(PSA_ERROR_NOT_PERMITTED);
	}
	prov_its_name(uid, name, sizeof(name));
	return prov_its_file_remove(name);
}

psa_status_t
prov_its_file_remove(const char *name)
{
	psa_status_t status;

	if (unlink(name) == -1)
		return errno == ENOENT ? PSA_ERROR_DOES_NOT_EXIST :
		    prov_its_fail(PSA_ERROR_STORAGE_FAILURE);
	if ((status = prov_its_sync_dir()) != PSA_SUCCESS)
		return prov_its_fail(status);
	return PSA_SUCCESS;
}
