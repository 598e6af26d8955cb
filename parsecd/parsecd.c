/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsecd: the parent. Reads config.toml, creates the listening socket,
 * fork+execs frontd, brokerd and one process per provider, wires them with
 * socketpairs, finishes the setup handshake and then only supervises.
 * It never reads client data.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "parsecd.h"
#include "proc.h"
#include "setup.h"

#define SETUP_TIMEOUT_SEC 15
#define STOP_TIMEOUT_SEC 5
#define BACKOFF_MAX_MS 30000

struct child {
	enum proc_kind kind;
	const char *binary;   /* basename */
	char name[CFG_NAME_MAX + 16];
	pid_t pid;
	struct ipc_chan *chan;
	int ready;
	/* providers only */
	const struct cfg_provider *provider;
	enum cfg_provider_kind provider_kind;
	int retired; /* its provider left the config: not restarted */
	uint32_t worker;
	int broker_end; /* broker's end of the provider channel, until sent */
	uint32_t backoff_ms;
	struct event *restart_ev;
};

static struct parsecd {
	struct event_base *base;
	struct parsec_config cfg;
	const char *config_path; /* NULL for the built-in config */
	int broker_hello;
	char exe_dir[PATH_MAX];
	int listen_fd;
	int activated; /* the listening socket came from systemd */
	int serving;
	int stopping;
	int exit_code;
	struct child front;
	struct child broker;
	struct child providers[CFG_PROVIDER_MAX * CFG_WORKERS_MAX]; /* every worker */
	size_t provider_count;
	uint32_t workers; /* per provider */
	struct event *setup_timer;
	struct event *stop_timer;
} pd;

static void parsecd_child_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg);
static void parsecd_link_provider(struct child *c);
static void parsecd_reload(void);
static void parsecd_init_child(struct child *c, enum proc_kind kind, const char *binary,
    const char *name);
static void parsecd_child_lost(struct ipc_chan *chan, void *arg);

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: parsecd [-t] [-v] -c config.toml\n"
			"       parsecd [-v] -D directory   (built-in development config)\n"
			"       parsecd --orphans -c config.toml\n"
			"       parsecd -V | --version\n");
	exit(2);
}

/* Children sit next to us in a build tree, or in LIBEXECDIR once installed. */
static void
parsecd_child_path(const char *binary, const char *subdir, char *out, size_t outsz)
{
	if ((size_t)snprintf(out, outsz, "%s/../%s/%s", pd.exe_dir, subdir, binary) < outsz &&
	    access(out, X_OK) == 0)
		return;
	if ((size_t)snprintf(out, outsz, "%s/%s", LIBEXECDIR, binary) >= outsz)
		fatalx("path of %s too long", binary);
}

static const char *
parsecd_child_subdir(enum proc_kind kind)
{
	switch (kind) {
	case PROC_FRONTD:
		return "frontd";
	case PROC_BROKERD:
		return "brokerd";
	case PROC_PROVIDER:
		break;
	}
	return "providerd";
}

static int
parsecd_spawn(struct child *c, const int *fds, int nfds)
{
	char path[PATH_MAX], level[16];
	char *argv[6];
	int argc = 0;

	parsecd_child_path(c->binary, parsecd_child_subdir(c->kind), path, sizeof(path));
	/* The child's exec failure is only an exit status 127; name the file here. */
	if (access(path, X_OK) == -1)
		log_warn("%s: cannot execute %s", c->name, path);
	snprintf(level, sizeof(level), "%d", log_getlevel());
	argv[argc++] = (char *)c->binary;
	argv[argc++] = "-l";
	argv[argc++] = level;
	if (pd.cfg.log_timestamp)
		argv[argc++] = "-T";
	argv[argc] = NULL;
	c->pid = proc_spawn(path, argv, fds, nfds);
	if (c->pid == -1) {
		log_warn("fork for %s", c->name);
		return -1;
	}
	log_debug("started %s (%s) as pid %d", c->name, path, (int)c->pid);
	return 0;
}

static void
parsecd_socketpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
}

/* Starts one provider process with a fresh channel pair; brokerd gets its end at setup. */
static void
parsecd_start_provider(struct child *c)
{
	int to_parent[2], to_broker[2];
	int fds[2];

	parsecd_socketpair(to_parent);
	parsecd_socketpair(to_broker);
	fds[0] = to_parent[1];
	fds[1] = to_broker[1];
	if (parsecd_spawn(c, fds, 2) == -1)
		fatalx("cannot start %s", c->name);
	close(to_parent[1]);
	close(to_broker[1]);
	c->broker_end = to_broker[0];
	c->ready = 0;
	c->chan = ipc_chan_new(pd.base, to_parent[0], c->name, parsecd_child_msg,
	    parsecd_child_lost, c);
	/* A provider started after brokerd (a restart, a reload) is linked at once. */
	if (pd.broker_hello)
		parsecd_link_provider(c);
}

/*
 * A TPM serves one command at a time (and swtpm one connection): its provider
 * runs one worker. The others run [privsep] workers.
 */
static uint32_t
parsecd_workers_for(enum cfg_provider_kind kind)
{
	return kind == CFG_PROVIDER_TPM ? 1 : pd.workers;
}

/* The per-kind settings, secrets included: they go to this provider only. */
static void
parsecd_provider_settings(const struct cfg_provider *p, struct setup_provider *s)
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

/*
 * The address the listener is bound to, as every accepted client's local
 * address reads: brokerd takes only such descriptors for clients.
 */
static void
parsecd_listen_addr(char *out, size_t outsz)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	size_t n;

	memset(&sun, 0, sizeof(sun));
	out[0] = '\0';
	if (pd.listen_fd == -1 || getsockname(pd.listen_fd, (struct sockaddr *)&sun, &len) == -1 ||
	    len <= offsetof(struct sockaddr_un, sun_path))
		return;
	n = strnlen(sun.sun_path, len - offsetof(struct sockaddr_un, sun_path));
	if (n >= outsz)
		return;
	memcpy(out, sun.sun_path, n);
	out[n] = '\0';
}

static void
parsecd_send_settings(struct child *c, uint32_t type)
{
	static uint8_t buf[sizeof(struct setup_broker) + 1024];
	size_t len = 0;

	switch (c->kind) {
	case PROC_FRONTD: {
		struct setup_front s = {
			.body_len_limit = pd.cfg.body_len_limit,
			.timeout_ms = pd.cfg.timeout_ms,
			.keep_alive_timeout_ms = pd.cfg.keep_alive_timeout_ms,
			.max_connections = pd.cfg.max_connections,
			.max_connections_per_uid = pd.cfg.max_connections_per_uid,
		};

		strlcpy(s.user, pd.cfg.user, sizeof(s.user));
		strlcpy(s.chroot_dir, pd.cfg.chroot_dir, sizeof(s.chroot_dir));
		len = setup_front_encode(&s, buf, sizeof(buf));
		break;
	}
	case PROC_BROKERD: {
		static struct setup_broker s;
		const struct cfg_key_manager *kim = &pd.cfg.key_managers[0];
		size_t i;

		memset(&s, 0, sizeof(s));
		strlcpy(s.user, pd.cfg.user, sizeof(s.user));
		parsecd_auth_setup(&pd.cfg, &s);
		if (pd.cfg.key_manager_count > 0)
			strlcpy(s.kim_path, kim->sqlite_db_path, sizeof(s.kim_path));
		strlcpy(s.state_dir, pd.cfg.state_dir, sizeof(s.state_dir));
		parsecd_listen_addr(s.listen_addr, sizeof(s.listen_addr));
		for (i = 0; i < pd.provider_count; i++)
			s.provider_count += !pd.providers[i].retired;
		len = setup_broker_encode(&s, buf, sizeof(buf));
		break;
	}
	case PROC_PROVIDER: {
		static struct setup_provider s;

		memset(&s, 0, sizeof(s));
		strlcpy(s.user, pd.cfg.user, sizeof(s.user));
		s.id = (uint32_t)c->provider->kind;
		strlcpy(s.name, c->provider->name, sizeof(s.name));
		if ((size_t)snprintf(s.state_dir, sizeof(s.state_dir), "%s/%s", pd.cfg.state_dir,
		    c->provider->name) >= sizeof(s.state_dir))
			fatalx("state_dir too long for provider %s", c->provider->name);
		s.worker = c->worker;
		s.workers = parsecd_workers_for(c->provider_kind);
		s.advertise_mac_opcodes = c->provider->advertise_mac_opcodes;
		parsecd_provider_settings(c->provider, &s);
		len = setup_provider_encode(&s, buf, sizeof(buf));
		setup_provider_wipe(&s);
		break;
	}
	}
	if (len == 0)
		fatalx("setup for %s does not fit", c->name);
	if (c->chan != NULL)
		ipc_send_ctl(c->chan, type, 0, -1, buf, len);
	explicit_bzero(buf, len); /* a provider's setup carries its PIN or hierarchy auths */
}

static void
parsecd_send_setup(struct child *c)
{
	parsecd_send_settings(c, IPC_SETUP);
	ipc_send_ctl(c->chan, IPC_SETUP_DONE, 0, -1, NULL, 0);
}

/* Hands brokerd its end of a provider's channel. */
static void
parsecd_link_provider(struct child *c)
{
	struct setup_provider_ref ref;
	uint8_t buf[128];
	size_t len;

	memset(&ref, 0, sizeof(ref));
	ref.id = (uint32_t)c->provider_kind;
	ref.worker = c->worker;
	strlcpy(ref.name, c->provider->name, sizeof(ref.name));
	len = setup_provider_ref_encode(&ref, buf, sizeof(buf));
	ipc_send_ctl(pd.broker.chan, IPC_SETUP_PROVIDER, 0, c->broker_end, buf, len);
	c->broker_end = -1;
}

static void
parsecd_check_all_ready(void)
{
	size_t i;

	if (pd.serving || !pd.front.ready || !pd.broker.ready)
		return;
	for (i = 0; i < pd.provider_count; i++)
		if (!pd.providers[i].ready && !pd.providers[i].retired)
			return;
	pd.serving = 1;
	evtimer_del(pd.setup_timer);
	/* Only now may clients reach frontd: none is answered by a half-started service. */
	ipc_send_ctl(pd.front.chan, IPC_SERVE, 0, -1, NULL, 0);
	parsecd_listen_publish(&pd.cfg);
	log_info("serving on %s", pd.cfg.socket_path);
	printf("parsecd: listening on %s\n", pd.cfg.socket_path);
	fflush(stdout);
	parsecd_notify("READY=1");
}

static void
parsecd_child_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct child *c = arg;

	switch (msg->hdr.type) {
	case IPC_HELLO: {
		struct ipc_hello hello;

		if (ipc_hello_decode(msg->data, msg->hdr.len, &hello) == -1 ||
		    hello.version != IPC_PROTOCOL_VERSION)
			fatalx("malformed HELLO from %s", ipc_chan_peer(chan));
		parsecd_send_setup(c);
		if (c->kind == PROC_BROKERD) {
			size_t i;

			pd.broker_hello = 1;
			for (i = 0; i < pd.provider_count; i++)
				if (pd.providers[i].broker_end != -1)
					parsecd_link_provider(&pd.providers[i]);
		}
		break;
	}
	case IPC_READY:
		c->ready = 1;
		if (c->kind == PROC_PROVIDER) {
			c->backoff_ms = 0;
			if (pd.serving)
				log_info("%s is serving again", c->name);
		}
		parsecd_check_all_ready();
		break;
	case IPC_SPIFFE_CONNECT:
		if (c->kind != PROC_BROKERD)
			fatalx("unexpected %s from %s", ipc_type_name(msg->hdr.type), c->name);
		parsecd_spiffe_connect(&pd.cfg, chan);
		break;
	default:
		fatalx("unexpected %s from %s", ipc_type_name(msg->hdr.type), c->name);
	}
}

static void
parsecd_stop_done(void)
{
	if (pd.listen_fd != -1)
		parsecd_listen_close(pd.listen_fd, &pd.cfg);
	parsecd_notify("STOPPING=1");
	event_base_loopbreak(pd.base);
}

static int
parsecd_alive_children(void)
{
	size_t i;
	int n = (pd.front.pid > 0) + (pd.broker.pid > 0);

	for (i = 0; i < pd.provider_count; i++)
		n += pd.providers[i].pid > 0;
	return n;
}

static void
parsecd_stop_timeout(evutil_socket_t fd, short ev, void *arg)
{
	size_t i;

	log_warnx("children did not stop in %d s, killing them", STOP_TIMEOUT_SEC);
	if (pd.front.pid > 0)
		kill(pd.front.pid, SIGKILL);
	if (pd.broker.pid > 0)
		kill(pd.broker.pid, SIGKILL);
	for (i = 0; i < pd.provider_count; i++)
		if (pd.providers[i].pid > 0)
			kill(pd.providers[i].pid, SIGKILL);
}

/* Asks every child to exit; the loop ends once all are reaped. */
static void
parsecd_stop(int exit_code)
{
	struct timeval tv = { STOP_TIMEOUT_SEC, 0 };
	size_t i;

	if (pd.stopping) {
		if (exit_code > pd.exit_code)
			pd.exit_code = exit_code;
		return;
	}
	pd.stopping = 1;
	pd.exit_code = exit_code;
	/*
	 * New clients get refused at once rather than queue on a dying service.
	 * Not on the service manager's socket: shutdown() would refuse every
	 * client of the next start too (it is the same socket), and queueing
	 * for that start is what activation is for.
	 */
	if (pd.listen_fd != -1 && !pd.activated)
		shutdown(pd.listen_fd, SHUT_RDWR);
	if (pd.front.pid > 0)
		kill(pd.front.pid, SIGTERM);
	if (pd.broker.pid > 0)
		kill(pd.broker.pid, SIGTERM);
	for (i = 0; i < pd.provider_count; i++) {
		if (pd.providers[i].restart_ev != NULL)
			evtimer_del(pd.providers[i].restart_ev);
		if (pd.providers[i].pid > 0)
			kill(pd.providers[i].pid, SIGTERM);
	}
	pd.stop_timer = evtimer_new(pd.base, parsecd_stop_timeout, NULL);
	evtimer_add(pd.stop_timer, &tv);
	if (parsecd_alive_children() == 0)
		parsecd_stop_done();
}

static void
parsecd_child_lost(struct ipc_chan *chan, void *arg)
{
	struct child *c = arg;

	/* The exit status arrives through SIGCHLD; here we only drop the channel. */
	log_debug("channel to %s closed", c->name);
	ipc_chan_free(c->chan);
	c->chan = NULL;
}

static void
parsecd_restart_provider(evutil_socket_t fd, short ev, void *arg)
{
	struct child *c = arg;

	if (pd.stopping)
		return;
	log_info("restarting %s", c->name);
	parsecd_start_provider(c);
}

static void
parsecd_describe_exit(const struct child *c, int status, char *out, size_t outsz)
{
	if (WIFEXITED(status))
		snprintf(out, outsz, "%s (pid %d) exited with status %d", c->name, (int)c->pid,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, outsz, "%s (pid %d) was killed by signal %d (%s)", c->name,
		    (int)c->pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(out, outsz, "%s (pid %d) stopped", c->name, (int)c->pid);
}

static struct child *
parsecd_find_child(pid_t pid)
{
	size_t i;

	if (pd.front.pid == pid)
		return &pd.front;
	if (pd.broker.pid == pid)
		return &pd.broker;
	for (i = 0; i < pd.provider_count; i++)
		if (pd.providers[i].pid == pid)
			return &pd.providers[i];
	return NULL;
}

/* A provider with skip_if_no_tpm and no TPM: gone from this run, as if not configured. */
static void
parsecd_skip_provider(struct child *c)
{
	uint32_t id = (uint32_t)c->provider_kind;

	c->retired = 1;
	if (c->broker_end != -1) {
		/* Never linked: brokerd does not learn of it at all. */
		close(c->broker_end);
		c->broker_end = -1;
	} else if (pd.broker.chan != NULL) {
		ipc_send_provider_removed(pd.broker.chan, id);
	}
	parsecd_check_all_ready();
}

static void
parsecd_reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct child *c = parsecd_find_child(pid);
		char what[256];

		if (c == NULL)
			continue;
		parsecd_describe_exit(c, status, what, sizeof(what));
		c->pid = 0;
		c->ready = 0;
		if (c->chan != NULL) {
			ipc_chan_free(c->chan);
			c->chan = NULL;
		}
		if (pd.stopping) {
			/* A child that dies on its own while we stop may be the cause: say so. */
			if ((WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) ||
			    (WIFEXITED(status) && WEXITSTATUS(status) != 0))
				log_warnx("%s", what);
			else
				log_debug("%s", what);
		} else if (c->kind == PROC_PROVIDER && c->retired) {
			log_info("%s (its provider left the configuration)", what);
		} else if (c->kind == PROC_PROVIDER && WIFEXITED(status) &&
		    WEXITSTATUS(status) == PROV_EXIT_SKIP) {
			log_warnx("%s found no device and is skipped (skip_if_no_tpm)", c->name);
			parsecd_skip_provider(c);
		} else if (c->kind == PROC_PROVIDER && !pd.serving) {
			/* No half start: a provider that cannot start stops the service. */
			log_warnx("%s; the service does not start without it", what);
			parsecd_stop(1);
		} else if (c->kind == PROC_PROVIDER) {
			struct timeval tv;

			c->backoff_ms = c->backoff_ms == 0 ? 100 : c->backoff_ms * 2;
			if (c->backoff_ms > BACKOFF_MAX_MS)
				c->backoff_ms = BACKOFF_MAX_MS;
			log_warnx("%s; its requests fail until it is back, restarting in %u ms", what,
			    c->backoff_ms);
			if (c->broker_end != -1) {
				close(c->broker_end);
				c->broker_end = -1;
			}
			if (pd.broker.chan != NULL)
				ipc_send_provider_down(pd.broker.chan,
				    (uint32_t)c->provider_kind, c->worker);
			tv.tv_sec = c->backoff_ms / 1000;
			tv.tv_usec = (c->backoff_ms % 1000) * 1000;
			evtimer_add(c->restart_ev, &tv);
		} else {
			log_warnx("%s; stopping the service", what);
			parsecd_stop(1);
		}
	}
	if (pd.stopping && parsecd_alive_children() == 0)
		parsecd_stop_done();
}

/*
 * Run as root, the configuration decides what root does: only root may be
 * able to change it.
 */
static int
parsecd_config_safe(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "%s: must be owned by root and writable by root alone "
		    "(owner uid %u, mode %04o)", path, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static const struct cfg_provider *
parsecd_find_provider(const struct parsec_config *cfg, enum cfg_provider_kind kind)
{
	size_t i;

	for (i = 0; i < cfg->provider_count; i++)
		if (cfg->providers[i].kind == kind)
			return &cfg->providers[i];
	return NULL;
}

/* Two provider settings are the same, whatever line they sit on. */
static int
parsecd_same_provider(const struct cfg_provider *a, const struct cfg_provider *b)
{
	struct cfg_provider x = *a, y = *b;
	int same;

	x.line = y.line = 0;
	same = memcmp(&x, &y, sizeof(x)) == 0;
	explicit_bzero(&x, sizeof(x));
	explicit_bzero(&y, sizeof(y));
	return same;
}

/* Stops a provider's workers for good and tells brokerd it is gone. */
static void
parsecd_retire_provider(enum cfg_provider_kind kind)
{
	uint32_t id = (uint32_t)kind;
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
	ipc_send_provider_removed(pd.broker.chan, id);
}

static void
parsecd_add_provider(const struct cfg_provider *p)
{
	uint32_t w;
	size_t i;

	parsecd_prepare_provider_dir(&pd.cfg, p);
	for (w = 0; w < parsecd_workers_for(p->kind); w++) {
		struct child *c = NULL;
		char name[CFG_NAME_MAX + 16];

		/* Reuse the slot of a retired worker that has exited. */
		for (i = 0; i < pd.provider_count && c == NULL; i++)
			if (pd.providers[i].retired && pd.providers[i].pid == 0)
				c = &pd.providers[i];
		if (c == NULL) {
			if (pd.provider_count == sizeof(pd.providers) / sizeof(pd.providers[0])) {
				log_warnx("reload: no room for another provider worker");
				return;
			}
			c = &pd.providers[pd.provider_count++];
			c->restart_ev = evtimer_new(pd.base, parsecd_restart_provider, c);
		}
		snprintf(name, sizeof(name), "provider %s/%u", p->name, w);
		parsecd_init_child(c, PROC_PROVIDER, parsecd_provider_binary(p->kind), name);
		c->retired = 0;
		c->backoff_ms = 0;
		c->provider = p;
		c->provider_kind = p->kind;
		c->worker = w;
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
		    cur->key_managers[i].sqlite_db_path) != 0 ||
		    strcmp(next->key_managers[i].name, cur->key_managers[i].name) != 0;
	if (strcmp(next->socket_path, cur->socket_path) != 0)
		log_warnx("reload: listener.socket_path changes on restart only");
	if (strcmp(next->user, cur->user) != 0 || strcmp(next->chroot_dir, cur->chroot_dir) != 0 ||
	    strcmp(next->state_dir, cur->state_dir) != 0 || next->workers != cur->workers)
		log_warnx("reload: [privsep] user, chroot_dir, state_dir and workers change on "
		    "restart only");
	if (kim_changed)
		log_warnx("reload: [[key_manager]] changes on restart only");
	strlcpy(next->socket_path, cur->socket_path, sizeof(next->socket_path));
	strlcpy(next->user, cur->user, sizeof(next->user));
	strlcpy(next->chroot_dir, cur->chroot_dir, sizeof(next->chroot_dir));
	strlcpy(next->state_dir, cur->state_dir, sizeof(next->state_dir));
	next->workers = cur->workers;
	next->key_manager_count = cur->key_manager_count;
	memcpy(next->key_managers, cur->key_managers, sizeof(next->key_managers));
	next->socket_mode = cur->socket_mode;
	strlcpy(next->socket_group, cur->socket_group, sizeof(next->socket_group));
}

/*
 * SIGHUP: read config.toml again. A file that does not load is refused and
 * the running configuration keeps serving; otherwise limits, admins and the
 * authenticator change in place and providers come and go, while clients on
 * other providers keep their connections.
 */
static void
parsecd_reload(void)
{
	static struct parsec_config next;
	enum cfg_provider_kind kind;
	char err[CFG_ERR_MAX];
	size_t i;

	if (pd.config_path == NULL) {
		log_warnx("SIGHUP: the built-in configuration has nothing to reload");
		return;
	}
	if (pd.stopping || !pd.serving)
		return;
	if (parsecd_config_safe(pd.config_path, err, sizeof(err)) == -1 ||
	    config_load_file(pd.config_path, &next, err, sizeof(err)) == -1) {
		log_warnx("reload refused, the running configuration stays: %s", err);
		return;
	}
	parsecd_keep_fixed(&next);
	for (kind = CFG_PROVIDER_MBED_CRYPTO; kind <= CFG_PROVIDER_TPM; kind++) {
		const struct cfg_provider *old = parsecd_find_provider(&pd.cfg, kind);
		const struct cfg_provider *new = parsecd_find_provider(&next, kind);

		if (old != NULL && (new == NULL || !parsecd_same_provider(old, new))) {
			log_info("reload: %s provider %s %s", config_provider_kind_name(kind),
			    old->name, new == NULL ? "removed" : "changed, restarting it");
			parsecd_retire_provider(kind);
		}
	}
	/* Take the new configuration; live children now point into it. */
	config_wipe_secrets(&pd.cfg);
	pd.cfg = next;
	explicit_bzero(&next, sizeof(next));
	for (i = 0; i < pd.provider_count; i++)
		if (!pd.providers[i].retired)
			pd.providers[i].provider =
			    parsecd_find_provider(&pd.cfg, pd.providers[i].provider_kind);
	for (i = 0; i < pd.cfg.provider_count; i++) {
		const struct cfg_provider *p = &pd.cfg.providers[i];
		size_t k;
		int running = 0;

		for (k = 0; k < pd.provider_count; k++)
			running |= !pd.providers[k].retired && pd.providers[k].provider_kind == p->kind;
		if (!running) {
			log_info("reload: starting %s provider %s", config_provider_kind_name(p->kind),
			    p->name);
			parsecd_add_provider(p);
		}
	}
	parsecd_send_settings(&pd.front, IPC_RELOAD);
	parsecd_send_settings(&pd.broker, IPC_RELOAD);
	log_info("reloaded %s", pd.config_path);
}

static void
parsecd_signal(evutil_socket_t sig, short ev, void *arg)
{
	switch (sig) {
	case SIGCHLD:
		parsecd_reap();
		break;
	case SIGTERM:
	case SIGINT:
		log_info("received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		parsecd_stop(0);
		break;
	case SIGHUP:
		parsecd_reload();
		break;
#ifdef PARSEC_TEST_HOOKS
	case SIGUSR1: {
		/* Test build: make the child named in PARSEC_FORBIDDEN break its sandbox. */
		const char *target = getenv("PARSEC_FORBIDDEN");
		struct child *c = NULL;

		if (target != NULL && strcmp(target, "frontd") == 0)
			c = &pd.front;
		else if (target != NULL && strcmp(target, "brokerd") == 0)
			c = &pd.broker;
		else if (target != NULL && strcmp(target, "provider") == 0 && pd.provider_count > 0)
			c = &pd.providers[0];
		if (c != NULL && c->chan != NULL)
			ipc_send_ctl(c->chan, IPC_TEST_FORBIDDEN, 0, -1, NULL, 0);
		break;
	}
#endif
	}
}

static void
parsecd_setup_timeout(evutil_socket_t fd, short ev, void *arg)
{
	log_warnx("children did not finish setup within %d s", SETUP_TIMEOUT_SEC);
	parsecd_stop(1);
}

static void
parsecd_init_child(struct child *c, enum proc_kind kind, const char *binary, const char *name)
{
	c->kind = kind;
	c->binary = binary;
	strlcpy(c->name, name, sizeof(c->name));
	c->broker_end = -1;
}

static void
parsecd_exe_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	strlcpy(pd.exe_dir, exe, sizeof(pd.exe_dir));
}

/* -t: every helper this configuration would exec is there and executable. */
static int
parsecd_check_helpers(void)
{
	const char *binaries[2 + CFG_PROVIDER_MAX];
	enum proc_kind kinds[2 + CFG_PROVIDER_MAX];
	char path[PATH_MAX];
	size_t i, n = 0;
	int bad = 0;

	binaries[n] = "parsec-frontd";
	kinds[n++] = PROC_FRONTD;
	binaries[n] = "parsec-brokerd";
	kinds[n++] = PROC_BROKERD;
	for (i = 0; i < pd.cfg.provider_count && n < 2 + CFG_PROVIDER_MAX; i++) {
		binaries[n] = parsecd_provider_binary(pd.cfg.providers[i].kind);
		kinds[n++] = PROC_PROVIDER;
	}
	for (i = 0; i < n; i++) {
		parsecd_child_path(binaries[i], parsecd_child_subdir(kinds[i]), path, sizeof(path));
		if (access(path, X_OK) == -1) {
			fprintf(stderr, "parsecd: helper %s: %s\n", path, strerror(errno));
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static void
parsecd_start(void)
{
	int front_parent[2], broker_parent[2], front_broker[2];
	struct timeval tv = { SETUP_TIMEOUT_SEC, 0 };
	int fds[3];
	size_t i;

	/* The state directory's lock first: a second instance stops before it touches a thing. */
	parsecd_prepare_dirs(&pd.cfg);
	pd.listen_fd = parsecd_listen(&pd.cfg, &pd.activated);

	parsecd_init_child(&pd.front, PROC_FRONTD, "parsec-frontd", "frontd");
	parsecd_init_child(&pd.broker, PROC_BROKERD, "parsec-brokerd", "brokerd");
	parsecd_socketpair(front_parent);
	parsecd_socketpair(broker_parent);
	parsecd_socketpair(front_broker);

	fds[0] = front_parent[1];
	fds[1] = front_broker[0];
	fds[2] = pd.listen_fd;
	if (parsecd_spawn(&pd.front, fds, 3) == -1)
		fatalx("cannot start frontd");
	fds[0] = broker_parent[1];
	fds[1] = front_broker[1];
	if (parsecd_spawn(&pd.broker, fds, 2) == -1)
		fatalx("cannot start brokerd");
	close(front_parent[1]);
	close(broker_parent[1]);
	close(front_broker[0]);
	close(front_broker[1]);
	pd.front.chan = ipc_chan_new(pd.base, front_parent[0], "frontd", parsecd_child_msg,
	    parsecd_child_lost, &pd.front);
	pd.broker.chan = ipc_chan_new(pd.base, broker_parent[0], "brokerd", parsecd_child_msg,
	    parsecd_child_lost, &pd.broker);

	pd.workers = pd.cfg.workers;
	if (pd.workers == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		pd.workers = cpus < 1 ? 1 : cpus > CFG_WORKERS_MAX ? CFG_WORKERS_MAX : (uint32_t)cpus;
	}
	for (i = 0; i < pd.cfg.provider_count; i++) {
		uint32_t w;

		for (w = 0; w < parsecd_workers_for(pd.cfg.providers[i].kind); w++) {
			struct child *c = &pd.providers[pd.provider_count++];
			char name[CFG_NAME_MAX + 16];

			snprintf(name, sizeof(name), "provider %s/%u", pd.cfg.providers[i].name, w);
			parsecd_init_child(c, PROC_PROVIDER,
			    parsecd_provider_binary(pd.cfg.providers[i].kind), name);
			c->provider = &pd.cfg.providers[i];
			c->provider_kind = pd.cfg.providers[i].kind;
			c->worker = w;
			c->restart_ev = evtimer_new(pd.base, parsecd_restart_provider, c);
			parsecd_start_provider(c);
		}
	}
	pd.setup_timer = evtimer_new(pd.base, parsecd_setup_timeout, NULL);
	evtimer_add(pd.setup_timer, &tv);
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL, *dev_dir = NULL;
	char err[CFG_ERR_MAX];
	int check_only = 0, orphans = 0, verbose = 0, ch;
	static const struct option longopts[] = {
		{ "orphans", no_argument, NULL, 'O' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct event *sigs[6];
	const int signums[6] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGUSR1 };
	size_t i;

	log_init("parsecd", LOG_LVL_INFO, 0);
	while ((ch = getopt_long(argc, argv, "c:D:tvV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'D':
			dev_dir = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'O':
			orphans = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("parsecd %s\n", PARSEC_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc || (config_path == NULL) == (dev_dir == NULL))
		usage();

	pd.config_path = config_path;
	if (config_path != NULL) {
		if (parsecd_config_safe(config_path, err, sizeof(err)) == -1 ||
		    config_load_file(config_path, &pd.cfg, err, sizeof(err)) == -1) {
			fprintf(stderr, "parsecd: %s\n", err);
			return 1;
		}
	} else if (parsecd_dev_config(dev_dir, &pd.cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "parsecd: %s\n", err);
		return 1;
	}
	if (orphans) {
		int r = parsecd_orphans(&pd.cfg);

		config_wipe_secrets(&pd.cfg);
		return r;
	}
	if (check_only) {
		parsecd_exe_dir();
		if (parsecd_check_helpers() == -1) {
			fprintf(stderr, "parsecd: configuration %s OK, but a helper cannot be "
			    "executed (installed helpers belong in %s)\n",
			    config_path ? config_path : "(built-in)", LIBEXECDIR);
			return 1;
		}
		printf("parsecd: configuration %s OK\n", config_path ? config_path : "(built-in)");
		return 0;
	}
	log_init("parsecd", (int)pd.cfg.log_level + verbose > LOG_LVL_TRACE ? LOG_LVL_TRACE :
	    (int)pd.cfg.log_level + verbose, pd.cfg.log_timestamp);
	parsecd_exe_dir();
	/* Secrets stay here only until the providers that need them are set up. */
	if ((pd.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	for (i = 0; i < 6; i++) {
		if (signums[i] == SIGPIPE) {
			signal(SIGPIPE, SIG_IGN);
			sigs[i] = NULL;
			continue;
		}
#ifndef PARSEC_TEST_HOOKS
		if (signums[i] == SIGUSR1) {
			sigs[i] = NULL;
			continue;
		}
#endif
		sigs[i] = evsignal_new(pd.base, signums[i], parsecd_signal, NULL);
		evsignal_add(sigs[i], NULL);
	}
	pd.listen_fd = -1;
	parsecd_start();
	event_base_dispatch(pd.base);

	for (i = 0; i < 6; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	config_wipe_secrets(&pd.cfg);
	log_info("stopped%s", pd.exit_code ? " after a failure" : "");
	return pd.exit_code;
}
