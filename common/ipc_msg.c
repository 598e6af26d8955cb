/* SPDX-License-Identifier: Apache-2.0 */
/* Payload codecs for the internal messages but setup's (layouts in ipc.h, convention in ipc_msg.h). */
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "setup.h"
#include "wire.h"

_Static_assert(IPC_DEPLOY_ID_LEN == SETUP_DEPLOY_ID_LEN, "READY carries a setup's identity");

void
ipc_send_ctl(struct ipc_chan *chan, uint32_t type, uint64_t conn_id, int fd, const void *data,
    size_t len)
{
	if (ipc_send(chan, type, conn_id, 0, fd, data, len) == -1)
		fatalx("cannot queue %s to %s", ipc_type_name(type), ipc_chan_peer(chan));
}

static void
ipc_send_small(struct ipc_chan *chan, uint32_t type, const struct buf_writer *wr)
{
	if (!buf_writer_ok(wr))
		fatalx("%s does not fit", ipc_type_name(type));
	ipc_send_ctl(chan, type, 0, -1, wr->data, wr->off);
}

static const struct buf_field ipc_hello_fields[] = {
	BUF_F_U32(struct ipc_hello, version),
};
static const struct buf_field ipc_ready_fields[] = {
	BUF_F_STR(struct ipc_ready, deploy_id),
};
static const struct buf_field ipc_provider_down_fields[] = {
	BUF_F_U32(struct ipc_provider_down, provider_id),
	BUF_F_U32(struct ipc_provider_down, worker),
};
static const struct buf_field ipc_provider_removed_fields[] = {
	BUF_F_U32(struct ipc_provider_removed, provider_id),
};
static const struct buf_field ipc_front_local_fields[] = {
	BUF_F_U32(struct ipc_front_local, random_auths),
};

static int
ipc_small_decode(const uint8_t *data, size_t len, void *m, const struct buf_field *fields,
    size_t n)
{
	struct buf_reader rd;

	buf_reader_init(&rd, data, len);
	buf_get_fields(&rd, m, fields, n);
	return buf_reader_done(&rd) ? 0 : -1;
}

/* Encoder, decoder and sender of NAME (at most msg_len bytes), from ipc_NAME_fields. */
#define IPC_SMALL_CODEC(name, msg_type, msg_len)                                             \
	void ipc_##name##_encode(struct buf_writer *wr, const struct ipc_##name *m)          \
	{                                                                                    \
		buf_put_fields(wr, m, BUF_FIELDS(ipc_##name##_fields));                      \
	}                                                                                    \
	int ipc_##name##_decode(const uint8_t *data, size_t len, struct ipc_##name *m)       \
	{                                                                                    \
		return ipc_small_decode(data, len, m, BUF_FIELDS(ipc_##name##_fields));      \
	}                                                                                    \
	static void ipc_send_##name##_msg(struct ipc_chan *chan, const struct ipc_##name *m) \
	{                                                                                    \
		uint8_t buf[msg_len];                                                        \
		struct buf_writer wr;                                                        \
                                                                                             \
		buf_writer_init(&wr, buf, sizeof(buf));                                      \
		ipc_##name##_encode(&wr, m);                                                 \
		ipc_send_small(chan, msg_type, &wr);                                         \
	}
IPC_SMALL_CODEC(hello, IPC_HELLO, IPC_HELLO_LEN)
IPC_SMALL_CODEC(ready, IPC_READY, IPC_READY_MAX_LEN)
IPC_SMALL_CODEC(provider_down, IPC_PROVIDER_DOWN, IPC_PROVIDER_DOWN_LEN)
IPC_SMALL_CODEC(provider_removed, IPC_PROVIDER_REMOVED, IPC_PROVIDER_REMOVED_LEN)
IPC_SMALL_CODEC(front_local, IPC_FRONT_LOCAL, IPC_FRONT_LOCAL_LEN)

void
ipc_send_hello(struct ipc_chan *chan)
{
	ipc_send_hello_msg(chan, &(struct ipc_hello){ IPC_PROTOCOL_VERSION });
}

void
ipc_send_ready(struct ipc_chan *chan, const char *deploy_id)
{
	struct ipc_ready m;

	if (strlcpy(m.deploy_id, deploy_id, sizeof(m.deploy_id)) >= sizeof(m.deploy_id))
		fatalx("deployment identity too long for READY");
	ipc_send_ready_msg(chan, &m);
}

void
ipc_send_provider_down(struct ipc_chan *chan, uint32_t provider_id, uint32_t worker)
{
	ipc_send_provider_down_msg(chan, &(struct ipc_provider_down){ provider_id, worker });
}

void
ipc_send_worker_fault(struct ipc_chan *chan, uint32_t provider_id, uint32_t worker)
{
	uint8_t buf[IPC_PROVIDER_DOWN_LEN];
	struct buf_writer wr;

	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_provider_down_encode(&wr, &(struct ipc_provider_down){ provider_id, worker });
	ipc_send_small(chan, IPC_WORKER_FAULT, &wr);
}

void
ipc_send_provider_removed(struct ipc_chan *chan, uint32_t provider_id)
{
	ipc_send_provider_removed_msg(chan, &(struct ipc_provider_removed){ provider_id });
}

void
ipc_send_front_local(struct ipc_chan *chan, uint32_t random_auths)
{
	ipc_send_front_local_msg(chan, &(struct ipc_front_local){ random_auths });
}

/* REQUEST's head: provider, auth type, auth length, the header flags brokerd reads, the auth. */
static size_t
ipc_request_head_len(const struct ipc_request *m)
{
	return 6 + m->auth_len;
}

static void
ipc_request_put_head(struct buf_writer *wr, const struct ipc_request *m)
{
	buf_put_u8(wr, m->provider);
	buf_put_u8(wr, m->auth_type);
	buf_put_u16le(wr, (uint16_t)m->auth_len);
	buf_put_u16le(wr, m->flags);
	buf_put_bytes(wr, m->auth, m->auth_len);
}

static void
ipc_request_get_head(struct buf_reader *rd, struct ipc_request *m)
{
	m->provider = buf_get_u8(rd);
	m->auth_type = buf_get_u8(rd);
	m->auth_len = buf_get_u16le(rd);
	if ((m->flags = buf_get_u16le(rd)) & ~WIRE_FLAG_EXTENSIONS)
		rd->failed = 1;
	m->auth = buf_get_bytes(rd, m->auth_len);
}

/* PROV_REQUEST's head: the key reference as a blob. */
static size_t
ipc_prov_request_head_len(const struct ipc_prov_request *m)
{
	return 4 + m->key_ref_len;
}

static void
ipc_prov_request_put_head(struct buf_writer *wr, const struct ipc_prov_request *m)
{
	buf_put_blob(wr, m->key_ref, m->key_ref_len);
}

static void
ipc_prov_request_get_head(struct buf_reader *rd, struct ipc_prov_request *m)
{
	m->key_ref = buf_get_blob(rd, IPC_MAX_PAYLOAD, &m->key_ref_len);
}

/* A buffer of len bytes for an encoder to fill through wr; the caller frees it. */
static uint8_t *
ipc_alloc(size_t len, struct buf_writer *wr)
{
	uint8_t *buf = malloc(len > 0 ? len : 1);

	if (buf == NULL)
		fatal("malloc");
	buf_writer_init(wr, buf, len);
	return buf;
}

/* The encoder of NAME into a buffer of its own, sized by ipc_NAME_encoded_len. */
#define IPC_ALLOC_ENCODER(name, type)                                               \
	uint8_t *ipc_##name##_encode_alloc(const type *m, size_t *len)              \
	{                                                                           \
		struct buf_writer wr;                                               \
		uint8_t *buf = ipc_alloc(ipc_##name##_encoded_len(m), &wr);         \
                                                                                    \
		ipc_##name##_encode(&wr, m);                                        \
		if (!buf_writer_ok(&wr))                                            \
			fatalx("%s encoding overflow", #name);                      \
		*len = wr.off;                                                      \
		return buf;                                                         \
	}

/*
 * Size, encoder (into wr, or into a buffer of its own) and decoder of NAME,
 * a head (ipc_NAME_*_head) followed by the operation (op_request) and
 * nothing after it.
 */
#define IPC_OP_MSG_CODEC(name)                                                               \
	size_t ipc_##name##_encoded_len(const struct ipc_##name *m)                          \
	{                                                                                    \
		return ipc_##name##_head_len(m) + op_request_put_len(&m->op);            \
	}                                                                                    \
	void ipc_##name##_encode(struct buf_writer *wr, const struct ipc_##name *m)          \
	{                                                                                    \
		ipc_##name##_put_head(wr, m);                                                \
		op_request_put(wr, &m->op);                                                  \
	}                                                                                    \
	IPC_ALLOC_ENCODER(name, struct ipc_##name)                                           \
	int ipc_##name##_decode(const uint8_t *data, size_t len, struct ipc_##name *m)       \
	{                                                                                    \
		struct buf_reader rd;                                                        \
                                                                                             \
		buf_reader_init(&rd, data, len);                                             \
		ipc_##name##_get_head(&rd, m);                                               \
		return op_request_get(&rd, &m->op) == 0 && buf_reader_done(&rd) ? 0 : -1;    \
	}
IPC_OP_MSG_CODEC(request)
IPC_OP_MSG_CODEC(prov_request)

size_t
ipc_result_encoded_len(const struct op_result *m)
{
	return op_result_put_len(m);
}

void
ipc_result_encode(struct buf_writer *wr, const struct op_result *m)
{
	op_result_put(wr, m);
}

IPC_ALLOC_ENCODER(result, struct op_result)

int
ipc_result_decode(const uint8_t *data, size_t len, struct op_result *m)
{
	struct buf_reader rd;

	buf_reader_init(&rd, data, len);
	return op_result_get(&rd, m) == 0 && buf_reader_done(&rd) ? 0 : -1;
}

/* PROV_FORGET: the key reference as a blob, as PROV_REQUEST's head. */
size_t
ipc_prov_forget_encoded_len(const struct ipc_prov_forget *m)
{
	return 4 + m->key_ref_len;
}

void
ipc_prov_forget_encode(struct buf_writer *wr, const struct ipc_prov_forget *m)
{
	buf_put_blob(wr, m->key_ref, m->key_ref_len);
}

IPC_ALLOC_ENCODER(prov_forget, struct ipc_prov_forget)

int
ipc_prov_forget_decode(const uint8_t *data, size_t len, struct ipc_prov_forget *m)
{
	struct buf_reader rd;

	buf_reader_init(&rd, data, len);
	m->key_ref = buf_get_blob(&rd, IPC_MAX_PAYLOAD, &m->key_ref_len);
	return buf_reader_done(&rd) ? 0 : -1;
}

/* PROV_DROP: the connection id. */
void
ipc_prov_drop_encode(struct buf_writer *wr, const struct ipc_prov_drop *m)
{
	buf_put_u64le(wr, m->conn_id);
}

int
ipc_prov_drop_decode(const uint8_t *data, size_t len, struct ipc_prov_drop *m)
{
	struct buf_reader rd;

	buf_reader_init(&rd, data, len);
	m->conn_id = buf_get_u64le(&rd);
	return buf_reader_done(&rd) ? 0 : -1;
}

void
ipc_prov_info_encode(struct buf_writer *wr, const struct ipc_prov_info *m)
{
	uint32_t i;

	op_list_put_provider(wr, &m->info);
	for (i = 0; i < IPC_RSA_COST_ROWS; i++) {
		buf_put_u32le(wr, m->rsa[i].bits);
		buf_put_u32le(wr, m->rsa[i].private_op);
		buf_put_u32le(wr, m->rsa[i].generate);
	}
	buf_put_u32le(wr, m->op_count);
	for (i = 0; i < m->op_count; i++) {
		buf_put_u32le(wr, m->ops[i].opcode);
		buf_put_u32le(wr, m->ops[i].listed);
		buf_put_u32le(wr, m->ops[i].cost);
	}
}

/* The RSA rows grow in size (brokerd prices a modulus by the first row as large). */
static int
ipc_rsa_cost_get(struct buf_reader *rd, struct ipc_rsa_cost *rsa)
{
	uint32_t i;

	for (i = 0; i < IPC_RSA_COST_ROWS; i++) {
		rsa[i].bits = buf_get_u32le(rd);
		rsa[i].private_op = buf_get_u32le(rd);
		rsa[i].generate = buf_get_u32le(rd);
		if (rsa[i].bits == 0 || (i > 0 && rsa[i].bits <= rsa[i - 1].bits))
			return -1;
	}
	return 0;
}

/* An opcode served twice would leave its cost and listing ambiguous. */
static int
ipc_prov_op_get(struct buf_reader *rd, struct ipc_prov_op *ops, uint32_t i)
{
	uint32_t j;

	ops[i].opcode = buf_get_u32le(rd);
	ops[i].listed = buf_get_u32le(rd);
	ops[i].cost = buf_get_u32le(rd);
	if (ops[i].listed > 1)
		return -1;
	for (j = 0; j < i; j++)
		if (ops[j].opcode == ops[i].opcode)
			return -1;
	return 0;
}

int
ipc_prov_info_decode(const uint8_t *data, size_t len, struct ipc_prov_info *m)
{
	struct buf_reader rd;
	uint32_t i;

	buf_reader_init(&rd, data, len);
	if (op_list_get_provider(&rd, &m->info) == -1 || ipc_rsa_cost_get(&rd, m->rsa) == -1)
		return -1;
	m->op_count = buf_get_u32le(&rd);
	if (m->op_count > IPC_MSG_MAX_OPCODES)
		return -1;
	for (i = 0; i < m->op_count; i++)
		if (ipc_prov_op_get(&rd, m->ops, i) == -1)
			return -1;
	return buf_reader_done(&rd) ? 0 : -1;
}
