/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multipart AEAD through parsecd's extension operations (PSA API 1.0.1's
 * order: setup, lengths where the mode needs them, nonce, additional data,
 * text, then finish or verify), answered BAD_STATE here when out of order;
 * any error ends the operation.
 */
#include <string.h>

#include "parsec/ext_mp.h"
#include "lpsa.h"

psa_status_t
psa_aead_abort(psa_aead_operation_t *operation)
{
	lpsa_mp_abort(operation->handle, operation->conn);
	memset(operation, 0, sizeof(*operation));
	return PSA_SUCCESS;
}

static psa_status_t
lpsa_aead_fail(psa_aead_operation_t *operation, psa_status_t st)
{
	if (st != PSA_SUCCESS)
		psa_aead_abort(operation);
	return st;
}

static psa_status_t
lpsa_aead_setup(psa_aead_operation_t *operation, psa_key_id_t key, psa_algorithm_t alg,
    int decrypt)
{
	static const struct lpsa_setup setup = { parsec_ext_aead_setup, NULL,
	    { PSA_KEY_USAGE_ENCRYPT, PSA_KEY_USAGE_DECRYPT } };
	uint32_t handle, ref = 0;
	psa_status_t st;

	if (operation->handle == 0 && (!PSA_ALG_IS_AEAD(alg) || PSA_ALG_IS_WILDCARD(alg)))
		st = lpsa_ready() != PSA_SUCCESS ? PSA_ERROR_BAD_STATE : PSA_ERROR_NOT_SUPPORTED;
	else
		st = lpsa_mp_start(operation->handle, &setup, key, alg, decrypt, &handle, &ref);
	if (st != PSA_SUCCESS)
		return lpsa_aead_fail(operation, st);
	operation->handle = handle;
	operation->conn = ref;
	operation->alg = alg;
	operation->state = LPSA_ST_ACTIVE | (decrypt ? LPSA_ST_INVERSE : 0);
	operation->tag_size = 0;
	return PSA_SUCCESS;
}

psa_status_t
psa_aead_encrypt_setup(psa_aead_operation_t *operation, psa_key_id_t key, psa_algorithm_t alg)
{
	return lpsa_aead_setup(operation, key, alg, 0);
}

psa_status_t
psa_aead_decrypt_setup(psa_aead_operation_t *operation, psa_key_id_t key, psa_algorithm_t alg)
{
	return lpsa_aead_setup(operation, key, alg, 1);
}

/*
 * A step of an active operation that must find none of the state bits in
 * refused and all of those in needed; else BAD_STATE before asking.
 */
static psa_status_t
lpsa_aead_step(psa_aead_operation_t *operation, struct lpsa_call *call, uint32_t refused,
    uint32_t needed)
{
	if (operation->handle != 0 && ((operation->state & refused) ||
	    (operation->state & needed) != needed))
		return PSA_ERROR_BAD_STATE;
	return lpsa_mp_step(call, operation->handle, operation->conn);
}

psa_status_t
psa_aead_set_lengths(psa_aead_operation_t *operation, size_t ad_length,
    size_t plaintext_length)
{
	struct lpsa_call call;
	psa_status_t st;

	st = lpsa_aead_step(operation, &call, LPSA_ST_LENGTHS | LPSA_ST_AD | LPSA_ST_TEXT, 0);
	if (st != PSA_SUCCESS)
		return lpsa_aead_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_aead_set_lengths(call.client, operation->handle,
	    (uint64_t)ad_length, (uint64_t)plaintext_length));
	if (st == PSA_SUCCESS)
		operation->state |= LPSA_ST_LENGTHS;
	return lpsa_aead_fail(operation, st);
}

psa_status_t
psa_aead_generate_nonce(psa_aead_operation_t *operation, uint8_t *nonce, size_t nonce_size,
    size_t *nonce_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*nonce_length = 0;
	/* A decryption takes the nonce the encryption made. */
	st = lpsa_aead_step(operation, &call, LPSA_ST_IV_SET | LPSA_ST_INVERSE, 0);
	if (st != PSA_SUCCESS)
		return lpsa_aead_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_aead_generate_nonce(call.client, operation->handle,
	    nonce, nonce_size, &len));
	if (st == PSA_SUCCESS) {
		*nonce_length = len;
		operation->state |= LPSA_ST_IV_SET;
	}
	return lpsa_aead_fail(operation, st);
}

psa_status_t
psa_aead_set_nonce(psa_aead_operation_t *operation, const uint8_t *nonce, size_t nonce_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_aead_step(operation, &call, LPSA_ST_IV_SET, 0)) != PSA_SUCCESS)
		return lpsa_aead_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_aead_set_nonce(call.client, operation->handle, nonce,
	    nonce_length));
	if (st == PSA_SUCCESS)
		operation->state |= LPSA_ST_IV_SET;
	return lpsa_aead_fail(operation, st);
}

psa_status_t
psa_aead_update_ad(psa_aead_operation_t *operation, const uint8_t *input, size_t input_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_aead_step(operation, &call, LPSA_ST_TEXT, LPSA_ST_IV_SET)) != PSA_SUCCESS)
		return lpsa_aead_fail(operation, st);
	st = lpsa_end(&call, lpsa_mp_parts(&call, operation->handle, parsec_ext_aead_update_ad,
	    input, input_length));
	if (st == PSA_SUCCESS)
		operation->state |= LPSA_ST_AD;
	return lpsa_aead_fail(operation, st);
}

psa_status_t
psa_aead_update(psa_aead_operation_t *operation, const uint8_t *input, size_t input_length,
    uint8_t *output, size_t output_size, size_t *output_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*output_length = 0;
	if ((st = lpsa_aead_step(operation, &call, 0, LPSA_ST_IV_SET)) != PSA_SUCCESS)
		return lpsa_aead_fail(operation, st);
	st = lpsa_end(&call, lpsa_mp_parts_out(&call, operation->handle, parsec_ext_aead_update,
	    input, input_length, output, output_size, &len));
	if (st == PSA_SUCCESS) {
		*output_length = len;
		operation->state |= LPSA_ST_TEXT;
	}
	return lpsa_aead_fail(operation, st);
}

psa_status_t
psa_aead_finish(psa_aead_operation_t *operation, uint8_t *ciphertext, size_t ciphertext_size,
    size_t *ciphertext_length, uint8_t *tag, size_t tag_size, size_t *tag_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0, tlen = 0;

	*ciphertext_length = 0;
	*tag_length = 0;
	st = lpsa_aead_step(operation, &call, LPSA_ST_INVERSE, LPSA_ST_IV_SET);
	if (st != PSA_SUCCESS)
		return lpsa_aead_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_aead_finish(call.client, operation->handle, ciphertext,
	    ciphertext_size, &len, tag, tag_size, &tlen));
	if (st == PSA_SUCCESS) {
		*ciphertext_length = len;
		*tag_length = tlen;
		memset(operation, 0, sizeof(*operation));
	}
	return lpsa_aead_fail(operation, st);
}

psa_status_t
psa_aead_verify(psa_aead_operation_t *operation, uint8_t *plaintext, size_t plaintext_size,
    size_t *plaintext_length, const uint8_t *tag, size_t tag_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*plaintext_length = 0;
	st = lpsa_aead_step(operation, &call, 0, LPSA_ST_IV_SET | LPSA_ST_INVERSE);
	if (st != PSA_SUCCESS)
		return lpsa_aead_fail(operation, st);
	st = lpsa_end(&call, parsec_ext_aead_verify(call.client, operation->handle, plaintext,
	    plaintext_size, &len, tag, tag_length));
	if (st == PSA_SUCCESS) {
		*plaintext_length = len;
		memset(operation, 0, sizeof(*operation));
	}
	return lpsa_aead_fail(operation, st);
}
