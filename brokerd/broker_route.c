/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routing: an operation for a provider goes to one of its workers, the least
 * loaded of those the work queues' share policy (broker_wq.c) allows, or
 * waits its turn there. Routing keeps the table of what each worker owes;
 * each answer finds its request by id and goes to the client or to whoever
 * asked (a key operation of broker_life.c).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "brokerd.h"
#include "ipc_msg.h"
#include "log.h"
#include "wipe.h"

static int
broker_pending_cmp(const struct broker_pending *a, const struct broker_pending *b)
{
	return a->prov_req_id < b->prov_req_id ? -1 : a->prov_req_id > b->prov_req_id;
}
TREE_GENERATE_STATIC(broker_pending_tree, broker_pending, entry, broker_pending_cmp)

/* A request sent to no worker (over the IPC cap), answered once its sender has returned. */
struct route_unsent {
	struct broker_ctx *b;
	uint64_t prov_req_id;
};

static void route_send_failed(evutil_socket_t fd, short what, void *arg);

static void
route_pending_free(struct broker_pending *pend)
{
	wipe_free(pend->msg, pend->msg_len);
	free(pend);
}

/* The operation's answer, or its failure when no worker will give one. */
static void
route_finish(struct broker_ctx *b, struct broker_pending *pend, uint32_t status,
    struct op_result *res)
{
	/* A multipart operation made or ended, before its connection may close with the answer. */
	if (pend->mp_opcode != 0)
		broker_opstate_settle(b, pend->mp_opcode, pend->mp_conn, pend->mp_handle,
		    res != NULL ? res->status : status, pend->worker);
	if (pend->done != NULL) {
		pend->done(pend->done_arg, status, res);
	} else if (res != NULL) {
		/* The reference a provider may return is for the key store, not the client. */
		res->out[1].ptr = NULL;
		res->out[1].len = 0;
		broker_answer(b, pend->conn_id, pend->req_id, res);
	} else {
		broker_answer_status(b, pend->conn_id, pend->req_id, status);
	}
	route_pending_free(pend);
}

/* The operation goes to w now: charged there until answered. */
static void
route_send(struct broker_ctx *b, struct broker_worker *w, struct broker_pending *pend)
{
	struct route_unsent *u;
	struct timeval now = { 0, 0 };

	broker_wq_charge(pend, w);
	pend->prov_req_id = ++b->pending_last_id;
	pend->worker = w;
	if (wire_opcode_mp_role(pend->mp_opcode) == WIRE_MP_START)
		broker_opstate_bind(b, pend->mp_conn, pend->mp_handle, w);
	RB_INSERT(broker_pending_tree, &b->pending, pend);
	w->inflight++;
	w->long_inflight += pend->long_op != 0;
	w->cost_inflight += pend->cost;
	if (broker_out_worker_send(w, pend->prov_req_id, pend->msg, pend->msg_len) == -1) {
		/* Nothing waits for an answer that will never come. */
		if ((u = malloc(sizeof(*u))) == NULL)
			fatal("malloc");
		u->b = b;
		u->prov_req_id = pend->prov_req_id;
		if (event_base_once(b->proc.base, -1, EV_TIMEOUT, route_send_failed, u, &now) == -1)
			fatalx("event_base_once");
	}
	wipe_free(pend->msg, pend->msg_len);
	pend->msg = NULL;
	pend->msg_len = 0;
}

/* A request at a worker is answered or failed: it no longer counts there. */
static void
broker_pending_settle(struct broker_ctx *b, struct broker_pending *pend)
{
	struct broker_worker *w = pend->worker;

	RB_REMOVE(broker_pending_tree, &b->pending, pend);
	w->inflight--;
	w->long_inflight -= pend->long_op != 0;
	w->cost_inflight -= pend->cost;
	broker_wq_done(pend->app, w, pend->cost);
}

/*
 * Of the workers the share policy allows (bit i: worker i), the least loaded,
 * free of long operations if one is; NULL if none is allowed.
 */
static struct broker_worker *
route_pick(struct broker_provider *p, uint64_t allowed)
{
	struct broker_worker *best = NULL, *w;
	uint32_t i;

	for (i = 0; i < p->worker_count; i++) {
		if (!(allowed & (uint64_t)1 << i))
			continue;
		w = &p->workers[i];
		if (best == NULL || (best->long_inflight > 0 && w->long_inflight == 0) ||
		    ((best->long_inflight > 0) == (w->long_inflight > 0) &&
		    w->cost_inflight < best->cost_inflight))
			best = w;
	}
	return best;
}

/* Every live worker of p drops what it kept of a key being destroyed. */
static void
route_forget(struct broker_provider *p, const uint8_t *key_ref, size_t key_ref_len)
{
	uint32_t i;

	for (i = 0; i < p->worker_count; i++) {
		struct broker_worker *w = &p->workers[i];

		/* Ahead of any later request to w: it never uses what it kept of the key. */
		if (w->up && broker_out_forget(w, key_ref, key_ref_len) == -1)
			broker_out_worker_fault(w, "cannot be sent a key to forget");
	}
}

/*
 * A step of a multipart operation goes to the worker that holds its state,
 * at once: short, ordered on that worker's channel, and charged there as any
 * other. 1 if it was pinned (sent, or failed: the worker is gone), 0 if any
 * worker may take it.
 */
static int
route_pinned(struct broker_ctx *b, struct broker_provider *p, uint32_t auth_type,
    const char *app, struct broker_pending *pend, const struct op_request *op)
{
	struct broker_worker *w;

	if (pend->mp_opcode == 0 || (wire_opcode_mp_role(op->opcode) == WIRE_MP_START &&
	    op->opcode != OP_EXT_HASH_CLONE))
		return 0;
	w = broker_opstate_pin(b, op);
	if (w == NULL || !w->up || w->provider != p) {
		route_finish(b, pend, ST_PSA_BAD_STATE, NULL);
		return 1;
	}
	pend->app = broker_wq_app_get(p, auth_type, app);
	route_send(b, w, pend);
	return 1;
}

void
broker_route_submit(struct broker_ctx *b, struct broker_provider *p, uint32_t auth_type,
    const char *app, uint64_t conn_id, uint64_t req_id, broker_done_cb done, void *done_arg,
    const uint8_t *key_ref, size_t key_ref_len, const struct op_request *op)
{
	struct ipc_prov_request m = { .key_ref = key_ref, .key_ref_len = key_ref_len, .op = *op };
	struct broker_pending *pend;
	struct broker_worker *w;

	if ((pend = calloc(1, sizeof(*pend))) == NULL)
		fatal("calloc");
	pend->conn_id = conn_id;
	pend->req_id = req_id;
	pend->done = done;
	pend->done_arg = done_arg;
	pend->cost = broker_cost(p, op);
	pend->long_op = broker_cost_is_long(op, pend->cost);
	if (wire_opcode_mp_role(op->opcode) != WIRE_MP_NONE) {
		pend->mp_opcode = op->opcode;
		pend->mp_conn = op->conn;
		pend->mp_handle = wire_opcode_mp_role(op->opcode) == WIRE_MP_START ? op->handle2 :
		    op->handle;
	}
	if (!broker_prov_up(p)) {
		route_finish(b, pend, ST_PSA_COMMUNICATION_FAILURE, NULL);
		return;
	}
	pend->msg = ipc_prov_request_encode_alloc(&m, &pend->msg_len);
	if (route_pinned(b, p, auth_type, app, pend, op))
		return;
	/* A destroy: no worker uses what it kept of the key from now on (its own copy goes too). */
	if (op->opcode == OP_PSA_DESTROY_KEY)
		route_forget(p, key_ref, key_ref_len);
	pend->app = broker_wq_app_get(p, auth_type, app);
	/* Behind the application's own waiting ones of its kind, in order. */
	if (!broker_wq_behind(pend->app, pend) &&
	    (w = route_pick(p, broker_wq_allowed(p, pend->app, pend))) != NULL)
		route_send(b, w, pend);
	else
		broker_wq_park(p, pend->app, pend);
}

void
broker_route_kick(struct broker_ctx *b, struct broker_provider *p)
{
	struct broker_pending *pend;
	uint64_t allowed;

	if (!broker_prov_up(p)) {
		/* Nobody to send them to: answered as requests at a worker that died. */
		while ((pend = broker_wq_take(p)) != NULL)
			route_finish(b, pend, ST_PSA_COMMUNICATION_FAILURE, NULL);
		return;
	}
	while ((pend = broker_wq_next(p, &allowed)) != NULL)
		route_send(b, route_pick(p, allowed), pend);
}

/* Whether the provider can take the operation now. */
uint32_t
broker_route_servable(const struct broker_provider *p, uint32_t opcode)
{
	if (!broker_prov_up(p) || !p->have_info)
		return ST_PSA_COMMUNICATION_FAILURE;
	return broker_cost_row(p, opcode) != NULL ? ST_SUCCESS : ST_PSA_NOT_SUPPORTED;
}

void
broker_route_response(struct broker_ctx *b, struct broker_worker *w, uint64_t prov_req_id,
    const uint8_t *data, size_t len)
{
	struct broker_pending key = { .prov_req_id = prov_req_id }, *pend;
	struct op_result res;

	pend = RB_FIND(broker_pending_tree, &b->pending, &key);
	if (pend == NULL || pend->worker != w) {
		broker_out_worker_fault(w, "answered a request it was not given");
		return;
	}
	if (ipc_result_decode(data, len, &res) == -1) {
		broker_out_worker_fault(w, "sent a malformed result");
		return;
	}
	broker_pending_settle(b, pend);
	route_finish(b, pend, res.status, &res);
	broker_route_kick(b, w->provider);
}

void
broker_route_worker_down(struct broker_ctx *b, struct broker_worker *w)
{
	struct broker_pending *pend, *next;

	RB_FOREACH_SAFE(pend, broker_pending_tree, &b->pending, next) {
		if (pend->worker != w)
			continue;
		broker_pending_settle(b, pend);
		route_finish(b, pend, ST_PSA_COMMUNICATION_FAILURE, NULL);
	}
	/* The multipart operations it held died with it. */
	broker_opstate_worker_down(b, w);
	broker_route_kick(b, w->provider);
}

static void
route_send_failed(evutil_socket_t fd, short what, void *arg)
{
	struct route_unsent *u = arg;
	struct broker_pending key = { .prov_req_id = u->prov_req_id }, *pend;
	struct broker_provider *p;

	(void)fd;
	(void)what;
	/* Gone already if its worker died in between. */
	if ((pend = RB_FIND(broker_pending_tree, &u->b->pending, &key)) != NULL) {
		p = pend->worker->provider;
		broker_pending_settle(u->b, pend);
		route_finish(u->b, pend, ST_BODY_SIZE_EXCEEDS_LIMIT, NULL);
		broker_route_kick(u->b, p);
	}
	free(u);
}
