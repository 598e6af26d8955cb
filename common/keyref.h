/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key reference the key store hands a provider for a key it numbered:
 * four bytes, the key id little endian. What the software provider names its
 * key file after, what the key store counts, what --orphans compares.
 * Other references (a TPM's wrapped key, an adopted token object's CKA_ID)
 * have other lengths or are the provider's own.
 */
#ifndef PARSEC_KEYREF_H
#define PARSEC_KEYREF_H

#include <stddef.h>
#include <stdint.h>

#define KEYREF_ID_LEN 4

/* The key id a reference carries: 0, or -1 if it is not KEYREF_ID_LEN bytes. */
int keyref_id(const uint8_t *ref, size_t len, uint32_t *id);
/* The reference of key id, into ref (KEYREF_ID_LEN bytes); its length. */
size_t keyref_put(uint32_t id, uint8_t *ref);

#endif
