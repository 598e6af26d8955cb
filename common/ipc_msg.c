/* SPDX-License-Identifier: Apache-2.0 */
/* Payload codecs for the internal messages (layouts in ipc.h, API in ipc_msg.h). */
#include <string.h>

#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"

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

void
ipc_send_hello(struct ipc_chan *chan)
{
	struct ipc_hello m = { IPC_PROTOCOL_VERSION };
	uint8_t buf[IPC_HELLO_LEN];
	struct buf_writer wr;

	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_hello_encode(&wr, &m);
	ipc_send_small(chan, IPC_HELLO, &wr);
}

void
ipc_send_provider_down(struct ipc_chan *chan, uint32_t provider_id, uint32_t worker)
{
	struct ipc_provider_down m = { provider_id, worker };
	uint8_t buf[IPC_PROVIDER_DOWN_LEN];
	struct buf_writer wr;

	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_provider_down_encode(&wr, &m);
	ipc_send_small(chan, IPC_PROVIDER_DOWN, &wr);
}

void
ipc_send_provider_removed(struct ipc_chan *chan, uint32_t provider_id)
{
	struct ipc_provider_removed m = { provider_id };
	uint8_t buf[IPC_PROVIDER_REMOVED_LEN];
	struct buf_writer wr;

	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_provider_removed_encode(&wr, &m);
	ipc_send_small(chan, IPC_PROVIDER_REMOVED, &wr);
}

void
ipc_hello_encode(struct buf_writer *wr, const struct ipc_hello *m)
{
	buf_put_u32le(wr, m->version);
}

int
ipc_hello_decode(const uint8_t *data, size_t len, struct ipc_hello *m)
{
	struct buf_reader rd;

	buf_reader_init(&rd, data, len);
	m->version = buf_get_u32le(&rd);
	return buf_reader_done(&rd) ? 0 : -1;
}

void
ipc_provider_down_encode(struct buf_writer *wr, const struct ipc_provider_down *m)
{
	buf_put_u32le(wr, m->provider_id);
	buf_put_u32le(wr, m->worker);
}

int
ipc_provider_down_decode(const uint8_t *data, size_t len, struct ipc_provider_down *m)
{
	struct buf_reader rd;

	buf_reader_init(&rd, data, len);
	m->provider_id = buf_get_u32le(&rd);
	m->worker = buf_get_u32le(&rd);
	return buf_reader_done(&rd) ? 0 : -1;
}

void
ipc_provider_removed_encode(struct buf_writer *wr, const struct ipc_provider_removed *m)
{
	buf_put_u32le(wr, m->provider_id);
}

int
ipc_provider_removed_decode(const uint8_t *data, size_t len, struct ipc_provider_removed *m)
{
	struct buf_reader rd;

	buf_reader_init(&rd, data, len);
	m->provider_id = buf_get_u32le(&rd);
	return buf_reader_done(&rd) ? 0 : -1;
}

size_t
ipc_request_encoded_len(const struct ipc_request *m)
{
	return 6 + m->auth_len + op_request_encoded_len(&m->op);
}

void
ipc_request_encode(struct buf_writer *wr, const struct ipc_request *m)
{
	buf_put_u8(wr, m->provider);
	buf_put_u8(wr, m->auth_type);
	buf_put_u16le(wr, (uint16_t)m->auth_len);
	buf_put_u16le(wr, 0);
	buf_put_bytes(wr, m->auth, m->auth_len);
	op_request_encode(wr, &m->op);
}

int
ipc_request_decode(const uint8_t *data, size_t len, struct ipc_request *m)
{
	struct buf_reader rd;

	buf_reader_init(&rd, data, len);
	m->provider = buf_get_u8(&rd);
	m->auth_type = buf_get_u8(&rd);
	m->auth_len = buf_get_u16le(&rd);
	if (buf_get_u16le(&rd) != 0)
		return -1;
	m->auth = buf_get_bytes(&rd, m->auth_len);
	if (op_request_decode(&rd, &m->op) == -1)
		return -1;
	return buf_reader_done(&rd) ? 0 : -1;
}

size_t
ipc_prov_request_encoded_len(const struct ipc_prov_request *m)
{
	return 4 + m->key_ref_len + op_request_encoded_len(&m->op);
}

void
ipc_prov_request_encode(struct buf_writer *wr, const struct ipc_prov_request *m)
{
	buf_put_blob(wr, m->key_ref, m->key_ref_len);
	op_request_encode(wr, &m->op);
}

int
ipc_prov_request_decode(const uint8_t *data, size_t len, struct ipc_prov_request *m)
{
	struct buf_reader rd;

	buf_reader_init(&rd, data, len);
	m->key_ref = buf_get_blob(&rd, IPC_MAX_PAYLOAD, &m->key_ref_len);
	if (op_request_decode(&rd, &m->op) == -1)
		return -1;
	return buf_reader_done(&rd) ? 0 : -1;
}

void
ipc_prov_info_encode(struct buf_writer *wr, const struct ipc_prov_info *m)
{
	uint32_t i;

	op_list_put_provider(wr, &m->info);
	buf_put_u32le(wr, m->opcode_count);
	for (i = 0; i < m->opcode_count; i++)
		buf_put_u32le(wr, m->opcodes[i]);
}

int
ipc_prov_info_decode(const uint8_t *data, size_t len, struct ipc_prov_info *m)
{
	struct buf_reader rd;
	uint32_t i;

	buf_reader_init(&rd, data, len);
	if (op_list_get_provider(&rd, &m->info) == -1)
		return -1;
	m->opcode_count = buf_get_u32le(&rd);
	if (m->opcode_count > IPC_MSG_MAX_OPCODES)
		return -1;
	for (i = 0; i < m->opcode_count; i++)
		m->opcodes[i] = buf_get_u32le(&rd);
	return buf_reader_done(&rd) ? 0 : -1;
}
