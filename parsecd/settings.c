/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What each child is told: its settings at setup (IPC_SETUP) and reload
 * (IPC_RELOAD), and brokerd's end of each provider worker's channel
 * (IPC_SETUP_PROVIDER). Each proc_table row names its encoder here
 * (PROC_TABLE's last column). Secrets go to their provider alone: read again
 * from the configuration file for each worker (secrets.c) and wiped here
 * once sent.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "parsecd.h"
#include "setup.h"

/* What the settings are made of: the running configuration (reload.c replaces it in place). */
static struct {
	const struct parsec_config *cfg;
	char listen_addr[sizeof(((struct setup_broker *)0)->listen_addr)];
} st;

/*
 * The address the listener is bound to, as every accepted client's local
 * address reads: brokerd takes only such descriptors for clients.
 */
static void
parsecd_listen_addr(int listen_fd, char *out, size_t outsz)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	size_t n;

	memset(&sun, 0, sizeof(sun));
	out[0] = '\0';
	if (listen_fd == -1 || getsockname(listen_fd, (struct sockaddr *)&sun, &len) == -1 ||
	    len <= offsetof(struct sockaddr_un, sun_path))
		return;
	n = strnlen(sun.sun_path, len - offsetof(struct sockaddr_un, sun_path));
	if (n >= outsz)
		return;
	memcpy(out, sun.sun_path, n);
	out[n] = '\0';
}

void
parsecd_settings_init(const struct parsec_config *cfg, int listen_fd)
{
	st.cfg = cfg;
	parsecd_listen_addr(listen_fd, st.listen_addr, sizeof(st.listen_addr));
}

static int
parsecd_settings_front(struct child *c, struct buf_writer *wr)
{
	const struct parsec_config *cfg = st.cfg;
	struct setup_front s = {
		.body_len_limit = cfg->body_len_limit,
		.timeout_ms = cfg->timeout_ms,
		.keep_alive_timeout_ms = cfg->keep_alive_timeout_ms,
		.max_connections = cfg->max_connections,
		.max_connections_per_uid = cfg->max_connections_per_uid,
		.max_output_bytes_per_uid = cfg->max_output_bytes_per_uid,
	};

	strlcpy(s.user, users_get(USERS_ROLE_FRONTD)->name, sizeof(s.user));
	strlcpy(s.chroot_dir, cfg->chroot_dir, sizeof(s.chroot_dir));
	setup_front_encode(wr, &s);
	return 0;
}

static int
parsecd_settings_broker(struct child *c, struct buf_writer *wr)
{
	/* 242 KiB, most of it room for JWT bundles: on the heap only while it is encoded. */
	struct setup_broker *s = calloc(1, sizeof(*s));
	const struct parsec_config *cfg = st.cfg;
	const struct cfg_key_manager *kim = &cfg->key_managers[0];
	struct child *worker;
	size_t i;

	if (s == NULL)
		fatal("calloc");
	strlcpy(s->user, users_get(USERS_ROLE_BROKERD)->name, sizeof(s->user));
	parsecd_auth_setup(cfg, s);
	if (!c->ready) /* at setup only: a reload keeps the key store */
		parsecd_deploy_scan(cfg, s);
	if (cfg->key_manager_count > 0)
		strlcpy(s->kim_path, kim->sqlite_db_path, sizeof(s->kim_path));
	if (cfg->key_manager_count > 0)
		strlcpy(s->upstream_store, kim->type == CFG_KIM_ON_DISK ? kim->store_path :
		    kim->upstream_db_path, sizeof(s->upstream_store));
	strlcpy(s->state_dir, cfg->state_dir, sizeof(s->state_dir));
	s->max_keys_per_application = cfg->max_keys_per_application;
	s->max_key_bytes_per_application = cfg->max_key_bytes_per_application;
	s->max_requests_per_application = cfg->max_requests_per_application;
	strlcpy(s->listen_addr, st.listen_addr, sizeof(s->listen_addr));
	for (i = 0; (worker = parsecd_child(i)) != NULL; i++)
		s->provider_count += worker->kind == PROC_PROVIDER && !worker->retired;
	setup_broker_encode(wr, s);
	free(s);
	return 0;
}

/* The per-kind settings, secrets included: they go to this provider only. */
static void
parsecd_provider_kind_settings(const struct cfg_provider *p, struct setup_provider *s)
{
	s->relax_seccomp = p->relax_seccomp;
	strlcpy(s->library_path, p->library_path, sizeof(s->library_path));
	s->has_slot_number = p->has_slot_number;
	s->slot_number = p->slot_number;
	strlcpy(s->serial_number, p->serial_number, sizeof(s->serial_number));
	s->has_user_pin = p->has_user_pin;
	memcpy(s->user_pin, p->user_pin, p->user_pin_len);
	s->user_pin_len = p->user_pin_len;
	s->software_public_operations = p->software_public_operations;
	s->allow_export = p->allow_export;
	strlcpy(s->tcti, p->tcti, sizeof(s->tcti));
	memcpy(s->owner_hierarchy_auth, p->owner_hierarchy_auth, p->owner_hierarchy_auth_len);
	s->owner_hierarchy_auth_len = p->owner_hierarchy_auth_len;
	memcpy(s->endorsement_hierarchy_auth, p->endorsement_hierarchy_auth,
	    p->endorsement_hierarchy_auth_len);
	s->endorsement_hierarchy_auth_len = p->endorsement_hierarchy_auth_len;
	s->skip_if_no_tpm = p->skip_if_no_tpm;
}

static void
parsecd_provider_settings(const struct child *c, const struct cfg_provider *p,
    struct buf_writer *wr)
{
	/* 13 KiB: on the heap only while it is encoded, as the broker's. */
	struct setup_provider *s = calloc(1, sizeof(*s));

	if (s == NULL)
		fatal("calloc");
	strlcpy(s->user, users_get(users_provider_role(c->provider->kind))->name,
	    sizeof(s->user));
	s->id = (uint32_t)c->provider->kind;
	strlcpy(s->name, c->provider->name, sizeof(s->name));
	if ((size_t)snprintf(s->state_dir, sizeof(s->state_dir), "%s/%s", st.cfg->state_dir,
	    c->provider->name) >= sizeof(s->state_dir))
		fatalx("state_dir too long for provider %s", c->provider->name);
	s->worker = c->worker;
	s->workers = parsecd_workers_for(c->provider_kind);
	s->advertise_mac_opcodes = c->provider->advertise_mac_opcodes;
	parsecd_provider_kind_settings(p, s);
	setup_provider_encode(wr, s);
	setup_provider_wipe(s);
	free(s);
}

/*
 * A provider worker's setup, its secrets read again from the file: 0, or -1
 * when they cannot be (the worker is stopped, and restarted with backoff).
 */
static int
parsecd_settings_provider(struct child *c, struct buf_writer *wr)
{
	struct cfg_provider *p = malloc(sizeof(*p));
	char err[CFG_ERR_MAX];
	int r = 0;

	if (p == NULL)
		fatal("malloc");
	if (parsecd_secrets_read(c->provider, p, err, sizeof(err)) == -1) {
		log_warnx("%s cannot be set up: %s", c->name, err);
		kill(c->pid, SIGTERM);
		r = -1;
	} else
		parsecd_provider_settings(c, p, wr);
	explicit_bzero(p, sizeof(*p));
	free(p);
	return r;
}

/* Each row's encoder, as PROC_TABLE names it. */
typedef int parsecd_settings_fn(struct child *c, struct buf_writer *wr);
#define PARSECD_SETTINGS_ROW(kind, name, binary, build_dir, peer, nfds, sandbox, restart, \
    settings) [kind] = parsecd_settings_##settings,
static parsecd_settings_fn *const parsecd_settings_of[PROC_KINDS] = {
	PROC_TABLE(PARSECD_SETTINGS_ROW)
};

int
parsecd_send_settings(struct child *c, uint32_t type)
{
	/* 243 KiB at the most: mapped only while a setup is sent. */
	const size_t cap = sizeof(struct setup_broker) + 1024;
	uint8_t *buf = malloc(cap);
	struct buf_writer wr;
	int r;

	if (buf == NULL)
		fatal("malloc");
	buf_writer_init(&wr, buf, cap);
	if ((r = parsecd_settings_of[c->kind](c, &wr)) == 0 && !buf_writer_ok(&wr))
		fatalx("setup for %s does not fit", c->name);
	if (r == 0 && c->chan != NULL)
		ipc_send_ctl(c->chan, type, 0, -1, buf, wr.off);
	explicit_bzero(buf, wr.off); /* a provider's setup carries its PIN or hierarchy auths */
	free(buf);
	return r;
}

void
parsecd_send_setup(struct child *c)
{
	if (parsecd_send_settings(c, IPC_SETUP) == 0)
		ipc_send_ctl(c->chan, IPC_SETUP_DONE, 0, -1, NULL, 0);
}

void
parsecd_link_provider(struct child *c)
{
	struct setup_provider_ref ref;
	uint8_t buf[128];
	struct buf_writer wr;

	memset(&ref, 0, sizeof(ref));
	ref.id = (uint32_t)c->provider_kind;
	ref.worker = c->worker;
	strlcpy(ref.name, c->provider->name, sizeof(ref.name));
	buf_writer_init(&wr, buf, sizeof(buf));
	setup_provider_ref_encode(&wr, &ref);
	if (!buf_writer_ok(&wr))
		fatalx("provider name %s does not fit its link", c->provider->name);
	ipc_send_ctl(parsecd_child_of(proc_table[c->kind].peer)->chan, IPC_SETUP_PROVIDER, 0,
	    c->peer_end, buf, wr.off);
	c->peer_end = -1;
}
