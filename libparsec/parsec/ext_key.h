/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsecd's extension operations, client side: volatile keys and key copy
 * (opcodes OP_EXT_* in wire.h's extension range). A volatile key is destroyed
 * by the service when the connection that made it closes, however the client
 * ended, and never survives a restart of the service. Every call answers 0 or
 * a wire status, as the rest of libparsec.
 * Internal to libparsec.a (libparsec-psa links it): not exported by
 * libparsec.so, not installed.
 */
#ifndef PARSEC_EXT_KEY_H
#define PARSEC_EXT_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

int parsec_ext_generate_volatile(parsec_client *c, const char *name,
    const struct parsec_key_attributes *attributes);
int parsec_ext_import_volatile(parsec_client *c, const char *name,
    const struct parsec_key_attributes *attributes, const uint8_t *data, size_t data_len);
/*
 * psa_copy_key: target gets source's material, type and bits; the service
 * checks that source's policy allows copying and narrows attributes' usage and
 * algorithm to source's as PSA's rule says (it never widens them).
 */
int parsec_ext_copy_key(parsec_client *c, const char *source, const char *target,
    const struct parsec_key_attributes *attributes, int is_volatile);

#endif
