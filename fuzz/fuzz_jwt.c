/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the JWT-SVID token parser, the JWKS bundle file parser
 * and the Workload API's JWTBundlesResponse decoder (brokerd runs them all on
 * bytes it did not make). The first byte picks which.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jwt_bundle bundle, prev;
	static struct jwt_token t;
	char refused_td[JWT_TD_MAX];
	const char *why = NULL;
	size_t i;
	int r;

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		/* A fixed "now" well before the seeds' exp: the claim checks run too. */
		if (jwt_parse(data + 1, size - 1, 1700000000, &t, &why) == 0 &&
		    (t.sig_len == 0 || t.signed_len >= size || strlen(t.sub) >= JWT_ID_MAX))
			abort();
		if (jwt_parse(data + 1, size - 1, 1700000000, &t, &why) == -1 && why == NULL)
			abort();
		break;
	case 1:
		if (jwt_bundle_parse_file(&bundle, data + 1, size - 1) == 0 &&
		    bundle.count > JWT_BUNDLE_KEYS_MAX)
			abort();
		break;
	case 3:
		/* The set in use, which a refused entry's trust domain keeps: the seed's own. */
		r = jwt_bundle_parse_workload(&bundle, &prev, data + 1, size - 1, refused_td);
		if ((r == -1 && bundle.count != 0) || bundle.count > JWT_BUNDLE_KEYS_MAX ||
		    strlen(refused_td) >= JWT_TD_MAX)
			abort();
		for (i = 0; i < bundle.count; i++)
			if (!jwt_valid_trust_domain(bundle.keys[i].trust_domain,
			    strlen(bundle.keys[i].trust_domain)))
				abort();
		if (r >= 0)
			memcpy(&prev, &bundle, sizeof(prev));
		break;
	default:
		memset(&bundle, 0, sizeof(bundle));
		(void)jwt_bundle_add_jwks(&bundle, "example.org", data + 1, size - 1);
		break;
	}
	return 0;
}
