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

/*
 * A map key of JWTBundlesResponse.bundles: SPIRE's agent writes the trust
 * domain's SPIFFE ID ("spiffe://example.org", its workload handler's
 * td.IDString()), go-spiffe's test fakes the bare name ("example.org"); both
 * name the same trust domain, and the rust spiffe crate's TrustDomain::new
 * takes both. Nothing else: no path (which that crate and go-spiffe's
 * TrustDomainFromString would drop, and no agent sends), port, user, other
 * scheme or upper case. The name goes into td, "" if the key is none of these.
 */
static void
spiffe_td_key(const uint8_t *key, size_t len, char td[JWT_TD_MAX])
{
	static const char id_prefix[] = "spiffe://";
	const size_t id_len = sizeof(id_prefix) - 1;

	td[0] = '\0';
	if (len >= id_len && memcmp(key, id_prefix, id_len) == 0) {
		key += id_len;
		len -= id_len;
	}
	if (!jwt_valid_trust_domain((const char *)key, len))
		return;
	memcpy(td, key, len);
	td[len] = '\0';
}

/* Takes trust domain td's keys out of b (the last map entry for it wins, as protobuf says). */
static void
spiffe_drop(struct jwt_bundle *b, const char *td)
{
	size_t i, kept = 0;

	for (i = 0; i < b->count; i++)
		if (strcmp(b->keys[i].trust_domain, td) != 0)
			b->keys[kept++] = b->keys[i];
	memset(&b->keys[kept], 0, (b->count - kept) * sizeof(b->keys[0]));
	b->count = kept;
}

/* A refused entry's trust domain keeps the keys it had in prev. */
static void
spiffe_keep(struct jwt_bundle *b, const struct jwt_bundle *prev, const char *td)
{
	size_t i;

	for (i = 0; prev != NULL && i < prev->count && b->count < JWT_BUNDLE_KEYS_MAX; i++)
		if (strcmp(prev->keys[i].trust_domain, td) == 0)
			b->keys[b->count++] = prev->keys[i];
}

/* One map entry: trust domain (1) -> JWKS bytes (2). 0 taken, -1 refused. */
static int
spiffe_entry(struct jwt_bundle *b, const struct jwt_bundle *prev, const uint8_t *p,
    const uint8_t *end, char td[JWT_TD_MAX])
{
	const uint8_t *val, *jwks = NULL;
	size_t len, jwks_len = 0, before;
	uint64_t num;
	int broken = 0;

	td[0] = '\0';
	while (p < end && !broken) {
		if (pb_field(&p, end, &num, &val, &len) == -1)
			broken = 1;
		else if (num == 1 && val != NULL)
			spiffe_td_key(val, len, td);
		else if (num == 2 && val != NULL) {
			jwks = val;
			jwks_len = len;
		}
	}
	if (td[0] == '\0')
		return -1;
	spiffe_drop(b, td);
	before = b->count;
	if (!broken && jwks != NULL && jwt_bundle_add_jwks(b, td, jwks, jwks_len) == 0)
		return 0;
	memset(&b->keys[before], 0, (b->count - before) * sizeof(b->keys[0]));
	b->count = before;
	spiffe_keep(b, prev, td);
	return -1;
}

/*
 * Each entry stands alone. The rust spiffe crate refuses the whole response
 * for one bad key or JWKS (0.2.2, the one upstream Parsec 1.x links:
 * fetch_jwt_bundles returns the error; 0.16's JwtSource keeps its last set),
 * and so does go-spiffe. But upstream Parsec's JwtSvid never parses bundles:
 * it asks the agent (ValidateJWTSVID), whose bundles are kept per trust
 * domain, so one trust domain's bad bundle never stops another's tokens.
 * That is what is kept here: the good entries are taken, a bad entry's trust
 * domain keeps the keys it had (as the whole set does in those libraries), and
 * a key that names no trust domain is left out.
 */
int
jwt_bundle_parse_workload(struct jwt_bundle *b, const struct jwt_bundle *prev,
    const uint8_t *p, size_t len, char refused_td[JWT_TD_MAX])
{
	const uint8_t *end = p + len, *val;
	char td[JWT_TD_MAX];
	size_t vlen;
	uint64_t num;
	int refused = 0;

	memset(b, 0, sizeof(*b));
	refused_td[0] = '\0';
	while (p < end) {
		if (pb_field(&p, end, &num, &val, &vlen) == -1) {
			memset(b, 0, sizeof(*b));
			return -1;
		}
		if (num != 1 || val == NULL || spiffe_entry(b, prev, val, val + vlen, td) == 0)
			continue;
		if (refused++ == 0)
			memcpy(refused_td, td, sizeof(td));
	}
	return refused;
}
