/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Making keys: C_GenerateKeyPair (a template as a PSA key and its name) and
 * C_CreateObject (an EC, RSA, AES or HMAC key the provider can import),
 * C_GenerateKey (HMAC and AES keys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "p11.h"

#define P11_RSA_PRIV_MAX 2600 /* an RSA-4096 RSAPrivateKey */

static const CK_ATTRIBUTE *
p11_tmpl_find(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG i;

	for (i = 0; tmpl != NULL && i < count; i++) {
		if (tmpl[i].type == type)
			return &tmpl[i];
	}
	return NULL;
}

/* A CK_BBOOL in the template: 1 true, 0 false, -1 absent (or not a CK_BBOOL). */
static int
p11_tmpl_bool(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(tmpl, count, type);

	if (a == NULL || a->pValue == NULL || a->ulValueLen != sizeof(CK_BBOOL))
		return -1;
	return *(const CK_BBOOL *)a->pValue ? 1 : 0;
}

/* A CK_ULONG in the template: 0 if there, -1 absent, -2 malformed. */
static int
p11_tmpl_ulong(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type, CK_ULONG *v)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(tmpl, count, type);

	if (a == NULL)
		return -1;
	if (a->pValue == NULL || a->ulValueLen != sizeof(CK_ULONG))
		return -2;
	memcpy(v, a->pValue, sizeof(*v));
	return 0;
}

/* Class and key type, when a template gives them, must be what is being made. */
static CK_RV
p11_tmpl_check(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt)
{
	CK_ULONG v;
	int r;

	if (tmpl == NULL && count > 0)
		return CKR_ARGUMENTS_BAD;
	if ((r = p11_tmpl_ulong(tmpl, count, CKA_CLASS, &v)) == -2 || (r == 0 && v != cls))
		return CKR_TEMPLATE_INCONSISTENT;
	if ((r = p11_tmpl_ulong(tmpl, count, CKA_KEY_TYPE, &v)) == -2 || (r == 0 && v != kt))
		return CKR_TEMPLATE_INCONSISTENT;
	/* Every key is the service's, a token object: a session-only key cannot be made. */
	if (p11_tmpl_bool(tmpl, count, CKA_TOKEN) == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	/* Private keys are private objects; public and (HMAC) secret keys are not. */
	r = p11_tmpl_bool(tmpl, count, CKA_PRIVATE);
	if (r != -1 && r != (cls == CKO_PRIVATE_KEY))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

/* The key name for a label and CKA_ID (p11.h: "<label>#<hex>", "<label>" or random). */
static CK_RV
p11_make_name(const CK_ATTRIBUTE *label, const CK_ATTRIBUTE *id, char *name, size_t size)
{
	size_t label_len = label != NULL && label->pValue != NULL ? label->ulValueLen : 0, i, n;
	uint8_t rnd[8];

	if ((label != NULL && label->pValue == NULL && label->ulValueLen > 0) ||
	    (id != NULL && ((id->pValue == NULL && id->ulValueLen > 0) ||
	    id->ulValueLen > P11_MAX_ID)))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (label_len + (id != NULL ? 1 + 2 * id->ulValueLen : 0) >= size)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (label_len > 0 && memchr(label->pValue, '\0', label_len) != NULL)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(name, label_len > 0 ? label->pValue : "", label_len);
	n = label_len;
	if (id != NULL && id->ulValueLen > 0) {
		name[n++] = '#';
		for (i = 0; i < id->ulValueLen; i++)
			n += (size_t)snprintf(name + n, size - n, "%02x",
			    ((const uint8_t *)id->pValue)[i]);
	} else if (label_len == 0) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return CKR_FUNCTION_FAILED;
		n = (size_t)snprintf(name, size, "p11-");
		for (i = 0; i < sizeof(rnd); i++)
			n += (size_t)snprintf(name + n, size - n, "%02x", rnd[i]);
	}
	name[n] = '\0';
	return CKR_OK;
}

/* PSA's export usage when the template asks for an extractable key that is not sensitive. */
static uint32_t
p11_export_usage(const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	return p11_tmpl_bool(tmpl, count, CKA_EXTRACTABLE) == 1 &&
	    p11_tmpl_bool(tmpl, count, CKA_SENSITIVE) != 1 ? PARSEC_PSA_KEY_USAGE_EXPORT : 0;
}

/* The one algorithm the key will permit, and the usage that goes with it. */
static CK_RV
p11_gen_policy(const CK_ATTRIBUTE *priv, CK_ULONG priv_count, int is_ec,
    struct parsec_key_attributes *a)
{
	const CK_ATTRIBUTE *allowed = p11_tmpl_find(priv, priv_count, CKA_ALLOWED_MECHANISMS);
	const CK_MECHANISM_TYPE *mechs;
	size_t i;

	a->alg = 0;
	if (allowed != NULL && allowed->pValue != NULL) {
		mechs = allowed->pValue;
		for (i = 0; i < allowed->ulValueLen / sizeof(*mechs) && a->alg == 0; i++)
			a->alg = p11_policy_from_mech(mechs[i], is_ec);
		if (a->alg == 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
	} else if (is_ec)
		a->alg = p11_tmpl_bool(priv, priv_count, CKA_DERIVE) == 1 &&
		    p11_tmpl_bool(priv, priv_count, CKA_SIGN) != 1 ? PARSEC_PSA_ALG_ECDH :
		    PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_ANY_HASH);
	else
		a->alg = p11_tmpl_bool(priv, priv_count, CKA_DECRYPT) == 1 &&
		    p11_tmpl_bool(priv, priv_count, CKA_SIGN) != 1 ?
		    PARSEC_PSA_ALG_RSA_OAEP(PARSEC_PSA_ALG_SHA_256) :
		    PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(PARSEC_PSA_ALG_ANY_HASH);
	if (a->alg == PARSEC_PSA_ALG_ECDH)
		a->usage = PARSEC_PSA_KEY_USAGE_DERIVE;
	else if ((a->alg & ~0xffu) == PARSEC_PSA_ALG_RSA_OAEP(0))
		a->usage = PARSEC_PSA_KEY_USAGE_ENCRYPT | PARSEC_PSA_KEY_USAGE_DECRYPT;
	else
		a->usage = PARSEC_PSA_KEY_USAGE_SIGN_HASH | PARSEC_PSA_KEY_USAGE_VERIFY_HASH |
		    PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE | PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE;
	a->usage |= p11_export_usage(priv, priv_count);
	return CKR_OK;
}

/* Type and size from the mechanism and the public template. */
static CK_RV
p11_gen_type(struct p11_slot *slot, const CK_MECHANISM *m, const CK_ATTRIBUTE *pub,
    CK_ULONG pub_count, const CK_ATTRIBUTE *priv, CK_ULONG priv_count,
    struct parsec_key_attributes *a)
{
	static const uint8_t f4[] = { 0x01, 0x00, 0x01 };
	const CK_ATTRIBUTE *attr;
	CK_ULONG bits, min, max;

	if (m->mechanism == CKM_EC_KEY_PAIR_GEN) {
		if ((attr = p11_tmpl_find(pub, pub_count, CKA_EC_PARAMS)) == NULL &&
		    (attr = p11_tmpl_find(priv, priv_count, CKA_EC_PARAMS)) == NULL)
			return CKR_TEMPLATE_INCOMPLETE;
		if (attr->pValue == NULL)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		a->bits = p11_ec_bits_from_params(attr->pValue, attr->ulValueLen);
		p11_slot_key_range(slot, 1, &min, &max);
		if (a->bits == 0 || a->bits < min || a->bits > max)
			return CKR_CURVE_NOT_SUPPORTED;
		a->type = PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1);
		return CKR_OK;
	}
	if (m->mechanism != CKM_RSA_PKCS_KEY_PAIR_GEN)
		return CKR_MECHANISM_INVALID;
	switch (p11_tmpl_ulong(pub, pub_count, CKA_MODULUS_BITS, &bits)) {
	case -1:
		return CKR_TEMPLATE_INCOMPLETE;
	case -2:
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	p11_slot_key_range(slot, 0, &min, &max);
	if (bits < min || bits > max || bits % 8 != 0)
		return CKR_KEY_SIZE_RANGE;
	/* The service makes keys with exponent 65537 only. */
	attr = p11_tmpl_find(pub, pub_count, CKA_PUBLIC_EXPONENT);
	if (attr != NULL && (attr->pValue == NULL || attr->ulValueLen > 8 ||
	    attr->ulValueLen < 3 ||
	    memcmp((const uint8_t *)attr->pValue + attr->ulValueLen - 3, f4, 3) != 0))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	a->type = PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR;
	a->bits = (uint32_t)bits;
	return CKR_OK;
}

/* The name the templates ask for: label and CKA_ID from the private one, else the public. */
static CK_RV
p11_gen_name(const CK_ATTRIBUTE *pub, CK_ULONG pub_count, const CK_ATTRIBUTE *priv,
    CK_ULONG priv_count, char *name, size_t size)
{
	const CK_ATTRIBUTE *label = p11_tmpl_find(priv, priv_count, CKA_LABEL);
	const CK_ATTRIBUTE *id = p11_tmpl_find(priv, priv_count, CKA_ID);

	if (label == NULL)
		label = p11_tmpl_find(pub, pub_count, CKA_LABEL);
	if (id == NULL)
		id = p11_tmpl_find(pub, pub_count, CKA_ID);
	return p11_make_name(label, id, name, size);
}

/* Makes the key in the service, without the module's lock, and lists it. */
static CK_RV
p11_make_key(struct p11_session *s, const char *name, const struct parsec_key_attributes *a,
    const uint8_t *data, size_t data_len, size_t *key)
{
	parsec_client *client;
	CK_SLOT_ID slot = s->slot;
	CK_RV rv;
	int st;

	if ((rv = p11_slot_client(slot, &client)) != CKR_OK)
		return rv;
	p11_unlock();
	st = data == NULL ? parsec_generate_key(client, name, a) :
	    parsec_import_key(client, name, a, data, data_len);
	p11_lock();
	if (st == PARSEC_ERR_ALREADY_EXISTS)
		return CKR_ATTRIBUTE_VALUE_INVALID; /* that label and CKA_ID are taken */
	if (st == PARSEC_ERR_NOT_SUPPORTED || st == PARSEC_ERR_INVALID_ARGUMENT)
		return CKR_TEMPLATE_INCONSISTENT;
	if (st != PARSEC_SUCCESS)
		return p11_status_rv(st);
	if ((*key = p11_key_add(slot, name, a)) == (size_t)-1)
		return CKR_HOST_MEMORY;
	p11_keys[*key].local = data == NULL;
	return CKR_OK;
}

CK_RV
C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub,
    CK_ULONG pub_count, CK_ATTRIBUTE_PTR priv, CK_ULONG priv_count,
    CK_OBJECT_HANDLE_PTR pub_handle, CK_OBJECT_HANDLE_PTR priv_handle)
{
	struct parsec_key_attributes a = { 0, 0, 0, 0 };
	char name[PARSEC_NAME_MAX + 1];
	struct p11_session *s;
	CK_KEY_TYPE kt;
	size_t key;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if (m == NULL || pub_handle == NULL || priv_handle == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (!(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else if (m->pParameter != NULL || m->ulParameterLen != 0)
		rv = CKR_MECHANISM_PARAM_INVALID;
	else
		rv = p11_gen_type(&p11_slots[s->slot], m, pub, pub_count, priv, priv_count, &a);
	kt = m != NULL && m->mechanism == CKM_EC_KEY_PAIR_GEN ? CKK_EC : CKK_RSA;
	if (rv == CKR_OK)
		rv = p11_tmpl_check(pub, pub_count, CKO_PUBLIC_KEY, kt);
	if (rv == CKR_OK)
		rv = p11_tmpl_check(priv, priv_count, CKO_PRIVATE_KEY, kt);
	if (rv == CKR_OK)
		rv = p11_gen_policy(priv, priv_count, kt == CKK_EC, &a);
	if (rv == CKR_OK)
		rv = p11_gen_name(pub, pub_count, priv, priv_count, name, sizeof(name));
	if (rv == CKR_OK)
		rv = p11_make_key(s, name, &a, NULL, 0, &key);
	if (rv == CKR_OK) {
		*pub_handle = P11_HANDLE_PUB(key);
		*priv_handle = P11_HANDLE_PRIV(key);
	}
	p11_unlock();
	return rv;
}

/*
 * A secret key's policy: the first of CKA_ALLOWED_MECHANISMS that from()
 * maps to one, else dflt without the attribute; 0 if none maps.
 */
static uint32_t
p11_secret_alg(const CK_ATTRIBUTE *tmpl, CK_ULONG count, uint32_t (*from)(CK_MECHANISM_TYPE),
    uint32_t dflt)
{
	const CK_ATTRIBUTE *allowed = p11_tmpl_find(tmpl, count, CKA_ALLOWED_MECHANISMS);
	const CK_MECHANISM_TYPE *mechs;
	uint32_t alg = 0;
	size_t i;

	if (allowed == NULL || allowed->pValue == NULL)
		return dflt;
	mechs = allowed->pValue;
	for (i = 0; i < allowed->ulValueLen / sizeof(*mechs) && alg == 0; i++)
		alg = from(mechs[i]);
	return alg;
}

/* A generated secret key's CKA_VALUE_LEN, which the template must give. */
static CK_RV
p11_secret_len(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ULONG *len)
{
	switch (p11_tmpl_ulong(tmpl, count, CKA_VALUE_LEN, len)) {
	case -1:
		return CKR_TEMPLATE_INCOMPLETE;
	case -2:
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

/*
 * An HMAC key's policy: the first HMAC of CKA_ALLOWED_MECHANISMS, else
 * HMAC-SHA-256. It always signs and verifies (what CKA_SIGN and CKA_VERIFY
 * then answer), so a template asking otherwise is refused.
 */
static CK_RV
p11_hmac_policy(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ULONG len,
    struct parsec_key_attributes *a)
{
	if (len < P11_HMAC_MIN_BYTES || len > P11_HMAC_MAX_BYTES)
		return CKR_KEY_SIZE_RANGE;
	if (p11_tmpl_bool(tmpl, count, CKA_SIGN) == 0 || p11_tmpl_bool(tmpl, count, CKA_VERIFY) == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	a->type = PARSEC_PSA_KEY_TYPE_HMAC;
	a->bits = (uint32_t)(8 * len);
	a->alg = p11_secret_alg(tmpl, count, p11_hmac_from_mech,
	    PARSEC_PSA_ALG_HMAC(PARSEC_PSA_ALG_SHA_256));
	if (a->alg == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	a->usage = PARSEC_PSA_KEY_USAGE_SIGN_HASH | PARSEC_PSA_KEY_USAGE_VERIFY_HASH |
	    PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE | PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE;
	a->usage |= p11_export_usage(tmpl, count);
	return CKR_OK;
}

/*
 * An AES key's policy: GCM, or ECB (the block modes the module builds on
 * it), from the first AES mechanism of CKA_ALLOWED_MECHANISMS, else ECB
 * where the slot serves the block modes and GCM where it serves GCM alone.
 * It always encrypts and decrypts: CBC and CTR decryption use either direction.
 */
static CK_RV
p11_aes_policy(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ULONG len, CK_SLOT_ID slot,
    struct parsec_key_attributes *a)
{
	uint32_t dflt = p11_slot_aes(&p11_slots[slot]) & P11_AES_BLOCKS ?
	    PARSEC_PSA_ALG_ECB_NO_PADDING : PARSEC_PSA_ALG_GCM;

	if (len != 16 && len != 24 && len != 32)
		return CKR_KEY_SIZE_RANGE;
	if (p11_tmpl_bool(tmpl, count, CKA_ENCRYPT) == 0 ||
	    p11_tmpl_bool(tmpl, count, CKA_DECRYPT) == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	a->type = PARSEC_PSA_KEY_TYPE_AES;
	a->bits = (uint32_t)(8 * len);
	a->alg = p11_secret_alg(tmpl, count, p11_aes_from_mech, dflt);
	if (a->alg == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	a->usage = PARSEC_PSA_KEY_USAGE_ENCRYPT | PARSEC_PSA_KEY_USAGE_DECRYPT |
	    p11_export_usage(tmpl, count);
	return CKR_OK;
}

/* The slot must serve the mode the key's policy names. */
static CK_RV
p11_aes_slot_check(CK_SLOT_ID slot, const struct parsec_key_attributes *a)
{
	int aes = p11_slot_aes(&p11_slots[slot]);

	if (a->alg == PARSEC_PSA_ALG_GCM ? !(aes & P11_AES_GCM) : !(aes & P11_AES_BLOCKS))
		return CKR_MECHANISM_INVALID;
	return CKR_OK;
}

/* The secret key C_GenerateKey makes for the mechanism. */
static CK_RV
p11_secret_gen(const struct p11_session *s, CK_MECHANISM_TYPE mech, const CK_ATTRIBUTE *tmpl,
    CK_ULONG count, struct parsec_key_attributes *a)
{
	CK_ULONG len;
	CK_RV rv;

	if ((rv = p11_tmpl_check(tmpl, count, CKO_SECRET_KEY, mech == CKM_GENERIC_SECRET_KEY_GEN ?
	    CKK_GENERIC_SECRET : CKK_AES)) != CKR_OK)
		return rv;
	if ((rv = p11_secret_len(tmpl, count, &len)) != CKR_OK)
		return rv;
	if (mech == CKM_GENERIC_SECRET_KEY_GEN)
		return p11_hmac_policy(tmpl, count, len, a);
	if ((rv = p11_aes_policy(tmpl, count, len, s->slot, a)) != CKR_OK)
		return rv;
	return p11_aes_slot_check(s->slot, a);
}

/* An HMAC key (CKM_GENERIC_SECRET_KEY_GEN) or AES key (CKM_AES_KEY_GEN), made in the service. */
CK_RV
C_GenerateKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
    CK_OBJECT_HANDLE_PTR handle)
{
	struct parsec_key_attributes a = { 0, 0, 0, 0 };
	char name[PARSEC_NAME_MAX + 1];
	struct p11_session *s;
	size_t key;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if (m == NULL || handle == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (m->mechanism != CKM_GENERIC_SECRET_KEY_GEN && (m->mechanism != CKM_AES_KEY_GEN ||
	    !p11_slot_aes(&p11_slots[s->slot])))
		rv = CKR_MECHANISM_INVALID;
	else if (m->pParameter != NULL || m->ulParameterLen != 0)
		rv = CKR_MECHANISM_PARAM_INVALID;
	else if (!(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else
		rv = p11_secret_gen(s, m->mechanism, tmpl, count, &a);
	if (rv == CKR_OK)
		rv = p11_make_name(p11_tmpl_find(tmpl, count, CKA_LABEL),
		    p11_tmpl_find(tmpl, count, CKA_ID), name, sizeof(name));
	if (rv == CKR_OK)
		rv = p11_make_key(s, name, &a, NULL, 0, &key);
	if (rv == CKR_OK)
		*handle = P11_HANDLE_PRIV(key);
	p11_unlock();
	return rv;
}

/* A key's component from the template into out (left-padded to width if non-zero). */
static CK_RV
p11_tmpl_bytes(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type,
    const uint8_t **v, size_t *len)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(tmpl, count, type);

	if (a == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if (a->pValue == NULL || a->ulValueLen == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	*v = a->pValue;
	*len = a->ulValueLen;
	return CKR_OK;
}

/* An EC key from CKA_EC_PARAMS and CKA_VALUE (private) or CKA_EC_POINT (public). */
static CK_RV
p11_import_ec(const CK_ATTRIBUTE *tmpl, CK_ULONG count, int is_private,
    struct parsec_key_attributes *a, uint8_t *data, size_t cap, size_t *len)
{
	const uint8_t *params, *v;
	size_t params_len, v_len, width;
	CK_RV rv;

	if ((rv = p11_tmpl_bytes(tmpl, count, CKA_EC_PARAMS, &params, &params_len)) != CKR_OK)
		return rv;
	if ((a->bits = p11_ec_bits_from_params(params, params_len)) == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	width = (a->bits + 7) / 8;
	if (is_private) {
		if ((rv = p11_tmpl_bytes(tmpl, count, CKA_VALUE, &v, &v_len)) != CKR_OK)
			return rv;
		while (v_len > width && v[0] == 0) {
			v++;
			v_len--;
		}
		if (v_len > width || width > cap)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		memset(data, 0, width - v_len);
		memcpy(data + width - v_len, v, v_len);
		*len = width;
		a->type = PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1);
		return CKR_OK;
	}
	if ((rv = p11_tmpl_bytes(tmpl, count, CKA_EC_POINT, &params, &params_len)) != CKR_OK)
		return rv;
	if (p11_ec_point_unwrap(params, params_len, &v, &v_len) == -1 || v_len != 2 * width + 1 ||
	    v_len > cap)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(data, v, v_len);
	*len = v_len;
	a->type = PARSEC_PSA_KEY_TYPE_ECC_PUBLIC_KEY(PARSEC_PSA_ECC_FAMILY_SECP_R1);
	return CKR_OK;
}

/* An RSA key as PKCS#1 DER from its CKA_* components. */
static CK_RV
p11_import_rsa(const CK_ATTRIBUTE *tmpl, CK_ULONG count, int is_private,
    struct parsec_key_attributes *a, uint8_t *data, size_t cap, size_t *len)
{
	static const CK_ATTRIBUTE_TYPE parts[] = { CKA_MODULUS, CKA_PUBLIC_EXPONENT,
		CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2,
		CKA_COEFFICIENT };
	const uint8_t *v[8];
	size_t v_len[8], n = is_private ? 8 : 2, i;
	CK_RV rv;

	for (i = 0; i < n; i++) {
		if ((rv = p11_tmpl_bytes(tmpl, count, parts[i], &v[i], &v_len[i])) != CKR_OK)
			return rv;
	}
	while (v_len[0] > 1 && v[0][0] == 0) {
		v[0]++;
		v_len[0]--;
	}
	a->bits = (uint32_t)(8 * v_len[0]);
	a->type = is_private ? PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR : PARSEC_PSA_KEY_TYPE_RSA_PUBLIC_KEY;
	*len = p11_der_uint_seq(v, v_len, n, is_private, data, cap);
	return *len == 0 ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_OK;
}

/*
 * An AES or HMAC (CKK_GENERIC_SECRET) key from its CKA_VALUE, with the
 * policy a generated one would get; a length a generation could not ask
 * for is an invalid value.
 */
static CK_RV
p11_import_secret(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_KEY_TYPE kt, CK_SLOT_ID slot,
    struct parsec_key_attributes *a, uint8_t *data, size_t cap, size_t *len)
{
	const CK_ATTRIBUTE *v = p11_tmpl_find(tmpl, count, CKA_VALUE);
	CK_ULONG given;
	CK_RV rv;

	if ((rv = p11_tmpl_check(tmpl, count, CKO_SECRET_KEY, kt)) != CKR_OK)
		return rv;
	if (v == NULL || v->pValue == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if (v->ulValueLen > cap)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	/* v2.40 (2.8.1) says not to give CKA_VALUE_LEN with the value; given, it must agree. */
	if (p11_tmpl_ulong(tmpl, count, CKA_VALUE_LEN, &given) != -1 && given != v->ulValueLen)
		return CKR_TEMPLATE_INCONSISTENT;
	if (kt == CKK_AES)
		rv = p11_aes_policy(tmpl, count, v->ulValueLen, slot, a);
	else
		rv = p11_hmac_policy(tmpl, count, v->ulValueLen, a);
	if (rv != CKR_OK)
		return rv == CKR_KEY_SIZE_RANGE ? CKR_ATTRIBUTE_VALUE_INVALID : rv;
	memcpy(data, v->pValue, v->ulValueLen);
	*len = v->ulValueLen;
	return CKR_OK;
}

static CK_RV
p11_import_parse(const CK_ATTRIBUTE *tmpl, CK_ULONG count, CK_SLOT_ID slot,
    struct parsec_key_attributes *a, uint8_t *data, size_t cap, size_t *len)
{
	CK_ULONG cls, kt;
	int is_private;
	CK_RV rv;

	if (tmpl == NULL || p11_tmpl_ulong(tmpl, count, CKA_CLASS, &cls) != 0 ||
	    p11_tmpl_ulong(tmpl, count, CKA_KEY_TYPE, &kt) != 0)
		return tmpl == NULL ? CKR_ARGUMENTS_BAD : CKR_TEMPLATE_INCOMPLETE;
	if (cls == CKO_SECRET_KEY && (kt == CKK_AES || kt == CKK_GENERIC_SECRET))
		return p11_import_secret(tmpl, count, kt, slot, a, data, cap, len);
	if (cls != CKO_PRIVATE_KEY && cls != CKO_PUBLIC_KEY)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if ((rv = p11_tmpl_check(tmpl, count, cls, kt)) != CKR_OK)
		return rv;
	is_private = cls == CKO_PRIVATE_KEY;
	if (kt == CKK_EC)
		rv = p11_import_ec(tmpl, count, is_private, a, data, cap, len);
	else if (kt == CKK_RSA)
		rv = p11_import_rsa(tmpl, count, is_private, a, data, cap, len);
	else
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if (rv != CKR_OK)
		return rv;
	if ((rv = p11_gen_policy(tmpl, count, kt == CKK_EC, a)) != CKR_OK)
		return rv;
	/* A public key verifies (or encrypts) and may always be read. */
	if (!is_private)
		a->usage = PARSEC_PSA_KEY_USAGE_EXPORT | (a->usage & (PARSEC_PSA_KEY_USAGE_VERIFY_HASH |
		    PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE | PARSEC_PSA_KEY_USAGE_ENCRYPT));
	return CKR_OK;
}

CK_RV
C_CreateObject(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
    CK_OBJECT_HANDLE_PTR object)
{
	struct parsec_key_attributes a = { 0, 0, 0, 0 };
	char name[PARSEC_NAME_MAX + 1];
	uint8_t *data;
	size_t len = 0, key;
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if ((data = malloc(P11_RSA_PRIV_MAX)) == NULL) {
		p11_unlock();
		return CKR_HOST_MEMORY;
	}
	if (object == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (!(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else
		rv = p11_import_parse(tmpl, count, s->slot, &a, data, P11_RSA_PRIV_MAX, &len);
	if (rv == CKR_OK && a.type == PARSEC_PSA_KEY_TYPE_AES)
		rv = p11_aes_slot_check(s->slot, &a);
	if (rv == CKR_OK && a.type == PARSEC_PSA_KEY_TYPE_HMAC && !p11_slot_hmac_import(s->slot, &a))
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
	if (rv == CKR_OK)
		rv = p11_make_name(p11_tmpl_find(tmpl, count, CKA_LABEL),
		    p11_tmpl_find(tmpl, count, CKA_ID), name, sizeof(name));
	if (rv == CKR_OK)
		rv = p11_make_key(s, name, &a, data, len, &key);
	if (rv == CKR_OK)
		*object = PARSEC_PSA_KEY_TYPE_IS_KEY_PAIR(a.type) || a.type == PARSEC_PSA_KEY_TYPE_AES ||
		    a.type == PARSEC_PSA_KEY_TYPE_HMAC ? P11_HANDLE_PRIV(key) : P11_HANDLE_PUB(key);
	explicit_bzero(data, P11_RSA_PRIV_MAX);
	free(data);
	p11_unlock();
	return rv;
}
