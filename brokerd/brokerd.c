/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-brokerd: decides who a request comes from and where it goes.
 * Talks to the parent (fd 3), frontd (fd 4) and each provider worker
 * (channels handed over in IPC_SETUP_PROVIDER). Owns the key store.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "kim.h"
#include "broker_life.h"
#include "brokerd.h"
#include "hoptime.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "proc.h"

/*
 * brokerd's state, the one instance: the event handlers below (called by
 * proc.h and ipc.h without an argument of ours) pass it to every other file.
 */
static struct broker_ctx brokerd;

/*
 * Ready once set up, every worker is linked and up, and start-up
 * reconciliation is done: asked after whatever may have finished a step.
 */
static void
broker_startup_progress(struct broker_ctx *b)
{
	if (b->ready_sent || !b->setup_done || b->workers_linked < b->setup.provider_count ||
	    b->startup_jobs > 0 || !broker_prov_all_up(b))
		return;
	b->ready_sent = 1;
	ipc_send_ready(b->proc.parent, broker_deploy_id());
	/* Start-up (the key store's schema, the setup messages) freed heap below its top: given back. */
	malloc_trim(0);
}

static void
broker_front_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct broker_ctx *b = &brokerd;
	struct broker_conn *conn;

	switch (msg->hdr.type) {
	case IPC_CONN_CLOSED:
		broker_conn_closed(b, msg->hdr.conn_id);
		break;
	case IPC_REQUEST:
		HOPTIME("b.conn");
		conn = broker_conn_get(b, msg->hdr.conn_id, msg->fd);
		HOPTIME("b.conned");
		if (msg->hdr.flags & IPC_F_LAST)
			conn->last_req_id = msg->hdr.req_id;
		if (conn->refused) {
			broker_answer_status(b, msg->hdr.conn_id, msg->hdr.req_id,
			    ST_AUTHENTICATION_ERROR);
			break;
		}
		broker_dispatch_request(b, msg->hdr.conn_id, msg->hdr.req_id, conn->uid,
		    msg->data, msg->hdr.len);
		break;
	default:
		fatalx("unexpected %s from frontd", ipc_type_name(msg->hdr.type));
	}
}

static void
broker_worker_down(struct broker_worker *w)
{
	if (w->chan != NULL) {
		ipc_chan_free(w->chan);
		w->chan = NULL;
	}
	w->up = 0;
	broker_route_worker_down(&brokerd, w);
	broker_front_update(&brokerd);
	/* Reconciliation its requests were part of may have ended with them. */
	broker_startup_progress(&brokerd);
}

static void
broker_worker_info(struct broker_worker *w, const uint8_t *data, size_t len)
{
	struct broker_provider *p = w->provider;
	struct ipc_prov_info m;

	if (ipc_prov_info_decode(data, len, &m) == -1 || m.info.id != p->id) {
		broker_out_worker_fault(w, "sent a malformed PROV_INFO");
		return;
	}
	p->info = m.info;
	memcpy(p->ops, m.ops, m.op_count * sizeof(m.ops[0]));
	p->op_count = m.op_count;
	memcpy(p->rsa_cost, m.rsa, sizeof(p->rsa_cost));
	p->have_info = 1;
	w->up = 1;
	log_debug("%s worker %u is up with %u operations", p->name, w->index, m.op_count);
	/* Whatever an interruption left half-done in this provider is settled first. */
	broker_life_reconcile(&brokerd, p);
	broker_route_kick(&brokerd, p);
	broker_front_update(&brokerd);
	broker_startup_progress(&brokerd);
}

static void
broker_worker_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct broker_worker *w = arg;

	switch (msg->hdr.type) {
	case IPC_PROV_INFO:
		broker_worker_info(w, msg->data, msg->hdr.len);
		break;
	case IPC_PROV_RESPONSE:
		broker_route_response(&brokerd, w, msg->hdr.req_id, msg->data, msg->hdr.len);
		/* The answer may have been the last of a start-up reconciliation. */
		broker_startup_progress(&brokerd);
		break;
	default:
		broker_out_worker_fault(w, "sent a message it may not send");
	}
}

static void
broker_worker_lost(struct ipc_chan *chan, void *arg)
{
	struct broker_worker *w = arg;

	log_info("channel to %s worker %u closed", w->provider->name, w->index);
	/*
	 * A worker that broke the protocol is not left to exit on its own (a
	 * compromised one would not): the parent kills it and restarts it.
	 */
	if (ipc_chan_dropped(chan))
		ipc_send_worker_fault(brokerd.proc.parent, w->provider->id, w->index);
	broker_worker_down(w);
}

static void
broker_link_worker(const uint8_t *data, size_t len, int fd)
{
	struct setup_provider_ref ref;
	struct broker_provider *p;
	struct broker_worker *w;
	char peer[32];

	if (fd == -1 || setup_provider_ref_decode(data, len, &ref) == -1 || ref.id == 0 ||
	    ref.id >= WIRE_PROVIDER_COUNT || ref.worker >= CFG_WORKERS_MAX)
		fatalx("malformed SETUP_PROVIDER from parent");
	p = broker_prov_configure(&brokerd, ref.id, ref.name);
	w = &p->workers[ref.worker];
	if (w->provider == NULL) {
		w->provider = p;
		w->index = ref.worker;
		if (ref.worker >= p->worker_count)
			p->worker_count = ref.worker + 1;
		brokerd.workers_linked++;
	}
	if (w->chan != NULL)
		broker_worker_down(w);
	snprintf(peer, sizeof(peer), "provider %u/%u", ref.id, ref.worker);
	w->chan = ipc_chan_new(brokerd.proc.base, fd, peer, broker_worker_msg, broker_worker_lost,
	    w);
	ipc_chan_set_untrusted(w->chan);
	ipc_chan_set_batched(w->chan, brokerd.proc.base);
}

/* A provider left the configuration: its keys stay in the store, unreachable. */
static void
broker_remove_provider(struct broker_provider *p)
{
	uint32_t i;

	for (i = 0; i < p->worker_count; i++)
		if (p->workers[i].provider != NULL)
			broker_worker_down(&p->workers[i]);
	log_info("%s removed", p->name);
	broker_prov_forget(&brokerd, p);
	broker_front_update(&brokerd);
	/* a provider skipped at start-up is no longer awaited */
	broker_startup_progress(&brokerd);
}

/*
 * SQLite's commit hook, run before each durable write to the key store (an
 * fsync): the answers and provider requests batched so far leave first, so
 * frontd and the providers work while brokerd waits for the disk.
 */
static int
broker_flush_before_commit(void *arg)
{
	struct broker_ctx *b = arg;
	size_t i;
	uint32_t w;

	ipc_chan_flush_now(b->proc.peer);
	for (i = 0; i < WIRE_PROVIDER_COUNT; i++)
		for (w = 0; w < b->providers[i].worker_count; w++)
			if (b->providers[i].workers[w].chan != NULL)
				ipc_chan_flush_now(b->providers[i].workers[w].chan);
	return 0;
}

/*
 * As root, brokerd's root becomes the key store's directory (SQLite makes its
 * journals there and needs nothing else); the key store is then opened as
 * brokerd's user: root follows no path of it.
 */
static char broker_kim_dir[sizeof(brokerd.setup.kim_path)];
static const char *broker_kim_file;

static void
broker_open_kim(void)
{
	long dropped;

	if (kim_open(broker_kim_file) == -1)
		fatalx("cannot open the key store %s", brokerd.setup.kim_path);
	/*
	 * No connection outlives brokerd (its death stops the service): every
	 * volatile key left by a previous start is destroyed by start-up
	 * reconciliation before the first client is served.
	 */
	if ((dropped = kim_drop_volatile()) == -1)
		fatalx("cannot read the key store %s", brokerd.setup.kim_path);
	if (dropped > 0)
		log_info("%ld volatile keys left by the previous start are destroyed", dropped);
	sqlite3_commit_hook(kim_sqlite(), broker_flush_before_commit, &brokerd);
	broker_deploy_check(&brokerd.setup);
}

/* The key store is open before the filter; its directory is the only path brokerd still uses. */
static void
broker_sandbox(struct proc_sandbox *sb)
{
	const char *path = brokerd.setup.kim_path, *slash = strrchr(path, '/');

	sb->user = brokerd.setup.user;
	broker_kim_file = path;
	if (geteuid() == 0 && slash != NULL) {
		snprintf(broker_kim_dir, sizeof(broker_kim_dir), "%.*s", (int)(slash - path), path);
		sb->chroot_dir = broker_kim_dir[0] != '\0' ? broker_kim_dir : "/";
		broker_kim_file = slash;
	}
	sb->open_as_user = broker_open_kim;
}

/* The parent reports a worker process gone. */
static void
broker_provider_down(struct broker_ctx *b, const uint8_t *data, size_t len)
{
	struct ipc_provider_down down;

	if (ipc_provider_down_decode(data, len, &down) == -1)
		fatalx("malformed PROVIDER_DOWN");
	if (down.provider_id > 0 && down.provider_id < WIRE_PROVIDER_COUNT &&
	    down.worker < CFG_WORKERS_MAX &&
	    b->providers[down.provider_id].workers[down.worker].provider != NULL)
		broker_worker_down(&b->providers[down.provider_id].workers[down.worker]);
}

/* The key store stays; who may do what changes. */
static void
broker_reload(struct broker_ctx *b, const uint8_t *data, size_t len)
{
	static struct setup_broker next;

	if (setup_broker_decode(data, len, &next) == -1)
		fatalx("malformed reload from parent");
	broker_auth_apply(b, &next);
	b->setup.max_keys_per_application = next.max_keys_per_application;
	b->setup.max_key_bytes_per_application = next.max_key_bytes_per_application;
	b->setup.max_requests_per_application = next.max_requests_per_application;
	broker_fair_resume(b);
	broker_front_update(b);
	log_info("reloaded: %u authenticators; per application at most %u keys, %llu bytes "
	    "(0: no limit)", next.auth_count, next.max_keys_per_application,
	    (unsigned long long)next.max_key_bytes_per_application);
}

static void
broker_parent_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct broker_ctx *b = &brokerd;

	switch (msg->hdr.type) {
	case IPC_SETUP:
		if (setup_broker_decode(msg->data, msg->hdr.len, &b->setup) == -1)
			fatalx("malformed setup from parent");
		break;
	case IPC_SETUP_DONE: /* in its sandbox now (proc_child_enter) */
		broker_auth_apply(b, &b->setup); /* bundles are parsed under the filter */
		b->setup_done = 1;
		broker_startup_progress(b);
		break;
	case IPC_SETUP_PROVIDER:
		broker_link_worker(msg->data, msg->hdr.len, msg->fd);
		msg->fd = -1;
		break;
	case IPC_PROVIDER_DOWN:
		broker_provider_down(b, msg->data, msg->hdr.len);
		break;
	case IPC_SPIFFE_SOCKET:
		broker_spiffe_socket(msg->fd);
		msg->fd = -1;
		break;
	case IPC_RELOAD:
		broker_reload(b, msg->data, msg->hdr.len);
		break;
	case IPC_PROVIDER_REMOVED: {
		struct ipc_provider_removed rm;

		if (ipc_provider_removed_decode(msg->data, msg->hdr.len, &rm) == -1)
			fatalx("malformed PROVIDER_REMOVED");
		if (rm.provider_id == 0 || rm.provider_id >= WIRE_PROVIDER_COUNT)
			fatalx("PROVIDER_REMOVED for provider %u", rm.provider_id);
		broker_remove_provider(&b->providers[rm.provider_id]);
		break;
	}
	default:
		fatalx("unexpected %s from parent", ipc_type_name(msg->hdr.type));
	}
}

int
main(int argc, char **argv)
{
	brokerd.proc.kind = PROC_BROKERD;
	brokerd.proc.parent_msg = broker_parent_msg;
	brokerd.proc.peer_msg = broker_front_msg;
	brokerd.proc.sandbox = broker_sandbox;
	proc_child_start(&brokerd.proc, argc, argv);
	ipc_chan_set_batched(brokerd.proc.peer, brokerd.proc.base);
	broker_dispatch_init(&brokerd);
	/*
	 * Large answers (a ListKeys over many keys) and the channel buffers they
	 * grow are mapped and unmapped with a fixed threshold: once released, the
	 * memory returns to the system instead of staying in the heap (glibc's
	 * own threshold would rise to their size).
	 */
	if (mallopt(M_MMAP_THRESHOLD, 1024 * 1024) != 1)
		log_warnx("mallopt M_MMAP_THRESHOLD failed");
	proc_child_run(&brokerd.proc);
	kim_close();
	log_debug("exiting");
	return 0;
}
