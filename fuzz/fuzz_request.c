/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a client's request as the service reads it: the header
 * (wire.c), then the body through the codec library as frontd runs it for
 * every opcode, then the encoding of a result for the same opcode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_ext.h"
#include "psa_codec.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* parsecd's extension opcodes: their own codec (pc_ext.c), then a result echoing the inputs. */
static void
fuzz_ext(uint32_t opcode, const uint8_t *body, size_t len)
{
	static const uint8_t number[PC_EXT_NUMBER_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct op_request op;
	struct op_result res;
	uint8_t *out = NULL;
	size_t out_len = 0;

	if (pc_ext_request_decode(opcode, body, len, &op) != ST_SUCCESS)
		return;
	op_result_status(&res, ST_SUCCESS);
	res.out[0] = op.in[0];
	res.out[2] = op.in[1];
	res.out[3] = (struct op_bytes){ number, sizeof(number) };
	if (pc_ext_result_encode(opcode, &res, &out, &out_len) == ST_SUCCESS)
		free(out);
}

static void
fuzz_one(const uint8_t *data, size_t size)
{
	const struct pc_codec *codec;
	struct wire_hdr hdr;
	struct op_request req;
	struct op_result echo;
	struct pc_msg *msg;
	uint8_t *body = NULL;
	size_t body_len = 0;
	void *res;

	if (wire_decode_request_hdr(data, size, 1024 * 1024, &hdr) != WIRE_HDR_OK ||
	    size - WIRE_HDR_LEN != (size_t)hdr.body_len + hdr.auth_len)
		return;
	if (pc_ext_carries(hdr.opcode)) {
		fuzz_ext(hdr.opcode, data + WIRE_HDR_LEN, hdr.body_len);
		return;
	}
	if ((codec = pc_codec_find(hdr.opcode)) == NULL ||
	    pc_request_decode(codec, data + WIRE_HDR_LEN, hdr.body_len, &req, &msg) != ST_SUCCESS)
		return;
	/* Echo the request's own bytes back as a result to exercise the encoders. */
	op_result_status(&echo, ST_SUCCESS);
	echo.out[0] = req.in[0];
	echo.out[2] = req.in[1];
	echo.out[3] = req.in[2];
	if ((res = calloc(1, codec->res_size)) != NULL) {
		if (pc_result_fill(codec, &echo, res) == 0 &&
		    pc_encode(codec->res_fields, res, &body, &body_len) == 0)
			free(body);
		pb_release(codec->res_fields, res);
		free(res);
	}
	pc_msg_free(msg);
}

/*
 * The input is tried twice: as raw bytes (header faults), and as an opcode
 * byte plus a body wrapped in a well-formed header, so every operation's body
 * decoder sees mutated protobuf. An opcode byte with its top bit set names an
 * extension opcode (WIRE_OP_EXT_MIN plus its low seven bits).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_hdr hdr;
	uint8_t *wrapped;

	fuzz_one(data, size);
	if (size < 1 || size > 1024 * 1024)
		return 0;
	if ((wrapped = malloc(WIRE_HDR_LEN + size)) == NULL)
		return 0;
	memset(&hdr, 0, sizeof(hdr));
	hdr.opcode = data[0] & 0x80 ? WIRE_OP_EXT_MIN + (data[0] & 0x7fu) : (uint32_t)(data[0] & 0x3f);
	hdr.provider = wire_opcode_is_core(hdr.opcode) ? 0 : 1;
	hdr.body_len = (uint32_t)(size - 1);
	wire_encode_hdr(&hdr, wrapped);
	memcpy(wrapped + WIRE_HDR_LEN, data + 1, size - 1);
	fuzz_one(wrapped, WIRE_HDR_LEN + size - 1);
	free(wrapped);
	return 0;
}
