/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SIGHUP: config.toml read again and compared with the running one.
 * Providers that left or changed are retired, new ones started; settings a
 * running service cannot take are reported and kept; every child of a row
 * with a binary of its own (frontd, brokerd) gets its new settings in
 * IPC_RELOAD.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "parsecd.h"

/* Stops a provider's workers for good and tells their peer (brokerd) it is gone. */
static void
parsecd_retire_provider(enum cfg_provider_kind kind)
{
	struct child *c;
	size_t i;

	for (i = 0; (c = parsecd_child(i)) != NULL; i++) {
		if (c->kind != PROC_PROVIDER || c->retired || c->provider_kind != kind)
			continue;
		c->retired = 1;
		if (c->restart_ev != NULL)
			evtimer_del(c->restart_ev);
		if (c->pid > 0)
			kill(c->pid, SIGTERM);
	}
	ipc_send_provider_removed(parsecd_child_of(proc_table[PROC_PROVIDER].peer)->chan,
	    (uint32_t)kind);
}

static void
parsecd_add_provider(const struct parsec_config *cfg, const struct cfg_provider *p)
{
	struct child *c;
	uint32_t w;
	int fd = parsecd_provider_dir(cfg, p);

	/* Its directory carries the deployment identity before a worker starts there. */
	parsecd_deploy_join(cfg, p, fd);
	close(fd);
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
parsecd_keep_fixed(const struct parsec_config *cur, struct parsec_config *next)
{
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
	/* The rows in use only: the others' pages, never touched, stay out of memory. */
	memcpy(next->key_managers, cur->key_managers,
	    cur->key_manager_count * sizeof(cur->key_managers[0]));
	next->socket_mode = cur->socket_mode;
	strlcpy(next->socket_group, cur->socket_group, sizeof(next->socket_group));
}

/* Providers that left or changed in next: their workers retired. */
static void
parsecd_retire_changed(const struct parsec_config *cur, const struct parsec_config *next)
{
	enum cfg_provider_kind kind;

	for (kind = CFG_PROVIDER_MBED_CRYPTO; kind <= CFG_PROVIDER_TPM; kind++) {
		const struct cfg_provider *old = config_provider(cur, kind);
		const struct cfg_provider *new = config_provider(next, kind);

		if (old != NULL && (new == NULL || !parsecd_same_provider(old, new))) {
			log_info("reload: %s provider %s %s", config_provider_kind_name(kind),
			    old->name, new == NULL ? "removed" : "changed, restarting it");
			parsecd_retire_provider(kind);
		}
	}
}

/* The running worker of a provider kind, or NULL. */
static struct child *
parsecd_running_worker(enum cfg_provider_kind kind)
{
	struct child *c;
	size_t i;

	for (i = 0; (c = parsecd_child(i)) != NULL; i++)
		if (c->kind == PROC_PROVIDER && !c->retired && c->provider_kind == kind)
			return c;
	return NULL;
}

/*
 * The (taken) configuration's providers: live workers point into it, and a
 * provider with no running worker is started.
 */
static void
parsecd_start_new(const struct parsec_config *cfg)
{
	struct child *c;
	size_t i;

	for (i = 0; (c = parsecd_child(i)) != NULL; i++)
		if (c->kind == PROC_PROVIDER && !c->retired)
			c->provider = config_provider(cfg, c->provider_kind);
	for (i = 0; i < cfg->provider_count; i++) {
		const struct cfg_provider *p = &cfg->providers[i];

		if (parsecd_running_worker(p->kind) == NULL) {
			log_info("reload: starting %s provider %s", config_provider_kind_name(p->kind),
			    p->name);
			parsecd_add_provider(cfg, p);
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
parsecd_reload(struct parsec_config *cfg, const char *config_path)
{
	struct parsec_config *next;
	char err[CFG_ERR_MAX];
	enum proc_kind kind;
	struct child *c;

	if (config_path == NULL) {
		log_warnx("SIGHUP: the built-in configuration has nothing to reload");
		return;
	}
	if (!parsecd_serving())
		return;
	/* 229 KiB, mapped only during the reload rather than resident for good. */
	if ((next = calloc(1, sizeof(*next))) == NULL)
		fatal("calloc");
	if (config_file_safe(config_path, err, sizeof(err)) == -1 ||
	    config_load_file(config_path, next, err, sizeof(err)) == -1) {
		log_warnx("reload refused, the running configuration stays: %s", err);
		explicit_bzero(next, sizeof(*next)); /* what it read of a PIN, say */
		free(next);
		return;
	}
	/*
	 * Secrets are read again at each worker's setup: a changed PIN or
	 * password alone restarts nothing, and the next worker started takes it.
	 */
	parsecd_secrets_forget(next, config_path);
	parsecd_keep_fixed(cfg, next);
	parsecd_retire_changed(cfg, next);
	/* Take the new configuration in place: everyone who reads it sees it now. */
	config_copy(cfg, next);
	free(next); /* its secrets were wiped by parsecd_secrets_forget */
	parsecd_start_new(cfg);
	for (kind = 0; kind < PROC_KINDS; kind++)
		if ((c = parsecd_child_of(kind)) != NULL)
			parsecd_send_settings(c, IPC_RELOAD);
	log_info("reloaded %s", config_path);
}
