/* SPDX-License-Identifier: Apache-2.0 */
/*
 * brokerd's output layer: what leaves for frontd, a provider worker or the
 * parent. It calls nothing of brokerd's above it, so the unit tests put
 * tests/broker_out_stub.c in its place and read what would have been sent.
 */
#include <stdlib.h>

#include "brokerd.h"
#include "hoptime.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "wipe.h"

int
broker_out_reply(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    const struct op_result *res)
{
	size_t len;
	uint8_t *buf = ipc_result_encode_alloc(res, &len);
	int r;

	HOPTIME("b.answer");
	r = ipc_send(b->proc.peer, IPC_RESPONSE, conn_id, req_id, -1, buf, len);
	wipe_free(buf, len);
	return r;
}

int
broker_out_worker_send(struct broker_worker *w, uint64_t prov_req_id, const uint8_t *msg,
    size_t msg_len)
{
	return ipc_send(w->chan, IPC_PROV_REQUEST, 0, prov_req_id, -1, msg, msg_len);
}

int
broker_out_forget(struct broker_worker *w, const uint8_t *key_ref, size_t key_ref_len)
{
	struct ipc_prov_forget m = { key_ref, key_ref_len };
	size_t len;
	uint8_t *buf = ipc_prov_forget_encode_alloc(&m, &len);
	int r;

	r = ipc_send(w->chan, IPC_PROV_FORGET, 0, 0, -1, buf, len);
	free(buf);
	return r;
}

int
broker_out_drop(struct broker_worker *w, uint64_t conn_id)
{
	struct ipc_prov_drop m = { conn_id };
	uint8_t buf[IPC_PROV_DROP_LEN];
	struct buf_writer wr;

	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_prov_drop_encode(&wr, &m);
	return ipc_send(w->chan, IPC_PROV_DROP, 0, 0, -1, buf, wr.off);
}

void
broker_out_worker_fault(struct broker_worker *w, const char *what)
{
	log_warnx("%s worker %u %s; dropping it", w->provider->name, w->index, what);
	ipc_chan_drop(w->chan);
}

void
broker_out_front_local(struct broker_ctx *b, uint32_t random_auths)
{
	ipc_send_front_local(b->proc.peer, random_auths);
}

void
broker_out_parent(struct broker_ctx *b, uint32_t type, const uint8_t *data, size_t len)
{
	ipc_send_ctl(b->proc.parent, type, 0, -1, data, len);
}
