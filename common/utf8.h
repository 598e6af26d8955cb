/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 checks for names that cross a trust boundary (keys, applications). */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the one strict UTF-8 sequence at S (at most LEN bytes): 1 to
 * 4, or 0 when S does not start with a valid one. */
size_t utf8_seq_len(const uint8_t *s, size_t len);

/* Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points past
 * U+10FFFF. Returns 1 when S[0..LEN) is valid, 0 otherwise. */
int utf8_valid(const uint8_t *s, size_t len);

/* A name: valid UTF-8 without a NUL byte (C strings would cut it there). */
int utf8_name_valid(const uint8_t *s, size_t len);

#endif
