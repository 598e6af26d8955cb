/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory that carried secrets goes back wiped: the one way buffers of
 * requests, responses, internal messages and setups are released, grown and
 * consumed in every process and in libparsec.
 *
 * Secret, for this service: private and secret key material (ImportKey's
 * data, ExportKey's answer), PINs and hierarchy passwords, the output of a
 * raw key agreement and of every decryption, the plaintext given to an
 * encryption or a MAC, and GenerateRandom's bytes (applications make keys of
 * them). Public keys, signatures and hashes are not, but telling them apart
 * per opcode would cost more code than the wipe costs time: every such buffer
 * is wiped, whatever it held.
 */
#ifndef PARSEC_WIPE_H
#define PARSEC_WIPE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Wipes the first len bytes of p (the part that was used; the rest was never
 * written or is wiped already) and frees it. NULL is fine.
 */
void wipe_free(void *p, size_t len);

/*
 * p grown to cap bytes: its first len bytes move to a new allocation and the
 * old one is wiped and freed (realloc would leave a copy in freed memory).
 * NULL if out of memory, p untouched.
 */
void *wipe_grow(void *p, size_t len, size_t cap);

/* Drops the first n of the *len bytes at p: the rest moves to the front, the tail is wiped. */
void wipe_consume(uint8_t *p, size_t *len, size_t n);

#endif
