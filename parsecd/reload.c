/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SIGHUP: config.toml read again and compared with the running one.
 * Providers that left or changed are retired, new ones started; settings a
 * running service cannot take are reported and kept; frontd and brokerd get
 * their new settings in IPC_RELOAD.
 */
#include <signal.h>
#include <string.h>

#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "parsecd.h"

static const struct cfg_provider *
parsecd_find_provider(const struct parsec_config *cfg, enum cfg_provider_kind kind)
{
	size_t i;

	for (i = 0; i < cfg->provider_count; i++)
		if (cfg->providers[i].kind == kind)
			return &cfg->providers[i];
	return NULL;
}

/* Stops a provider's workers for good and tells brokerd it is gone. */
static void
parsecd_retire_provider(enum cfg_provider_kind kind)
{
	size_t i;

	for (i = 0; i < pd.provider_count; i++) {
		struct child *c = &pd.providers[i];

		if (c->retired || c->provider_kind != kind)
			continue;
		c->retired = 1;
		evtimer_del(c->restart_ev);
		if (c->pid > 0)
			kill(c->pid, SIGTERM);
	}
	ipc_send_provider_removed(pd.broker.chan, (uint32_t)kind);
}

static void
parsecd_add_provider(const struct cfg_provider *p)
{
	struct child *c;
	uint32_t w;

	parsecd_prepare_provider_dir(&pd.cfg, p);
	for (w = 0; w < parsecd_workers_for(p->kind); w++) {
		if ((c = parsecd_new_worker(p, w)) == NULL) {
			log_warnx("reload: no room for another provider worker");
			return;
		}
		parsecd_start_provider(c);
	}
}

/* Settings a running service cannot take: reported, and the running ones kept. */
static void
parsecd_keep_fixed(struct parsec_config *next)
{
	const struct parsec_config *cur = &pd.cfg;
	size_t i;
	int kim_changed = next->key_manager_count != cur->key_manager_count;

	for (i = 0; !kim_changed && i < cur->key_manager_count; i++)
		kim_changed = strcmp(next->key_managers[i].sqlite_db_path,
		    cur->key_managers[i].upstream_db_path[0] != '\0' ? cur->key_managers[i].
		    upstream_db_path : cur->key_managers[i].sqlite_db_path) != 0 ||
		    strcmp(next->key_managers[i].name, cur->key_managers[i].name) != 0;
	if (strcmp(next->socket_path, cur->socket_path) != 0)
		log_warnx("reload: listener.socket_path changes on restart only");
	if (strcmp(next->user, cur->user) != 0 || strcmp(next->chroot_dir, cur->chroot_dir) != 0 ||
	    strcmp(next->frontd_user, cur->frontd_user) != 0 ||
	    strcmp(next->brokerd_user, cur->brokerd_user) != 0 ||
	    strcmp(next->mbed_user, cur->mbed_user) != 0 ||
	    strcmp(next->state_dir, cur->state_dir) != 0 || next->workers != cur->workers)
		log_warnx("reload: [privsep] users, chroot_dir, state_dir and workers change on "
		    "restart only");
	if (kim_changed)
		log_warnx("reload: [[key_manager]] changes on restart only");
	strlcpy(next->socket_path, cur->socket_path, sizeof(next->socket_path));
	strlcpy(next->user, cur->user, sizeof(next->user));
	strlcpy(next->frontd_user, cur->frontd_user, sizeof(next->frontd_user));
	strlcpy(next->brokerd_user, cur->brokerd_user, sizeof(next->brokerd_user));
	strlcpy(next->mbed_user, cur->mbed_user, sizeof(next->mbed_user));
	strlcpy(next->chroot_dir, cur->chroot_dir, sizeof(next->chroot_dir));
	strlcpy(next->state_dir, cur->state_dir, sizeof(next->state_dir));
	next->workers = cur->workers;
	next->key_manager_count = cur->key_manager_count;
	memcpy(next->key_managers, cur->key_managers, sizeof(next->key_managers));
	next->socket_mode = cur->socket_mode;
	strlcpy(next->socket_group, cur->socket_group, sizeof(next->socket_group));
}

/* Providers that left or changed in next: their workers retired. */
static void
parsecd_retire_changed(const struct parsec_config *next)
{
	enum cfg_provider_kind kind;

	for (kind = CFG_PROVIDER_MBED_CRYPTO; kind <= CFG_PROVIDER_TPM; kind++) {
		const struct cfg_provider *old = parsecd_find_provider(&pd.cfg, kind);
		const struct cfg_provider *new = parsecd_find_provider(next, kind);

		if (old != NULL && (new == NULL || !parsecd_same_provider(old, new))) {
			log_info("reload: %s provider %s %s", config_provider_kind_name(kind),
			    old->name, new == NULL ? "removed" : "changed, restarting it");
			parsecd_retire_provider(kind);
		}
	}
}

/* Providers of the (taken) configuration with no running worker: started. */
static void
parsecd_start_new(void)
{
	size_t i, k;

	for (i = 0; i < pd.cfg.provider_count; i++) {
		const struct cfg_provider *p = &pd.cfg.providers[i];
		int running = 0;

		for (k = 0; k < pd.provider_count; k++)
			running |= !pd.providers[k].retired && pd.providers[k].provider_kind == p->kind;
		if (!running) {
			log_info("reload: starting %s provider %s", config_provider_kind_name(p->kind),
			    p->name);
			parsecd_add_provider(p);
		}
	}
}

/*
 * A file that does not load is refused and the running configuration keeps
 * serving; otherwise limits, admins and the authenticator change in place
 * and providers come and go, while clients on other providers keep their
 * connections.
 */
void
parsecd_reload(void)
{
	static struct parsec_config next;
	char err[CFG_ERR_MAX];
	size_t i;

	if (pd.config_path == NULL) {
		log_warnx("SIGHUP: the built-in configuration has nothing to reload");
		return;
	}
	if (pd.stopping || !pd.serving)
		return;
	if (config_file_safe(pd.config_path, err, sizeof(err)) == -1 ||
	    config_load_file(pd.config_path, &next, err, sizeof(err)) == -1) {
		log_warnx("reload refused, the running configuration stays: %s", err);
		return;
	}
	/*
	 * Secrets are read again at each worker's setup: a changed PIN or
	 * password alone restarts nothing, and the next worker started takes it.
	 */
	parsecd_secrets_forget(&next);
	parsecd_keep_fixed(&next);
	parsecd_retire_changed(&next);
	/* Take the new configuration; live children now point into it. */
	pd.cfg = next;
	explicit_bzero(&next, sizeof(next));
	for (i = 0; i < pd.provider_count; i++)
		if (!pd.providers[i].retired)
			pd.providers[i].provider =
			    parsecd_find_provider(&pd.cfg, pd.providers[i].provider_kind);
	parsecd_start_new();
	parsecd_send_settings(&pd.front, IPC_RELOAD);
	parsecd_send_settings(&pd.broker, IPC_RELOAD);
	log_info("reloaded %s", pd.config_path);
}
