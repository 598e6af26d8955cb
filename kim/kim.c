/* SPDX-License-Identifier: Apache-2.0 */
/* The Key Info Manager on SQLite: prepared statements, durable writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "key_ref.h"
#include "kim.h"
#include "log.h"

/*
 * Key ids: a 64-bit counter per provider that only grows, mapped onto the
 * providers' id space 1..0x3fffffff (PSA's user range for persistent keys).
 * Once the counter has gone round that space (2^30 creations), an id that
 * any entry still names is skipped, and a provider never makes a key over
 * material it already holds: it answers AlreadyExists and the key takes the
 * next id (broker_route.c).
 */
#define KIM_MAX_KEY_ID 0x3fffffffu
#define KIM_ID_TRIES 64

static sqlite3 *kim_db;
static int kim_lock_fd = -1;

enum kim_stmt {
	ST_GET,
	ST_INSERT,
	ST_COMMIT,
	ST_REMOVE,
	ST_MARK_DESTROYING,
	ST_LIST_KEYS,
	ST_LIST_CLIENTS,
	ST_LIST_ALL_OF,
	ST_LIST_UNSETTLED,
	ST_NEXT_ID,
	ST_BUMP_ID,
	ST_ID_IN_USE,
	ST_SET_REF,
	ST_GET_DEPLOYMENT,
	ST_SET_DEPLOYMENT,
	ST_ANY_ROW,
	ST_USAGE,
	ST_LIST_VOLATILE,
	ST_COUNT_VOLATILE,
	ST_COUNT
};

static const char *const kim_sql[ST_COUNT] = {
	[ST_GET] = "SELECT provider_id, key_ref, key_type, key_bits, usage, alg, state, conn_id "
		   "FROM keys WHERE auth_type = ?1 AND app = ?2 AND name = ?3",
	[ST_INSERT] = "INSERT INTO keys (auth_type, app, name, provider_id, key_ref, key_type, "
		      "key_bits, usage, alg, state, bytes, conn_id) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11)",
	[ST_COMMIT] = "UPDATE keys SET state = 1, key_ref = ?4 WHERE auth_type = ?1 AND app = ?2 "
		      "AND name = ?3 AND state = 0",
	[ST_REMOVE] = "DELETE FROM keys WHERE auth_type = ?1 AND app = ?2 AND name = ?3",
	[ST_MARK_DESTROYING] = "UPDATE keys SET state = 2 WHERE auth_type = ?1 AND app = ?2 "
			       "AND name = ?3",
	[ST_LIST_KEYS] = "SELECT name, provider_id, key_ref, key_type, key_bits, usage, alg, state "
			 "FROM keys WHERE auth_type = ?1 AND app = ?2 AND state = 1 ORDER BY name",
	/* One row per application with a key (any state), kept by the usage triggers. */
	[ST_LIST_CLIENTS] = "SELECT app FROM app_usage WHERE auth_type = ?1 ORDER BY app",
	[ST_LIST_ALL_OF] = "SELECT name, provider_id, key_ref, key_type, key_bits, usage, alg, "
			   "state FROM keys WHERE auth_type = ?1 AND app = ?2 ORDER BY name",
	/* "state != 1" as keys_unsettled says it, so that SQLite searches that index. */
	[ST_LIST_UNSETTLED] = "SELECT name, provider_id, key_ref, key_type, key_bits, usage, alg, "
			      "state, auth_type, app FROM keys WHERE provider_id = ?1 AND "
			      "state != 1",
	[ST_NEXT_ID] = "SELECT next_id FROM key_ids WHERE provider_id = ?1",
	[ST_BUMP_ID] = "INSERT INTO key_ids (provider_id, next_id) VALUES (?1, ?2) "
		       "ON CONFLICT(provider_id) DO UPDATE SET next_id = ?2",
	[ST_ID_IN_USE] = "SELECT 1 FROM keys WHERE provider_id = ?1 AND key_ref = ?2",
	[ST_SET_REF] = "UPDATE keys SET key_ref = ?4 WHERE auth_type = ?1 AND app = ?2 "
		       "AND name = ?3 AND state = 0",
	[ST_GET_DEPLOYMENT] = "SELECT id FROM deployment",
	[ST_SET_DEPLOYMENT] = "INSERT INTO deployment (id) VALUES (?1)",
	[ST_ANY_ROW] = "SELECT 1 FROM keys UNION ALL SELECT 1 FROM key_ids LIMIT 1",
	/* A key's size: its imported material, or at least its bits (generated, adopted). */
	[ST_USAGE] = "SELECT keys, bytes FROM app_usage WHERE auth_type = ?1 AND app = ?2",
	/*
	 * "conn_id != 0" lets SQLite use the partial index keys_volatile: with a
	 * bound conn_id alone it cannot tell the index applies and scans the store
	 * (at each volatile creation's count and each such connection's close).
	 */
	[ST_LIST_VOLATILE] = "SELECT name, provider_id, key_ref, key_type, key_bits, usage, alg, "
			     "state, auth_type, app FROM keys WHERE conn_id = ?1 AND conn_id != 0",
	[ST_COUNT_VOLATILE] = "SELECT COUNT(*) FROM keys WHERE conn_id = ?1 AND conn_id != 0",
};

static sqlite3_stmt *kim_stmts[ST_COUNT];

static sqlite3_stmt *kim_stmt(enum kim_stmt which);
static int kim_step_done(sqlite3_stmt *st);

static const char kim_schema[] =
    "PRAGMA synchronous = FULL;"
    /*
     * Statement journals (every write that fires the usage triggers keeps one)
     * and sorts stay in memory: spilled, they would be files in a temporary
     * directory, found with access(), and brokerd's root holds none; its
     * filter kills it for the access() (a 3,000-key run did).
     */
    "PRAGMA temp_store = MEMORY;"
    "CREATE TABLE IF NOT EXISTS keys ("
    " auth_type INTEGER NOT NULL, app TEXT NOT NULL, name TEXT NOT NULL,"
    " provider_id INTEGER NOT NULL, key_ref BLOB NOT NULL,"
    " key_type INTEGER NOT NULL, key_bits INTEGER NOT NULL, usage INTEGER NOT NULL,"
    " alg INTEGER NOT NULL, state INTEGER NOT NULL,"
    " PRIMARY KEY (auth_type, app, name)) WITHOUT ROWID;"
    /*
     * Entries left pending or destroying, for start-up reconciliation. Only
     * they are in it: an index of every key by state took an entry in a
     * large tree at each creation and moved it at its commit, at a page
     * read and write of its own per key once the store outgrew the cache.
     * A store made before loses that index (once: a second or so at a
     * million keys).
     */
    "CREATE INDEX IF NOT EXISTS keys_unsettled ON keys (provider_id) WHERE state != 1;"
    "DROP INDEX IF EXISTS keys_by_provider;"
    /* kim_take_id's "is this id free": without it, a scan of the provider's keys. */
    "CREATE INDEX IF NOT EXISTS keys_by_ref ON keys (provider_id, key_ref);"
    "CREATE TABLE IF NOT EXISTS key_ids ("
    " provider_id INTEGER PRIMARY KEY, next_id INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS deployment (id TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS adopted ("
    " auth_type INTEGER NOT NULL, app TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL,"
    " PRIMARY KEY (auth_type, app, name)) WITHOUT ROWID;";

/*
 * Each application's key count and bytes, kept by triggers on every write to
 * keys (reservations, commits, destroys, adoption) so that the quota check
 * before a create reads one row instead of counting the application's keys:
 * with 10,000 keys, counting made every import scan them all (90 imports/s).
 * A key's size is its imported material, or at least its bits (generated,
 * adopted). A store without the triggers (new, or made before them) is
 * counted once, in the same transaction that adds them.
 */
#define KIM_KEY_SIZE(row) "MAX(" row ".bytes, (" row ".key_bits + 7) / 8)"
#define KIM_USAGE_ADD(row) \
	"INSERT INTO app_usage VALUES (" row ".auth_type, " row ".app, 1, " KIM_KEY_SIZE(row) ")" \
	" ON CONFLICT (auth_type, app) DO UPDATE SET keys = keys + 1," \
	" bytes = bytes + excluded.bytes;"
#define KIM_USAGE_SUB(row) \
	"UPDATE app_usage SET keys = keys - 1, bytes = bytes - " KIM_KEY_SIZE(row) \
	" WHERE auth_type = " row ".auth_type AND app = " row ".app;" \
	"DELETE FROM app_usage WHERE auth_type = " row ".auth_type AND app = " row ".app" \
	" AND keys <= 0;"
#define KIM_NO_TRIGGERS \
	" NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND" \
	" name = 'keys_usage_add')"

static const char kim_usage_schema[] =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS app_usage ("
    " auth_type INTEGER NOT NULL, app TEXT NOT NULL, keys INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL, PRIMARY KEY (auth_type, app)) WITHOUT ROWID;"
    "DELETE FROM app_usage WHERE" KIM_NO_TRIGGERS ";"
    "INSERT INTO app_usage SELECT auth_type, app, COUNT(*), SUM(" KIM_KEY_SIZE("keys") ")"
    " FROM keys WHERE" KIM_NO_TRIGGERS " GROUP BY auth_type, app;"
    "CREATE TRIGGER IF NOT EXISTS keys_usage_add AFTER INSERT ON keys BEGIN "
    KIM_USAGE_ADD("new") " END;"
    "CREATE TRIGGER IF NOT EXISTS keys_usage_sub AFTER DELETE ON keys BEGIN "
    KIM_USAGE_SUB("old") " END;"
    "CREATE TRIGGER IF NOT EXISTS keys_usage_move AFTER UPDATE OF auth_type, app, bytes, key_bits"
    " ON keys BEGIN " KIM_USAGE_SUB("old") KIM_USAGE_ADD("new") " END;"
    "COMMIT;";

/*
 * Whether the usage triggers exist: if so the usage schema is not run at all.
 * Its counting statement, though it adds nothing then, still walked every key
 * at each open (77 ms at a million keys). 1 yes, 0 no, -1 error.
 */
static int
kim_has_usage_triggers(char **errmsg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(kim_db, "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND "
	    "name = 'keys_usage_add'", -1, &st, NULL) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(kim_db));
		return -1;
	}
	return rc == SQLITE_ROW;
}

/*
 * The key store's schema grows by columns, each added to a store made before
 * it (its keys get the default): bytes with the per-application quotas,
 * conn_id with volatile keys (every key of an older store is persistent).
 */
static int
kim_add_column(const char *column, char **errmsg)
{
	char sql[128];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "SELECT %s FROM keys LIMIT 0", column);
	if (sqlite3_prepare_v2(kim_db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return SQLITE_OK;
	}
	snprintf(sql, sizeof(sql), "ALTER TABLE keys ADD COLUMN %s INTEGER NOT NULL DEFAULT 0",
	    column);
	return sqlite3_exec(kim_db, sql, NULL, NULL, errmsg);
}

/* Volatile keys by connection: a connection's close finds its own without a scan. */
static const char kim_volatile_schema[] =
    "CREATE INDEX IF NOT EXISTS keys_volatile ON keys (conn_id) WHERE conn_id != 0;";

/* Creates the parent directories of path (0700 for the last one). */
static int
kim_mkdirs(const char *path)
{
	char dir[4096];
	char *p;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return -1;
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * A file of the key store, opened without following a link: it must be a
 * plain file of ours alone, or someone else (in /tmp, say) could read or
 * plant mappings. Returns the descriptor, or -1 after a log line.
 */
static int
kim_own_file(const char *path, int create)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);

	if (fd == -1) {
		if (errno == ENOENT && !create)
			return -2;
		log_warn("key store file %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_nlink != 1) {
		log_warnx("key store file %s is not a plain file of uid %u alone: refused", path,
		    (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * WAL where we may make files next to the key store; where we may not (a
 * directory of root's, such as the socket's), parsecd made the key store and
 * its journal for us and the journal is kept between transactions.
 */
static const char *
kim_journal_mode(const char *path, char *journal, size_t journal_len)
{
	char dir[4096];
	char *p;

	strlcpy(dir, path, sizeof(dir));
	if ((p = strrchr(dir, '/')) != NULL)
		*(p == dir ? p + 1 : p) = '\0';
	snprintf(journal, journal_len, "%s-journal", path);
	return access(p != NULL ? dir : ".", W_OK) == 0 ? "WAL" : "PERSIST";
}

int
kim_open(const char *path)
{
	static const char *const wal_files[] = { "-wal", "-shm" };
	char *errmsg = NULL, name[4096 + 16], sql[64];
	const char *mode;
	size_t k;
	int i, fd, triggers = 0;

	umask(077);
	if (kim_mkdirs(path) == -1) {
		log_warn("cannot create the directory of %s", path);
		return -1;
	}
	mode = kim_journal_mode(path, name, sizeof(name));
	if ((kim_lock_fd = kim_own_file(path, 1)) < 0)
		return -1;
	if (flock(kim_lock_fd, LOCK_EX | LOCK_NB) == -1) {
		log_warnx("key store %s is in use by another parsecd; give each instance its own "
		    "key store and state_dir", path);
		return -1;
	}
	if (strcmp(mode, "WAL") == 0) {
		for (k = 0; k < sizeof(wal_files) / sizeof(wal_files[0]); k++) {
			snprintf(name, sizeof(name), "%s%s", path, wal_files[k]);
			if ((fd = kim_own_file(name, 1)) < 0)
				return -1;
			close(fd);
		}
	} else if ((fd = kim_own_file(name, 0)) == -1) {
		return -1;
	} else if (fd == -2) {
		log_warnx("key store %s: its directory is not writable by uid %u and %s is "
		    "missing", path, (unsigned)geteuid(), name);
		return -1;
	} else {
		close(fd);
	}
	/*
	 * No up-front page cache block: SQLite would take 20 pages (88 KiB) per
	 * connection at once and touch every one; pages then come one at a time
	 * as the store needs them, within the same cache_size. Refused (and
	 * harmless) once SQLite is initialised, e.g. by a second open.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
	if (sqlite3_open_v2(path, &kim_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		log_warnx("cannot open key store %s: %s", path, sqlite3_errmsg(kim_db));
		return -1;
	}
	sqlite3_busy_timeout(kim_db, 5000);
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s;", mode);
	if (sqlite3_exec(kim_db, sql, NULL, NULL, &errmsg) != SQLITE_OK ||
	    sqlite3_exec(kim_db, kim_schema, NULL, NULL, &errmsg) != SQLITE_OK ||
	    kim_add_column("bytes", &errmsg) != SQLITE_OK ||
	    kim_add_column("conn_id", &errmsg) != SQLITE_OK ||
	    sqlite3_exec(kim_db, kim_volatile_schema, NULL, NULL, &errmsg) != SQLITE_OK ||
	    (triggers = kim_has_usage_triggers(&errmsg)) == -1 || (triggers == 0 &&
	    sqlite3_exec(kim_db, kim_usage_schema, NULL, NULL, &errmsg) != SQLITE_OK)) {
		log_warnx("key store %s: %s", path, errmsg);
		sqlite3_free(errmsg);
		return -1;
	}
	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(kim_db, kim_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &kim_stmts[i], NULL) != SQLITE_OK) {
			log_warnx("key store %s: %s", path, sqlite3_errmsg(kim_db));
			return -1;
		}
	}
	return 0;
}

int
kim_deployment(char *id, size_t idsz)
{
	sqlite3_stmt *st = kim_stmt(ST_GET_DEPLOYMENT);
	const unsigned char *text;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_ROW || (text = sqlite3_column_text(st, 0)) == NULL) {
		log_warnx("key store read failed: %s", sqlite3_errmsg(kim_db));
		sqlite3_reset(st);
		return -1;
	}
	strlcpy(id, (const char *)text, idsz);
	sqlite3_reset(st);
	return 0;
}

int
kim_set_deployment(const char *id)
{
	sqlite3_stmt *st = kim_stmt(ST_SET_DEPLOYMENT);

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return kim_step_done(st);
}

int
kim_empty(void)
{
	sqlite3_stmt *st = kim_stmt(ST_ANY_ROW);
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc == SQLITE_ROW)
		return 0;
	log_warnx("key store read failed: %s", sqlite3_errmsg(kim_db));
	return -1;
}

int
kim_full(void)
{
	int code = sqlite3_extended_errcode(kim_db) & 0xff;

	return code == SQLITE_FULL || (sqlite3_extended_errcode(kim_db) == SQLITE_IOERR_WRITE &&
	    sqlite3_system_errno(kim_db) == ENOSPC);
}

int
kim_open_readonly(const char *path)
{
	if (sqlite3_open_v2(path, &kim_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) ==
	    SQLITE_OK)
		return 0;
	log_warnx("key store %s: %s", path, sqlite3_errmsg(kim_db));
	sqlite3_close(kim_db);
	kim_db = NULL;
	return -1;
}

sqlite3 *
kim_sqlite(void)
{
	return kim_db;
}

void
kim_close(void)
{
	int i;

	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(kim_stmts[i]);
	sqlite3_close(kim_db);
	kim_db = NULL;
	if (kim_lock_fd != -1)
		close(kim_lock_fd);
	kim_lock_fd = -1;
}

static sqlite3_stmt *
kim_stmt(enum kim_stmt which)
{
	sqlite3_stmt *st = kim_stmts[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static void
kim_bind_identity(sqlite3_stmt *st, uint32_t auth_type, const char *app, const char *name)
{
	sqlite3_bind_int64(st, 1, auth_type);
	sqlite3_bind_text(st, 2, app, -1, SQLITE_STATIC);
	if (name != NULL)
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
}

static int
kim_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("key store write failed: %s", sqlite3_errmsg(kim_db));
		return -1;
	}
	return 0;
}

/* Reads columns [first..] = provider_id, key_ref, type, bits, usage, alg, state. */
static int
kim_read_row(sqlite3_stmt *st, int first, struct kim_entry *e)
{
	const void *ref = sqlite3_column_blob(st, first + 1);
	int ref_len = sqlite3_column_bytes(st, first + 1);

	if (ref_len < 0 || (size_t)ref_len > sizeof(e->key_ref))
		return -1;
	e->provider_id = (uint32_t)sqlite3_column_int64(st, first);
	if (ref_len > 0)
		memcpy(e->key_ref, ref, (size_t)ref_len);
	e->key_ref_len = (size_t)ref_len;
	e->attrs.type = (uint32_t)sqlite3_column_int64(st, first + 2);
	e->attrs.bits = (uint32_t)sqlite3_column_int64(st, first + 3);
	e->attrs.usage = (uint32_t)sqlite3_column_int64(st, first + 4);
	e->attrs.alg = (uint32_t)sqlite3_column_int64(st, first + 5);
	e->state = (enum kim_state)sqlite3_column_int(st, first + 6);
	return 0;
}

int
kim_get(uint32_t auth_type, const char *app, const char *name, struct kim_entry *e)
{
	sqlite3_stmt *st = kim_stmt(ST_GET);
	int rc;

	kim_bind_identity(st, auth_type, app, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_ROW || kim_read_row(st, 0, e) == -1) {
		log_warnx("key store read failed: %s", sqlite3_errmsg(kim_db));
		sqlite3_reset(st);
		return -1;
	}
	e->volatile_conn = (uint64_t)sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	e->auth_type = auth_type;
	strlcpy(e->app, app, sizeof(e->app));
	strlcpy(e->name, name, sizeof(e->name));
	return 0;
}

int
kim_exec(const char *sql)
{
	char *errmsg = NULL;

	if (sqlite3_exec(kim_db, sql, NULL, NULL, &errmsg) != SQLITE_OK) {
		log_warnx("key store: %s: %s", sql, errmsg);
		sqlite3_free(errmsg);
		return -1;
	}
	return 0;
}

/* The next id of a provider no entry names, the counter moved past it; inside a transaction. */
int
kim_take_id(uint32_t provider_id, uint8_t *key_ref)
{
	sqlite3_stmt *st = kim_stmt(ST_NEXT_ID);
	sqlite3_int64 next = 1;
	int tries, in_use = 1, rc;
	uint32_t id = 0;

	sqlite3_bind_int64(st, 1, provider_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		next = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (next < 1)
		next = 1;
	for (tries = 0; tries < KIM_ID_TRIES && in_use; tries++) {
		id = (uint32_t)((uint64_t)(next - 1) % KIM_MAX_KEY_ID) + 1;
		next++;
		key_ref_put_id(key_ref, id);
		st = kim_stmt(ST_ID_IN_USE);
		sqlite3_bind_int64(st, 1, provider_id);
		sqlite3_bind_blob(st, 2, key_ref, 4, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -1;
		in_use = rc == SQLITE_ROW;
	}
	if (in_use) {
		log_warnx("no free key id for provider %u in %d tries", provider_id, KIM_ID_TRIES);
		return -1;
	}
	st = kim_stmt(ST_BUMP_ID);
	sqlite3_bind_int64(st, 1, provider_id);
	sqlite3_bind_int64(st, 2, next);
	return kim_step_done(st);
}

/*
 * Inside a group (kim_group_begin), the body runs under a savepoint: its
 * failure undoes its own writes and leaves the group's others.
 */
int
kim_transaction(int (*body)(void *arg), void *arg)
{
	int group = kim_in_group();

	if (kim_exec(group ? "SAVEPOINT kim_tx" : "BEGIN IMMEDIATE") == -1)
		return -1;
	if (body(arg) == 0 && kim_exec(group ? "RELEASE kim_tx" : "COMMIT") == 0)
		return 0;
	/* A failure SQLite ended the whole group's transaction for leaves nothing to undo. */
	if (!group)
		kim_exec("ROLLBACK");
	else if (kim_in_group())
		kim_exec("ROLLBACK TO kim_tx; RELEASE kim_tx");
	return -1;
}

int
kim_group_begin(void)
{
	return kim_exec("BEGIN IMMEDIATE");
}

int
kim_in_group(void)
{
	return kim_db != NULL && !sqlite3_get_autocommit(kim_db);
}

int
kim_group_commit(int *full)
{
	*full = 0;
	if (!kim_in_group())
		return -1;
	if (kim_exec("COMMIT") == 0)
		return 0;
	*full = kim_full();
	if (kim_in_group())
		kim_exec("ROLLBACK");
	return -1;
}

struct kim_new_id {
	sqlite3_stmt *st;
	int ref_param;
	uint32_t provider_id;
	uint8_t *key_ref;
};

static int
kim_new_id_body(void *arg)
{
	struct kim_new_id *n = arg;

	if (kim_take_id(n->provider_id, n->key_ref) == -1)
		return -1;
	sqlite3_bind_blob(n->st, n->ref_param, n->key_ref, KEY_REF_ID_LEN, SQLITE_STATIC);
	return kim_step_done(n->st);
}

/*
 * In one transaction: takes the provider's next key id into key_ref, binds
 * it as parameter ref_param of st (its other parameters bound by the caller)
 * and runs st.
 */
static int
kim_write_new_id(sqlite3_stmt *st, int ref_param, uint32_t provider_id, uint8_t *key_ref,
    size_t *key_ref_len)
{
	struct kim_new_id n = { st, ref_param, provider_id, key_ref };

	*key_ref_len = KEY_REF_ID_LEN;
	return kim_transaction(kim_new_id_body, &n);
}

int
kim_begin_create(const struct kim_entry *e, uint8_t *key_ref, size_t *key_ref_len)
{
	struct kim_entry existing;
	sqlite3_stmt *st;
	int found;

	if ((found = kim_get(e->auth_type, e->app, e->name, &existing)) != 1)
		return found == 0 ? 1 : -1;
	st = kim_stmt(ST_INSERT);
	kim_bind_identity(st, e->auth_type, e->app, e->name);
	sqlite3_bind_int64(st, 4, e->provider_id);
	sqlite3_bind_int64(st, 6, e->attrs.type);
	sqlite3_bind_int64(st, 7, e->attrs.bits);
	sqlite3_bind_int64(st, 8, e->attrs.usage);
	sqlite3_bind_int64(st, 9, e->attrs.alg);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)e->bytes);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)e->volatile_conn);
	return kim_write_new_id(st, 5, e->provider_id, key_ref, key_ref_len);
}

int
kim_usage(uint32_t auth_type, const char *app, uint64_t *keys, uint64_t *bytes)
{
	sqlite3_stmt *st = kim_stmt(ST_USAGE);

	int rc;

	kim_bind_identity(st, auth_type, app, NULL);
	*keys = *bytes = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*keys = (uint64_t)sqlite3_column_int64(st, 0);
		*bytes = (uint64_t)sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		log_warnx("key store read failed: %s", sqlite3_errmsg(kim_db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
kim_retake_id(uint32_t auth_type, const char *app, const char *name, uint32_t provider_id,
    uint8_t *key_ref, size_t *key_ref_len)
{
	sqlite3_stmt *st = kim_stmt(ST_SET_REF);

	kim_bind_identity(st, auth_type, app, name);
	return kim_write_new_id(st, 4, provider_id, key_ref, key_ref_len);
}

int
kim_commit_create(uint32_t auth_type, const char *app, const char *name, const uint8_t *key_ref,
    size_t key_ref_len)
{
	sqlite3_stmt *st = kim_stmt(ST_COMMIT);

	kim_bind_identity(st, auth_type, app, name);
	sqlite3_bind_blob(st, 4, key_ref, (int)key_ref_len, SQLITE_STATIC);
	return kim_step_done(st);
}

int
kim_remove(uint32_t auth_type, const char *app, const char *name)
{
	sqlite3_stmt *st = kim_stmt(ST_REMOVE);

	kim_bind_identity(st, auth_type, app, name);
	return kim_step_done(st);
}

int
kim_mark_destroying(uint32_t auth_type, const char *app, const char *name)
{
	sqlite3_stmt *st = kim_stmt(ST_MARK_DESTROYING);

	kim_bind_identity(st, auth_type, app, name);
	return kim_step_done(st);
}

/* Walks rows of name + the common columns, calling cb for each. */
static int
kim_walk(sqlite3_stmt *st, uint32_t auth_type, const char *app, kim_entry_cb cb, void *arg,
    int with_identity)
{
	static struct kim_entry e;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);

		memset(&e, 0, sizeof(e));
		if (name == NULL || kim_read_row(st, 1, &e) == -1)
			continue;
		strlcpy(e.name, (const char *)name, sizeof(e.name));
		if (with_identity) {
			const unsigned char *row_app = sqlite3_column_text(st, 9);

			e.auth_type = (uint32_t)sqlite3_column_int64(st, 8);
			strlcpy(e.app, row_app ? (const char *)row_app : "", sizeof(e.app));
		} else {
			e.auth_type = auth_type;
			strlcpy(e.app, app, sizeof(e.app));
		}
		if (cb(&e, arg) == -1)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int
kim_list_keys(uint32_t auth_type, const char *app, kim_entry_cb cb, void *arg)
{
	sqlite3_stmt *st = kim_stmt(ST_LIST_KEYS);

	kim_bind_identity(st, auth_type, app, NULL);
	return kim_walk(st, auth_type, app, cb, arg, 0);
}

int
kim_list_all_of(uint32_t auth_type, const char *app, kim_entry_cb cb, void *arg)
{
	sqlite3_stmt *st = kim_stmt(ST_LIST_ALL_OF);

	kim_bind_identity(st, auth_type, app, NULL);
	return kim_walk(st, auth_type, app, cb, arg, 0);
}

int
kim_list_unsettled(uint32_t provider_id, kim_entry_cb cb, void *arg)
{
	sqlite3_stmt *st = kim_stmt(ST_LIST_UNSETTLED);

	sqlite3_bind_int64(st, 1, provider_id);
	return kim_walk(st, 0, NULL, cb, arg, 1);
}

int
kim_list_clients(uint32_t auth_type, int (*cb)(const char *app, void *arg), void *arg)
{
	sqlite3_stmt *st = kim_stmt(ST_LIST_CLIENTS);
	int rc;

	sqlite3_bind_int64(st, 1, auth_type);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *app = sqlite3_column_text(st, 0);

		if (app != NULL && cb((const char *)app, arg) == -1)
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int
kim_list_volatile(uint64_t conn_id, kim_entry_cb cb, void *arg)
{
	sqlite3_stmt *st = kim_stmt(ST_LIST_VOLATILE);

	sqlite3_bind_int64(st, 1, (sqlite3_int64)conn_id);
	return kim_walk(st, 0, NULL, cb, arg, 1);
}

long
kim_count_volatile(uint64_t conn_id)
{
	sqlite3_stmt *st = kim_stmt(ST_COUNT_VOLATILE);
	long n = -1;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)conn_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	else
		log_warnx("key store read failed: %s", sqlite3_errmsg(kim_db));
	sqlite3_reset(st);
	return n;
}

long
kim_drop_volatile(void)
{
	/* -1: a connection id frontd never gives (its ids count up from 1). */
	if (kim_exec("UPDATE keys SET state = 2, conn_id = -1 WHERE conn_id != 0") == -1)
		return -1;
	return (long)sqlite3_changes(kim_db);
}
