/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 provider's key creation: generation on the token, and import
 * of PSA's formats (EC scalar or point, RSA DER, AES) as token objects
 * carrying the broker's CKA_ID and the key's policy as attributes.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <psa/crypto.h>

#include "log.h"
#include "der.h"
#include "prov_p11.h"
#include "wire.h"

/* Room for the longest template below. */
#define P11_TMPL_MAX 24

struct p11_tmpl {
	CK_ATTRIBUTE a[P11_TMPL_MAX];
	CK_ULONG n;
};

static void
p11_add(struct p11_tmpl *t, CK_ATTRIBUTE_TYPE type, const void *val, size_t len)
{
	if (t->n == P11_TMPL_MAX)
		fatalx("PKCS#11 template overflow");
	t->a[t->n].type = type;
	t->a[t->n].pValue = (void *)val;
	t->a[t->n].ulValueLen = len;
	t->n++;
}

static void
p11_add_bool(struct p11_tmpl *t, CK_ATTRIBUTE_TYPE type, int on)
{
	p11_add(t, type, on ? &p11_true : &p11_false, sizeof(CK_BBOOL));
}

/*
 * Attributes every object of a key gets: on the token, found by the broker's
 * id, and private parts private, sensitive and not extractable unless the
 * key's usage asks for export and the configuration allows it.
 */
static void
p11_common(struct p11_tmpl *t, const uint8_t *id, CK_OBJECT_CLASS *cls, CK_KEY_TYPE *kt,
    int secret_part, const struct op_key_attrs *attrs)
{
	int exportable = (attrs->usage & PSA_KEY_USAGE_EXPORT) && p11.allow_export;

	p11_add(t, CKA_CLASS, cls, sizeof(*cls));
	p11_add(t, CKA_KEY_TYPE, kt, sizeof(*kt));
	p11_add(t, CKA_ID, id, P11_KEY_ID_LEN);
	p11_add_bool(t, CKA_TOKEN, 1);
	if (secret_part) {
		p11_add_bool(t, CKA_PRIVATE, 1);
		p11_add_bool(t, CKA_SENSITIVE, !exportable);
		p11_add_bool(t, CKA_EXTRACTABLE, exportable);
	} else {
		p11_add_bool(t, CKA_PRIVATE, 0);
	}
}

/* Each capability said explicitly: a module's defaults (SoftHSM's unwrap) are not ours. */
static void
p11_usage_private(struct p11_tmpl *t, const struct op_key_attrs *a)
{
	int rsa = PSA_KEY_TYPE_IS_RSA(a->type);

	p11_add_bool(t, CKA_SIGN, (a->usage & (PSA_KEY_USAGE_SIGN_HASH |
	    PSA_KEY_USAGE_SIGN_MESSAGE)) != 0);
	p11_add_bool(t, CKA_DECRYPT, rsa && (a->usage & PSA_KEY_USAGE_DECRYPT) != 0);
	p11_add_bool(t, CKA_DERIVE, !rsa && (a->usage & PSA_KEY_USAGE_DERIVE) != 0);
	p11_add_bool(t, CKA_UNWRAP, 0);
	p11_add_bool(t, CKA_SIGN_RECOVER, 0);
}

static void
p11_usage_public(struct p11_tmpl *t, const struct op_key_attrs *a)
{
	p11_add_bool(t, CKA_VERIFY, 1); /* a public key verifies, whatever the policy says */
	p11_add_bool(t, CKA_ENCRYPT, PSA_KEY_TYPE_IS_RSA(a->type));
	p11_add_bool(t, CKA_WRAP, 0);
	p11_add_bool(t, CKA_VERIFY_RECOVER, 0);
}

/* An HMAC key's capabilities (a verify-only key signs too if its policy is a truncated MAC). */
static void
p11_usage_hmac(struct p11_tmpl *t, const struct op_key_attrs *a)
{
	p11_add_bool(t, CKA_SIGN, (a->usage & (PSA_KEY_USAGE_SIGN_MESSAGE |
	    PSA_KEY_USAGE_SIGN_HASH)) != 0 || p11_mac_key_signs(a));
	p11_add_bool(t, CKA_VERIFY, (a->usage & (PSA_KEY_USAGE_VERIFY_MESSAGE |
	    PSA_KEY_USAGE_VERIFY_HASH)) != 0);
}

/* An HMAC key: a generic secret of whole bytes, made on the token. */
static psa_status_t
p11_generate_hmac(const struct op_key_attrs *a, const uint8_t *id)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_MECHANISM mech = { CKM_GENERIC_SECRET_KEY_GEN, NULL, 0 };
	CK_ULONG value_len = a->bits / 8;
	struct p11_tmpl t = { .n = 0 };
	CK_OBJECT_HANDLE key;

	if (a->bits == 0 || a->bits % 8 != 0)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (!p11_has_mech(mech.mechanism, CKF_GENERATE))
		return PSA_ERROR_NOT_SUPPORTED;
	p11_common(&t, id, &cls, &kt, 1, a);
	p11_add(&t, CKA_VALUE_LEN, &value_len, sizeof(value_len));
	p11_usage_hmac(&t, a);
	return p11_status(p11.module->C_GenerateKey(p11.session, &mech, t.a, t.n, &key));
}

static psa_status_t
p11_generate(const struct op_key_attrs *a, const uint8_t *id)
{
	static const uint8_t f4[] = { 0x01, 0x00, 0x01 };
	CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
	CK_OBJECT_CLASS secret_cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt;
	CK_ULONG bits = a->bits, value_len = a->bits / 8;
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	struct p11_tmpl pt = { .n = 0 }, kt_priv = { .n = 0 };
	const uint8_t *oid;
	size_t oid_len;

	if (a->type == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)) {
		if ((oid = p11_ec_oid(a->bits, &oid_len)) == NULL)
			return PSA_ERROR_NOT_SUPPORTED;
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		kt = CKK_EC;
		if (!p11_has_mech(mech.mechanism, CKF_GENERATE_KEY_PAIR) ||
		    !p11_mech_size_ok(mech.mechanism, a->bits))
			return PSA_ERROR_NOT_SUPPORTED;
		p11_common(&pt, id, &pub_cls, &kt, 0, a);
		p11_add(&pt, CKA_EC_PARAMS, oid, oid_len);
	} else if (a->type == PSA_KEY_TYPE_RSA_KEY_PAIR) {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		kt = CKK_RSA;
		if (a->bits < 1024 || a->bits > PSA_VENDOR_RSA_MAX_KEY_BITS || a->bits % 8 != 0 ||
		    !p11_has_mech(mech.mechanism, CKF_GENERATE_KEY_PAIR) ||
		    !p11_mech_size_ok(mech.mechanism, a->bits))
			return PSA_ERROR_NOT_SUPPORTED;
		p11_common(&pt, id, &pub_cls, &kt, 0, a);
		p11_add(&pt, CKA_MODULUS_BITS, &bits, sizeof(bits));
		p11_add(&pt, CKA_PUBLIC_EXPONENT, f4, sizeof(f4));
	} else if (a->type == PSA_KEY_TYPE_AES) {
		CK_OBJECT_HANDLE key;

		mech.mechanism = CKM_AES_KEY_GEN;
		kt = CKK_AES;
		if ((a->bits != 128 && a->bits != 192 && a->bits != 256) ||
		    !p11_has_mech(mech.mechanism, CKF_GENERATE) ||
		    !p11_mech_size_ok(mech.mechanism, value_len))
			return PSA_ERROR_NOT_SUPPORTED;
		p11_common(&kt_priv, id, &secret_cls, &kt, 1, a);
		p11_add(&kt_priv, CKA_VALUE_LEN, &value_len, sizeof(value_len));
		p11_add_bool(&kt_priv, CKA_ENCRYPT, (a->usage & PSA_KEY_USAGE_ENCRYPT) != 0);
		p11_add_bool(&kt_priv, CKA_DECRYPT, (a->usage & PSA_KEY_USAGE_DECRYPT) != 0);
		p11_add_bool(&kt_priv, CKA_SIGN, p11_mac_key_signs(a)); /* AES-CMAC */
		p11_add_bool(&kt_priv, CKA_VERIFY, p11_mac_key_verifies(a));
		return p11_status(p11.module->C_GenerateKey(p11.session, &mech, kt_priv.a,
		    kt_priv.n, &key));
	} else if (a->type == PSA_KEY_TYPE_HMAC) {
		return p11_generate_hmac(a, id);
	} else {
		return PSA_ERROR_NOT_SUPPORTED;
	}
	p11_usage_public(&pt, a);
	p11_common(&kt_priv, id, &priv_cls, &kt, 1, a);
	p11_usage_private(&kt_priv, a);
	return p11_status(p11.module->C_GenerateKeyPair(p11.session, &mech, pt.a, pt.n,
	    kt_priv.a, kt_priv.n, &pub, &priv));
}

static psa_status_t
p11_create_object(struct p11_tmpl *t)
{
	CK_OBJECT_HANDLE obj;

	return p11_status(p11.module->C_CreateObject(p11.session, t->a, t->n, &obj));
}

/* The public object of an EC key: CKA_EC_POINT is a DER OCTET STRING around the point. */
static psa_status_t
p11_import_ec_public(const struct op_key_attrs *a, const uint8_t *id, const uint8_t *point,
    size_t point_len, size_t bits)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	struct p11_tmpl t = { .n = 0 };
	uint8_t wrapped[3 + 1 + 2 * 66], *p;
	const uint8_t *oid;
	size_t oid_len;

	if ((oid = p11_ec_oid(bits, &oid_len)) == NULL || point_len + 3 > sizeof(wrapped))
		return PSA_ERROR_NOT_SUPPORTED;
	p = der_put_header(wrapped, 0x04, point_len);
	memcpy(p, point, point_len);
	p11_common(&t, id, &cls, &kt, 0, a);
	p11_add(&t, CKA_EC_PARAMS, oid, oid_len);
	p11_add(&t, CKA_EC_POINT, wrapped, (size_t)(p - wrapped) + point_len);
	p11_usage_public(&t, a);
	return p11_create_object(&t);
}

static psa_status_t
p11_import_rsa_public(const struct op_key_attrs *a, const uint8_t *id, const uint8_t *n,
    size_t n_len, const uint8_t *e, size_t e_len)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	struct p11_tmpl t = { .n = 0 };

	p11_common(&t, id, &cls, &kt, 0, a);
	p11_add(&t, CKA_MODULUS, n, n_len);
	p11_add(&t, CKA_PUBLIC_EXPONENT, e, e_len);
	p11_usage_public(&t, a);
	return p11_create_object(&t);
}

/*
 * An EC private key in PSA form is the scalar alone; the token gets it and,
 * as a second object, the public point mbedtls computes from it.
 */
static psa_status_t
p11_import_ec_pair(const struct op_key_attrs *a, const uint8_t *id, const uint8_t *d,
    size_t d_len)
{
	psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	struct p11_tmpl t = { .n = 0 };
	uint8_t point[1 + 2 * 66];
	size_t point_len, bits = d_len == 66 ? 521 : d_len * 8, oid_len;
	const uint8_t *oid;
	psa_key_id_t tmp;
	psa_status_t st;

	if ((a->bits != 0 && a->bits != bits) || (oid = p11_ec_oid(bits, &oid_len)) == NULL)
		return PSA_ERROR_NOT_SUPPORTED;
	psa_set_key_type(&pa, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&pa, bits);
	if (psa_import_key(&pa, d, d_len, &tmp) != PSA_SUCCESS)
		return PSA_ERROR_INVALID_ARGUMENT;
	st = psa_export_public_key(tmp, point, sizeof(point), &point_len) == PSA_SUCCESS ?
	    PSA_SUCCESS : PSA_ERROR_INVALID_ARGUMENT;
	psa_destroy_key(tmp);
	if (st != PSA_SUCCESS)
		return st;
	p11_common(&t, id, &cls, &kt, 1, a);
	p11_add(&t, CKA_EC_PARAMS, oid, oid_len);
	p11_add(&t, CKA_VALUE, d, d_len);
	p11_usage_private(&t, a);
	if ((st = p11_create_object(&t)) != PSA_SUCCESS)
		return st;
	return p11_import_ec_public(a, id, point, point_len, bits);
}

/* Writes an mbedtls number into a fresh buffer of its own length. */
static uint8_t *
p11_mpi_bytes(const mbedtls_mpi *x, size_t *len)
{
	uint8_t *p;

	*len = mbedtls_mpi_size(x);
	if ((p = malloc(*len ? *len : 1)) == NULL)
		fatal("malloc");
	if (mbedtls_mpi_write_binary(x, p, *len) != 0)
		fatalx("mbedtls_mpi_write_binary");
	return p;
}

/* An RSA private key in PSA form is DER RSAPrivateKey; the token takes its parts. */
static psa_status_t
p11_import_rsa_pair(const struct op_key_attrs *a, const uint8_t *id, const uint8_t *der,
    size_t der_len)
{
	static const CK_ATTRIBUTE_TYPE parts[8] = { CKA_MODULUS, CKA_PUBLIC_EXPONENT,
		CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2,
		CKA_COEFFICIENT };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	struct p11_tmpl t = { .n = 0 };
	mbedtls_pk_context pk;
	mbedtls_mpi m[8];
	uint8_t *val[8];
	size_t len[8], i;
	psa_status_t st;

	mbedtls_pk_init(&pk);
	for (i = 0; i < 8; i++)
		mbedtls_mpi_init(&m[i]);
	memset(val, 0, sizeof(val));
	memset(len, 0, sizeof(len));
	if (mbedtls_pk_parse_key(&pk, der, der_len, NULL, 0) != 0 ||
	    mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA ||
	    (a->bits != 0 && mbedtls_pk_get_bitlen(&pk) != a->bits)) {
		st = PSA_ERROR_INVALID_ARGUMENT;
		goto done;
	}
	if (mbedtls_rsa_export(mbedtls_pk_rsa(pk), &m[0], &m[3], &m[4], &m[2], &m[1]) != 0 ||
	    mbedtls_rsa_export_crt(mbedtls_pk_rsa(pk), &m[5], &m[6], &m[7]) != 0) {
		st = PSA_ERROR_INVALID_ARGUMENT;
		goto done;
	}
	for (i = 0; i < 8; i++)
		val[i] = p11_mpi_bytes(&m[i], &len[i]);
	p11_common(&t, id, &cls, &kt, 1, a);
	for (i = 0; i < 8; i++)
		p11_add(&t, parts[i], val[i], len[i]);
	p11_usage_private(&t, a);
	if ((st = p11_create_object(&t)) == PSA_SUCCESS)
		st = p11_import_rsa_public(a, id, val[0], len[0], val[1], len[1]);
done:
	for (i = 0; i < 8; i++) {
		p11_free(val[i], len[i]);
		mbedtls_mpi_free(&m[i]);
	}
	mbedtls_pk_free(&pk);
	return st;
}

static psa_status_t
p11_import(const struct op_key_attrs *a, const uint8_t *id, const uint8_t *data, size_t len)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	struct p11_tmpl t = { .n = 0 };
	const uint8_t *n, *e;
	size_t n_len, e_len, bits;

	if (a->type == PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1)) {
		bits = len == 133 ? 521 : (len - 1) / 2 * 8;
		if (len < 65 || len % 2 == 0 || data[0] != 0x04 || (a->bits != 0 && a->bits != bits))
			return PSA_ERROR_INVALID_ARGUMENT;
		return p11_import_ec_public(a, id, data, len, bits);
	}
	if (a->type == PSA_KEY_TYPE_RSA_PUBLIC_KEY) {
		if (der_rsa_public_parse(data, len, &n, &n_len, &e, &e_len) == -1 ||
		    (a->bits != 0 && n_len * 8 != a->bits))
			return PSA_ERROR_INVALID_ARGUMENT;
		return p11_import_rsa_public(a, id, n, n_len, e, e_len);
	}
	if (a->type == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1))
		return p11_import_ec_pair(a, id, data, len);
	if (a->type == PSA_KEY_TYPE_RSA_KEY_PAIR)
		return p11_import_rsa_pair(a, id, data, len);
	if (a->type == PSA_KEY_TYPE_AES) {
		if ((len != 16 && len != 24 && len != 32) || (a->bits != 0 && a->bits != len * 8))
			return PSA_ERROR_INVALID_ARGUMENT;
		if (!p11_mech_size_ok(CKM_AES_KEY_GEN, len))
			return PSA_ERROR_NOT_SUPPORTED;
		p11_common(&t, id, &cls, &kt, 1, a);
		p11_add(&t, CKA_VALUE, data, len);
		p11_add_bool(&t, CKA_ENCRYPT, (a->usage & PSA_KEY_USAGE_ENCRYPT) != 0);
		p11_add_bool(&t, CKA_DECRYPT, (a->usage & PSA_KEY_USAGE_DECRYPT) != 0);
		p11_add_bool(&t, CKA_SIGN, p11_mac_key_signs(a)); /* AES-CMAC */
		p11_add_bool(&t, CKA_VERIFY, p11_mac_key_verifies(a));
		return p11_create_object(&t);
	}
	if (a->type == PSA_KEY_TYPE_HMAC) {
		/* A generic secret, the key type every token's HMAC mechanisms take. */
		kt = CKK_GENERIC_SECRET;
		if (len == 0 || (a->bits != 0 && a->bits != len * 8))
			return PSA_ERROR_INVALID_ARGUMENT;
		p11_common(&t, id, &cls, &kt, 1, a);
		p11_add(&t, CKA_VALUE, data, len);
		p11_usage_hmac(&t, a);
		return p11_create_object(&t);
	}
	return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t
p11_create(const struct op_request *op, const uint8_t *id)
{
	int stale;
	CK_RV rv;
	psa_status_t st;

	/*
	 * Objects that already carry the id are not ours to remove: another
	 * deployment's, or a key store's that was lost. brokerd takes a fresh id.
	 */
	if ((rv = p11_id_taken(id, &stale)) != CKR_OK)
		return p11_status(rv);
	if (stale) {
		log_warnx("the token already holds objects with CKA_ID %02x%02x%02x%02x; left "
		    "alone", id[0], id[1], id[2], id[3]);
		return PSA_ERROR_ALREADY_EXISTS;
	}
	if (wire_opcode_base(op->opcode) == OP_PSA_GENERATE_KEY)
		st = p11_generate(&op->attrs, id);
	else
		st = p11_import(&op->attrs, id, op->in[0].ptr, op->in[0].len);
	/* Half a key pair is no key: drop whatever part was made. */
	if (st != PSA_SUCCESS && p11_destroy_all(id, &stale) != CKR_OK)
		log_warnx("could not remove a failed creation's objects");
	return st;
}
