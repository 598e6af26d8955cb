/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.toml onto struct parsec_config: upstream Parsec's tables and keys
 * with its defaults, plus our [privsep]. Errors name file, line and key;
 * unknown keys are warnings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ipc.h"
#include "log.h"
#include "toml.h"

#define CONFIG_MAX_FILE (1024 * 1024)

struct cfg_ctx {
	const char *file;
	char *err;
	size_t errlen;
	int failed;
};

static int
cfg_fail(struct cfg_ctx *ctx, int line, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ctx->failed)
		return -1;
	ctx->failed = 1;
	n = snprintf(ctx->err, ctx->errlen, "%s:%d: %s: ", ctx->file, line, key);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < ctx->errlen)
		vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Zeroes the bytes of cfg from offset start to offset end. */
static void
cfg_zero(struct parsec_config *cfg, size_t start, size_t end)
{
	memset((char *)cfg + start, 0, end - start);
}

/* Copies the bytes of src from offset start to offset end into dst. */
static void
cfg_copy(struct parsec_config *dst, const struct parsec_config *src, size_t start, size_t end)
{
	memcpy((char *)dst + start, (const char *)src + start, end - start);
}

void
config_copy(struct parsec_config *dst, const struct parsec_config *src)
{
	const size_t auth = offsetof(struct parsec_config, authenticators);
	const size_t kim = offsetof(struct parsec_config, key_managers);
	const size_t prov = offsetof(struct parsec_config, providers);

	cfg_copy(dst, src, 0, auth + src->authenticator_count * sizeof(src->authenticators[0]));
	cfg_copy(dst, src, offsetof(struct parsec_config, authenticator_count),
	    kim + src->key_manager_count * sizeof(src->key_managers[0]));
	cfg_copy(dst, src, offsetof(struct parsec_config, key_manager_count),
	    prov + src->provider_count * sizeof(src->providers[0]));
	cfg_copy(dst, src, offsetof(struct parsec_config, provider_count), sizeof(*dst));
}

void
config_defaults(struct parsec_config *cfg)
{
	/*
	 * All but the tables' rows, each zeroed as it is added: unused rows (most
	 * of the structure's 229 KiB) are never written, so they take no memory.
	 */
	cfg_zero(cfg, 0, offsetof(struct parsec_config, authenticators));
	cfg_zero(cfg, offsetof(struct parsec_config, authenticator_count),
	    offsetof(struct parsec_config, key_managers));
	cfg_zero(cfg, offsetof(struct parsec_config, key_manager_count),
	    offsetof(struct parsec_config, providers));
	cfg_zero(cfg, offsetof(struct parsec_config, provider_count), sizeof(*cfg));
	memset(&cfg->authenticators[0], 0, sizeof(cfg->authenticators[0]));
	cfg->log_level = CFG_LOG_WARN;
	cfg->body_len_limit = 1024 * 1024;
	cfg->buffer_size_limit = 1024 * 1024;
	strlcpy(cfg->socket_path, "/run/parsec/parsec.sock", sizeof(cfg->socket_path));
	cfg->authenticators[0].type = cfg->auth_type = CFG_AUTH_DIRECT;
	cfg->authenticator_count = 1;
	strlcpy(cfg->user, "_parsec", sizeof(cfg->user));
	strlcpy(cfg->chroot_dir, "/var/empty", sizeof(cfg->chroot_dir));
	strlcpy(cfg->state_dir, "/var/lib/parsec", sizeof(cfg->state_dir));
	cfg->keep_alive_timeout_ms = 60000;
	cfg->max_connections = 1024;
	cfg->max_connections_per_uid = 256;
	cfg->max_output_bytes_per_uid = 64u * 1024 * 1024;
	cfg->max_keys_per_application = 10000;
	cfg->max_key_bytes_per_application = 64u * 1024 * 1024;
	cfg->max_requests_per_application = 64;
	cfg->socket_mode = 0666;
}

/*
 * Typed getters: absent keys leave *out alone (0), wrong types and values are
 * errors (-1, reported), a value taken is 1. They share cfg_node: the node
 * at table.key if it has the type, with its full name for messages.
 */
static int
cfg_node(struct cfg_ctx *ctx, const struct toml_node *tbl, const char *table, const char *key,
    enum toml_type type, const char *expected, char *full, size_t fullsz,
    const struct toml_node **node)
{
	const struct toml_node *n = toml_get(tbl, key);

	snprintf(full, fullsz, "%s.%s", table, key);
	if ((*node = n) == NULL)
		return 0;
	if (n->type != type)
		return cfg_fail(ctx, n->line, full, "expected %s, got %s", expected,
		    toml_type_name(n->type));
	return 1;
}

static int
cfg_str(struct cfg_ctx *ctx, const struct toml_node *tbl, const char *table, const char *key,
    char *out, size_t outsz)
{
	const struct toml_node *n;
	char full[128];
	int r;

	if ((r = cfg_node(ctx, tbl, table, key, TOML_STRING, "a string", full, sizeof(full),
	    &n)) <= 0)
		return r;
	if (n->str_len >= outsz)
		return cfg_fail(ctx, n->line, full, "longer than %zu bytes", outsz - 1);
	memcpy(out, n->str, n->str_len + 1);
	return 1;
}

static int
cfg_uint(struct cfg_ctx *ctx, const struct toml_node *tbl, const char *table, const char *key,
    uint64_t min, uint64_t max, uint64_t *out)
{
	const struct toml_node *n;
	char full[128];
	int r;

	if ((r = cfg_node(ctx, tbl, table, key, TOML_INT, "an integer", full, sizeof(full),
	    &n)) <= 0)
		return r;
	if (n->num < 0 || (uint64_t)n->num < min || (uint64_t)n->num > max)
		return cfg_fail(ctx, n->line, full, "%lld is out of range (%llu to %llu)",
		    (long long)n->num, (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)n->num;
	return 1;
}

static int
cfg_u32(struct cfg_ctx *ctx, const struct toml_node *tbl, const char *table, const char *key,
    uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int r = cfg_uint(ctx, tbl, table, key, min, max, &v);

	if (r == 1)
		*out = (uint32_t)v;
	return r;
}

static int
cfg_bool(struct cfg_ctx *ctx, const struct toml_node *tbl, const char *table, const char *key,
    bool *out)
{
	const struct toml_node *n;
	char full[128];
	int r;

	if ((r = cfg_node(ctx, tbl, table, key, TOML_BOOL, "true or false", full, sizeof(full),
	    &n)) <= 0)
		return r;
	*out = n->num != 0;
	return 1;
}

/* "str:..." or "hex:..." (upstream's secret syntax); no prefix is a plain string. */
static int
cfg_secret(struct cfg_ctx *ctx, const struct toml_node *tbl, const char *table, const char *key,
    char *out, size_t outsz, size_t *out_len)
{
	const struct toml_node *n;
	char full[128];
	const char *s;
	size_t len, i;
	int r, hi, lo;

	if ((r = cfg_node(ctx, tbl, table, key, TOML_STRING, "a string", full, sizeof(full),
	    &n)) <= 0)
		return r;
	s = n->str;
	len = n->str_len;
	if (strncmp(s, "hex:", 4) == 0) {
		s += 4;
		len -= 4;
		if (len % 2 != 0 || len / 2 > outsz)
			return cfg_fail(ctx, n->line, full, "hex: needs an even number of digits, "
			    "at most %zu bytes", outsz);
		for (i = 0; i < len / 2; i++) {
			if ((hi = toml_hex(s[2 * i])) == -1 ||
			    (lo = toml_hex(s[2 * i + 1])) == -1)
				return cfg_fail(ctx, n->line, full, "hex: has a non-hex digit");
			out[i] = (char)(hi << 4 | lo);
		}
		*out_len = len / 2;
		return 1;
	}
	if (strncmp(s, "str:", 4) == 0) {
		s += 4;
		len -= 4;
	}
	if (len > outsz)
		return cfg_fail(ctx, n->line, full, "longer than %zu bytes", outsz);
	memcpy(out, s, len);
	*out_len = len;
	return 1;
}

/* Warns about keys this table does not know; known is NULL-terminated. */
static void
cfg_unknown_keys(struct cfg_ctx *ctx, const struct toml_node *tbl, const char *table,
    const char *const *known)
{
	size_t i, k;

	for (i = 0; i < tbl->count; i++) {
		const char *key = tbl->items[i]->key;

		for (k = 0; known[k] != NULL; k++)
			if (strcmp(known[k], key) == 0)
				break;
		if (known[k] == NULL)
			log_warnx("%s:%d: %s.%s: unknown key, ignored", ctx->file, tbl->items[i]->line,
			    table, key);
	}
}

static int
cfg_choice(struct cfg_ctx *ctx, const struct toml_node *tbl, const char *table, const char *key,
    const char *const *names, int *out)
{
	char value[64], full[128];
	const struct toml_node *n = toml_get(tbl, key);
	int i, r;

	if ((r = cfg_str(ctx, tbl, table, key, value, sizeof(value))) <= 0)
		return r;
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], value) == 0) {
			*out = i;
			return 1;
		}
	}
	snprintf(full, sizeof(full), "%s.%s", table, key);
	return cfg_fail(ctx, n->line, full, "unknown value \"%s\"", value);
}

/* cfg_choice for a key that must be there: 1, or -1 saying it is required. */
static int
cfg_must_choose(struct cfg_ctx *ctx, const struct toml_node *tbl, const char *table,
    const char *key, const char *const *names, int *out)
{
	char full[128];
	int r = cfg_choice(ctx, tbl, table, key, names, out);

	if (r != 0)
		return r;
	snprintf(full, sizeof(full), "%s.%s", table, key);
	return cfg_fail(ctx, tbl->line, full, "required");
}

static int
cfg_core_settings(struct cfg_ctx *ctx, const struct toml_node *t, struct parsec_config *cfg)
{
	static const char *const known[] = { "allow_root", "thread_pool_size",
		"idle_listener_sleep_duration", "log_level", "log_timestamp", "body_len_limit",
		"log_error_details", "buffer_size_limit", "allow_deprecated", NULL };
	static const char *const levels[] = { "error", "warn", "info", "debug", "trace", NULL };
	uint64_t ignored;
	int level;

	cfg_unknown_keys(ctx, t, "core_settings", known);
	if (cfg_bool(ctx, t, "core_settings", "allow_root", &cfg->allow_root) == -1 ||
	    cfg_u32(ctx, t, "core_settings", "thread_pool_size", 1, 1024,
	    &cfg->thread_pool_size) == -1 ||
	    cfg_uint(ctx, t, "core_settings", "idle_listener_sleep_duration", 0, UINT32_MAX,
	    &ignored) == -1 ||
	    cfg_bool(ctx, t, "core_settings", "log_timestamp", &cfg->log_timestamp) == -1 ||
	    cfg_u32(ctx, t, "core_settings", "body_len_limit", 1, IPC_MAX_BODY_LEN,
	    &cfg->body_len_limit) == -1 ||
	    cfg_bool(ctx, t, "core_settings", "log_error_details", &cfg->log_error_details) == -1 ||
	    cfg_u32(ctx, t, "core_settings", "buffer_size_limit", 1, 64u * 1024 * 1024,
	    &cfg->buffer_size_limit) == -1 ||
	    cfg_bool(ctx, t, "core_settings", "allow_deprecated", &cfg->allow_deprecated) == -1)
		return -1;
	switch (cfg_choice(ctx, t, "core_settings", "log_level", levels, &level)) {
	case -1:
		return -1;
	case 1:
		cfg->log_level = (enum cfg_log_level)level;
		break;
	}
	return 0;
}

static int
cfg_listener(struct cfg_ctx *ctx, const struct toml_node *t, struct parsec_config *cfg)
{
	static const char *const known[] = { "listener_type", "timeout", "socket_path", NULL };
	static const char *const types[] = { "DomainSocket", NULL };
	int type;

	cfg_unknown_keys(ctx, t, "listener", known);
	if (cfg_choice(ctx, t, "listener", "listener_type", types, &type) == -1)
		return -1;
	switch (cfg_u32(ctx, t, "listener", "timeout", 1, 3600u * 1000, &cfg->timeout_ms)) {
	case -1:
		return -1;
	case 0:
		return cfg_fail(ctx, t->line, "listener.timeout", "required (milliseconds)");
	}
	if (cfg_str(ctx, t, "listener", "socket_path", cfg->socket_path,
	    sizeof(cfg->socket_path)) == -1)
		return -1;
	if (cfg->socket_path[0] == '\0')
		return cfg_fail(ctx, toml_get(t, "socket_path")->line, "listener.socket_path",
		    "empty");
	return 0;
}

static int
cfg_admins(struct cfg_ctx *ctx, const struct toml_node *t, struct cfg_authenticator *a)
{
	const struct toml_node *admins;
	size_t i;

	if ((admins = toml_get(t, "admins")) == NULL)
		return 0;
	if (admins->type != TOML_ARRAY)
		return cfg_fail(ctx, admins->line, "authenticator.admins",
		    "expected an array of { name = \"...\" }");
	if (admins->count > CFG_ADMIN_MAX)
		return cfg_fail(ctx, admins->line, "authenticator.admins", "more than %d admins",
		    CFG_ADMIN_MAX);
	for (i = 0; i < admins->count; i++) {
		const struct toml_node *n = admins->items[i];

		if (n->type != TOML_TABLE || cfg_str(ctx, n, "authenticator.admins", "name",
		    a->admins[i], sizeof(a->admins[i])) != 1 || a->admins[i][0] == '\0')
			return cfg_fail(ctx, n->line, "authenticator.admins",
			    "each admin must be { name = \"...\" } with a non-empty name");
	}
	a->admin_count = admins->count;
	return 0;
}

/* One [authenticator] table or one [[authenticator]] entry, appended in config order. */
static int
cfg_authenticator(struct cfg_ctx *ctx, const struct toml_node *t, struct parsec_config *cfg)
{
	static const char *const known[] = { "auth_type", "admins", "workload_endpoint",
		"jwt_bundle_path", NULL };
	static const char *const types[] = { "Direct", "UnixPeerCredentials", "JwtSvid", NULL };
	static const enum cfg_auth_type values[] = { CFG_AUTH_DIRECT,
		CFG_AUTH_UNIX_PEER_CREDENTIALS, CFG_AUTH_JWT_SVID };
	struct cfg_authenticator *a = &cfg->authenticators[cfg->authenticator_count];
	int type;
	size_t i;

	cfg_unknown_keys(ctx, t, "authenticator", known);
	if (cfg_must_choose(ctx, t, "authenticator", "auth_type", types, &type) == -1)
		return -1;
	for (i = 0; i < cfg->authenticator_count; i++)
		if (cfg->authenticators[i].type == values[type])
			return cfg_fail(ctx, toml_get(t, "auth_type")->line,
			    "authenticator.auth_type", "%s is configured twice", types[type]);
	memset(a, 0, sizeof(*a));
	a->type = values[type];
	a->line = t->line;
	if (cfg_str(ctx, t, "authenticator", "workload_endpoint", a->workload_endpoint,
	    sizeof(a->workload_endpoint)) == -1 ||
	    cfg_str(ctx, t, "authenticator", "jwt_bundle_path", a->jwt_bundle_path,
	    sizeof(a->jwt_bundle_path)) == -1 || cfg_admins(ctx, t, a) == -1)
		return -1;
	if (a->type == CFG_AUTH_JWT_SVID && (a->workload_endpoint[0] == '\0') ==
	    (a->jwt_bundle_path[0] == '\0'))
		return cfg_fail(ctx, t->line, "authenticator", "JwtSvid needs exactly one of "
		    "workload_endpoint and jwt_bundle_path");
	cfg->authenticator_count++;
	return 0;
}

/*
 * One [[name]] table, the count-th: a table, within the max, its unknown
 * keys warned about. what names the entries in the message for too many.
 */
static int
cfg_entry(struct cfg_ctx *ctx, const struct toml_node *t, const char *name,
    const char *const *known, size_t count, size_t max, const char *what)
{
	if (t->type != TOML_TABLE)
		return cfg_fail(ctx, t->line, name, "expected [[%s]] tables", name);
	if (count == max)
		return cfg_fail(ctx, t->line, name, "more than %zu %s", max, what);
	cfg_unknown_keys(ctx, t, name, known);
	return 0;
}

static int
cfg_key_manager(struct cfg_ctx *ctx, const struct toml_node *t, struct parsec_config *cfg)
{
	static const char *const known[] = { "name", "manager_type", "sqlite_db_path",
		"store_path", NULL };
	static const char *const types[] = { "SQLite", "OnDisk", NULL };
	struct cfg_key_manager *km;
	int type;
	size_t i;

	if (cfg_entry(ctx, t, "key_manager", known, cfg->key_manager_count, CFG_KEY_MANAGER_MAX,
	    "key managers") == -1)
		return -1;
	km = &cfg->key_managers[cfg->key_manager_count];
	memset(km, 0, sizeof(*km));
	km->line = t->line;
	strlcpy(km->sqlite_db_path,
	    "/var/lib/parsec/kim-mappings/sqlite/sqlite-key-info-manager.sqlite3",
	    sizeof(km->sqlite_db_path));
	strlcpy(km->store_path, "/var/lib/parsec/mappings", sizeof(km->store_path));
	switch (cfg_str(ctx, t, "key_manager", "name", km->name, sizeof(km->name))) {
	case -1:
		return -1;
	case 0:
		return cfg_fail(ctx, t->line, "key_manager.name", "required");
	}
	if (cfg_must_choose(ctx, t, "key_manager", "manager_type", types, &type) == -1)
		return -1;
	km->type = type == 0 ? CFG_KIM_SQLITE : CFG_KIM_ON_DISK;
	if ((km->sqlite_db_path_set = cfg_str(ctx, t, "key_manager", "sqlite_db_path",
	    km->sqlite_db_path, sizeof(km->sqlite_db_path))) == -1 ||
	    cfg_str(ctx, t, "key_manager", "store_path", km->store_path,
	    sizeof(km->store_path)) == -1)
		return -1;
	for (i = 0; i < cfg->key_manager_count; i++)
		if (strcmp(cfg->key_managers[i].name, km->name) == 0)
			return cfg_fail(ctx, toml_get(t, "name")->line, "key_manager.name",
			    "\"%s\" is already used on line %d", km->name, cfg->key_managers[i].line);
	cfg->key_manager_count++;
	return 0;
}

/*
 * One provider of each kind, each under a name of its own, and none under the
 * name of the directory parsecd's own key store takes beside upstream's.
 */
static int
cfg_provider_unique(struct cfg_ctx *ctx, const struct toml_node *t,
    const struct parsec_config *cfg, const struct cfg_provider *p, const char *type)
{
	size_t i;

	if (config_provider(cfg, p->kind) != NULL)
		return cfg_fail(ctx, t->line, "provider.provider_type",
		    "a %s provider is already configured on line %d", type,
		    config_provider(cfg, p->kind)->line);
	for (i = 0; i < cfg->provider_count; i++)
		if (strcmp(cfg->providers[i].name, p->name) == 0)
			return cfg_fail(ctx, t->line, "provider.name",
			    "\"%s\" is already used on line %d", p->name, cfg->providers[i].line);
	if (strcmp(p->name, CFG_OWN_STORE_DIR) == 0)
		return cfg_fail(ctx, t->line, "provider.name", "\"%s\" is the directory of "
		    "parsecd's own key store beside upstream Parsec's: name the provider otherwise",
		    p->name);
	return 0;
}

static int
cfg_provider(struct cfg_ctx *ctx, const struct toml_node *t, struct parsec_config *cfg)
{
	static const char *const known[] = { "provider_type", "name", "key_info_manager",
		"library_path", "slot_number", "serial_number", "user_pin",
		"software_public_operations", "allow_export", "tcti", "owner_hierarchy_auth",
		"endorsement_hierarchy_auth", "skip_if_no_tpm", "advertise_mac_opcodes", "relax_seccomp",
		NULL };
	static const char *const types[] = { "MbedCrypto", "Pkcs11", "Tpm", "TrustedService",
		"CryptoAuthLib", NULL };
	static const char *const default_names[] = { "mbed-crypto-provider", "pkcs11-provider",
		"tpm-provider" };
	struct cfg_provider *p;
	int type, r;

	if (cfg_entry(ctx, t, "provider", known, cfg->provider_count, CFG_PROVIDER_MAX,
	    "providers") == -1)
		return -1;
	p = &cfg->providers[cfg->provider_count];
	memset(p, 0, sizeof(*p));
	p->line = t->line;
	p->allow_export = true;
	if (cfg_must_choose(ctx, t, "provider", "provider_type", types, &type) == -1)
		return -1;
	if (type > 2)
		return cfg_fail(ctx, toml_get(t, "provider_type")->line, "provider.provider_type",
		    "%s is not supported by this build", types[type]);
	p->kind = (enum cfg_provider_kind)(type + 1);
	strlcpy(p->name, default_names[type], sizeof(p->name));
	strlcpy(p->tcti, "device:/dev/tpmrm0", sizeof(p->tcti));
	if (cfg_str(ctx, t, "provider", "name", p->name, sizeof(p->name)) == -1 ||
	    cfg_str(ctx, t, "provider", "key_info_manager", p->key_info_manager,
	    sizeof(p->key_info_manager)) == -1 ||
	    cfg_str(ctx, t, "provider", "library_path", p->library_path,
	    sizeof(p->library_path)) == -1 ||
	    cfg_str(ctx, t, "provider", "serial_number", p->serial_number,
	    sizeof(p->serial_number)) == -1 ||
	    cfg_bool(ctx, t, "provider", "software_public_operations",
	    &p->software_public_operations) == -1 ||
	    cfg_bool(ctx, t, "provider", "allow_export", &p->allow_export) == -1 ||
	    cfg_str(ctx, t, "provider", "tcti", p->tcti, sizeof(p->tcti)) == -1 ||
	    cfg_bool(ctx, t, "provider", "skip_if_no_tpm", &p->skip_if_no_tpm) == -1 ||
	    cfg_bool(ctx, t, "provider", "advertise_mac_opcodes", &p->advertise_mac_opcodes) == -1 ||
	    cfg_bool(ctx, t, "provider", "relax_seccomp", &p->relax_seccomp) == -1 ||
	    cfg_secret(ctx, t, "provider", "owner_hierarchy_auth", p->owner_hierarchy_auth,
	    sizeof(p->owner_hierarchy_auth), &p->owner_hierarchy_auth_len) == -1 ||
	    cfg_secret(ctx, t, "provider", "endorsement_hierarchy_auth",
	    p->endorsement_hierarchy_auth, sizeof(p->endorsement_hierarchy_auth),
	    &p->endorsement_hierarchy_auth_len) == -1)
		return -1;
	if ((r = cfg_secret(ctx, t, "provider", "user_pin", p->user_pin, sizeof(p->user_pin),
	    &p->user_pin_len)) == -1)
		return -1;
	p->has_user_pin = r == 1;
	if ((r = cfg_uint(ctx, t, "provider", "slot_number", 0, UINT64_MAX >> 1,
	    &p->slot_number)) == -1)
		return -1;
	p->has_slot_number = r == 1;
	if (p->kind == CFG_PROVIDER_PKCS11 && p->library_path[0] == '\0')
		return cfg_fail(ctx, t->line, "provider.library_path", "required for Pkcs11");
	if (cfg_provider_unique(ctx, t, cfg, p, types[type]) == -1)
		return -1;
	cfg->provider_count++;
	return 0;
}

/* Per-application quotas on the key store and on requests at the providers (0 = unlimited). */
static int
cfg_privsep_quotas(struct cfg_ctx *ctx, const struct toml_node *t, struct parsec_config *cfg)
{
	if (cfg_u32(ctx, t, "privsep", "max_keys_per_application", 0, UINT32_MAX,
	    &cfg->max_keys_per_application) == -1 ||
	    cfg_uint(ctx, t, "privsep", "max_key_bytes_per_application", 0, INT64_MAX,
	    &cfg->max_key_bytes_per_application) == -1 ||
	    cfg_u32(ctx, t, "privsep", "max_requests_per_application", 0, UINT32_MAX,
	    &cfg->max_requests_per_application) == -1 ||
	    cfg_u32(ctx, t, "privsep", "max_output_bytes_per_uid", 0, UINT32_MAX,
	    &cfg->max_output_bytes_per_uid) == -1)
		return -1;
	return 0;
}

/* The per-role users: one a role does not name is picked at start (conf/users.c). */
static int
cfg_privsep_users(struct cfg_ctx *ctx, const struct toml_node *t, struct parsec_config *cfg)
{
	if (cfg_str(ctx, t, "privsep", "frontd_user", cfg->frontd_user,
	    sizeof(cfg->frontd_user)) == -1 ||
	    cfg_str(ctx, t, "privsep", "brokerd_user", cfg->brokerd_user,
	    sizeof(cfg->brokerd_user)) == -1 ||
	    cfg_str(ctx, t, "privsep", "mbed_user", cfg->mbed_user, sizeof(cfg->mbed_user)) == -1)
		return -1;
	return 0;
}

static int
cfg_privsep(struct cfg_ctx *ctx, const struct toml_node *t, struct parsec_config *cfg)
{
	static const char *const known[] = { "user", "frontd_user", "brokerd_user", "mbed_user",
		"chroot_dir", "state_dir", "workers",
		"max_connections", "max_connections_per_uid", "socket_mode", "socket_group",
		"keep_alive_timeout", "max_keys_per_application", "max_key_bytes_per_application",
		"max_requests_per_application", "max_output_bytes_per_uid", NULL };
	const struct toml_node *mode;

	cfg_unknown_keys(ctx, t, "privsep", known);
	if (cfg_str(ctx, t, "privsep", "user", cfg->user, sizeof(cfg->user)) == -1 ||
	    cfg_privsep_users(ctx, t, cfg) == -1 ||
	    cfg_str(ctx, t, "privsep", "chroot_dir", cfg->chroot_dir,
	    sizeof(cfg->chroot_dir)) == -1 ||
	    cfg_str(ctx, t, "privsep", "state_dir", cfg->state_dir, sizeof(cfg->state_dir)) == -1 ||
	    cfg_u32(ctx, t, "privsep", "workers", 0, CFG_WORKERS_MAX, &cfg->workers) == -1 ||
	    cfg_u32(ctx, t, "privsep", "keep_alive_timeout", 1, 3600u * 1000,
	    &cfg->keep_alive_timeout_ms) == -1 ||
	    cfg_u32(ctx, t, "privsep", "max_connections", 1, 65536, &cfg->max_connections) == -1 ||
	    cfg_u32(ctx, t, "privsep", "max_connections_per_uid", 1, 65536,
	    &cfg->max_connections_per_uid) == -1 ||
	    cfg_str(ctx, t, "privsep", "socket_group", cfg->socket_group,
	    sizeof(cfg->socket_group)) == -1 || cfg_privsep_quotas(ctx, t, cfg) == -1)
		return -1;
	if ((mode = toml_get(t, "socket_mode")) != NULL) {
		char *end;
		long v;

		if (mode->type != TOML_STRING)
			return cfg_fail(ctx, mode->line, "privsep.socket_mode",
			    "expected an octal string such as \"0660\"");
		errno = 0;
		v = strtol(mode->str, &end, 8);
		if (mode->str[0] == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 0777)
			return cfg_fail(ctx, mode->line, "privsep.socket_mode",
			    "\"%s\" is not an octal mode up to 0777", mode->str);
		cfg->socket_mode = (uint32_t)v;
	}
	if (cfg->state_dir[0] == '\0')
		return cfg_fail(ctx, toml_get(t, "state_dir")->line, "privsep.state_dir", "empty");
	return 0;
}

/* Each provider names an existing key manager (or the only one). */
static int
cfg_link_key_managers(struct cfg_ctx *ctx, struct parsec_config *cfg)
{
	size_t i, k;

	if (cfg->key_manager_count == 0) {
		struct cfg_key_manager *km = &cfg->key_managers[0];

		strlcpy(km->name, "sqlite-manager", sizeof(km->name));
		km->type = CFG_KIM_SQLITE;
		strlcpy(km->sqlite_db_path,
		    "/var/lib/parsec/kim-mappings/sqlite/sqlite-key-info-manager.sqlite3",
		    sizeof(km->sqlite_db_path));
		cfg->key_manager_count = 1;
	}
	for (k = 0; k < cfg->key_manager_count; k++) {
		struct cfg_key_manager *km = &cfg->key_managers[k];

		if (km->type == CFG_KIM_ON_DISK && !km->sqlite_db_path_set &&
		    (size_t)snprintf(km->sqlite_db_path, sizeof(km->sqlite_db_path),
		    "%s/kim-mappings/sqlite/sqlite-key-info-manager.sqlite3", cfg->state_dir) >=
		    sizeof(km->sqlite_db_path))
			return cfg_fail(ctx, km->line, "key_manager.sqlite_db_path",
			    "state_dir too long for the key store of OnDisk \"%s\"", km->name);
	}
	for (i = 0; i < cfg->provider_count; i++) {
		struct cfg_provider *p = &cfg->providers[i];

		if (p->key_info_manager[0] == '\0') {
			if (cfg->key_manager_count > 1)
				return cfg_fail(ctx, p->line, "provider.key_info_manager",
				    "required when several key managers are configured");
			strlcpy(p->key_info_manager, cfg->key_managers[0].name,
			    sizeof(p->key_info_manager));
			continue;
		}
		for (k = 0; k < cfg->key_manager_count; k++)
			if (strcmp(cfg->key_managers[k].name, p->key_info_manager) == 0)
				break;
		if (k == cfg->key_manager_count)
			return cfg_fail(ctx, p->line, "provider.key_info_manager",
			    "no [[key_manager]] is named \"%s\"", p->key_info_manager);
	}
	return 0;
}

static int
cfg_array_of_tables(struct cfg_ctx *ctx, const struct toml_node *n, const char *name,
    struct parsec_config *cfg, int (*fn)(struct cfg_ctx *, const struct toml_node *,
    struct parsec_config *))
{
	size_t i;

	if (n->type != TOML_ARRAY || !n->array_of_tables)
		return cfg_fail(ctx, n->line, name, "expected [[%s]] tables", name);
	for (i = 0; i < n->count; i++)
		if (fn(ctx, n->items[i], cfg) == -1)
			return -1;
	return 0;
}

/*
 * Direct believes the name a client sends. Alone, that is upstream's model
 * and every client knows it; beside an authenticator whose identity the
 * kernel or a signature vouches for, an admin of Direct reads as safe and is
 * not: anyone who can reach the socket claims it. Upstream's meaning is
 * kept, and the operator told.
 */
static void
cfg_warn_direct_admins(const char *name, const struct parsec_config *cfg)
{
	const struct cfg_authenticator *direct = NULL, *verified = NULL;
	const char *kind;
	size_t i;

	for (i = 0; i < cfg->authenticator_count; i++) {
		if (cfg->authenticators[i].type == CFG_AUTH_DIRECT)
			direct = &cfg->authenticators[i];
		else if (verified == NULL)
			verified = &cfg->authenticators[i];
	}
	if (direct == NULL || verified == NULL || direct->admin_count == 0)
		return;
	kind = config_auth_type_name(verified->type);
	log_warnx("%s:%d: authenticator.admins: any local user who can reach the socket "
	    "becomes Direct's admin \"%s\"%s by sending that name (Direct believes the name a "
	    "client sends; %s beside it changes nothing); to keep admin operations to the "
	    "identities %s vouches for, list admins under it and none under Direct (parsecd(8), "
	    "SECURITY MODEL)", name, direct->line, direct->admins[0],
	    direct->admin_count > 1 ? " (and the others it lists)" : "", kind, kind);
}

static void
cfg_wipe_provider(struct cfg_provider *p)
{
	explicit_bzero(p->user_pin, sizeof(p->user_pin));
	explicit_bzero(p->owner_hierarchy_auth, sizeof(p->owner_hierarchy_auth));
	explicit_bzero(p->endorsement_hierarchy_auth, sizeof(p->endorsement_hierarchy_auth));
	p->user_pin_len = p->owner_hierarchy_auth_len = p->endorsement_hierarchy_auth_len = 0;
}

int
config_load_buffer(const char *name, const char *text, size_t len, struct parsec_config *cfg,
    char *err, size_t errlen)
{
	struct cfg_ctx ctx = { name, err, errlen, 0 };
	char toml_err[TOML_ERR_MAX];
	struct toml_node *root;
	const struct toml_node *listener = NULL;
	size_t i;
	int r = 0;

	config_defaults(cfg);
	cfg->authenticator_count = 0; /* Direct again if the file names none */
	strlcpy(cfg->path, name, sizeof(cfg->path));
	if ((root = toml_parse(text, len, toml_err, sizeof(toml_err))) == NULL) {
		snprintf(err, errlen, "%s:%s", name, toml_err);
		return -1;
	}
	for (i = 0; i < root->count && r == 0; i++) {
		const struct toml_node *n = root->items[i];

		if (strcmp(n->key, "key_manager") == 0) {
			r = cfg_array_of_tables(&ctx, n, "key_manager", cfg, cfg_key_manager);
			continue;
		}
		if (strcmp(n->key, "provider") == 0) {
			r = cfg_array_of_tables(&ctx, n, "provider", cfg, cfg_provider);
			continue;
		}
		if (strcmp(n->key, "authenticator") == 0) {
			r = n->type == TOML_TABLE ? cfg_authenticator(&ctx, n, cfg) :
			    cfg_array_of_tables(&ctx, n, "authenticator", cfg, cfg_authenticator);
			continue;
		}
		if (n->type != TOML_TABLE) {
			log_warnx("%s:%d: %s: unknown top-level key, ignored", name, n->line, n->key);
			continue;
		}
		if (strcmp(n->key, "core_settings") == 0)
			r = cfg_core_settings(&ctx, n, cfg);
		else if (strcmp(n->key, "listener") == 0)
			r = cfg_listener(&ctx, (listener = n), cfg);
		else if (strcmp(n->key, "privsep") == 0)
			r = cfg_privsep(&ctx, n, cfg);
		else
			log_warnx("%s:%d: [%s]: unknown table, ignored", name, n->line, n->key);
	}
	if (cfg->authenticator_count == 0)
		cfg->authenticator_count = 1;
	cfg->auth_type = cfg->authenticators[0].type;
	if (r == 0)
		cfg_warn_direct_admins(name, cfg);
	if (r == 0 && listener == NULL)
		r = cfg_fail(&ctx, 0, "listener", "the [listener] table is required "
		    "(listener_type, timeout, socket_path)");
	if (r == 0 && cfg->provider_count == 0)
		r = cfg_fail(&ctx, 0, "provider", "at least one [[provider]] is required");
	if (r == 0)
		r = cfg_link_key_managers(&ctx, cfg);
	toml_free(root);
	if (r != 0)
		config_wipe_secrets(cfg);
	if (r != 0 && cfg->provider_count < CFG_PROVIDER_MAX)
		cfg_wipe_provider(&cfg->providers[cfg->provider_count]);
	return r;
}

/* The first secret the config holds (a setting name), or NULL. */
static const char *
config_secret_key(const struct parsec_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->provider_count; i++) {
		const struct cfg_provider *p = &cfg->providers[i];

		if (p->user_pin_len > 0)
			return "provider.user_pin";
		if (p->owner_hierarchy_auth_len > 0)
			return "provider.owner_hierarchy_auth";
		if (p->endorsement_hierarchy_auth_len > 0)
			return "provider.endorsement_hierarchy_auth";
	}
	return NULL;
}

/*
 * Run as root, the configuration decides what root does: only root may be
 * able to change it.
 */
int
config_file_safe(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "%s: must be owned by root and writable by root alone "
		    "(owner uid %u, mode %04o)", path, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
config_load_file(const char *path, struct parsec_config *cfg, char *err, size_t errlen)
{
	const char *secret;
	struct stat st;
	char *text;
	ssize_t n;
	size_t got = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_FILE) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
		    CONFIG_MAX_FILE);
		close(fd);
		return -1;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, text + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	r = config_load_buffer(path, text, got, cfg, err, errlen);
	/* The file may hold a PIN. */
	explicit_bzero(text, got);
	free(text);
	/* A PIN anyone may read is no secret: the mode is the one just read through (fstat). */
	if (r == 0 && (secret = config_secret_key(cfg)) != NULL &&
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errlen, "%s: holds %s but group or others may read it (mode %04o): "
		    "chmod 0600 %s", path, secret, (unsigned)(st.st_mode & 07777), path);
		config_wipe_secrets(cfg);
		return -1;
	}
	return r;
}

/*
 * The rows in use; a failed load also wipes the one it was reading (rows
 * are zeroed as added). The row past a good load is left untouched: its
 * pages then never become resident.
 */
void
config_wipe_secrets(struct parsec_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->provider_count; i++)
		cfg_wipe_provider(&cfg->providers[i]);
}

const char *
config_auth_type_name(enum cfg_auth_type type)
{
	switch (type) {
	case CFG_AUTH_DIRECT:
		return "Direct";
	case CFG_AUTH_UNIX_PEER_CREDENTIALS:
		return "UnixPeerCredentials";
	case CFG_AUTH_JWT_SVID:
		return "JwtSvid";
	}
	return "unknown";
}

const char *
config_provider_kind_name(enum cfg_provider_kind kind)
{
	switch (kind) {
	case CFG_PROVIDER_MBED_CRYPTO:
		return "MbedCrypto";
	case CFG_PROVIDER_PKCS11:
		return "Pkcs11";
	case CFG_PROVIDER_TPM:
		return "Tpm";
	}
	return "unknown";
}

const struct cfg_provider *
config_provider(const struct parsec_config *cfg, enum cfg_provider_kind kind)
{
	size_t i;

	for (i = 0; i < cfg->provider_count; i++)
		if (cfg->providers[i].kind == kind)
			return &cfg->providers[i];
	return NULL;
}
