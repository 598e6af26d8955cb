/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Supervision: the start of every child, their HELLO and READY, the moment
 * the whole service is ready, the reaping of children (as their row's
 * restart policy says: a provider worker restarted with backoff, any other
 * loss stopping the service) and the orderly stop. A child that breaks the
 * internal protocol is killed, and its row's policy applies: the parent
 * itself never stops on what a child sends.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "parsecd.h"
#include "setup.h"

#define STOP_TIMEOUT_SEC 5
#define BACKOFF_MAX_MS 30000

/* The service's state, from the start to the stop. */
static struct {
	struct event_base *base;
	const struct parsec_config *cfg; /* reload.c replaces it in place */
	int listen_fd;
	int activated; /* the listening socket came from systemd */
	int serving;
	int stopping;
	int exit_code;
	struct event *setup_timer;
	struct event *stop_timer;
} sv;

static void parsecd_restart_provider(evutil_socket_t fd, short ev, void *arg);

static void
parsecd_check_all_ready(void)
{
	struct child *c;
	size_t i;

	if (sv.serving)
		return;
	for (i = 0; (c = parsecd_child(i)) != NULL; i++)
		if (!c->ready && !c->retired)
			return;
	sv.serving = 1;
	evtimer_del(sv.setup_timer);
	/* Only now may clients reach frontd: none is answered by a half-started service. */
	ipc_send_ctl(parsecd_child_of(PROC_FRONTD)->chan, IPC_SERVE, 0, -1, NULL, 0);
	parsecd_listen_publish(sv.cfg);
	log_info("serving on %s", sv.cfg->socket_path);
	printf("parsecd: listening on %s\n", sv.cfg->socket_path);
	fflush(stdout);
	parsecd_notify("READY=1");
	/* What the start needed and freed (its parse trees, the setups) leaves the heap for good. */
	malloc_trim(0);
}

/* c said HELLO: the channels made for it by peers that started first are handed over. */
static void
parsecd_hello(struct child *c)
{
	struct child *d;
	size_t i;

	parsecd_send_setup(c);
	c->hello = 1;
	for (i = 0; (d = parsecd_child(i)) != NULL; i++)
		if (d->peer_end != -1 && proc_table[d->kind].peer == c->kind &&
		    parsecd_child_of(d->kind) == NULL)
			parsecd_link_provider(d);
}

/*
 * c broke the internal protocol: that costs c alone. Its channel goes, and
 * parsecd_child_lost kills it; its row's restart policy applies at its exit.
 */
static void
parsecd_child_fault(struct child *c, struct ipc_chan *chan, const char *what)
{
	log_warnx("%s %s", c->name, what);
	ipc_chan_drop(chan);
}

/* brokerd dropped a worker that broke the protocol: it dies, and is restarted. */
static void
parsecd_worker_fault(struct child *broker, struct ipc_chan *chan, const struct ipc_msg *msg)
{
	struct ipc_provider_down down;
	struct child *c;
	size_t i;

	if (ipc_provider_down_decode(msg->data, msg->hdr.len, &down) == -1) {
		parsecd_child_fault(broker, chan, "sent a malformed WORKER_FAULT");
		return;
	}
	/*
	 * The worker most likely exited already at the end of its channel; one
	 * restarted since is not: its backoff (100 ms at least) outlasts this
	 * message's way here, sent before the old worker's channel closed.
	 */
	for (i = 0; (c = parsecd_child(i)) != NULL; i++)
		if (c->kind == PROC_PROVIDER && (uint32_t)c->provider_kind == down.provider_id &&
		    c->worker == down.worker && c->pid > 0 && !c->retired) {
			log_warnx("brokerd dropped %s for breaking the protocol; killing it",
			    c->name);
			kill(c->pid, SIGKILL);
		}
}

static void
parsecd_child_ready(struct child *c, struct ipc_chan *chan, const struct ipc_msg *msg)
{
	struct ipc_ready ready;

	if (!c->hello || c->ready) {
		parsecd_child_fault(c, chan, "sent READY out of turn");
		return;
	}
	/* brokerd's carries the deployment identity it settled with the key store. */
	if (c->kind == PROC_BROKERD) {
		if (ipc_ready_decode(msg->data, msg->hdr.len, &ready) == -1) {
			parsecd_child_fault(c, chan, "sent a malformed READY");
			return;
		}
		parsecd_deploy_label(sv.cfg, (const uint8_t *)ready.deploy_id,
		    strlen(ready.deploy_id));
	} else if (msg->hdr.len != 0) {
		parsecd_child_fault(c, chan, "sent a malformed READY (a payload)");
		return;
	}
	c->ready = 1;
	if (proc_table[c->kind].restart == PROC_RESTART_BACKOFF) {
		c->backoff_ms = 0;
		if (sv.serving)
			log_info("%s is serving again", c->name);
	}
	parsecd_check_all_ready();
}

static void
parsecd_child_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct child *c = arg;
	struct ipc_hello hello;

	switch (msg->hdr.type) {
	case IPC_HELLO:
		if (c->hello)
			parsecd_child_fault(c, chan, "sent HELLO out of turn");
		else if (ipc_hello_decode(msg->data, msg->hdr.len, &hello) == -1 ||
		    hello.version != IPC_PROTOCOL_VERSION)
			parsecd_child_fault(c, chan, "sent a malformed HELLO");
		else
			parsecd_hello(c);
		break;
	case IPC_READY:
		parsecd_child_ready(c, chan, msg);
		break;
	case IPC_SPIFFE_CONNECT:
		if (c->kind != PROC_BROKERD)
			parsecd_child_fault(c, chan, "sent SPIFFE_CONNECT, which it may not");
		else
			parsecd_spiffe_connect(sv.cfg, chan);
		break;
	case IPC_WORKER_FAULT:
		if (c->kind != PROC_BROKERD)
			parsecd_child_fault(c, chan, "sent WORKER_FAULT, which it may not");
		else
			parsecd_worker_fault(c, chan, msg);
		break;
	default:
		parsecd_child_fault(c, chan, "sent a message it may not send");
	}
}

static void
parsecd_setup_timeout(evutil_socket_t fd, short ev, void *arg)
{
	log_warnx("children did not finish setup within %d s", SETUP_TIMEOUT_SEC);
	parsecd_stop(1);
}

/* Every child reaped, each worker's temporary key files with it. */
static void
parsecd_stop_done(void)
{
	parsecd_mark_clean_stop();
	if (sv.listen_fd != -1)
		parsecd_listen_close(sv.listen_fd, sv.cfg);
	parsecd_notify("STOPPING=1");
	event_base_loopbreak(sv.base);
}

static int
parsecd_alive_children(void)
{
	struct child *c;
	size_t i;
	int n = 0;

	for (i = 0; (c = parsecd_child(i)) != NULL; i++)
		n += c->pid > 0;
	return n;
}

static void
parsecd_kill_all(int sig)
{
	struct child *c;
	size_t i;

	for (i = 0; (c = parsecd_child(i)) != NULL; i++)
		if (c->pid > 0)
			kill(c->pid, sig);
}

static void
parsecd_stop_timeout(evutil_socket_t fd, short ev, void *arg)
{
	log_warnx("children did not stop in %d s, killing them", STOP_TIMEOUT_SEC);
	parsecd_kill_all(SIGKILL);
}

/* Asks every child to exit; the loop ends once all are reaped. */
void
parsecd_stop(int exit_code)
{
	struct timeval tv = { STOP_TIMEOUT_SEC, 0 };
	struct child *c;
	size_t i;

	if (sv.stopping) {
		if (exit_code > sv.exit_code)
			sv.exit_code = exit_code;
		return;
	}
	sv.stopping = 1;
	sv.exit_code = exit_code;
	/*
	 * New clients get refused at once rather than queue on a dying service.
	 * Not on the service manager's socket: shutdown() would refuse every
	 * client of the next start too (it is the same socket), and queueing
	 * for that start is what activation is for.
	 */
	if (sv.listen_fd != -1 && !sv.activated)
		shutdown(sv.listen_fd, SHUT_RDWR);
	for (i = 0; (c = parsecd_child(i)) != NULL; i++)
		if (c->restart_ev != NULL)
			evtimer_del(c->restart_ev);
	parsecd_kill_all(SIGTERM);
	sv.stop_timer = evtimer_new(sv.base, parsecd_stop_timeout, NULL);
	evtimer_add(sv.stop_timer, &tv);
	if (parsecd_alive_children() == 0)
		parsecd_stop_done();
}

static void
parsecd_child_lost(struct ipc_chan *chan, void *arg)
{
	struct child *c = arg;

	/*
	 * The exit status arrives through SIGCHLD. A channel the child closed
	 * (its exit, a TPM worker's flush on the way) is only dropped here; one
	 * we dropped because the child broke the protocol goes with the child.
	 */
	if (ipc_chan_dropped(chan) && c->pid > 0) {
		log_warnx("%s broke the internal protocol; killing it", c->name);
		kill(c->pid, SIGKILL);
	} else
		log_debug("channel to %s closed", c->name);
	ipc_chan_free(c->chan);
	c->chan = NULL;
}

/* Starts one provider worker; its peer gets its end of the channel once it said HELLO. */
void
parsecd_start_provider(struct child *c)
{
	parsecd_spawn(c);
	/* A provider started after its peer (a restart, a reload) is linked at once. */
	if (parsecd_child_of(proc_table[c->kind].peer)->hello)
		parsecd_link_provider(c);
}

static void
parsecd_restart_provider(evutil_socket_t fd, short ev, void *arg)
{
	struct child *c = arg;

	if (sv.stopping)
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
	struct child *c;
	size_t i;

	for (i = 0; (c = parsecd_child(i)) != NULL; i++)
		if (c->pid == pid)
			return c;
	return NULL;
}

/* The channel brokerd has not taken yet goes with the worker that exited. */
static void
parsecd_drop_peer_end(struct child *c)
{
	if (c->peer_end != -1) {
		close(c->peer_end);
		c->peer_end = -1;
	}
}

/* A provider with skip_if_no_tpm and no TPM: gone from this run, as if not configured. */
static void
parsecd_skip_provider(struct child *c)
{
	struct child *peer = parsecd_child_of(proc_table[c->kind].peer);

	c->retired = 1;
	if (c->peer_end != -1)
		parsecd_drop_peer_end(c); /* never linked: brokerd does not learn of it at all */
	else if (peer->chan != NULL)
		ipc_send_provider_removed(peer->chan, (uint32_t)c->provider_kind);
	parsecd_check_all_ready();
}

/* A worker of a serving provider died: its requests fail until it is back. */
static void
parsecd_backoff_restart(struct child *c, const char *what)
{
	struct child *peer = parsecd_child_of(proc_table[c->kind].peer);
	struct timeval tv;

	c->backoff_ms = c->backoff_ms == 0 ? 100 : c->backoff_ms * 2;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	log_warnx("%s; its requests fail until it is back, restarting in %u ms", what,
	    c->backoff_ms);
	parsecd_drop_peer_end(c);
	if (peer->chan != NULL)
		ipc_send_provider_down(peer->chan, (uint32_t)c->provider_kind, c->worker);
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	if (c->restart_ev == NULL &&
	    (c->restart_ev = evtimer_new(sv.base, parsecd_restart_provider, c)) == NULL)
		fatalx("evtimer_new failed");
	evtimer_add(c->restart_ev, &tv);
}

/* What a child's exit means: logged, and as its row's restart policy says. */
static void
parsecd_child_exited(struct child *c, int status, const char *what)
{
	if (sv.stopping) {
		/* A child that dies on its own while we stop may be the cause: say so. */
		if ((WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) != 0))
			log_warnx("%s", what);
		else
			log_debug("%s", what);
	} else if (c->retired) {
		log_info("%s (its provider left the configuration)", what);
	} else if (proc_table[c->kind].restart == PROC_RESTART_NEVER) {
		log_warnx("%s; stopping the service", what);
		parsecd_stop(1);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == PROV_EXIT_SKIP) {
		log_warnx("%s found no device and is skipped (skip_if_no_tpm)", c->name);
		parsecd_skip_provider(c);
	} else if (!sv.serving) {
		/* No half start: a provider that cannot start stops the service. */
		log_warnx("%s; the service does not start without it", what);
		parsecd_stop(1);
	} else {
		parsecd_backoff_restart(c, what);
	}
}

void
parsecd_reap(void)
{
	struct child *c;
	char what[256];
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((c = parsecd_find_child(pid)) == NULL)
			continue;
		parsecd_describe_exit(c, status, what, sizeof(what));
		c->pid = 0;
		c->ready = 0;
		if (c->chan != NULL) {
			ipc_chan_free(c->chan);
			c->chan = NULL;
		}
		parsecd_child_exited(c, status, what);
		/*
		 * Now, before anything is spawned that the kernel could give its pid.
		 * Only a worker a signal ended can have left a key file half written:
		 * one that exited did so from its event loop, between requests (a
		 * write that fails removes its own file), so its directory, a
		 * million key files at scale, is not read then.
		 */
		if (c->kind == PROC_PROVIDER && WIFSIGNALED(status))
			parsecd_remove_worker_leftovers(c->provider_dir, pid, c->name);
	}
	if (sv.stopping && parsecd_alive_children() == 0)
		parsecd_stop_done();
}

int
parsecd_serving(void)
{
	return sv.serving && !sv.stopping;
}

int
parsecd_exit_code(void)
{
	return sv.exit_code;
}

/*
 * Starts every child: one for each row with a binary of its own, then each
 * configured provider's workers; the service must be ready within
 * SETUP_TIMEOUT_SEC.
 */
void
parsecd_supervise(struct event_base *base, const struct parsec_config *cfg, int listen_fd,
    int activated)
{
	struct timeval tv = { SETUP_TIMEOUT_SEC, 0 };
	struct child *c;
	size_t i;
	uint32_t w;

	sv.base = base;
	sv.cfg = cfg;
	sv.listen_fd = listen_fd;
	sv.activated = activated;
	parsecd_spawn_init(base, cfg, listen_fd, parsecd_child_msg, parsecd_child_lost);
	for (i = 0; (c = parsecd_child(i)) != NULL; i++)
		parsecd_spawn(c);
	for (i = 0; i < cfg->provider_count; i++)
		for (w = 0; w < parsecd_workers_for(cfg->providers[i].kind); w++)
			parsecd_start_provider(parsecd_new_worker(&cfg->providers[i], w));
	sv.setup_timer = evtimer_new(base, parsecd_setup_timeout, NULL);
	evtimer_add(sv.setup_timer, &tv);
}
