/* SPDX-License-Identifier: Apache-2.0 */
/* parsecd internals shared between its files. */
#ifndef PARSECD_H
#define PARSECD_H

#include <stddef.h>

#include "config.h"

/* The built-in development config for `parsecd -D DIR` (make run). */
int parsecd_dev_config(const char *dir, struct parsec_config *cfg, char *err, size_t errlen);

/* As root: the service user's directories, made and owned before children start. */
void parsecd_prepare_dirs(const struct parsec_config *cfg);

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

/* The executable name of a provider kind's process. */
const char *parsecd_provider_binary(enum cfg_provider_kind kind);

#endif
