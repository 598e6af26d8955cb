/* SPDX-License-Identifier: Apache-2.0 */
/* What the adoption of upstream Parsec's keys shares between adopt.c and adopt_ondisk.c. */
#ifndef PARSECD_ADOPT_H
#define PARSECD_ADOPT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "../brokerd/broker_kim_adopt.h"
#include "config.h"

#define ADOPT_NO_PROVIDER "a provider this build does not have (CryptoAuthLib, Trusted Service)"
/* parsecd's own key store, below state_dir, when sqlite_db_path names upstream's. */
#define ADOPT_OWN_STORE "parsecd-kim/sqlite-key-info-manager.sqlite3"
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

struct adopt_key *adopt_add_key(struct adopt_run *run);
/*
 * Upstream's bincode of a key's attributes to PSA values (adopt_bincode.c):
 * 0, or -1 for what is not a persistent RSA or ECC key with an asymmetric
 * algorithm (all the PKCS#11 and TPM providers make).
 */
int adopt_bincode_attrs(const uint8_t *in, size_t len, struct op_key_attrs *attrs);
/* Upstream's OnDisk mappings below km->store_path (adopt_ondisk.c): 0, or -1 on error. */
int adopt_read_on_disk(struct adopt_run *run);

/*
 * Reads the SQLite file at path and its write-ahead log into a snapshot, as
 * SQLite would see the last commit; *hot_journal says a rollback journal
 * holds an unfinished transaction. 0, 1 if the file is absent, -1.
 */
int adopt_snapshot_read(const char *path, struct adopt_snapshot *snap, int *hot_journal);
void adopt_snapshot_free(struct adopt_snapshot *snap);

#endif
