/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec-psa: the integer and object types of the PSA Cryptography API 1.0.1.
 * The widths are the API's (and those of Mbed TLS 2.28, so that a program built
 * against either sees the same types); psa_key_id_t is a plain 32-bit integer.
 */
#ifndef PARSEC_PSA_CRYPTO_TYPES_H
#define PARSEC_PSA_CRYPTO_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* 0 is success, a negative value an error (PSA_ERROR_*). */
typedef int32_t psa_status_t;

/* What a key is: bits 12..14 its category, the rest the kind within it. */
typedef uint16_t psa_key_type_t;
/* The curve family of an elliptic-curve key type (its low byte). */
typedef uint8_t psa_ecc_family_t;
/* The group family of a Diffie-Hellman key type (its low byte). */
typedef uint8_t psa_dh_family_t;

/* An algorithm, or a policy's algorithm with wildcards: bits 24..30 its category. */
typedef uint32_t psa_algorithm_t;

/* Where a key lives and how long: persistence in the low byte, location above. */
typedef uint32_t psa_key_lifetime_t;
typedef uint8_t psa_key_persistence_t;
typedef uint32_t psa_key_location_t;

/* A key's name as the application sees it (0 is no key). */
typedef uint32_t psa_key_id_t;

/* The PSA_KEY_USAGE_* bits a key's policy allows. */
typedef uint32_t psa_key_usage_t;

/* Which input of a key derivation a buffer or key is (PSA_KEY_DERIVATION_INPUT_*). */
typedef uint16_t psa_key_derivation_step_t;

/* Attributes of a key, and the multipart operations: crypto_struct.h lays them out. */
typedef struct psa_key_attributes_s psa_key_attributes_t;
typedef struct psa_hash_operation_s psa_hash_operation_t;
typedef struct psa_mac_operation_s psa_mac_operation_t;
typedef struct psa_cipher_operation_s psa_cipher_operation_t;
typedef struct psa_aead_operation_s psa_aead_operation_t;
typedef struct psa_key_derivation_s psa_key_derivation_operation_t;

#endif /* PARSEC_PSA_CRYPTO_TYPES_H */
