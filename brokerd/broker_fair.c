/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fair sharing of the providers: each application (auth type, name) has at
 * most [privsep] max_requests_per_application requests at the providers; the
 * rest wait in its own queue, in order, and go on as its earlier ones are
 * answered. Queued applications are served round-robin.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "broker_life.h"
#include "brokerd.h"
#include "log.h"
#include "tree.h"
#include "wipe.h"

struct fair_req {
	TAILQ_ENTRY(fair_req) next;
	uint64_t conn_id;
	uint64_t req_id;
	uid_t peer_uid;
	uint8_t *data; /* the request as frontd sent it (may carry key material) */
	size_t len;
};

struct fair_app {
	RB_ENTRY(fair_app) entry;
	uint32_t auth_type;
	char name[OP_NAME_MAX];
	uint32_t inflight;
	TAILQ_HEAD(, fair_req) queue;
	TAILQ_ENTRY(fair_app) ready; /* on fair_ready while its queue is not empty */
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
RB_HEAD(fair_app_tree, fair_app);
TREE_GENERATE_STATIC(fair_app_tree, fair_app, entry, fair_app_cmp)

static int
fair_flight_cmp(const struct fair_flight *a, const struct fair_flight *b)
{
	if (a->conn_id != b->conn_id)
		return a->conn_id < b->conn_id ? -1 : 1;
	return a->req_id < b->req_id ? -1 : a->req_id > b->req_id;
}
RB_HEAD(fair_flight_tree, fair_flight);
TREE_GENERATE_STATIC(fair_flight_tree, fair_flight, entry, fair_flight_cmp)

static struct fair_app_tree fair_apps = RB_INITIALIZER(&fair_apps);
static struct fair_flight_tree fair_flights = RB_INITIALIZER(&fair_flights);
static TAILQ_HEAD(, fair_app) fair_ready = TAILQ_HEAD_INITIALIZER(fair_ready);
static struct event *fair_drain_ev;

static int
fair_has_room(const struct fair_app *a)
{
	uint32_t max = broker.setup.max_requests_per_application;

	return max == 0 || a->inflight < max;
}

static struct fair_app *
fair_app_get(const struct broker_identity *id)
{
	struct fair_app key, *a;

	memset(&key, 0, sizeof(key));
	key.auth_type = id->auth_type;
	strlcpy(key.name, id->app_name, sizeof(key.name));
	if ((a = RB_FIND(fair_app_tree, &fair_apps, &key)) != NULL)
		return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	a->auth_type = key.auth_type;
	memcpy(a->name, key.name, sizeof(a->name));
	TAILQ_INIT(&a->queue);
	RB_INSERT(fair_app_tree, &fair_apps, a);
	return a;
}

static void
fair_app_maybe_free(struct fair_app *a)
{
	if (a->inflight == 0 && TAILQ_EMPTY(&a->queue)) {
		RB_REMOVE(fair_app_tree, &fair_apps, a);
		free(a);
	}
}

static void
fair_count(struct fair_app *a, uint64_t conn_id, uint64_t req_id)
{
	struct fair_flight *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		fatal("calloc");
	f->conn_id = conn_id;
	f->req_id = req_id;
	f->app = a;
	if (RB_INSERT(fair_flight_tree, &fair_flights, f) != NULL) {
		free(f); /* already counted: a queued request going on */
		return;
	}
	a->inflight++;
}

/* Round-robin: one request of each queued application with room, until none has. */
static void
fair_drain(evutil_socket_t fd, short what, void *arg)
{
	struct fair_app *a;
	struct fair_req *r;
	int moved = 1;

	(void)fd, (void)what, (void)arg;
	while (moved) {
		moved = 0;
		TAILQ_FOREACH(a, &fair_ready, ready) {
			if (!fair_has_room(a))
				continue;
			r = TAILQ_FIRST(&a->queue);
			TAILQ_REMOVE(&a->queue, r, next);
			/* to the back of the round, or off it */
			TAILQ_REMOVE(&fair_ready, a, ready);
			if (!TAILQ_EMPTY(&a->queue))
				TAILQ_INSERT_TAIL(&fair_ready, a, ready);
			fair_count(a, r->conn_id, r->req_id);
			broker_route_request(r->conn_id, r->req_id, r->peer_uid, r->data, r->len);
			wipe_free(r->data, r->len);
			free(r);
			moved = 1;
			/* the request may have been answered at once: the ready list may have changed */
			break;
		}
	}
}

static void
fair_schedule(void)
{
	if (fair_drain_ev == NULL &&
	    (fair_drain_ev = event_new(broker_event_base(), -1, 0, fair_drain, NULL)) == NULL)
		fatalx("event_new");
	event_active(fair_drain_ev, EV_TIMEOUT, 0);
}

void
broker_fair_resume(void)
{
	if (!TAILQ_EMPTY(&fair_ready))
		fair_schedule();
}

int
broker_fair_admit(uint64_t conn_id, uint64_t req_id, uid_t peer_uid,
    const struct broker_identity *id, const uint8_t *data, size_t len)
{
	struct fair_flight key = { .conn_id = conn_id, .req_id = req_id };
	struct fair_app *a;
	struct fair_req *r;

	if (RB_FIND(fair_flight_tree, &fair_flights, &key) != NULL)
		return 1; /* counted when it left its queue */
	a = fair_app_get(id);
	if (TAILQ_EMPTY(&a->queue) && fair_has_room(a)) {
		fair_count(a, conn_id, req_id);
		return 1;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->data = malloc(len ? len : 1)) == NULL)
		fatal("malloc");
	memcpy(r->data, data, len);
	r->len = len;
	r->conn_id = conn_id;
	r->req_id = req_id;
	r->peer_uid = peer_uid;
	/* One line when an application starts to wait, not one per request it piles up. */
	if (TAILQ_EMPTY(&a->queue)) {
		TAILQ_INSERT_TAIL(&fair_ready, a, ready);
		log_info("connection %llu: the application's requests wait: %u in flight",
		    (unsigned long long)conn_id, a->inflight);
	}
	TAILQ_INSERT_TAIL(&a->queue, r, next);
	return 0;
}

void
broker_fair_done(uint64_t conn_id, uint64_t req_id)
{
	struct fair_flight key = { .conn_id = conn_id, .req_id = req_id }, *f;
	struct fair_app *a;

	if ((f = RB_FIND(fair_flight_tree, &fair_flights, &key)) == NULL)
		return;
	RB_REMOVE(fair_flight_tree, &fair_flights, f);
	a = f->app;
	free(f);
	a->inflight--;
	if (!TAILQ_EMPTY(&a->queue))
		fair_schedule();
	else
		fair_app_maybe_free(a);
}
