/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-application quotas on the key store ([privsep] max_keys_per_application
 * and max_key_bytes_per_application): checked before a creation reserves anything.
 */
#include <stdint.h>

#include "kim.h"
#include "brokerd.h"
#include "log.h"
#include "wire.h"

uint64_t
broker_quota_bytes(const struct op_request *op)
{
	uint64_t bits_bytes = ((uint64_t)op->attrs.bits + 7) / 8;

	if (wire_opcode_base(op->opcode) == OP_PSA_IMPORT_KEY && op->in[0].len > bits_bytes)
		return op->in[0].len;
	return bits_bytes;
}

uint32_t
broker_quota_check(const struct broker_ctx *b, const struct broker_identity *id,
    const struct op_request *op)
{
	uint32_t max_keys = b->setup.max_keys_per_application;
	uint64_t max_bytes = b->setup.max_key_bytes_per_application;
	uint64_t keys, bytes, add = broker_quota_bytes(op);

	if (max_keys == 0 && max_bytes == 0)
		return ST_SUCCESS;
	if (kim_usage(id->auth_type, id->app_name, &keys, &bytes) == -1)
		return ST_KEY_INFO_MANAGER_ERROR;
	if (max_keys != 0 && keys >= max_keys) {
		log_info("application of auth type %u: at its quota of %u keys", id->auth_type,
		    max_keys);
		return ST_PSA_INSUFFICIENT_STORAGE;
	}
	if (max_bytes != 0 && (add > max_bytes || bytes > max_bytes - add)) {
		log_info("application of auth type %u: %llu more bytes pass its quota of %llu",
		    id->auth_type, (unsigned long long)add, (unsigned long long)max_bytes);
		return ST_PSA_INSUFFICIENT_STORAGE;
	}
	return ST_SUCCESS;
}
