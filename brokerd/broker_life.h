/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Between routing (broker_route.c: requests to provider workers and their
 * answers) and the key life cycle (broker_life.c: two-phase creation and
 * destruction through the key store, reconciliation, DeleteClient).
 */
#ifndef BROKER_LIFE_H
#define BROKER_LIFE_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd.h"

struct broker_keyop;
struct kim_entry;

/* broker_life.c: each answers the client itself, now or once the provider has. */
void broker_life_create(struct broker_provider *p, uint64_t conn_id, uint64_t req_id,
    const struct broker_identity *id, struct op_request *op);
void broker_life_destroy(uint64_t conn_id, uint64_t req_id, const struct kim_entry *e);
void broker_life_delete_client(uint64_t conn_id, uint64_t req_id,
    const struct broker_identity *id, const char *client);
/* Whether a creation or destruction of this key is under way. */
int broker_life_busy(uint32_t auth_type, const char *app, const char *name);
/* A worker's answer to a key operation (res NULL if no worker will answer). */
void broker_life_ack(struct broker_keyop *k, uint32_t status, const struct op_result *res);

struct broker_wq_app;

/* broker_fair.c: the order of applications (authenticator, then name) in brokerd's trees. */
int broker_app_cmp(uint32_t auth_a, const char *app_a, uint32_t auth_b, const char *app_b);

/*
 * broker_wq.c: sends an operation to a worker of p, or queues it under its
 * application (auth_type, app) until that application's share of a worker
 * has room for it (see broker_wq.c). Its answer goes to keyop if not NULL,
 * else to the client (conn_id, req_id). For a destroy, every live worker
 * is told at once to forget the key.
 */
void broker_wq_submit(struct broker_provider *p, uint32_t auth_type, const char *app,
    uint64_t conn_id, uint64_t req_id, struct broker_keyop *keyop, const uint8_t *key_ref,
    size_t key_ref_len, const struct op_request *op);
/* An operation that broker_route_send charged to a at w was answered or failed. */
void broker_wq_done(struct broker_wq_app *a, const struct broker_worker *w, uint32_t cost);

/*
 * broker_route.c: sends an IPC_PROV_REQUEST payload to worker w (from
 * broker_wq.c), charged to a; its answer goes to keyop if not NULL, else to
 * the client (conn_id, req_id).
 */
void broker_route_send(struct broker_worker *w, struct broker_wq_app *a, uint32_t cost,
    int long_op, uint64_t conn_id, uint64_t req_id, struct broker_keyop *keyop,
    const uint8_t *msg, size_t msg_len);

#endif
