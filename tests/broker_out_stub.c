/* SPDX-License-Identifier: Apache-2.0 */
/*
 * brokerd's output layer for tests/check_broker: instead of sending, it
 * records what would have gone to frontd, the workers and the parent (as
 * OpenIKED's regress tests replace its senders), with the same signatures
 * and results as brokerd/broker_out.c for messages under the IPC cap.
 */
#include <check.h>
#include <string.h>

#include "brokerd.h"
#include "broker_out_stub.h"
#include "ipc_msg.h"

struct stub_out stub_out;

int
broker_out_reply(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    const struct op_result *res)
{
	struct stub_reply *r;

	(void)b;
	ck_assert_uint_lt(stub_out.reply_count, STUB_MAX);
	r = &stub_out.replies[stub_out.reply_count++];
	r->conn_id = conn_id;
	r->req_id = req_id;
	r->status = res->status;
	return 0;
}

static struct stub_send *
stub_record(struct stub_send *list, size_t *count, const struct broker_worker *w,
    const uint8_t *key_ref, size_t key_ref_len)
{
	struct stub_send *s;

	ck_assert_uint_lt(*count, STUB_MAX);
	ck_assert_uint_le(key_ref_len, STUB_REF_MAX);
	s = &list[(*count)++];
	memset(s, 0, sizeof(*s));
	s->provider = w->provider->id;
	s->worker = w->index;
	if (key_ref_len > 0)
		memcpy(s->key_ref, key_ref, key_ref_len);
	s->key_ref_len = key_ref_len;
	return s;
}

int
broker_out_worker_send(struct broker_worker *w, uint64_t prov_req_id, const uint8_t *msg,
    size_t msg_len)
{
	struct ipc_prov_request m;
	struct stub_send *s;

	/* What a worker would decode (providerd/providerd.c): it must be well formed. */
	ck_assert_int_eq(ipc_prov_request_decode(msg, msg_len, &m), 0);
	s = stub_record(stub_out.sends, &stub_out.send_count, w, m.key_ref, m.key_ref_len);
	s->prov_req_id = prov_req_id;
	s->opcode = m.op.opcode;
	s->handle = m.op.handle;
	s->handle2 = m.op.handle2;
	s->conn = m.op.conn;
	ck_assert_uint_le(m.op.in[0].len, STUB_REF_MAX);
	if (m.op.in[0].len > 0)
		memcpy(s->in0, m.op.in[0].ptr, m.op.in[0].len);
	s->in0_len = m.op.in[0].len;
	return 0;
}

int
broker_out_forget(struct broker_worker *w, const uint8_t *key_ref, size_t key_ref_len)
{
	stub_record(stub_out.forgets, &stub_out.forget_count, w, key_ref, key_ref_len);
	return 0;
}

int
broker_out_drop(struct broker_worker *w, uint64_t conn_id)
{
	(void)w;
	(void)conn_id;
	stub_out.drop_count++;
	return 0;
}

void
broker_out_worker_fault(struct broker_worker *w, const char *what)
{
	(void)w;
	(void)what;
	stub_out.fault_count++;
}

void
broker_out_front_local(struct broker_ctx *b, uint32_t random_auths)
{
	(void)b;
	stub_out.front_random_auths = random_auths;
	stub_out.front_local_count++;
}

void
broker_out_parent(struct broker_ctx *b, uint32_t type, const uint8_t *data, size_t len)
{
	(void)b;
	(void)data;
	(void)len;
	ck_assert_uint_lt(stub_out.parent_count, STUB_MAX);
	stub_out.parent_types[stub_out.parent_count++] = type;
}
