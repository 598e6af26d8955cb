/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The codec rows of parsecd's key extensions (volatile keys, key copy),
 * found by their opcode as every other row. ExtCopyKey carries the
 * new key as key_name and the existing one as client, as AttestKey carries
 * its second key, and whether the new key is volatile as number.
 */
#include <stddef.h>
#include <string.h>

#include "psa_codec.h"
#include "row.h"
#include "wire.h"

#include "ext_key_copy.pb.h"
#include "psa_generate_key.pb.h"
#include "psa_import_key.pb.h"

#define EXT_ROW(op, P) .opcode = op, .op_fields = P##_Operation_fields, \
	.op_size = sizeof(P##_Operation), .res_fields = P##_Result_fields, \
	.res_size = sizeof(P##_Result)
#define EXT_ATTRS(P) .attrs = 1, .attrs_off = offsetof(P##_Operation, attributes), \
	.attrs_has_off = offsetof(P##_Operation, has_attributes)
#define EXT_NAME(role, P, f) .name_role = role, .name_off = offsetof(P##_Operation, f), \
	.name_size = sizeof(((P##_Operation *)0)->f)

static const struct pc_codec pc_ext_key_codecs[] = {
	/* The bodies of PsaGenerateKey and PsaImportKey: only the opcode differs. */
	{ EXT_ROW(OP_EXT_GENERATE_VOLATILE, psa_generate_key), EXT_ATTRS(psa_generate_key),
	  EXT_NAME(1, psa_generate_key, key_name) },
	{ EXT_ROW(OP_EXT_IMPORT_VOLATILE, psa_import_key), EXT_ATTRS(psa_import_key),
	  EXT_NAME(1, psa_import_key, key_name),
	  .in = { { PC_POINTER, 0, offsetof(psa_import_key_Operation, data), 0 } } },
	/*
	 * Two names: the row's name slot holds the new key; the source and the
	 * attributes, whose type may be left out, are pc_ext_key_copy_get/put's.
	 */
	{ EXT_ROW(OP_EXT_COPY_KEY, ext_key_copy), EXT_NAME(1, ext_key_copy, target_key_name),
	  .num_size = sizeof(uint32_t), .num_off = offsetof(ext_key_copy_Operation, is_volatile),
	  .num_min = 0, .num_max = 1 },
};

const struct pc_codec *
pc_ext_key_codec_find(uint32_t opcode)
{
	return ROW_FIND(pc_ext_key_codecs, struct pc_codec, opcode, opcode);
}

/*
 * A copy's attributes may leave the type out (PSA_KEY_TYPE_NONE: the
 * source's), which no other operation's attributes may: decoded and
 * encoded through the common converters with a stand-in type.
 */
#define EXT_STAND_IN psa_key_attributes_KeyType_raw_data_tag

uint32_t
pc_ext_key_copy_get(const void *msg, struct op_request *req)
{
	const ext_key_copy_Operation *m = msg;
	psa_key_attributes_KeyAttributes pb = m->attributes;
	bool typed = pb.has_key_type;

	if (!m->has_attributes ||
	    pc_name_get(req->client, m->source_key_name, sizeof(m->source_key_name)) == -1)
		return ST_INVALID_ENCODING;
	if (!typed) {
		pb.has_key_type = true;
		memset(&pb.key_type, 0, sizeof(pb.key_type));
		pb.key_type.which_variant = EXT_STAND_IN;
	}
	if (pc_key_attrs_from_pb(&pb, &req->attrs) == -1)
		return ST_INVALID_ENCODING;
	if (!typed)
		req->attrs.type = 0;
	return ST_SUCCESS;
}

uint32_t
pc_ext_key_copy_put(const struct op_request *req, void *msg)
{
	ext_key_copy_Operation *m = msg;
	struct op_key_attrs attrs = req->attrs;
	size_t len = strnlen(req->client, sizeof(req->client));

	if (len == 0 || len >= sizeof(m->source_key_name))
		return ST_PSA_INVALID_ARGUMENT;
	memcpy(m->source_key_name, req->client, len + 1);
	if (attrs.type == 0)
		attrs.type = 0x1001; /* PSA_KEY_TYPE_RAW_DATA, taken out again below */
	if (pc_key_attrs_to_pb(&attrs, &m->attributes) == -1)
		return ST_PSA_INVALID_ARGUMENT;
	m->has_attributes = true;
	if (req->attrs.type == 0) {
		m->attributes.has_key_type = false;
		memset(&m->attributes.key_type, 0, sizeof(m->attributes.key_type));
	}
	return ST_SUCCESS;
}
