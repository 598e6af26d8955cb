/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 provider (id 2, "Pkcs11"): keys live on an HSM, smart card or
 * token, driven through any PKCS#11 module that p11-kit loads. This file
 * opens the token and creates, finds, exports and destroys key objects;
 * prov_pkcs11_ops.c runs the cryptography.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <psa/crypto.h>

#include "log.h"
#include "prov_der.h"
#include "prov_pkcs11.h"
#include "prov_policy.h"
#include "wire.h"

struct p11_token p11;

static CK_BBOOL p11_true = CK_TRUE;
static CK_BBOOL p11_false = CK_FALSE;

/* The DER OIDs of the SECP R1 curves, as CKA_EC_PARAMS carries them. */
static const uint8_t p11_oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
	0x07 };
static const uint8_t p11_oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t p11_oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };

/* Failures that mean the token or the module is no longer what we opened. */
static int
p11_rv_lost(CK_RV rv)
{
	switch (rv) {
	case CKR_DEVICE_REMOVED:
	case CKR_DEVICE_ERROR:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_CRYPTOKI_NOT_INITIALIZED:
		return 1;
	case CKR_USER_NOT_LOGGED_IN:
		/* Logged out under us (a token reinserted); never logged in is configuration. */
		return p11.logged_in;
	default:
		return 0;
	}
}

uint32_t
p11_status(CK_RV rv)
{
	if (p11_rv_lost(rv)) {
		/* The PIN is gone from this process: a fresh worker logs in again. */
		prov_restart_after_reply("the token went away or the module failed");
		return ST_PSA_COMMUNICATION_FAILURE;
	}
	switch (rv) {
	case CKR_OK:
		return ST_SUCCESS;
	case CKR_SIGNATURE_INVALID:
	case CKR_SIGNATURE_LEN_RANGE:
		return ST_PSA_INVALID_SIGNATURE;
	case CKR_ENCRYPTED_DATA_INVALID:
	case CKR_ENCRYPTED_DATA_LEN_RANGE:
		return ST_PSA_INVALID_PADDING;
	case CKR_DATA_INVALID:
	case CKR_DATA_LEN_RANGE:
	case CKR_ARGUMENTS_BAD:
	case CKR_ATTRIBUTE_VALUE_INVALID:
	case CKR_TEMPLATE_INCONSISTENT:
	case CKR_DOMAIN_PARAMS_INVALID:
	case CKR_KEY_SIZE_RANGE:
	case CKR_WRAPPED_KEY_INVALID:
		return ST_PSA_INVALID_ARGUMENT;
	case CKR_MECHANISM_INVALID:
	case CKR_MECHANISM_PARAM_INVALID:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_FUNCTION_NOT_SUPPORTED:
	case CKR_ATTRIBUTE_TYPE_INVALID:
	case CKR_CURVE_NOT_SUPPORTED:
		return ST_PSA_NOT_SUPPORTED;
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
	case CKR_KEY_UNEXTRACTABLE:
	case CKR_USER_NOT_LOGGED_IN: /* without user_pin (p11_rv_lost takes the other case) */
	case CKR_ATTRIBUTE_SENSITIVE:
		return ST_PSA_NOT_PERMITTED;
	case CKR_HOST_MEMORY:
	case CKR_DEVICE_MEMORY:
		return ST_PSA_INSUFFICIENT_MEMORY;
	case CKR_BUFFER_TOO_SMALL:
		return ST_PSA_BUFFER_TOO_SMALL;
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
		return ST_PSA_DOES_NOT_EXIST;
	default:
		break;
	}
	log_warnx("token error 0x%lx", (unsigned long)rv);
	return ST_PSA_HARDWARE_FAILURE;
}

int
p11_has_mech(CK_MECHANISM_TYPE mech, CK_FLAGS flags)
{
	size_t i;

	for (i = 0; i < p11.mech_count; i++)
		if (p11.mechs[i] == mech)
			return (p11.mech_info[i].flags & flags) == flags;
	return 0;
}

int
p11_mech_size_ok(CK_MECHANISM_TYPE mech, unsigned long size)
{
	size_t i;

	for (i = 0; i < p11.mech_count; i++)
		if (p11.mechs[i] == mech)
			return size >= p11.mech_info[i].ulMinKeySize &&
			    size <= p11.mech_info[i].ulMaxKeySize;
	return 0;
}

int
p11_find(CK_OBJECT_CLASS cls, const uint8_t *id, CK_OBJECT_HANDLE *obj, CK_RV *rv)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, P11_KEY_ID_LEN },
		{ CKA_TOKEN, &p11_true, sizeof(p11_true) },
	};
	CK_ULONG found = 0;

	*rv = p11.module->C_FindObjectsInit(p11.session, tmpl, 3);
	if (*rv != CKR_OK)
		return -1;
	*rv = p11.module->C_FindObjects(p11.session, obj, 1, &found);
	(void)p11.module->C_FindObjectsFinal(p11.session);
	if (*rv != CKR_OK)
		return -1;
	return found == 1 ? 0 : 1;
}

CK_RV
p11_get_attr(CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, uint8_t **val, size_t *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv;

	*val = NULL;
	*len = 0;
	if ((rv = p11.module->C_GetAttributeValue(p11.session, obj, &a, 1)) != CKR_OK)
		return rv;
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > 64 * 1024)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if ((a.pValue = malloc(a.ulValueLen ? a.ulValueLen : 1)) == NULL)
		fatal("malloc");
	if ((rv = p11.module->C_GetAttributeValue(p11.session, obj, &a, 1)) != CKR_OK) {
		p11_free(a.pValue, a.ulValueLen);
		return rv;
	}
	*val = a.pValue;
	*len = a.ulValueLen;
	return CKR_OK;
}

void
p11_free(uint8_t *val, size_t len)
{
	if (val == NULL)
		return;
	explicit_bzero(val, len);
	free(val);
}

size_t
p11_ec_params_bits(const uint8_t *params, size_t len)
{
	if (len == sizeof(p11_oid_p256) && memcmp(params, p11_oid_p256, len) == 0)
		return 256;
	if (len == sizeof(p11_oid_p384) && memcmp(params, p11_oid_p384, len) == 0)
		return 384;
	if (len == sizeof(p11_oid_p521) && memcmp(params, p11_oid_p521, len) == 0)
		return 521;
	return 0;
}

size_t
p11_ec_key_bits(CK_OBJECT_HANDLE obj)
{
	uint8_t *params;
	size_t len, bits;

	if (p11_get_attr(obj, CKA_EC_PARAMS, &params, &len) != CKR_OK)
		return 0;
	bits = p11_ec_params_bits(params, len);
	p11_free(params, len);
	return bits;
}

static const uint8_t *
p11_ec_oid(size_t bits, size_t *len)
{
	switch (bits) {
	case 256:
		*len = sizeof(p11_oid_p256);
		return p11_oid_p256;
	case 384:
		*len = sizeof(p11_oid_p384);
		return p11_oid_p384;
	case 521:
		*len = sizeof(p11_oid_p521);
		return p11_oid_p521;
	default:
		*len = 0;
		return NULL;
	}
}

/* CKA_EC_POINT holds a DER OCTET STRING around the point; a few modules give it bare. */
static int
p11_ec_point_unwrap(const uint8_t *v, size_t len, size_t point_len, const uint8_t **point)
{
	size_t inner;
	const uint8_t *p;

	if (len == point_len && v[0] == 0x04) {
		*point = v;
		return 0;
	}
	if ((p = prov_der_header(v, v + len, 0x04, &inner)) == NULL || inner != point_len ||
	    p + inner != v + len || p[0] != 0x04)
		return -1;
	*point = p;
	return 0;
}

uint32_t
p11_export_public(const uint8_t *id, const struct op_key_attrs *attrs, uint8_t **out,
    size_t *out_len)
{
	CK_OBJECT_HANDLE obj;
	CK_RV rv;
	uint8_t *a = NULL, *b = NULL;
	size_t a_len = 0, b_len = 0, bits, point_len;
	const uint8_t *point;
	uint32_t st;
	int r;

	if ((r = p11_find(CKO_PUBLIC_KEY, id, &obj, &rv)) != 0)
		return r == 1 ? ST_PSA_DOES_NOT_EXIST : p11_status(rv);
	if (PSA_KEY_TYPE_IS_RSA(attrs->type)) {
		if ((rv = p11_get_attr(obj, CKA_MODULUS, &a, &a_len)) != CKR_OK ||
		    (rv = p11_get_attr(obj, CKA_PUBLIC_EXPONENT, &b, &b_len)) != CKR_OK) {
			st = p11_status(rv);
		} else if ((*out_len = prov_der_rsa_public_write(a, a_len, b, b_len, NULL, 0)) == 0) {
			st = ST_PSA_DATA_INVALID;
		} else {
			if ((*out = malloc(*out_len)) == NULL)
				fatal("malloc");
			prov_der_rsa_public_write(a, a_len, b, b_len, *out, *out_len);
			st = ST_SUCCESS;
		}
	} else if (PSA_KEY_TYPE_IS_ECC(attrs->type)) {
		if ((rv = p11_get_attr(obj, CKA_EC_PARAMS, &a, &a_len)) != CKR_OK ||
		    (rv = p11_get_attr(obj, CKA_EC_POINT, &b, &b_len)) != CKR_OK) {
			st = p11_status(rv);
		} else if ((bits = p11_ec_params_bits(a, a_len)) == 0 ||
		    p11_ec_point_unwrap(b, b_len, point_len = 1 + 2 * PSA_BITS_TO_BYTES(bits),
		    &point) == -1) {
			st = ST_PSA_DATA_INVALID;
		} else {
			if ((*out = malloc(point_len)) == NULL)
				fatal("malloc");
			memcpy(*out, point, point_len);
			*out_len = point_len;
			st = ST_SUCCESS;
		}
	} else {
		st = ST_PSA_INVALID_ARGUMENT; /* a symmetric key has no public part */
	}
	p11_free(a, a_len);
	p11_free(b, b_len);
	return st;
}

/* ---- creating keys ------------------------------------------------------------ */

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

/* Rounds of find-and-destroy before objects that will not go are reported. */
#define P11_DESTROY_ROUNDS 4

/*
 * Removes every object with this id; *destroyed counts those found. A destroy
 * reaches every worker at once, so another may remove an object between our
 * find and our destroy: what counts is that none is left, whoever removed it.
 */
static CK_RV
p11_destroy_all(const uint8_t *id, int *destroyed)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_ID, (void *)id, P11_KEY_ID_LEN },
		{ CKA_TOKEN, &p11_true, sizeof(p11_true) },
	};
	CK_OBJECT_HANDLE objs[8];
	CK_ULONG found = 0, i;
	CK_RV rv, refused = CKR_OK;
	int round;

	*destroyed = 0;
	for (round = 0; round < P11_DESTROY_ROUNDS; round++) {
		if ((rv = p11.module->C_FindObjectsInit(p11.session, tmpl, 2)) != CKR_OK)
			return rv;
		rv = p11.module->C_FindObjects(p11.session, objs, 8, &found);
		(void)p11.module->C_FindObjectsFinal(p11.session);
		if (rv != CKR_OK)
			return rv;
		if (found == 0)
			return CKR_OK;
		for (i = 0; i < found; i++) {
			rv = p11.module->C_DestroyObject(p11.session, objs[i]);
			if (p11_rv_lost(rv))
				return rv;
			if (rv != CKR_OK)
				refused = rv; /* gone already, or kept: the next find tells */
		}
		if (round == 0)
			*destroyed = (int)found;
	}
	return refused != CKR_OK ? refused : CKR_GENERAL_ERROR;
}

/* Whether any object on the token carries this CKA_ID. */
static CK_RV
p11_id_taken(const uint8_t *id, int *taken)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_ID, (void *)id, P11_KEY_ID_LEN },
		{ CKA_TOKEN, &p11_true, sizeof(p11_true) },
	};
	CK_OBJECT_HANDLE obj;
	CK_ULONG found = 0;
	CK_RV rv;

	if ((rv = p11.module->C_FindObjectsInit(p11.session, tmpl, 2)) != CKR_OK)
		return rv;
	rv = p11.module->C_FindObjects(p11.session, &obj, 1, &found);
	(void)p11.module->C_FindObjectsFinal(p11.session);
	*taken = found > 0;
	return rv;
}

static uint32_t
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
			return ST_PSA_NOT_SUPPORTED;
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		kt = CKK_EC;
		if (!p11_has_mech(mech.mechanism, CKF_GENERATE_KEY_PAIR) ||
		    !p11_mech_size_ok(mech.mechanism, a->bits))
			return ST_PSA_NOT_SUPPORTED;
		p11_common(&pt, id, &pub_cls, &kt, 0, a);
		p11_add(&pt, CKA_EC_PARAMS, oid, oid_len);
	} else if (a->type == PSA_KEY_TYPE_RSA_KEY_PAIR) {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		kt = CKK_RSA;
		if (a->bits < 1024 || a->bits > PSA_VENDOR_RSA_MAX_KEY_BITS || a->bits % 8 != 0 ||
		    !p11_has_mech(mech.mechanism, CKF_GENERATE_KEY_PAIR) ||
		    !p11_mech_size_ok(mech.mechanism, a->bits))
			return ST_PSA_NOT_SUPPORTED;
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
			return ST_PSA_NOT_SUPPORTED;
		p11_common(&kt_priv, id, &secret_cls, &kt, 1, a);
		p11_add(&kt_priv, CKA_VALUE_LEN, &value_len, sizeof(value_len));
		p11_add_bool(&kt_priv, CKA_ENCRYPT, (a->usage & PSA_KEY_USAGE_ENCRYPT) != 0);
		p11_add_bool(&kt_priv, CKA_DECRYPT, (a->usage & PSA_KEY_USAGE_DECRYPT) != 0);
		return p11_status(p11.module->C_GenerateKey(p11.session, &mech, kt_priv.a,
		    kt_priv.n, &key));
	} else {
		return ST_PSA_NOT_SUPPORTED;
	}
	p11_usage_public(&pt, a);
	p11_common(&kt_priv, id, &priv_cls, &kt, 1, a);
	p11_usage_private(&kt_priv, a);
	return p11_status(p11.module->C_GenerateKeyPair(p11.session, &mech, pt.a, pt.n,
	    kt_priv.a, kt_priv.n, &pub, &priv));
}

static uint32_t
p11_create_object(struct p11_tmpl *t)
{
	CK_OBJECT_HANDLE obj;

	return p11_status(p11.module->C_CreateObject(p11.session, t->a, t->n, &obj));
}

/* The public object of an EC key: CKA_EC_POINT is a DER OCTET STRING around the point. */
static uint32_t
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
		return ST_PSA_NOT_SUPPORTED;
	p = prov_der_put_header(wrapped, 0x04, point_len);
	memcpy(p, point, point_len);
	p11_common(&t, id, &cls, &kt, 0, a);
	p11_add(&t, CKA_EC_PARAMS, oid, oid_len);
	p11_add(&t, CKA_EC_POINT, wrapped, (size_t)(p - wrapped) + point_len);
	p11_usage_public(&t, a);
	return p11_create_object(&t);
}

static uint32_t
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
static uint32_t
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
	uint32_t st;

	if ((a->bits != 0 && a->bits != bits) || (oid = p11_ec_oid(bits, &oid_len)) == NULL)
		return ST_PSA_NOT_SUPPORTED;
	psa_set_key_type(&pa, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&pa, bits);
	if (psa_import_key(&pa, d, d_len, &tmp) != PSA_SUCCESS)
		return ST_PSA_INVALID_ARGUMENT;
	st = psa_export_public_key(tmp, point, sizeof(point), &point_len) == PSA_SUCCESS ?
	    ST_SUCCESS : ST_PSA_INVALID_ARGUMENT;
	psa_destroy_key(tmp);
	if (st != ST_SUCCESS)
		return st;
	p11_common(&t, id, &cls, &kt, 1, a);
	p11_add(&t, CKA_EC_PARAMS, oid, oid_len);
	p11_add(&t, CKA_VALUE, d, d_len);
	p11_usage_private(&t, a);
	if ((st = p11_create_object(&t)) != ST_SUCCESS)
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
static uint32_t
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
	uint32_t st;

	mbedtls_pk_init(&pk);
	for (i = 0; i < 8; i++)
		mbedtls_mpi_init(&m[i]);
	memset(val, 0, sizeof(val));
	memset(len, 0, sizeof(len));
	if (mbedtls_pk_parse_key(&pk, der, der_len, NULL, 0) != 0 ||
	    mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA ||
	    (a->bits != 0 && mbedtls_pk_get_bitlen(&pk) != a->bits)) {
		st = ST_PSA_INVALID_ARGUMENT;
		goto done;
	}
	if (mbedtls_rsa_export(mbedtls_pk_rsa(pk), &m[0], &m[3], &m[4], &m[2], &m[1]) != 0 ||
	    mbedtls_rsa_export_crt(mbedtls_pk_rsa(pk), &m[5], &m[6], &m[7]) != 0) {
		st = ST_PSA_INVALID_ARGUMENT;
		goto done;
	}
	for (i = 0; i < 8; i++)
		val[i] = p11_mpi_bytes(&m[i], &len[i]);
	p11_common(&t, id, &cls, &kt, 1, a);
	for (i = 0; i < 8; i++)
		p11_add(&t, parts[i], val[i], len[i]);
	p11_usage_private(&t, a);
	if ((st = p11_create_object(&t)) == ST_SUCCESS)
		st = p11_import_rsa_public(a, id, val[0], len[0], val[1], len[1]);
done:
	for (i = 0; i < 8; i++) {
		p11_free(val[i], len[i]);
		mbedtls_mpi_free(&m[i]);
	}
	mbedtls_pk_free(&pk);
	return st;
}

static uint32_t
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
			return ST_PSA_INVALID_ARGUMENT;
		return p11_import_ec_public(a, id, data, len, bits);
	}
	if (a->type == PSA_KEY_TYPE_RSA_PUBLIC_KEY) {
		if (prov_der_rsa_public_parse(data, len, &n, &n_len, &e, &e_len) == -1 ||
		    (a->bits != 0 && n_len * 8 != a->bits))
			return ST_PSA_INVALID_ARGUMENT;
		return p11_import_rsa_public(a, id, n, n_len, e, e_len);
	}
	if (a->type == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1))
		return p11_import_ec_pair(a, id, data, len);
	if (a->type == PSA_KEY_TYPE_RSA_KEY_PAIR)
		return p11_import_rsa_pair(a, id, data, len);
	if (a->type == PSA_KEY_TYPE_AES) {
		if ((len != 16 && len != 24 && len != 32) || (a->bits != 0 && a->bits != len * 8))
			return ST_PSA_INVALID_ARGUMENT;
		if (!p11_mech_size_ok(CKM_AES_KEY_GEN, len))
			return ST_PSA_NOT_SUPPORTED;
		p11_common(&t, id, &cls, &kt, 1, a);
		p11_add(&t, CKA_VALUE, data, len);
		p11_add_bool(&t, CKA_ENCRYPT, (a->usage & PSA_KEY_USAGE_ENCRYPT) != 0);
		p11_add_bool(&t, CKA_DECRYPT, (a->usage & PSA_KEY_USAGE_DECRYPT) != 0);
		return p11_create_object(&t);
	}
	return ST_PSA_NOT_SUPPORTED;
}

static uint32_t
p11_create(const struct op_request *op, const uint8_t *id)
{
	int stale;
	CK_RV rv;
	uint32_t st;

	/*
	 * Objects that already carry the id are not ours to remove: another
	 * deployment's, or a key store's that was lost. brokerd takes a fresh id.
	 */
	if ((rv = p11_id_taken(id, &stale)) != CKR_OK)
		return p11_status(rv);
	if (stale) {
		log_warnx("the token already holds objects with CKA_ID %02x%02x%02x%02x; left "
		    "alone", id[0], id[1], id[2], id[3]);
		return ST_PSA_ALREADY_EXISTS;
	}
	if (op->opcode == OP_PSA_GENERATE_KEY)
		st = p11_generate(&op->attrs, id);
	else
		st = p11_import(&op->attrs, id, op->in[0].ptr, op->in[0].len);
	/* Half a key pair is no key: drop whatever part was made. */
	if (st != ST_SUCCESS && p11_destroy_all(id, &stale) != CKR_OK)
		log_warnx("could not remove a failed creation's objects");
	return st;
}

/* PSA's export of a key pair or secret key: only what allow_export and the key permit. */
static uint32_t
p11_export(const struct op_key_attrs *a, const uint8_t *id, uint8_t **out, size_t *out_len)
{
	CK_OBJECT_HANDLE obj;
	CK_OBJECT_CLASS cls;
	CK_RV rv;
	size_t bytes;
	int r;

	if (!p11.allow_export)
		return ST_PSA_NOT_PERMITTED;
	if (PSA_KEY_TYPE_IS_PUBLIC_KEY(a->type))
		return p11_export_public(id, a, out, out_len);
	if (a->type == PSA_KEY_TYPE_AES)
		cls = CKO_SECRET_KEY;
	else if (a->type == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1))
		cls = CKO_PRIVATE_KEY;
	else
		return ST_PSA_NOT_SUPPORTED;
	if ((r = p11_find(cls, id, &obj, &rv)) != 0)
		return r == 1 ? ST_PSA_DOES_NOT_EXIST : p11_status(rv);
	if ((rv = p11_get_attr(obj, CKA_VALUE, out, out_len)) != CKR_OK)
		return p11_status(rv);
	if (cls == CKO_PRIVATE_KEY) {
		/* PSA wants the scalar at the curve's full width; tokens may drop leading zeros. */
		bytes = PSA_BITS_TO_BYTES(a->bits != 0 ? a->bits : p11_ec_key_bits(obj));
		if (*out_len < bytes) {
			uint8_t *wide = calloc(1, bytes);

			if (wide == NULL)
				fatal("calloc");
			memcpy(wide + bytes - *out_len, *out, *out_len);
			p11_free(*out, *out_len);
			*out = wide;
			*out_len = bytes;
		}
	}
	return ST_SUCCESS;
}

/* ---- the backend ---------------------------------------------------------------- */

/*
 * Errors that a token gives for a moment while another process uses it:
 * SoftHSM answers CKR_GENERAL_ERROR to a process reading its token file while
 * another rewrites it (two workers logging in at once). Start retries them.
 */
static int
p11_rv_transient(CK_RV rv)
{
	switch (rv) {
	case CKR_GENERAL_ERROR:
	case CKR_FUNCTION_FAILED:
	case CKR_DEVICE_ERROR:
	case CKR_DEVICE_MEMORY:
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_SESSION_COUNT:
		return 1;
	default:
		return 0;
	}
}

/* -1 for a lasting failure, PROV_INIT_RETRY for a transient one (the log says which). */
static int
p11_start_fail(CK_RV rv)
{
	return p11_rv_transient(rv) ? PROV_INIT_RETRY : -1;
}

/* 0, or PROV_INIT_RETRY: a token that is not there may be there a moment later. */
static int
p11_pick_slot(const struct setup_provider *setup)
{
	CK_SLOT_ID *slots;
	CK_ULONG count = 0, i;
	CK_TOKEN_INFO info;
	CK_RV rv;
	char serial[17];
	int found = 0;

	if ((rv = p11.module->C_GetSlotList(CK_TRUE, NULL, &count)) != CKR_OK) {
		log_warnx("provider.library_path: C_GetSlotList failed: 0x%lx", (unsigned long)rv);
		return p11_start_fail(rv);
	}
	if ((slots = calloc(count ? count : 1, sizeof(*slots))) == NULL)
		fatal("calloc");
	if ((rv = p11.module->C_GetSlotList(CK_TRUE, slots, &count)) != CKR_OK)
		count = 0;
	for (i = 0; i < count && !found; i++) {
		if (setup->has_slot_number) {
			found = slots[i] == setup->slot_number;
		} else if (setup->serial_number[0] != '\0') {
			size_t n;

			if (p11.module->C_GetTokenInfo(slots[i], &info) != CKR_OK)
				continue;
			memcpy(serial, info.serialNumber, 16);
			for (n = 16; n > 0 && serial[n - 1] == ' '; n--)
				;
			serial[n] = '\0';
			found = strcmp(serial, setup->serial_number) == 0;
		} else {
			found = 1;
		}
		if (found)
			p11.slot = slots[i];
	}
	free(slots);
	if (found)
		return 0;
	if (setup->has_slot_number)
		log_warnx("provider.slot_number: no token in slot %llu",
		    (unsigned long long)setup->slot_number);
	else if (setup->serial_number[0] != '\0')
		log_warnx("provider.serial_number: no token with serial number \"%s\"",
		    setup->serial_number);
	else
		log_warnx("provider.slot_number: the module %s shows no slot with a token",
		    setup->library_path);
	return PROV_INIT_RETRY;
}

static void
p11_load_mechanisms(void)
{
	CK_ULONG count = 0, i;

	free(p11.mechs);
	free(p11.mech_info);
	if (p11.module->C_GetMechanismList(p11.slot, NULL, &count) != CKR_OK)
		count = 0;
	p11.mechs = calloc(count ? count : 1, sizeof(*p11.mechs));
	p11.mech_info = calloc(count ? count : 1, sizeof(*p11.mech_info));
	if (p11.mechs == NULL || p11.mech_info == NULL)
		fatal("calloc");
	if (p11.module->C_GetMechanismList(p11.slot, p11.mechs, &count) != CKR_OK)
		count = 0;
	for (i = 0; i < count; i++)
		if (p11.module->C_GetMechanismInfo(p11.slot, p11.mechs[i], &p11.mech_info[i]) !=
		    CKR_OK)
			memset(&p11.mech_info[i], 0, sizeof(p11.mech_info[i]));
	p11.mech_count = count;
}

/* Logs in with the PIN; a PIN the token refuses is never tried again. */
static int
p11_login(const struct setup_provider *setup)
{
	CK_RV rv;

	rv = p11.module->C_Login(p11.session, CKU_USER, (CK_UTF8CHAR *)setup->user_pin,
	    setup->user_pin_len);
	p11.logged_in = rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN;
	if (p11.logged_in)
		return 0;
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_EXPIRED:
	case CKR_PIN_LOCKED:
		log_warnx("provider.user_pin: the token in slot %lu refused the PIN (%s)",
		    (unsigned long)p11.slot, rv == CKR_PIN_INCORRECT ? "CKR_PIN_INCORRECT" :
		    rv == CKR_PIN_LOCKED ? "CKR_PIN_LOCKED" : "the PIN is invalid or expired");
		return -1;
	case CKR_USER_PIN_NOT_INITIALIZED:
		/*
		 * SoftHSM also says so when it reads its token file while another
		 * process rewrites it; a token that really has no user PIN costs a
		 * few seconds of retries, and no PIN attempt is counted.
		 */
		log_warnx("provider.user_pin: the token in slot %lu has no user PIN (yet?)",
		    (unsigned long)p11.slot);
		return PROV_INIT_RETRY;
	default:
		log_warnx("provider.user_pin: login to the token in slot %lu failed: 0x%lx",
		    (unsigned long)p11.slot, (unsigned long)rv);
		return p11_start_fail(rv);
	}
}

/* One attempt at the token: initialise the module, find the token, open a session, log in. */
static int
p11_open_token(const struct setup_provider *setup)
{
	CK_TOKEN_INFO info;
	CK_RV rv;
	int r;

	if ((rv = p11_kit_module_initialize(p11.module)) != CKR_OK) {
		log_warnx("provider.library_path: the module %s failed to initialise: 0x%lx (%s)",
		    setup->library_path, (unsigned long)rv, p11_kit_message());
		return p11_start_fail(rv);
	}
	if ((r = p11_pick_slot(setup)) != 0)
		return r;
	if ((rv = p11.module->C_GetTokenInfo(p11.slot, &info)) != CKR_OK) {
		log_warnx("provider.slot_number: cannot read the token in slot %lu: 0x%lx",
		    (unsigned long)p11.slot, (unsigned long)rv);
		return p11_start_fail(rv);
	}
	p11.has_rng = (info.flags & CKF_RNG) != 0;
	p11_load_mechanisms();
	if ((rv = p11.module->C_OpenSession(p11.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	    NULL, &p11.session)) != CKR_OK) {
		log_warnx("provider.slot_number: cannot open a session on slot %lu: 0x%lx",
		    (unsigned long)p11.slot, (unsigned long)rv);
		return p11_start_fail(rv);
	}
	if (setup->has_user_pin)
		return p11_login(setup);
	log_warnx("no provider.user_pin: only public objects can be used");
	return 0;
}

static int
prov_pkcs11_init(const struct setup_provider *setup)
{
	int r;

	p11.software_public_operations = setup->software_public_operations != 0;
	p11.allow_export = setup->allow_export != 0;
	if (psa_crypto_init() != PSA_SUCCESS) {
		log_warnx("psa_crypto_init failed");
		return -1;
	}
	if (p11.module == NULL && (p11.module = p11_kit_module_load(setup->library_path,
	    P11_KIT_MODULE_UNMANAGED | P11_KIT_MODULE_CRITICAL)) == NULL) {
		log_warnx("provider.library_path: cannot load the PKCS#11 module %s: %s",
		    setup->library_path, p11_kit_message());
		return -1;
	}
	if ((r = p11_open_token(setup)) != 0) {
		/* Finalizing closes any session; the next attempt starts afresh. */
		(void)p11_kit_module_finalize(p11.module);
		p11.session = CK_INVALID_HANDLE;
		p11.logged_in = 0;
		return r;
	}
	log_info("%s worker %u: slot %lu, %zu mechanisms, session open", setup->name,
	    setup->worker, (unsigned long)p11.slot, p11.mech_count);
	return 0;
}

static void
prov_pkcs11_describe(struct op_provider_info *info)
{
	strlcpy(info->uuid, wire_provider_uuid(WIRE_PROVIDER_PKCS11), sizeof(info->uuid));
	strlcpy(info->description, "PKCS#11 provider: keys on an HSM or token, through p11-kit",
	    sizeof(info->description));
	strlcpy(info->vendor, "parsecd", sizeof(info->vendor));
	info->version_maj = 0;
	info->version_min = 1;
	info->version_rev = 0;
	info->id = WIRE_PROVIDER_PKCS11;
}

/* What the token's mechanism list lets us serve, and nothing else. */
static size_t
prov_pkcs11_opcodes(uint32_t *ops, size_t max)
{
	int ec_sign = p11_has_mech(CKM_ECDSA, CKF_SIGN);
	int rsa_sign = p11_has_mech(CKM_RSA_PKCS, CKF_SIGN) ||
	    p11_has_mech(CKM_RSA_PKCS_PSS, CKF_SIGN);
	int verify = p11.software_public_operations || p11_has_mech(CKM_ECDSA, CKF_VERIFY) ||
	    p11_has_mech(CKM_RSA_PKCS, CKF_VERIFY) || p11_has_mech(CKM_RSA_PKCS_PSS, CKF_VERIFY);
	int rsa_crypt = p11_has_mech(CKM_RSA_PKCS, CKF_DECRYPT) ||
	    p11_has_mech(CKM_RSA_PKCS_OAEP, CKF_DECRYPT);
	struct {
		uint32_t op;
		int on;
	} table[] = {
		{ OP_PSA_GENERATE_KEY, p11_has_mech(CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR) ||
		    p11_has_mech(CKM_RSA_PKCS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR) },
		{ OP_PSA_DESTROY_KEY, 1 },
		{ OP_PSA_SIGN_HASH, ec_sign || rsa_sign },
		{ OP_PSA_VERIFY_HASH, verify },
		{ OP_PSA_IMPORT_KEY, 1 },
		{ OP_PSA_EXPORT_PUBLIC_KEY, 1 },
		{ OP_PSA_ASYMMETRIC_ENCRYPT, p11.software_public_operations ||
		    p11_has_mech(CKM_RSA_PKCS, CKF_ENCRYPT) ||
		    p11_has_mech(CKM_RSA_PKCS_OAEP, CKF_ENCRYPT) },
		{ OP_PSA_ASYMMETRIC_DECRYPT, rsa_crypt },
		{ OP_PSA_EXPORT_KEY, p11.allow_export },
		{ OP_PSA_GENERATE_RANDOM, p11.has_rng },
		{ OP_PSA_AEAD_ENCRYPT, p11_has_mech(CKM_AES_GCM, CKF_ENCRYPT) },
		{ OP_PSA_AEAD_DECRYPT, p11_has_mech(CKM_AES_GCM, CKF_DECRYPT) },
		{ OP_PSA_RAW_KEY_AGREEMENT, p11_has_mech(CKM_ECDH1_DERIVE, CKF_DERIVE) },
		{ OP_PSA_CIPHER_ENCRYPT, p11_has_mech(CKM_AES_CBC, CKF_ENCRYPT) ||
		    p11_has_mech(CKM_AES_CTR, CKF_ENCRYPT) },
		{ OP_PSA_CIPHER_DECRYPT, p11_has_mech(CKM_AES_CBC, CKF_DECRYPT) ||
		    p11_has_mech(CKM_AES_CTR, CKF_DECRYPT) },
		{ OP_PSA_SIGN_MESSAGE, ec_sign || rsa_sign },
		{ OP_PSA_VERIFY_MESSAGE, verify },
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof(table) / sizeof(table[0]) && n < max; i++)
		if (table[i].on)
			ops[n++] = table[i].op;
	return n;
}

static void
prov_pkcs11_handle(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	uint32_t st;

	op_result_status(res, ST_SUCCESS);
	if (op->opcode == OP_PSA_GENERATE_RANDOM) {
		res->status = p11_ops_random(op->number, res, out);
		return;
	}
	if (wire_opcode_key_use(op->opcode) == WIRE_KEY_NONE) {
		res->status = ST_PSA_NOT_SUPPORTED;
		return;
	}
	if (key_ref_len != P11_KEY_ID_LEN) {
		res->status = ST_PSA_INVALID_HANDLE;
		return;
	}
	switch (op->opcode) {
	case OP_PSA_GENERATE_KEY:
	case OP_PSA_IMPORT_KEY:
		if (op->attrs.type > 0xffffu) {
			res->status = ST_PSA_NOT_SUPPORTED;
			return;
		}
		res->status = p11_create(op, key_ref);
		return;
	case OP_PSA_DESTROY_KEY: {
		int destroyed;
		CK_RV rv = p11_destroy_all(key_ref, &destroyed);

		res->status = rv != CKR_OK ? p11_status(rv) :
		    destroyed > 0 ? ST_SUCCESS : ST_PSA_DOES_NOT_EXIST;
		return;
	}
	case OP_PSA_EXPORT_PUBLIC_KEY:
		st = p11_export_public(key_ref, &op->attrs, &data, &len);
		break;
	case OP_PSA_EXPORT_KEY:
		if ((st = prov_policy_check(&op->attrs, op->opcode, 0)) == ST_SUCCESS)
			st = p11_export(&op->attrs, key_ref, &data, &len);
		break;
	default:
		res->status = p11_ops_keyed(op, key_ref, res, out);
		return;
	}
	if (st == ST_SUCCESS)
		memcpy(prov_out_alloc(out, res, 0, len), data, len);
	p11_free(data, len);
	res->status = st;
}

/*
 * What a module does after login, beyond the provider list (measured with
 * strace on SoftHSMv2's file store; other modules may need relax_seccomp).
 */
static const char *const prov_pkcs11_syscalls[] = {
	"ftruncate",  /* SoftHSM rewrites object files in place */
	"getdents64", /* and rescans its token directory for objects other workers made */
	NULL,
};

/* A module that logs to syslog after an error finds the socket refused. */
static const char *const prov_pkcs11_refused[] = { "socket", "connect", NULL };

const struct prov_backend prov_pkcs11_backend = {
	.name = "provider-pkcs11",
	.provider_id = WIRE_PROVIDER_PKCS11,
	.chroot_state_dir = 0,
	.device_groups = 1,
	.seccomp_extra = prov_pkcs11_syscalls,
	.seccomp_refused = prov_pkcs11_refused,
	.init = prov_pkcs11_init,
	.describe = prov_pkcs11_describe,
	.opcodes = prov_pkcs11_opcodes,
	.handle = prov_pkcs11_handle,
};
