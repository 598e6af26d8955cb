/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The few DER shapes PKCS#11 attributes carry: named-curve OIDs
 * (CKA_EC_PARAMS), the EC point in an OCTET STRING (CKA_EC_POINT), the
 * integers of an RSA key to import, and DigestInfo (CKM_RSA_PKCS). The
 * service's RSA public key is read by common/der.c, as the providers read it.
 */
#include <string.h>

#include "p11.h"

/* The SECP R1 curves by size, as DER OBJECT IDENTIFIERs (RFC 5480). */
static const struct {
	uint32_t bits;
	uint8_t oid[10];
	size_t len;
} p11_curves[] = {
	{ 192, { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01 }, 10 },
	{ 224, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x21 }, 7 },
	{ 256, { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, 10 },
	{ 384, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 }, 7 },
	{ 521, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 }, 7 },
};

size_t
p11_ec_params(uint32_t bits, uint8_t *out, size_t cap)
{
	size_t i;

	for (i = 0; i < sizeof(p11_curves) / sizeof(p11_curves[0]); i++) {
		if (p11_curves[i].bits == bits && p11_curves[i].len <= cap) {
			memcpy(out, p11_curves[i].oid, p11_curves[i].len);
			return p11_curves[i].len;
		}
	}
	return 0;
}

/* The curve size a CKA_EC_PARAMS names; 0 if not a SECP R1 curve we know. */
uint32_t
p11_ec_bits_from_params(const uint8_t *der, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(p11_curves) / sizeof(p11_curves[0]); i++) {
		if (p11_curves[i].len == len && memcmp(p11_curves[i].oid, der, len) == 0)
			return p11_curves[i].bits;
	}
	return 0;
}

/* A DER length at p (up to 2 length bytes); -1 if malformed or past end. */
static int
p11_der_len(const uint8_t *p, size_t avail, size_t *len, size_t *hdr)
{
	if (avail < 1)
		return -1;
	if (p[0] < 0x80) {
		*len = p[0];
		*hdr = 1;
	} else if (p[0] == 0x81 && avail >= 2 && p[1] >= 0x80) {
		*len = p[1];
		*hdr = 2;
	} else if (p[0] == 0x82 && avail >= 3 && p[1] != 0) {
		*len = ((size_t)p[1] << 8) | p[2];
		*hdr = 3;
	} else
		return -1;
	return *len <= avail - *hdr ? 0 : -1;
}

static size_t
p11_der_put_len(size_t len, uint8_t *out)
{
	if (len < 0x80) {
		out[0] = (uint8_t)len;
		return 1;
	}
	if (len < 0x100) {
		out[0] = 0x81;
		out[1] = (uint8_t)len;
		return 2;
	}
	out[0] = 0x82;
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)len;
	return 3;
}

/* Reads tag and length at *p, moving past the header; the content is *p .. *p + *len. */
static int
p11_der_take(const uint8_t **p, size_t *avail, uint8_t tag, size_t *len)
{
	size_t hdr;

	if (*avail < 1 || (*p)[0] != tag || p11_der_len(*p + 1, *avail - 1, len, &hdr) == -1)
		return -1;
	*p += 1 + hdr;
	*avail -= 1 + hdr;
	return 0;
}

size_t
p11_ec_point(const uint8_t *point, size_t len, uint8_t *out, size_t cap)
{
	size_t n;

	if (len > 0xffff || cap < len + 4)
		return 0;
	out[0] = 0x04;
	n = 1 + p11_der_put_len(len, out + 1);
	memcpy(out + n, point, len);
	return n + len;
}

/* The point inside a CKA_EC_POINT: a DER OCTET STRING, or (as some tools send) bare. */
int
p11_ec_point_unwrap(const uint8_t *der, size_t len, const uint8_t **point, size_t *plen)
{
	const uint8_t *p = der;
	size_t avail = len, inner;

	if (p11_der_take(&p, &avail, 0x04, &inner) == 0 && inner == avail && inner > 0 &&
	    p[0] == 0x04) {
		*point = p;
		*plen = inner;
		return 0;
	}
	if (len > 0 && der[0] == 0x04 && (len & 1) == 1) {
		*point = der;
		*plen = len;
		return 0;
	}
	return -1;
}

/* An INTEGER for a magnitude (leading zeros dropped, a zero byte added if the top bit is set). */
static size_t
p11_der_put_uint(const uint8_t *v, size_t len, uint8_t *out)
{
	size_t n = 0, pad;

	while (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	pad = (v[0] & 0x80) ? 1 : 0;
	if (out == NULL)
		return 1 + (len + pad < 0x80 ? 1 : len + pad < 0x100 ? 2 : 3) + pad + len;
	out[n++] = 0x02;
	n += p11_der_put_len(len + pad, out + n);
	if (pad)
		out[n++] = 0;
	memcpy(out + n, v, len);
	return n + len;
}

/*
 * A SEQUENCE of INTEGERs, with a leading version 0 if with_version: PKCS#1's
 * RSAPublicKey (n, e) and RSAPrivateKey (0, n, e, d, p, q, dp, dq, qinv).
 * Its length, or 0 if it does not fit in cap.
 */
size_t
p11_der_uint_seq(const uint8_t *const *v, const size_t *len, size_t count, int with_version,
    uint8_t *out, size_t cap)
{
	static const uint8_t zero = 0;
	size_t body = with_version ? 3 : 0, i, n;

	for (i = 0; i < count; i++) {
		if (len[i] == 0 || len[i] > 0x2000)
			return 0;
		body += p11_der_put_uint(v[i], len[i], NULL);
	}
	if (body > 0xffff || cap < body + 4)
		return 0;
	out[0] = 0x30;
	n = 1 + p11_der_put_len(body, out + 1);
	if (with_version)
		n += p11_der_put_uint(&zero, 1, out + n);
	for (i = 0; i < count; i++)
		n += p11_der_put_uint(v[i], len[i], out + n);
	return n;
}

/* DigestInfo prefixes (RFC 8017, 9.2 note 1), each followed by the hash. */
static const struct {
	uint32_t psa_hash;
	size_t hash_len;
	uint8_t prefix[19];
	size_t len;
} p11_digest_infos[] = {
	{ PARSEC_PSA_ALG_SHA_1, 20, { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02,
	    0x1a, 0x05, 0x00, 0x04, 0x14 }, 15 },
	{ PARSEC_PSA_ALG_SHA_224, 28, { 0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c }, 19 },
	{ PARSEC_PSA_ALG_SHA_256, 32, { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 }, 19 },
	{ PARSEC_PSA_ALG_SHA_384, 48, { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 }, 19 },
	{ PARSEC_PSA_ALG_SHA_512, 64, { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 }, 19 },
};

/* The hash a DigestInfo carries (and where), or 0 if in is not one we know. */
uint32_t
p11_digest_info_strip(const uint8_t *in, size_t len, const uint8_t **hash, size_t *hash_len)
{
	size_t i;

	for (i = 0; i < sizeof(p11_digest_infos) / sizeof(p11_digest_infos[0]); i++) {
		size_t plen = p11_digest_infos[i].len;

		if (len == plen + p11_digest_infos[i].hash_len &&
		    memcmp(in, p11_digest_infos[i].prefix, plen) == 0) {
			*hash = in + plen;
			*hash_len = p11_digest_infos[i].hash_len;
			return p11_digest_infos[i].psa_hash;
		}
	}
	return 0;
}
