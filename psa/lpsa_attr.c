/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A new key's attributes: the lifetime and id checks PSA makes before a key
 * is created, and the attributes in the form the service takes them.
 */
#include "lpsa.h"
#include "key_policy.h"

/* The largest key size PSA implementations take (mbedtls 2.28's bound): larger is not supported. */
#define LPSA_MAX_KEY_BITS 0xfff8u

psa_status_t
lpsa_attr_new_key(const psa_key_attributes_t *attributes, struct parsec_key_attributes *out,
    int *is_volatile, psa_key_id_t *id)
{
	psa_key_lifetime_t lifetime = attributes->lifetime;

	/* Keys live in the service's provider: the one location there is. */
	if (PSA_KEY_LIFETIME_GET_LOCATION(lifetime) != PSA_KEY_LOCATION_LOCAL_STORAGE)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (PSA_KEY_LIFETIME_IS_VOLATILE(lifetime)) {
		if (attributes->id != PSA_KEY_ID_NULL)
			return PSA_ERROR_INVALID_ARGUMENT;
	} else if (PSA_KEY_LIFETIME_GET_PERSISTENCE(lifetime) == PSA_KEY_PERSISTENCE_READ_ONLY ||
	    attributes->id < PSA_KEY_ID_USER_MIN || attributes->id > PSA_KEY_ID_USER_MAX) {
		return PSA_ERROR_INVALID_ARGUMENT;
	}
	if (attributes->bits > LPSA_MAX_KEY_BITS)
		return PSA_ERROR_NOT_SUPPORTED;
	*is_volatile = PSA_KEY_LIFETIME_IS_VOLATILE(lifetime);
	*id = *is_volatile ? lpsa_volatile_id() : attributes->id;
	if (*id == PSA_KEY_ID_NULL)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	out->type = attributes->type;
	out->bits = (uint32_t)attributes->bits;
	out->usage = key_policy_usage_extended(attributes->usage);
	out->alg = attributes->alg;
	return PSA_SUCCESS;
}

/* A DER length at *p (at most 4 bytes of it), moving *p past it; -1 if malformed. */
static long
lpsa_attr_der_len(const uint8_t **p, const uint8_t *end)
{
	size_t n, i;
	long len = 0;

	if (*p >= end)
		return -1;
	if (!(**p & 0x80))
		return *(*p)++;
	n = *(*p)++ & 0x7fu;
	if (n == 0 || n > 3 || (size_t)(end - *p) < n)
		return -1;
	for (i = 0; i < n; i++)
		len = len << 8 | *(*p)++;
	return len <= end - *p ? len : -1;
}

/* The bit length of the DER INTEGER at *p, moving past it; 0 if malformed. */
static size_t
lpsa_attr_der_integer_bits(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *v;
	long len;
	size_t bits;
	uint8_t top;

	if (*p >= end || *(*p)++ != 0x02 || (len = lpsa_attr_der_len(p, end)) <= 0)
		return 0;
	v = *p;
	*p += len;
	while (len > 0 && *v == 0) {
		v++;
		len--;
	}
	if (len == 0)
		return 0;
	bits = (size_t)len * 8;
	for (top = *v; !(top & 0x80); top <<= 1)
		bits--;
	return bits;
}

/* An RSA key's size: its modulus, the first INTEGER of a public key, the second of a pair. */
static size_t
lpsa_attr_rsa_bits(int pair, const uint8_t *data, size_t len)
{
	const uint8_t *p = data, *end = data + len;

	if (len < 2 || *p++ != 0x30 || lpsa_attr_der_len(&p, end) < 0)
		return 0;
	if (pair)
		(void)lpsa_attr_der_integer_bits(&p, end); /* the version, 0 */
	return lpsa_attr_der_integer_bits(&p, end);
}

/* An elliptic curve key's size from its family and its length in bytes. */
static size_t
lpsa_attr_ecc_bits(psa_ecc_family_t family, int pair, size_t len)
{
	size_t bytes = pair ? len : (family == PSA_ECC_FAMILY_MONTGOMERY ||
	    family == PSA_ECC_FAMILY_TWISTED_EDWARDS ? len : (len - 1) / 2);

	if (!pair && family != PSA_ECC_FAMILY_MONTGOMERY &&
	    family != PSA_ECC_FAMILY_TWISTED_EDWARDS && (len == 0 || len % 2 == 0))
		return 0;
	if (family == PSA_ECC_FAMILY_SECP_R1 && bytes == 66)
		return 521;
	if (family == PSA_ECC_FAMILY_MONTGOMERY)
		return bytes == 32 ? 255 : bytes == 56 ? 448 : 0;
	if (family == PSA_ECC_FAMILY_TWISTED_EDWARDS)
		return bytes == 32 ? 255 : bytes == 57 ? 448 : 0;
	return bytes * 8;
}

/*
 * An imported key's size when the attributes leave it 0: the service keeps
 * the attributes as given, and PSA reports the key's real size. Left 0 where
 * the data does not say (the service then refuses or takes it as it does).
 */
void
lpsa_attr_import_bits(struct parsec_key_attributes *pa, const uint8_t *data, size_t len)
{
	psa_key_type_t type = (psa_key_type_t)pa->type;
	size_t bits = 0;

	if (pa->bits != 0 || len == 0)
		return;
	if (PSA_KEY_TYPE_IS_RSA(type))
		bits = lpsa_attr_rsa_bits(PSA_KEY_TYPE_IS_KEY_PAIR(type), data, len);
	else if (PSA_KEY_TYPE_IS_ECC(type))
		bits = lpsa_attr_ecc_bits(PSA_KEY_TYPE_ECC_GET_FAMILY(type),
		    PSA_KEY_TYPE_IS_KEY_PAIR(type), len);
	else if (!PSA_KEY_TYPE_IS_ASYMMETRIC(type) && len <= LPSA_MAX_KEY_BITS / 8)
		bits = len * 8;
	pa->bits = (uint32_t)bits;
}
