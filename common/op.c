/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writers and readers of the internal operation form and list items, each
 * from one table of its fields in wire order; every field is bounded when
 * read. They are parts of the ipc_msg.c messages, which check the end.
 */
#include <string.h>

#include "ipc.h"
#include "op.h"

/* struct op_key_attrs a in struct t; struct op_bytes b in struct t. */
#define OP_ATTRS(t, a) BUF_F_U32(t, a.type), BUF_F_U32(t, a.bits), BUF_F_U32(t, a.usage), \
	BUF_F_U32(t, a.alg)
#define OP_BYTES(t, b) BUF_F_REF(t, b.ptr, b.len, IPC_MAX_PAYLOAD)

static const struct buf_field op_request_fields[] = {
	BUF_F_U32(struct op_request, opcode), BUF_F_U64(struct op_request, number),
	BUF_F_U32(struct op_request, alg), OP_ATTRS(struct op_request, attrs),
	BUF_F_STR(struct op_request, key_name), BUF_F_STR(struct op_request, client),
	OP_BYTES(struct op_request, in[0]), OP_BYTES(struct op_request, in[1]),
	OP_BYTES(struct op_request, in[2]), BUF_F_U32(struct op_request, handle),
	BUF_F_U32(struct op_request, handle2), BUF_F_U32(struct op_request, step),
	BUF_F_U64(struct op_request, number2), BUF_F_U64(struct op_request, conn),
};

static const struct buf_field op_result_fields[] = {
	BUF_F_U32(struct op_result, status), OP_BYTES(struct op_result, out[0]),
	OP_BYTES(struct op_result, out[1]), OP_BYTES(struct op_result, out[2]),
	OP_BYTES(struct op_result, out[3]), BUF_F_U32(struct op_result, list_count),
	OP_BYTES(struct op_result, list),
};

static const struct buf_field op_provider_fields[] = {
	BUF_F_STR(struct op_provider_info, uuid), BUF_F_STR(struct op_provider_info, description),
	BUF_F_STR(struct op_provider_info, vendor), BUF_F_U32(struct op_provider_info, version_maj),
	BUF_F_U32(struct op_provider_info, version_min),
	BUF_F_U32(struct op_provider_info, version_rev), BUF_F_U32(struct op_provider_info, id),
};

static const struct buf_field op_authenticator_fields[] = {
	BUF_F_STR(struct op_authenticator_info, description),
	BUF_F_U32(struct op_authenticator_info, version_maj),
	BUF_F_U32(struct op_authenticator_info, version_min),
	BUF_F_U32(struct op_authenticator_info, version_rev),
	BUF_F_U32(struct op_authenticator_info, id),
};

static const struct buf_field op_key_fields[] = {
	BUF_F_U32(struct op_key_info, provider_id), BUF_F_STR(struct op_key_info, name),
	OP_ATTRS(struct op_key_info, attrs),
};

_Static_assert(OP_MAX_INPUTS == 3 && OP_MAX_OUTPUTS == 4, "op_request_fields, op_result_fields");

/* Reads one item of fields into s, zeroed first: 0, or -1 if rd failed. */
static int
op_get(struct buf_reader *rd, void *s, size_t size, const struct buf_field *fields, size_t n)
{
	memset(s, 0, size);
	buf_get_fields(rd, s, fields, n);
	return buf_reader_ok(rd) ? 0 : -1;
}

/* The writer, size and reader of form NAME (struct op_NAME), from op_NAME_fields. */
#define OP_FORM_CODEC(name)                                                                  \
	void op_##name##_put(struct buf_writer *wr, const struct op_##name *form)            \
	{                                                                                    \
		buf_put_fields(wr, form, BUF_FIELDS(op_##name##_fields));                    \
	}                                                                                    \
	size_t op_##name##_put_len(const struct op_##name *form)                             \
	{                                                                                    \
		return buf_fields_len(form, BUF_FIELDS(op_##name##_fields));                 \
	}                                                                                    \
	int op_##name##_get(struct buf_reader *rd, struct op_##name *form)                   \
	{                                                                                    \
		return op_get(rd, form, sizeof(*form), BUF_FIELDS(op_##name##_fields));      \
	}
OP_FORM_CODEC(request)
OP_FORM_CODEC(result)

void
op_result_status(struct op_result *res, uint32_t status)
{
	memset(res, 0, sizeof(*res));
	res->status = status;
}

/* The writer and reader of list item NAME (struct op_NAME_info), from op_NAME_fields. */
#define OP_LIST_CODEC(name)                                                                 \
	void op_list_put_##name(struct buf_writer *wr, const struct op_##name##_info *info) \
	{                                                                                   \
		buf_put_fields(wr, info, BUF_FIELDS(op_##name##_fields));                   \
	}                                                                                   \
	int op_list_get_##name(struct buf_reader *rd, struct op_##name##_info *info)        \
	{                                                                                   \
		return op_get(rd, info, sizeof(*info), BUF_FIELDS(op_##name##_fields));     \
	}
OP_LIST_CODEC(provider)
OP_LIST_CODEC(authenticator)
OP_LIST_CODEC(key)
