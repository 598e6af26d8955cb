/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Workload API's JWTBundlesResponse (protobuf: map<string, bytes>
 * bundles = 1, trust domain -> JWKS) into a JWT bundle set; see jwt.h.
 */
#include <string.h>

#include "jwt.h"

static int
pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	int shift;

	*v = 0;
	for (shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

/* One field: its number and wire type; a length-delimited one's bytes in *val. */
static int
pb_field(const uint8_t **p, const uint8_t *end, uint64_t *num, const uint8_t **val,
    size_t *len)
{
	uint64_t key, v;

	if (pb_varint(p, end, &key) == -1)
		return -1;
	*num = key >> 3;
	*val = NULL;
	switch (key & 7) {
	case 0:
		return pb_varint(p, end, &v);
	case 1:
	case 5:
		if ((size_t)(end - *p) < ((key & 7) == 1 ? 8u : 4u))
			return -1;
		*p += (key & 7) == 1 ? 8 : 4;
		return 0;
	case 2:
		if (pb_varint(p, end, &v) == -1 || v > (uint64_t)(end - *p))
			return -1;
		*val = *p;
		*len = (size_t)v;
		*p += v;
		return 0;
	default:
		return -1;
	}
}

/* One map entry of JWTBundlesResponse.bundles: trust domain (1) -> JWKS bytes (2). */
static int
spiffe_entry(struct jwt_bundle *b, const uint8_t *p, const uint8_t *end)
{
	char td[JWT_TD_MAX] = "";
	const uint8_t *val, *jwks = NULL;
	size_t len, jwks_len = 0;
	uint64_t num;

	while (p < end) {
		if (pb_field(&p, end, &num, &val, &len) == -1)
			return -1;
		if (num == 1 && val != NULL) {
			if (len >= sizeof(td) || !jwt_valid_trust_domain((const char *)val, len))
				return -1;
			memcpy(td, val, len);
			td[len] = '\0';
		} else if (num == 2 && val != NULL) {
			jwks = val;
			jwks_len = len;
		}
	}
	if (td[0] == '\0' || jwks == NULL)
		return -1;
	return jwt_bundle_add_jwks(b, td, jwks, jwks_len);
}

int
jwt_bundle_parse_workload(struct jwt_bundle *b, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len, *val;
	size_t vlen;
	uint64_t num;

	memset(b, 0, sizeof(*b));
	while (p < end) {
		if (pb_field(&p, end, &num, &val, &vlen) == -1 ||
		    (num == 1 && val != NULL && spiffe_entry(b, val, val + vlen) == -1)) {
			memset(b, 0, sizeof(*b));
			return -1;
		}
	}
	return 0;
}
