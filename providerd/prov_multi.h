/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table of a worker's live multipart operations, which every backend
 * serving parsecd's multipart opcodes keeps: each under the client connection
 * and the handle brokerd chose, so that a step finds its operation and a
 * closed connection ends all of its own. A backend's operation starts with a
 * struct prov_multi and adds its own state after it.
 */
#ifndef PROV_MULTI_H
#define PROV_MULTI_H

#include <stddef.h>
#include <stdint.h>

#include "op.h"
#include "providerd.h"
#include "tree.h"

struct prov_multi {
	RB_ENTRY(prov_multi) entry;
	uint64_t conn;
	uint32_t handle;
	int kind; /* the backend's own: hash, MAC... */
};

/* The operation a step names (op->conn, op->handle), if it is of kind; else NULL. */
struct prov_multi *prov_multi_find(const struct op_request *op, int kind);
/* The operation a step names, of any kind, or NULL. */
struct prov_multi *prov_multi_any(const struct op_request *op);
/*
 * Whether a setup may start another: brokerd named its handle (op->handle2)
 * and the worker holds fewer than max. Fills m's key and kind.
 */
int prov_multi_prepare(struct prov_multi *m, const struct op_request *op, int kind,
    uint32_t max);
/*
 * A set-up operation into the table, its handle into the answer (out[3]):
 * 0, or -1 if brokerd gave the handle twice (the first one stays).
 */
int prov_multi_insert(struct prov_multi *m, struct op_result *res, struct prov_out *out);
/* Out of the table; the caller ends and frees it. */
void prov_multi_remove(struct prov_multi *m);
/*
 * The room a step's output is given: what the caller said it has
 * (op->number2), up to max, so that a backend answers BufferTooSmall (and
 * ends the operation) as PSA would in the caller's own process.
 */
size_t prov_multi_room(const struct op_request *op, size_t max);
/* A multipart step's handler (prov_op_handler), defined. */
#define PROV_MULTI_HANDLER(name)                                                           \
	psa_status_t name(const struct op_request *op, const uint8_t *key_ref,             \
	    size_t key_ref_len, struct op_result *res, struct prov_out *out)
/* How many the worker holds. */
uint32_t prov_multi_live(void);
/*
 * A client connection closed: each of its operations out of the table and
 * into end, which frees it; the log counts them (the tests read it).
 */
void prov_multi_drop(uint64_t conn, void (*end)(struct prov_multi *));

#endif
