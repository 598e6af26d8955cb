/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM backend, key side: the reference blob brokerd stores, the templates of
 * generated keys, PSA public key formats and PSA policy checks.
 */
#include <stdio.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "der.h"
#include "key_policy.h"
#include "prov_tpm.h"

#define TPM_OBJ_KEY                                                              \
	(TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN | \
	    TPMA_OBJECT_USERWITHAUTH)

/* What this TPM can make, asked once at start (TPM2_TestParms). */
static struct {
	int ecc_p384, rsa_1024, rsa_3072, rsa_4096;
} tpm_can;

/*
 * The primary's unique field: a constant of ours, so the primary (and every
 * key under it) is this service's and not a default SRK other tools share.
 */
static const char tpm_primary_unique[] = "parsecd tpm provider primary key";

/*
 * The password of the primary and of every key made since keys stay loaded:
 * not a secret (it is in this source), a binding. Another program's object
 * that ends up at a handle we still hold (after a TPM reset, or after that
 * program flushed ours) does not take it, so the TPM refuses the command.
 * A key with the password says so with this marker as its authPolicy (a
 * digest no policy session can reach); older keys have no password.
 */
static const char tpm_object_auth[] = "parsecd tpm provider object key";
static const char tpm_auth_marker[] = "parsecd key with the object pass";

void
prov_tpm_object_auth(TPM2B_AUTH *auth)
{
	memset(auth, 0, sizeof(*auth));
	auth->size = sizeof(tpm_object_auth) - 1;
	memcpy(auth->buffer, tpm_object_auth, auth->size);
}

int
prov_tpm_key_has_auth(const TPMT_PUBLIC *pub)
{
	return pub->authPolicy.size == sizeof(tpm_auth_marker) - 1 &&
	    memcmp(pub->authPolicy.buffer, tpm_auth_marker, pub->authPolicy.size) == 0;
}

static size_t
tpm_curve_bytes(TPMI_ECC_CURVE curve)
{
	switch (curve) {
	case TPM2_ECC_NIST_P256:
		return 32;
	case TPM2_ECC_NIST_P384:
		return 48;
	default:
		return 0;
	}
}

size_t
prov_tpm_key_bits(const TPMT_PUBLIC *pub)
{
	if (pub->type == TPM2_ALG_RSA)
		return pub->parameters.rsaDetail.keyBits;
	return tpm_curve_bytes(pub->parameters.eccDetail.curveID) * 8;
}

static int
tpm_rsa_bits_ok(size_t bits)
{
	return bits == 1024 || bits == 2048 || bits == 3072 || bits == 4096;
}

/* Whether a public area is one this backend can have made or imported. */
static int
tpm_public_ok(const TPMT_PUBLIC *pub)
{
	size_t cb;

	switch (pub->type) {
	case TPM2_ALG_RSA:
		return tpm_rsa_bits_ok(pub->parameters.rsaDetail.keyBits) &&
		    pub->unique.rsa.size == pub->parameters.rsaDetail.keyBits / 8;
	case TPM2_ALG_ECC:
		cb = tpm_curve_bytes(pub->parameters.eccDetail.curveID);
		return cb != 0 && pub->unique.ecc.x.size > 0 && pub->unique.ecc.x.size <= cb &&
		    pub->unique.ecc.y.size > 0 && pub->unique.ecc.y.size <= cb;
	default:
		return 0;
	}
}

/* An adopted upstream key's header: the marker, version 1, upstream's password. */
static int
tpm_upstream_header(const uint8_t *blob, size_t len, size_t *off, struct tpm_key *key)
{
	if (len < 2 || blob[1] != TPM_REF_UPSTREAM_VERSION)
		return -1;
	*off = 2;
	if (Tss2_MU_TPM2B_DIGEST_Unmarshal(blob, len, off, &key->auth) != TSS2_RC_SUCCESS)
		return -1;
	key->upstream = 1;
	return 0;
}

int
prov_tpm_blob_decode(const uint8_t *blob, size_t len, struct tpm_key *key)
{
	size_t off = 0, pub_len;

	memset(key, 0, sizeof(*key));
	if (blob == NULL || len < 2 || len > PROV_TPM_BLOB_MAX)
		return -1;
	if (blob[0] == TPM_REF_UPSTREAM && tpm_upstream_header(blob, len, &off, key) == -1)
		return -1;
	/* The size prefix must cover exactly the public area that follows it. */
	if (len - off < 2)
		return -1;
	pub_len = (size_t)blob[off] << 8 | blob[off + 1];
	pub_len += off + 2;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob, len, &off, &key->pub) != TSS2_RC_SUCCESS ||
	    off != pub_len)
		return -1;
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob, len, &off, &key->priv) != TSS2_RC_SUCCESS ||
	    off != len)
		return -1;
	if (!tpm_public_ok(&key->pub.publicArea))
		return -1;
	key->ref = blob;
	key->ref_len = len;
	return 0;
}

int
prov_tpm_blob_encode(const struct tpm_key *key, uint8_t *buf, size_t cap, size_t *len)
{
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&key->pub, buf, cap, &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(&key->priv, buf, cap, &off) != TSS2_RC_SUCCESS)
		return -1;
	*len = off;
	return 0;
}

int
prov_tpm_key_matches(const struct tpm_key *key, const struct op_key_attrs *attrs)
{
	const TPMT_PUBLIC *pub = &key->pub.publicArea;
	psa_key_type_t type;
	int pair = key->priv.size != 0;

	if (attrs->type > 0xffffu)
		return 0;
	type = (psa_key_type_t)attrs->type;
	if (PSA_KEY_TYPE_IS_KEY_PAIR(type) != pair)
		return 0;
	if (attrs->bits != 0 && attrs->bits != prov_tpm_key_bits(pub))
		return 0;
	if (pub->type == TPM2_ALG_RSA)
		return PSA_KEY_TYPE_IS_RSA(type);
	return PSA_KEY_TYPE_IS_ECC(type) &&
	    PSA_KEY_TYPE_ECC_GET_FAMILY(type) == PSA_ECC_FAMILY_SECP_R1;
}

TPMI_ALG_HASH
prov_tpm_hash(psa_algorithm_t hash)
{
	switch (hash) {
	case PSA_ALG_SHA_256:
		return TPM2_ALG_SHA256;
	case PSA_ALG_SHA_384:
		return TPM2_ALG_SHA384;
	case PSA_ALG_SHA_512:
		return TPM2_ALG_SHA512;
	default:
		return TPM2_ALG_ERROR;
	}
}

/* A policy's hash: one this backend offers, or the wildcard. */
static int
tpm_policy_hash_ok(psa_algorithm_t hash)
{
	return hash == PSA_ALG_ANY_HASH || prov_tpm_hash(hash) != TPM2_ALG_ERROR;
}

/* Whether alg may be the policy of a key of this family (the TPM can do it). */
static int
tpm_alg_fits(int rsa, psa_algorithm_t alg)
{
	if (alg == PSA_ALG_NONE)
		return 1;
	if (!rsa)
		return (alg & ~PSA_ALG_HASH_MASK) == PSA_ALG_ECDSA_BASE &&
		    tpm_policy_hash_ok(PSA_ALG_SIGN_GET_HASH(alg));
	if (alg == PSA_ALG_RSA_PKCS1V15_CRYPT)
		return 1;
	if (PSA_ALG_IS_RSA_OAEP(alg))
		return prov_tpm_hash(PSA_ALG_RSA_OAEP_GET_HASH(alg)) != TPM2_ALG_ERROR;
	return (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg) || PSA_ALG_IS_RSA_PSS(alg)) &&
	    PSA_ALG_SIGN_GET_HASH(alg) != 0 && tpm_policy_hash_ok(PSA_ALG_SIGN_GET_HASH(alg));
}

/* Whether the TPM takes keys with these parameters (TPM2_RC_SUCCESS of TestParms). */
static int
tpm_test_parms(TPMI_ALG_PUBLIC type, unsigned int size)
{
	TPMT_PUBLIC_PARMS parms;

	memset(&parms, 0, sizeof(parms));
	parms.type = type;
	if (type == TPM2_ALG_RSA) {
		parms.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		parms.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		parms.parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)size;
	} else {
		parms.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		parms.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		parms.parameters.eccDetail.curveID = (TPMI_ECC_CURVE)size;
		parms.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	}
	return Esys_TestParms(prov_tpm_esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &parms) ==
	    TSS2_RC_SUCCESS;
}

void
prov_tpm_probe(char *what, size_t len)
{
	tpm_can.ecc_p384 = tpm_test_parms(TPM2_ALG_ECC, TPM2_ECC_NIST_P384);
	tpm_can.rsa_1024 = tpm_test_parms(TPM2_ALG_RSA, 1024);
	tpm_can.rsa_3072 = tpm_test_parms(TPM2_ALG_RSA, 3072);
	tpm_can.rsa_4096 = tpm_test_parms(TPM2_ALG_RSA, 4096);
	snprintf(what, len, "ECC P-256%s, RSA %s2048%s%s", tpm_can.ecc_p384 ? " and P-384" : "",
	    tpm_can.rsa_1024 ? "1024, " : "", tpm_can.rsa_3072 ? ", 3072" : "",
	    tpm_can.rsa_4096 ? ", 4096" : "");
}

/* Key sizes the TPM makes: always RSA 2048 and P-256 (TCG PC Client profile). */
static int
tpm_can_make(int rsa, size_t bits)
{
	if (rsa)
		return bits == 2048 || (bits == 1024 && tpm_can.rsa_1024) ||
		    (bits == 3072 && tpm_can.rsa_3072) ||
		    (bits == 4096 && tpm_can.rsa_4096);
	return bits == 256 || (bits == 384 && tpm_can.ecc_p384);
}

void
prov_tpm_primary_template(TPM2B_PUBLIC *tmpl)
{
	TPMT_PUBLIC *p = &tmpl->publicArea;

	memset(tmpl, 0, sizeof(*tmpl));
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPM_OBJ_KEY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
	    TPMA_OBJECT_NODA;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.eccDetail.symmetric.keyBits.aes = 128;
	p->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->unique.ecc.x.size = 32;
	memcpy(p->unique.ecc.x.buffer, tpm_primary_unique, 32);
	p->unique.ecc.y.size = 32;
}

void
prov_tpm_rsa_storage_template(TPM2B_PUBLIC *tmpl, TPMA_OBJECT attrs, UINT16 aes_bits)
{
	TPMT_PUBLIC *p = &tmpl->publicArea;

	memset(tmpl, 0, sizeof(*tmpl));
	p->type = TPM2_ALG_RSA;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | attrs;
	p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.rsaDetail.symmetric.keyBits.aes = aes_bits;
	p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.rsaDetail.keyBits = 2048;
}

/*
 * Keys carry no scheme of their own (TPM2_ALG_NULL): the scheme comes with
 * each command, and PSA policy (checked here, not by the TPM) decides which.
 * The TPM's sign and decrypt attributes follow the usage flags.
 */
psa_status_t
prov_tpm_template(const struct op_key_attrs *attrs, TPM2B_PUBLIC *tmpl)
{
	TPMT_PUBLIC *p = &tmpl->publicArea;
	psa_key_type_t type;
	psa_key_usage_t usage = attrs->usage;
	int sign, decrypt;

	memset(tmpl, 0, sizeof(*tmpl));
	if (attrs->type > 0xffffu)
		return PSA_ERROR_NOT_SUPPORTED;
	type = (psa_key_type_t)attrs->type;
	p->nameAlg = TPM2_ALG_SHA256;
	if (type == PSA_KEY_TYPE_RSA_KEY_PAIR) {
		if (!tpm_can_make(1, attrs->bits) || !tpm_alg_fits(1, attrs->alg))
			return PSA_ERROR_NOT_SUPPORTED;
		p->type = TPM2_ALG_RSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)attrs->bits;
		p->parameters.rsaDetail.exponent = 0; /* 65537 */
	} else if (type == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)) {
		if (!tpm_can_make(0, attrs->bits) || !tpm_alg_fits(0, attrs->alg))
			return PSA_ERROR_NOT_SUPPORTED;
		p->type = TPM2_ALG_ECC;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.curveID = attrs->bits == 256 ? TPM2_ECC_NIST_P256 :
		    TPM2_ECC_NIST_P384;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	} else
		return PSA_ERROR_NOT_SUPPORTED;

	sign = (usage & (PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_SIGN_MESSAGE)) != 0;
	decrypt = p->type == TPM2_ALG_RSA && (usage & PSA_KEY_USAGE_DECRYPT) != 0;
	/* A key the TPM never uses (verify or encrypt only) still needs one role. */
	if (!sign && !decrypt)
		sign = 1;
	/* Dictionary attack protection guards no secret here: the password is a binding. */
	p->objectAttributes = TPM_OBJ_KEY | TPMA_OBJECT_NODA |
	    (sign ? TPMA_OBJECT_SIGN_ENCRYPT : 0) | (decrypt ? TPMA_OBJECT_DECRYPT : 0);
	p->authPolicy.size = sizeof(tpm_auth_marker) - 1;
	memcpy(p->authPolicy.buffer, tpm_auth_marker, p->authPolicy.size);
	return PSA_SUCCESS;
}

static psa_status_t
tpm_import_rsa(const uint8_t *data, size_t len, size_t bits, TPMT_PUBLIC *p)
{
	const uint8_t *n, *e;
	size_t n_len, e_len, i;
	uint32_t exponent = 0;

	if (der_rsa_public_parse(data, len, &n, &n_len, &e, &e_len) == -1)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (!tpm_rsa_bits_ok(n_len * 8) || !(n[0] & 0x80) || (bits != 0 && bits != n_len * 8))
		return PSA_ERROR_NOT_SUPPORTED;
	if (e_len > 4)
		return PSA_ERROR_NOT_SUPPORTED;
	for (i = 0; i < e_len; i++)
		exponent = exponent << 8 | e[i];
	if (exponent < 3 || !(exponent & 1))
		return PSA_ERROR_INVALID_ARGUMENT;
	p->type = TPM2_ALG_RSA;
	p->objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT |
	    TPMA_OBJECT_DECRYPT;
	p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)(n_len * 8);
	p->parameters.rsaDetail.exponent = exponent == 65537 ? 0 : exponent;
	p->unique.rsa.size = (UINT16)n_len;
	memcpy(p->unique.rsa.buffer, n, n_len);
	return PSA_SUCCESS;
}

static psa_status_t
tpm_import_ecc(const uint8_t *data, size_t len, size_t bits, TPMT_PUBLIC *p)
{
	size_t cb = (len - 1) / 2;

	if (len < 1 || data[0] != 0x04 || len != 1 + 2 * cb)
		return PSA_ERROR_INVALID_ARGUMENT;
	if ((cb != 32 && cb != 48) || (bits != 0 && bits != cb * 8))
		return PSA_ERROR_NOT_SUPPORTED;
	p->type = TPM2_ALG_ECC;
	p->objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.curveID = cb == 32 ? TPM2_ECC_NIST_P256 : TPM2_ECC_NIST_P384;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->unique.ecc.x.size = (UINT16)cb;
	memcpy(p->unique.ecc.x.buffer, data + 1, cb);
	p->unique.ecc.y.size = (UINT16)cb;
	memcpy(p->unique.ecc.y.buffer, data + 1 + cb, cb);
	return PSA_SUCCESS;
}

/*
 * A key the TPM cannot take: NOT_SUPPORTED if the data makes a valid key,
 * else PSA's INVALID_ARGUMENT (judged by mbedtls here, and wiped at once),
 * so that a client hears what any PSA implementation says of bad data.
 */
static psa_status_t
prov_tpm_import_refused(psa_key_type_t type, uint32_t bits, const uint8_t *data, size_t len)
{
	psa_key_attributes_t check = PSA_KEY_ATTRIBUTES_INIT;
	mbedtls_svc_key_id_t id;
	psa_status_t st;

	psa_set_key_type(&check, type);
	psa_set_key_bits(&check, bits);
	if ((st = psa_import_key(&check, data, len, &id)) == PSA_SUCCESS)
		psa_destroy_key(id);
	return st == PSA_ERROR_INVALID_ARGUMENT ? st : PSA_ERROR_NOT_SUPPORTED;
}

/*
 * The data is checked by PSA too (an ECC point must be on its curve) before
 * it is taken apart here.
 */
psa_status_t
prov_tpm_import_public(const struct op_key_attrs *attrs, const uint8_t *data, size_t len,
    TPM2B_PUBLIC *pub)
{
	psa_key_attributes_t check = PSA_KEY_ATTRIBUTES_INIT;
	mbedtls_svc_key_id_t id;
	psa_key_type_t type;
	psa_status_t st;

	memset(pub, 0, sizeof(*pub));
	if (attrs->type > 0xffffu)
		return PSA_ERROR_NOT_SUPPORTED;
	type = (psa_key_type_t)attrs->type;
	if ((type != PSA_KEY_TYPE_RSA_PUBLIC_KEY &&
	    type != PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1)) ||
	    !tpm_alg_fits(type == PSA_KEY_TYPE_RSA_PUBLIC_KEY, attrs->alg))
		return prov_tpm_import_refused(type, attrs->bits, data, len);
	if (data == NULL || len == 0)
		return PSA_ERROR_INVALID_ARGUMENT;
	psa_set_key_type(&check, type);
	psa_set_key_bits(&check, attrs->bits);
	if ((st = psa_import_key(&check, data, len, &id)) != PSA_SUCCESS)
		return st;
	psa_destroy_key(id);
	pub->publicArea.nameAlg = TPM2_ALG_SHA256;
	if (type == PSA_KEY_TYPE_RSA_PUBLIC_KEY)
		return tpm_import_rsa(data, len, attrs->bits, &pub->publicArea);
	return tpm_import_ecc(data, len, attrs->bits, &pub->publicArea);
}

psa_status_t
prov_tpm_export_public(const TPMT_PUBLIC *pub, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t e[4];
	uint32_t exponent;
	size_t cb;

	if (pub->type == TPM2_ALG_ECC) {
		cb = tpm_curve_bytes(pub->parameters.eccDetail.curveID);
		if (cb == 0 || pub->unique.ecc.x.size > cb || pub->unique.ecc.y.size > cb)
			return PSA_ERROR_DATA_CORRUPT;
		if (cap < 1 + 2 * cb)
			return PSA_ERROR_BUFFER_TOO_SMALL;
		memset(out, 0, 1 + 2 * cb);
		out[0] = 0x04;
		memcpy(out + 1 + cb - pub->unique.ecc.x.size, pub->unique.ecc.x.buffer,
		    pub->unique.ecc.x.size);
		memcpy(out + 1 + 2 * cb - pub->unique.ecc.y.size, pub->unique.ecc.y.buffer,
		    pub->unique.ecc.y.size);
		*len = 1 + 2 * cb;
		return PSA_SUCCESS;
	}
	if (pub->type != TPM2_ALG_RSA || pub->unique.rsa.size == 0)
		return PSA_ERROR_DATA_CORRUPT;
	exponent = pub->parameters.rsaDetail.exponent ? pub->parameters.rsaDetail.exponent :
	    65537;
	e[0] = (uint8_t)(exponent >> 24);
	e[1] = (uint8_t)(exponent >> 16);
	e[2] = (uint8_t)(exponent >> 8);
	e[3] = (uint8_t)exponent;
	*len = der_rsa_public_write(pub->unique.rsa.buffer, pub->unique.rsa.size, e,
	    sizeof(e), out, cap);
	return *len == 0 ? PSA_ERROR_BUFFER_TOO_SMALL : PSA_SUCCESS;
}

/* PSA's rules, shared with the PKCS#11 backend (common/key_policy.c). */
psa_status_t
prov_tpm_permitted(const struct op_key_attrs *attrs, psa_key_usage_t need, psa_algorithm_t alg)
{
	return key_policy_permits(attrs, need, alg) ? PSA_SUCCESS : PSA_ERROR_NOT_PERMITTED;
}
