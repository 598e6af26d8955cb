/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dispatch: a request from frontd is decoded and its identity settled once;
 * fairness may park it (decoded, with that identity); then it goes where its
 * operation says: brokerd's core operations, the key life cycle, or routing
 * to a provider worker with its key name turned into the provider's opaque
 * reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "kim.h"
#include "broker_life.h"
#include "hoptime.h"
#include "log.h"

/* Who may ask what of whom: ST_SUCCESS with *id filled, or the refusal. */
static uint32_t
dispatch_admit(struct broker_ctx *b, uint64_t conn_id, uid_t peer_uid,
    const struct ipc_request *m, struct broker_identity *id)
{
	uint32_t provider_id = m->provider, opcode = m->op.opcode, status;

	if (provider_id >= WIRE_PROVIDER_COUNT)
		return ST_PROVIDER_DOES_NOT_EXIST;
	if (provider_id != WIRE_PROVIDER_CORE && !b->providers[provider_id].configured)
		return ST_PROVIDER_NOT_REGISTERED;
	if ((provider_id == WIRE_PROVIDER_CORE) != (wire_opcode_is_core(opcode) != 0))
		return ST_PSA_NOT_SUPPORTED;
	status = broker_authenticate(b, m->auth_type, m->auth, m->auth_len, peer_uid,
	    peer_uid != (uid_t)-1, id);
	if (status != ST_SUCCESS) {
		char who[32] = "its client's uid not asked";

		if (peer_uid != (uid_t)-1)
			snprintf(who, sizeof(who), "uid %u", (unsigned)peer_uid);
		log_info("connection %llu (%s): %s refused: %s", (unsigned long long)conn_id, who,
		    wire_opcode_name(opcode), wire_status_name(status));
		return status;
	}
	if (wire_opcode_needs_auth(opcode) && !id->authenticated)
		return ST_NOT_AUTHENTICATED;
	if (wire_opcode_is_admin(opcode) && !broker_is_admin(b, id))
		return ST_ADMIN_OPERATION;
	return ST_SUCCESS;
}

/* Core operations (provider 0) are brokerd's own. */
static void
dispatch_core(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id, uint16_t wire_flags,
    const struct broker_identity *id, const struct op_request *op)
{
	struct op_result res;
	uint8_t *list_buf;

	if (op->opcode == OP_DELETE_CLIENT) {
		broker_life_delete_client(b, conn_id, req_id, id, op->client);
		return;
	}
	broker_core_handle(b, op, wire_flags, id, &res, &list_buf);
	broker_answer(b, conn_id, req_id, &res);
	free(list_buf);
}

/* An operation on an existing key: use or destruction. */
static void
dispatch_keyed(struct broker_ctx *b, struct broker_provider *p, uint64_t conn_id,
    uint64_t req_id, const struct broker_identity *id, struct op_request *op)
{
	struct kim_entry e;
	int r;

	/* A key is found only in its own application's namespace, in this provider. */
	r = kim_get(id->auth_type, id->app_name, op->key_name, &e);
	if (r == -1) {
		broker_answer_status(b, conn_id, req_id, ST_KEY_INFO_MANAGER_ERROR);
		return;
	}
	if (r == 1 || e.state != KIM_ACTIVE || e.provider_id != p->id ||
	    broker_life_busy(b, e.auth_type, e.app, e.name)) {
		broker_answer_status(b, conn_id, req_id, ST_PSA_DOES_NOT_EXIST);
		return;
	}
	if (wire_opcode_key_use(op->opcode) == WIRE_KEY_DESTROY) {
		broker_life_destroy(b, conn_id, req_id, &e);
		return;
	}
	op->key_name[0] = '\0';
	/* The key's attributes travel with each use: a device keeps no PSA policy of its own. */
	op->attrs = e.attrs;
	broker_route_submit(b, p, id->auth_type, id->app_name, conn_id, req_id, NULL, NULL,
	    e.key_ref, e.key_ref_len, op);
	explicit_bzero(e.key_ref, sizeof(e.key_ref));
}

/* An admitted request that fairness lets go now, to where its operation says. */
static void
dispatch_go(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id, uint32_t provider,
    const struct broker_identity *id, struct op_request *op)
{
	struct broker_provider *p = &b->providers[provider];
	uint32_t status;
	int answered;

	/*
	 * A multipart operation's handle is settled first: made, or found on this
	 * connection. One parked by fairness may find its connection gone: a setup
	 * then makes nothing that nobody would end.
	 */
	if (wire_opcode_mp_role(op->opcode) != WIRE_MP_NONE) {
		answered = 0;
		status = broker_conn_find(b, conn_id) == NULL ? ST_PSA_BAD_STATE :
		    broker_opstate_admit(b, conn_id, id, op, &answered);
		if (status != ST_SUCCESS || answered) {
			broker_answer_status(b, conn_id, req_id, status);
			return;
		}
	}
	switch (wire_opcode_key_use(op->opcode)) {
	case WIRE_KEY_NONE:
		broker_route_submit(b, p, id->auth_type, id->app_name, conn_id, req_id, NULL,
		    NULL, NULL, 0, op);
		HOPTIME("b.routed");
		return;
	case WIRE_KEY_CREATE:
		if (op->key_name[0] == '\0')
			broker_answer_status(b, conn_id, req_id, ST_PSA_INVALID_ARGUMENT);
		else if (op->opcode == OP_EXT_COPY_KEY)
			broker_life_copy(b, p, conn_id, req_id, id, op);
		else
			broker_life_create(b, p, conn_id, req_id, id, op);
		return;
	case WIRE_KEY_DESTROY:
	case WIRE_KEY_USE:
		dispatch_keyed(b, p, conn_id, req_id, id, op);
		return;
	}
}

void
broker_dispatch_request(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    uid_t peer_uid, const uint8_t *data, size_t len)
{
	struct broker_identity id;
	struct ipc_request m;
	uint32_t status;

	HOPTIME("b.dispatch");
	if (ipc_request_decode(data, len, &m) == -1)
		fatalx("malformed request from frontd");
	if ((status = dispatch_admit(b, conn_id, peer_uid, &m, &id)) != ST_SUCCESS) {
		broker_answer_status(b, conn_id, req_id, status);
		return;
	}
	if (m.provider == WIRE_PROVIDER_CORE) {
		dispatch_core(b, conn_id, req_id, m.flags, &id, &m.op);
		return;
	}
	status = broker_route_servable(&b->providers[m.provider], m.op.opcode);
	if (status != ST_SUCCESS) {
		broker_answer_status(b, conn_id, req_id, status);
		return;
	}
	if (broker_fair_admit(b, conn_id, req_id, m.provider, &id, &m.op))
		dispatch_go(b, conn_id, req_id, m.provider, &id, &m.op);
}

/*
 * Parked requests whose applications have room go on, round-robin. Their
 * provider may have gone (or stopped) while they waited: that is asked again.
 */
static void
dispatch_drain(evutil_socket_t fd, short what, void *arg)
{
	struct broker_ctx *b = arg;
	struct broker_parked *r;
	uint32_t status;

	(void)fd;
	(void)what;
	while ((r = broker_fair_next(b)) != NULL) {
		if (!b->providers[r->provider].configured)
			status = ST_PROVIDER_NOT_REGISTERED;
		else
			status = broker_route_servable(&b->providers[r->provider], r->op.opcode);
		if (status != ST_SUCCESS)
			broker_answer_status(b, r->conn_id, r->req_id, status);
		else
			dispatch_go(b, r->conn_id, r->req_id, r->provider, &r->id, &r->op);
		broker_fair_parked_free(r);
	}
}

void
broker_dispatch_init(struct broker_ctx *b)
{
	RB_INIT(&b->conns);
	RB_INIT(&b->pending);
	RB_INIT(&b->keyops);
	RB_INIT(&b->fair_apps);
	RB_INIT(&b->fair_flights);
	TAILQ_INIT(&b->fair_ready);
	b->volatile_gone = broker_life_volatile_gone;
	if ((b->fair_drain = event_new(b->proc.base, -1, 0, dispatch_drain, b)) == NULL)
		fatalx("event_new");
}
