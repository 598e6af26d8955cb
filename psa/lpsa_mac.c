/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multipart MAC through parsecd's extension operations: the key and the MAC
 * state stay in the service. Any error ends the operation.
 */
#include <string.h>

#include "parsec/ext_mp.h"
#include "lpsa.h"

psa_status_t
psa_mac_abort(psa_mac_operation_t *operation)
{
	lpsa_mp_abort(operation->handle, operation->conn);
	memset(operation, 0, sizeof(*operation));
	return PSA_SUCCESS;
}

static psa_status_t
lpsa_mac_fail(psa_mac_operation_t *operation, psa_status_t st)
{
	if (st != PSA_SUCCESS)
		psa_mac_abort(operation);
	return st;
}

/*
 * What Mbed TLS answers in-process for an algorithm that is not a MAC: it
 * checks the key's policy first, so NOT_PERMITTED unless the policy names
 * that very algorithm (then INVALID_ARGUMENT); a key that is not there, its
 * own status. The wire cannot carry such an algorithm, so it is settled here.
 */
psa_status_t
lpsa_mac_alg_refused(psa_key_id_t key, psa_algorithm_t alg)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_status_t st;

	if ((st = psa_get_key_attributes(key, &attr)) != PSA_SUCCESS)
		return st;
	return psa_get_key_algorithm(&attr) == alg ? PSA_ERROR_INVALID_ARGUMENT :
	    PSA_ERROR_NOT_PERMITTED;
}

static psa_status_t
lpsa_mac_setup(psa_mac_operation_t *operation, psa_key_id_t key, psa_algorithm_t alg,
    int verify)
{
	static const struct lpsa_setup setup = { parsec_ext_mac_setup, NULL,
	    { PSA_KEY_USAGE_SIGN_MESSAGE, PSA_KEY_USAGE_VERIFY_MESSAGE } };
	uint32_t handle, ref = 0;
	psa_status_t st;

	if (operation->handle == 0 && !PSA_ALG_IS_MAC(alg))
		return lpsa_mac_alg_refused(key, alg);
	st = lpsa_mp_start(operation->handle, &setup, key, alg, verify, &handle, &ref);
	if (st != PSA_SUCCESS)
		return lpsa_mac_fail(operation, st);
	operation->handle = handle;
	operation->conn = ref;
	operation->alg = alg;
	operation->state = LPSA_ST_ACTIVE | (verify ? LPSA_ST_INVERSE : 0);
	operation->mac_size = 0; /* the service knows it from the key */
	return PSA_SUCCESS;
}

psa_status_t
psa_mac_sign_setup(psa_mac_operation_t *operation, psa_key_id_t key, psa_algorithm_t alg)
{
	return lpsa_mac_setup(operation, key, alg, 0);
}

psa_status_t
psa_mac_verify_setup(psa_mac_operation_t *operation, psa_key_id_t key, psa_algorithm_t alg)
{
	return lpsa_mac_setup(operation, key, alg, 1);
}

psa_status_t
psa_mac_update(psa_mac_operation_t *operation, const uint8_t *input, size_t input_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return lpsa_mac_fail(operation, st);
	if (input_length == 0)
		return lpsa_end(&call, PARSEC_SUCCESS);
	st = lpsa_end(&call, lpsa_mp_parts(&call, operation->handle, parsec_ext_mac_update, input,
	    input_length));
	return lpsa_mac_fail(operation, st);
}

psa_status_t
psa_mac_sign_finish(psa_mac_operation_t *operation, uint8_t *mac, size_t mac_size,
    size_t *mac_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*mac_length = 0;
	if (operation->state & LPSA_ST_INVERSE)
		return lpsa_mac_fail(operation, PSA_ERROR_BAD_STATE);
	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return lpsa_mac_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_mac_sign_finish(call.client, operation->handle, mac,
	    mac_size, &len));
	if (st == PSA_SUCCESS) {
		*mac_length = len;
		memset(operation, 0, sizeof(*operation));
	}
	return lpsa_mac_fail(operation, st);
}

psa_status_t
psa_mac_verify_finish(psa_mac_operation_t *operation, const uint8_t *mac, size_t mac_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if (operation->handle != 0 && !(operation->state & LPSA_ST_INVERSE))
		return lpsa_mac_fail(operation, PSA_ERROR_BAD_STATE);
	if ((st = lpsa_mp_step(&call, operation->handle, operation->conn)) != PSA_SUCCESS)
		return lpsa_mac_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_mac_verify_finish(call.client, operation->handle, mac,
	    mac_length));
	if (st == PSA_SUCCESS)
		memset(operation, 0, sizeof(*operation));
	return lpsa_mac_fail(operation, st);
}
