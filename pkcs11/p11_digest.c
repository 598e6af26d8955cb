/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hashing in the module (mbedtls's md layer): C_Digest*, and C_SignUpdate /
 * C_VerifyUpdate, which hash here so that only the hash goes to the service.
 */
#include <stdlib.h>

#include <mbedtls/md.h>

#include "p11.h"

static mbedtls_md_type_t
p11_md_type(uint32_t psa_hash)
{
	switch (psa_hash) {
	case PARSEC_PSA_ALG_SHA_1:
		return MBEDTLS_MD_SHA1;
	case PARSEC_PSA_ALG_SHA_224:
		return MBEDTLS_MD_SHA224;
	case PARSEC_PSA_ALG_SHA_256:
		return MBEDTLS_MD_SHA256;
	case PARSEC_PSA_ALG_SHA_384:
		return MBEDTLS_MD_SHA384;
	case PARSEC_PSA_ALG_SHA_512:
		return MBEDTLS_MD_SHA512;
	default:
		return MBEDTLS_MD_NONE;
	}
}

size_t
p11_hash_len(uint32_t psa_hash)
{
	const mbedtls_md_info_t *info = mbedtls_md_info_from_type(p11_md_type(psa_hash));

	return info == NULL ? 0 : mbedtls_md_get_size(info);
}

int
p11_md_start(struct p11_op *op, uint32_t psa_hash)
{
	const mbedtls_md_info_t *info = mbedtls_md_info_from_type(p11_md_type(psa_hash));
	mbedtls_md_context_t *ctx;

	if (info == NULL || (ctx = malloc(sizeof(*ctx))) == NULL)
		return -1;
	mbedtls_md_init(ctx);
	if (mbedtls_md_setup(ctx, info, 0) != 0 || mbedtls_md_starts(ctx) != 0) {
		mbedtls_md_free(ctx);
		free(ctx);
		return -1;
	}
	op->md = ctx;
	op->hash_alg = psa_hash;
	return 0;
}

int
p11_md_update(struct p11_op *op, const uint8_t *data, size_t len)
{
	if (op->md == NULL)
		return -1;
	return mbedtls_md_update(op->md, data, len) == 0 ? 0 : -1;
}

/* The hash into out (room for 64 bytes); the context is freed either way. */
int
p11_md_finish(struct p11_op *op, uint8_t *out, size_t *len)
{
	int rc;

	if (op->md == NULL)
		return -1;
	*len = p11_hash_len(op->hash_alg);
	rc = mbedtls_md_finish(op->md, out);
	p11_md_free(op);
	return rc == 0 ? 0 : -1;
}

void
p11_md_free(struct p11_op *op)
{
	if (op->md == NULL)
		return;
	mbedtls_md_free(op->md);
	free(op->md);
	op->md = NULL;
}

int
p11_sha256(const uint8_t *in, size_t len, uint8_t out[32])
{
	return mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), in, len, out) == 0 ? 0 : -1;
}
