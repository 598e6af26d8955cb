/* SPDX-License-Identifier: Apache-2.0 */
/* parsecd internals shared between its files. */
#ifndef PARSECD_H
#define PARSECD_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* The built-in development config for `parsecd -D DIR` (make run). */
int parsecd_dev_config(const char *dir, struct parsec_config *cfg, char *err, size_t errlen);

/*
 * Before any child starts: the chroot, the state directory (locked against a
 * second instance) with one directory per provider (leftover temporary key
 * files removed), and the key store's directory, made or checked (dirs.c).
 */
void parsecd_prepare_dirs(const struct parsec_config *cfg);

/*
 * A provider added by a reload: its directory, made as at start-up, and
 * the deployment identity of its siblings if it holds nothing yet.
 */
void parsecd_prepare_provider_dir(const struct parsec_config *cfg, const struct cfg_provider *p);

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

/*
 * parsecd --orphans: prints, one a line, the key material providers hold
 * that no key store entry names; the exit status (orphans.c).
 */
/* auth_setup.c: the authenticators (and JWT bundles) for brokerd's setup and reloads. */
struct setup_broker;
void parsecd_auth_setup(const struct parsec_config *cfg, struct setup_broker *s);
struct ipc_chan;
void parsecd_spiffe_connect(const struct parsec_config *cfg, struct ipc_chan *broker);

int parsecd_orphans(const struct parsec_config *cfg);

/* The executable name of a provider kind's process. */
const char *parsecd_provider_binary(enum cfg_provider_kind kind);

#endif
