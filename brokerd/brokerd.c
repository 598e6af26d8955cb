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
#include "brokerd.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "peer.h"
#include "proc.h"
#include "tree.h"
#include "wipe.h"

struct broker_ctx broker;

/* A client connection as the kernel describes it. */
struct broker_conn {
	RB_ENTRY(broker_conn) entry;
	uint64_t id;
	uid_t uid;
	pid_t pid;
	int refused; /* not one of the service's clients: no identity, every request refused */
	uint64_t last_req_id; /* its answer closes the connection (IPC_F_LAST); 0: none yet */
};

static int
broker_conn_cmp(const struct broker_conn *a, const struct broker_conn *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}
RB_HEAD(broker_conn_tree, broker_conn);
TREE_GENERATE_STATIC(broker_conn_tree, broker_conn, entry, broker_conn_cmp)

/* The shared start-up (proc.h); its handlers are below. */
static struct proc_child brokerd;

static struct {
	struct broker_conn_tree conns;
	uint32_t workers_linked;
	int setup_done;
	int ready_sent;
} bd;

struct event_base *
broker_event_base(void)
{
	return brokerd.base;
}

void
broker_send_parent(uint32_t type)
{
	ipc_send_ctl(brokerd.parent, type, 0, -1, NULL, 0);
}

static void
broker_conn_closed(uint64_t conn_id)
{
	struct broker_conn key = { .id = conn_id }, *conn;

	if ((conn = RB_FIND(broker_conn_tree, &bd.conns, &key)) == NULL)
		return;
	RB_REMOVE(broker_conn_tree, &bd.conns, conn);
	free(conn);
}

/* The answer to a connection's last request closes it in frontd: it is forgotten here too. */
static void
broker_conn_answered(uint64_t conn_id, uint64_t req_id)
{
	struct broker_conn key = { .id = conn_id }, *conn;

	if ((conn = RB_FIND(broker_conn_tree, &bd.conns, &key)) != NULL &&
	    conn->last_req_id == req_id)
		broker_conn_closed(conn_id);
}

void
broker_reply(uint64_t conn_id, uint64_t req_id, const struct op_result *res)
{
	size_t len = op_result_encoded_len(res);
	uint8_t *buf = malloc(len);
	struct buf_writer wr;

	if (buf == NULL)
		fatal("malloc");
	buf_writer_init(&wr, buf, len);
	op_result_encode(&wr, res);
	if (!buf_writer_ok(&wr))
		fatalx("result encoding overflow");
	if (ipc_send(brokerd.peer, IPC_RESPONSE, conn_id, req_id, -1, buf, wr.off) == -1) {
		struct op_result too_large;

		op_result_status(&too_large, ST_RESPONSE_TOO_LARGE);
		broker_reply(conn_id, req_id, &too_large);
	}
	wipe_free(buf, wr.off);
	broker_fair_done(conn_id, req_id);
	broker_conn_answered(conn_id, req_id);
}

void
broker_reply_status(uint64_t conn_id, uint64_t req_id, uint32_t status)
{
	struct op_result res;

	op_result_status(&res, status);
	broker_reply(conn_id, req_id, &res);
}

int
broker_provider_up(const struct broker_provider *p)
{
	uint32_t i;

	for (i = 0; i < p->worker_count; i++)
		if (p->workers[i].up)
			return 1;
	return 0;
}

static void
broker_send_failed(evutil_socket_t fd, short what, void *arg)
{
	uint64_t *id = arg;

	(void)fd;
	(void)what;
	broker_route_send_failed(*id, ST_BODY_SIZE_EXCEEDS_LIMIT);
	free(id);
}

void
broker_worker_send(struct broker_worker *w, uint64_t prov_req_id, const uint8_t *msg,
    size_t msg_len)
{
	if (ipc_send(w->chan, IPC_PROV_REQUEST, 0, prov_req_id, -1, msg, msg_len) == -1) {
		struct timeval now = { 0, 0 };
		uint64_t *id = malloc(sizeof(*id));

		if (id == NULL)
			fatal("malloc");
		*id = prov_req_id;
		if (event_base_once(brokerd.base, -1, EV_TIMEOUT, broker_send_failed, id, &now) == -1)
			fatalx("event_base_once");
	}
}

/* Ready once set up, every worker is linked and up, and start-up reconciliation is done. */
void
broker_startup_progress(void)
{
	size_t i;

	if (bd.ready_sent || !bd.setup_done || bd.workers_linked < broker.setup.provider_count ||
	    broker_life_startup_jobs() > 0)
		return;
	for (i = 0; i < WIRE_PROVIDER_COUNT; i++) {
		const struct broker_provider *p = &broker.providers[i];
		uint32_t w;

		for (w = 0; p->configured && w < p->worker_count; w++)
			if (!p->workers[w].up)
				return;
	}
	bd.ready_sent = 1;
	ipc_send_ctl(brokerd.parent, IPC_READY, 0, -1, (const uint8_t *)broker_deploy_id(),
	    strlen(broker_deploy_id()));
}

/* A connection's first request brings its client socket: who is connected is read from it. */
static struct broker_conn *
broker_conn_new(uint64_t conn_id, int fd)
{
	struct broker_conn *conn;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char why[160];

	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		fatal("calloc");
	conn->id = conn_id;
	/*
	 * Only an accepted client of our own listener says who is connected: the
	 * credentials of a listener, a socketpair or another socket name whoever
	 * made it (root, for the listener), never the client frontd serves.
	 */
	if (peer_is_client(fd, broker.setup.listen_addr, why, sizeof(why)) == -1) {
		log_warnx("connection %llu: frontd passed %s, not a client; its requests are "
		    "refused", (unsigned long long)conn_id, why);
		conn->refused = 1;
		conn->uid = (uid_t)-1;
	} else {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
			fatal("SO_PEERCRED");
		conn->uid = cred.uid;
		conn->pid = cred.pid;
	}
	if (RB_INSERT(broker_conn_tree, &bd.conns, conn) != NULL)
		fatalx("duplicate connection id %llu", (unsigned long long)conn_id);
	log_debug("connection %llu from uid %u pid %d", (unsigned long long)conn_id,
	    (unsigned)conn->uid, (int)conn->pid);
	return conn;
}

static void
broker_front_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct broker_conn key, *conn;

	switch (msg->hdr.type) {
	case IPC_CONN_CLOSED:
		broker_conn_closed(msg->hdr.conn_id);
		break;
	case IPC_REQUEST:
		key.id = msg->hdr.conn_id;
		if (msg->fd != -1)
			conn = broker_conn_new(msg->hdr.conn_id, msg->fd);
		else if ((conn = RB_FIND(broker_conn_tree, &bd.conns, &key)) == NULL)
			fatalx("request on unknown connection %llu",
			    (unsigned long long)msg->hdr.conn_id);
		if (msg->hdr.flags & IPC_F_LAST)
			conn->last_req_id = msg->hdr.req_id;
		if (conn->refused) {
			broker_reply_status(msg->hdr.conn_id, msg->hdr.req_id,
			    ST_AUTHENTICATION_ERROR);
			break;
		}
		broker_route_request(msg->hdr.conn_id, msg->hdr.req_id, conn->uid, msg->data,
		    msg->hdr.len);
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
	broker_route_worker_down(w);
}

void
broker_worker_fault(struct broker_worker *w, const char *what)
{
	log_warnx("%s worker %u %s; dropping it", w->provider->name, w->index, what);
	ipc_chan_drop(w->chan);
}

static void
broker_worker_info(struct broker_worker *w, const uint8_t *data, size_t len)
{
	struct broker_provider *p = w->provider;
	struct ipc_prov_info m;

	if (ipc_prov_info_decode(data, len, &m) == -1 || m.info.id != p->id) {
		broker_worker_fault(w, "sent a malformed PROV_INFO");
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
	broker_life_reconcile(p);
	broker_wq_kick(p);
	broker_startup_progress();
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
		broker_route_response(w, msg->hdr.req_id, msg->data, msg->hdr.len);
		break;
	default:
		broker_worker_fault(w, "sent a message it may not send");
	}
}

static void
broker_worker_lost(struct ipc_chan *chan, void *arg)
{
	struct broker_worker *w = arg;

	log_info("channel to %s worker %u closed", w->provider->name, w->index);
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
	p = &broker.providers[ref.id];
	if (!p->configured) {
		p->configured = 1;
		p->id = ref.id;
		strlcpy(p->name, ref.name, sizeof(p->name));
		broker.provider_order[broker.provider_count++] = ref.id;
	}
	w = &p->workers[ref.worker];
	if (w->provider == NULL) {
		w->provider = p;
		w->index = ref.worker;
		if (ref.worker >= p->worker_count)
			p->worker_count = ref.worker + 1;
		bd.workers_linked++;
	}
	if (w->chan != NULL)
		broker_worker_down(w);
	snprintf(peer, sizeof(peer), "provider %u/%u", ref.id, ref.worker);
	w->chan = ipc_chan_new(brokerd.base, fd, peer, broker_worker_msg, broker_worker_lost, w);
	ipc_chan_set_untrusted(w->chan);
	ipc_chan_set_batched(w->chan, brokerd.base);
}

/* A provider left the configuration: its keys stay in the store, unreachable. */
static void
broker_remove_provider(struct broker_provider *p)
{
	uint32_t i;
	size_t k;

	for (i = 0; i < p->worker_count; i++)
		if (p->workers[i].provider != NULL)
			broker_worker_down(&p->workers[i]);
	for (k = 0; k < broker.provider_count; k++) {
		if (broker.provider_order[k] != p->id)
			continue;
		memmove(&broker.provider_order[k], &broker.provider_order[k + 1],
		    (broker.provider_count - k - 1) * sizeof(broker.provider_order[0]));
		broker.provider_count--;
		break;
	}
	log_info("%s removed", p->name);
	memset(p, 0, sizeof(*p));
	broker_startup_progress(); /* a provider skipped at start-up is no longer awaited */
}

/*
 * SQLite's commit hook, run before each durable write to the key store (an
 * fsync): the answers and provider requests batched so far leave first, so
 * frontd and the providers work while brokerd waits for the disk.
 */
static int
broker_flush_before_commit(void *arg)
{
	size_t i;
	uint32_t w;

	ipc_chan_flush_now(brokerd.peer);
	for (i = 0; i < WIRE_PROVIDER_COUNT; i++)
		for (w = 0; w < broker.providers[i].worker_count; w++)
			if (broker.providers[i].workers[w].chan != NULL)
				ipc_chan_flush_now(broker.providers[i].workers[w].chan);
	return 0;
}

/*
 * As root, brokerd's root becomes the key store's directory (SQLite makes its
 * journals there and needs nothing else); the key store is then opened as
 * brokerd's user: root follows no path of it.
 */
static char broker_kim_dir[sizeof(broker.setup.kim_path)];
static const char *broker_kim_file;

static void
broker_open_kim(void)
{
	if (kim_open(broker_kim_file) == -1)
		fatalx("cannot open the key store %s", broker.setup.kim_path);
	sqlite3_commit_hook(kim_sqlite(), broker_flush_before_commit, NULL);
	broker_deploy_check(&broker.setup);
}

/* The key store is open before the filter; its directory is the only path brokerd still uses. */
static void
broker_sandbox(struct proc_sandbox *sb)
{
	const char *path = broker.setup.kim_path, *slash = strrchr(path, '/');

	sb->user = broker.setup.user;
	broker_kim_file = path;
	if (geteuid() == 0 && slash != NULL) {
		snprintf(broker_kim_dir, sizeof(broker_kim_dir), "%.*s", (int)(slash - path), path);
		sb->chroot_dir = broker_kim_dir[0] != '\0' ? broker_kim_dir : "/";
		broker_kim_file = slash;
	}
	sb->open_as_user = broker_open_kim;
}

static void
broker_parent_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	switch (msg->hdr.type) {
	case IPC_SETUP:
		if (setup_broker_decode(msg->data, msg->hdr.len, &broker.setup) == -1)
			fatalx("malformed setup from parent");
		break;
	case IPC_SETUP_DONE: /* in its sandbox now (proc_child_enter) */
		broker_auth_apply(&broker.setup); /* bundles are parsed under the filter */
		bd.setup_done = 1;
		broker_startup_progress();
		break;
	case IPC_SETUP_PROVIDER:
		broker_link_worker(msg->data, msg->hdr.len, msg->fd);
		msg->fd = -1;
		break;
	case IPC_PROVIDER_DOWN: {
		struct ipc_provider_down down;

		if (ipc_provider_down_decode(msg->data, msg->hdr.len, &down) == -1)
			fatalx("malformed PROVIDER_DOWN");
		if (down.provider_id > 0 && down.provider_id < WIRE_PROVIDER_COUNT &&
		    down.worker < CFG_WORKERS_MAX &&
		    broker.providers[down.provider_id].workers[down.worker].provider != NULL)
			broker_worker_down(&broker.providers[down.provider_id].workers[down.worker]);
		break;
	}
	case IPC_SPIFFE_SOCKET:
		broker_spiffe_socket(msg->fd);
		msg->fd = -1;
		break;
	case IPC_RELOAD: {
		static struct setup_broker next;

		if (setup_broker_decode(msg->data, msg->hdr.len, &next) == -1)
			fatalx("malformed reload from parent");
		/* The key store stays; who may do what changes. */
		broker_auth_apply(&next);
		broker.setup.max_keys_per_application = next.max_keys_per_application;
		broker.setup.max_key_bytes_per_application = next.max_key_bytes_per_application;
		broker.setup.max_requests_per_application = next.max_requests_per_application;
		broker_fair_resume();
		log_info("reloaded: %u authenticators; per application at most %u keys, %llu bytes "
		    "(0: no limit)", next.auth_count, next.max_keys_per_application,
		    (unsigned long long)next.max_key_bytes_per_application);
		break;
	}
	case IPC_PROVIDER_REMOVED: {
		struct ipc_provider_removed rm;

		if (ipc_provider_removed_decode(msg->data, msg->hdr.len, &rm) == -1)
			fatalx("malformed PROVIDER_REMOVED");
		if (rm.provider_id == 0 || rm.provider_id >= WIRE_PROVIDER_COUNT)
			fatalx("PROVIDER_REMOVED for provider %u", rm.provider_id);
		broker_remove_provider(&broker.providers[rm.provider_id]);
		break;
	}
	default:
		fatalx("unexpected %s from parent", ipc_type_name(msg->hdr.type));
	}
}

static struct proc_child brokerd = { .kind = PROC_BROKERD, .parent_msg = broker_parent_msg,
	.peer_msg = broker_front_msg, .sandbox = broker_sandbox };

int
main(int argc, char **argv)
{
	RB_INIT(&bd.conns);
	proc_child_start(&brokerd, argc, argv);
	ipc_chan_set_batched(brokerd.peer, brokerd.base);
	/*
	 * Large answers (a ListKeys over many keys) and the channel buffers they
	 * grow are mapped and unmapped with a fixed threshold: once released, the
	 * memory returns to the system instead of staying in the heap (glibc's
	 * own threshold would rise to their size).
	 */
	if (mallopt(M_MMAP_THRESHOLD, 1024 * 1024) != 1)
		log_warnx("mallopt M_MMAP_THRESHOLD failed");
	proc_child_run(&brokerd);
	kim_close();
	log_debug("exiting");
	return 0;
}
