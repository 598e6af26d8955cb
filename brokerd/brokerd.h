/* SPDX-License-Identifier: Apache-2.0 */
/* brokerd internals: connections, providers, authentication, routing, core operations. */
#ifndef BROKERD_H
#define BROKERD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc_msg.h"
#include "op.h"
#include "setup.h"
#include "wire.h"

#define BROKER_MAX_OPCODES IPC_MSG_MAX_OPCODES

struct ipc_chan;
struct broker_provider;

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
};

/* Who sent a request, as brokerd established it. */
struct broker_identity {
	int authenticated;
	uint32_t auth_type;
	char app_name[OP_NAME_MAX];
};

struct broker_ctx {
	struct setup_broker setup;
	struct broker_provider providers[WIRE_PROVIDER_COUNT];
	uint32_t provider_order[WIRE_PROVIDER_COUNT]; /* config order */
	size_t provider_count;
};

extern struct broker_ctx broker;

/* brokerd.c */
void broker_reply(uint64_t conn_id, uint64_t req_id, const struct op_result *res);
void broker_reply_status(uint64_t conn_id, uint64_t req_id, uint32_t status);
/*
 * A worker broke the protocol: its channel is dropped, as if it had died (its
 * requests are answered PsaErrorCommunicationFailure, the parent restarts it).
 * brokerd goes on serving. Call from the worker's message handler only.
 */
void broker_worker_fault(struct broker_worker *w, const char *what);
int broker_provider_up(const struct broker_provider *p);
/*
 * Sends an encoded operation (IPC_PROV_REQUEST) to one worker. If it cannot
 * be sent (over the IPC cap), the pending request is answered
 * ST_BODY_SIZE_EXCEEDS_LIMIT from the event loop, once the caller has
 * returned: nothing waits for an answer that will never come.
 */
void broker_worker_send(struct broker_worker *w, uint64_t prov_req_id, const uint8_t *msg,
    size_t msg_len);
struct event_base *broker_event_base(void);
/* A control message without payload to the parent. */
void broker_send_parent(uint32_t type);
/* Start-up work (reconciliation) finished: brokerd may report ready. */
void broker_startup_progress(void);

/*
 * After the key store is open: it and every provider state below state_dir
 * (as the parent read them into the setup) must carry one deployment
 * identity (written on the first start), or the start stops naming both
 * paths (broker_deploy.c). broker_deploy_id is the identity, sent with READY.
 */
struct setup_broker;
void broker_deploy_check(const struct setup_broker *s);
const char *broker_deploy_id(void);

/* broker_auth.c: fills id from the auth field and the connection's kernel identity. */
uint32_t broker_authenticate(uint32_t auth_type, const uint8_t *auth, size_t auth_len,
    uid_t peer_uid, int have_peer, struct broker_identity *id);
int broker_is_admin(const struct broker_identity *id);
/* The configured authenticator of a wire auth type, or NULL. */
const struct setup_auth *broker_auth_find(uint32_t auth_type);
/* Applies a setup's authenticators (start-up and reload). */
void broker_auth_apply(const struct setup_broker *next);
/* broker_quota.c: a new key's charge, and ST_SUCCESS or why it does not fit. */
uint64_t broker_quota_bytes(const struct op_request *op);
uint32_t broker_quota_check(const struct broker_identity *id, const struct op_request *op);

/*
 * broker_fair.c: 1 if the request may go to its provider now (it counts
 * against its application until answered), 0 if it was queued: it comes back
 * through broker_route_request once the application has room.
 */
int broker_fair_admit(uint64_t conn_id, uint64_t req_id, uid_t peer_uid,
    const struct broker_identity *id, const uint8_t *data, size_t len);
/* Every answer: the request no longer counts. */
void broker_fair_done(uint64_t conn_id, uint64_t req_id);
/* After a reload: a raised limit lets queued requests go on. */
void broker_fair_resume(void);

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

/* broker_wq.c: an answer came or a worker came or went: waiting operations go on. */
void broker_wq_kick(struct broker_provider *p);

/* broker_jwt.c: JwtSvid. The bundle is our file format (jwt.h); len 0 clears it. */
void broker_jwt_set_bundle(const uint8_t *jwks_file, size_t len);
int broker_jwt_authenticate(const uint8_t *tok, size_t len, char *app);
struct jwt_bundle;
void broker_jwt_use_bundle(const struct jwt_bundle *b);
const struct jwt_bundle *broker_jwt_bundle_in_use(void);

/* broker_spiffe.c: JwtSvid bundles from the Workload API (a connection from the parent). */
void broker_spiffe_apply(int enabled);
void broker_spiffe_socket(int fd); /* IPC_SPIFFE_SOCKET; -1: the connect failed */

/* broker_route.c: requests to providers and their answers. */
void broker_route_request(uint64_t conn_id, uint64_t req_id, uid_t peer_uid, const uint8_t *data,
    size_t len);
void broker_route_response(struct broker_worker *w, uint64_t prov_req_id, const uint8_t *data,
    size_t len);
/* Answers everything a dead worker owed. */
void broker_route_worker_down(struct broker_worker *w);
/* A request to a provider could not be sent: answer it with status. */
void broker_route_send_failed(uint64_t prov_req_id, uint32_t status);

/* broker_life.c: settles the provider's pending and half-destroyed keys; returns jobs started. */
size_t broker_life_reconcile(struct broker_provider *p);
size_t broker_life_startup_jobs(void);

/* broker_core.c: answers a provider-0 operation into res (its list in *list_buf). */
void broker_core_handle(const struct op_request *op, const struct broker_identity *id,
    struct op_result *res, uint8_t **list_buf);

#endif
