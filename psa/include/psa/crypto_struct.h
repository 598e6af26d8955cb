/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec-psa: the layout of key attributes and of operation objects, which a
 * program keeps on its stack. An operation holds no secret: its state lives in
 * parsecd (or, for a hash, in the library), named by a handle; handle 0 is the
 * inactive state that the *_INIT macros and *_init() functions give.
 */
#ifndef PARSEC_PSA_CRYPTO_STRUCT_H
#define PARSEC_PSA_CRYPTO_STRUCT_H

#include "crypto_types.h"
#include "crypto_values.h"

#ifdef __cplusplus
extern "C" {
#endif

struct psa_key_attributes_s {
	psa_key_type_t type;
	size_t bits;
	psa_key_lifetime_t lifetime;
	psa_key_id_t id;
	psa_key_usage_t usage;
	psa_algorithm_t alg;
};

/*
 * handle: the service's (or the library's) name of the operation, 0 when
 * inactive; conn: which of the library's connections holds it; state: the
 * library's own record of the steps taken (setup, IV or nonce, lengths, direction).
 */
struct psa_hash_operation_s {
	uint32_t handle;
	uint32_t conn;
	psa_algorithm_t alg;
	uint32_t state;
};

struct psa_mac_operation_s {
	uint32_t handle;
	uint32_t conn;
	psa_algorithm_t alg;
	uint32_t state;
	size_t mac_size;
};

struct psa_cipher_operation_s {
	uint32_t handle;
	uint32_t conn;
	psa_algorithm_t alg;
	uint32_t state;
	size_t iv_size;
	size_t block_size;
};

struct psa_aead_operation_s {
	uint32_t handle;
	uint32_t conn;
	psa_algorithm_t alg;
	uint32_t state;
	size_t tag_size;
};

struct psa_key_derivation_s {
	uint32_t handle;
	uint32_t conn;
	psa_algorithm_t alg;
	uint32_t state;
};

/* Initial values: no type, no bits, volatile, no id, no usage, no algorithm. */
#define PSA_KEY_ATTRIBUTES_INIT { 0, 0, 0, 0, 0, 0 }
#define PSA_HASH_OPERATION_INIT { 0, 0, 0, 0 }
#define PSA_MAC_OPERATION_INIT { 0, 0, 0, 0, 0 }
#define PSA_CIPHER_OPERATION_INIT { 0, 0, 0, 0, 0, 0 }
#define PSA_AEAD_OPERATION_INIT { 0, 0, 0, 0, 0 }
#define PSA_KEY_DERIVATION_OPERATION_INIT { 0, 0, 0, 0 }

static inline psa_key_attributes_t psa_key_attributes_init(void)
{
	const psa_key_attributes_t v = PSA_KEY_ATTRIBUTES_INIT;
	return v;
}

static inline psa_hash_operation_t psa_hash_operation_init(void)
{
	const psa_hash_operation_t v = PSA_HASH_OPERATION_INIT;
	return v;
}

static inline psa_mac_operation_t psa_mac_operation_init(void)
{
	const psa_mac_operation_t v = PSA_MAC_OPERATION_INIT;
	return v;
}

static inline psa_cipher_operation_t psa_cipher_operation_init(void)
{
	const psa_cipher_operation_t v = PSA_CIPHER_OPERATION_INIT;
	return v;
}

static inline psa_aead_operation_t psa_aead_operation_init(void)
{
	const psa_aead_operation_t v = PSA_AEAD_OPERATION_INIT;
	return v;
}

static inline psa_key_derivation_operation_t psa_key_derivation_operation_init(void)
{
	const psa_key_derivation_operation_t v = PSA_KEY_DERIVATION_OPERATION_INIT;
	return v;
}

/*
 * The attribute accessors. Giving a key an id makes a volatile key persistent
 * (in the same location); making a key volatile drops its id, as the API says.
 */
static inline void psa_set_key_id(psa_key_attributes_t *attributes, psa_key_id_t id)
{
	attributes->id = id;
	if (PSA_KEY_LIFETIME_IS_VOLATILE(attributes->lifetime))
		attributes->lifetime = PSA_KEY_LIFETIME_FROM_PERSISTENCE_AND_LOCATION(
		    PSA_KEY_PERSISTENCE_DEFAULT,
		    PSA_KEY_LIFETIME_GET_LOCATION(attributes->lifetime));
}

static inline psa_key_id_t psa_get_key_id(const psa_key_attributes_t *attributes)
{
	return attributes->id;
}

static inline void psa_set_key_lifetime(psa_key_attributes_t *attributes,
    psa_key_lifetime_t lifetime)
{
	attributes->lifetime = lifetime;
	if (PSA_KEY_LIFETIME_IS_VOLATILE(lifetime))
		attributes->id = PSA_KEY_ID_NULL;
}

static inline psa_key_lifetime_t psa_get_key_lifetime(const psa_key_attributes_t *attributes)
{
	return attributes->lifetime;
}

static inline void psa_set_key_usage_flags(psa_key_attributes_t *attributes,
    psa_key_usage_t usage_flags)
{
	attributes->usage = usage_flags;
}

static inline psa_key_usage_t psa_get_key_usage_flags(const psa_key_attributes_t *attributes)
{
	return attributes->usage;
}

static inline void psa_set_key_algorithm(psa_key_attributes_t *attributes, psa_algorithm_t alg)
{
	attributes->alg = alg;
}

static inline psa_algorithm_t psa_get_key_algorithm(const psa_key_attributes_t *attributes)
{
	return attributes->alg;
}

static inline void psa_set_key_type(psa_key_attributes_t *attributes, psa_key_type_t type)
{
	attributes->type = type;
}

static inline psa_key_type_t psa_get_key_type(const psa_key_attributes_t *attributes)
{
	return attributes->type;
}

static inline void psa_set_key_bits(psa_key_attributes_t *attributes, size_t bits)
{
	attributes->bits = bits;
}

static inline size_t psa_get_key_bits(const psa_key_attributes_t *attributes)
{
	return attributes->bits;
}

#ifdef __cplusplus
}
#endif

#endif /* PARSEC_PSA_CRYPTO_STRUCT_H */
