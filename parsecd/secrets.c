/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The providers' secrets (user_pin, the TPM hierarchy passwords) are not
 * kept: once the configuration is loaded they are wiped from it, and each
 * provider worker's setup (at the start, a restart, a reload) reads its own
 * again from the configuration file, sends them and wipes them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "parsecd.h"

/* Which provider kinds of the running configuration hold a secret in its file. */
static int secrets_held[CFG_PROVIDER_TPM + 1];
/* That file; NULL for the built-in configuration. */
static const char *secrets_path;

static int
secrets_in(const struct cfg_provider *p)
{
	return p->user_pin_len > 0 || p->owner_hierarchy_auth_len > 0 ||
	    p->endorsement_hierarchy_auth_len > 0;
}

void
parsecd_secrets_forget(struct parsec_config *cfg, const char *path)
{
	size_t i;

	secrets_path = path;
	memset(secrets_held, 0, sizeof(secrets_held));
	for (i = 0; i < cfg->provider_count; i++)
		secrets_held[cfg->providers[i].kind] = secrets_in(&cfg->providers[i]);
	config_wipe_secrets(cfg);
}

/* line is the row's last member; a row is zeroed when it is added, its padding too. */
_Static_assert(offsetof(struct cfg_provider, line) + sizeof(int) == sizeof(struct cfg_provider),
    "parsecd_same_provider compares all but line");
int
parsecd_same_provider(const struct cfg_provider *a, const struct cfg_provider *b)
{
	return memcmp(a, b, offsetof(struct cfg_provider, line)) == 0;
}

/* The file as it is now, quietly: its warnings were logged when it was loaded. */
static int
secrets_load(struct parsec_config *cfg, char *err, size_t errlen)
{
	int level = log_getlevel(), r;

	if (config_file_safe(secrets_path, err, errlen) == -1)
		return -1;
	log_setlevel(LOG_LVL_ERROR);
	r = config_load_file(secrets_path, cfg, err, errlen);
	log_setlevel(level);
	return r;
}

/* The provider of kind in cfg, its secrets kept, the rest compared with running. */
static int
secrets_take(struct parsec_config *cfg, const struct cfg_provider *running,
    struct cfg_provider *out, char *err, size_t errlen)
{
	const char *kind = config_provider_kind_name(running->kind);
	const struct cfg_provider *p = config_provider(cfg, running->kind);

	if (p == NULL) {
		snprintf(err, errlen, "%s no longer configures the %s provider: send SIGHUP to "
		    "take the file", secrets_path, kind);
		return -1;
	}
	*out = *p;
	config_wipe_secrets(cfg);
	if (!parsecd_same_provider(p, running)) {
		snprintf(err, errlen, "%s changed the %s provider's settings since it was "
		    "loaded: send SIGHUP to take them", secrets_path, kind);
		explicit_bzero(out, sizeof(*out));
		return -1;
	}
	return 0;
}

int
parsecd_secrets_read(const struct cfg_provider *running, struct cfg_provider *out, char *err,
    size_t errlen)
{
	struct parsec_config *cfg;
	int r;

	*out = *running;
	if (secrets_path == NULL || !secrets_held[running->kind])
		return 0;
	/*
	 * 229 KiB, mapped only while the file is read: a static copy, wiped
	 * whole, would keep every page of it resident in the parent for good.
	 */
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		fatal("calloc");
	r = secrets_load(cfg, err, errlen);
	if (r == 0)
		r = secrets_take(cfg, running, out, err, errlen);
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	return r;
}
