/* SPDX-License-Identifier: Apache-2.0 */
/* The software provider's internals shared between its files. */
#ifndef PROV_MBED_H
#define PROV_MBED_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>

/*
 * Signs with a cached parsed ECDSA key. Returns 0 if this path does not apply
 * (the caller uses PSA), 1 with *status set otherwise.
 */
int prov_mbed_fast_sign(psa_key_id_t id, psa_algorithm_t alg, const uint8_t *hash, size_t hash_len,
    uint8_t *sig, size_t sig_cap, size_t *sig_len, psa_status_t *status);
/* Drops a destroyed key from this worker's cache. */
void prov_mbed_fast_forget(psa_key_id_t id);

#endif
