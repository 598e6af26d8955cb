/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fair sharing of the providers: each application (auth type, name) has at
 * most [privsep] max_requests_per_application requests at the providers; the
 * rest wait in its own queue, in order, and go on as its earlier ones are
 * answered. Queued applications are served round-robin. A parked request
 * keeps its decoded operation and the identity it was admitted with: it is
 * neither decoded nor authenticated again when it goes on.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "brokerd.h"
#include "log.h"
#include "tree.h"
#include "wipe.h"

struct fair_app {
	RB_ENTRY(fair_app) entry;
	uint32_t auth_type;
	char name[OP_NAME_MAX];
	uint32_t inflight;
	TAILQ_HEAD(, broker_parked) queue;
	TAILQ_ENTRY(fair_app) ready; /* on b->fair_ready while its queue is not empty */
};

/* A request counted against its application until answered. */
struct fair_flight {
	RB_ENTRY(fair_flight) entry;
	uint64_t conn_id;
	uint64_t req_id;
	struct fair_app *app;
};

int
broker_app_cmp(uint32_t auth_a, const char *app_a, uint32_t auth_b, const char *app_b)
{
	if (auth_a != auth_b)
		return auth_a < auth_b ? -1 : 1;
	return strcmp(app_a, app_b);
}

static int
fair_app_cmp(const struct fair_app *a, const struct fair_app *b)
{
	return broker_app_cmp(a->auth_type, a->name, b->auth_type, b->name);
}
TREE_GENERATE_STATIC(broker_fair_app_tree, fair_app, entry, fair_app_cmp)

static int
fair_flight_cmp(const struct fair_flight *a, const struct fair_flight *b)
{
	if (a->conn_id != b->conn_id)
		return a->conn_id < b->conn_id ? -1 : 1;
	return a->req_id < b->req_id ? -1 : a->req_id > b->req_id;
}
TREE_GENERATE_STATIC(broker_fair_flight_tree, fair_flight, entry, fair_flight_cmp)


static int
fair_has_room(const struct broker_ctx *b, const struct fair_app *a)
{
	uint32_t max = b->setup.max_requests_per_application;

	return max == 0 || a->inflight < max;
}

static struct fair_app *
fair_app_get(struct broker_ctx *b, const struct broker_identity *id)
{
	struct fair_app key, *a;

	memset(&key, 0, sizeof(key));
	key.auth_type = id->auth_type;
	strlcpy(key.name, id->app_name, sizeof(key.name));
	if ((a = RB_FIND(broker_fair_app_tree, &b->fair_apps, &key)) != NULL)
		return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	a->auth_type = key.auth_type;
	memcpy(a->name, key.name, sizeof(a->name));
	TAILQ_INIT(&a->queue);
	RB_INSERT(broker_fair_app_tree, &b->fair_apps, a);
	return a;
}

static void
fair_app_maybe_free(struct broker_ctx *b, struct fair_app *a)
{
	if (a->inflight == 0 && TAILQ_EMPTY(&a->queue)) {
		RB_REMOVE(broker_fair_app_tree, &b->fair_apps, a);
		free(a);
	}
}

static void
fair_count(struct broker_ctx *b, struct fair_app *a, uint64_t conn_id, uint64_t req_id)
{
	struct fair_flight *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal("calloc");
	f->conn_id = conn_id;
	f->req_id = req_id;
	f->app = a;
	if (RB_INSERT(broker_fair_flight_tree, &b->fair_flights, f) != NULL) {
		free(f); /* already counted */
		return;
	}
	a->inflight++;
}

/* Round-robin: the first application with room, to the back of the round, or off it. */
struct broker_parked *
broker_fair_next(struct broker_ctx *b)
{
	struct fair_app *a;
	struct broker_parked *r;

	TAILQ_FOREACH(a, &b->fair_ready, ready) {
		if (!fair_has_room(b, a))
			continue;
		r = TAILQ_FIRST(&a->queue);
		TAILQ_REMOVE(&a->queue, r, next);
		TAILQ_REMOVE(&b->fair_ready, a, ready);
		if (!TAILQ_EMPTY(&a->queue))
			TAILQ_INSERT_TAIL(&b->fair_ready, a, ready);
		fair_count(b, a, r->conn_id, r->req_id);
		return r;
	}
	return NULL;
}

void
broker_fair_parked_free(struct broker_parked *r)
{
	wipe_free(r->in_copy, r->in_len);
	wipe_free(r, sizeof(*r));
}

void
broker_fair_resume(struct broker_ctx *b)
{
	if (!TAILQ_EMPTY(&b->fair_ready) && b->fair_drain != NULL)
		event_active(b->fair_drain, EV_TIMEOUT, 0);
}

/* A copy of the request for its wait: the operation with its inputs in one buffer. */
static struct broker_parked *
fair_park(uint64_t conn_id, uint64_t req_id, uint32_t provider,
    const struct broker_identity *id, const struct op_request *op)
{
	struct broker_parked *r;
	size_t i, off = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->conn_id = conn_id;
	r->req_id = req_id;
	r->provider = provider;
	r->id = *id;
	r->op = *op;
	for (i = 0; i < OP_MAX_INPUTS; i++)
		r->in_len += op->in[i].len;
	if ((r->in_copy = malloc(r->in_len ? r->in_len : 1)) == NULL)
		fatal("malloc");
	for (i = 0; i < OP_MAX_INPUTS; i++) {
		if (op->in[i].len == 0) {
			r->op.in[i].ptr = NULL; /* not into frontd's message, gone once we return */
			continue;
		}
		memcpy(r->in_copy + off, op->in[i].ptr, op->in[i].len);
		r->op.in[i].ptr = r->in_copy + off;
		off += op->in[i].len;
	}
	return r;
}

int
broker_fair_admit(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id, uint32_t provider,
    const struct broker_identity *id, const struct op_request *op)
{
	struct fair_app *a;
	struct broker_parked *r;

	a = fair_app_get(b, id);
	if (TAILQ_EMPTY(&a->queue) && fair_has_room(b, a)) {
		fair_count(b, a, conn_id, req_id);
		return 1;
	}
	r = fair_park(conn_id, req_id, provider, id, op);
	/* One line when an application starts to wait, not one per request it piles up. */
	if (TAILQ_EMPTY(&a->queue)) {
		TAILQ_INSERT_TAIL(&b->fair_ready, a, ready);
		log_info("connection %llu: the application's requests wait: %u in flight",
		    (unsigned long long)conn_id, a->inflight);
	}
	TAILQ_INSERT_TAIL(&a->queue, r, next);
	return 0;
}

void
broker_fair_done(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id)
{
	struct fair_flight key = { .conn_id = conn_id, .req_id = req_id }, *f;
	struct fair_app *a;

	if ((f = RB_FIND(broker_fair_flight_tree, &b->fair_flights, &key)) == NULL)
		return;
	RB_REMOVE(broker_fair_flight_tree, &b->fair_flights, f);
	a = f->app;
	free(f);
	a->inflight--;
	if (!TAILQ_EMPTY(&a->queue))
		broker_fair_resume(b);
	else
		fair_app_maybe_free(b, a);
}
