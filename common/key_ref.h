/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key reference that is a key id: the 4 little-endian bytes brokerd's
 * key store hands out and the software provider takes as its PSA key id.
 * One decoder and one encoder, so every process reads the same bytes alike.
 */
#ifndef PARSEC_KEY_REF_H
#define PARSEC_KEY_REF_H

#include <stddef.h>
#include <stdint.h>

#define KEY_REF_ID_LEN 4

/* The id in a reference: 0, or -1 if the reference is not KEY_REF_ID_LEN bytes. */
int key_ref_id(const uint8_t *key_ref, size_t key_ref_len, uint32_t *id);
/* Writes id as a reference of KEY_REF_ID_LEN bytes. */
void key_ref_put_id(uint8_t *key_ref, uint32_t id);

#endif
