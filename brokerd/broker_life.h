/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key life cycle (broker_life.c: two-phase creation and destruction
 * through the key store, reconciliation, DeleteClient), as dispatch and
 * brokerd's handlers use it.
 */
#ifndef BROKER_LIFE_H
#define BROKER_LIFE_H

#include <stddef.h>
#include <stdint.h>

#include "brokerd.h"

struct kim_entry;

/* Each answers the client itself, now or once the provider has. */
void broker_life_create(struct broker_ctx *b, struct broker_provider *p, uint64_t conn_id,
    uint64_t req_id, const struct broker_identity *id, struct op_request *op);
void broker_life_destroy(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    const struct kim_entry *e);
void broker_life_delete_client(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    const struct broker_identity *id, const char *client);
/*
 * psa_copy_key (ExtCopyKey): op->client names the source key, op->key_name
 * the new one; the source's policy must permit copying, and the new key's
 * policy is narrowed to the source's (broker_copy.c) before it is created.
 */
void broker_life_copy(struct broker_ctx *b, struct broker_provider *p, uint64_t conn_id,
    uint64_t req_id, const struct broker_identity *id, struct op_request *op);
/* The connection conn_id, which made volatile keys, is gone: they are destroyed. */
void broker_life_volatile_gone(struct broker_ctx *b, uint64_t conn_id);
/*
 * At most this many volatile keys per connection (any state); the
 * application's key quota counts them too.
 */
#define BROKER_VOLATILE_PER_CONN 256
/* Whether a creation or destruction of this key is under way. */
int broker_life_busy(struct broker_ctx *b, uint32_t auth_type, const char *app,
    const char *name);
/* Settles the provider's pending and half-destroyed keys (b->startup_jobs counts them). */
size_t broker_life_reconcile(struct broker_ctx *b, struct broker_provider *p);

#endif
