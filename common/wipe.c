/* SPDX-License-Identifier: Apache-2.0 */
/* Freeing, growing and consuming buffers that may hold secrets, wiped on the way (wipe.h). */
#include <stdlib.h>
#include <string.h>

#include "wipe.h"

void
wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

void *
wipe_grow(void *p, size_t len, size_t cap)
{
	uint8_t *q;

	if ((q = malloc(cap)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(q, p, len);
	wipe_free(p, len);
	return q;
}

void
wipe_consume(uint8_t *p, size_t *len, size_t n)
{
	if (n > *len)
		n = *len;
	if (n == 0)
		return;
	if (n < *len)
		memmove(p, p + n, *len - n);
	explicit_bzero(p + *len - n, n);
	*len -= n;
}
