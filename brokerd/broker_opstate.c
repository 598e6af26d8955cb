/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multipart operations (parsecd's extension opcodes): which worker holds each
 * one. A setup gets a handle here and goes to whichever worker routing picks;
 * that worker keeps the operation's secret state, and every later step on the
 * handle is pinned to it. A handle is valid only on the connection that made
 * it; an application holds at most BROKER_OPS_PER_APP at once; a closed
 * connection's operations are dropped here and in their workers, and a dead
 * worker's are lost (their steps answer PsaErrorBadState).
 */
#include <stdlib.h>
#include <string.h>

#include "brokerd.h"
#include "log.h"

/* One live operation, by connection and handle. */
struct broker_opstate {
	RB_ENTRY(broker_opstate) entry;
	uint64_t conn_id;
	uint32_t handle;
	struct broker_worker *worker; /* NULL until its setup reaches one */
	int lost;                     /* its worker died, and the state with it */
	struct broker_opstate_app *app;
};

/* How many operations an application holds, over all its connections. */
struct broker_opstate_app {
	RB_ENTRY(broker_opstate_app) entry;
	uint32_t auth_type;
	char name[OP_NAME_MAX];
	uint32_t count;
};

static int
opstate_cmp(const struct broker_opstate *a, const struct broker_opstate *b)
{
	if (a->conn_id != b->conn_id)
		return a->conn_id < b->conn_id ? -1 : 1;
	return a->handle < b->handle ? -1 : a->handle > b->handle;
}
TREE_GENERATE_STATIC(broker_opstate_tree, broker_opstate, entry, opstate_cmp)

static int
opstate_app_cmp(const struct broker_opstate_app *a, const struct broker_opstate_app *b)
{
	return broker_app_cmp(a->auth_type, a->name, b->auth_type, b->name);
}
TREE_GENERATE_STATIC(broker_opstate_app_tree, broker_opstate_app, entry, opstate_app_cmp)

static struct broker_opstate *
opstate_find(struct broker_ctx *b, uint64_t conn_id, uint32_t handle)
{
	struct broker_opstate key = { .conn_id = conn_id, .handle = handle };

	return RB_FIND(broker_opstate_tree, &b->opstates, &key);
}

static struct broker_opstate_app *
opstate_app_get(struct broker_ctx *b, const struct broker_identity *id)
{
	struct broker_opstate_app key, *a;

	key.auth_type = id->auth_type;
	strlcpy(key.name, id->app_name, sizeof(key.name));
	if ((a = RB_FIND(broker_opstate_app_tree, &b->opstate_apps, &key)) != NULL)
		return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	a->auth_type = key.auth_type;
	memcpy(a->name, key.name, sizeof(a->name));
	RB_INSERT(broker_opstate_app_tree, &b->opstate_apps, a);
	return a;
}

static void
opstate_free(struct broker_ctx *b, struct broker_opstate *s)
{
	RB_REMOVE(broker_opstate_tree, &b->opstates, s);
	if (--s->app->count == 0) {
		RB_REMOVE(broker_opstate_app_tree, &b->opstate_apps, s->app);
		free(s->app);
	}
	free(s);
}

/* A handle unused on the connection: never 0, which names no operation. */
static uint32_t
opstate_next_handle(struct broker_ctx *b, uint64_t conn_id)
{
	do {
		if (++b->opstate_last_handle == 0)
			b->opstate_last_handle = 1;
	} while (opstate_find(b, conn_id, b->opstate_last_handle) != NULL);
	return b->opstate_last_handle;
}

/* A setup or a clone: a new handle in op->handle2, counted against the application. */
static uint32_t
opstate_start(struct broker_ctx *b, uint64_t conn_id, const struct broker_identity *id,
    struct op_request *op)
{
	struct broker_opstate_app *app;
	struct broker_opstate *s, *source = NULL;

	if (op->opcode == OP_EXT_HASH_CLONE) {
		source = opstate_find(b, conn_id, op->handle);
		if (source == NULL || source->lost || source->worker == NULL)
			return ST_PSA_BAD_STATE;
	}
	/* Counted from here on: an application holding none has no record. */
	app = opstate_app_get(b, id);
	if (app->count >= BROKER_OPS_PER_APP)
		return ST_PSA_INSUFFICIENT_MEMORY;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	s->conn_id = conn_id;
	s->handle = opstate_next_handle(b, conn_id);
	/* A clone's state is copied where its source is. */
	s->worker = source != NULL ? source->worker : NULL;
	s->app = app;
	app->count++;
	RB_INSERT(broker_opstate_tree, &b->opstates, s);
	op->handle2 = s->handle;
	return ST_SUCCESS;
}

uint32_t
broker_opstate_admit(struct broker_ctx *b, uint64_t conn_id, const struct broker_identity *id,
    struct op_request *op, int *answered)
{
	enum wire_mp_role role = wire_opcode_mp_role(op->opcode);
	struct broker_opstate *s;
	int gone;

	*answered = 0;
	op->conn = conn_id;
	op->handle2 = 0;
	if (role == WIRE_MP_START)
		return opstate_start(b, conn_id, id, op);
	s = op->handle != 0 ? opstate_find(b, conn_id, op->handle) : NULL;
	if (s != NULL && !s->lost && s->worker != NULL)
		return ST_SUCCESS;
	gone = s == NULL || s->lost;
	/* An end of a lost operation ends it; an abort of what is gone is done. */
	if (s != NULL && s->lost && role == WIRE_MP_END)
		opstate_free(b, s);
	if (op->opcode == OP_EXT_ABORT && gone) {
		*answered = 1;
		return ST_SUCCESS;
	}
	return ST_PSA_BAD_STATE;
}

struct broker_worker *
broker_opstate_pin(struct broker_ctx *b, const struct op_request *op)
{
	struct broker_opstate *s;

	if (wire_opcode_mp_role(op->opcode) == WIRE_MP_NONE ||
	    (wire_opcode_mp_role(op->opcode) == WIRE_MP_START && op->opcode != OP_EXT_HASH_CLONE))
		return NULL;
	s = opstate_find(b, op->conn, op->opcode == OP_EXT_HASH_CLONE ? op->handle2 : op->handle);
	return s != NULL && !s->lost ? s->worker : NULL;
}

void
broker_opstate_bind(struct broker_ctx *b, uint64_t conn_id, uint32_t handle,
    struct broker_worker *w)
{
	struct broker_opstate *s = opstate_find(b, conn_id, handle);

	if (s != NULL && s->worker == NULL)
		s->worker = w;
}

void
broker_opstate_settle(struct broker_ctx *b, uint32_t opcode, uint64_t conn_id, uint32_t handle,
    uint32_t status, struct broker_worker *w)
{
	enum wire_mp_role role = wire_opcode_mp_role(opcode);
	struct broker_opstate *s = opstate_find(b, conn_id, handle);

	if (s == NULL) {
		/* Its connection closed while the setup ran: the worker made it for nobody. */
		if (role == WIRE_MP_START && status == ST_SUCCESS && w != NULL && w->up &&
		    broker_out_drop(w, conn_id) == -1)
			broker_out_worker_fault(w, "cannot be told a connection closed");
		return;
	}
	/* Still live after a step or a setup that worked: a failed setup makes none. */
	if ((role == WIRE_MP_START && status == ST_SUCCESS) || role == WIRE_MP_STEP)
		return;
	opstate_free(b, s);
}

void
broker_opstate_conn_closed(struct broker_ctx *b, uint64_t conn_id)
{
	struct broker_opstate key = { .conn_id = conn_id, .handle = 0 }, *s, *next;
	struct broker_worker *told[4] = { NULL, NULL, NULL, NULL };
	size_t n = 0, i;

	for (s = RB_NFIND(broker_opstate_tree, &b->opstates, &key);
	    s != NULL && s->conn_id == conn_id; s = next) {
		next = RB_NEXT(broker_opstate_tree, &b->opstates, s);
		/* Each worker that may hold some of them is told once (or more, harmlessly). */
		for (i = 0; i < n && told[i] != s->worker; i++)
			;
		if (s->worker != NULL && !s->lost && s->worker->up && i == n) {
			if (broker_out_drop(s->worker, conn_id) == -1)
				broker_out_worker_fault(s->worker, "cannot be told a connection closed");
			if (n < sizeof(told) / sizeof(told[0]))
				told[n++] = s->worker;
		}
		opstate_free(b, s);
	}
}

void
broker_opstate_worker_down(struct broker_ctx *b, struct broker_worker *w)
{
	struct broker_opstate *s;

	RB_FOREACH(s, broker_opstate_tree, &b->opstates)
		if (s->worker == w)
			s->lost = 1;
}
