/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checks of an auth field that need nothing but the field and the
 * kernel's uid of the connection: brokerd's Direct and UnixPeerCredentials
 * authenticators, and frontd deciding whether it may answer a request alone.
 */
#ifndef PARSEC_AUTHN_H
#define PARSEC_AUTHN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Direct: the field is the application's name, non-empty, shorter than
 * name_size and valid UTF-8 without a NUL. 0 with the name in name (if not
 * NULL), or -1.
 */
int authn_direct(const uint8_t *auth, size_t auth_len, char *name, size_t name_size);

/*
 * UnixPeerCredentials: the field is a little-endian u32 uid that must be the
 * connection's peer uid as the kernel reported it. 0 with the uid in decimal
 * in name (if not NULL), or -1.
 */
int authn_peer_uid(const uint8_t *auth, size_t auth_len, uid_t peer_uid, char *name,
    size_t name_size);

#endif
