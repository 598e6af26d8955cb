/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routing: a request's identity is settled, its key name becomes the
 * provider's opaque reference, and it goes to a provider worker; each answer
 * finds its request by id. Key creation and destruction are broker_life.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "kim.h"
#include "broker_life.h"
#include "log.h"
#include "tree.h"

/* A message at a provider worker, answered by prov_req_id. */
struct broker_pending {
	RB_ENTRY(broker_pending) entry;
	uint64_t prov_req_id;
	struct broker_worker *worker;
	uint64_t conn_id; /* plain operations answer the client directly */
	uint64_t req_id;
	struct broker_keyop *keyop;
	struct broker_wq_app *app; /* charged cost at worker */
	uint32_t cost;
	int long_op; /* counted in the worker's long_inflight */
};

static int
broker_pending_cmp(const struct broker_pending *a, const struct broker_pending *b)
{
	return a->prov_req_id < b->prov_req_id ? -1 : a->prov_req_id > b->prov_req_id;
}
RB_HEAD(broker_pending_tree, broker_pending);
TREE_GENERATE_STATIC(broker_pending_tree, broker_pending, entry, broker_pending_cmp)

static struct broker_pending_tree route_pending = RB_INITIALIZER(&route_pending);
static uint64_t route_next_id;

void
broker_route_send(struct broker_worker *w, struct broker_wq_app *a, uint32_t cost,
    int long_op, uint64_t conn_id, uint64_t req_id, struct broker_keyop *keyop,
    const uint8_t *msg, size_t msg_len)
{
	struct broker_pending *pend;

	if ((pend = calloc(1, sizeof(*pend))) == NULL)
		fatal("calloc");
	pend->prov_req_id = ++route_next_id;
	pend->worker = w;
	pend->conn_id = conn_id;
	pend->req_id = req_id;
	pend->keyop = keyop;
	pend->app = a;
	pend->cost = cost;
	pend->long_op = long_op;
	RB_INSERT(broker_pending_tree, &route_pending, pend);
	w->inflight++;
	w->long_inflight += long_op != 0;
	w->cost_inflight += cost;
	broker_worker_send(w, pend->prov_req_id, msg, msg_len);
}

/* A request at a worker is answered or failed: it no longer counts there. */
static void
broker_pending_settle(struct broker_pending *pend)
{
	struct broker_worker *w = pend->worker;

	RB_REMOVE(broker_pending_tree, &route_pending, pend);
	w->inflight--;
	w->long_inflight -= pend->long_op != 0;
	w->cost_inflight -= pend->cost;
	broker_wq_done(pend->app, w, pend->cost);
}

/* Who may ask what of whom: ST_SUCCESS with *id filled, or the refusal. */
static uint32_t
broker_route_admit(uint64_t conn_id, uid_t peer_uid, const struct ipc_request *m,
    struct broker_identity *id)
{
	uint32_t provider_id = m->provider, opcode = m->op.opcode, status;

	if (provider_id >= WIRE_PROVIDER_COUNT)
		return ST_PROVIDER_DOES_NOT_EXIST;
	if (provider_id != WIRE_PROVIDER_CORE && !broker.providers[provider_id].configured)
		return ST_PROVIDER_NOT_REGISTERED;
	if ((provider_id == WIRE_PROVIDER_CORE) != (wire_opcode_is_core(opcode) != 0))
		return ST_PSA_NOT_SUPPORTED;
	status = broker_authenticate(m->auth_type, m->auth, m->auth_len, peer_uid, 1, id);
	if (status != ST_SUCCESS) {
		log_info("connection %llu (uid %u): %s refused: %s", (unsigned long long)conn_id,
		    (unsigned)peer_uid, wire_opcode_name(opcode), wire_status_name(status));
		return status;
	}
	if (wire_opcode_needs_auth(opcode) && !id->authenticated)
		return ST_NOT_AUTHENTICATED;
	if (wire_opcode_is_admin(opcode) && !broker_is_admin(id))
		return ST_ADMIN_OPERATION;
	return ST_SUCCESS;
}

/* Core operations (provider 0) are brokerd's own. */
static void
broker_route_core(uint64_t conn_id, uint64_t req_id, const struct broker_identity *id,
    const struct op_request *op)
{
	struct op_result res;
	uint8_t *list_buf;

	if (op->opcode == OP_DELETE_CLIENT) {
		broker_life_delete_client(conn_id, req_id, id, op->client);
		return;
	}
	broker_core_handle(op, id, &res, &list_buf);
	broker_reply(conn_id, req_id, &res);
	free(list_buf);
}

/* Whether the provider can take the operation now. */
static uint32_t
broker_route_servable(const struct broker_provider *p, uint32_t opcode)
{
	if (!broker_provider_up(p) || !p->have_info)
		return ST_PSA_COMMUNICATION_FAILURE;
	return broker_cost_row(p, opcode) != NULL ? ST_SUCCESS : ST_PSA_NOT_SUPPORTED;
}

/* An operation on an existing key: use or destruction. */
static void
broker_route_keyed(struct broker_provider *p, uint64_t conn_id, uint64_t req_id,
    const struct broker_identity *id, struct op_request *op)
{
	struct kim_entry e;
	int r;

	/* A key is found only in its own application's namespace, in this provider. */
	r = kim_get(id->auth_type, id->app_name, op->key_name, &e);
	if (r == -1) {
		broker_reply_status(conn_id, req_id, ST_KEY_INFO_MANAGER_ERROR);
		return;
	}
	if (r == 1 || e.state != KIM_ACTIVE || e.provider_id != p->id ||
	    broker_life_busy(e.auth_type, e.app, e.name)) {
		broker_reply_status(conn_id, req_id, ST_PSA_DOES_NOT_EXIST);
		return;
	}
	if (wire_opcode_key_use(op->opcode) == WIRE_KEY_DESTROY) {
		broker_life_destroy(conn_id, req_id, &e);
		return;
	}
	op->key_name[0] = '\0';
	/* The key's attributes travel with each use: a device keeps no PSA policy of its own. */
	op->attrs = e.attrs;
	broker_wq_submit(p, id->auth_type, id->app_name, conn_id, req_id, NULL, e.key_ref,
	    e.key_ref_len, op);
	explicit_bzero(e.key_ref, sizeof(e.key_ref));
}

void
broker_route_request(uint64_t conn_id, uint64_t req_id, uid_t peer_uid, const uint8_t *data,
    size_t len)
{
	struct broker_identity id;
	struct ipc_request m;
	struct broker_provider *p;
	uint32_t status;

	if (ipc_request_decode(data, len, &m) == -1)
		fatalx("malformed request from frontd");
	if ((status = broker_route_admit(conn_id, peer_uid, &m, &id)) != ST_SUCCESS) {
		broker_reply_status(conn_id, req_id, status);
		return;
	}
	if (m.provider == WIRE_PROVIDER_CORE) {
		broker_route_core(conn_id, req_id, &id, &m.op);
		return;
	}
	p = &broker.providers[m.provider];
	if ((status = broker_route_servable(p, m.op.opcode)) != ST_SUCCESS) {
		broker_reply_status(conn_id, req_id, status);
		return;
	}
	if (!broker_fair_admit(conn_id, req_id, peer_uid, &id, data, len))
		return;
	switch (wire_opcode_key_use(m.op.opcode)) {
	case WIRE_KEY_NONE:
		broker_wq_submit(p, id.auth_type, id.app_name, conn_id, req_id, NULL, NULL, 0,
		    &m.op);
		return;
	case WIRE_KEY_CREATE:
		if (m.op.key_name[0] == '\0')
			broker_reply_status(conn_id, req_id, ST_PSA_INVALID_ARGUMENT);
		else
			broker_life_create(p, conn_id, req_id, &id, &m.op);
		return;
	case WIRE_KEY_DESTROY:
	case WIRE_KEY_USE:
		broker_route_keyed(p, conn_id, req_id, &id, &m.op);
		return;
	}
}

void
broker_route_response(struct broker_worker *w, uint64_t prov_req_id, const uint8_t *data,
    size_t len)
{
	struct broker_pending key = { .prov_req_id = prov_req_id }, *pend;
	struct buf_reader rd;
	struct op_result res;

	pend = RB_FIND(broker_pending_tree, &route_pending, &key);
	if (pend == NULL || pend->worker != w) {
		broker_worker_fault(w, "answered a request it was not given");
		return;
	}
	buf_reader_init(&rd, data, len);
	if (op_result_decode(&rd, &res) == -1 || !buf_reader_done(&rd)) {
		broker_worker_fault(w, "sent a malformed result");
		return;
	}
	broker_pending_settle(pend);
	if (pend->keyop != NULL) {
		broker_life_ack(pend->keyop, res.status, &res);
	} else {
		/* The reference a provider may return is for the key store, not the client. */
		res.out[1].ptr = NULL;
		res.out[1].len = 0;
		broker_reply(pend->conn_id, pend->req_id, &res);
	}
	free(pend);
	broker_wq_kick(w->provider);
}

/* Answers one pending request that no provider will answer. */
static void
broker_pending_fail(struct broker_pending *pend, uint32_t status)
{
	broker_pending_settle(pend);
	if (pend->keyop != NULL)
		broker_life_ack(pend->keyop, status, NULL);
	else
		broker_reply_status(pend->conn_id, pend->req_id, status);
	free(pend);
}

void
broker_route_worker_down(struct broker_worker *w)
{
	struct broker_pending *pend, *next;

	RB_FOREACH_SAFE(pend, broker_pending_tree, &route_pending, next)
		if (pend->worker == w)
			broker_pending_fail(pend, ST_PSA_COMMUNICATION_FAILURE);
	broker_wq_kick(w->provider);
}

void
broker_route_send_failed(uint64_t prov_req_id, uint32_t status)
{
	struct broker_pending key = { .prov_req_id = prov_req_id }, *pend;

	/* Gone already if its worker died in between. */
	if ((pend = RB_FIND(broker_pending_tree, &route_pending, &key)) == NULL)
		return;
	struct broker_provider *p = pend->worker->provider;

	broker_pending_fail(pend, status);
	broker_wq_kick(p);
}
