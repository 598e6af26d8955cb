/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a client's request as frontd parses it, header and body
 * for every opcode, then the encoding of a result for the same opcode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontd.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_one(const uint8_t *data, size_t size)
{
	struct front_request req;
	struct op_result res;
	uint8_t *body = NULL;
	size_t body_len = 0;

	if (front_parse_request(data, size, 1024 * 1024, &req) != ST_SUCCESS)
		return;
	/* Echo the request's own bytes back as a result to exercise the encoders. */
	memset(&res, 0, sizeof(res));
	res.out[0] = req.op.in[0];
	res.out[1] = req.op.in[1];
	front_encode_result(req.hdr.opcode, &res, &body, &body_len);
	free(body);
	front_body_free(req.storage);
}

/*
 * The input is tried twice: as raw bytes (header faults), and as an opcode
 * byte plus a body wrapped in a well-formed header, so every operation's body
 * decoder sees mutated protobuf.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	struct wire_hdr hdr;
	uint8_t *wrapped;

	if (!initialised) {
		log_init("fuzz", LOG_LVL_ERROR, 0);
		initialised = 1;
	}
	fuzz_one(data, size);
	if (size < 1 || size > 1024 * 1024)
		return 0;
	if ((wrapped = malloc(WIRE_HDR_LEN + size)) == NULL)
		return 0;
	memset(&hdr, 0, sizeof(hdr));
	hdr.opcode = (uint32_t)(data[0] & 0x3f);
	hdr.provider = wire_opcode_is_core(hdr.opcode) ? 0 : 1;
	hdr.body_len = (uint32_t)(size - 1);
	wire_encode_hdr(&hdr, wrapped);
	memcpy(wrapped + WIRE_HDR_LEN, data + 1, size - 1);
	fuzz_one(wrapped, WIRE_HDR_LEN + size - 1);
	free(wrapped);
	return 0;
}
