/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the files of an adoption run share (the run, its OnDisk and TPM parts):
 * its list of upstream keys, a skipped key counted and said, an
 * authenticator's name, a provider's state directory, a new key store entry.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "log.h"

const char *
adopt_auth(const struct adopt_key *k)
{
	return config_auth_type_name((enum cfg_auth_type)k->auth_type);
}

struct adopt_key *
adopt_add_key(struct adopt_run *run)
{
	struct adopt_key *k;

	if ((k = reallocarray(run->keys, run->key_count + 1, sizeof(*k))) == NULL)
		fatal("reallocarray");
	run->keys = k;
	k = &run->keys[run->key_count++];
	memset(k, 0, sizeof(*k));
	return k;
}

void
adopt_count_skip(struct adopt_run *run, const struct adopt_key *k, const char *reason,
    const char *detail)
{
	size_t i;

	for (i = 0; i < run->reason_count; i++)
		if (run->reasons[i].text == reason)
			break;
	if (i == run->reason_count && run->reason_count < ADOPT_REASONS)
		run->reasons[run->reason_count++].text = reason;
	if (i < run->reason_count)
		run->reasons[i].count++;
	run->skipped++;
	if (run->dry_run)
		printf("skip %s %s %s: %s%s\n", adopt_auth(k), k->app, k->name,
		    reason, detail);
	else
		log_warnx("upstream key %s/%s/%s not adopted: %s%s", adopt_auth(k),
		    k->app, k->name, reason, detail);
}

int
adopt_state_dir(const struct adopt_run *run, const struct cfg_provider *p)
{
	char path[CFG_LONGPATH_MAX + CFG_NAME_MAX + 2];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", run->cfg->state_dir, p->name);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && !run->dry_run)
		log_warn("%s", path);
	return fd;
}

void
adopt_entry(struct kim_entry *e, const struct adopt_key *k, const struct cfg_provider *p)
{
	e->auth_type = k->auth_type;
	strlcpy(e->app, k->app, sizeof(e->app));
	strlcpy(e->name, k->name, sizeof(e->name));
	e->provider_id = (uint32_t)p->kind;
}
