/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object attributes: what each attribute of a key's private and public
 * object answers, C_GetAttributeValue's two-call convention, matching a
 * find template, and C_SetAttributeValue (keys cannot change).
 */
#include <string.h>

#include "der.h"
#include "p11.h"

#define P11_ATTR_BUF 1200 /* the largest value built here: an RSA-4096 SPKI */

struct p11_attr_out {
	uint8_t *buf;
	size_t cap;
	const void **value;
	size_t *len;
};

static CK_RV
p11_out_bool(struct p11_attr_out *o, int v)
{
	o->buf[0] = v ? CK_TRUE : CK_FALSE;
	*o->value = o->buf;
	*o->len = sizeof(CK_BBOOL);
	return CKR_OK;
}

static CK_RV
p11_out_ulong(struct p11_attr_out *o, CK_ULONG v)
{
	memcpy(o->buf, &v, sizeof(v));
	*o->value = o->buf;
	*o->len = sizeof(v);
	return CKR_OK;
}

static CK_RV
p11_out_bytes(struct p11_attr_out *o, const void *p, size_t len)
{
	if (len > o->cap)
		return CKR_GENERAL_ERROR;
	memcpy(o->buf, p, len);
	*o->value = o->buf;
	*o->len = len;
	return CKR_OK;
}

/* Attributes that need the public key: EC_POINT, MODULUS, PUBLIC_EXPONENT, PUBLIC_KEY_INFO. */
static CK_RV
p11_attr_public(size_t key, CK_ATTRIBUTE_TYPE type, struct p11_attr_out *o)
{
	const struct p11_key *k = &p11_keys[key];
	uint8_t pub[P11_PUB_MAX], der[P11_ATTR_BUF];
	const uint8_t *n, *e;
	size_t pub_len, n_len, e_len, der_len;
	parsec_client *client;
	CK_KEY_TYPE kt = p11_key_type(k->attr.type);
	CK_RV rv;
	int st;

	if ((type == CKA_EC_POINT && kt != CKK_EC) ||
	    ((type == CKA_MODULUS || type == CKA_PUBLIC_EXPONENT) && kt != CKK_RSA))
		return CKR_ATTRIBUTE_TYPE_INVALID;
	if (type == CKA_PUBLIC_KEY_INFO) {
		if ((rv = p11_slot_client(k->slot, &client)) != CKR_OK)
			return rv;
		st = parsec_export_public_key_der(client, k->name, der, sizeof(der), &der_len);
		return st == PARSEC_SUCCESS ? p11_out_bytes(o, der, der_len) : p11_status_rv(st);
	}
	if ((rv = p11_key_public(key, pub, &pub_len)) != CKR_OK)
		return rv;
	if (type == CKA_EC_POINT) {
		der_len = p11_ec_point(pub, pub_len, der, sizeof(der));
		return der_len == 0 ? CKR_GENERAL_ERROR : p11_out_bytes(o, der, der_len);
	}
	if (der_rsa_public_parse(pub, pub_len, &n, &n_len, &e, &e_len) == -1)
		return CKR_GENERAL_ERROR;
	return type == CKA_MODULUS ? p11_out_bytes(o, n, n_len) : p11_out_bytes(o, e, e_len);
}

/* What both objects of a key answer alike; CKR_ATTRIBUTE_TYPE_INVALID for the rest. */
static CK_RV
p11_attr_common(size_t key, int is_private, CK_ATTRIBUTE_TYPE type, struct p11_attr_out *o)
{
	const struct p11_key *k = &p11_keys[key];
	CK_MECHANISM_TYPE mechs[16];
	uint8_t params[16];
	size_t n;

	switch (type) {
	case CKA_CLASS:
		return p11_out_ulong(o, P11_KEY_IS_SECRET(k) ? CKO_SECRET_KEY :
		    is_private ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY);
	case CKA_KEY_TYPE:
		return p11_out_ulong(o, p11_key_type(k->attr.type));
	case CKA_TOKEN:
		return p11_out_bool(o, 1);
	case CKA_PRIVATE:
		return p11_out_bool(o, is_private);
	case CKA_LOCAL:
		return p11_out_bool(o, k->local);
	case CKA_MODIFIABLE: case CKA_COPYABLE: case CKA_TRUSTED: case CKA_WRAP: case CKA_UNWRAP: case CKA_VERIFY_RECOVER:
	case CKA_SIGN_RECOVER: case CKA_ALWAYS_AUTHENTICATE: case CKA_WRAP_WITH_TRUSTED:
		return p11_out_bool(o, 0);
	case CKA_LABEL:
		return p11_out_bytes(o, k->name, k->label_len);
	case CKA_ID:
		return p11_out_bytes(o, k->id, k->id_len);
	case CKA_START_DATE: case CKA_END_DATE: case CKA_SUBJECT:
		return p11_out_bytes(o, "", 0);
	case CKA_KEY_GEN_MECHANISM:
		return p11_out_ulong(o, CK_UNAVAILABLE_INFORMATION);
	case CKA_DERIVE:
		return p11_out_bool(o, k->attr.usage & PARSEC_PSA_KEY_USAGE_DERIVE);
	case CKA_ALLOWED_MECHANISMS:
		n = p11_allowed_mechs(k, mechs, sizeof(mechs) / sizeof(mechs[0]));
		return p11_out_bytes(o, mechs, n * sizeof(mechs[0]));
	case CKA_MODULUS_BITS:
		if (p11_key_type(k->attr.type) != CKK_RSA)
			return CKR_ATTRIBUTE_TYPE_INVALID;
		return p11_out_ulong(o, k->attr.bits);
	case CKA_EC_PARAMS:
		if (p11_key_type(k->attr.type) != CKK_EC ||
		    (n = p11_ec_params(k->attr.bits, params, sizeof(params))) == 0)
			return CKR_ATTRIBUTE_TYPE_INVALID;
		return p11_out_bytes(o, params, n);
	case CKA_EC_POINT: case CKA_MODULUS: case CKA_PUBLIC_EXPONENT: case CKA_PUBLIC_KEY_INFO:
		return p11_attr_public(key, type, o);
	case CKA_DESTROYABLE:
		return p11_out_bool(o, is_private || !PARSEC_PSA_KEY_TYPE_IS_KEY_PAIR(k->attr.type));
	default:
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

/*
 * A secret key's CKA_VALUE: the service's export of it where its policy
 * permits export (CKA_EXTRACTABLE TRUE, CKA_SENSITIVE FALSE), else sensitive.
 */
static CK_RV
p11_attr_secret_value(const struct p11_key *k, struct p11_attr_out *o)
{
	parsec_client *client;
	size_t len = 0;
	CK_RV rv;
	int st;

	if (!(k->attr.usage & PARSEC_PSA_KEY_USAGE_EXPORT))
		return CKR_ATTRIBUTE_SENSITIVE;
	if ((rv = p11_slot_client(k->slot, &client)) != CKR_OK)
		return rv;
	st = parsec_export_key(client, k->name, o->buf, o->cap, &len);
	if (st != PARSEC_SUCCESS) {
		explicit_bzero(o->buf, o->cap);
		return p11_status_rv(st);
	}
	*o->value = o->buf;
	*o->len = len;
	return CKR_OK;
}

/* What a secret (HMAC or AES) key answers of its own; -1 for what it shares with the others. */
static CK_RV
p11_attr_secret(const struct p11_key *k, CK_ATTRIBUTE_TYPE type, struct p11_attr_out *o)
{
	uint32_t usage = k->attr.usage;
	int aes = k->attr.type == PARSEC_PSA_KEY_TYPE_AES;

	switch (type) {
	case CKA_VALUE_LEN:
		return p11_out_ulong(o, k->attr.bits / 8);
	case CKA_ENCRYPT:
		return p11_out_bool(o, aes && (usage & PARSEC_PSA_KEY_USAGE_ENCRYPT));
	case CKA_DECRYPT:
		return p11_out_bool(o, aes && (usage & PARSEC_PSA_KEY_USAGE_DECRYPT));
	case CKA_SIGN:
		return p11_out_bool(o, !aes && (usage & (PARSEC_PSA_KEY_USAGE_SIGN_HASH |
		    PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE)));
	case CKA_VERIFY:
		return p11_out_bool(o, !aes && (usage & (PARSEC_PSA_KEY_USAGE_VERIFY_HASH |
		    PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE)));
	case CKA_WRAP: case CKA_UNWRAP: case CKA_TRUSTED:
	case CKA_PRIVATE:
		return p11_out_bool(o, 0);
	case CKA_VALUE:
		return p11_attr_secret_value(k, o);
	case CKA_PUBLIC_KEY_INFO: case CKA_SIGN_RECOVER: case CKA_VERIFY_RECOVER:
		return CKR_ATTRIBUTE_TYPE_INVALID;
	default:
		return (CK_RV)-1;
	}
}

CK_RV
p11_attr_get(size_t key, int is_private, CK_ATTRIBUTE_TYPE type, uint8_t *buf, size_t cap,
    const void **value, size_t *len)
{
	const struct p11_key *k = &p11_keys[key];
	struct p11_attr_out o = { buf, cap, value, len };
	uint32_t usage = k->attr.usage;
	int exportable = (usage & PARSEC_PSA_KEY_USAGE_EXPORT) != 0;
	CK_RV rv;

	if (P11_KEY_IS_SECRET(k) && (rv = p11_attr_secret(k, type, &o)) != (CK_RV)-1)
		return rv;
	if (is_private) {
		switch (type) {
		case CKA_SIGN:
			return p11_out_bool(&o, usage & PARSEC_PSA_KEY_USAGE_SIGN_HASH);
		case CKA_DECRYPT:
			return p11_out_bool(&o, usage & PARSEC_PSA_KEY_USAGE_DECRYPT);
		case CKA_SENSITIVE: case CKA_ALWAYS_SENSITIVE: case CKA_NEVER_EXTRACTABLE:
			/* A PSA policy never changes: not exportable now means never was. */
			return p11_out_bool(&o, !exportable);
		case CKA_EXTRACTABLE:
			return p11_out_bool(&o, exportable);
		case CKA_VALUE: case CKA_PRIVATE_EXPONENT: case CKA_PRIME_1: case CKA_PRIME_2:
		case CKA_EXPONENT_1: case CKA_EXPONENT_2: case CKA_COEFFICIENT:
			return CKR_ATTRIBUTE_SENSITIVE;
		case CKA_ENCRYPT: case CKA_VERIFY: case CKA_TRUSTED:
			return CKR_ATTRIBUTE_TYPE_INVALID;
		default:
			break;
		}
	} else {
		switch (type) {
		case CKA_VERIFY:
			return p11_out_bool(&o, usage & PARSEC_PSA_KEY_USAGE_VERIFY_HASH);
		case CKA_ENCRYPT:
			return p11_out_bool(&o, usage & (PARSEC_PSA_KEY_USAGE_ENCRYPT |
			    PARSEC_PSA_KEY_USAGE_DECRYPT));
		case CKA_SIGN: case CKA_DECRYPT: case CKA_SENSITIVE: case CKA_EXTRACTABLE:
		case CKA_ALWAYS_SENSITIVE: case CKA_NEVER_EXTRACTABLE: case CKA_UNWRAP:
		case CKA_SIGN_RECOVER: case CKA_ALWAYS_AUTHENTICATE: case CKA_WRAP_WITH_TRUSTED:
			return CKR_ATTRIBUTE_TYPE_INVALID;
		default:
			break;
		}
	}
	return p11_attr_common(key, is_private, type, &o);
}

int
p11_attr_match(size_t key, int is_private, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	uint8_t buf[P11_ATTR_BUF];
	const void *value;
	size_t len;
	CK_ULONG i;
	int match = 1;

	for (i = 0; i < count && match; i++) {
		if (p11_attr_get(key, is_private, tmpl[i].type, buf, sizeof(buf), &value, &len) !=
		    CKR_OK)
			match = 0;
		else if (len != tmpl[i].ulValueLen || (len > 0 && (tmpl[i].pValue == NULL ||
		    memcmp(value, tmpl[i].pValue, len) != 0)))
			match = 0;
	}
	/* buf may have held a secret key's value. */
	explicit_bzero(buf, sizeof(buf));
	return match;
}

CK_RV
C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR tmpl,
    CK_ULONG count)
{
	uint8_t buf[P11_ATTR_BUF];
	struct p11_session *s;
	const void *value;
	size_t key, len;
	int is_private;
	CK_ULONG i;
	CK_RV rv, one;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if ((rv = p11_key_by_handle(s->slot, object, &key, &is_private)) != CKR_OK ||
	    (tmpl == NULL && count > 0)) {
		p11_unlock();
		return rv != CKR_OK ? rv : CKR_ARGUMENTS_BAD;
	}
	for (i = 0; i < count; i++) {
		one = p11_attr_get(key, is_private, tmpl[i].type, buf, sizeof(buf), &value, &len);
		if (one == CKR_ATTRIBUTE_TYPE_INVALID || one == CKR_ATTRIBUTE_SENSITIVE) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = one;
			continue;
		}
		if (one != CKR_OK) {
			/* The service did not answer: nothing this call says can be trusted. */
			rv = one;
			break;
		}
		if (tmpl[i].pValue == NULL)
			tmpl[i].ulValueLen = len;
		else if (tmpl[i].ulValueLen < len) {
			tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			memcpy(tmpl[i].pValue, value, len);
			tmpl[i].ulValueLen = len;
		}
	}
	/* buf may have held a secret key's value. */
	explicit_bzero(buf, sizeof(buf));
	p11_unlock();
	return rv;
}

/* Nothing can change; setting an attribute to the value it has is no change. */
CK_RV
C_SetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR tmpl,
    CK_ULONG count)
{
	struct p11_session *s;
	size_t key;
	int is_private;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if ((rv = p11_key_by_handle(s->slot, object, &key, &is_private)) == CKR_OK) {
		if (tmpl == NULL && count > 0)
			rv = CKR_ARGUMENTS_BAD;
		else if (!p11_attr_match(key, is_private, tmpl, count))
			rv = CKR_ATTRIBUTE_READ_ONLY;
	}
	p11_unlock();
	return rv;
}
