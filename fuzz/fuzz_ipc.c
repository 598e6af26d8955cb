/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: every internal message decoder, and only those: the
 * ipc_msg.h ones and the setup.h ones, each on the whole input as a payload,
 * as the daemons call them. Malformed internal input is fatal by design; the
 * decoders themselves must never read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_msg.h"
#include "log.h"
#include "op.h"
#include "setup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct setup_broker broker;
	static struct setup_provider provider;
	static struct ipc_prov_info prov_info;
	static int initialised;
	struct setup_front front;
	struct setup_provider_ref ref;
	struct ipc_hello hello;
	struct ipc_ready ready;
	struct ipc_provider_down down;
	struct ipc_provider_removed removed;
	struct ipc_front_local front_local;
	struct ipc_request request;
	struct ipc_prov_request prov_request;
	struct ipc_prov_forget forget;
	struct ipc_prov_drop drop;
	struct op_result res;

	if (!initialised) {
		log_init("fuzz", LOG_LVL_ERROR, 0);
		initialised = 1;
	}
	(void)ipc_hello_decode(data, size, &hello);
	(void)ipc_ready_decode(data, size, &ready);
	(void)ipc_provider_down_decode(data, size, &down);
	(void)ipc_provider_removed_decode(data, size, &removed);
	(void)ipc_front_local_decode(data, size, &front_local);
	(void)ipc_request_decode(data, size, &request);
	(void)ipc_prov_request_decode(data, size, &prov_request);
	(void)ipc_prov_info_decode(data, size, &prov_info);
	(void)ipc_result_decode(data, size, &res);
	(void)ipc_prov_forget_decode(data, size, &forget);
	(void)ipc_prov_drop_decode(data, size, &drop);
	(void)setup_front_decode(data, size, &front);
	(void)setup_broker_decode(data, size, &broker);
	(void)setup_provider_decode(data, size, &provider);
	(void)setup_provider_ref_decode(data, size, &ref);
	return 0;
}
