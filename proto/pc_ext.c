/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsecd's extension opcodes (multipart operations, key derivation): their
 * one Operation to the internal operation form, and the internal result to
 * their one Result. The data fields are never copied: they point into the
 * body (pc_bytes.c).
 */
#include <string.h>

#include "pc_ext.h"
#include "psa_codec.h"
#include "wire.h"

#include "ext_mp.pb.h"

int
pc_ext_carries(uint32_t opcode)
{
	return wire_opcode_is_ext(opcode) && wire_opcode_known(opcode) &&
	    wire_opcode_mp_role(opcode) != WIRE_MP_NONE;
}

/* The setups whose Operation says which way they go (reverse). */
static int
pc_ext_has_direction(uint32_t opcode)
{
	return opcode == OP_EXT_MAC_SETUP || opcode == OP_EXT_CIPHER_SETUP ||
	    opcode == OP_EXT_AEAD_SETUP;
}

/* A decoded Operation's values into op: ST_SUCCESS or ST_INVALID_ENCODING. */
static uint32_t
pc_ext_fill(uint32_t opcode, const ext_mp_Operation *m, struct op_request *op)
{
	op->handle = m->handle;
	op->alg = m->alg;
	op->step = m->step;
	memcpy(op->key_name, m->key_name, sizeof(m->key_name));
	op->number = pc_ext_has_direction(opcode) ? m->reverse : m->number;
	if (opcode == OP_EXT_KDF_OUTPUT_KEY)
		op->number2 = m->is_volatile;
	else if (opcode == OP_EXT_AEAD_SET_LENGTHS)
		op->number2 = m->text_length;
	else
		op->number2 = m->has_output_size ? m->output_size : PC_EXT_NO_LIMIT;
	if (opcode == OP_EXT_KDF_OUTPUT_KEY) {
		if (!m->has_attributes || pc_key_attrs_from_pb(&m->attributes, &op->attrs) == -1)
			return ST_INVALID_ENCODING;
	}
	return ST_SUCCESS;
}

_Static_assert(sizeof(((ext_mp_Operation *)0)->key_name) == OP_NAME_MAX, "key names");

uint32_t
pc_ext_request_decode(uint32_t opcode, const uint8_t *body, size_t len, struct op_request *op)
{
	ext_mp_Operation m = ext_mp_Operation_init_zero;
	pb_istream_t in;
	uint32_t status;

	memset(op, 0, sizeof(*op));
	op->opcode = opcode;
	if (!pc_ext_carries(opcode))
		return ST_PSA_NOT_SUPPORTED;
	if (!pc_names_valid(ext_mp_Operation_fields, body, len))
		return ST_PSA_INVALID_ARGUMENT;
	PC_BYTES_IN(m.input, &op->in[0]);
	PC_BYTES_IN(m.expected, &op->in[1]);
	in = pb_istream_from_buffer(body, len);
	if (!pb_decode(&in, ext_mp_Operation_fields, &m))
		status = ST_DESERIALIZING_BODY_FAILED;
	else
		status = pc_ext_fill(opcode, &m, op);
	if (status != ST_SUCCESS) {
		memset(op, 0, sizeof(*op));
		op->opcode = opcode;
		return status;
	}
	return ST_SUCCESS;
}

/* The little-endian number a worker answers in out[3], or 0 if none. */
static uint64_t
pc_ext_number(const struct op_result *res)
{
	uint64_t v = 0;
	size_t i;

	if (res->out[3].len != PC_EXT_NUMBER_LEN)
		return 0;
	for (i = PC_EXT_NUMBER_LEN; i > 0; i--)
		v = v << 8 | res->out[3].ptr[i - 1];
	return v;
}

uint32_t
pc_ext_result_encode(uint32_t opcode, const struct op_result *res, uint8_t **body, size_t *len)
{
	ext_mp_Result m = ext_mp_Result_init_zero;
	uint64_t number = pc_ext_number(res);

	if (wire_opcode_mp_role(opcode) == WIRE_MP_START)
		m.handle = (uint32_t)number;
	else if (opcode == OP_EXT_KDF_GET_CAPACITY)
		m.capacity = number;
	PC_BYTES_OUT(m.output, &res->out[0]);
	PC_BYTES_OUT(m.tag, &res->out[2]);
	return pc_encode(ext_mp_Result_fields, &m, body, len) == 0 ? ST_SUCCESS :
	    ST_SERIALIZING_BODY_FAILED;
}
