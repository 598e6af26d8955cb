/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a service's response as libparsec reads it: the header,
 * then the body as each operation's Result through the codec library's
 * client side (outputs into a small and a large buffer), with ListKeys' key
 * attributes converted back to PSA values as parsec_list_keys does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "list_keys.pb.h"
#include "psa_codec.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_result(const struct pc_codec *codec, const uint8_t *body, size_t len, size_t cap)
{
	static uint8_t out[64 * 1024];
	struct pc_sink sink = { out, cap, 0 };
	pb_istream_t in = pb_istream_from_buffer(body, len);
	void *res = calloc(1, codec->res_size);

	if (res == NULL)
		return;
	pc_result_prepare(codec, res, &sink);
	(void)pb_decode(&in, codec->res_fields, res);
	pc_result_collect(codec, res, &sink);
	if (codec->opcode == OP_LIST_KEYS) {
		list_keys_Result *keys = res;
		struct op_key_attrs attrs;
		size_t i;

		for (i = 0; i < keys->keys_count && keys->keys != NULL; i++)
			(void)pc_key_attrs_from_pb(&keys->keys[i].attributes, &attrs);
	}
	pb_release(codec->res_fields, res);
	free(res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pc_codec *codec;
	struct wire_hdr hdr;
	const uint8_t *body;
	size_t body_len;
	uint32_t opcode;

	if (wire_decode_response_hdr(data, size, &hdr) == -1)
		return 0;
	body = data + WIRE_HDR_LEN;
	body_len = size - WIRE_HDR_LEN;
	if (hdr.body_len < body_len)
		body_len = hdr.body_len;
	for (opcode = 0; opcode <= OP_CAN_DO_CRYPTO; opcode++) {
		if ((codec = pc_codec_find(opcode)) == NULL)
			continue;
		fuzz_result(codec, body, body_len, 16);
		fuzz_result(codec, body, body_len, 64 * 1024);
	}
	return 0;
}
