/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every multipart operation shares: a setup on a free connection, each
 * later step on the connection that holds the service's handle, and abort.
 */
#include "parsec/ext_mp.h"
#include "lpsa.h"

psa_status_t
lpsa_mp_start(uint32_t active, const struct lpsa_setup *setup, psa_key_id_t key,
    psa_algorithm_t alg, int inverse, uint32_t *handle, uint32_t *ref)
{
	struct lpsa_call call;
	psa_status_t st;

	*handle = 0;
	if ((st = lpsa_ready()) != PSA_SUCCESS)
		return st;
	if (active != 0)
		return PSA_ERROR_BAD_STATE;
	if ((st = lpsa_begin(&call, setup->keyless != NULL ? LPSA_NO_KEY : key)) != PSA_SUCCESS)
		return st;
	*ref = lpsa_call_ref(&call);
	return lpsa_end(&call, setup->keyless != NULL ?
	    setup->keyless(call.client, alg, handle) :
	    setup->keyed(call.client, call.name, alg, inverse, handle));
}

psa_status_t
lpsa_mp_step(struct lpsa_call *call, uint32_t handle, uint32_t ref)
{
	if (handle == 0)
		return PSA_ERROR_BAD_STATE;
	return lpsa_begin_ref(call, ref);
}

void
lpsa_mp_abort(uint32_t handle, uint32_t ref)
{
	struct lpsa_call call;

	/* A connection that is gone took the operation with it in the service. */
	if (handle == 0 || lpsa_begin_ref(&call, ref) != PSA_SUCCESS)
		return;
	lpsa_end(&call, parsec_ext_abort(call.client, handle));
}
