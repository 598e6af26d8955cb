/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the internal IPC decoders brokerd and the providers run
 * on what they receive: framing, the operation and result forms, the setup
 * messages and list items. Malformed internal input is fatal by design; the
 * decoders themselves must never read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ipc.h"
#include "log.h"
#include "op.h"
#include "setup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct setup_broker broker;
	static int initialised;
	struct setup_front front;
	struct setup_provider provider;
	struct setup_provider_ref ref;
	struct op_request req;
	struct op_result res;
	struct op_provider_info pinfo;
	struct op_authenticator_info ainfo;
	struct op_key_info kinfo;
	struct buf_reader rd;
	const char *why;
	size_t len;

	if (!initialised) {
		log_init("fuzz", LOG_LVL_ERROR, 0);
		initialised = 1;
	}
	(void)ipc_frame_len(data, size, &why);
	/* brokerd's IPC_REQUEST payload: provider, auth type, auth, operation. */
	buf_reader_init(&rd, data, size);
	(void)buf_get_u8(&rd);
	(void)buf_get_u8(&rd);
	len = buf_get_u16le(&rd);
	(void)buf_get_u16le(&rd);
	(void)buf_get_bytes(&rd, len);
	(void)op_request_decode(&rd, &req);
	/* A provider's IPC_PROV_REQUEST: key reference, operation. */
	buf_reader_init(&rd, data, size);
	(void)buf_get_blob(&rd, IPC_MAX_PAYLOAD, &len);
	(void)op_request_decode(&rd, &req);
	/* Results and their list items, as frontd and brokerd read them. */
	buf_reader_init(&rd, data, size);
	if (op_result_decode(&rd, &res) == 0) {
		struct buf_reader items;

		buf_reader_init(&items, res.list.ptr, res.list.len);
		(void)op_list_get_provider(&items, &pinfo);
		buf_reader_init(&items, res.list.ptr, res.list.len);
		(void)op_list_get_authenticator(&items, &ainfo);
		buf_reader_init(&items, res.list.ptr, res.list.len);
		(void)op_list_get_key(&items, &kinfo);
	}
	(void)setup_front_decode(data, size, &front);
	(void)setup_broker_decode(data, size, &broker);
	(void)setup_provider_decode(data, size, &provider);
	(void)setup_provider_ref_decode(data, size, &ref);
	return 0;
}
