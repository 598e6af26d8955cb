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

/* Sends a key operation to worker w (from broker_wq.c). */
void broker_life_send(struct broker_worker *w, struct broker_keyop *k);

/*
 * broker_wq.c: sends a key creation to a worker of p, or queues it under its
 * application (auth_type, app) if it is long and no worker may take it now.
 */
void broker_wq_send(struct broker_provider *p, struct broker_keyop *k, uint32_t auth_type,
    const char *app, const struct op_request *op);
/* A destroy went to keep: every other live worker of its provider forgets the key. */
void broker_wq_forget_others(struct broker_worker *keep, const uint8_t *key_ref,
    size_t key_ref_len);

/* broker_route.c */
/* The least busy live worker of a provider, or NULL. */
struct broker_worker *broker_route_pick_worker(struct broker_provider *p);
/* The same for op (broker_fair.c): long operations leave a worker free. */
struct broker_worker *broker_route_pick_worker_for(struct broker_provider *p,
    const struct op_request *op);
/*
 * Sends op to worker w; its answer goes to keyop if not NULL, else to the
 * client (conn_id, req_id).
 */
void broker_route_send(struct broker_worker *w, uint64_t conn_id, uint64_t req_id,
    struct broker_keyop *keyop, const uint8_t *key_ref, size_t key_ref_len,
    const struct op_request *op);

#endif
