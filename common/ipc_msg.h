/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Payload codecs for the internal messages, one family per file: this file
 * holds every message between the daemons but the setup ones (setup.h, the
 * same convention). The convention: each message X with a payload has
 * ipc_X_encode(wr, m), writing into a buf_writer, and ipc_X_decode(data,
 * len, m), returning 0 only if the payload is consumed exactly (the
 * buf_reader_done check) and -1 otherwise; a caller never checks the end
 * itself. The op.h forms are parts read and written inside them. Layouts
 * are written next to their enum values in ipc.h; messages there marked
 * empty carry no payload and have no codec: the channel refuses one that
 * comes with a payload (ipc_hdr_decode), and parsecd a READY with one from
 * any child but brokerd.
 */
#ifndef PARSEC_IPC_MSG_H
#define PARSEC_IPC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "op.h"

#define IPC_MSG_MAX_OPCODES 128 /* PROV_INFO: operations one provider may serve */
#define IPC_RSA_COST_ROWS 4     /* PROV_INFO: RSA modulus sizes a provider prices */

struct ipc_hello {
	uint32_t version;
};

/* brokerd's READY: the deployment identity it settled with the key store. */
#define IPC_DEPLOY_ID_LEN 32 /* as SETUP_DEPLOY_ID_LEN: 16 random bytes in hex */
struct ipc_ready {
	char deploy_id[IPC_DEPLOY_ID_LEN + 1];
};

struct ipc_provider_down {
	uint32_t provider_id;
	uint32_t worker;
};

struct ipc_provider_removed {
	uint32_t provider_id;
};

/*
 * FRONT_LOCAL: bit (1 << auth type) set when brokerd would admit the software
 * provider's PsaGenerateRandom with that auth type (the field then judged by
 * authn.h alone), now that the provider is up and serves it.
 */
struct ipc_front_local {
	uint32_t random_auths;
};

struct ipc_request {
	uint8_t provider;
	uint8_t auth_type;
	uint16_t flags;      /* the wire header's flags that brokerd reads: WIRE_FLAG_EXTENSIONS */
	const uint8_t *auth; /* points into the message */
	size_t auth_len;     /* at most UINT16_MAX */
	struct op_request op;
};

/* PROV_FORGET: the key reference a worker drops from memory. */
struct ipc_prov_forget {
	const uint8_t *key_ref; /* points into the message */
	size_t key_ref_len;
};

/* PROV_DROP: the client connection whose multipart operations a worker drops. */
struct ipc_prov_drop {
	uint64_t conn_id;
};

struct ipc_prov_request {
	const uint8_t *key_ref; /* points into the message */
	size_t key_ref_len;
	struct op_request op;
};

/* One operation a provider serves: its backend's row, less the handler. */
struct ipc_prov_op {
	uint32_t opcode;
	uint32_t listed; /* 1: ListOpcodes names it; 0: served all the same */
	uint32_t cost;   /* microseconds of a worker's time, on a key that is not RSA */
};

/* What a private-key RSA operation and an RSA generation cost, for moduli up to bits. */
struct ipc_rsa_cost {
	uint32_t bits;
	uint32_t private_op;
	uint32_t generate;
};

struct ipc_prov_info {
	struct op_provider_info info;
	struct ipc_rsa_cost rsa[IPC_RSA_COST_ROWS]; /* by growing bits */
	uint32_t op_count;
	struct ipc_prov_op ops[IPC_MSG_MAX_OPCODES]; /* one per opcode */
};

#define IPC_HELLO_LEN 4
#define IPC_READY_MAX_LEN (4 + IPC_DEPLOY_ID_LEN)
#define IPC_PROVIDER_DOWN_LEN 8
#define IPC_PROVIDER_REMOVED_LEN 4
#define IPC_PROV_DROP_LEN 8
#define IPC_FRONT_LOCAL_LEN 4

/*
 * Encoders write into wr (sticky failure as buf.h); the *_len functions give
 * the exact size. Decoders return 0, or -1 if the payload is short, long or
 * out of range; pointers they fill point into data.
 */
void ipc_hello_encode(struct buf_writer *wr, const struct ipc_hello *m);
int ipc_hello_decode(const uint8_t *data, size_t len, struct ipc_hello *m);
void ipc_ready_encode(struct buf_writer *wr, const struct ipc_ready *m);
int ipc_ready_decode(const uint8_t *data, size_t len, struct ipc_ready *m);
void ipc_provider_down_encode(struct buf_writer *wr, const struct ipc_provider_down *m);
int ipc_provider_down_decode(const uint8_t *data, size_t len, struct ipc_provider_down *m);
void ipc_provider_removed_encode(struct buf_writer *wr, const struct ipc_provider_removed *m);
int ipc_provider_removed_decode(const uint8_t *data, size_t len,
    struct ipc_provider_removed *m);
void ipc_front_local_encode(struct buf_writer *wr, const struct ipc_front_local *m);
int ipc_front_local_decode(const uint8_t *data, size_t len, struct ipc_front_local *m);
size_t ipc_request_encoded_len(const struct ipc_request *m);
void ipc_request_encode(struct buf_writer *wr, const struct ipc_request *m);
/* Encoded into a malloc'd buffer of *len bytes (fatal if memory runs out). */
uint8_t *ipc_request_encode_alloc(const struct ipc_request *m, size_t *len);
int ipc_request_decode(const uint8_t *data, size_t len, struct ipc_request *m);
size_t ipc_prov_request_encoded_len(const struct ipc_prov_request *m);
void ipc_prov_request_encode(struct buf_writer *wr, const struct ipc_prov_request *m);
uint8_t *ipc_prov_request_encode_alloc(const struct ipc_prov_request *m, size_t *len);
int ipc_prov_request_decode(const uint8_t *data, size_t len, struct ipc_prov_request *m);
void ipc_prov_drop_encode(struct buf_writer *wr, const struct ipc_prov_drop *m);
int ipc_prov_drop_decode(const uint8_t *data, size_t len, struct ipc_prov_drop *m);
void ipc_prov_info_encode(struct buf_writer *wr, const struct ipc_prov_info *m);
int ipc_prov_info_decode(const uint8_t *data, size_t len, struct ipc_prov_info *m);
/* RESPONSE and PROV_RESPONSE: one result, op_result's fields. */
size_t ipc_result_encoded_len(const struct op_result *m);
void ipc_result_encode(struct buf_writer *wr, const struct op_result *m);
uint8_t *ipc_result_encode_alloc(const struct op_result *m, size_t *len);
int ipc_result_decode(const uint8_t *data, size_t len, struct op_result *m);
size_t ipc_prov_forget_encoded_len(const struct ipc_prov_forget *m);
void ipc_prov_forget_encode(struct buf_writer *wr, const struct ipc_prov_forget *m);
uint8_t *ipc_prov_forget_encode_alloc(const struct ipc_prov_forget *m, size_t *len);
int ipc_prov_forget_decode(const uint8_t *data, size_t len, struct ipc_prov_forget *m);

/*
 * Messages that cannot fail short of a bug: small, fixed-size payloads
 * (setup, control, the three small ones below), at most one descriptor. A
 * failure to queue one is fatal rather than ignored.
 */
struct ipc_chan;
void ipc_send_ctl(struct ipc_chan *chan, uint32_t type, uint64_t conn_id, int fd,
    const void *data, size_t len);
void ipc_send_hello(struct ipc_chan *chan);
/* brokerd's READY; every other child's is empty (ipc_send_ctl, no payload). */
void ipc_send_ready(struct ipc_chan *chan, const char *deploy_id);
void ipc_send_provider_down(struct ipc_chan *chan, uint32_t provider_id, uint32_t worker);
/* IPC_WORKER_FAULT, in PROVIDER_DOWN's layout (decoded by ipc_provider_down_decode). */
void ipc_send_worker_fault(struct ipc_chan *chan, uint32_t provider_id, uint32_t worker);
void ipc_send_provider_removed(struct ipc_chan *chan, uint32_t provider_id);
void ipc_send_front_local(struct ipc_chan *chan, uint32_t random_auths);

#endif
