/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key ids as parsecd key names. A persistent key (the user range) is
 * "psa-key-<id in decimal>", the same key for every process of the
 * application. A volatile key's id is picked here from the vendor range and
 * its name carries a random token of the process that made it,
 * "psa-volatile-<16 hex>-<id in hex>", so that two processes' volatile keys
 * never meet. A forked child draws a token of its own: its parent's volatile
 * keys are not its keys (they end with the parent), and name nothing here.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <sys/random.h>

#include "lpsa.h"

/* This process's token; its volatile keys are the ids from lpsa_first_volatile on. */
static uint64_t lpsa_token;
static int lpsa_token_set;
static psa_key_id_t lpsa_first_volatile = PSA_KEY_ID_VENDOR_MIN;
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
	if (lpsa_token_set)
		return 0;
	if (lpsa_name_token(&lpsa_token) != 0)
		return -1;
	lpsa_token_set = 1;
	return 0;
}

void
lpsa_name_forked(void)
{
	uint64_t token;

	/* Without randomness, still another token than the parent's. */
	if (lpsa_name_token(&token) != 0)
		token = lpsa_token ^ ((uint64_t)atomic_load(&lpsa_next_volatile) << 32 | 1);
	lpsa_token = token;
	lpsa_first_volatile = atomic_load(&lpsa_next_volatile);
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
	if (key >= PSA_KEY_ID_USER_MIN && key <= PSA_KEY_ID_USER_MAX) {
		snprintf(name, LPSA_NAME_MAX, "psa-key-%u", (unsigned)key);
		return PSA_SUCCESS;
	}
	if (key < lpsa_first_volatile || key > PSA_KEY_ID_VENDOR_MAX ||
	    key >= atomic_load(&lpsa_next_volatile))
		return PSA_ERROR_INVALID_HANDLE;
	snprintf(name, LPSA_NAME_MAX, "psa-volatile-%016llx-%x", (unsigned long long)lpsa_token,
	    (unsigned)key);
	return PSA_SUCCESS;
}
