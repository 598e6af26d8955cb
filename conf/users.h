/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who each process of the service runs as (users.c): one user per role, as
 * [privsep] names them. The parent drops each child to its role's user; the
 * adoption helper checks, as each of them, the paths they will open.
 */
#ifndef USERS_H
#define USERS_H

#include <sys/types.h>

#include "config.h"

enum users_role {
	USERS_ROLE_FRONTD,
	USERS_ROLE_BROKERD,
	USERS_ROLE_MBED,   /* the software provider: the only key files on disk */
	USERS_ROLE_DEVICE, /* PKCS#11 and TPM providers: [privsep] user, its groups */
	USERS_ROLES
};

struct users_entry {
	char name[CFG_NAME_MAX];
	uid_t uid;
	gid_t gid;
};

/* Looks every role's user up (as root; ourselves otherwise); fatal if one is missing. */
void users_init(const struct parsec_config *cfg);
const struct users_entry *users_get(enum users_role r);
enum users_role users_provider_role(enum cfg_provider_kind kind);
const char *users_role_name(enum users_role r);
/* Whether uid is one of the roles' users. */
int users_is_service_uid(uid_t uid);

#endif
