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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct front_request req;
	struct op_result res;
	uint8_t *body = NULL;
	size_t body_len = 0;
	static int initialised;

	if (!initialised) {
		log_init("fuzz", LOG_LVL_ERROR, 0);
		initialised = 1;
	}
	if (front_parse_request(data, size, 1024 * 1024, &req) != ST_SUCCESS)
		return 0;
	/* Echo the request's own bytes back as a result to exercise the encoders. */
	memset(&res, 0, sizeof(res));
	res.out[0] = req.op.in[0];
	res.out[1] = req.op.in[1];
	front_encode_result(req.hdr.opcode, &res, &body, &body_len);
	free(body);
	front_body_free(req.storage);
	return 0;
}
