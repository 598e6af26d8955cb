/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key store's side of adopting upstream Parsec's keys: upstream's own
 * SQLite mappings (its key_mapping table, read, never written) and our
 * record of what was adopted, so a key is adopted once and never again.
 */
#ifndef PARSEC_KIM_ADOPT_H
#define PARSEC_KIM_ADOPT_H

#include <stddef.h>
#include <stdint.h>

#include "kim.h"

#define KIM_UPSTREAM_ID_MAX 4096
#define KIM_UPSTREAM_ATTRS_MAX 256

/* One row of upstream's key_mapping table. */
struct kim_upstream_row {
	uint32_t auth_type;
	char app[OP_NAME_MAX];
	char name[OP_NAME_MAX];
	char provider_uuid[64];
	char provider_name[OP_NAME_MAX];
	uint8_t key_id[KIM_UPSTREAM_ID_MAX];
	size_t key_id_len;
	uint8_t attributes[KIM_UPSTREAM_ATTRS_MAX]; /* bincode of psa-crypto's Attributes */
	size_t attributes_len;
	const char *unusable; /* why the row cannot be adopted, or NULL */
};

enum kim_adopt_state {
	KIM_ADOPT_NEW = 0,   /* neither in our store nor adopted before */
	KIM_ADOPT_TAKEN = 1, /* the name is ours already: a conflict */
	KIM_ADOPT_DONE = 2,  /* adopted by an earlier start (even if destroyed since) */
};

/*
 * Upstream's key store, a snapshot of its file in memory (kept by the caller
 * until kim_close), opened read-only in the open store as schema "upstream";
 * or, with schema "main", as the open store itself (kim_open_readonly(":memory:")
 * first): a dry run reads what an earlier version kept in upstream's file.
 */
int kim_adopt_attach(const char *schema, uint8_t *image, size_t len);
/* 1 if the open store has upstream's tables (key_mapping, kim_metadata), 0 if not, -1. */
int kim_adopt_is_upstream(void);
/* parsecd's own keys an earlier version kept in upstream's file: a count, or -1. */
long long kim_adopt_own_in_upstream(void);
/*
 * Those keys, with their key id counters, deployment identity and record of
 * adoptions, copied into the open store if it has never served; one
 * transaction. The number of keys copied (0: nothing to do), or -1.
 */
long long kim_adopt_migrate(void);
/*
 * Calls cb (unless NULL) for every row of upstream's key_mapping table (schema
 * "upstream", detached once read);
 * 0 (also when upstream's tables are not there), -1 on error.
 */
int kim_upstream_rows(int (*cb)(const struct kim_upstream_row *row, void *arg), void *arg);
/* What our store says of a name: an enum kim_adopt_state, or -1. */
int kim_adopt_state(uint32_t auth_type, const char *app, const char *name);
/* 1 if no entry of the provider has this key reference, 0 if one does, -1 on error. */
int kim_adopt_ref_free(uint32_t provider_id, const uint8_t *ref, size_t ref_len);
/* A fresh key id from the provider's counter. */
int kim_adopt_take_id(uint32_t provider_id, uint32_t *id);
/*
 * The entry, active at once, recorded as adopted from source, and with
 * bump_counter the provider's counter moved past its 4-byte key id (a key
 * id our counter could give again); one transaction.
 */
int kim_adopt_insert(const struct kim_entry *e, const char *source, int bump_counter);

#endif
