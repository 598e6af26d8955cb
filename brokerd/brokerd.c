/*
 * parsec-brokerd: decides who a request comes from and where it goes.
 * Talks to the parent (fd 3), frontd (fd 4) and each provider (channels
 * handed over in IPC_SETUP_PROVIDER). Providers never see application names.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "tree.h"
#include <unistd.h>

#include <event2/event.h>

#include "brokerd.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"

struct broker_ctx broker;

/* A client connection as the kernel describes it. */
struct broker_conn {
	RB_ENTRY(broker_conn) entry;
	uint64_t id;
	uid_t uid;
	pid_t pid;
};

/* A request waiting on a provider; answered with CommunicationFailure if it dies. */
struct broker_pending {
	RB_ENTRY(broker_pending) entry;
	uint64_t prov_req_id;
	uint32_t provider_id;
	uint64_t conn_id;
	uint64_t req_id;
};

static int broker_conn_cmp(const struct broker_conn *a, const struct broker_conn *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}
static int broker_pending_cmp(const struct broker_pending *a, const struct broker_pending *b)
{
	return a->prov_req_id < b->prov_req_id ? -1 : a->prov_req_id > b->prov_req_id;
}
RB_HEAD(broker_conn_tree, broker_conn);
TREE_GENERATE_STATIC(broker_conn_tree, broker_conn, entry, broker_conn_cmp)
RB_HEAD(broker_pending_tree, broker_pending);
TREE_GENERATE_STATIC(broker_pending_tree, broker_pending, entry, broker_pending_cmp)

static struct {
	struct event_base *base;
	struct ipc_chan *parent;
	struct ipc_chan *front;
	struct broker_conn_tree conns;
	struct broker_pending_tree pending;
	uint64_t next_prov_req_id;
	int have_setup;
	size_t providers_linked;
	int setup_done;
	int ready_sent;
	int stopping;
} bd;

static void broker_provider_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg);
static void broker_provider_lost(struct ipc_chan *chan, void *arg);

static void
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
	if (ipc_send(bd.front, IPC_RESPONSE, conn_id, req_id, -1, buf, wr.off) == -1) {
		struct op_result too_large;

		op_result_status(&too_large, ST_RESPONSE_TOO_LARGE);
		broker_reply(conn_id, req_id, &too_large);
	}
	explicit_bzero(buf, wr.off);
	free(buf);
}

static void
broker_reply_status(uint64_t conn_id, uint64_t req_id, uint32_t status)
{
	struct op_result res;

	op_result_status(&res, status);
	broker_reply(conn_id, req_id, &res);
}

static void
broker_maybe_ready(void)
{
	size_t i;

	if (bd.ready_sent || !bd.setup_done || bd.providers_linked < broker.setup.provider_count)
		return;
	for (i = 0; i < WIRE_PROVIDER_COUNT; i++)
		if (broker.providers[i].configured && !broker.providers[i].up)
			return;
	bd.ready_sent = 1;
	ipc_send(bd.parent, IPC_READY, 0, 0, -1, NULL, 0);
}

/* Forwards an operation to a provider, remembering whom to answer. */
static void
broker_forward(struct broker_provider *p, uint64_t conn_id, uint64_t req_id,
    const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len)
{
	struct broker_pending *pend;
	struct buf_writer wr;
	size_t len = 4 + key_ref_len + op_request_encoded_len(op);
	uint8_t *buf = malloc(len);

	if (buf == NULL || (pend = calloc(1, sizeof(*pend))) == NULL)
		fatal("malloc");
	buf_writer_init(&wr, buf, len);
	buf_put_blob(&wr, key_ref, key_ref_len);
	op_request_encode(&wr, op);
	pend->prov_req_id = ++bd.next_prov_req_id;
	pend->provider_id = p->id;
	pend->conn_id = conn_id;
	pend->req_id = req_id;
	RB_INSERT(broker_pending_tree, &bd.pending, pend);
	ipc_send(p->chan, IPC_PROV_REQUEST, 0, pend->prov_req_id, -1, buf, wr.off);
	explicit_bzero(buf, wr.off);
	free(buf);
}

static int
broker_provider_has_opcode(const struct broker_provider *p, uint32_t opcode)
{
	size_t i;

	for (i = 0; i < p->opcode_count; i++)
		if (p->opcodes[i] == opcode)
			return 1;
	return 0;
}

static void
broker_request(uint64_t conn_id, uint64_t req_id, const uint8_t *data, size_t len)
{
	struct broker_conn key = { .id = conn_id }, *conn;
	struct broker_identity id;
	struct op_request op;
	struct buf_reader rd;
	const uint8_t *auth;
	uint32_t provider_id, auth_type, status;
	size_t auth_len;

	buf_reader_init(&rd, data, len);
	provider_id = buf_get_u8(&rd);
	auth_type = buf_get_u8(&rd);
	auth_len = buf_get_u16le(&rd);
	(void)buf_get_u16le(&rd);
	auth = buf_get_bytes(&rd, auth_len);
	if (op_request_decode(&rd, &op) == -1 || !buf_reader_done(&rd))
		fatalx("malformed request from frontd");
	conn = RB_FIND(broker_conn_tree, &bd.conns, &key);
	if (conn == NULL)
		fatalx("request on unknown connection %llu", (unsigned long long)conn_id);

	if (provider_id >= WIRE_PROVIDER_COUNT) {
		broker_reply_status(conn_id, req_id, ST_PROVIDER_DOES_NOT_EXIST);
		return;
	}
	if (provider_id != WIRE_PROVIDER_CORE && !broker.providers[provider_id].configured) {
		broker_reply_status(conn_id, req_id, ST_PROVIDER_NOT_REGISTERED);
		return;
	}
	if ((provider_id == WIRE_PROVIDER_CORE) != (wire_opcode_is_core(op.opcode) != 0)) {
		broker_reply_status(conn_id, req_id, ST_PSA_NOT_SUPPORTED);
		return;
	}
	status = broker_authenticate(auth_type, auth, auth_len, conn->uid, 1, &id);
	if (status != ST_SUCCESS) {
		log_info("connection %llu (uid %u): %s refused: %s", (unsigned long long)conn_id,
		    (unsigned)conn->uid, wire_opcode_name(op.opcode), wire_status_name(status));
		broker_reply_status(conn_id, req_id, status);
		return;
	}
	if (wire_opcode_needs_auth(op.opcode) && !id.authenticated) {
		broker_reply_status(conn_id, req_id, ST_NOT_AUTHENTICATED);
		return;
	}
	if (wire_opcode_is_admin(op.opcode) && !broker_is_admin(&id)) {
		broker_reply_status(conn_id, req_id, ST_ADMIN_OPERATION);
		return;
	}

	if (provider_id == WIRE_PROVIDER_CORE) {
		struct op_result res;
		uint8_t *list_buf;

		broker_core_handle(&op, &id, &res, &list_buf);
		broker_reply(conn_id, req_id, &res);
		free(list_buf);
		return;
	}

	{
		struct broker_provider *p = &broker.providers[provider_id];

		if (!p->up) {
			broker_reply_status(conn_id, req_id, ST_PSA_COMMUNICATION_FAILURE);
			return;
		}
		if (!broker_provider_has_opcode(p, op.opcode)) {
			broker_reply_status(conn_id, req_id, ST_PSA_NOT_SUPPORTED);
			return;
		}
		/* Providers see no application or key names: key operations need the key store. */
		if (op.key_name[0] != '\0') {
			broker_reply_status(conn_id, req_id, ST_PSA_NOT_SUPPORTED);
			return;
		}
		broker_forward(p, conn_id, req_id, &op, NULL, 0);
	}
}

static void
broker_conn_new(uint64_t conn_id, int fd)
{
	struct broker_conn *conn;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (fd == -1)
		fatalx("CONN_NEW without a descriptor");
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		fatal("SO_PEERCRED");
	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		fatal("calloc");
	conn->id = conn_id;
	conn->uid = cred.uid;
	conn->pid = cred.pid;
	if (RB_INSERT(broker_conn_tree, &bd.conns, conn) != NULL)
		fatalx("duplicate connection id %llu", (unsigned long long)conn_id);
	log_debug("connection %llu from uid %u pid %d", (unsigned long long)conn_id,
	    (unsigned)cred.uid, (int)cred.pid);
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

static void
broker_front_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	switch (msg->hdr.type) {
	case IPC_CONN_NEW:
		broker_conn_new(msg->hdr.conn_id, msg->fd);
		break;
	case IPC_CONN_CLOSED:
		broker_conn_closed(msg->hdr.conn_id);
		break;
	case IPC_REQUEST:
		broker_request(msg->hdr.conn_id, msg->hdr.req_id, msg->data, msg->hdr.len);
		break;
	default:
		fatalx("unexpected %s from frontd", ipc_type_name(msg->hdr.type));
	}
}

/* Everything waiting on a provider that is gone gets its answer now. */
static void
broker_fail_pending(uint32_t provider_id)
{
	struct broker_pending *pend, *next;

	RB_FOREACH_SAFE(pend, broker_pending_tree, &bd.pending, next) {
		if (pend->provider_id != provider_id)
			continue;
		broker_reply_status(pend->conn_id, pend->req_id, ST_PSA_COMMUNICATION_FAILURE);
		RB_REMOVE(broker_pending_tree, &bd.pending, pend);
		free(pend);
	}
}

static void
broker_provider_down(struct broker_provider *p)
{
	if (p->chan != NULL) {
		ipc_chan_free(p->chan);
		p->chan = NULL;
	}
	p->up = 0;
	broker_fail_pending(p->id);
}

static void
broker_provider_info(struct broker_provider *p, const uint8_t *data, size_t len)
{
	struct buf_reader rd;
	uint32_t count, i;

	buf_reader_init(&rd, data, len);
	if (op_list_get_provider(&rd, &p->info) == -1)
		fatalx("malformed PROV_INFO from %s", p->name);
	count = buf_get_u32le(&rd);
	if (count > BROKER_MAX_OPCODES)
		fatalx("%s lists too many opcodes", p->name);
	for (i = 0; i < count; i++)
		p->opcodes[i] = buf_get_u32le(&rd);
	if (!buf_reader_done(&rd) || p->info.id != p->id)
		fatalx("malformed PROV_INFO from %s", p->name);
	p->opcode_count = count;
	p->up = 1;
	log_debug("%s is up with %u operations", p->name, count);
	broker_maybe_ready();
}

static void
broker_provider_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct broker_provider *p = arg;
	struct broker_pending key, *pend;

	switch (msg->hdr.type) {
	case IPC_PROV_INFO:
		broker_provider_info(p, msg->data, msg->hdr.len);
		break;
	case IPC_PROV_RESPONSE: {
		struct buf_reader rd;
		struct op_result res;

		key.prov_req_id = msg->hdr.req_id;
		pend = RB_FIND(broker_pending_tree, &bd.pending, &key);
		if (pend == NULL || pend->provider_id != p->id)
			fatalx("%s answered an unknown request", p->name);
		buf_reader_init(&rd, msg->data, msg->hdr.len);
		if (op_result_decode(&rd, &res) == -1 || !buf_reader_done(&rd))
			fatalx("malformed result from %s", p->name);
		broker_reply(pend->conn_id, pend->req_id, &res);
		RB_REMOVE(broker_pending_tree, &bd.pending, pend);
		free(pend);
		break;
	}
	default:
		fatalx("unexpected %s from %s", ipc_type_name(msg->hdr.type), p->name);
	}
}

static void
broker_provider_lost(struct ipc_chan *chan, void *arg)
{
	struct broker_provider *p = arg;

	log_info("channel to %s closed", p->name);
	broker_provider_down(p);
}

static void
broker_link_provider(const uint8_t *data, size_t len, int fd)
{
	struct setup_provider_ref ref;
	struct broker_provider *p;
	char peer[32];

	if (fd == -1 || setup_provider_ref_decode(data, len, &ref) == -1 || ref.id == 0 ||
	    ref.id >= WIRE_PROVIDER_COUNT)
		fatalx("malformed SETUP_PROVIDER from parent");
	p = &broker.providers[ref.id];
	if (p->chan != NULL)
		broker_provider_down(p);
	if (!p->configured) {
		p->configured = 1;
		p->id = ref.id;
		strlcpy(p->name, ref.name, sizeof(p->name));
		broker.provider_order[broker.provider_count++] = ref.id;
		bd.providers_linked++;
	}
	snprintf(peer, sizeof(peer), "provider %u", ref.id);
	p->chan = ipc_chan_new(bd.base, fd, peer, broker_provider_msg, broker_provider_lost, p);
}

static void
broker_stop(void)
{
	bd.stopping = 1;
	event_base_loopexit(bd.base, NULL);
}

static void
broker_parent_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	switch (msg->hdr.type) {
	case IPC_SETUP:
		if (setup_broker_decode(msg->data, msg->hdr.len, &broker.setup) == -1)
			fatalx("malformed setup from parent");
		bd.have_setup = 1;
		break;
	case IPC_SETUP_DONE:
		if (!bd.have_setup)
			fatalx("setup done before setup");
		bd.setup_done = 1;
		broker_maybe_ready();
		break;
	case IPC_SETUP_PROVIDER:
		broker_link_provider(msg->data, msg->hdr.len, msg->fd);
		msg->fd = -1;
		break;
	case IPC_PROVIDER_DOWN: {
		uint32_t id;

		if (msg->hdr.len != sizeof(id))
			fatalx("malformed PROVIDER_DOWN");
		memcpy(&id, msg->data, sizeof(id));
		if (id > 0 && id < WIRE_PROVIDER_COUNT)
			broker_provider_down(&broker.providers[id]);
		break;
	}
	case IPC_SHUTDOWN:
		broker_stop();
		break;
	default:
		fatalx("unexpected %s from parent", ipc_type_name(msg->hdr.type));
	}
}

static void
broker_peer_lost(struct ipc_chan *chan, void *arg)
{
	if (bd.stopping)
		exit(0);
	log_warnx("channel to %s closed; exiting", ipc_chan_peer(chan));
	exit(1);
}

static void
broker_signal(evutil_socket_t sig, short ev, void *arg)
{
	broker_stop();
}

int
main(int argc, char **argv)
{
	struct event *ev_term;
	uint32_t version = IPC_PROTOCOL_VERSION;

	proc_child_init("brokerd", argc, argv);
	RB_INIT(&bd.conns);
	RB_INIT(&bd.pending);
	if ((bd.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	bd.parent = ipc_chan_new(bd.base, IPC_FD_PARENT, "parent", broker_parent_msg,
	    broker_peer_lost, NULL);
	bd.front = ipc_chan_new(bd.base, IPC_FD_PEER, "frontd", broker_front_msg, broker_peer_lost,
	    NULL);
	ev_term = evsignal_new(bd.base, SIGTERM, broker_signal, NULL);
	evsignal_add(ev_term, NULL);
	ipc_send(bd.parent, IPC_HELLO, 0, 0, -1, &version, sizeof(version));
	event_base_dispatch(bd.base);
	log_debug("exiting");
	return 0;
}
