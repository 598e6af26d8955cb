/* SPDX-License-Identifier: Apache-2.0 */
/* Finding the row of a constant table by its 32-bit key (an opcode, a status). */
#ifndef PARSEC_ROW_H
#define PARSEC_ROW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The first of n rows of size bytes whose 32-bit field at key_at holds key, or NULL. */
static inline const void *
row_find(const void *rows, size_t n, size_t size, size_t key_at, uint32_t key)
{
	const unsigned char *r = rows;
	uint32_t k;

	for (; n > 0; n--, r += size) {
		memcpy(&k, r + key_at, sizeof(k));
		if (k == key)
			return r;
	}
	return NULL;
}

/* The row of table (an array of struct type) whose 32-bit field is key, or NULL. */
#define ROW_FIND(table, type, field, key)                                                  \
	((const type *)row_find((table), sizeof(table) / sizeof((table)[0]), sizeof(type), \
	    offsetof(type, field), (uint32_t)(key)))

#endif
