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
 * that application asks for. This file keeps the queues and the counts and
 * says which workers may take what; routing (broker_route.c) chooses among
 * them and sends.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "brokerd.h"
#include "log.h"
#include "proc.h"
#include "tree.h"

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
	TAILQ_HEAD(, broker_pending) items[2];
};

/* broker_wq_allowed's answer has a bit per worker. */
_Static_assert(CFG_WORKERS_MAX <= 64, "more workers than bits in a worker mask");

/* An operation this costly (microseconds) is heavy: an RSA-2048 signature in software. */
#define WQ_HEAVY 2000u
/* How long an application counts as using a provider after it last sent there. */
#define WQ_RECENT_MS 1000u

static int
wq_app_cmp(const struct broker_wq_app *a, const struct broker_wq_app *b)
{
	return broker_app_cmp(a->auth_type, a->name, b->auth_type, b->name);
}
TREE_GENERATE_STATIC(broker_wq_app_tree, broker_wq_app, entry, wq_app_cmp)

static int
wq_recent_is(const struct broker_wq_recent *r, const struct broker_wq_app *a)
{
	return r->set && broker_app_cmp(r->auth_type, r->name, a->auth_type, a->name) == 0;
}

/* a sent to its provider now. */
static void
wq_recent_note(const struct broker_wq_app *a)
{
	struct broker_wq_recent *r = a->provider->wq_recent;

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
	const struct broker_wq_recent *r = a->provider->wq_recent;
	const struct broker_wq_recent *other = wq_recent_is(&r[0], a) ? &r[1] : &r[0];

	return other->set && proc_now_ms() - other->at < WQ_RECENT_MS;
}

struct broker_wq_app *
broker_wq_app_get(struct broker_provider *p, uint32_t auth_type, const char *name)
{
	static struct broker_wq_app key; /* large (a name): not on the stack */
	struct broker_wq_app *a;

	key.auth_type = auth_type;
	strlcpy(key.name, name, sizeof(key.name));
	if ((a = RB_FIND(broker_wq_app_tree, &p->wq_apps, &key)) != NULL)
		return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	a->provider = p;
	a->auth_type = auth_type;
	memcpy(a->name, key.name, sizeof(a->name));
	TAILQ_INIT(&a->items[0]);
	TAILQ_INIT(&a->items[1]);
	RB_INSERT(broker_wq_app_tree, &p->wq_apps, a);
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
	RB_REMOVE(broker_wq_app_tree, &a->provider->wq_apps, a);
	free(a);
}

/*
 * Whether w may take a's next operation it: a's share of w has room for it
 * (one operation always fits an empty share); a long one only where no long
 * one is, whatever room there is (its turn comes from the long rule alone);
 * a heavy one, when confined, only where a already has heavy work.
 */
static int
wq_fits(const struct broker_wq_app *a, const struct broker_worker *w,
    const struct broker_pending *it, int confined)
{
	uint64_t mine = a->cost[w->index];

	if (!w->up || (it->long_op && w->long_inflight > 0) ||
	    (confined && a->heavy[w->index] == 0))
		return 0;
	return it->long_op || mine == 0 || mine + it->cost <= BROKER_COST_CREDIT;
}

/*
 * The workers that may take a's next operation it now (bit i: worker i).
 * With two workers or more, a long one goes only while another worker stays
 * free of them, and a heavy one, while others use the provider, only while
 * another worker stays free of a's heavy work.
 */
uint64_t
broker_wq_allowed(const struct broker_provider *p, const struct broker_wq_app *a,
    const struct broker_pending *it)
{
	uint32_t i, up = 0, long_busy = 0, mine_heavy = 0;
	uint64_t allowed = 0;
	int confined;

	for (i = 0; i < p->worker_count; i++) {
		if (!p->workers[i].up)
			continue;
		up++;
		long_busy += p->workers[i].long_inflight > 0;
		mine_heavy += a->heavy[i] > 0;
	}
	if (it->long_op && up >= 2 && long_busy + 1 >= up)
		return 0;
	confined = it->cost >= WQ_HEAVY && up >= 2 && mine_heavy + 1 >= up &&
	    wq_others_recent(a);
	for (i = 0; i < p->worker_count; i++)
		if (wq_fits(a, &p->workers[i], it, confined))
			allowed |= (uint64_t)1 << i;
	return allowed;
}

int
broker_wq_behind(const struct broker_wq_app *a, const struct broker_pending *it)
{
	return !TAILQ_EMPTY(&a->items[it->long_op]);
}

void
broker_wq_charge(struct broker_pending *it, const struct broker_worker *w)
{
	struct broker_wq_app *a = it->app;

	a->cost[w->index] += it->cost;
	a->heavy[w->index] += it->cost >= WQ_HEAVY;
	wq_recent_note(a);
}

void
broker_wq_park(struct broker_provider *p, struct broker_wq_app *a, struct broker_pending *it)
{
	if (!wq_waiting(a))
		TAILQ_INSERT_TAIL(&p->wq_round, a, round);
	TAILQ_INSERT_TAIL(&a->items[it->long_op], it, next);
}

struct broker_pending *
broker_wq_next(struct broker_provider *p, uint64_t *allowed)
{
	struct broker_wq_round *r = &p->wq_round;
	struct broker_wq_app *a;
	struct broker_pending *it;
	size_t q;

	TAILQ_FOREACH(a, r, round) {
		for (q = 0; q < 2; q++) {
			if ((it = TAILQ_FIRST(&a->items[q])) == NULL ||
			    (*allowed = broker_wq_allowed(p, a, it)) == 0)
				continue;
			TAILQ_REMOVE(&a->items[q], it, next);
			/* to the back of the round, or off it */
			TAILQ_REMOVE(r, a, round);
			if (wq_waiting(a))
				TAILQ_INSERT_TAIL(r, a, round);
			return it;
		}
	}
	return NULL;
}

struct broker_pending *
broker_wq_take(struct broker_provider *p)
{
	struct broker_wq_round *r = &p->wq_round;
	struct broker_wq_app *a;
	struct broker_pending *it;
	size_t q;

	while ((a = TAILQ_FIRST(r)) != NULL) {
		for (q = 0; q < 2; q++) {
			if ((it = TAILQ_FIRST(&a->items[q])) != NULL) {
				TAILQ_REMOVE(&a->items[q], it, next);
				it->app = NULL; /* a may go now: it was never charged */
				if (!wq_waiting(a)) {
					TAILQ_REMOVE(r, a, round);
					wq_app_maybe_free(a);
				}
				return it;
			}
		}
		TAILQ_REMOVE(r, a, round);
		wq_app_maybe_free(a);
	}
	return NULL;
}

void
broker_wq_done(struct broker_wq_app *a, const struct broker_worker *w, uint32_t cost)
{
	a->cost[w->index] -= cost;
	a->heavy[w->index] -= cost >= WQ_HEAVY;
	wq_app_maybe_free(a);
}
