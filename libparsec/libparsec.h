/* SPDX-License-Identifier: Apache-2.0 */
/* libparsec internals shared between its files. */
#ifndef LIBPARSEC_H
#define LIBPARSEC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include <pb.h>

#include "parsec/client.h"
#include "wire.h"

#define PARSEC_USE_CLIENT_PROVIDER UINT32_MAX
#define PARSEC_AUTH_MAX 16384 /* a JWT-SVID; an app name is at most PARSEC_NAME_MAX */

struct parsec_settings {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* "": the default */
	char app_name[PARSEC_NAME_MAX + 1];                      /* "": the default */
	uint32_t auth;                                           /* PARSEC_AUTH_* */
	uint32_t provider;
	int provider_set;                                        /* 0: the first non-core one */
	uint32_t timeout_ms;
	size_t max_response;
};

struct parsec_client {
	pthread_mutex_t lock;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	uint64_t session;
	uint32_t provider;
	uint8_t auth_type;
	uint8_t auth[PARSEC_AUTH_MAX];
	size_t auth_len;
	size_t max_response;
	int timeout_ms;
};

/* given (NULL: none) with the environment's and built-in defaults filled in, into s. */
int parsec_settings_resolve(const parsec_settings *given, parsec_settings *s);

/*
 * Sends op as opcode to provider (PARSEC_USE_CLIENT_PROVIDER: the client's),
 * with the client's authentication if with_auth, and decodes a successful
 * answer into res (pb_release it afterwards). Returns the status.
 */
int parsec_call(parsec_client *c, uint32_t provider, uint32_t opcode, int with_auth,
    const pb_msgdesc_t *op_fields, const void *op, const pb_msgdesc_t *res_fields, void *res);
int parsec_call_locked(parsec_client *c, uint32_t provider, uint32_t opcode, int with_auth,
    const pb_msgdesc_t *op_fields, const void *op, const pb_msgdesc_t *res_fields, void *res);

/*
 * ops.c: one operation, req through opcode's row of the codec table, the
 * output bytes into out (NULL: none), the decoded Result into typed (NULL:
 * not kept; else the caller's zeroed Result, which it pb_releases). The
 * extension calls (ext_*.c) go through it too. parsec_name puts a key or
 * client name into req (dst: its key_name or client); one too long for it
 * fills it without a NUL, which the codec refuses (PsaErrorInvalidArgument).
 */
struct op_request;
struct pc_sink;
int parsec_run(parsec_client *c, uint32_t opcode, const struct op_request *req,
    struct pc_sink *out, void *typed);
void parsec_name(char *dst, const char *name);

/* jwt_svid.c: the token to send with JwtSvid, from the environment; 0 if none, -1 if unusable. */
long lp_jwt_svid(uint8_t *out, size_t cap);

#endif
