/* SPDX-License-Identifier: Apache-2.0 */
/* Bytes from the kernel's generator, the whole count or none (randfill.c). */
#ifndef PARSEC_RANDFILL_H
#define PARSEC_RANDFILL_H

#include <stddef.h>

/*
 * len bytes from getrandom(2) with flags (0 or GRND_NONBLOCK) into out,
 * across interrupted and short reads: 0, or -1 with what was read wiped.
 */
int randfill(void *out, size_t len, unsigned int flags);

#endif
