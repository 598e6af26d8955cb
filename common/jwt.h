/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWT-SVID tokens and JWKS trust bundles, parsed (not verified: brokerd checks
 * the signature with the bundle's key). Every input here is untrusted.
 */
#ifndef PARSEC_JWT_H
#define PARSEC_JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_AUDIENCE "parsec" /* the audience parsecd requires, as upstream's */
#define JWT_ID_MAX 256        /* SPIFFE IDs we accept, with the NUL (the app name limit) */
#define JWT_TD_MAX 256        /* trust domain names, with the NUL */
#define JWT_KID_MAX 128
/*
 * A header's JSON: a JWT-SVID's holds alg, kid and typ only (the JWT-SVID
 * specification allows no other), so even a 127-byte kid written as \u escapes
 * fits; a larger one is refused before it is decoded.
 */
#define JWT_HEADER_MAX 1024
#define JWT_PART_MAX (64u * 1024u) /* a payload: the wire's auth field is smaller */
#define JWT_SIG_MAX 512       /* RSA 4096 */
#define JWT_RSA_N_MAX 512
#define JWT_RSA_E_MAX 8
#define JWT_EC_COORD_MAX 66   /* P-521 */
#define JWT_BUNDLE_KEYS_MAX 64

enum jwt_alg {
	JWT_ALG_RS256 = 1, JWT_ALG_RS384, JWT_ALG_RS512,
	JWT_ALG_ES256, JWT_ALG_ES384, JWT_ALG_ES512,
	JWT_ALG_PS256, JWT_ALG_PS384, JWT_ALG_PS512,
};

enum jwt_kty { JWT_KTY_EC = 1, JWT_KTY_RSA };
enum jwt_crv { JWT_CRV_P256 = 1, JWT_CRV_P384, JWT_CRV_P521 };

struct jwt_token {
	enum jwt_alg alg;
	char kid[JWT_KID_MAX];
	char sub[JWT_ID_MAX];          /* a SPIFFE ID: spiffe://trust-domain/path */
	char trust_domain[JWT_TD_MAX]; /* of sub */
	int64_t exp;
	int64_t nbf;                   /* 0 if absent */
	const uint8_t *signed_part;    /* header.payload, into the token */
	size_t signed_len;
	const uint8_t *payload;        /* the base64url parts, into the token */
	size_t payload_len;
	const uint8_t *sig_b64;
	size_t sig_b64_len;
	uint8_t sig[JWT_SIG_MAX];
	size_t sig_len;
};

struct jwt_key {
	char trust_domain[JWT_TD_MAX];
	char kid[JWT_KID_MAX];
	enum jwt_kty kty;
	enum jwt_crv crv;
	uint8_t x[JWT_EC_COORD_MAX], y[JWT_EC_COORD_MAX];
	size_t coord_len;
	uint8_t n[JWT_RSA_N_MAX], e[JWT_RSA_E_MAX];
	size_t n_len, e_len;
};

struct jwt_bundle {
	struct jwt_key keys[JWT_BUNDLE_KEYS_MAX];
	size_t count;
};

/*
 * Parses a compact JWS JWT-SVID and checks its claims: alg one of the
 * asymmetric ones the JWT-SVID specification allows, kid present, typ JWT or
 * JOSE if present, aud containing JWT_AUDIENCE, exp after now, nbf not after
 * now, sub a SPIFFE ID of a workload. 0, or -1 with a static reason in *why.
 * The same as jwt_parse_header then jwt_parse_claims.
 */
int jwt_parse(const uint8_t *tok, size_t len, int64_t now, struct jwt_token *t,
    const char **why);
/*
 * The cheap first half, before anything costly: the parts' sizes (header at
 * most JWT_HEADER_MAX, payload JWT_PART_MAX, signature JWT_SIG_MAX) and the
 * header (alg, kid, typ, no crit). t keeps pointers into tok.
 */
int jwt_parse_header(const uint8_t *tok, size_t len, struct jwt_token *t, const char **why);
/* The second half, on a t that jwt_parse_header took: claims and signature bytes. */
int jwt_parse_claims(struct jwt_token *t, int64_t now, const char **why);

/*
 * Adds one trust domain's JWKS (RFC 7517, SPIFFE bundle) to b: EC and RSA keys
 * with a kid and use "jwt-svid" (or no use); other keys are skipped. 0, or -1
 * if the document is not a JWKS.
 */
int jwt_bundle_add_jwks(struct jwt_bundle *b, const char *trust_domain, const uint8_t *jwks,
    size_t len);
/* Our bundle file: a JSON object of trust domain name -> JWKS object. */
int jwt_bundle_parse_file(struct jwt_bundle *b, const uint8_t *in, size_t len);

/*
 * The Workload API's JWTBundlesResponse message (after gRPC framing) into b:
 * every trust domain's JWKS, keyed by its name or its SPIFFE ID
 * ("spiffe://name"). An entry whose key is neither, or whose JWKS is
 * malformed, is refused alone: the others are taken, and a refused trust
 * domain keeps the keys prev (the set in use, or NULL; not b) holds for it.
 * The number of refused entries, the first one's trust domain in refused_td
 * ("" if its key named none); or -1 (b emptied) if msg is not protobuf.
 */
int jwt_bundle_parse_workload(struct jwt_bundle *b, const struct jwt_bundle *prev,
    const uint8_t *msg, size_t len, char refused_td[JWT_TD_MAX]);

/* 1 if any trust domain's bundle holds a key named kid. */
int jwt_bundle_has_kid(const struct jwt_bundle *b, const char *kid);
/* The key named kid in trust_domain, or NULL. */
const struct jwt_key *jwt_bundle_find(const struct jwt_bundle *b, const char *trust_domain,
    const char *kid);

/* Strict base64url without padding; returns decoded length or -1. */
long jwt_b64url_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
/* A SPIFFE trust domain name: [a-z0-9._-]+. */
int jwt_valid_trust_domain(const char *s, size_t len);

#endif
