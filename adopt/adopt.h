/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The adoption helper, parsec-adopt: what adopting upstream Parsec's keys
 * shares between its files, and its jobs (adopt_main.c runs one).
 */
#ifndef PARSECD_ADOPT_H
#define PARSECD_ADOPT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "kim_adopt.h"

#define ADOPT_NO_PROVIDER "a provider this build does not have (CryptoAuthLib, Trusted Service)"
#define ADOPT_REASONS 8 /* distinct reasons for skipping a key, in the summary */

/* One key file upstream's Mbed Crypto provider left: PSA key id and the data mbedtls stored. */
struct adopt_file {
	uint32_t id;
	uint32_t flags;
	uint8_t *data; /* NULL when the file is not an mbedtls ITS file */
	size_t len;
};

/* One key upstream's key store maps. */
struct adopt_key {
	uint32_t auth_type;
	char app[OP_NAME_MAX];
	char name[OP_NAME_MAX];
	enum cfg_provider_kind kind;      /* 0: a provider this build lacks */
	char provider_name[OP_NAME_MAX];  /* SQLite only: OnDisk keys name a provider kind */
	uint8_t key_id[KIM_UPSTREAM_ID_MAX];
	size_t key_id_len;
	uint8_t attributes[KIM_UPSTREAM_ATTRS_MAX]; /* bincode, as upstream stored them */
	size_t attributes_len;
	const char *unusable;             /* why it cannot be adopted, or NULL */
};

/* Upstream's SQLite file as committed (its WAL applied), in memory. */
struct adopt_snapshot {
	uint8_t *data;
	size_t len;
};

struct adopt_run {
	const struct parsec_config *cfg;
	const struct cfg_key_manager *km;
	int dry_run;
	uid_t uid; /* the key store's owner, who writes it (as root, else ourselves) */
	gid_t gid;
	int store_open;
	int own_store_absent; /* dry run: our store is not made yet, upstream's file stands in */
	char cwd[PATH_MAX];
	const char *source_kind, *source;
	struct adopt_file *files;
	size_t file_count;
	struct adopt_key *keys;
	size_t key_count;
	struct adopt_snapshot snap; /* upstream's SQLite store, when sqlite_db_path was it */
	unsigned adopted[CFG_PROVIDER_MAX];
	unsigned already, conflicts, skipped;
	struct {
		const char *text;
		unsigned count;
	} reasons[ADOPT_REASONS];
	size_t reason_count;
};

/*
 * adopt_run.c, for the run's files: a new upstream key in the run, the
 * authenticator's name, a skip counted and said, the provider's directory
 * below state_dir (-1, said unless a dry run), a new entry.
 */
struct adopt_key *adopt_add_key(struct adopt_run *run);
const char *adopt_auth(const struct adopt_key *k);
void adopt_count_skip(struct adopt_run *run, const struct adopt_key *k, const char *reason,
    const char *detail);
int adopt_state_dir(const struct adopt_run *run, const struct cfg_provider *p);
void adopt_entry(struct kim_entry *e, const struct adopt_key *k, const struct cfg_provider *p);
/* One TPM key (adopt_tpm.c): 0 adopted (or would be), 1 skipped, -1 failure. */
int adopt_tpm(struct adopt_run *run, const struct adopt_key *k, const struct cfg_provider *p);
/*
 * Upstream's bincode of a key's attributes to PSA values (adopt_bincode.c):
 * 0, or -1 for what is not a persistent RSA or ECC key with an asymmetric
 * algorithm (all the PKCS#11 and TPM providers make).
 */
int adopt_bincode_attrs(const uint8_t *in, size_t len, struct op_key_attrs *attrs);
/* What upstream's TPM provider keeps of a key (pointers into the key id). */
struct adopt_tpm_id {
	int legacy;            /* a saved context and a password only (before 1.0) */
	int rsa;               /* else ECC */
	const uint8_t *auth, *x, *y, *priv;
	size_t auth_len, x_len, y_len, priv_len; /* x: the RSA modulus or ECC x */
};
/* Upstream's bincode of a TPM key id (adopt_bincode.c): 0, or -1 if malformed. */
int adopt_bincode_tpm(const uint8_t *in, size_t len, struct adopt_tpm_id *id);
/* Upstream's OnDisk mappings below km->store_path (adopt_ondisk.c): 0, or -1 on error. */
int adopt_read_on_disk(struct adopt_run *run);

/*
 * Reads the SQLite file at path and its write-ahead log into a snapshot, as
 * SQLite would see the last commit; *hot_journal says a rollback journal
 * holds an unfinished transaction. 0, 1 if the file is absent, -1.
 */
int adopt_snapshot_read(const char *path, struct adopt_snapshot *snap, int *hot_journal);
void adopt_snapshot_free(struct adopt_snapshot *snap);

/*
 * The helper's jobs. Upstream's keys into ours, written as uid:gid, or with
 * dry_run printed, not done (adopt.c): 1 if keys were adopted (not on a dry
 * run), 0 if none, or -1 if our key store could not be read or written. What the file at path is, an enum cfg_store_kind, parsed
 * as uid:gid (adopt_snap.c). The key material no key store entry names, printed; the
 * exit status (orphans.c).
 */
int adopt_keys(const struct parsec_config *cfg, int dry_run, uid_t uid, gid_t gid);
/*
 * Just after the filter is loaded: in the test build, if PARSEC_FORBIDDEN
 * names job, a call the filter forbids (adopt_priv.c); nothing otherwise.
 */
void adopt_priv_forbidden(const char *job);
int adopt_snap_classify(const char *path, uid_t uid, gid_t gid);
/*
 * Run as root: becomes uid:gid, with user's groups (NULL: none); not root, stays
 * who it is (adopt_priv.c). 0, or -1 (said).
 */
int adopt_priv_drop(const char *user, uid_t uid, gid_t gid);
int orphans_list(const struct parsec_config *cfg);
/*
 * As root, before parsecd makes a thing: whether each role's user reaches the
 * paths it opens by name once it is no longer root; the start stops naming the
 * path, the user and the directory in the way (adopt_reach.c).
 */
void adopt_reach(const struct parsec_config *cfg);

#endif
