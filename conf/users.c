/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who each process runs as: one user per role ([privsep] frontd_user,
 * brokerd_user, mbed_user; user for the PKCS#11 and TPM providers), looked up
 * once at start. A role the config does not name takes its default user, or
 * [privsep] user when that one does not exist (a host set up before roles).
 * The parent and the adoption helper (its reach job) both look them up.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "users.h"

static const char *const role_default[USERS_ROLES] = {
	[USERS_ROLE_FRONTD] = "_parsec-front",
	[USERS_ROLE_BROKERD] = "_parsec-broker",
	[USERS_ROLE_MBED] = "_parsec-mbed",
	[USERS_ROLE_DEVICE] = NULL, /* [privsep] user itself */
};

static const char *const role_key[USERS_ROLES] = {
	[USERS_ROLE_FRONTD] = "frontd_user",
	[USERS_ROLE_BROKERD] = "brokerd_user",
	[USERS_ROLE_MBED] = "mbed_user",
	[USERS_ROLE_DEVICE] = "user",
};

static struct users_entry users[USERS_ROLES];
static int users_ready;

static const char *
users_configured(const struct parsec_config *cfg, enum users_role r)
{
	switch (r) {
	case USERS_ROLE_FRONTD:
		return cfg->frontd_user;
	case USERS_ROLE_BROKERD:
		return cfg->brokerd_user;
	case USERS_ROLE_MBED:
		return cfg->mbed_user;
	default:
		return cfg->user;
	}
}

static void
users_resolve(const struct parsec_config *cfg, enum users_role r)
{
	struct users_entry *u = &users[r];
	const char *name = users_configured(cfg, r);
	struct passwd *pw;

	if (name[0] == '\0' && (pw = getpwnam(role_default[r])) != NULL) {
		name = role_default[r];
	} else if (name[0] == '\0') {
		log_warnx("[privsep] %s: %s does not exist; the %s runs as %s (user)", role_key[r],
		    role_default[r], users_role_name(r), cfg->user);
		name = cfg->user;
	}
	if ((pw = getpwnam(name)) == NULL)
		fatalx("[privsep] %s: user %s does not exist (scripts/deps.sh and the Debian "
		    "package create the default users)", role_key[r], name);
	if (pw->pw_uid == 0)
		fatalx("[privsep] %s: %s is root", role_key[r], name);
	strlcpy(u->name, name, sizeof(u->name));
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
}

void
users_init(const struct parsec_config *cfg)
{
	int r;

	if (users_ready)
		return;
	for (r = 0; r < USERS_ROLES; r++) {
		if (geteuid() == 0) {
			users_resolve(cfg, (enum users_role)r);
			continue;
		}
		/* Not root: every child stays who we are. */
		users[r].uid = geteuid();
		users[r].gid = getegid();
		strlcpy(users[r].name, users_configured(cfg, (enum users_role)r),
		    sizeof(users[r].name));
		if (users[r].name[0] == '\0')
			strlcpy(users[r].name, cfg->user, sizeof(users[r].name));
	}
	users_ready = 1;
}

const struct users_entry *
users_get(enum users_role r)
{
	if (!users_ready)
		fatalx("parsecd_user before users_init");
	return &users[r];
}

enum users_role
users_provider_role(enum cfg_provider_kind kind)
{
	return kind == CFG_PROVIDER_MBED_CRYPTO ? USERS_ROLE_MBED : USERS_ROLE_DEVICE;
}

int
users_is_service_uid(uid_t uid)
{
	int r;

	for (r = 0; r < USERS_ROLES; r++)
		if (users_ready && users[r].uid == uid)
			return 1;
	return 0;
}

const char *
users_role_name(enum users_role r)
{
	static const char *const names[USERS_ROLES] = { "front end", "broker",
		"software provider", "PKCS#11 and TPM providers" };

	return names[r];
}
