/* SPDX-License-Identifier: Apache-2.0 */
/* The table of a worker's live multipart operations (prov_multi.h). */
#include <string.h>

#include "log.h"
#include "pc_ext.h"
#include "prov_multi.h"

RB_HEAD(prov_multi_tree, prov_multi);

static int
prov_multi_cmp(const struct prov_multi *a, const struct prov_multi *b)
{
	if (a->conn != b->conn)
		return a->conn < b->conn ? -1 : 1;
	return a->handle < b->handle ? -1 : a->handle > b->handle;
}
TREE_GENERATE_STATIC(prov_multi_tree, prov_multi, entry, prov_multi_cmp)

static struct prov_multi_tree prov_multi_ops = RB_INITIALIZER(&prov_multi_ops);
static uint32_t prov_multi_count;

struct prov_multi *
prov_multi_any(const struct op_request *op)
{
	struct prov_multi key;

	memset(&key, 0, sizeof(key));
	key.conn = op->conn;
	key.handle = op->handle;
	return RB_FIND(prov_multi_tree, &prov_multi_ops, &key);
}

struct prov_multi *
prov_multi_find(const struct op_request *op, int kind)
{
	struct prov_multi *m = prov_multi_any(op);

	return m != NULL && m->kind == kind ? m : NULL;
}

int
prov_multi_prepare(struct prov_multi *m, const struct op_request *op, int kind, uint32_t max)
{
	if (prov_multi_count >= max || op->handle2 == 0)
		return 0;
	m->conn = op->conn;
	m->handle = op->handle2;
	m->kind = kind;
	return 1;
}

int
prov_multi_insert(struct prov_multi *m, struct op_result *res, struct prov_out *out)
{
	uint8_t *p;
	size_t i;

	if (RB_INSERT(prov_multi_tree, &prov_multi_ops, m) != NULL)
		return -1;
	prov_multi_count++;
	p = prov_out_alloc(out, res, 3, PC_EXT_NUMBER_LEN);
	for (i = 0; i < PC_EXT_NUMBER_LEN; i++)
		p[i] = (uint8_t)((uint64_t)m->handle >> (8 * i));
	return 0;
}

void
prov_multi_remove(struct prov_multi *m)
{
	RB_REMOVE(prov_multi_tree, &prov_multi_ops, m);
	prov_multi_count--;
}

size_t
prov_multi_room(const struct op_request *op, size_t max)
{
	return op->number2 < max ? (size_t)op->number2 : max;
}

uint32_t
prov_multi_live(void)
{
	return prov_multi_count;
}

void
prov_multi_drop(uint64_t conn, void (*end)(struct prov_multi *))
{
	struct prov_multi key, *m, *next;
	uint32_t dropped = 0;

	memset(&key, 0, sizeof(key));
	key.conn = conn;
	for (m = RB_NFIND(prov_multi_tree, &prov_multi_ops, &key); m != NULL && m->conn == conn;
	    m = next) {
		next = RB_NEXT(prov_multi_tree, &prov_multi_ops, m);
		prov_multi_remove(m);
		end(m);
		dropped++;
	}
	/* The tests read these counts: a closed connection leaves nothing behind. */
	log_info("connection %llu closed: %u multipart operations dropped, %u live",
	    (unsigned long long)conn, dropped, prov_multi_count);
}
