/* SPDX-License-Identifier: Apache-2.0 */
/* What brokerd's output layer would have sent, as tests/broker_out_stub.c records it. */
#ifndef BROKER_OUT_STUB_H
#define BROKER_OUT_STUB_H

#include <stddef.h>
#include <stdint.h>

#define STUB_MAX 64
#define STUB_REF_MAX 64

/* An answer to a client. */
struct stub_reply {
	uint64_t conn_id, req_id;
	uint32_t status;
};

/* A message to a worker: an operation (IPC_PROV_REQUEST) or a key to forget. */
struct stub_send {
	uint32_t provider;
	uint32_t worker;
	uint64_t prov_req_id; /* 0 for a forget */
	uint32_t opcode;
	uint8_t key_ref[STUB_REF_MAX];
	size_t key_ref_len;
	uint8_t in0[STUB_REF_MAX]; /* the operation's first input */
	size_t in0_len;
	uint32_t handle, handle2; /* a multipart operation's, and the one a setup makes */
	uint64_t conn;            /* the client connection that owns it */
};

struct stub_out {
	struct stub_reply replies[STUB_MAX];
	size_t reply_count;
	struct stub_send sends[STUB_MAX];
	size_t send_count;
	struct stub_send forgets[STUB_MAX];
	size_t forget_count;
	size_t drop_count; /* connections' multipart operations dropped */
	size_t fault_count;
	uint32_t parent_types[STUB_MAX];
	size_t parent_count;
	uint32_t front_random_auths; /* the last FRONT_LOCAL */
	size_t front_local_count;
};

extern struct stub_out stub_out;

#endif
