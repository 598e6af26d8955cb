/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the daemons' own internal IPC decoders on what they
 * receive: framing, every ipc_msg.h payload, the result form, the setup
 * messages and list items. Malformed internal input is fatal by design; the
 * decoders themselves must never read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ipc.h"
#include "ipc_msg.h"
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
	struct ipc_hello hello;
	struct ipc_provider_down down;
	struct ipc_provider_removed removed;
	struct ipc_request request;
	struct ipc_prov_request prov_request;
	static struct ipc_prov_info prov_info;
	struct op_result res;
	struct op_provider_info pinfo;
	struct op_authenticator_info ainfo;
	struct op_key_info kinfo;
	struct buf_reader rd;
	const char *why;

	if (!initialised) {
		log_init("fuzz", LOG_LVL_ERROR, 0);
		initialised = 1;
	}
	(void)ipc_frame_len(data, size, &why);
	/* Every payload decoder of ipc_msg.h, exactly as the daemons call them. */
	(void)ipc_hello_decode(data, size, &hello);
	(void)ipc_provider_down_decode(data, size, &down);
	(void)ipc_provider_removed_decode(data, size, &removed);
	(void)ipc_request_decode(data, size, &request);
	(void)ipc_prov_request_decode(data, size, &prov_request);
	(void)ipc_prov_info_decode(data, size, &prov_info);
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
