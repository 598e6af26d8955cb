/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSA key policy for backends whose device keeps none (PKCS#11, TPM): the
 * usage flags and the permitted algorithm brokerd sends with each use. Also
 * linked into libparsec-psa, which judges with it which error Mbed TLS would
 * give first when the service cannot do an operation.
 */
#ifndef KEY_POLICY_H
#define KEY_POLICY_H

#include <stdint.h>

#include <psa/crypto.h>

#include "op.h"

/* The usage flag an operation needs, or 0 if it needs none (a public export). */
uint32_t key_policy_usage_needed(uint32_t opcode);

/*
 * Whether a key's usage flags hold need (a hash flag implies the message one)
 * and its permitted algorithm is alg, a hash wildcard of it, or a MAC or AEAD
 * tag length policy (an exact one, or "at least this length") that admits alg.
 */
int key_policy_permits(const struct op_key_attrs *attrs, uint32_t need, uint32_t alg);

/*
 * PSA_SUCCESS if a key with attrs may run opcode with alg, PSA_ERROR_NOT_PERMITTED
 * if its policy says no, PSA_ERROR_INVALID_ARGUMENT for a wildcard algorithm
 * (any hash, at least some MAC or tag length: a policy, never an operation).
 */
psa_status_t key_policy_check(const struct op_key_attrs *attrs, uint32_t opcode, uint32_t alg);

/*
 * The length of a hash to sign or verify, judged after the key's policy as PSA
 * does: PSA_SUCCESS, the policy's refusal, PSA_ERROR_INVALID_ARGUMENT for a hash
 * of another length than alg's, or PSA_ERROR_INVALID_SIGNATURE for one to
 * verify with ECDSA (what mbedtls 2.28 answers there; such a hash is never accepted).
 */
psa_status_t key_policy_hash_length(const struct op_key_attrs *attrs, uint32_t opcode,
    uint32_t alg, size_t hash_len);

/* The PKCS#1 v1.5 DigestInfo prefix for a PSA hash, or NULL. */
const uint8_t *key_policy_digest_info(uint32_t hash_alg, size_t *len);

/* PSA's pairing of a MAC and a key type: HMAC on an HMAC key, a block-cipher MAC on a block cipher's. */
int key_policy_mac_key_fits(uint32_t alg, uint32_t type);

/* Usage flags as PSA extends them at a key's creation: a hash flag grants the message one. */
uint32_t key_policy_usage_extended(uint32_t usage);

#endif
