/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSA key management over parsecd: a key id is a key name of the
 * application's (lpsa_name.c); persistent keys are the service's ordinary
 * keys, volatile ones go through its volatile-key extension so that they end
 * with the connection that made them. Attributes are asked of the service
 * (ListKeys) each time: another process may have destroyed the key.
 */
#include <stdlib.h>
#include <string.h>

#include "parsec/ext_key.h"
#include "lpsa.h"

/*
 * A new key, imported from data or generated, persistent or volatile as its
 * lifetime says; its id into *key on success.
 */
static psa_status_t
lpsa_key_create(const psa_key_attributes_t *attributes, int import, const uint8_t *data,
    size_t data_length, psa_key_id_t *key)
{
	struct parsec_key_attributes pa;
	struct lpsa_call call;
	psa_key_id_t id;
	psa_status_t st;
	int is_volatile, wire;

	*key = PSA_KEY_ID_NULL;
	if ((st = lpsa_ready()) != PSA_SUCCESS ||
	    (st = lpsa_attr_new_key(attributes, &pa, &is_volatile, &id)) != PSA_SUCCESS ||
	    (st = lpsa_begin(&call, id)) != PSA_SUCCESS)
		return st;
	call.names_key = 0; /* DoesNotExist would not be about this id */
	if (import) {
		lpsa_attr_import_bits(&pa, data, data_length);
		wire = is_volatile ?
		    parsec_ext_import_volatile(call.client, call.name, &pa, data, data_length) :
		    parsec_import_key(call.client, call.name, &pa, data, data_length);
	} else {
		wire = is_volatile ? parsec_ext_generate_volatile(call.client, call.name, &pa) :
		    parsec_generate_key(call.client, call.name, &pa);
	}
	if ((st = lpsa_end(&call, wire)) == PSA_SUCCESS)
		*key = id;
	return st;
}

psa_status_t
psa_generate_key(const psa_key_attributes_t *attributes, psa_key_id_t *key)
{
	return lpsa_key_create(attributes, 0, NULL, 0, key);
}

/* An empty key is no key, whatever the rest (as Mbed TLS answers, first). */
psa_status_t
psa_import_key(const psa_key_attributes_t *attributes, const uint8_t *data, size_t data_length,
    psa_key_id_t *key)
{
	if (data_length == 0) {
		*key = PSA_KEY_ID_NULL;
		return PSA_ERROR_INVALID_ARGUMENT;
	}
	/* No type at all: Mbed TLS's answer, which the wire could not carry. */
	if (psa_get_key_type(attributes) == PSA_KEY_TYPE_NONE) {
		*key = PSA_KEY_ID_NULL;
		return PSA_ERROR_NOT_SUPPORTED;
	}
	return lpsa_key_create(attributes, 1, data, data_length, key);
}

psa_status_t
psa_copy_key(psa_key_id_t source_key, const psa_key_attributes_t *attributes,
    psa_key_id_t *target_key)
{
	struct parsec_key_attributes pa;
	struct lpsa_call call;
	char target[LPSA_NAME_MAX];
	psa_key_id_t id;
	psa_status_t st;
	int is_volatile, wire;

	*target_key = PSA_KEY_ID_NULL;
	if ((st = lpsa_ready()) != PSA_SUCCESS)
		return st;
	if ((st = lpsa_attr_new_key(attributes, &pa, &is_volatile, &id)) != PSA_SUCCESS ||
	    (st = lpsa_key_name(id, target)) != PSA_SUCCESS)
		return st;
	/* Type and bits, when given, must be the source's: the service checks them. */
	if ((st = lpsa_begin(&call, source_key)) != PSA_SUCCESS)
		return st;
	lpsa_call_policy(&call, PSA_KEY_USAGE_COPY, PSA_ALG_NONE);
	wire = parsec_ext_copy_key(call.client, call.name, target, &pa, is_volatile);
	if ((st = lpsa_end(&call, wire)) == PSA_SUCCESS)
		*target_key = id;
	return st;
}

psa_status_t
psa_destroy_key(psa_key_id_t key)
{
	struct lpsa_call call;
	psa_status_t st;

	/* As PSA says, the null id is nothing to destroy. */
	if (key == PSA_KEY_ID_NULL)
		return PSA_SUCCESS;
	if ((st = lpsa_begin(&call, key)) != PSA_SUCCESS)
		return st;
	return lpsa_end(&call, parsec_destroy_key(call.client, call.name));
}

/*
 * Whether the service holds key; its attributes into pa. An id no key has is
 * INVALID_HANDLE, or DOES_NOT_EXIST if absent_is_handle is 0.
 */
static psa_status_t
lpsa_key_lookup(psa_key_id_t key, struct parsec_key_attributes *pa, int absent_is_handle)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_begin(&call, key)) != PSA_SUCCESS)
		return st;
	call.names_key = absent_is_handle;
	return lpsa_end(&call, lpsa_key_find(call.client, lpsa_provider(), call.name, pa));
}

/*
 * The key material is never in this process: there is nothing to purge from
 * it. A valid id without a key is DOES_NOT_EXIST, as Mbed TLS answers.
 */
psa_status_t
psa_purge_key(psa_key_id_t key)
{
	struct parsec_key_attributes pa;

	return lpsa_key_lookup(key, &pa, 0);
}

psa_status_t
psa_get_key_attributes(psa_key_id_t key, psa_key_attributes_t *attributes)
{
	struct parsec_key_attributes pa;
	psa_status_t st;

	psa_reset_key_attributes(attributes);
	if ((st = lpsa_key_lookup(key, &pa, 1)) != PSA_SUCCESS)
		return st;
	attributes->type = (psa_key_type_t)pa.type;
	attributes->bits = pa.bits;
	attributes->usage = pa.usage;
	attributes->alg = pa.alg;
	attributes->id = key;
	attributes->lifetime = key >= PSA_KEY_ID_VENDOR_MIN ? PSA_KEY_LIFETIME_VOLATILE :
	    PSA_KEY_LIFETIME_PERSISTENT;
	return PSA_SUCCESS;
}

void
psa_reset_key_attributes(psa_key_attributes_t *attributes)
{
	memset(attributes, 0, sizeof(*attributes));
}

/* Key data, whole or public. */
static psa_status_t
lpsa_key_export(psa_key_id_t key, int public_only, uint8_t *data, size_t data_size,
    size_t *data_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;
	int wire;

	*data_length = 0;
	if ((st = lpsa_begin(&call, key)) != PSA_SUCCESS)
		return st;
	lpsa_call_policy(&call, public_only ? 0 : PSA_KEY_USAGE_EXPORT, PSA_ALG_NONE);
	wire = public_only ?
	    parsec_export_public_key(call.client, call.name, data, data_size, &len) :
	    parsec_export_key(call.client, call.name, data, data_size, &len);
	if ((st = lpsa_end(&call, wire)) == PSA_SUCCESS)
		*data_length = len;
	return st;
}

psa_status_t
psa_export_key(psa_key_id_t key, uint8_t *data, size_t data_size, size_t *data_length)
{
	return lpsa_key_export(key, 0, data, data_size, data_length);
}

psa_status_t
psa_export_public_key(psa_key_id_t key, uint8_t *data, size_t data_size, size_t *data_length)
{
	return lpsa_key_export(key, 1, data, data_size, data_length);
}
