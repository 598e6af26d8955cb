/* SPDX-License-Identifier: Apache-2.0 */
/* Base64, PEM and the DER form of ECDSA signatures, for parsec-tool's input and output. */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/bignum.h>
#include <mbedtls/pem.h>

#include "tool.h"

void
tool_print_base64(const uint8_t *data, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1, olen = 0;
	unsigned char *b64 = malloc(cap);

	if (b64 == NULL || mbedtls_base64_encode(b64, cap, &olen, data, len) != 0) {
		tool_error("out of memory");
		exit(TOOL_EXIT_FAILED);
	}
	printf("%.*s\n", (int)olen, b64);
	free(b64);
}

int
tool_decode_base64(const char *in, uint8_t *out, size_t cap, size_t *len)
{
	return mbedtls_base64_decode(out, cap, len, (const unsigned char *)in, strlen(in)) == 0 ?
	    0 : -1;
}

int
tool_ecdsa_to_der(const uint8_t *raw, size_t raw_len, uint8_t *der, size_t cap,
    size_t *der_len)
{
	uint8_t buf[1100];
	unsigned char *q = buf + sizeof(buf);
	mbedtls_mpi r, s;
	int n = 0, rc;

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	rc = mbedtls_mpi_read_binary(&r, raw, raw_len / 2) ||
	    mbedtls_mpi_read_binary(&s, raw + raw_len / 2, raw_len / 2);
	if (rc == 0) {
		n += mbedtls_asn1_write_mpi(&q, buf, &s);
		n += mbedtls_asn1_write_mpi(&q, buf, &r);
		n += mbedtls_asn1_write_len(&q, buf, (size_t)n);
		n += mbedtls_asn1_write_tag(&q, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	}
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	if (rc != 0 || raw_len == 0 || n <= 0 || (size_t)n > cap)
		return -1;
	memcpy(der, q, (size_t)n);
	*der_len = (size_t)n;
	return 0;
}

int
tool_ecdsa_from_der(const uint8_t *der, size_t der_len, size_t half, uint8_t *raw)
{
	unsigned char *p = (unsigned char *)der;
	const unsigned char *end = der + der_len;
	mbedtls_mpi r, s;
	size_t len;
	int rc;

	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	rc = mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
	    p + len != end || mbedtls_asn1_get_mpi(&p, end, &r) || mbedtls_asn1_get_mpi(&p, end, &s) ||
	    p != end || mbedtls_mpi_write_binary(&r, raw, half) ||
	    mbedtls_mpi_write_binary(&s, raw + half, half);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return rc ? -1 : 0;
}

int
tool_print_pem(const char *label, const uint8_t *der, size_t len)
{
	char head[64], foot[64];
	unsigned char *pem;
	size_t cap = 2 * len + 256, olen;

	snprintf(head, sizeof(head), "-----BEGIN %s-----\n", label);
	snprintf(foot, sizeof(foot), "-----END %s-----\n", label);
	if ((pem = malloc(cap)) == NULL ||
	    mbedtls_pem_write_buffer(head, foot, der, len, pem, cap, &olen) != 0) {
		free(pem);
		return tool_fail(TOOL_INCORRECT_DATA);
	}
	fputs((const char *)pem, stdout);
	free(pem);
	return 0;
}

/* The length of the UTF-8 sequence at s[n], or, negated, of its invalid leading part. */
static long
tool_utf8_step(const uint8_t *s, size_t n)
{
	uint8_t b = s[0], lo, hi;
	size_t need, i;

	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		need = 1;
	else if (b >= 0xe0 && b <= 0xef)
		need = 2;
	else if (b >= 0xf0 && b <= 0xf4)
		need = 3;
	else
		return -1;
	/* The second byte's range rules out overlong forms, surrogates and values past U+10FFFF. */
	lo = b == 0xe0 ? 0xa0 : b == 0xf0 ? 0x90 : 0x80;
	hi = b == 0xed ? 0x9f : b == 0xf4 ? 0x8f : 0xbf;
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi)
			return -(long)i;
		lo = 0x80;
		hi = 0xbf;
	}
	return (long)need + 1;
}

void
tool_print_text(const uint8_t *text, size_t len)
{
	size_t i = 0;
	long step;

	while (i < len) {
		step = tool_utf8_step(text + i, len - i);
		if (step > 0)
			fwrite(text + i, 1, (size_t)step, stdout);
		else
			fputs("\xef\xbf\xbd", stdout); /* U+FFFD, as upstream's lossy decoding */
		i += (size_t)(step > 0 ? step : -step);
	}
	fputc('\n', stdout);
}
