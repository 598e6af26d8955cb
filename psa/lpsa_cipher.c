/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multipart symmetric ciphers through parsecd's extension operations. The
 * library keeps PSA's order (setup, IV unless the mode has none, updates,
 * finish) and answers BAD_STATE itself; any error ends the operation.
 */
#include <string.h>

#include "parsec/ext_mp.h"
#include "lpsa.h"

psa_status_t
psa_cipher_abort(psa_cipher_operation_t *operation)
{
	lpsa_mp_abort(operation->handle, operation->conn);
	memset(operation, 0, sizeof(*operation));
	return PSA_SUCCESS;
}

static psa_status_t
lpsa_cipher_fail(psa_cipher_operation_t *operation, psa_status_t st)
{
	if (st != PSA_SUCCESS)
		psa_cipher_abort(operation);
	return st;
}

static psa_status_t
lpsa_cipher_setup(psa_cipher_operation_t *operation, psa_key_id_t key, psa_algorithm_t alg,
    int decrypt)
{
	static const struct lpsa_setup setup = { parsec_ext_cipher_setup, NULL,
	    { PSA_KEY_USAGE_ENCRYPT, PSA_KEY_USAGE_DECRYPT } };
	uint32_t handle, ref = 0;
	psa_status_t st;

	st = lpsa_mp_start(operation->handle, &setup, key, alg, decrypt, &handle, &ref);
	if (st != PSA_SUCCESS)
		return lpsa_cipher_fail(operation, st);
	operation->handle = handle;
	operation->conn = ref;
	operation->alg = alg;
	operation->state = LPSA_ST_ACTIVE | (decrypt ? LPSA_ST_INVERSE : 0) |
	    (alg != PSA_ALG_ECB_NO_PADDING ? LPSA_ST_IV_REQUIRED : 0);
	operation->iv_size = 0;
	operation->block_size = 0;
	return PSA_SUCCESS;
}

psa_status_t
psa_cipher_encrypt_setup(psa_cipher_operation_t *operation, psa_key_id_t key,
    psa_algorithm_t alg)
{
	return lpsa_cipher_setup(operation, key, alg, 0);
}

psa_status_t
psa_cipher_decrypt_setup(psa_cipher_operation_t *operation, psa_key_id_t key,
    psa_algorithm_t alg)
{
	return lpsa_cipher_setup(operation, key, alg, 1);
}

/* An IV may be given or made once, and only for a mode that takes one. */
static psa_status_t
lpsa_cipher_iv_step(psa_cipher_operation_t *operation, struct lpsa_call *call)
{
	if (operation->handle != 0 && ((operation->state & LPSA_ST_IV_SET) ||
	    !(operation->state & LPSA_ST_IV_REQUIRED)))
		return PSA_ERROR_BAD_STATE;
	return lpsa_mp_step(call, operation->handle, operation->conn);
}

psa_status_t
psa_cipher_generate_iv(psa_cipher_operation_t *operation, uint8_t *iv, size_t iv_size,
    size_t *iv_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*iv_length = 0;
	if ((st = lpsa_cipher_iv_step(operation, &call)) != PSA_SUCCESS)
		return lpsa_cipher_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_cipher_generate_iv(call.client, operation->handle, iv,
	    iv_size, &len));
	if (st == PSA_SUCCESS) {
		*iv_length = len;
		operation->iv_size = len;
		operation->state |= LPSA_ST_IV_SET;
	}
	return lpsa_cipher_fail(operation, st);
}

psa_status_t
psa_cipher_set_iv(psa_cipher_operation_t *operation, const uint8_t *iv, size_t iv_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_cipher_iv_step(operation, &call)) != PSA_SUCCESS)
		return lpsa_cipher_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_cipher_set_iv(call.client, operation->handle, iv,
	    iv_length));
	if (st == PSA_SUCCESS) {
		operation->iv_size = iv_length;
		operation->state |= LPSA_ST_IV_SET;
	}
	return lpsa_cipher_fail(operation, st);
}

/* Text goes in only once the IV is there, if the mode takes one. */
static psa_status_t
lpsa_cipher_text_step(psa_cipher_operation_t *operation, struct lpsa_call *call)
{
	if (operation->handle != 0 && (operation->state & LPSA_ST_IV_REQUIRED) &&
	    !(operation->state & LPSA_ST_IV_SET))
		return PSA_ERROR_BAD_STATE;
	return lpsa_mp_step(call, operation->handle, operation->conn);
}

psa_status_t
psa_cipher_update(psa_cipher_operation_t *operation, const uint8_t *input, size_t input_length,
    uint8_t *output, size_t output_size, size_t *output_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*output_length = 0;
	if ((st = lpsa_cipher_text_step(operation, &call)) != PSA_SUCCESS)
		return lpsa_cipher_fail(operation, st);
	st = lpsa_end(&call, lpsa_mp_parts_out(&call, operation->handle, parsec_ext_cipher_update,
	    input, input_length, output, output_size, &len));
	if (st == PSA_SUCCESS)
		*output_length = len;
	return lpsa_cipher_fail(operation, st);
}

psa_status_t
psa_cipher_finish(psa_cipher_operation_t *operation, uint8_t *output, size_t output_size,
    size_t *output_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*output_length = 0;
	if ((st = lpsa_cipher_text_step(operation, &call)) != PSA_SUCCESS)
		return lpsa_cipher_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_cipher_finish(call.client, operation->handle, output,
	    output_size, &len));
	if (st == PSA_SUCCESS) {
		*output_length = len;
		memset(operation, 0, sizeof(*operation));
	}
	return lpsa_cipher_fail(operation, st);
}
