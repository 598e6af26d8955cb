/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upstream Parsec's SQLite key store, only ever read: a snapshot of it in
 * memory (its file with the transactions its write-ahead log committed),
 * and what a configured key store file is, for parsecd, which keeps its own
 * store beside its state when the file is upstream's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "log.h"
#include "sandbox.h"

#define SNAP_MAX ((size_t)256 * 1024 * 1024) /* refused above: no key store is that large */
#define WAL_HDR 32
#define WAL_FRAME_HDR 24

static uint32_t
snap_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A whole file below 256 MiB, not following links: 0, 1 if absent, -1. */
static int
snap_read_file(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	ssize_t n = 0;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	*out = NULL;
	*len = 0;
	if (fd == -1)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SNAP_MAX ||
	    (*out = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (done < (size_t)st.st_size && (n = read(fd, *out + done, (size_t)st.st_size - done))
	    > 0)
		done += (size_t)n;
	close(fd);
	if (n == -1 || done != (size_t)st.st_size) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*len = done;
	return 0;
}

/* SQLite's WAL checksum over len bytes (a multiple of 8), continuing s. */
static void
snap_wal_sum(const uint8_t *p, size_t len, int big, uint32_t s[2])
{
	size_t i;
	uint32_t a, b;

	for (i = 0; i + 8 <= len; i += 8) {
		a = big ? snap_be32(p + i) : (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
		    (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
		b = big ? snap_be32(p + i + 4) : (uint32_t)p[i + 4] | (uint32_t)p[i + 5] << 8 |
		    (uint32_t)p[i + 6] << 16 | (uint32_t)p[i + 7] << 24;
		s[0] += a + s[1];
		s[1] += b + s[0];
	}
}

/* How many bytes of the log hold committed frames (0: none), their page size in *psz. */
static size_t
snap_wal_committed(const uint8_t *wal, size_t len, uint32_t *psz)
{
	uint32_t magic, s[2] = { 0, 0 };
	size_t off, end = 0;
	int big;

	if (len < WAL_HDR)
		return 0;
	magic = snap_be32(wal);
	*psz = snap_be32(wal + 8);
	if ((magic & ~1u) != 0x377f0682 || *psz < 512 || *psz > 65536 || (*psz & (*psz - 1)))
		return 0;
	big = (int)(magic & 1);
	snap_wal_sum(wal, 24, big, s);
	if (s[0] != snap_be32(wal + 24) || s[1] != snap_be32(wal + 28))
		return 0;
	for (off = WAL_HDR; off + WAL_FRAME_HDR + *psz <= len; off += WAL_FRAME_HDR + *psz) {
		const uint8_t *f = wal + off;

		if (memcmp(f + 8, wal + 16, 8) != 0)
			break; /* salts of an earlier log generation */
		snap_wal_sum(f, 8, big, s);
		snap_wal_sum(f + WAL_FRAME_HDR, *psz, big, s);
		if (s[0] != snap_be32(f + 16) || s[1] != snap_be32(f + 20))
			break;
		if (snap_be32(f + 4) != 0)
			end = off + WAL_FRAME_HDR + *psz; /* a commit */
	}
	return end;
}

/* The committed frames of the log written over the database image. */
static int
snap_apply_wal(struct adopt_snapshot *snap, const uint8_t *wal, size_t wal_len)
{
	uint32_t psz = 0, pgno, pages = 0;
	size_t end = snap_wal_committed(wal, wal_len, &psz), off, size;
	uint8_t *grown;

	for (off = WAL_HDR; off < end; off += WAL_FRAME_HDR + psz) {
		pgno = snap_be32(wal + off);
		if (pgno == 0 || (uint64_t)pgno * psz > SNAP_MAX)
			return -1;
		if (snap_be32(wal + off + 4) != 0)
			pages = snap_be32(wal + off + 4);
		size = (size_t)pgno * psz;
		if (size > snap->len) {
			if ((grown = realloc(snap->data, size)) == NULL)
				return -1;
			memset(grown + snap->len, 0, size - snap->len);
			snap->data = grown;
			snap->len = size;
		}
		memcpy(snap->data + (size_t)(pgno - 1) * psz, wal + off + WAL_FRAME_HDR, psz);
	}
	if (end > 0 && (size_t)pages * psz < snap->len)
		snap->len = (size_t)pages * psz; /* the size the last commit gave the database */
	return 0;
}

int
adopt_snapshot_read(const char *path, struct adopt_snapshot *snap, int *hot_journal)
{
	static const uint8_t journal_magic[] = { 0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7 };
	char side[CFG_LONGPATH_MAX + 16];
	uint8_t *extra;
	size_t extra_len;
	int r;

	memset(snap, 0, sizeof(*snap));
	*hot_journal = 0;
	if ((r = snap_read_file(path, &snap->data, &snap->len)) != 0)
		return r;
	snprintf(side, sizeof(side), "%s-wal", path);
	if (snap_read_file(side, &extra, &extra_len) == 0) {
		r = snap_apply_wal(snap, extra, extra_len);
		explicit_bzero(extra, extra_len);
		free(extra);
		if (r == -1)
			return -1;
	}
	snprintf(side, sizeof(side), "%s-journal", path);
	if (snap_read_file(side, &extra, &extra_len) == 0) {
		*hot_journal = extra_len >= sizeof(journal_magic) &&
		    memcmp(extra, journal_magic, sizeof(journal_magic)) == 0;
		free(extra);
	}
	/* The image says "legacy journal", or SQLite would look for the log beside it. */
	if (snap->len >= 100 && snap->data[18] == 2 && snap->data[19] == 2)
		snap->data[18] = snap->data[19] = 1;
	return 0;
}

void
adopt_snapshot_free(struct adopt_snapshot *snap)
{
	if (snap->data != NULL)
		explicit_bzero(snap->data, snap->len);
	free(snap->data);
	memset(snap, 0, sizeof(*snap));
}

/*
 * A file of brokerd's user alone, as parsecd's own store always is, has its
 * schema read in place as that user, under the filter: the few pages that
 * say whose it is, not the whole file (a million keys' store is 122 MB and
 * one over SNAP_MAX would be refused). 1 with *kind set (once filtered, its
 * answer is final), or 0 when it is not such a file or SQLite cannot open it
 * (the caller then reads a snapshot, as for upstream's files).
 */
static int
snap_classify_in_place(const char *path, uid_t uid, gid_t gid, int *kind)
{
	struct stat st;
	int r;

	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
	    st.st_nlink != 1 || adopt_priv_drop(NULL, uid, gid) == -1 || kim_open_readonly(path) == -1)
		return 0;
	sandbox_seccomp_adopt();
	adopt_priv_forbidden("classify");
	r = kim_adopt_is_upstream();
	kim_close();
	*kind = r == -1 ? CFG_STORE_UNREADABLE : r == 1 ? CFG_STORE_UPSTREAM : CFG_STORE_OURS;
	return 1;
}

/*
 * What the file at path is (enum cfg_store_kind). Its rows (a TPM key's
 * blobs among them) are parsed under the adoption's filter, after the read.
 */
int
adopt_snap_classify(const char *path, uid_t uid, gid_t gid)
{
	struct adopt_snapshot snap;
	int hot, r;

	if (snap_classify_in_place(path, uid, gid, &r))
		return r;
	if ((r = adopt_snapshot_read(path, &snap, &hot)) == 1)
		return CFG_STORE_ABSENT;
	if (r == -1 || snap.len == 0) {
		adopt_snapshot_free(&snap);
		return r == -1 ? CFG_STORE_UNREADABLE : CFG_STORE_OURS; /* empty: the start made it */
	}
	/* The file is brokerd's user's to write: parsed as that user, never as root. */
	if (adopt_priv_drop(NULL, uid, gid) == -1 || kim_open_readonly(":memory:") == -1)
		r = CFG_STORE_UNREADABLE;
	else {
		sandbox_seccomp_adopt();
		adopt_priv_forbidden("classify");
		if (kim_adopt_attach("main", snap.data, snap.len) == -1)
			r = CFG_STORE_UNREADABLE;
		else if ((r = kim_adopt_is_upstream()) != -1)
			r = r == 1 ? CFG_STORE_UPSTREAM : CFG_STORE_OURS;
		else
			r = CFG_STORE_UNREADABLE;
	}
	kim_close();
	adopt_snapshot_free(&snap);
	return r;
}
