/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.toml as the upstream Parsec service reads it, plus our [privsep] table.
 * Parsed once, in the parent; children get the pieces they need over IPC.
 */
#ifndef PARSEC_CONFIG_H
#define PARSEC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg_sizes.h"

#define CFG_PROVIDER_MAX 8
#define CFG_KEY_MANAGER_MAX 8
#define CFG_ERR_MAX 512

enum cfg_log_level { CFG_LOG_ERROR, CFG_LOG_WARN, CFG_LOG_INFO, CFG_LOG_DEBUG, CFG_LOG_TRACE };

/* Values are the wire auth_type numbers. */
enum cfg_auth_type {
	CFG_AUTH_DIRECT = 1,
	CFG_AUTH_UNIX_PEER_CREDENTIALS = 3,
	CFG_AUTH_JWT_SVID = 4,
};

/* Values are the wire provider ids. */
enum cfg_provider_kind {
	CFG_PROVIDER_MBED_CRYPTO = 1,
	CFG_PROVIDER_PKCS11 = 2,
	CFG_PROVIDER_TPM = 3,
};

enum cfg_kim_type { CFG_KIM_SQLITE, CFG_KIM_ON_DISK };

/* One [authenticator] table or [[authenticator]] entry; admins are its own. */
struct cfg_authenticator {
	enum cfg_auth_type type;
	char admins[CFG_ADMIN_MAX][CFG_ADMIN_NAME_MAX];
	size_t admin_count;
	char workload_endpoint[CFG_LONGPATH_MAX]; /* JwtSvid: unix:///path of the Workload API */
	char jwt_bundle_path[CFG_LONGPATH_MAX];   /* JwtSvid, ours: a local JWKS bundle file */
	int line;
};

struct cfg_key_manager {
	char name[CFG_NAME_MAX];
	enum cfg_kim_type type;
	char sqlite_db_path[CFG_LONGPATH_MAX]; /* SQLite; default /var/lib/parsec/kim-mappings/sqlite/sqlite-key-info-manager.sqlite3 */
	char store_path[CFG_LONGPATH_MAX];     /* OnDisk; default /var/lib/parsec/mappings */
	/*
	 * OnDisk mappings are adopted into our SQLite store: sqlite_db_path when
	 * given, else state_dir/kim-mappings/sqlite/sqlite-key-info-manager.sqlite3.
	 */
	int sqlite_db_path_set;
	/*
	 * Set at start-up when sqlite_db_path held upstream Parsec's key store:
	 * that path, read and never written; sqlite_db_path is then parsecd's own.
	 */
	char upstream_db_path[CFG_LONGPATH_MAX];
	int line;
};

struct cfg_provider {
	enum cfg_provider_kind kind;
	char name[CFG_NAME_MAX];             /* default per kind, as upstream */
	char key_info_manager[CFG_NAME_MAX]; /* name of a [[key_manager]] */
	/* Pkcs11 */
	char library_path[CFG_LONGPATH_MAX];
	bool has_slot_number;
	uint64_t slot_number;
	char serial_number[CFG_NAME_MAX];
	char user_pin[CFG_SECRET_MAX]; /* decoded from str:/hex: prefixes */
	size_t user_pin_len;
	bool has_user_pin;
	bool software_public_operations;
	bool allow_export; /* default true, as upstream */
	/* Tpm */
	char tcti[CFG_LONGPATH_MAX];
	char owner_hierarchy_auth[CFG_SECRET_MAX];
	size_t owner_hierarchy_auth_len;
	char endorsement_hierarchy_auth[CFG_SECRET_MAX];
	size_t endorsement_hierarchy_auth_len;
	bool skip_if_no_tpm;
	/* Ours: list the MAC opcodes (0x16/0x17) in ListOpcodes; see etc/config.toml. */
	bool advertise_mac_opcodes;
	/* Ours: a module that needs more than the measured filter; logged, not killed. */
	bool relax_seccomp;
	int line; /* line of its [[provider]] header, for messages */
};

struct parsec_config {
	char path[CFG_LONGPATH_MAX]; /* file it came from, for messages */

	/* [core_settings] */
	bool allow_root;
	uint32_t thread_pool_size;
	enum cfg_log_level log_level; /* default warn */
	bool log_timestamp;
	uint32_t body_len_limit; /* default 1 MiB */
	bool log_error_details;
	uint32_t buffer_size_limit; /* default 1 MiB */
	bool allow_deprecated;

	/* [listener] */
	uint32_t timeout_ms; /* required */
	char socket_path[CFG_PATH_MAX]; /* default /run/parsec/parsec.sock */

	/* [authenticator] or [[authenticator]]: config order, the first is the default */
	struct cfg_authenticator authenticators[CFG_AUTH_MAX];
	size_t authenticator_count;
	enum cfg_auth_type auth_type; /* authenticators[0].type: the default one */

	struct cfg_key_manager key_managers[CFG_KEY_MANAGER_MAX];
	size_t key_manager_count;
	struct cfg_provider providers[CFG_PROVIDER_MAX]; /* config order */
	size_t provider_count;

	/* [privsep]: ours */
	char user[CFG_NAME_MAX];            /* default _parsec: PKCS#11 and TPM providers */
	/* Per-role users; empty: _parsec-front, _parsec-broker, _parsec-mbed, else user */
	char frontd_user[CFG_NAME_MAX];
	char brokerd_user[CFG_NAME_MAX];
	char mbed_user[CFG_NAME_MAX];
	char chroot_dir[CFG_LONGPATH_MAX];  /* frontd's empty dir; default /var/empty */
	char state_dir[CFG_LONGPATH_MAX];   /* providers' state; default /var/lib/parsec */
	uint32_t workers;                   /* provider workers; 0 = number of CPUs */
	uint32_t keep_alive_timeout_ms;     /* idle kept-alive connection; default 60 s */
	uint32_t max_connections;           /* default 1024 */
	uint32_t max_connections_per_uid;   /* default 256 */
	uint32_t max_output_bytes_per_uid;  /* unread answers; default 64 MiB; 0 = no cap */
	uint32_t max_keys_per_application;  /* default 10000; 0 = unlimited */
	uint64_t max_key_bytes_per_application; /* default 64 MiB; 0 = unlimited */
	uint32_t max_requests_per_application; /* at the providers; default 64; 0 = unlimited */
	uint32_t socket_mode;               /* default 0666 */
	char socket_group[CFG_NAME_MAX];    /* empty: no group narrowing */
};

/*
 * What a key manager's sqlite_db_path holds, as the adoption helper tells
 * parsecd (its exit status): upstream Parsec's store is read, never written.
 */
enum cfg_store_kind {
	CFG_STORE_ABSENT = 10,
	CFG_STORE_OURS,
	CFG_STORE_UPSTREAM,
	CFG_STORE_UNREADABLE,
};
/*
 * When it is upstream's, parsecd keeps its own below state_dir, here: no
 * provider may take this name for its directory.
 */
#define CFG_OWN_STORE_DIR "parsecd-kim"
#define CFG_OWN_STORE CFG_OWN_STORE_DIR "/sqlite-key-info-manager.sqlite3"

/*
 * Fills every default; a config still needs [listener] timeout and one provider.
 * The tables' rows past their counts are left as they are: a row is zeroed
 * when it is added, and nothing reads past a count.
 */
void config_defaults(struct parsec_config *cfg);

/*
 * dst becomes src: its rows up to the counts and every other field. The
 * rows past the counts are not copied, so their pages are not touched.
 */
void config_copy(struct parsec_config *dst, const struct parsec_config *src);

/*
 * Loads and validates. On failure returns -1 and writes one line to err:
 * "FILE:LINE: key: what is wrong". Unknown keys are logged as warnings.
 */
int config_load_file(const char *path, struct parsec_config *cfg, char *err, size_t errlen);
/* As root, whether only root can change the file at path: 0, or -1 with err written. */
int config_file_safe(const char *path, char *err, size_t errlen);
/* The embedded default for `make run`, its paths below dir (config_dev.c). */
int config_dev_load(const char *dir, struct parsec_config *cfg, char *err, size_t errlen);
int config_load_buffer(const char *name, const char *text, size_t len,
    struct parsec_config *cfg, char *err, size_t errlen);

/* Wipes secrets (PIN, hierarchy auths) in place. */
void config_wipe_secrets(struct parsec_config *cfg);

const char *config_auth_type_name(enum cfg_auth_type type);
const char *config_provider_kind_name(enum cfg_provider_kind kind);
/* The provider of that kind in cfg (there is one of each at most), or NULL. */
const struct cfg_provider *config_provider(const struct parsec_config *cfg,
    enum cfg_provider_kind kind);

#endif
