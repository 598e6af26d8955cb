/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fair queueing at each provider's workers. A long operation (RSA key
 * generation, broker_fair_is_long) goes to a worker only if that worker holds
 * none and, with two workers or more, another stays free of them; the others
 * wait here, one queue per application, and go on round-robin between
 * applications as generations finish. A destroy goes to one worker and the
 * others are only told to forget the key, so nothing waits behind a
 * generation that another application started.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "broker_life.h"
#include "ipc.h"
#include "log.h"

struct wq_item {
	TAILQ_ENTRY(wq_item) next;
	struct broker_keyop *k;
};

/* An application with long operations waiting at one provider. */
struct wq_app {
	TAILQ_ENTRY(wq_app) round;
	uint32_t auth_type;
	char name[OP_NAME_MAX];
	TAILQ_HEAD(, wq_item) items;
};

TAILQ_HEAD(wq_round, wq_app);
static struct wq_round wq_rounds[WIRE_PROVIDER_COUNT];
static int wq_ready;

static struct wq_round *
wq_round_of(const struct broker_provider *p)
{
	size_t i;

	if (!wq_ready) {
		for (i = 0; i < WIRE_PROVIDER_COUNT; i++)
			TAILQ_INIT(&wq_rounds[i]);
		wq_ready = 1;
	}
	return &wq_rounds[p->id];
}

static struct wq_app *
wq_app_get(struct wq_round *r, uint32_t auth_type, const char *name)
{
	struct wq_app *a;

	TAILQ_FOREACH(a, r, round)
		if (a->auth_type == auth_type && strcmp(a->name, name) == 0)
			return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	a->auth_type = auth_type;
	strlcpy(a->name, name, sizeof(a->name));
	TAILQ_INIT(&a->items);
	TAILQ_INSERT_TAIL(r, a, round);
	return a;
}

/* The first waiting operation of the application at the head of the round; it goes last. */
static struct broker_keyop *
wq_pop(struct wq_round *r)
{
	struct wq_app *a = TAILQ_FIRST(r);
	struct wq_item *it = TAILQ_FIRST(&a->items);
	struct broker_keyop *k = it->k;

	TAILQ_REMOVE(&a->items, it, next);
	free(it);
	TAILQ_REMOVE(r, a, round);
	if (TAILQ_EMPTY(&a->items))
		free(a);
	else
		TAILQ_INSERT_TAIL(r, a, round);
	return k;
}

void
broker_wq_send(struct broker_provider *p, struct broker_keyop *k, uint32_t auth_type,
    const char *app, const struct op_request *op)
{
	struct wq_round *r = wq_round_of(p);
	struct broker_worker *w;
	struct wq_item *it;

	if (!broker_provider_up(p)) {
		broker_life_ack(k, ST_PSA_COMMUNICATION_FAILURE, NULL);
		return;
	}
	/* Behind those already waiting, so that the round decides who goes first. */
	if ((TAILQ_EMPTY(r) || !broker_fair_is_long(op)) &&
	    (w = broker_route_pick_worker_for(p, op)) != NULL) {
		broker_life_send(w, k);
		return;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL)
		fatal("calloc");
	it->k = k;
	TAILQ_INSERT_TAIL(&wq_app_get(r, auth_type, app)->items, it, next);
	broker_wq_kick(p);
}

void
broker_wq_kick(struct broker_provider *p)
{
	struct wq_round *r = wq_round_of(p);
	struct broker_worker *w;

	if (!broker_provider_up(p)) {
		/* Nobody to send them to: answered as requests at a worker that died. */
		while (!TAILQ_EMPTY(r))
			broker_life_ack(wq_pop(r), ST_PSA_COMMUNICATION_FAILURE, NULL);
		return;
	}
	while (!TAILQ_EMPTY(r) && (w = broker_fair_long_worker(p)) != NULL)
		broker_life_send(w, wq_pop(r));
}

void
broker_wq_forget_others(struct broker_worker *keep, const uint8_t *key_ref, size_t key_ref_len)
{
	struct broker_provider *p = keep->provider;
	uint32_t i;

	for (i = 0; i < p->worker_count; i++) {
		struct broker_worker *w = &p->workers[i];

		if (w == keep || !w->up)
			continue;
		/* Ahead of any later request to w: it never uses what it kept of the key. */
		if (ipc_send(w->chan, IPC_PROV_FORGET, 0, 0, -1, key_ref, key_ref_len) == -1) {
			log_warnx("%s worker %u: cannot send a key to forget; dropping it", p->name,
			    w->index);
			ipc_chan_drop(w->chan);
		}
	}
}
