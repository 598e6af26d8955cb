/* SPDX-License-Identifier: Apache-2.0 */
/* parsecd internals shared between its files. */
#ifndef PARSECD_H
#define PARSECD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>

#include "config.h"
#include "proc.h"
#include "users.h"

/* A child process, as the parent keeps it (spawn.c): one per frontd, brokerd and provider worker. */
struct child {
	enum proc_kind kind;  /* its row in proc_table */
	const char *binary;   /* basename */
	char name[CFG_NAME_MAX + 16];
	pid_t pid;
	struct ipc_chan *chan;
	int hello; /* it said HELLO: channels made for it can be handed over */
	int ready;
	/*
	 * Our end of a channel made for its peer, until the peer takes it (at
	 * its exec, or in IPC_SETUP_PROVIDER); -1 when there is none.
	 */
	int peer_end;
	/* providers only */
	const struct cfg_provider *provider;
	/* Its directory below state_dir: kept, as provider points into a config a reload replaces. */
	char provider_dir[CFG_NAME_MAX];
	enum cfg_provider_kind provider_kind;
	int retired; /* its provider left the config: not restarted */
	uint32_t worker;
	uint32_t backoff_ms;
	struct event *restart_ev; /* made by supervise.c at the first restart */
};

#define SETUP_TIMEOUT_SEC 15 /* from the start until every child is ready */

/*
 * spawn.c: the children and their start as proc_table says.
 * parsecd_spawn_init() says where the children run from and who hears
 * their messages; parsecd_child() gives every child in turn (one per row
 * with a binary of its own, then each provider worker; NULL past the last),
 * parsecd_child_of() the one child of such a row (NULL for the providers').
 * A provider worker is set up in a free slot by parsecd_new_worker() (NULL:
 * none left).
 */
void parsecd_spawn_init(struct event_base *base, const struct parsec_config *cfg, int listen_fd,
    ipc_msg_cb child_msg, ipc_close_cb child_lost);
struct child *parsecd_child(size_t i);
struct child *parsecd_child_of(enum proc_kind kind);
void parsecd_spawn(struct child *c);
struct child *parsecd_new_worker(const struct cfg_provider *p, uint32_t worker);
uint32_t parsecd_workers_for(enum cfg_provider_kind kind);
/* A helper binary's path: build_dir next to parsecd's in a build tree, else LIBEXECDIR. */
void parsecd_helper_path(const char *build_dir, const char *binary, char *out, size_t outsz);
/* -t: every helper cfg would exec is there (the build tree or LIBEXECDIR) and executable. */
int parsecd_check_helpers(const struct parsec_config *cfg);

/*
 * settings.c: what each child is told at setup (IPC_SETUP) and at reload
 * (IPC_RELOAD), by the encoder its row names, from cfg (read where it is,
 * as a reload replaces it in place). -1: a provider worker whose secrets
 * could not be read again is told nothing and stopped (it is restarted
 * with backoff).
 */
void parsecd_settings_init(const struct parsec_config *cfg, int listen_fd);
int parsecd_send_settings(struct child *c, uint32_t type);
void parsecd_send_setup(struct child *c);
/* Hands the provider worker's peer (brokerd) its end of the worker's channel. */
void parsecd_link_provider(struct child *c);

/*
 * supervise.c: starts every child and then follows them: their messages
 * (HELLO, READY), readiness of the whole service, the reaping of children
 * (as their row's restart policy says) and the stop.
 */
void parsecd_supervise(struct event_base *base, const struct parsec_config *cfg, int listen_fd,
    int activated);
/* Starts one provider worker (and links it, if its peer said HELLO already). */
void parsecd_start_provider(struct child *c);
void parsecd_reap(void);
void parsecd_stop(int exit_code);
int parsecd_serving(void); /* ready, and not stopping */
int parsecd_exit_code(void);

/* reload.c: SIGHUP; cfg, the running configuration, is replaced in place. */
void parsecd_reload(struct parsec_config *cfg, const char *config_path);

/*
 * secrets.c: the providers' secrets are not kept. parsecd_secrets_forget()
 * notes which providers of cfg hold some and wipes them from it; a worker's
 * setup takes parsecd_secrets_read(): running's settings with the secrets
 * the configuration file (path, NULL for the built-in configuration) holds
 * now, or -1 with a line in err when the file cannot be read or no longer
 * configures that provider as it runs.
 */
void parsecd_secrets_forget(struct parsec_config *cfg, const char *path);
int parsecd_secrets_read(const struct cfg_provider *running, struct cfg_provider *out,
    char *err, size_t errlen);
/* Two provider settings are the same, whatever line they sit on. */
int parsecd_same_provider(const struct cfg_provider *a, const struct cfg_provider *b);

/*
 * Before any child starts: the chroot, the state directory (locked against a
 * second instance) with one directory per provider (leftover temporary key
 * files removed), and the key store's directory, made or checked (dirs.c).
 */
void parsecd_prepare_dirs(const struct parsec_config *cfg);

/*
 * As root: every path a role's user opens by name once it is no longer root
 * (the key store's directory, state_dir, a PKCS#11 module) can be reached by
 * that user, asked of the adoption helper (adoption.c), which says which
 * directory is in the way. 0, or -1 when one is not. Also run by -t.
 */
int parsecd_check_reach(const struct parsec_config *cfg);

/*
 * A provider worker pid was just reaped: the temporary key files it was
 * writing in its provider's directory (provider_dir below state_dir) are
 * removed, before any other process is started. worker names it in the log.
 */
void parsecd_remove_worker_leftovers(const char *provider_dir, pid_t pid, const char *worker);
/*
 * The service stopped with every child reaped: the state directory's lock
 * file says so, and the next start does not read the providers' directories
 * for temporary key files (there can be none); any other stop has it read them.
 */
void parsecd_mark_clean_stop(void);

/* A provider added by a reload: its directory, made as at start-up, open. */
int parsecd_provider_dir(const struct parsec_config *cfg, const struct cfg_provider *p);

/*
 * Opens the directory path (O_RDONLY|O_DIRECTORY), walking from / through
 * descriptors; with create, missing directories are made (the last with
 * uid, gid and mode, those on the way root's 0755) and *made tells whether
 * the last was. A directory that exists must be root's or the service
 * user's and not writable by others without the sticky bit, or the start
 * stops naming key and path. Call after parsecd_prepare_dirs.
 */
int parsecd_dir_open(const char *key, const char *path, int create, uid_t uid, gid_t gid,
    mode_t mode, int *made);

/*
 * The listening socket: systemd's (LISTEN_FDS) when socket-activated, else
 * made with [privsep] socket_mode and socket_group, replacing a stale file,
 * under a name of its own until parsecd_listen_publish() puts it at
 * listener.socket_path. *activated tells which.
 */
int parsecd_listen(const struct parsec_config *cfg, int *activated);
/* Every provider is up: clients may find the socket. */
void parsecd_listen_publish(const struct parsec_config *cfg);
/*
 * Closes and removes our socket; a service manager's is left in place, and
 * the clients queued on it are let go if the service never served.
 */
void parsecd_listen_close(int fd, const struct parsec_config *cfg);

/* Tells a service manager (NOTIFY_SOCKET) about our state; no-op without one. */
void parsecd_notify(const char *state);

/* auth_setup.c: the authenticators (and JWT bundles) for brokerd's setup and reloads. */
struct setup_broker;
void parsecd_auth_setup(const struct parsec_config *cfg, struct setup_broker *s);
struct ipc_chan;
void parsecd_spiffe_connect(const struct parsec_config *cfg, struct ipc_chan *broker);

/*
 * The adoption helper, parsec-adopt (adoption.c), given where the
 * configuration comes from. parsecd --orphans: it prints, one a line, the
 * key material providers hold that no key store entry names; the exit status.
 */
#define PARSECD_ADOPT_BINARY "parsec-adopt"
#define PARSECD_ADOPT_BUILD_DIR "adopt"
void parsecd_adopt_source(const char *config_path, const char *dev_dir);
int parsecd_orphans(const struct parsec_config *cfg);
/*
 * Upstream Parsec's keys (its SQLite or OnDisk key store, its Mbed Crypto
 * key files in the working directory) copied into ours by the helper, once,
 * before any child starts; with dry_run, printed, not done. 0, or -1 if our
 * key store could not be read or written.
 */
int parsecd_adopt(const struct parsec_config *cfg, int dry_run);
/*
 * Before parsecd_prepare_dirs: a key manager whose sqlite_db_path holds
 * upstream Parsec's SQLite key store (the helper tells) keeps it as
 * upstream_db_path (read only, never written) and gets parsecd's own, below
 * state_dir. 0, or -1 if the file is no SQLite file.
 */
int parsecd_adopt_resolve(struct parsec_config *cfg);

/* The executable name of a provider kind's process (spawn.c). */
const char *parsecd_provider_binary(enum cfg_provider_kind kind);

/*
 * The adoption runs as the key store's owner: the software and TPM providers'
 * directories (key files; upstream's primary mark) are lent to it and, once
 * it is done, given back to their owner, with the files it wrote if it may
 * have written any (wrote), else alone (dirs.c).
 */
void parsecd_lend_provider_dirs(const struct parsec_config *cfg, uid_t uid, gid_t gid);
void parsecd_settle_provider_dirs(const struct parsec_config *cfg, int wrote);

struct setup_broker;
/*
 * The deployment identities of the providers' state directories, read for
 * brokerd, which checks them against its key store (deploy.c); fatal if two
 * directories belong to different deployments.
 */
void parsecd_deploy_scan(const struct parsec_config *cfg, struct setup_broker *s);
/* brokerd's deployment identity, written into each provider directory without one. */
void parsecd_deploy_label(const struct parsec_config *cfg, const uint8_t *id, size_t len);
/*
 * The directory fd of a provider a reload adds takes that identity, unless it
 * holds files of no known deployment (the next start refuses it: said here).
 */
void parsecd_deploy_join(const struct parsec_config *cfg, const struct cfg_provider *p, int fd);

#endif
