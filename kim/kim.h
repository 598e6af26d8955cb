/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Key Info Manager: (authenticator, application, key name) to a
 * provider's opaque key reference and the key's attributes, in SQLite.
 * Every write is durable (synchronous=FULL) before the caller answers; writes
 * made together may share one commit (kim_group_begin).
 */
#ifndef PARSEC_KIM_H
#define PARSEC_KIM_H

#include <stddef.h>
#include <stdint.h>

#include "op.h"

#define KIM_KEY_REF_MAX 4096

enum kim_state {
	KIM_PENDING = 0,    /* creation sent to the provider, not confirmed */
	KIM_ACTIVE = 1,     /* usable */
	KIM_DESTROYING = 2, /* destruction sent to the provider, not confirmed */
};

struct kim_entry {
	uint32_t auth_type;
	char app[OP_NAME_MAX];
	char name[OP_NAME_MAX];
	uint32_t provider_id;
	uint8_t key_ref[KIM_KEY_REF_MAX];
	size_t key_ref_len;
	struct op_key_attrs attrs;
	enum kim_state state;
	uint64_t bytes; /* imported material's length (0: counted from bits) */
	/*
	 * A volatile key: the id of the connection that made it (frontd's, for
	 * this start of brokerd); 0: a persistent key. Read by kim_get only.
	 */
	uint64_t volatile_conn;
};

/*
 * Opens (or makes) the key store as the service user, without following a
 * link, and locks it against a second instance; its files must be ours.
 */
int kim_open(const char *path);
/* The deployment identity the key store carries: 0 (in id), 1 none yet, -1 error. */
int kim_deployment(char *id, size_t idsz);
int kim_set_deployment(const char *id);
/* 1 if the key store has never held a key, 0 if it has, -1 on error. */
int kim_empty(void);
/* Whether the last failure was a full file system (SQLITE_FULL). */
int kim_full(void);
void kim_close(void);
/* Read-only, unlocked, no schema made: for parsecd --adopt-dry-run. */
int kim_open_readonly(const char *path);
/* The open key store, for the adoption of upstream's keys (kim_adopt.c). */
struct sqlite3 *kim_sqlite(void);
/* Runs one statement without results on the open store (the error logged): 0 or -1. */
int kim_exec(const char *sql);
/*
 * body(arg) inside BEGIN IMMEDIATE and COMMIT, rolled back unless both
 * succeed: 0 or -1. Inside a group, under a savepoint of the group's
 * transaction instead: durable only with the group's commit.
 */
int kim_transaction(int (*body)(void *arg), void *arg);
/*
 * A group commit: writes between kim_group_begin and kim_group_commit share
 * one transaction and one sync. kim_in_group says whether it is still open
 * (SQLite ends it on some failures, such as a full disk, and a write made
 * after that would be made durable alone: the caller stops writing).
 * kim_group_commit returns 0 once all of them are durable, -1 if none is
 * (rolled back; *full set for a full file system).
 */
int kim_group_begin(void);
int kim_in_group(void);
int kim_group_commit(int *full);
/* Inside a transaction: the next free key id of a provider (4 bytes into key_ref). */
int kim_take_id(uint32_t provider_id, uint8_t *key_ref);

/* 0 found (any state, see e->state), 1 not found, -1 error. */
int kim_get(uint32_t auth_type, const char *app, const char *name, struct kim_entry *e);

/*
 * Phase one of creation: reserves the name with a fresh key id for the
 * provider (4 bytes, little endian, in 1..0x3fffffff, one no entry names,
 * from a counter that never goes back) as a pending entry.
 * Returns 0, 1 if the name is taken (in any provider), -1 on error.
 */
int kim_begin_create(const struct kim_entry *e, uint8_t *key_ref, size_t *key_ref_len);
/* Keys (any state) of one application and the bytes they store: 0, or -1 on error. */
int kim_usage(uint32_t auth_type, const char *app, uint64_t *keys, uint64_t *bytes);
/*
 * The provider already holds material under the proposed id (an orphan):
 * the pending entry takes the next free id, written to key_ref.
 */
int kim_retake_id(uint32_t auth_type, const char *app, const char *name, uint32_t provider_id,
    uint8_t *key_ref, size_t *key_ref_len);
/* Phase two: the provider confirmed; ref replaces the proposed one if given. */
int kim_commit_create(uint32_t auth_type, const char *app, const char *name,
    const uint8_t *key_ref, size_t key_ref_len);
/* Removes an entry in any state. */
int kim_remove(uint32_t auth_type, const char *app, const char *name);
int kim_mark_destroying(uint32_t auth_type, const char *app, const char *name);

typedef int (*kim_entry_cb)(const struct kim_entry *e, void *arg);
/* Active keys of one application, by name. */
int kim_list_keys(uint32_t auth_type, const char *app, kim_entry_cb cb, void *arg);
/* Applications with at least one key under this authenticator. */
int kim_list_clients(uint32_t auth_type, int (*cb)(const char *app, void *arg), void *arg);
/* Every key of one application (for DeleteClient), any state. */
int kim_list_all_of(uint32_t auth_type, const char *app, kim_entry_cb cb, void *arg);
/* Entries of one provider left pending or destroying (start-up reconciliation). */
int kim_list_unsettled(uint32_t provider_id, kim_entry_cb cb, void *arg);

/*
 * Volatile keys. kim_list_volatile walks those a connection made (any
 * state); kim_count_volatile counts them (-1 on error). kim_drop_volatile,
 * at brokerd's start, marks every volatile key destroying (start-up
 * reconciliation destroys them) under a connection id no connection has:
 * the number marked, or -1.
 */
int kim_list_volatile(uint64_t conn_id, kim_entry_cb cb, void *arg);
long kim_count_volatile(uint64_t conn_id);
long kim_drop_volatile(void);

#endif
