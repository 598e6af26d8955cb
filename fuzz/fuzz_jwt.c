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
	static struct jwt_bundle bundle;
	static struct jwt_token t;
	const char *why = NULL;

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
		if (jwt_bundle_parse_workload(&bundle, data + 1, size - 1) == -1 && bundle.count != 0)
			abort();
		break;
	default:
		memset(&bundle, 0, sizeof(bundle));
		(void)jwt_bundle_add_jwks(&bundle, "example.org", data + 1, size - 1);
		break;
	}
	return 0;
}
