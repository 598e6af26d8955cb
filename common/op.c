/* SPDX-License-Identifier: Apache-2.0 */
/* Encoding of the internal operation form; every field is bounded on decode. */
#include <string.h>

#include "ipc.h"
#include "op.h"

static void
op_put_attrs(struct buf_writer *wr, const struct op_key_attrs *attrs)
{
	buf_put_u32le(wr, attrs->type);
	buf_put_u32le(wr, attrs->bits);
	buf_put_u32le(wr, attrs->usage);
	buf_put_u32le(wr, attrs->alg);
}

static void
op_get_attrs(struct buf_reader *rd, struct op_key_attrs *attrs)
{
	attrs->type = buf_get_u32le(rd);
	attrs->bits = buf_get_u32le(rd);
	attrs->usage = buf_get_u32le(rd);
	attrs->alg = buf_get_u32le(rd);
}

static void
op_get_bytes(struct buf_reader *rd, struct op_bytes *b)
{
	b->ptr = buf_get_blob(rd, IPC_MAX_PAYLOAD, &b->len);
}

void
op_request_encode(struct buf_writer *wr, const struct op_request *req)
{
	size_t i;

	buf_put_u32le(wr, req->opcode);
	buf_put_u64le(wr, req->number);
	buf_put_u32le(wr, req->alg);
	op_put_attrs(wr, &req->attrs);
	buf_put_str(wr, req->key_name);
	buf_put_str(wr, req->client);
	for (i = 0; i < OP_MAX_INPUTS; i++)
		buf_put_blob(wr, req->in[i].ptr, req->in[i].len);
}

size_t
op_request_encoded_len(const struct op_request *req)
{
	size_t len = 4 + 8 + 4 + 16 + 4 + strlen(req->key_name) + 4 + strlen(req->client);
	size_t i;

	for (i = 0; i < OP_MAX_INPUTS; i++)
		len += 4 + req->in[i].len;
	return len;
}

int
op_request_decode(struct buf_reader *rd, struct op_request *req)
{
	size_t i;

	memset(req, 0, sizeof(*req));
	req->opcode = buf_get_u32le(rd);
	req->number = buf_get_u64le(rd);
	req->alg = buf_get_u32le(rd);
	op_get_attrs(rd, &req->attrs);
	buf_get_str(rd, req->key_name, sizeof(req->key_name));
	buf_get_str(rd, req->client, sizeof(req->client));
	for (i = 0; i < OP_MAX_INPUTS; i++)
		op_get_bytes(rd, &req->in[i]);
	return buf_reader_ok(rd) ? 0 : -1;
}

void
op_result_encode(struct buf_writer *wr, const struct op_result *res)
{
	size_t i;

	buf_put_u32le(wr, res->status);
	for (i = 0; i < OP_MAX_OUTPUTS; i++)
		buf_put_blob(wr, res->out[i].ptr, res->out[i].len);
	buf_put_u32le(wr, res->list_count);
	buf_put_blob(wr, res->list.ptr, res->list.len);
}

size_t
op_result_encoded_len(const struct op_result *res)
{
	size_t len = 4 + 4 + 4 + res->list.len;
	size_t i;

	for (i = 0; i < OP_MAX_OUTPUTS; i++)
		len += 4 + res->out[i].len;
	return len;
}

int
op_result_decode(struct buf_reader *rd, struct op_result *res)
{
	size_t i;

	memset(res, 0, sizeof(*res));
	res->status = buf_get_u32le(rd);
	for (i = 0; i < OP_MAX_OUTPUTS; i++)
		op_get_bytes(rd, &res->out[i]);
	res->list_count = buf_get_u32le(rd);
	op_get_bytes(rd, &res->list);
	return buf_reader_ok(rd) ? 0 : -1;
}

void
op_result_status(struct op_result *res, uint32_t status)
{
	memset(res, 0, sizeof(*res));
	res->status = status;
}

void
op_list_put_provider(struct buf_writer *wr, const struct op_provider_info *info)
{
	buf_put_str(wr, info->uuid);
	buf_put_str(wr, info->description);
	buf_put_str(wr, info->vendor);
	buf_put_u32le(wr, info->version_maj);
	buf_put_u32le(wr, info->version_min);
	buf_put_u32le(wr, info->version_rev);
	buf_put_u32le(wr, info->id);
}

int
op_list_get_provider(struct buf_reader *rd, struct op_provider_info *info)
{
	buf_get_str(rd, info->uuid, sizeof(info->uuid));
	buf_get_str(rd, info->description, sizeof(info->description));
	buf_get_str(rd, info->vendor, sizeof(info->vendor));
	info->version_maj = buf_get_u32le(rd);
	info->version_min = buf_get_u32le(rd);
	info->version_rev = buf_get_u32le(rd);
	info->id = buf_get_u32le(rd);
	return buf_reader_ok(rd) ? 0 : -1;
}

void
op_list_put_authenticator(struct buf_writer *wr, const struct op_authenticator_info *info)
{
	buf_put_str(wr, info->description);
	buf_put_u32le(wr, info->version_maj);
	buf_put_u32le(wr, info->version_min);
	buf_put_u32le(wr, info->version_rev);
	buf_put_u32le(wr, info->id);
}

int
op_list_get_authenticator(struct buf_reader *rd, struct op_authenticator_info *info)
{
	buf_get_str(rd, info->description, sizeof(info->description));
	info->version_maj = buf_get_u32le(rd);
	info->version_min = buf_get_u32le(rd);
	info->version_rev = buf_get_u32le(rd);
	info->id = buf_get_u32le(rd);
	return buf_reader_ok(rd) ? 0 : -1;
}

void
op_list_put_key(struct buf_writer *wr, const struct op_key_info *info)
{
	buf_put_u32le(wr, info->provider_id);
	buf_put_str(wr, info->name);
	op_put_attrs(wr, &info->attrs);
}

int
op_list_get_key(struct buf_reader *rd, struct op_key_info *info)
{
	info->provider_id = buf_get_u32le(rd);
	buf_get_str(rd, info->name, sizeof(info->name));
	op_get_attrs(rd, &info->attrs);
	return buf_reader_ok(rd) ? 0 : -1;
}
