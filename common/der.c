/* SPDX-License-Identifier: Apache-2.0 */
/* The DER that PSA's RSA public keys need, and no more. */
#include <string.h>

#include "der.h"

#define DER_INTEGER 0x02
#define DER_SEQUENCE 0x30

const uint8_t *
der_header(const uint8_t *p, const uint8_t *end, uint8_t tag, size_t *len)
{
	size_t n, bytes, i;

	if (end - p < 2 || p[0] != tag)
		return NULL;
	n = p[1];
	p += 2;
	if (n & 0x80) {
		bytes = n & 0x7f;
		if (bytes == 0 || bytes > 2 || (size_t)(end - p) < bytes)
			return NULL;
		for (n = 0, i = 0; i < bytes; i++)
			n = n << 8 | p[i];
		p += bytes;
		if (n < 0x80 || (bytes == 2 && n < 0x100))
			return NULL;
	}
	if (n > (size_t)(end - p))
		return NULL;
	*len = n;
	return p;
}

/* A positive INTEGER, minimally encoded; its magnitude without the sign octet. */
static const uint8_t *
der_uint(const uint8_t *p, const uint8_t *end, const uint8_t **val, size_t *len)
{
	size_t n;

	if ((p = der_header(p, end, DER_INTEGER, &n)) == NULL || n == 0 || (p[0] & 0x80))
		return NULL;
	*val = p;
	*len = n;
	if (n > 1 && p[0] == 0) {
		if (!(p[1] & 0x80))
			return NULL;
		(*val)++;
		(*len)--;
	}
	return p + n;
}

int
der_rsa_public_parse(const uint8_t *der, size_t len, const uint8_t **n, size_t *n_len,
    const uint8_t **e, size_t *e_len)
{
	const uint8_t *end = der + len, *p;
	size_t body;

	if ((p = der_header(der, end, DER_SEQUENCE, &body)) == NULL || p + body != end ||
	    (p = der_uint(p, end, n, n_len)) == NULL ||
	    (p = der_uint(p, end, e, e_len)) == NULL || p != end)
		return -1;
	return 0;
}

static size_t
der_len_size(size_t len)
{
	return len < 0x80 ? 1 : len < 0x100 ? 2 : 3;
}

uint8_t *
der_put_header(uint8_t *p, uint8_t tag, size_t len)
{
	*p++ = tag;
	if (len >= 0x100) {
		*p++ = 0x82;
		*p++ = (uint8_t)(len >> 8);
	} else if (len >= 0x80) {
		*p++ = 0x81;
	}
	*p++ = (uint8_t)len;
	return p;
}

static uint8_t *
der_put_uint(uint8_t *p, const uint8_t *v, size_t n)
{
	int pad = (v[0] & 0x80) != 0;

	p = der_put_header(p, DER_INTEGER, n + pad);
	if (pad)
		*p++ = 0;
	memcpy(p, v, n);
	return p + n;
}

size_t
der_rsa_public_write(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
    uint8_t *out, size_t cap)
{
	size_t n_body, e_body, body, total;
	uint8_t *p;

	while (n_len > 1 && n[0] == 0) {
		n++;
		n_len--;
	}
	while (e_len > 1 && e[0] == 0) {
		e++;
		e_len--;
	}
	if (n_len == 0 || e_len == 0 || n_len > 0x1000 || e_len > 0x1000)
		return 0;
	n_body = n_len + ((n[0] & 0x80) != 0);
	e_body = e_len + ((e[0] & 0x80) != 0);
	body = 1 + der_len_size(n_body) + n_body + 1 + der_len_size(e_body) + e_body;
	total = 1 + der_len_size(body) + body;
	if (out == NULL)
		return total;
	if (cap < total)
		return 0;
	p = der_put_header(out, DER_SEQUENCE, body);
	p = der_put_uint(p, n, n_len);
	der_put_uint(p, e, e_len);
	return total;
}
