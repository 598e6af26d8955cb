/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 provider's key objects: found by their CKA_ID (the broker's
 * key reference), read, exported in PSA's formats and destroyed.
 */
#include <stdlib.h>
#include <string.h>

#include <psa/crypto.h>

#include "log.h"
#include "der.h"
#include "prov_p11.h"
#include "wire.h"
#include "wipe.h"

CK_BBOOL p11_true = CK_TRUE;
CK_BBOOL p11_false = CK_FALSE;

/* The DER OIDs of the SECP R1 curves, as CKA_EC_PARAMS carries them. */
static const uint8_t p11_oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
	0x07 };
static const uint8_t p11_oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t p11_oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };

/* Up to max objects that match tmpl, their number in *found. */
static CK_RV
p11_find_objects(CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *objs, CK_ULONG max,
    CK_ULONG *found)
{
	CK_RV rv;

	*found = 0;
	if ((rv = p11.module->C_FindObjectsInit(p11.session, tmpl, n)) != CKR_OK)
		return rv;
	rv = p11.module->C_FindObjects(p11.session, objs, max, found);
	(void)p11.module->C_FindObjectsFinal(p11.session);
	return rv;
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

	if ((*rv = p11_find_objects(tmpl, 3, obj, 1, &found)) != CKR_OK)
		return -1;
	return found == 1 ? 0 : 1;
}

psa_status_t
p11_find_key(CK_OBJECT_CLASS cls, const uint8_t *id, CK_OBJECT_HANDLE *obj)
{
	CK_RV rv;
	int r = p11_find(cls, id, obj, &rv);

	if (r == 0)
		return PSA_SUCCESS;
	return r == 1 ? PSA_ERROR_DOES_NOT_EXIST : p11_status(rv);
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
	wipe_free(val, len);
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

const uint8_t *
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
	if ((p = der_header(v, v + len, 0x04, &inner)) == NULL || inner != point_len ||
	    p + inner != v + len || p[0] != 0x04)
		return -1;
	*point = p;
	return 0;
}

psa_status_t
p11_export_public(const uint8_t *id, const struct op_key_attrs *attrs, uint8_t **out,
    size_t *out_len)
{
	CK_OBJECT_HANDLE obj;
	CK_RV rv;
	uint8_t *a = NULL, *b = NULL;
	size_t a_len = 0, b_len = 0, bits, point_len;
	const uint8_t *point;
	psa_status_t st;
	int r;

	if (!PSA_KEY_TYPE_IS_ASYMMETRIC(attrs->type))
		return PSA_ERROR_INVALID_ARGUMENT; /* a symmetric key has no public part */
	if ((r = p11_find(CKO_PUBLIC_KEY, id, &obj, &rv)) != 0)
		return r == 1 ? PSA_ERROR_DOES_NOT_EXIST : p11_status(rv);
	if (PSA_KEY_TYPE_IS_RSA(attrs->type)) {
		if ((rv = p11_get_attr(obj, CKA_MODULUS, &a, &a_len)) != CKR_OK ||
		    (rv = p11_get_attr(obj, CKA_PUBLIC_EXPONENT, &b, &b_len)) != CKR_OK) {
			st = p11_status(rv);
		} else if ((*out_len = der_rsa_public_write(a, a_len, b, b_len, NULL, 0)) == 0) {
			st = PSA_ERROR_DATA_INVALID;
		} else {
			if ((*out = malloc(*out_len)) == NULL)
				fatal("malloc");
			der_rsa_public_write(a, a_len, b, b_len, *out, *out_len);
			st = PSA_SUCCESS;
		}
	} else if (PSA_KEY_TYPE_IS_ECC(attrs->type)) {
		if ((rv = p11_get_attr(obj, CKA_EC_PARAMS, &a, &a_len)) != CKR_OK ||
		    (rv = p11_get_attr(obj, CKA_EC_POINT, &b, &b_len)) != CKR_OK) {
			st = p11_status(rv);
		} else if ((bits = p11_ec_params_bits(a, a_len)) == 0 ||
		    p11_ec_point_unwrap(b, b_len, point_len = 1 + 2 * PSA_BITS_TO_BYTES(bits),
		    &point) == -1) {
			st = PSA_ERROR_DATA_INVALID;
		} else {
			if ((*out = malloc(point_len)) == NULL)
				fatal("malloc");
			memcpy(*out, point, point_len);
			*out_len = point_len;
			st = PSA_SUCCESS;
		}
	} else {
		st = PSA_ERROR_INVALID_ARGUMENT; /* a symmetric key has no public part */
	}
	p11_free(a, a_len);
	p11_free(b, b_len);
	return st;
}

/* Rounds of find-and-destroy before objects that will not go are reported. */
#define P11_DESTROY_ROUNDS 4

/*
 * Removes every object with this id; *destroyed counts those found. Another
 * worker (settling the same key after a restart) may remove an object between
 * our find and our destroy: what counts is that none is left, whoever removed it.
 */
CK_RV
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
		if ((rv = p11_find_objects(tmpl, 2, objs, 8, &found)) != CKR_OK)
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
CK_RV
p11_id_taken(const uint8_t *id, int *taken)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_ID, (void *)id, P11_KEY_ID_LEN },
		{ CKA_TOKEN, &p11_true, sizeof(p11_true) },
	};
	CK_OBJECT_HANDLE obj;
	CK_ULONG found = 0;
	CK_RV rv;

	rv = p11_find_objects(tmpl, 2, &obj, 1, &found);
	*taken = found > 0;
	return rv;
}

/*
 * psa_copy_key on the token: each object of the source's CKA_ID (a pair's
 * two, or a secret key) copied by C_CopyObject under the new id, every
 * other attribute as the source's (the copy's narrower PSA policy is
 * checked on each use, as any key's). A token that refuses to copy answers
 * NotSupported; a copy left half made is removed.
 */
psa_status_t
p11_copy(const uint8_t *source, const uint8_t *id)
{
	CK_ATTRIBUTE find[] = {
		{ CKA_ID, (void *)source, P11_KEY_ID_LEN },
		{ CKA_TOKEN, &p11_true, sizeof(p11_true) },
	};
	CK_ATTRIBUTE rename[] = { { CKA_ID, (void *)id, P11_KEY_ID_LEN } };
	CK_OBJECT_HANDLE objs[8], made;
	CK_ULONG found = 0, i;
	CK_RV rv;
	int taken;

	if ((rv = p11_id_taken(id, &taken)) != CKR_OK)
		return p11_status(rv);
	if (taken)
		return PSA_ERROR_ALREADY_EXISTS;
	if ((rv = p11_find_objects(find, 2, objs, 8, &found)) != CKR_OK)
		return p11_status(rv);
	if (found == 0)
		return PSA_ERROR_DOES_NOT_EXIST;
	for (i = 0, rv = CKR_OK; i < found && rv == CKR_OK; i++)
		rv = p11.module->C_CopyObject(p11.session, objs[i], rename, 1, &made);
	if (rv == CKR_OK)
		return PSA_SUCCESS;
	if (p11_destroy_all(id, &taken) != CKR_OK)
		log_warnx("could not remove a failed copy's objects");
	if (rv == CKR_ACTION_PROHIBITED || rv == CKR_ATTRIBUTE_READ_ONLY ||
	    rv == CKR_FUNCTION_NOT_SUPPORTED)
		return PSA_ERROR_NOT_SUPPORTED;
	return p11_status(rv);
}

/* PSA's export of a key pair or secret key: only what allow_export and the key permit. */
psa_status_t
p11_export(const struct op_key_attrs *a, const uint8_t *id, uint8_t **out, size_t *out_len)
{
	CK_OBJECT_HANDLE obj;
	CK_OBJECT_CLASS cls;
	CK_RV rv;
	size_t bytes;
	int r;

	/* allow_export guards secrets: a public key is no secret. */
	if (PSA_KEY_TYPE_IS_PUBLIC_KEY(a->type))
		return p11_export_public(id, a, out, out_len);
	if (!p11.allow_export)
		return PSA_ERROR_NOT_PERMITTED;
	if (a->type == PSA_KEY_TYPE_AES)
		cls = CKO_SECRET_KEY;
	else if (a->type == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1))
		cls = CKO_PRIVATE_KEY;
	else
		return PSA_ERROR_NOT_SUPPORTED;
	if ((r = p11_find(cls, id, &obj, &rv)) != 0)
		return r == 1 ? PSA_ERROR_DOES_NOT_EXIST : p11_status(rv);
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
	return PSA_SUCCESS;
}
