/* SPDX-License-Identifier: Apache-2.0 */
/* brokerd's client connections: who is connected, as the kernel says, by frontd's id. */
#include <sys/socket.h>

#include <stdlib.h>

#include "brokerd.h"
#include "log.h"
#include "peer.h"

static int
broker_conn_cmp(const struct broker_conn *a, const struct broker_conn *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}
TREE_GENERATE_STATIC(broker_conn_tree, broker_conn, entry, broker_conn_cmp)

struct broker_conn *
broker_conn_find(struct broker_ctx *b, uint64_t conn_id)
{
	struct broker_conn key = { .id = conn_id };

	return RB_FIND(broker_conn_tree, &b->conns, &key);
}

void
broker_conn_closed(struct broker_ctx *b, uint64_t conn_id)
{
	struct broker_conn *conn;

	if ((conn = broker_conn_find(b, conn_id)) == NULL)
		return;
	broker_opstate_conn_closed(b, conn_id);
	RB_REMOVE(broker_conn_tree, &b->conns, conn);
	if (conn->has_volatile && b->volatile_gone != NULL)
		b->volatile_gone(b, conn_id);
	free(conn);
}

void
broker_conn_answered(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id)
{
	struct broker_conn *conn;

	if ((conn = broker_conn_find(b, conn_id)) != NULL && conn->last_req_id == req_id)
		broker_conn_closed(b, conn_id);
}

/* Who is connected, read from the client socket fd once frontd has sent it. */
static void
broker_conn_peer(struct broker_ctx *b, struct broker_conn *conn, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char why[160];

	conn->has_peer = 1;
	/*
	 * Only an accepted client of our own listener says who is connected: the
	 * credentials of a listener, a socketpair or another socket name whoever
	 * made it (root, for the listener), never the client frontd serves.
	 */
	if (peer_is_client(fd, b->setup.listen_addr, why, sizeof(why)) == -1) {
		log_warnx("connection %llu: frontd passed %s, not a client; its requests are "
		    "refused", (unsigned long long)conn->id, why);
		conn->refused = 1;
		conn->uid = (uid_t)-1;
	} else {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
			fatal("SO_PEERCRED");
		conn->uid = cred.uid;
		conn->pid = cred.pid;
	}
	log_debug("connection %llu from uid %u pid %d", (unsigned long long)conn->id,
	    (unsigned)conn->uid, (int)conn->pid);
}

struct broker_conn *
broker_conn_get(struct broker_ctx *b, uint64_t conn_id, int fd)
{
	struct broker_conn *conn;

	if ((conn = broker_conn_find(b, conn_id)) == NULL) {
		if ((conn = calloc(1, sizeof(*conn))) == NULL)
			fatal("calloc");
		conn->id = conn_id;
		conn->uid = (uid_t)-1; /* not known until a request needs it */
		conn->pid = -1;
		RB_INSERT(broker_conn_tree, &b->conns, conn);
	}
	/* frontd sends the socket once; another copy would say nothing new. */
	if (fd != -1 && !conn->has_peer)
		broker_conn_peer(b, conn, fd);
	return conn;
}
