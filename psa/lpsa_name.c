/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key ids as parsecd key names. A persistent key (the user range) is
 * "psa-key-<id in decimal>", the same key for every process of the
 * application. A volatile key's id is picked here from the vendor range and
 * its name carries a random token of the process that made it,
 * "psa-volatile-<16 hex>-<id in hex>", so that two processes' volatile keys
 * never meet. A forked child takes a new token for the keys it makes and
 * still names its parent's keys by the parent's.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <sys/random.h>

#include "lpsa.h"

/* Tokens of this process and its forebears: keys from first on carry token. */
#define LPSA_TOKEN_MAX 8
static struct {
	psa_key_id_t first;
	uint64_t token;
} lpsa_tokens[LPSA_TOKEN_MAX];
static int lpsa_token_count;
static atomic_uint lpsa_next_volatile = PSA_KEY_ID_VENDOR_MIN;

static int
lpsa_name_token(uint64_t *token)
{
	size_t got = 0;

	while (got < sizeof(*token)) {
		ssize_t n = getrandom((uint8_t *)token + got, sizeof(*token) - got, 0);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int
lpsa_name_init(void)
{
	if (lpsa_token_count > 0)
		return 0;
	if (lpsa_name_token(&lpsa_tokens[0].token) != 0)
		return -1;
	lpsa_tokens[0].first = PSA_KEY_ID_VENDOR_MIN;
	lpsa_token_count = 1;
	return 0;
}

void
lpsa_name_forked(void)
{
	uint64_t token;
	int i;

	if (lpsa_name_token(&token) != 0)
		token = lpsa_tokens[lpsa_token_count - 1].token ^ (uint64_t)atomic_load(&lpsa_next_volatile);
	/* The oldest forebear's keys become unreachable when the table is full. */
	if (lpsa_token_count == LPSA_TOKEN_MAX) {
		for (i = 1; i < LPSA_TOKEN_MAX; i++)
			lpsa_tokens[i - 1] = lpsa_tokens[i];
		lpsa_token_count--;
	}
	lpsa_tokens[lpsa_token_count].first = atomic_load(&lpsa_next_volatile);
	lpsa_tokens[lpsa_token_count].token = token;
	lpsa_token_count++;
}

psa_key_id_t
lpsa_volatile_id(void)
{
	unsigned id = atomic_fetch_add(&lpsa_next_volatile, 1);

	return id <= PSA_KEY_ID_VENDOR_MAX ? (psa_key_id_t)id : 0;
}

psa_status_t
lpsa_key_name(psa_key_id_t key, char name[LPSA_NAME_MAX])
{
	int i;

	if (key >= PSA_KEY_ID_USER_MIN && key <= PSA_KEY_ID_USER_MAX) {
		snprintf(name, LPSA_NAME_MAX, "psa-key-%u", (unsigned)key);
		return PSA_SUCCESS;
	}
	if (key < PSA_KEY_ID_VENDOR_MIN || key > PSA_KEY_ID_VENDOR_MAX ||
	    key >= atomic_load(&lpsa_next_volatile))
		return PSA_ERROR_INVALID_HANDLE;
	for (i = lpsa_token_count; i-- > 0;) {
		if (key >= lpsa_tokens[i].first) {
			snprintf(name, LPSA_NAME_MAX, "psa-volatile-%016llx-%x",
			    (unsigned long long)lpsa_tokens[i].token, (unsigned)key);
			return PSA_SUCCESS;
		}
	}
	return PSA_ERROR_INVALID_HANDLE;
}
