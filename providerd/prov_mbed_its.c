/*
 * PSA internal trusted storage for the software provider, replacing
 * mbedtls' file backend: one file per key in the provider's state directory
 * (its cwd), written to a unique temporary name, fsync'd, renamed, and the
 * directory fsync'd, so several worker processes can share the directory and
 * a key is on disk before the client hears about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <psa/crypto.h>

#include "prov_mbed_its.h"

#define PROV_ITS_MAGIC "PITS"
#define PROV_ITS_HDR 12 /* magic, flags, length */
#define PROV_ITS_MAX (1024u * 1024u)

static void
prov_its_name(psa_storage_uid_t uid, char *out, size_t outsz)
{
	snprintf(out, outsz, "%016llx.key", (unsigned long long)uid);
}

/* Reads and checks the header; returns the open fd or -1 with *status set. */
static int
prov_its_open(psa_storage_uid_t uid, struct psa_storage_info_t *info, psa_status_t *status)
{
	uint8_t hdr[PROV_ITS_HDR];
	char name[32];
	struct stat st;
	int fd;

	prov_its_name(uid, name, sizeof(name));
	if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		*status = errno == ENOENT ? PSA_ERROR_DOES_NOT_EXIST : PSA_ERROR_STORAGE_FAILURE;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size < PROV_ITS_HDR ||
	    read(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, PROV_ITS_MAGIC, 4) != 0) {
		close(fd);
		*status = PSA_ERROR_DATA_CORRUPT;
		return -1;
	}
	memcpy(&info->flags, hdr + 4, 4);
	memcpy(&info->size, hdr + 8, 4);
	if (info->size > PROV_ITS_MAX || (off_t)info->size != st.st_size - PROV_ITS_HDR) {
		close(fd);
		*status = PSA_ERROR_DATA_CORRUPT;
		return -1;
	}
	return fd;
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

psa_status_t
psa_its_get(psa_storage_uid_t uid, uint32_t offset, uint32_t length, void *data,
    size_t *data_length)
{
	struct psa_storage_info_t info;
	psa_status_t status;
	ssize_t n;
	int fd = prov_its_open(uid, &info, &status);

	if (fd == -1)
		return status;
	if (offset > info.size || length > info.size - offset) {
		close(fd);
		return PSA_ERROR_INVALID_ARGUMENT;
	}
	n = pread(fd, data, length, PROV_ITS_HDR + (off_t)offset);
	close(fd);
	if (n != (ssize_t)length)
		return PSA_ERROR_STORAGE_FAILURE;
	if (data_length != NULL)
		*data_length = length;
	return PSA_SUCCESS;
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

psa_status_t
psa_its_set(psa_storage_uid_t uid, uint32_t length, const void *data,
    psa_storage_create_flags_t flags)
{
	static unsigned counter;
	struct psa_storage_info_t info;
	uint8_t hdr[PROV_ITS_HDR];
	char name[32], tmp[64];
	psa_status_t status;
	int fd;

	if (length > PROV_ITS_MAX)
		return PSA_ERROR_INSUFFICIENT_STORAGE;
	if ((fd = prov_its_open(uid, &info, &status)) != -1) {
		close(fd);
		if (info.flags & PROV_ITS_FLAG_WRITE_ONCE)
			return PSA_ERROR_NOT_PERMITTED;
	}
	prov_its_name(uid, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), ".%s.%ld.%u.tmp", name, (long)getpid(), counter++);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1)
		return errno == ENOSPC || errno == EDQUOT ? PSA_ERROR_INSUFFICIENT_STORAGE :
		    PSA_ERROR_STORAGE_FAILURE;
	memcpy(hdr, PROV_ITS_MAGIC, 4);
	memcpy(hdr + 4, &flags, 4);
	memcpy(hdr + 8, &length, 4);
	if (prov_its_write_all(fd, hdr, sizeof(hdr)) == -1 ||
	    prov_its_write_all(fd, data, length) == -1 || fsync(fd) == -1) {
		status = errno == ENOSPC || errno == EDQUOT ? PSA_ERROR_INSUFFICIENT_STORAGE :
		    PSA_ERROR_STORAGE_FAILURE;
		close(fd);
		unlink(tmp);
		return status;
	}
	close(fd);
	if (rename(tmp, name) == -1) {
		unlink(tmp);
		return PSA_ERROR_STORAGE_FAILURE;
	}
	return prov_its_sync_dir();
}

psa_status_t
psa_its_remove(psa_storage_uid_t uid)
{
	struct psa_storage_info_t info;
	psa_status_t status;
	char name[32];
	int fd;

	if ((fd = prov_its_open(uid, &info, &status)) == -1 && status == PSA_ERROR_DOES_NOT_EXIST)
		return status;
	if (fd != -1) {
		close(fd);
		if (info.flags & PROV_ITS_FLAG_WRITE_ONCE)
			return PSA_ERROR_NOT_PERMITTED;
	}
	prov_its_name(uid, name, sizeof(name));
	if (unlink(name) == -1)
		return errno == ENOENT ? PSA_ERROR_DOES_NOT_EXIST : PSA_ERROR_STORAGE_FAILURE;
	return prov_its_sync_dir();
}
