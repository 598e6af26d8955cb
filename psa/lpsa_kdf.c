/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key derivation through parsecd's extension operations: inputs (bytes, keys,
 * a key agreement), then output as bytes or as a new key in the service. An
 * input's error ends the operation; running out of capacity does not (PSA:
 * the capacity becomes 0 and later outputs fail the same way).
 */
#include <string.h>

#include "parsec/ext_key.h"
#include "parsec/ext_mp.h"
#include "lpsa.h"

psa_status_t
psa_key_derivation_abort(psa_key_derivation_operation_t *operation)
{
	lpsa_mp_abort(operation->handle, operation->conn);
	memset(operation, 0, sizeof(*operation));
	return PSA_SUCCESS;
}

static psa_status_t
lpsa_kdf_fail(psa_key_derivation_operation_t *operation, psa_status_t st)
{
	if (st != PSA_SUCCESS && st != PSA_ERROR_INSUFFICIENT_DATA)
		psa_key_derivation_abort(operation);
	return st;
}

psa_status_t
psa_key_derivation_setup(psa_key_derivation_operation_t *operation, psa_algorithm_t alg)
{
	static const struct lpsa_setup setup = { NULL, parsec_ext_kdf_setup, { 0, 0 } };
	uint32_t handle, ref = 0;
	psa_status_t st;

	/*
	 * Neither a key derivation nor a key agreement feeding one (a raw
	 * agreement is not): refused here, as in-process, whatever the provider.
	 */
	if (operation->handle == 0 && !PSA_ALG_IS_KEY_DERIVATION(alg) &&
	    (!PSA_ALG_IS_KEY_AGREEMENT(alg) || PSA_ALG_IS_RAW_KEY_AGREEMENT(alg)))
		return PSA_ERROR_INVALID_ARGUMENT;
	st = lpsa_mp_start(operation->handle, &setup, LPSA_NO_KEY, alg, 0, &handle, &ref);
	if (st != PSA_SUCCESS)
		return lpsa_kdf_fail(operation, st);
	operation->handle = handle;
	operation->conn = ref;
	operation->alg = alg;
	operation->state = LPSA_ST_ACTIVE;
	return PSA_SUCCESS;
}

/* The capacity calls leave the operation as it was on an error, as PSA's do. */
psa_status_t
psa_key_derivation_get_capacity(const psa_key_derivation_operation_t *operation,
    size_t *capacity)
{
	struct lpsa_call call;
	uint64_t cap = 0;
	psa_status_t st;

	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return st;
	st = lpsa_end(&call, parsec_ext_kdf_get_capacity(call.client, operation->handle, &cap));
	if (st == PSA_SUCCESS)
		*capacity = cap > SIZE_MAX ? SIZE_MAX : (size_t)cap;
	return st;
}

psa_status_t
psa_key_derivation_set_capacity(psa_key_derivation_operation_t *operation, size_t capacity)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return st;
	return lpsa_end(&call, parsec_ext_kdf_set_capacity(call.client, operation->handle,
	    (uint64_t)capacity));
}

/* An input step: only before any output. */
static psa_status_t
lpsa_kdf_input_step(psa_key_derivation_operation_t *operation, struct lpsa_call *call)
{
	if (operation->handle != 0 && (operation->state & LPSA_ST_OUTPUT))
		return PSA_ERROR_BAD_STATE;
	return lpsa_mp_step(call, operation->handle, operation->conn);
}

psa_status_t
psa_key_derivation_input_bytes(psa_key_derivation_operation_t *operation,
    psa_key_derivation_step_t step, const uint8_t *data, size_t data_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_kdf_input_step(operation, &call)) != PSA_SUCCESS)
		return lpsa_kdf_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_kdf_input_bytes(call.client, operation->handle,
	    (uint32_t)step, data, data_length));
	return lpsa_kdf_fail(operation, st);
}

/* key's name, after the operation's own state checks. */
static psa_status_t
lpsa_kdf_keyed_step(psa_key_derivation_operation_t *operation, struct lpsa_call *call,
    psa_key_id_t key)
{
	psa_status_t st;

	if ((st = lpsa_kdf_input_step(operation, call)) != PSA_SUCCESS)
		return st;
	if ((st = lpsa_key_name(key, call->name)) != PSA_SUCCESS) {
		lpsa_end(call, PARSEC_SUCCESS);
		return st;
	}
	call->names_key = 1;
	lpsa_call_policy(call, PSA_KEY_USAGE_DERIVE, operation->alg);
	return PSA_SUCCESS;
}

psa_status_t
psa_key_derivation_input_key(psa_key_derivation_operation_t *operation,
    psa_key_derivation_step_t step, psa_key_id_t key)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_kdf_keyed_step(operation, &call, key)) != PSA_SUCCESS)
		return lpsa_kdf_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_kdf_input_key(call.client, operation->handle,
	    (uint32_t)step, call.name));
	return lpsa_kdf_fail(operation, st);
}

psa_status_t
psa_key_derivation_key_agreement(psa_key_derivation_operation_t *operation,
    psa_key_derivation_step_t step, psa_key_id_t private_key, const uint8_t *peer_key,
    size_t peer_key_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_kdf_keyed_step(operation, &call, private_key)) != PSA_SUCCESS)
		return lpsa_kdf_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_kdf_key_agreement(call.client, operation->handle,
	    (uint32_t)step, call.name, peer_key, peer_key_length));
	return lpsa_kdf_fail(operation, st);
}

psa_status_t
psa_key_derivation_output_bytes(psa_key_derivation_operation_t *operation, uint8_t *output,
    size_t output_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return lpsa_kdf_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_kdf_output_bytes(call.client, operation->handle, output,
	    output_length));
	if (st == PSA_SUCCESS || st == PSA_ERROR_INSUFFICIENT_DATA)
		operation->state |= LPSA_ST_OUTPUT;
	return lpsa_kdf_fail(operation, st);
}

/*
 * A new key from the next bytes. A refused key (its attributes, its id taken)
 * leaves the operation as it was, as it does in PSA's implementations.
 */
psa_status_t
psa_key_derivation_output_key(const psa_key_attributes_t *attributes,
    psa_key_derivation_operation_t *operation, psa_key_id_t *key)
{
	struct parsec_key_attributes pa;
	struct lpsa_call call;
	psa_key_id_t id;
	psa_status_t st;
	int is_volatile;

	*key = PSA_KEY_ID_NULL;
	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return st;
	if ((st = lpsa_attr_new_key(attributes, &pa, &is_volatile, &id)) != PSA_SUCCESS ||
	    (st = lpsa_key_name(id, call.name)) != PSA_SUCCESS) {
		lpsa_end(&call, PARSEC_SUCCESS);
		return st;
	}
	st = lpsa_end(&call, parsec_ext_kdf_output_key(call.client, operation->handle, call.name,
	    &pa, is_volatile));
	if (st == PSA_SUCCESS || st == PSA_ERROR_INSUFFICIENT_DATA)
		operation->state |= LPSA_ST_OUTPUT;
	if (st == PSA_SUCCESS)
		*key = id;
	return st;
}
