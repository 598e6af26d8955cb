/* SPDX-License-Identifier: Apache-2.0 */
/* frontd internals: connections, the request codec, and the channel to brokerd. */
#ifndef FRONTD_H
#define FRONTD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "op.h"
#include "wire.h"

struct event_base;
struct ipc_chan;

/* Decoded protobuf storage backing an op_request's byte fields (psa_codec.h). */
struct pc_msg;

/*
 * Encodes a successful result as opcode's protobuf Result into a malloc'd
 * buffer. Returns ST_SUCCESS or ST_SERIALIZING_BODY_FAILED.
 */
uint32_t front_encode_result(uint32_t opcode, const struct op_result *res, uint8_t **body,
    size_t *len);
/* A ListKeys Result from brokerd's list of keys: 0, or -1 (malformed list, no memory). */
int front_encode_list_keys(const struct op_result *res, uint8_t **body, size_t *len);

/*
 * A complete request of len bytes in a connection's buffer, its header
 * already decoded into hdr with check the verdict (front_conn.c decodes it
 * once, as soon as it has arrived): takes that verdict, then, in upstream's
 * order, the auth type, the opcode and the provider id, then decodes the
 * body straight into op (pc_request_decode). Returns ST_SUCCESS with op
 * filled and storage (to free with pc_msg_free once op is used), or the
 * status that answers the request; unattributed is set when that status is
 * one upstream gives before it has a request at all (its answer echoes
 * nothing of the header: wire.h).
 */
struct front_request {
	struct wire_hdr hdr;
	int unattributed;
	const uint8_t *auth;
	size_t auth_len;
	struct op_request op;
	struct pc_msg *storage;
};
uint32_t front_parse_request(const struct wire_hdr *hdr, enum wire_hdr_check check,
    const uint8_t *buf, size_t len, struct front_request *req);

/*
 * front_local.c: 1 with res filled if frontd answers req itself (brokerd's
 * answer is certain from what frontd holds), else 0 and brokerd answers it.
 * peer_uid is the connection's, from the kernel; random bytes are written to
 * scratch (FRONT_LOCAL_RANDOM_MAX bytes), which res then points into.
 */
#define FRONT_LOCAL_RANDOM_MAX 4096
int front_local_answer(const struct front_request *req, uid_t peer_uid, struct op_result *res,
    uint8_t *scratch);
/* brokerd's FRONT_LOCAL: the auth types (a bit each) of random requests answered here. */
void front_local_set(uint32_t random_auths);

/* front_conn.c */
struct front_settings {
	uint32_t body_len_limit;
	uint32_t timeout_ms;
	uint32_t keep_alive_timeout_ms;
	uint32_t max_connections;
	uint32_t max_connections_per_uid;
	uint32_t max_output_bytes_per_uid; /* 0: no cap */
};
void front_conn_init(struct event_base *base, int listen_fd, struct ipc_chan *broker,
    const struct front_settings *settings);
void front_conn_start(void);
/* New limits from a reload; connections in progress keep running. */
void front_conn_reconfigure(const struct front_settings *settings);

/*
 * front_out.c: len more bytes of answers for uid, within cap (0: none) unless
 * force; -1 if over (logged once until the uid is under half the cap again).
 */
int front_out_take(uid_t uid, size_t len, uint64_t cap, int force);
void front_out_give(uid_t uid, size_t len, uint64_t cap);
/* Releases a connection's request buffer grown past 64 KiB once it is empty. */
void front_in_release_idle(uint8_t **in, size_t *in_cap, size_t in_len);
void front_conn_response(uint64_t conn_id, uint64_t req_id, const uint8_t *data, size_t len);
/*
 * Whether a request is at brokerd, its answer soon due: only then does frontd
 * poll after activity. Having just answered a client, it sleeps at once: a
 * Unix socket wakes the client on the writer's CPU, expecting the writer to
 * sleep, and a frontd polling there would keep the client waiting for it.
 */
int front_conn_awaiting(void);
void front_conn_shutdown(void);
/* One line with the replies written and connections accepted since the start. */
void front_conn_log_totals(void);

#endif
