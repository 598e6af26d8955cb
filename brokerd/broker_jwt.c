/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JwtSvid authenticator: a token is parsed and its claims checked
 * (common/jwt.c), then its signature verified with mbedtls against the key
 * the trust bundle holds for the token's trust domain and kid.
 */
#include <string.h>
#include <time.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/rsa.h>

#include "brokerd.h"
#include "jwt.h"
#include "log.h"

static struct jwt_bundle broker_jwt_bundle;
/* Whether the bundle was ever written: without JwtSvid its 67 KiB stay unbacked. */
static int broker_jwt_written;

void
broker_jwt_set_bundle(const uint8_t *jwks_file, size_t len)
{
	if (len == 0) {
		if (broker_jwt_written)
			memset(&broker_jwt_bundle, 0, sizeof(broker_jwt_bundle));
		return;
	}
	broker_jwt_written = 1;
	if (jwt_bundle_parse_file(&broker_jwt_bundle, jwks_file, len) == -1)
		log_warnx("JwtSvid: the bundle is not a JSON object of trust domain -> JWKS; "
		    "every token is refused until a good one loads");
	else
		log_info("JwtSvid: %zu bundle keys", broker_jwt_bundle.count);
}

const struct jwt_bundle *
broker_jwt_bundle_in_use(void)
{
	return &broker_jwt_bundle;
}

void
broker_jwt_use_bundle(const struct jwt_bundle *b)
{
	broker_jwt_written = 1;
	memcpy(&broker_jwt_bundle, b, sizeof(broker_jwt_bundle));
}

static mbedtls_md_type_t
broker_jwt_md(enum jwt_alg alg)
{
	switch (alg) {
	case JWT_ALG_RS256: case JWT_ALG_ES256: case JWT_ALG_PS256:
		return MBEDTLS_MD_SHA256;
	case JWT_ALG_RS384: case JWT_ALG_ES384: case JWT_ALG_PS384:
		return MBEDTLS_MD_SHA384;
	default:
		return MBEDTLS_MD_SHA512;
	}
}

static int
broker_jwt_ec(const struct jwt_token *t, const struct jwt_key *k, const uint8_t *hash,
    size_t hash_len)
{
	static const mbedtls_ecp_group_id groups[] = { MBEDTLS_ECP_DP_NONE,
		MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_SECP521R1 };
	uint8_t point[1 + 2 * JWT_EC_COORD_MAX];
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi r, s;
	int ok;

	/* The curve goes with the alg: ES256 P-256, ES384 P-384, ES512 P-521. */
	if ((int)k->crv != (int)t->alg - JWT_ALG_ES256 + 1 || t->sig_len != 2 * k->coord_len)
		return -1;
	point[0] = 0x04;
	memcpy(point + 1, k->x, k->coord_len);
	memcpy(point + 1 + k->coord_len, k->y, k->coord_len);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	ok = mbedtls_ecp_group_load(&grp, groups[k->crv]) == 0 &&
	    mbedtls_ecp_point_read_binary(&grp, &q, point, 1 + 2 * k->coord_len) == 0 &&
	    mbedtls_ecp_check_pubkey(&grp, &q) == 0 &&
	    mbedtls_mpi_read_binary(&r, t->sig, k->coord_len) == 0 &&
	    mbedtls_mpi_read_binary(&s, t->sig + k->coord_len, k->coord_len) == 0 &&
	    mbedtls_ecdsa_verify(&grp, hash, hash_len, &q, &r, &s) == 0;
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return ok ? 0 : -1;
}

static int
broker_jwt_rsa(const struct jwt_token *t, const struct jwt_key *k, const uint8_t *hash,
    size_t hash_len)
{
	mbedtls_md_type_t md = broker_jwt_md(t->alg);
	mbedtls_rsa_context rsa;
	int ok, pss = t->alg >= JWT_ALG_PS256;

	if (t->sig_len != k->n_len)
		return -1;
	mbedtls_rsa_init(&rsa, pss ? MBEDTLS_RSA_PKCS_V21 : MBEDTLS_RSA_PKCS_V15, md);
	ok = mbedtls_rsa_import_raw(&rsa, k->n, k->n_len, NULL, 0, NULL, 0, NULL, 0, k->e,
	    k->e_len) == 0 && mbedtls_rsa_complete(&rsa) == 0 &&
	    mbedtls_rsa_check_pubkey(&rsa) == 0;
	if (ok && pss)
		ok = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, md,
		    (unsigned int)hash_len, hash, md, (int)hash_len, t->sig) == 0;
	else if (ok)
		ok = mbedtls_rsa_rsassa_pkcs1_v15_verify(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, md,
		    (unsigned int)hash_len, hash, t->sig) == 0;
	mbedtls_rsa_free(&rsa);
	return ok ? 0 : -1;
}

/* The SPIFFE ID of a valid token into app (OP_NAME_MAX), or -1. */
int
broker_jwt_authenticate(const uint8_t *tok, size_t len, char *app)
{
	static struct jwt_token t;
	const struct mbedtls_md_info_t *md;
	const struct jwt_key *k;
	const char *why = NULL;
	uint8_t hash[MBEDTLS_MD_MAX_SIZE];
	int r = -1;

	/*
	 * Size, alg and kid before the claims are parsed or a signature checked:
	 * a token no bundle key could have signed costs little.
	 */
	if (jwt_parse_header(tok, len, &t, &why) == -1)
		goto out;
	why = "no bundle key has its kid";
	if (!jwt_bundle_has_kid(&broker_jwt_bundle, t.kid))
		goto out;
	if (jwt_parse_claims(&t, (int64_t)time(NULL), &why) == -1)
		goto out;
	why = "no bundle key for its trust domain and kid";
	if ((k = jwt_bundle_find(&broker_jwt_bundle, t.trust_domain, t.kid)) == NULL)
		goto out;
	why = "bad signature";
	md = mbedtls_md_info_from_type(broker_jwt_md(t.alg));
	if (md == NULL || mbedtls_md(md, t.signed_part, t.signed_len, hash) != 0)
		goto out;
	if (k->kty != (t.alg >= JWT_ALG_ES256 && t.alg <= JWT_ALG_ES512 ? JWT_KTY_EC : JWT_KTY_RSA))
		goto out;
	if (k->kty == JWT_KTY_EC ? broker_jwt_ec(&t, k, hash, mbedtls_md_get_size(md)) :
	    broker_jwt_rsa(&t, k, hash, mbedtls_md_get_size(md)))
		goto out;
	strlcpy(app, t.sub, OP_NAME_MAX);
	r = 0;
out:
	if (r == -1)
		log_info("JwtSvid token refused: %s", why);
	explicit_bzero(&t, sizeof(t));
	return r;
}
