/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the service says of one of the application's keys: its attributes
 * (ListKeys, however many keys the application holds), and from them the
 * answer Mbed TLS gives first when the service cannot do an operation on it.
 */
#include <stdlib.h>
#include <string.h>

#include "lpsa.h"
#include "key_policy.h"

int
lpsa_key_find(parsec_client *client, uint32_t provider, const char *name,
    struct parsec_key_attributes *pa)
{
	struct parsec_key_info *keys = NULL, *grown;
	size_t max = 64, count = 0, i;
	int st = PARSEC_ERR_BUFFER_TOO_SMALL, tries;

	/* A list that grows between the two calls is asked for again, a few times. */
	for (tries = 0; tries < 4 && st == PARSEC_ERR_BUFFER_TOO_SMALL; tries++) {
		if ((grown = realloc(keys, max * sizeof(*keys))) == NULL) {
			st = PARSEC_ERR_INSUFFICIENT_MEMORY;
			break;
		}
		keys = grown;
		st = parsec_list_keys(client, keys, max, &count);
		max = count + 16;
	}
	if (st == PARSEC_SUCCESS) {
		st = PARSEC_ERR_DOES_NOT_EXIST;
		for (i = 0; i < count; i++) {
			if (keys[i].provider_id == provider && strcmp(keys[i].name, name) == 0) {
				*pa = keys[i].attributes;
				st = PARSEC_SUCCESS;
				break;
			}
		}
	}
	free(keys);
	return st;
}

psa_status_t
lpsa_key_refusal(const struct lpsa_call *call, uint32_t provider)
{
	struct parsec_key_attributes pa;
	struct op_key_attrs attrs;
	psa_key_usage_t need = call->need;
	int wire;

	/* Without an answer about the key, the provider's refusal stands. */
	if ((wire = lpsa_key_find(call->client, provider, call->name, &pa)) != PARSEC_SUCCESS)
		return wire == PARSEC_ERR_DOES_NOT_EXIST ? PSA_ERROR_INVALID_HANDLE :
		    PSA_ERROR_NOT_SUPPORTED;
	attrs.type = pa.type;
	attrs.bits = pa.bits;
	attrs.usage = pa.usage;
	attrs.alg = pa.alg;
	/* As in PSA, a public key may always be exported, whatever its usage flags. */
	if (need == PSA_KEY_USAGE_EXPORT && PSA_KEY_TYPE_IS_PUBLIC_KEY(pa.type))
		need = 0;
	if ((key_policy_usage_extended(pa.usage) & need) != need)
		return PSA_ERROR_NOT_PERMITTED;
	if (call->alg != PSA_ALG_NONE && !key_policy_permits(&attrs, need, call->alg))
		return PSA_ERROR_NOT_PERMITTED;
	return PSA_ERROR_NOT_SUPPORTED;
}
