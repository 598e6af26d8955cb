/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multipart hashing through parsecd's extension operations; any error ends
 * the operation, as PSA's implementations do.
 */
#include <string.h>

#include "parsec/ext_mp.h"
#include "lpsa.h"

psa_status_t
psa_hash_abort(psa_hash_operation_t *operation)
{
	lpsa_mp_abort(operation->handle, operation->conn);
	memset(operation, 0, sizeof(*operation));
	return PSA_SUCCESS;
}

/* st, having ended operation if st is an error. */
static psa_status_t
lpsa_hash_fail(psa_hash_operation_t *operation, psa_status_t st)
{
	if (st != PSA_SUCCESS)
		psa_hash_abort(operation);
	return st;
}

psa_status_t
lpsa_hash_wildcard(psa_algorithm_t alg)
{
	psa_status_t st;

	if (alg != PSA_ALG_ANY_HASH)
		return PSA_SUCCESS;
	return (st = lpsa_ready()) != PSA_SUCCESS ? st : PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t
psa_hash_setup(psa_hash_operation_t *operation, psa_algorithm_t alg)
{
	static const struct lpsa_setup setup = { NULL, parsec_ext_hash_setup, { 0, 0 } };
	uint32_t handle, ref = 0;
	psa_status_t st;

	/* Not a hash: refused here, as in-process, whatever the provider could do. */
	if (operation->handle == 0 && !PSA_ALG_IS_HASH(alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (operation->handle == 0 && (st = lpsa_hash_wildcard(alg)) != PSA_SUCCESS)
		return st;
	st = lpsa_mp_start(operation->handle, &setup, LPSA_NO_KEY, alg, 0, &handle, &ref);
	if (st != PSA_SUCCESS)
		return lpsa_hash_fail(operation, st);
	operation->handle = handle;
	operation->conn = ref;
	operation->alg = alg;
	operation->state = LPSA_ST_ACTIVE;
	return PSA_SUCCESS;
}

psa_status_t
psa_hash_update(psa_hash_operation_t *operation, const uint8_t *input, size_t input_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return lpsa_hash_fail(operation, st);
	/* Nothing to add: no need to ask. */
	if (input_length == 0)
		return lpsa_end(&call, PARSEC_SUCCESS);
	st = lpsa_end(&call, lpsa_mp_parts(&call, operation->handle, parsec_ext_hash_update, input,
	    input_length));
	return lpsa_hash_fail(operation, st);
}

/* A step whose output ends the operation (finish, suspend): out[size], *length its length. */
static psa_status_t
lpsa_hash_output(psa_hash_operation_t *operation,
    int (*step)(parsec_client *, uint32_t, uint8_t *, size_t, size_t *), uint8_t *out,
    size_t size, size_t *length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*length = 0;
	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return lpsa_hash_fail(operation, st);
	st = lpsa_end(&call, step(call.client, operation->handle, out, size, &len));
	if (st == PSA_SUCCESS) {
		*length = len;
		memset(operation, 0, sizeof(*operation)); /* the service ended it */
	}
	return lpsa_hash_fail(operation, st);
}

psa_status_t
psa_hash_finish(psa_hash_operation_t *operation, uint8_t *hash, size_t hash_size,
    size_t *hash_length)
{
	return lpsa_hash_output(operation, parsec_ext_hash_finish, hash, hash_size, hash_length);
}

psa_status_t
psa_hash_verify(psa_hash_operation_t *operation, const uint8_t *hash, size_t hash_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return lpsa_hash_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_hash_verify(call.client, operation->handle, hash,
	    hash_length));
	if (st == PSA_SUCCESS)
		memset(operation, 0, sizeof(*operation));
	return lpsa_hash_fail(operation, st);
}

/* Neither operation is ended on a bad state: PSA leaves both as they were. */
psa_status_t
psa_hash_clone(const psa_hash_operation_t *source_operation,
    psa_hash_operation_t *target_operation)
{
	struct lpsa_call call;
	uint32_t clone = 0;
	psa_status_t st;

	if ((st = lpsa_ready()) != PSA_SUCCESS)
		return st;
	if (target_operation->handle != 0)
		return PSA_ERROR_BAD_STATE;
	if ((st = lpsa_mp_step(&call, source_operation->handle, source_operation->conn)) !=
	    PSA_SUCCESS)
		return st;
	st = lpsa_end(&call, parsec_ext_hash_clone(call.client, source_operation->handle,
	    &clone));
	if (st != PSA_SUCCESS)
		return st;
	*target_operation = *source_operation;
	target_operation->handle = clone;
	return PSA_SUCCESS;
}

/*
 * The state of the hash so far, in the API's format, made by the service; a
 * suspended operation is ended there and here, whatever the answer (PSA: an
 * error puts the operation in an error state, which only an abort leaves).
 */
psa_status_t
psa_hash_suspend(psa_hash_operation_t *operation, uint8_t *hash_state, size_t hash_state_size,
    size_t *hash_state_length)
{
	return lpsa_hash_output(operation, parsec_ext_hash_suspend, hash_state, hash_state_size,
	    hash_state_length);
}

/* A setup from a suspend state: the service checks the state and answers a handle. */
psa_status_t
psa_hash_resume(psa_hash_operation_t *operation, const uint8_t *hash_state,
    size_t hash_state_length)
{
	struct lpsa_call call;
	uint32_t handle = 0;
	psa_status_t st;

	if ((st = lpsa_ready()) != PSA_SUCCESS)
		return st;
	if (operation->handle != 0)
		return lpsa_hash_fail(operation, PSA_ERROR_BAD_STATE);
	if ((st = lpsa_begin(&call, LPSA_NO_KEY)) != PSA_SUCCESS)
		return st;
	operation->conn = lpsa_call_ref(&call);
	st = lpsa_end(&call, parsec_ext_hash_resume(call.client, hash_state, hash_state_length,
	    &handle));
	if (st != PSA_SUCCESS) {
		operation->conn = 0;
		return st;
	}
	operation->handle = handle;
	/* The algorithm is the state's first field; the service checked it. */
	operation->alg = (psa_algorithm_t)hash_state[0] << 24 |
	    (psa_algorithm_t)hash_state[1] << 16 | (psa_algorithm_t)hash_state[2] << 8 |
	    hash_state[3];
	operation->state = LPSA_ST_ACTIVE;
	return PSA_SUCCESS;
}
