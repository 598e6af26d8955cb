/* SPDX-License-Identifier: Apache-2.0 */
/* JWT-SVID and JWKS parsing, as jwt.h says; written from RFC 7515/7517/7519 and the SPIFFE specs. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jwt.h"


static int
jwt_b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long
jwt_b64url_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	if (len % 4 == 1 || len / 4 * 3 + 2 > cap + 2)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = jwt_b64_value(in[i])) == -1)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Canonical: the bits left over are zero. */
	return acc != 0 ? -1 : (long)o;
}

int
jwt_valid_trust_domain(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= JWT_TD_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* A workload's SPIFFE ID (a path is required); its trust domain into td. */
static int
jwt_spiffe_id(const char *s, size_t len, char *td)
{
	const char *p, *end = s + len, *seg;
	size_t tdl;

	if (len >= JWT_ID_MAX || len < 9 || memcmp(s, "spiffe://", 9) != 0)
		return -1;
	s += 9;
	if ((p = memchr(s, '/', (size_t)(end - s))) == NULL)
		return -1;
	tdl = (size_t)(p - s);
	if (!jwt_valid_trust_domain(s, tdl))
		return -1;
	memcpy(td, s, tdl);
	td[tdl] = '\0';
	while (p < end) {
		seg = ++p;
		while (p < end && *p != '/') {
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
				return -1;
			p++;
		}
		if (p == seg || (p - seg == 1 && seg[0] == '.') ||
		    (p - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return -1;
	}
	return 0;
}

static int
jwt_header(const struct json_doc *d, struct jwt_token *t, const char **why)
{
	static const char *const algs[] = { "RS256", "RS384", "RS512", "ES256", "ES384",
		"ES512", "PS256", "PS384", "PS512", NULL };
	const char *alg, *kid, *typ;
	size_t kid_len, i;

	if ((alg = json_get_str(d, 0, "alg", NULL)) == NULL)
		return *why = "no alg", -1;
	for (i = 0; algs[i] != NULL && strcmp(algs[i], alg) != 0; i++)
		;
	if (algs[i] == NULL)
		return *why = "alg not allowed for a JWT-SVID", -1;
	t->alg = (enum jwt_alg)(i + 1);
	if ((kid = json_get_str(d, 0, "kid", &kid_len)) == NULL || kid_len == 0 ||
	    kid_len >= sizeof(t->kid))
		return *why = "no usable kid", -1;
	memcpy(t->kid, kid, kid_len + 1);
	if (json_get(d, 0, "typ") != JSON_NONE &&
	    ((typ = json_get_str(d, 0, "typ", NULL)) == NULL ||
	    (strcmp(typ, "JWT") != 0 && strcmp(typ, "JOSE") != 0)))
		return *why = "typ is not JWT or JOSE", -1;
	if (json_get(d, 0, "crit") != JSON_NONE)
		return *why = "crit header not understood", -1;
	return 0;
}

static int
jwt_audience(const struct json_doc *d)
{
	uint32_t a = json_get(d, 0, "aud"), i;

	if (a == JSON_NONE)
		return -1;
	if (d->nodes[a].type == JSON_STRING)
		return strcmp(d->nodes[a].str, JWT_AUDIENCE) == 0 ? 0 : -1;
	if (d->nodes[a].type != JSON_ARRAY)
		return -1;
	for (i = d->nodes[a].first; i != JSON_NONE; i = d->nodes[i].next)
		if (d->nodes[i].type == JSON_STRING && strcmp(d->nodes[i].str, JWT_AUDIENCE) == 0)
			return 0;
	return -1;
}

static int
jwt_claims(const struct json_doc *d, int64_t now, struct jwt_token *t, const char **why)
{
	const char *sub;
	size_t sub_len;
	uint32_t n;

	if ((sub = json_get_str(d, 0, "sub", &sub_len)) == NULL ||
	    jwt_spiffe_id(sub, sub_len, t->trust_domain) == -1)
		return *why = "sub is not a workload SPIFFE ID", -1;
	memcpy(t->sub, sub, sub_len + 1);
	if (jwt_audience(d) == -1)
		return *why = "audience is not " JWT_AUDIENCE, -1;
	if ((n = json_get(d, 0, "exp")) == JSON_NONE || json_int(&d->nodes[n], &t->exp) == -1)
		return *why = "no exp", -1;
	if (t->exp <= now)
		return *why = "expired", -1;
	t->nbf = 0;
	if ((n = json_get(d, 0, "nbf")) != JSON_NONE &&
	    (json_int(&d->nodes[n], &t->nbf) == -1 || t->nbf > now))
		return *why = "not valid yet", -1;
	return 0;
}

/* Decodes one base64url part and parses it as a JSON object. */
static int
jwt_part(const uint8_t *in, size_t len, struct json_doc *d)
{
	uint8_t *buf;
	long n;
	int r;

	if (len == 0 || len > JWT_PART_MAX || (buf = malloc(len)) == NULL)
		return -1;
	n = jwt_b64url_decode(in, len, buf, len);
	r = n > 0 ? json_parse(buf, (size_t)n, d) : -1;
	free(buf);
	if (r == 0 && d->nodes[0].type != JSON_OBJECT) {
		json_free(d);
		return -1;
	}
	return r;
}

/* The base64url characters (no padding) that carry n bytes. */
#define JWT_B64_LEN(n) (((n) * 4 + 2) / 3)

int
jwt_parse_header(const uint8_t *tok, size_t len, struct jwt_token *t, const char **why)
{
	const uint8_t *dot1, *dot2;
	size_t header_len;
	struct json_doc d;
	int r;

	memset(t, 0, sizeof(*t));
	if ((dot1 = memchr(tok, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok))) == NULL)
		return *why = "not a compact JWS", -1;
	header_len = (size_t)(dot1 - tok);
	t->payload = dot1 + 1;
	t->payload_len = (size_t)(dot2 - t->payload);
	t->sig_b64 = dot2 + 1;
	t->sig_b64_len = len - (size_t)(t->sig_b64 - tok);
	/* Sizes first: nothing is decoded of a token no JWT-SVID issuer makes. */
	if (header_len > JWT_B64_LEN(JWT_HEADER_MAX))
		return *why = "header larger than a JWT-SVID's", -1;
	if (t->payload_len > JWT_PART_MAX)
		return *why = "payload larger than 64 KiB", -1;
	if (t->sig_b64_len == 0 || t->sig_b64_len > JWT_B64_LEN(JWT_SIG_MAX))
		return *why = "signature is not base64url of a usable size", -1;
	if (jwt_part(tok, header_len, &d) == -1)
		return *why = "header is not a base64url JSON object", -1;
	r = jwt_header(&d, t, why);
	json_free(&d);
	if (r == -1)
		return -1;
	t->signed_part = tok;
	t->signed_len = (size_t)(dot2 - tok);
	return 0;
}

int
jwt_parse_claims(struct jwt_token *t, int64_t now, const char **why)
{
	struct json_doc d;
	long n;
	int r;

	if (jwt_part(t->payload, t->payload_len, &d) == -1)
		return *why = "payload is not a base64url JSON object", -1;
	r = jwt_claims(&d, now, t, why);
	json_free(&d);
	if (r == -1)
		return -1;
	n = jwt_b64url_decode(t->sig_b64, t->sig_b64_len, t->sig, sizeof(t->sig));
	if (n <= 0)
		return *why = "signature is not base64url of a usable size", -1;
	t->sig_len = (size_t)n;
	return 0;
}

int
jwt_parse(const uint8_t *tok, size_t len, int64_t now, struct jwt_token *t, const char **why)
{
	if (jwt_parse_header(tok, len, t, why) == -1)
		return -1;
	return jwt_parse_claims(t, now, why);
}

/* A base64url member of a JWK into out (exactly want bytes if want != 0). */
static int
jwt_jwk_bytes(const struct json_doc *d, uint32_t k, const char *name, uint8_t *out, size_t cap,
    size_t *out_len)
{
	const char *s;
	size_t len;
	long n;

	if ((s = json_get_str(d, k, name, &len)) == NULL ||
	    (n = jwt_b64url_decode((const uint8_t *)s, len, out, cap)) <= 0)
		return -1;
	*out_len = (size_t)n;
	return 0;
}

static int
jwt_jwk_ec(const struct json_doc *d, uint32_t k, struct jwt_key *key)
{
	static const char *const crvs[] = { "P-256", "P-384", "P-521", NULL };
	static const size_t sizes[] = { 32, 48, 66 };
	const char *crv = json_get_str(d, k, "crv", NULL);
	size_t i, xl, yl;

	for (i = 0; crv != NULL && crvs[i] != NULL && strcmp(crvs[i], crv) != 0; i++)
		;
	if (crv == NULL || crvs[i] == NULL)
		return -1;
	key->crv = (enum jwt_crv)(i + 1);
	if (jwt_jwk_bytes(d, k, "x", key->x, sizeof(key->x), &xl) == -1 ||
	    jwt_jwk_bytes(d, k, "y", key->y, sizeof(key->y), &yl) == -1 || xl != sizes[i] ||
	    yl != sizes[i])
		return -1;
	key->coord_len = xl;
	return 0;
}

/* One JWK: 1 taken, 0 skipped (not a JWT-SVID key we use), -1 malformed. */
static int
jwt_jwk(const struct json_doc *d, uint32_t k, const char *td, struct jwt_key *key)
{
	const char *kty, *use, *kid;
	size_t kid_len;

	if (d->nodes[k].type != JSON_OBJECT || (kty = json_get_str(d, k, "kty", NULL)) == NULL)
		return -1;
	use = json_get_str(d, k, "use", NULL);
	if ((use != NULL && strcmp(use, "jwt-svid") != 0) ||
	    (kid = json_get_str(d, k, "kid", &kid_len)) == NULL || kid_len == 0 ||
	    kid_len >= sizeof(key->kid))
		return 0;
	memset(key, 0, sizeof(*key));
	strlcpy(key->trust_domain, td, sizeof(key->trust_domain));
	memcpy(key->kid, kid, kid_len + 1);
	if (strcmp(kty, "EC") == 0) {
		key->kty = JWT_KTY_EC;
		return jwt_jwk_ec(d, k, key) == -1 ? -1 : 1;
	}
	if (strcmp(kty, "RSA") == 0) {
		key->kty = JWT_KTY_RSA;
		if (jwt_jwk_bytes(d, k, "n", key->n, sizeof(key->n), &key->n_len) == -1 ||
		    jwt_jwk_bytes(d, k, "e", key->e, sizeof(key->e), &key->e_len) == -1 ||
		    key->n_len < 256 || key->n[0] == 0)
			return -1;
		return 1;
	}
	return 0;
}

static int
jwt_jwks_node(struct jwt_bundle *b, const char *td, const struct json_doc *d, uint32_t obj)
{
	uint32_t keys = json_get(d, obj, "keys"), k;
	int r;

	if (!jwt_valid_trust_domain(td, strlen(td)) || keys == JSON_NONE ||
	    d->nodes[keys].type != JSON_ARRAY)
		return -1;
	for (k = d->nodes[keys].first; k != JSON_NONE; k = d->nodes[k].next) {
		if (b->count >= JWT_BUNDLE_KEYS_MAX)
			return -1;
		if ((r = jwt_jwk(d, k, td, &b->keys[b->count])) == -1)
			return -1;
		if (r == 1 && jwt_bundle_find(b, td, b->keys[b->count].kid) != NULL)
			return -1; /* one kid, one key */
		b->count += (size_t)r;
	}
	return 0;
}

int
jwt_bundle_add_jwks(struct jwt_bundle *b, const char *trust_domain, const uint8_t *jwks,
    size_t len)
{
	struct json_doc d;
	int r;

	if (json_parse(jwks, len, &d) == -1)
		return -1;
	r = jwt_jwks_node(b, trust_domain, &d, 0);
	json_free(&d);
	return r;
}

int
jwt_bundle_parse_file(struct jwt_bundle *b, const uint8_t *in, size_t len)
{
	struct json_doc d;
	uint32_t td;
	int r = 0;

	memset(b, 0, sizeof(*b));
	if (json_parse(in, len, &d) == -1)
		return -1;
	if (d.nodes[0].type != JSON_OBJECT)
		r = -1;
	for (td = d.nodes[0].first; r == 0 && td != JSON_NONE; td = d.nodes[td].next)
		r = jwt_jwks_node(b, d.nodes[td].key, &d, td);
	json_free(&d);
	if (r == -1)
		memset(b, 0, sizeof(*b));
	return r;
}

int
jwt_bundle_has_kid(const struct jwt_bundle *b, const char *kid)
{
	size_t i;

	for (i = 0; i < b->count; i++)
		if (strcmp(b->keys[i].kid, kid) == 0)
			return 1;
	return 0;
}

const struct jwt_key *
jwt_bundle_find(const struct jwt_bundle *b, const char *trust_domain, const char *kid)
{
	size_t i;

	for (i = 0; i < b->count; i++)
		if (strcmp(b->keys[i].trust_domain, trust_domain) == 0 &&
		    strcmp(b->keys[i].kid, kid) == 0)
			return &b->keys[i];
	return NULL;
}
