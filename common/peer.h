/* SPDX-License-Identifier: Apache-2.0 */
/* Whether a descriptor passed as "a client" really is one of the service's own clients. */
#ifndef PARSEC_PEER_H
#define PARSEC_PEER_H

#include <stddef.h>

/*
 * 0 if fd is a connected (not listening) AF_UNIX stream socket whose local
 * address is listen_path, the service's listening address: what accept() on
 * the service's listener gives, and nothing else (a listener, a socketpair, a
 * socket of another service or an unconnected one). -1 otherwise, with the
 * reason in why. SO_PEERCRED of anything else would name the wrong process.
 */
int peer_is_client(int fd, const char *listen_path, char *why, size_t why_len);

#endif
