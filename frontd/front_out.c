/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What frontd holds for its clients: answers waiting to be read are counted
 * per uid against [privsep] max_output_bytes_per_uid, and a request buffer a
 * large request grew is released once the connection has nothing more in it.
 */
#include <stdlib.h>
#include <string.h>

#include "frontd.h"
#include "log.h"
#include "tree.h"
#include "wipe.h"

/* A request buffer larger than this is released once empty. */
#define FRONT_IN_KEEP (64u * 1024u)

struct front_out_uid {
	RB_ENTRY(front_out_uid) entry;
	uid_t uid;
	uint64_t bytes;
	int refusing; /* logged that answers are refused; quiet until under half the cap */
};

static int
front_out_cmp(const struct front_out_uid *a, const struct front_out_uid *b)
{
	return a->uid < b->uid ? -1 : a->uid > b->uid;
}
RB_HEAD(front_out_tree, front_out_uid);
TREE_GENERATE_STATIC(front_out_tree, front_out_uid, entry, front_out_cmp)

static struct front_out_tree front_out_uids = RB_INITIALIZER(&front_out_uids);

int
front_out_take(uid_t uid, size_t len, uint64_t cap, int force)
{
	struct front_out_uid key = { .uid = uid }, *u;

	if ((u = RB_FIND(front_out_tree, &front_out_uids, &key)) == NULL) {
		if ((u = calloc(1, sizeof(*u))) == NULL)
			fatal("calloc");
		u->uid = uid;
		RB_INSERT(front_out_tree, &front_out_uids, u);
	}
	if (!force && cap != 0 && u->bytes + len > cap) {
		/* One line when a uid starts to be refused, not one per answer. */
		if (!u->refusing)
			log_info("uid %u: %llu bytes of answers wait to be read; larger answers are "
			    "refused (PsaErrorInsufficientMemory) until they are", (unsigned)uid,
			    (unsigned long long)u->bytes);
		u->refusing = 1; /* kept, also at 0 bytes, to stay quiet */
		return -1;
	}
	u->bytes += len;
	return 0;
}

void
front_out_give(uid_t uid, size_t len, uint64_t cap)
{
	struct front_out_uid key = { .uid = uid }, *u;

	if ((u = RB_FIND(front_out_tree, &front_out_uids, &key)) == NULL)
		fatalx("uid %u gives back answer bytes it never took", (unsigned)uid);
	u->bytes -= len < u->bytes ? len : u->bytes;
	if (u->bytes <= cap / 2)
		u->refusing = 0;
	if (u->bytes == 0) {
		RB_REMOVE(front_out_tree, &front_out_uids, u);
		free(u);
	}
}

void
front_in_release_idle(uint8_t **in, size_t *in_cap, size_t in_len)
{
	if (in_len != 0 || *in_cap <= FRONT_IN_KEEP)
		return;
	/* It may have carried key material (ImportKey): the whole buffer goes wiped. */
	wipe_free(*in, *in_cap);
	*in = NULL;
	*in_cap = 0;
}
