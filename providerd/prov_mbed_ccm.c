/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CCM as a stream (NIST SP 800-38C, RFC 3610), which Mbed TLS 2.28 offers only
 * in one call: a CBC-MAC over B0, the formatted additional data and the
 * plaintext as they arrive, and CTR over the text, both on the block cipher
 * of the key's mbedtls_ccm_context (an ECB encryptor). PSA's set_lengths
 * comes first, so B0 can be made before any data. An update gives whole
 * blocks and keeps up to 15 bytes; the finish gives those and the tag.
 */
#include <string.h>

#include <mbedtls/platform_util.h>

#include "prov_mbed.h"

/* One block through the key's cipher: 0 or -1. */
static int
ccm_block(struct mbed_ccm *c, const uint8_t in[16], uint8_t out[16])
{
	size_t olen = 0;

	return mbedtls_cipher_update(&c->key.cipher_ctx, in, 16, out, &olen) == 0 && olen == 16 ?
	    0 : -1;
}

/* Bytes into the CBC-MAC: each block full is chained in. */
static int
ccm_mac(struct mbed_ccm *c, const uint8_t *in, size_t len)
{
	size_t take, i;

	while (len > 0) {
		take = 16 - c->mac_fill < len ? 16 - c->mac_fill : len;
		for (i = 0; i < take; i++)
			c->y[c->mac_fill + i] ^= in[i];
		c->mac_fill += take;
		in += take;
		len -= take;
		if (c->mac_fill == 16) {
			if (ccm_block(c, c->y, c->y) == -1)
				return -1;
			c->mac_fill = 0;
		}
	}
	return 0;
}

/* The MAC's partial block ended with zeros (after the additional data, after the text). */
static int
ccm_mac_pad(struct mbed_ccm *c)
{
	if (c->mac_fill == 0)
		return 0;
	c->mac_fill = 0;
	return ccm_block(c, c->y, c->y);
}

/* The counter block of index i (RFC 3610's A_i): flags q-1, the nonce, i in q bytes. */
static void
ccm_counter(const struct mbed_ccm *c, uint64_t i, uint8_t a[16])
{
	size_t k;

	memcpy(a, c->a0, 16);
	for (k = 15; k > 15 - c->q && i != 0; k--, i >>= 8)
		a[k] = (uint8_t)i;
}

int
prov_mbed_ccm_start(struct mbed_ccm *c, const uint8_t *nonce, size_t nonce_len,
    uint64_t ad_len, uint64_t text_len, size_t tag_len)
{
	uint8_t b0[16], enc[10];
	size_t k, n = 0;
	uint64_t v;

	if (nonce_len < 7 || nonce_len > 13 || tag_len < 4 || tag_len > 16 || tag_len % 2 != 0)
		return -1;
	c->q = 15 - nonce_len;
	c->tag_len = tag_len;
	/* B0: flags (Adata, (t-2)/2, q-1), the nonce, the text's length in q bytes. */
	memset(b0, 0, sizeof(b0));
	b0[0] = (uint8_t)((ad_len > 0 ? 0x40 : 0) | ((tag_len - 2) / 2) << 3 | (c->q - 1));
	memcpy(b0 + 1, nonce, nonce_len);
	for (k = 15, v = text_len; k > nonce_len; k--, v >>= 8)
		b0[k] = (uint8_t)v;
	memset(c->a0, 0, sizeof(c->a0));
	c->a0[0] = (uint8_t)(c->q - 1);
	memcpy(c->a0 + 1, nonce, nonce_len);
	c->ctr = 1;
	c->mac_fill = c->held = 0;
	if (ccm_block(c, b0, c->y) == -1 || ccm_block(c, c->a0, c->s0) == -1)
		return -1;
	if (ad_len == 0)
		return 0;
	/* The additional data's length: 2 bytes, or 0xFFFE and 4, or 0xFFFF and 8. */
	if (ad_len < 0xFF00) {
		enc[n++] = (uint8_t)(ad_len >> 8);
	} else {
		enc[n++] = 0xFF;
		enc[n++] = ad_len >> 32 == 0 ? 0xFE : 0xFF;
		for (k = ad_len >> 32 == 0 ? 3 : 7; k > 0; k--)
			enc[n++] = (uint8_t)(ad_len >> (8 * k));
	}
	enc[n++] = (uint8_t)ad_len;
	return ccm_mac(c, enc, n);
}

int
prov_mbed_ccm_ad(struct mbed_ccm *c, const uint8_t *ad, size_t len)
{
	return ccm_mac(c, ad, len);
}

/* One block or less of text: the key stream of the next counter, the MAC over the plaintext. */
static int
ccm_text_block(struct mbed_ccm *c, int decrypt, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t a[16], s[16];
	size_t i;
	int rc;

	ccm_counter(c, c->ctr++, a);
	if (ccm_block(c, a, s) == -1)
		return -1;
	for (i = 0; i < len; i++)
		out[i] = in[i] ^ s[i];
	rc = ccm_mac(c, decrypt ? out : in, len);
	mbedtls_platform_zeroize(s, sizeof(s));
	return rc;
}

int
prov_mbed_ccm_update(struct mbed_ccm *c, int decrypt, const uint8_t *in, size_t len,
    uint8_t *out, size_t *out_len)
{
	size_t take;

	*out_len = 0;
	/* The additional data ends with the first text. */
	if (!c->text_started) {
		c->text_started = 1;
		if (ccm_mac_pad(c) == -1)
			return -1;
	}
	if (c->held > 0 && c->held + len >= 16) {
		take = 16 - c->held;
		memcpy(c->hold + c->held, in, take);
		if (ccm_text_block(c, decrypt, c->hold, 16, out) == -1)
			return -1;
		c->held = 0;
		in += take;
		len -= take;
		*out_len = 16;
	}
	for (; c->held == 0 && len >= 16; in += 16, len -= 16, *out_len += 16)
		if (ccm_text_block(c, decrypt, in, 16, out + *out_len) == -1)
			return -1;
	if (len > 0)
		memcpy(c->hold + c->held, in, len);
	c->held += len;
	return 0;
}

int
prov_mbed_ccm_finish(struct mbed_ccm *c, int decrypt, uint8_t *out, size_t *out_len,
    uint8_t tag[16])
{
	size_t i;

	*out_len = 0;
	if (prov_mbed_ccm_update(c, decrypt, NULL, 0, out, out_len) == -1)
		return -1;
	if (c->held > 0 && ccm_text_block(c, decrypt, c->hold, c->held, out) == -1)
		return -1;
	*out_len = c->held;
	c->held = 0;
	if (ccm_mac_pad(c) == -1)
		return -1;
	for (i = 0; i < c->tag_len; i++)
		tag[i] = c->y[i] ^ c->s0[i];
	return 0;
}

void
prov_mbed_ccm_wipe(struct mbed_ccm *c)
{
	mbedtls_platform_zeroize(c->y, sizeof(c->y));
	mbedtls_platform_zeroize(c->s0, sizeof(c->s0));
	mbedtls_platform_zeroize(c->hold, sizeof(c->hold));
}
