/* SPDX-License-Identifier: Apache-2.0 */
/*
 * brokerd internals. A request flows one way: brokerd.c's handlers hand it to
 * dispatch (broker_dispatch.c: identity, fairness), which gives it to the key
 * life cycle (broker_life.c), the core operations (broker_core.c) or routing
 * (broker_route.c: the pending table, the choice of worker with the work
 * queues' share policy, broker_wq.c); every answer leaves through
 * broker_answer.c and the output layer (broker_out.c: frontd, the workers,
 * the parent) over the provider table (broker_prov.c). No file calls back up
 * into one above it; all state shared between files is in struct broker_ctx.
 */
#ifndef BROKERD_H
#define BROKERD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "ipc_msg.h"
#include "op.h"
#include "proc.h"
#include "setup.h"
#include "tree.h"
#include "wire.h"

#define BROKER_MAX_OPCODES IPC_MSG_MAX_OPCODES

struct ipc_chan;
struct broker_provider;
struct broker_wq_app;

/* broker_wq.c's state at one provider (see there). */
RB_HEAD(broker_wq_app_tree, broker_wq_app);
TAILQ_HEAD(broker_wq_round, broker_wq_app);
/* One of the two applications that sent to a provider last. */
struct broker_wq_recent {
	int set;
	uint32_t auth_type;
	char name[OP_NAME_MAX];
	uint64_t at; /* proc_now_ms() */
};

/* One process serving a provider. */
struct broker_worker {
	struct broker_provider *provider;
	uint32_t index;
	struct ipc_chan *chan;
	int up; /* channel open and PROV_INFO received */
	uint32_t inflight;
	uint32_t long_inflight; /* long operations among them (broker_cost_is_long) */
	uint64_t cost_inflight; /* their cost (broker_cost) */
};

struct broker_provider {
	int configured;
	uint32_t id;
	char name[CFG_NAME_MAX];
	struct broker_worker workers[CFG_WORKERS_MAX];
	uint32_t worker_count;
	int have_info;
	struct op_provider_info info;
	/* What it serves and what that costs, as its PROV_INFO said (broker_cost.c). */
	struct ipc_prov_op ops[BROKER_MAX_OPCODES];
	size_t op_count;
	struct ipc_rsa_cost rsa_cost[IPC_RSA_COST_ROWS];
	/* Its work queues: applications by name, those with work waiting, the last two. */
	struct broker_wq_app_tree wq_apps;
	struct broker_wq_round wq_round;
	struct broker_wq_recent wq_recent[2];
};

/* Who sent a request, as brokerd established it. */
struct broker_identity {
	int authenticated;
	uint32_t auth_type;
	char app_name[OP_NAME_MAX];
};

/* A client connection as the kernel describes it (broker_conn.c). */
struct broker_conn {
	RB_ENTRY(broker_conn) entry;
	uint64_t id;
	uid_t uid;
	pid_t pid;
	int has_peer; /* frontd sent its client socket: uid and pid are the kernel's (or refused) */
	int refused; /* not one of the service's clients: no identity, every request refused */
	uint64_t last_req_id; /* its answer closes the connection (IPC_F_LAST); 0: none yet */
	int has_volatile; /* it asked for a volatile key: its close destroys them */
};
RB_HEAD(broker_conn_tree, broker_conn);

/* The tables of broker_route.c, broker_life.c and broker_fair.c (see there). */
struct broker_pending;
struct broker_keyop;
struct broker_opstate;
struct broker_opstate_app;
struct fair_app;
struct fair_flight;
RB_HEAD(broker_pending_tree, broker_pending);
RB_HEAD(broker_keyop_tree, broker_keyop);
RB_HEAD(broker_opstate_tree, broker_opstate);
RB_HEAD(broker_opstate_app_tree, broker_opstate_app);
RB_HEAD(broker_fair_app_tree, fair_app);
RB_HEAD(broker_fair_flight_tree, fair_flight);
TAILQ_HEAD(broker_fair_ready, fair_app);

/* All of brokerd's shared state, passed to every file that uses it. */
struct broker_ctx {
	struct proc_child proc; /* event base, parent and frontd channels */
	struct setup_broker setup;
	struct broker_provider providers[WIRE_PROVIDER_COUNT];
	uint32_t provider_order[WIRE_PROVIDER_COUNT]; /* config order */
	size_t provider_count;
	struct broker_conn_tree conns;
	/* broker_route.c: requests at workers, by prov_req_id */
	struct broker_pending_tree pending;
	uint64_t pending_last_id;
	/* broker_life.c: keys being created or destroyed; reconciliations under way */
	struct broker_keyop_tree keyops;
	uint64_t keyop_last_seq;
	size_t startup_jobs;
	/*
	 * broker_life.c: creations whose key store write waits for the next group
	 * commit (the end of this turn of the event loop), and that commit's event.
	 */
	struct broker_keyop *group_first;
	struct broker_keyop **group_last;
	struct event *group_commit;
	/*
	 * broker_fair.c: applications with requests in flight or parked, the
	 * requests counted until answered, the applications with parked ones in
	 * turn; broker_dispatch.c's event sends parked requests on.
	 */
	struct broker_fair_app_tree fair_apps;
	struct broker_fair_flight_tree fair_flights;
	struct broker_fair_ready fair_ready;
	struct event *fair_drain;
	/*
	 * A connection that made volatile keys is gone (a close, or the answer to
	 * its last request): the key life cycle destroys them. Set by dispatch's
	 * init, so that broker_conn.c need not call up into broker_life.c.
	 */
	void (*volatile_gone)(struct broker_ctx *b, uint64_t conn_id);
	/* broker_opstate.c: live multipart operations, and how many each application holds */
	struct broker_opstate_tree opstates;
	struct broker_opstate_app_tree opstate_apps;
	uint32_t opstate_last_handle;
	uint32_t workers_linked;
	int setup_done;
	int ready_sent;
	/* broker_front.c: what frontd was last told it may answer alone */
	int front_told;
	uint32_t front_random_auths;
};

/*
 * What a worker's answer to a request goes to, if not the client: a key
 * operation of broker_life.c (res NULL if no worker will answer).
 */
typedef void (*broker_done_cb)(void *arg, uint32_t status, const struct op_result *res);

/* A request for a provider worker: waiting in its work queue, then at a worker. */
struct broker_pending {
	RB_ENTRY(broker_pending) entry; /* broker_route.c's table, once sent */
	TAILQ_ENTRY(broker_pending) next; /* its work queue, while it waits */
	uint64_t prov_req_id;
	struct broker_worker *worker;
	uint64_t conn_id; /* without done: the client is answered */
	uint64_t req_id;
	broker_done_cb done;
	void *done_arg;
	struct broker_wq_app *app; /* charged its cost at worker */
	uint32_t cost;
	int long_op; /* counted in the worker's long_inflight */
	uint8_t *msg; /* IPC_PROV_REQUEST payload while it waits: may carry key material */
	size_t msg_len;
	/* A multipart operation's opcode, connection and the handle it makes or ends (0: none). */
	uint32_t mp_opcode;
	uint64_t mp_conn;
	uint32_t mp_handle;
};

/*
 * broker_out.c, the output layer: it sends and calls nothing above it (the
 * unit tests replace it with tests/broker_out_stub.c).
 * broker_out_reply encodes an answer for frontd; -1 if it is over the IPC cap.
 */
int broker_out_reply(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    const struct op_result *res);
/* An IPC_PROV_REQUEST to one worker; -1 if over the IPC cap (nothing sent). */
int broker_out_worker_send(struct broker_worker *w, uint64_t prov_req_id, const uint8_t *msg,
    size_t msg_len);
/* Tells a worker to drop what it kept of a key; -1 if it could not be sent. */
int broker_out_forget(struct broker_worker *w, const uint8_t *key_ref, size_t key_ref_len);
/* Tells a worker to drop a closed connection's multipart operations; -1 if not sent. */
int broker_out_drop(struct broker_worker *w, uint64_t conn_id);
/*
 * A worker broke the protocol (or cannot be told something): its channel is
 * dropped, as if it had died; the event loop then reports it lost.
 */
void broker_out_worker_fault(struct broker_worker *w, const char *what);
/* IPC_FRONT_LOCAL to frontd. */
void broker_out_front_local(struct broker_ctx *b, uint32_t random_auths);
/* A control message to the parent. */
void broker_out_parent(struct broker_ctx *b, uint32_t type, const uint8_t *data, size_t len);

/* broker_prov.c: the provider table. */
int broker_prov_up(const struct broker_provider *p);
/* Provider id as the parent named it, configured now if it was not. */
struct broker_provider *broker_prov_configure(struct broker_ctx *b, uint32_t id,
    const char *name);
/* A provider left the configuration: it is forgotten (its workers are down already). */
void broker_prov_forget(struct broker_ctx *b, struct broker_provider *p);
/* Whether every worker of every configured provider is up. */
int broker_prov_all_up(const struct broker_ctx *b);

/*
 * broker_conn.c: client connections. The connection of a request, made at its
 * first; fd (or -1) is the client socket, which frontd sends with the first
 * request that needs to know who is connected: who that is is read from it once.
 */
struct broker_conn *broker_conn_get(struct broker_ctx *b, uint64_t conn_id, int fd);
struct broker_conn *broker_conn_find(struct broker_ctx *b, uint64_t conn_id);
void broker_conn_closed(struct broker_ctx *b, uint64_t conn_id);
/* The answer to a connection's last request closes it in frontd: it is forgotten here too. */
void broker_conn_answered(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id);

/* broker_answer.c: every answer to a client leaves through here. */
void broker_answer(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    const struct op_result *res);
void broker_answer_status(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    uint32_t status);

/*
 * After the key store is open: it and every provider state below state_dir
 * (as the parent read them into the setup) must carry one deployment
 * identity (written on the first start), or the start stops naming both
 * paths (broker_deploy.c). broker_deploy_id is the identity, sent with READY.
 */
void broker_deploy_check(const struct setup_broker *s);
const char *broker_deploy_id(void);

/* broker_auth.c: fills id from the auth field and the connection's kernel identity. */
uint32_t broker_authenticate(const struct broker_ctx *b, uint32_t auth_type,
    const uint8_t *auth, size_t auth_len, uid_t peer_uid, int have_peer,
    struct broker_identity *id);
int broker_is_admin(const struct broker_ctx *b, const struct broker_identity *id);
/* The configured authenticator of a wire auth type, or NULL. */
const struct setup_auth *broker_auth_find(const struct broker_ctx *b, uint32_t auth_type);
/* Applies a setup's authenticators (start-up and reload). */
void broker_auth_apply(struct broker_ctx *b, const struct setup_broker *next);
/*
 * broker_front.c: tells frontd what it may answer alone if that changed; called
 * after whatever changes the providers, their workers or the authenticators.
 */
void broker_front_update(struct broker_ctx *b);
/* broker_quota.c: a new key's charge, and ST_SUCCESS or why it does not fit. */
uint64_t broker_quota_bytes(const struct op_request *op);
uint32_t broker_quota_check(const struct broker_ctx *b, const struct broker_identity *id,
    const struct op_request *op);

/* A request fairness parked: decoded, with the identity it was admitted with. */
struct broker_parked {
	TAILQ_ENTRY(broker_parked) next;
	uint64_t conn_id;
	uint64_t req_id;
	uint32_t provider;
	struct broker_identity id;
	struct op_request op; /* its inputs point into in_copy */
	uint8_t *in_copy;
	size_t in_len;
};

/* broker_fair.c: the order of applications (authenticator, then name) in brokerd's trees. */
int broker_app_cmp(uint32_t auth_a, const char *app_a, uint32_t auth_b, const char *app_b);
/*
 * 1 if the request may go to its provider now (it counts against its
 * application until answered), 0 if it was parked (op copied): it comes back
 * from broker_fair_next once the application has room.
 */
int broker_fair_admit(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    uint32_t provider, const struct broker_identity *id, const struct op_request *op);
/* The next parked request, round-robin over applications with room (now counted); or NULL. */
struct broker_parked *broker_fair_next(struct broker_ctx *b);
void broker_fair_parked_free(struct broker_parked *r);
/* Every answer: the request no longer counts (b->fair_drain runs if others wait). */
void broker_fair_done(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id);
/* After a reload: a raised limit lets parked requests go on. */
void broker_fair_resume(struct broker_ctx *b);

/*
 * broker_cost.c: microseconds of a worker's time op costs at p (its key's
 * attributes in op->attrs), at least 1.
 */
#define BROKER_COST_MAX 100000000u   /* 100 s */
#define BROKER_COST_LONG 100000u     /* 100 ms: long, kept off one worker */
#define BROKER_COST_CREDIT 10000u    /* 10 ms: an application's work at one worker */
uint32_t broker_cost(const struct broker_provider *p, const struct op_request *op);
/* The provider's row for opcode, if it serves it, else NULL. */
const struct ipc_prov_op *broker_cost_row(const struct broker_provider *p, uint32_t opcode);
/* RSA key generation and what costs BROKER_COST_LONG or more. */
int broker_cost_is_long(const struct op_request *op, uint32_t cost);

/*
 * broker_wq.c: the work queues' share policy (see there); it only keeps
 * queues and counts: routing chooses the worker and sends.
 */
struct broker_wq_app *broker_wq_app_get(struct broker_provider *p, uint32_t auth_type,
    const char *app);
/* The workers (bit i: worker i) that may take it, a's next operation of its kind, now. */
uint64_t broker_wq_allowed(const struct broker_provider *p, const struct broker_wq_app *a,
    const struct broker_pending *it);
/* Whether a has operations of it's kind waiting (it must wait behind them). */
int broker_wq_behind(const struct broker_wq_app *a, const struct broker_pending *it);
void broker_wq_park(struct broker_provider *p, struct broker_wq_app *a,
    struct broker_pending *it);
/* The next waiting operation that may go, round-robin, and where; or NULL. */
struct broker_pending *broker_wq_next(struct broker_provider *p, uint64_t *allowed);
/* Any waiting operation, taken off its queue (nobody will send it); or NULL. */
struct broker_pending *broker_wq_take(struct broker_provider *p);
/* it goes to w now: charged to its application there. */
void broker_wq_charge(struct broker_pending *it, const struct broker_worker *w);
/* An operation charged to a at w was answered or failed. */
void broker_wq_done(struct broker_wq_app *a, const struct broker_worker *w, uint32_t cost);

/* broker_jwt.c: JwtSvid. The bundle is our file format (jwt.h); len 0 clears it. */
void broker_jwt_set_bundle(const uint8_t *jwks_file, size_t len);
int broker_jwt_authenticate(const uint8_t *tok, size_t len, char *app);
struct jwt_bundle;
void broker_jwt_use_bundle(const struct jwt_bundle *b);
const struct jwt_bundle *broker_jwt_bundle_in_use(void);

/* broker_spiffe.c: JwtSvid bundles from the Workload API (a connection from the parent). */
void broker_spiffe_apply(struct broker_ctx *b, int enabled);
void broker_spiffe_socket(int fd); /* IPC_SPIFFE_SOCKET; -1: the connect failed */

/*
 * broker_route.c: requests to provider workers and their answers. An
 * operation on p, charged to its application (auth_type, app), goes to a
 * worker now or waits its turn; its answer goes to done (if not NULL), else
 * to the client (conn_id, req_id). For a destroy, every live worker is told
 * at once to forget the key.
 */
void broker_route_submit(struct broker_ctx *b, struct broker_provider *p, uint32_t auth_type,
    const char *app, uint64_t conn_id, uint64_t req_id, broker_done_cb done, void *done_arg,
    const uint8_t *key_ref, size_t key_ref_len, const struct op_request *op);
/* Whether the provider can take the operation now. */
uint32_t broker_route_servable(const struct broker_provider *p, uint32_t opcode);
void broker_route_response(struct broker_ctx *b, struct broker_worker *w, uint64_t prov_req_id,
    const uint8_t *data, size_t len);
/* An answer came or a worker came or went: waiting operations go on (or fail, if none is up). */
void broker_route_kick(struct broker_ctx *b, struct broker_provider *p);
/* Answers everything a dead worker owed. */
void broker_route_worker_down(struct broker_ctx *b, struct broker_worker *w);

/*
 * broker_opstate.c: multipart operations' handles. An application holds at
 * most BROKER_OPS_PER_APP at once; one more setup answers
 * PsaErrorInsufficientMemory.
 */
#define BROKER_OPS_PER_APP 32
/*
 * A multipart opcode's request on conn_id: ST_SUCCESS when it goes on (op's
 * connection set; a setup's or clone's new handle in op->handle2), else the
 * status to answer; *answered: ST_SUCCESS answered without going on (an abort
 * of an operation already gone).
 */
uint32_t broker_opstate_admit(struct broker_ctx *b, uint64_t conn_id,
    const struct broker_identity *id, struct op_request *op, int *answered);
/* The worker holding op's operation (a step, an end, a clone), or NULL: any may take it. */
struct broker_worker *broker_opstate_pin(struct broker_ctx *b, const struct op_request *op);
/* A setup went to w: its operation lives there. */
void broker_opstate_bind(struct broker_ctx *b, uint64_t conn_id, uint32_t handle,
    struct broker_worker *w);
/* The answer to a multipart opcode (w: the worker that gave it, or NULL). */
void broker_opstate_settle(struct broker_ctx *b, uint32_t opcode, uint64_t conn_id,
    uint32_t handle, uint32_t status, struct broker_worker *w);
/* A connection closed: its operations go, here and at their workers. */
void broker_opstate_conn_closed(struct broker_ctx *b, uint64_t conn_id);
/* A worker died: its operations are lost (their steps answer PsaErrorBadState). */
void broker_opstate_worker_down(struct broker_ctx *b, struct broker_worker *w);

/*
 * broker_core.c: answers a provider-0 operation into res (its list in
 * *list_buf); wire_flags are the request header's (WIRE_FLAG_EXTENSIONS).
 */
void broker_core_handle(const struct broker_ctx *b, const struct op_request *op,
    uint16_t wire_flags, const struct broker_identity *id, struct op_result *res,
    uint8_t **list_buf);

/* broker_dispatch.c: a request from frontd, from its bytes to where it goes. */
/* peer_uid: (uid_t)-1 if the connection's client socket has not come (no request needed it). */
void broker_dispatch_request(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    uid_t peer_uid, const uint8_t *data, size_t len);
/*
 * Readies b (zeroed, b->proc.base set): empty tables, and b->fair_drain,
 * which sends parked requests on.
 */
void broker_dispatch_init(struct broker_ctx *b);

#endif
