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
	if (setup->keyless == NULL)
		lpsa_call_policy(&call, setup->need[inverse != 0], alg);
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

int
lpsa_mp_parts(struct lpsa_call *call, uint32_t handle,
    int (*update)(parsec_client *, uint32_t, const uint8_t *, size_t), const uint8_t *in,
    size_t len)
{
	size_t done = 0, n;
	int wire = PARSEC_SUCCESS;

	while (wire == PARSEC_SUCCESS && done < len) {
		n = len - done < LPSA_PART ? len - done : LPSA_PART;
		wire = update(call->client, handle, in + done, n);
		done += n;
	}
	return wire;
}

int
lpsa_mp_parts_out(struct lpsa_call *call, uint32_t handle,
    int (*update)(parsec_client *, uint32_t, const uint8_t *, size_t, uint8_t *, size_t,
    size_t *), const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t done = 0, n, got;
	int wire = PARSEC_SUCCESS;

	*out_len = 0;
	/* One request even for no input: the service answers it as PSA says. */
	do {
		n = len - done < LPSA_PART ? len - done : LPSA_PART;
		got = 0;
		wire = update(call->client, handle, in + done, n, out + *out_len, cap - *out_len,
		    &got);
		if (wire == PARSEC_SUCCESS)
			*out_len += got;
		done += n;
	} while (wire == PARSEC_SUCCESS && done < len);
	return wire;
}
