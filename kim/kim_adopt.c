/* SPDX-License-Identifier: Apache-2.0 */
/* Upstream Parsec's SQLite mappings read, and adopted keys written, in the open key store. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "key_ref.h"
#include "kim_adopt.h"
#include "log.h"

/* Upstream 1.x writes schema_version 1 and key id and attribute versions 1. */
#define KIM_UPSTREAM_VERSION 1

static sqlite3_stmt *
kim_adopt_prepare(const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(kim_sqlite(), sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("key store: %s", sqlite3_errmsg(kim_sqlite()));
		return NULL;
	}
	return st;
}

/* Whether a schema of the store ("main", or "upstream" once attached) has a table. */
static int
kim_adopt_has_table_in(const char *schema, const char *table)
{
	char sql[128];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s.sqlite_master WHERE type = 'table' AND "
	    "name = ?1", schema);
	if ((st = kim_adopt_prepare(sql)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
kim_adopt_has_table(const char *table)
{
	return kim_adopt_has_table_in("main", table);
}

int
kim_adopt_is_upstream(void)
{
	int r = kim_adopt_has_table("key_mapping");

	return r == 0 ? kim_adopt_has_table("kim_metadata") : r;
}

static void
kim_adopt_text(sqlite3_stmt *st, int col, char *out, size_t outsz, const char **unusable)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	size_t len = (size_t)sqlite3_column_bytes(st, col);

	out[0] = '\0';
	if (text == NULL || len == 0 || len >= outsz || memchr(text, '\0', len) != NULL) {
		*unusable = "a name or provider that is empty, too long or not text";
		return;
	}
	memcpy(out, text, len + 1);
}

static void
kim_adopt_row(sqlite3_stmt *st, struct kim_upstream_row *row, int schema_ok)
{
	const void *blob = sqlite3_column_blob(st, 5);

	memset(row, 0, sizeof(*row));
	row->auth_type = (uint32_t)sqlite3_column_int64(st, 0);
	kim_adopt_text(st, 1, row->app, sizeof(row->app), &row->unusable);
	kim_adopt_text(st, 2, row->name, sizeof(row->name), &row->unusable);
	kim_adopt_text(st, 3, row->provider_uuid, sizeof(row->provider_uuid), &row->unusable);
	kim_adopt_text(st, 4, row->provider_name, sizeof(row->provider_name), &row->unusable);
	row->key_id_len = (size_t)sqlite3_column_bytes(st, 5);
	if (blob == NULL || row->key_id_len == 0 || row->key_id_len > sizeof(row->key_id)) {
		row->key_id_len = 0;
		row->unusable = "a key id that is empty or too long";
	} else {
		memcpy(row->key_id, blob, row->key_id_len);
	}
	blob = sqlite3_column_blob(st, 8);
	row->attributes_len = (size_t)sqlite3_column_bytes(st, 8);
	if (blob == NULL || row->attributes_len > sizeof(row->attributes))
		row->attributes_len = 0;
	else
		memcpy(row->attributes, blob, row->attributes_len);
	if (!schema_ok)
		row->unusable = "upstream's key store schema is not version 1";
	else if (sqlite3_column_int64(st, 6) != KIM_UPSTREAM_VERSION ||
	    sqlite3_column_int64(st, 7) != KIM_UPSTREAM_VERSION)
		row->unusable = "a key id or attribute encoding other than version 1";
}

/* 1 if kim_metadata says schema version 1, 0 otherwise, -1 on error. */
static int
kim_adopt_schema_ok(void)
{
	sqlite3_stmt *st;
	int rc, ok = 0;

	if ((rc = kim_adopt_has_table_in("upstream", "kim_metadata")) != 1)
		return rc;
	if ((st = kim_adopt_prepare("SELECT int_value FROM upstream.kim_metadata WHERE id = "
	    "'schema_version'")) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		ok = sqlite3_column_int64(st, 0) == KIM_UPSTREAM_VERSION;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ok : -1;
}

static int
kim_upstream_read(int (*cb)(const struct kim_upstream_row *row, void *arg), void *arg)
{
	static struct kim_upstream_row row;
	sqlite3_stmt *st;
	int rc, schema_ok;

	if ((rc = kim_adopt_has_table_in("upstream", "key_mapping")) != 1)
		return rc;
	if ((schema_ok = kim_adopt_schema_ok()) == -1)
		return -1;
	if ((st = kim_adopt_prepare("SELECT authenticator_id, application_name, key_name, "
	    "provider_uuid, provider_name, key_id, key_id_version, key_attributes_version, "
	    "key_attributes FROM upstream.key_mapping ORDER BY authenticator_id, application_name, "
	    "key_name")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		kim_adopt_row(st, &row, schema_ok);
		if (cb(&row, arg) == -1) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	sqlite3_finalize(st);
	explicit_bzero(&row, sizeof(row)); /* a TPM key id carries the key's auth value */
	return rc == SQLITE_DONE ? 0 : -1;
}

int
kim_upstream_rows(int (*cb)(const struct kim_upstream_row *row, void *arg), void *arg)
{
	int r = cb != NULL ? kim_upstream_read(cb, arg) : 0;

	/* Read once: what follows writes to our store, which a read-only schema would lock. */
	return kim_exec("DETACH upstream") == -1 ? -1 : r;
}

/* 1 if the query on (auth_type, app, name) finds a row, 0 if not (or no table), -1. */
static int
kim_adopt_exists(const char *table, const char *sql, uint32_t auth_type, const char *app,
    const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = kim_adopt_has_table(table)) != 1)
		return rc;
	if ((st = kim_adopt_prepare(sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, auth_type);
	sqlite3_bind_text(st, 2, app, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
kim_adopt_state(uint32_t auth_type, const char *app, const char *name)
{
	int r;

	if ((r = kim_adopt_exists("adopted", "SELECT 1 FROM adopted WHERE auth_type = ?1 AND "
	    "app = ?2 AND name = ?3", auth_type, app, name)) != 0)
		return r == 1 ? KIM_ADOPT_DONE : -1;
	if ((r = kim_adopt_exists("keys", "SELECT 1 FROM keys WHERE auth_type = ?1 AND app = ?2 "
	    "AND name = ?3", auth_type, app, name)) != 0)
		return r == 1 ? KIM_ADOPT_TAKEN : -1;
	return KIM_ADOPT_NEW;
}

int
kim_adopt_ref_free(uint32_t provider_id, const uint8_t *ref, size_t ref_len)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = kim_adopt_has_table("keys")) != 1)
		return rc == 0 ? 1 : -1;
	if ((st = kim_adopt_prepare("SELECT 1 FROM keys WHERE provider_id = ?1 AND "
	    "key_ref = ?2")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, provider_id);
	sqlite3_bind_blob(st, 2, ref, (int)ref_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 1 : rc == SQLITE_ROW ? 0 : -1;
}

struct kim_adopt_id {
	uint32_t provider_id;
	uint8_t ref[KEY_REF_ID_LEN];
};

static int
kim_adopt_id_body(void *arg)
{
	struct kim_adopt_id *a = arg;

	return kim_take_id(a->provider_id, a->ref);
}

int
kim_adopt_take_id(uint32_t provider_id, uint32_t *id)
{
	struct kim_adopt_id a = { .provider_id = provider_id };

	if (kim_transaction(kim_adopt_id_body, &a) == -1)
		return -1;
	return key_ref_id(a.ref, sizeof(a.ref), id);
}

static int
kim_adopt_step(sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("key store: %s", sqlite3_errmsg(kim_sqlite()));
	return -1;
}

static int
kim_adopt_rows(const struct kim_entry *e, const char *source)
{
	sqlite3_stmt *st;

	if ((st = kim_adopt_prepare("INSERT INTO keys (auth_type, app, name, provider_id, key_ref, "
	    "key_type, key_bits, usage, alg, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "1)")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, e->auth_type);
	sqlite3_bind_text(st, 2, e->app, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, e->provider_id);
	sqlite3_bind_blob(st, 5, e->key_ref, (int)e->key_ref_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, e->attrs.type);
	sqlite3_bind_int64(st, 7, e->attrs.bits);
	sqlite3_bind_int64(st, 8, e->attrs.usage);
	sqlite3_bind_int64(st, 9, e->attrs.alg);
	if (kim_adopt_step(st) == -1)
		return -1;
	st = kim_adopt_prepare("INSERT INTO adopted (auth_type, app, name, source) VALUES (?1, ?2, "
	    "?3, ?4)");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, e->auth_type);
		sqlite3_bind_text(st, 2, e->app, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, e->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
	}
	return kim_adopt_step(st);
}

struct kim_adopt_entry {
	const struct kim_entry *e;
	const char *source;
	int bump_counter;
};

static int
kim_adopt_insert_body(void *arg)
{
	const struct kim_adopt_entry *a = arg;
	sqlite3_stmt *st;
	uint32_t id;

	if (kim_adopt_rows(a->e, a->source) == -1)
		return -1;
	if (!a->bump_counter || key_ref_id(a->e->key_ref, a->e->key_ref_len, &id) == -1)
		return 0;
	/* The counter's next value n hands out id n; it moves past the adopted id. */
	st = kim_adopt_prepare("INSERT INTO key_ids (provider_id, next_id) VALUES (?1, ?2) "
	    "ON CONFLICT(provider_id) DO UPDATE SET next_id = max(next_id, ?2)");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, a->e->provider_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)id + 1);
	}
	return kim_adopt_step(st);
}

int
kim_adopt_insert(const struct kim_entry *e, const char *source, int bump_counter)
{
	struct kim_adopt_entry a = { e, source, bump_counter };

	return kim_transaction(kim_adopt_insert_body, &a);
}

int
kim_adopt_attach(const char *schema, uint8_t *image, size_t len)
{
	if (strcmp(schema, "main") != 0 && kim_exec("ATTACH ':memory:' AS upstream") == -1)
		return -1;
	if (sqlite3_deserialize(kim_sqlite(), schema, image, (sqlite3_int64)len,
	    (sqlite3_int64)len, SQLITE_DESERIALIZE_READONLY) == SQLITE_OK)
		return 0;
	log_warnx("upstream's key store: %s", sqlite3_errmsg(kim_sqlite()));
	return -1;
}

/* Rows of one table: an integer, or -1 (0 when the table is not there). */
static long long
kim_adopt_count(const char *schema, const char *table)
{
	char sql[128];
	sqlite3_stmt *st;
	long long n = -1;
	int rc;

	if ((rc = kim_adopt_has_table_in(schema, table)) != 1)
		return rc;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.%s", schema, table);
	if ((st = kim_adopt_prepare(sql)) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

long long
kim_adopt_own_in_upstream(void)
{
	return kim_adopt_count("upstream", "keys");
}

/*
 * parsecd's tables an earlier version kept in upstream's file, copied into
 * a store that has never served (no identity, no key, no key id, nothing
 * adopted): the keys, the key id counters, the identity, what was adopted.
 */
long long
kim_adopt_migrate(void)
{
	static const char *const copies[][2] = {
		{ "keys", "auth_type, app, name, provider_id, key_ref, key_type, key_bits, usage, "
		    "alg, state" },
		{ "key_ids", "provider_id, next_id" },
		{ "deployment", "id" },
		{ "adopted", "auth_type, app, name, source" },
	};
	char sql[512];
	long long keys;
	size_t i;
	int r;

	if ((keys = kim_adopt_count("upstream", "keys")) <= 0)
		return keys;
	if ((r = kim_empty()) != 1 || kim_adopt_count("main", "deployment") != 0 ||
	    kim_adopt_count("main", "adopted") != 0)
		return r == -1 ? -1 : 0; /* ours has served: migrated by an earlier start */
	/* Deferred: an immediate transaction would lock the read-only snapshot too. */
	if (kim_exec("BEGIN") == -1)
		return -1;
	for (i = 0; i < sizeof(copies) / sizeof(copies[0]); i++) {
		if ((r = kim_adopt_has_table_in("upstream", copies[i][0])) == 0)
			continue;
		snprintf(sql, sizeof(sql), "INSERT INTO main.%s (%s) SELECT %s FROM upstream.%s",
		    copies[i][0], copies[i][1], copies[i][1], copies[i][0]);
		if (r == -1 || kim_exec(sql) == -1) {
			kim_exec("ROLLBACK");
			return -1;
		}
	}
	return kim_exec("COMMIT") == 0 ? keys : -1;
}
