/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSA's RSA public key format, DER RSAPublicKey (RFC 8017 A.1.1):
 * SEQUENCE { INTEGER modulus, INTEGER publicExponent }, read strictly
 * (minimal lengths and integers, nothing after it) and written canonically.
 */
#ifndef PARSEC_DER_H
#define PARSEC_DER_H

#include <stddef.h>
#include <stdint.h>

/* A tag and a definite, minimal length that fits before end: what follows, or NULL. */
const uint8_t *der_header(const uint8_t *p, const uint8_t *end, uint8_t tag, size_t *len);
/* Writes a tag and a length below 64 KiB; returns where the contents go. */
uint8_t *der_put_header(uint8_t *p, uint8_t tag, size_t len);

/* Points n and e at the magnitudes inside der: 0, or -1 for anything not canonical. */
int der_rsa_public_parse(const uint8_t *der, size_t len, const uint8_t **n, size_t *n_len,
    const uint8_t **e, size_t *e_len);

/* Writes the key into out (NULL: only measures); returns its length, or 0 if cap is short. */
size_t der_rsa_public_write(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
    uint8_t *out, size_t cap);

#endif
