/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fair share of each provider's workers. Every operation's cost is known
 * before it is sent (broker_cost.c: microseconds of a worker's time). At each
 * worker an application may have BROKER_COST_CREDIT of work in flight, or a
 * single operation of any cost when it has nothing there; long operations
 * (RSA key generation, anything costing BROKER_COST_LONG or more) go one to a
 * worker, whatever else is there, and with two workers or more leave one
 * worker free of them.
 * While another application uses the provider (it sent something there
 * within the last second), an application's heavy operations (WQ_HEAVY or
 * more, an RSA private-key operation) also leave one worker free of its own
 * heavy work, so another's short operation need not wait behind one of them
 * when a machine is so loaded that each takes many times its cost. What
 * cannot go yet waits here, one queue per application and provider, in
 * order; applications with waiting work are served round-robin as answers
 * come back. So a short operation waits at a worker behind at most one
 * credit (or one operation) of each other application's work, however much
 * that application asks for.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "broker_life.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "proc.h"
#include "tree.h"
#include "wipe.h"

struct wq_item {
	TAILQ_ENTRY(wq_item) next;
	struct broker_keyop *keyop; /* or NULL: answered to (conn_id, req_id) */
	uint64_t conn_id;
	uint64_t req_id;
	uint32_t cost;
	int long_op;
	int heavy;
	uint8_t *msg; /* IPC_PROV_REQUEST payload: may carry key material */
	size_t msg_len;
};

/* An application at one provider: its work in flight at each worker, and what waits. */
struct broker_wq_app {
	RB_ENTRY(broker_wq_app) entry;
	TAILQ_ENTRY(broker_wq_app) round; /* on its provider's round while items wait */
	struct broker_provider *provider;
	uint32_t auth_type;
	char name[OP_NAME_MAX];
	uint64_t cost[CFG_WORKERS_MAX];
	uint32_t heavy[CFG_WORKERS_MAX]; /* heavy operations among them */
	/*
	 * Waiting, in order: [0] the others, [1] long operations, apart so that
	 * neither holds up the other (a long one waits for a worker, not for room).
	 */
	TAILQ_HEAD(, wq_item) items[2];
};

/* An operation this costly (microseconds) is heavy: an RSA-2048 signature in software. */
#define WQ_HEAVY 2000u
/* How long an application counts as using a provider after it last sent there. */
#define WQ_RECENT_MS 1000u

/* The two applications that sent to a provider last, the latest first. */
struct wq_recent {
	int set;
	uint32_t auth_type;
	char name[OP_NAME_MAX];
	uint64_t at; /* proc_now_ms() */
};

static int
wq_app_cmp(const struct broker_wq_app *a, const struct broker_wq_app *b)
{
	return broker_app_cmp(a->auth_type, a->name, b->auth_type, b->name);
}
RB_HEAD(wq_app_tree, broker_wq_app);
TREE_GENERATE_STATIC(wq_app_tree, broker_wq_app, entry, wq_app_cmp)

TAILQ_HEAD(wq_round, broker_wq_app);

static struct wq_app_tree wq_apps[WIRE_PROVIDER_COUNT];
static struct wq_round wq_rounds[WIRE_PROVIDER_COUNT];
static struct wq_recent wq_recent[WIRE_PROVIDER_COUNT][2];
static int wq_ready;

static int
wq_recent_is(const struct wq_recent *r, const struct broker_wq_app *a)
{
	return r->set && broker_app_cmp(r->auth_type, r->name, a->auth_type, a->name) == 0;
}

/* a sent to its provider now. */
static void
wq_recent_note(const struct broker_wq_app *a)
{
	struct wq_recent *r = wq_recent[a->provider->id];

	if (!wq_recent_is(&r[0], a)) {
		r[1] = r[0];
		r[0].set = 1;
		r[0].auth_type = a->auth_type;
		strlcpy(r[0].name, a->name, sizeof(r[0].name));
	}
	r[0].at = proc_now_ms();
}

/* Whether an application other than a sent to a's provider within WQ_RECENT_MS. */
static int
wq_others_recent(const struct broker_wq_app *a)
{
	const struct wq_recent *r = wq_recent[a->provider->id];
	const struct wq_recent *other = wq_recent_is(&r[0], a) ? &r[1] : &r[0];

	return other->set && proc_now_ms() - other->at < WQ_RECENT_MS;
}

static struct wq_round *
wq_round_of(const struct broker_provider *p)
{
	size_t i;

	if (!wq_ready) {
		for (i = 0; i < WIRE_PROVIDER_COUNT; i++) {
			RB_INIT(&wq_apps[i]);
			TAILQ_INIT(&wq_rounds[i]);
		}
		wq_ready = 1;
	}
	return &wq_rounds[p->id];
}

static struct broker_wq_app *
wq_app_get(struct broker_provider *p, uint32_t auth_type, const char *name)
{
	static struct broker_wq_app key; /* large (a name): not on the stack */
	struct broker_wq_app *a;

	(void)wq_round_of(p);
	key.auth_type = auth_type;
	strlcpy(key.name, name, sizeof(key.name));
	if ((a = RB_FIND(wq_app_tree, &wq_apps[p->id], &key)) != NULL)
		return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	a->provider = p;
	a->auth_type = auth_type;
	memcpy(a->name, key.name, sizeof(a->name));
	TAILQ_INIT(&a->items[0]);
	TAILQ_INIT(&a->items[1]);
	RB_INSERT(wq_app_tree, &wq_apps[p->id], a);
	return a;
}

static int
wq_waiting(const struct broker_wq_app *a)
{
	return !TAILQ_EMPTY(&a->items[0]) || !TAILQ_EMPTY(&a->items[1]);
}

static void
wq_app_maybe_free(struct broker_wq_app *a)
{
	size_t i;

	if (wq_waiting(a))
		return;
	for (i = 0; i < CFG_WORKERS_MAX; i++)
		if (a->cost[i] != 0 || a->heavy[i] != 0)
			return;
	RB_REMOVE(wq_app_tree, &wq_apps[a->provider->id], a);
	free(a);
}

static void
wq_item_free(struct wq_item *it)
{
	wipe_free(it->msg, it->msg_len);
	free(it);
}

/*
 * Whether w may take a's next operation it: a's share of w has room for it
 * (one operation always fits an empty share); a long one only where no long
 * one is, whatever room there is (its turn comes from the long rule alone);
 * a heavy one, when confined, only where a already has heavy work.
 */
static int
wq_fits(const struct broker_wq_app *a, const struct broker_worker *w, const struct wq_item *it,
    int confined)
{
	uint64_t mine = a->cost[w->index];

	if (!w->up || (it->long_op && w->long_inflight > 0) ||
	    (confined && a->heavy[w->index] == 0))
		return 0;
	return it->long_op || mine == 0 || mine + it->cost <= BROKER_COST_CREDIT;
}

/*
 * The worker for a's next operation it, or NULL if none may take it now: the
 * least loaded that fits, free of long operations if one is. With two
 * workers or more, a long one goes only while another worker stays free of
 * them, and a heavy one, while others use the provider, only while another
 * worker stays free of a's heavy work.
 */
static struct broker_worker *
wq_pick(struct broker_provider *p, const struct broker_wq_app *a, const struct wq_item *it)
{
	struct broker_worker *best = NULL;
	uint32_t i, up = 0, long_busy = 0, mine_heavy = 0;
	int confined;

	for (i = 0; i < p->worker_count; i++) {
		if (!p->workers[i].up)
			continue;
		up++;
		long_busy += p->workers[i].long_inflight > 0;
		mine_heavy += a->heavy[i] > 0;
	}
	if (it->long_op && up >= 2 && long_busy + 1 >= up)
		return NULL;
	confined = it->heavy && up >= 2 && mine_heavy + 1 >= up && wq_others_recent(a);
	for (i = 0; i < p->worker_count; i++) {
		struct broker_worker *w = &p->workers[i];

		if (!wq_fits(a, w, it, confined))
			continue;
		if (best == NULL || (best->long_inflight > 0 && w->long_inflight == 0) ||
		    ((best->long_inflight > 0) == (w->long_inflight > 0) &&
		    w->cost_inflight < best->cost_inflight))
			best = w;
	}
	return best;
}

static void
wq_dispatch(struct broker_wq_app *a, struct broker_worker *w, struct wq_item *it)
{
	a->cost[w->index] += it->cost;
	a->heavy[w->index] += it->heavy;
	wq_recent_note(a);
	broker_route_send(w, a, it->cost, it->long_op, it->conn_id, it->req_id, it->keyop,
	    it->msg, it->msg_len);
	wq_item_free(it);
}

/* Answers a waiting operation that no worker will take. */
static void
wq_fail(struct wq_item *it)
{
	if (it->keyop != NULL)
		broker_life_ack(it->keyop, ST_PSA_COMMUNICATION_FAILURE, NULL);
	else
		broker_reply_status(it->conn_id, it->req_id, ST_PSA_COMMUNICATION_FAILURE);
	wq_item_free(it);
}

/* Every live worker of p drops what it kept of a key being destroyed. */
static void
wq_forget(struct broker_provider *p, const uint8_t *key_ref, size_t key_ref_len)
{
	uint32_t i;

	for (i = 0; i < p->worker_count; i++) {
		struct broker_worker *w = &p->workers[i];

		if (!w->up)
			continue;
		/* Ahead of any later request to w: it never uses what it kept of the key. */
		if (ipc_send(w->chan, IPC_PROV_FORGET, 0, 0, -1, key_ref, key_ref_len) == -1) {
			log_warnx("%s worker %u: cannot send a key to forget; dropping it", p->name,
			    w->index);
			ipc_chan_drop(w->chan);
		}
	}
}

void
broker_wq_submit(struct broker_provider *p, uint32_t auth_type, const char *app,
    uint64_t conn_id, uint64_t req_id, struct broker_keyop *keyop, const uint8_t *key_ref,
    size_t key_ref_len, const struct op_request *op)
{
	struct ipc_prov_request m = { .key_ref = key_ref, .key_ref_len = key_ref_len, .op = *op };
	struct broker_wq_app *a;
	struct broker_worker *w;
	struct wq_item *it;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		fatal("calloc");
	it->keyop = keyop;
	it->conn_id = conn_id;
	it->req_id = req_id;
	it->cost = broker_cost(p, op);
	it->long_op = broker_cost_is_long(op, it->cost);
	it->heavy = it->cost >= WQ_HEAVY;
	if (!broker_provider_up(p)) {
		wq_fail(it);
		return;
	}
	it->msg = ipc_prov_request_encode_alloc(&m, &it->msg_len);
	/* A destroy: no worker uses what it kept of the key from now on (its own copy goes too). */
	if (op->opcode == OP_PSA_DESTROY_KEY)
		wq_forget(p, key_ref, key_ref_len);
	a = wq_app_get(p, auth_type, app);
	/* Behind the application's own waiting ones of its kind, in order. */
	if (TAILQ_EMPTY(&a->items[it->long_op]) && (w = wq_pick(p, a, it)) != NULL) {
		wq_dispatch(a, w, it);
		return;
	}
	if (!wq_waiting(a))
		TAILQ_INSERT_TAIL(wq_round_of(p), a, round);
	TAILQ_INSERT_TAIL(&a->items[it->long_op], it, next);
}

/* One operation of the first application on the round that may send one; 0 if none may. */
static int
wq_serve_one(struct broker_provider *p, struct wq_round *r)
{
	struct broker_wq_app *a;
	struct broker_worker *w;
	struct wq_item *it;

	size_t q;

	TAILQ_FOREACH(a, r, round) {
		for (q = 0; q < 2; q++) {
			if ((it = TAILQ_FIRST(&a->items[q])) == NULL ||
			    (w = wq_pick(p, a, it)) == NULL)
				continue;
			TAILQ_REMOVE(&a->items[q], it, next);
			/* to the back of the round, or off it */
			TAILQ_REMOVE(r, a, round);
			if (wq_waiting(a))
				TAILQ_INSERT_TAIL(r, a, round);
			wq_dispatch(a, w, it);
			return 1;
		}
	}
	return 0;
}

void
broker_wq_kick(struct broker_provider *p)
{
	struct wq_round *r = wq_round_of(p);
	struct broker_wq_app *a;
	struct wq_item *it;
	size_t q;

	if (!broker_provider_up(p)) {
		/* Nobody to send them to: answered as requests at a worker that died. */
		while ((a = TAILQ_FIRST(r)) != NULL) {
			TAILQ_REMOVE(r, a, round);
			for (q = 0; q < 2; q++)
				while ((it = TAILQ_FIRST(&a->items[q])) != NULL) {
					TAILQ_REMOVE(&a->items[q], it, next);
					wq_fail(it);
				}
			wq_app_maybe_free(a);
		}
		return;
	}
	while (wq_serve_one(p, r))
		;
}

void
broker_wq_done(struct broker_wq_app *a, const struct broker_worker *w, uint32_t cost)
{
	a->cost[w->index] -= cost;
	a->heavy[w->index] -= cost >= WQ_HEAVY;
	wq_app_maybe_free(a);
}
