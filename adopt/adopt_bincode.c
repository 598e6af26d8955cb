/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key attributes as upstream Parsec's key stores hold them: bincode 1 (fixed
 * width, little endian; an enum is its 32-bit variant index, then its fields)
 * of the psa-crypto crate's Attributes. Read for the asymmetric keys the
 * PKCS#11 and TPM providers make; anything else is refused, not guessed.
 */
#include <string.h>

#include "adopt.h"

struct bincode {
	const uint8_t *p;
	size_t left;
	int bad;
};

static uint64_t
bincode_uint(struct bincode *b, size_t width)
{
	uint64_t v = 0;
	size_t i;

	if (b->bad || b->left < width) {
		b->bad = 1;
		return 0;
	}
	for (i = width; i > 0; i--)
		v = v << 8 | b->p[i - 1];
	b->p += width;
	b->left -= width;
	return v;
}

static uint32_t
bincode_variant(struct bincode *b)
{
	return (uint32_t)bincode_uint(b, 4);
}

/* The Hash enum to a PSA hash algorithm (MD2 .. SHA3-512 in the crate's order). */
static uint32_t
bincode_hash(struct bincode *b)
{
	static const uint8_t psa[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
		0x0d, 0x10, 0x11, 0x12, 0x13 };
	uint32_t v = bincode_variant(b);

	if (v >= sizeof(psa)) {
		b->bad = 1;
		return 0;
	}
	return 0x02000000u | psa[v];
}

/* SignHash: Specific(Hash) or Any. */
static uint32_t
bincode_sign_hash(struct bincode *b)
{
	uint32_t v = bincode_variant(b);

	if (v == 0)
		return bincode_hash(b);
	if (v != 1)
		b->bad = 1;
	return 0x020000ffu;
}

/* Algorithm: AsymmetricSignature (5) and AsymmetricEncryption (6) only. */
static uint32_t
bincode_alg(struct bincode *b)
{
	/* AsymmetricSignature's variants in the crate's order: PSA's base, and whether a
	 * SignHash follows. */
	static const struct {
		uint32_t base;
		int hashed;
	} sign[] = {
		{ 0x06000200u, 1 }, /* RsaPkcs1v15Sign */
		{ 0x06000200u, 0 }, /* RsaPkcs1v15SignRaw */
		{ 0x06000300u, 1 }, /* RsaPss */
		{ 0x06000600u, 1 }, /* Ecdsa */
		{ 0x06000600u, 0 }, /* EcdsaAny */
		{ 0x06000700u, 1 }, /* DeterministicEcdsa */
	};
	uint32_t alg = bincode_variant(b), v;

	if (alg == 5) {
		if ((v = bincode_variant(b)) < sizeof(sign) / sizeof(sign[0]))
			return sign[v].base | (sign[v].hashed ? bincode_sign_hash(b) & 0xff : 0);
	} else if (alg == 6) {
		if ((v = bincode_variant(b)) == 0) /* RsaPkcs1v15Crypt */
			return 0x07000200u;
		if (v == 1) /* RsaOaep */
			return 0x07000300u | (bincode_hash(b) & 0xff);
	}
	b->bad = 1;
	return 0;
}

/* Type: RSA and ECC keys (pairs and public keys) only. */
static uint32_t
bincode_type(struct bincode *b)
{
	static const uint8_t curves[] = { 0x17, 0x12, 0x1b, 0x27, 0x22, 0x2b, 0x30, 0x33, 0x41 };
	uint32_t v = bincode_variant(b), family;

	if (v == 8 || v == 9)
		return v == 8 ? 0x4001u : 0x7001u;
	if (v == 10 || v == 11) {
		family = bincode_variant(b);
		if (family < sizeof(curves))
			return (v == 10 ? 0x7100u : 0x4100u) | curves[family];
	}
	b->bad = 1;
	return 0;
}

int
adopt_bincode_attrs(const uint8_t *in, size_t len, struct op_key_attrs *attrs)
{
	/* UsageFlags' ten booleans, in the crate's order, as PSA usage bits. */
	static const uint32_t usage_bits[] = { 0x0001, 0x0002, 0x0004, 0x0100, 0x0200, 0x0400,
		0x0800, 0x1000, 0x2000, 0x4000 };
	struct bincode b = { in, len, 0 };
	uint64_t bits, flag;
	size_t i;

	memset(attrs, 0, sizeof(*attrs));
	if (bincode_variant(&b) != 1) /* Lifetime::Persistent */
		return -1;
	attrs->type = bincode_type(&b);
	bits = bincode_uint(&b, 8);
	for (i = 0; i < sizeof(usage_bits) / sizeof(usage_bits[0]); i++) {
		if ((flag = bincode_uint(&b, 1)) > 1)
			b.bad = 1;
		if (flag)
			attrs->usage |= usage_bits[i];
	}
	attrs->alg = bincode_alg(&b);
	if (b.bad || b.left != 0 || bits == 0 || bits > 65536)
		return -1;
	attrs->bits = (uint32_t)bits;
	return 0;
}

/* A Vec<u8>: its u64 length, then its bytes, which *p points into. */
static size_t
bincode_vec(struct bincode *b, const uint8_t **p)
{
	uint64_t len = bincode_uint(b, 8);

	if (b->bad || len > b->left) {
		b->bad = 1;
		return 0;
	}
	*p = b->p;
	b->p += len;
	b->left -= (size_t)len;
	return (size_t)len;
}

/*
 * Upstream's TPM key id: PasswordContext (1.x) is a TpmsContext (sequence
 * u64, saved handle u32, hierarchy u32, blob), the password, then KeyMaterial:
 * PublicKey (Rsa(modulus) or Ecc { x, y }) and the TPM2B_PRIVATE's bytes.
 * LegacyPasswordContext (before 1.0) stops after the password.
 */
int
adopt_bincode_tpm(const uint8_t *in, size_t len, struct adopt_tpm_id *id)
{
	struct bincode b = { in, len, 0 };
	const uint8_t *context;
	uint32_t kind;

	memset(id, 0, sizeof(*id));
	(void)bincode_uint(&b, 8); /* sequence */
	(void)bincode_uint(&b, 8); /* saved handle and hierarchy, u32 each */
	(void)bincode_vec(&b, &context);
	id->auth_len = bincode_vec(&b, &id->auth);
	if (!b.bad && b.left == 0) {
		id->legacy = 1;
		return 0;
	}
	kind = bincode_variant(&b);
	id->rsa = kind == 0;
	id->x_len = bincode_vec(&b, &id->x);
	if (kind == 1)
		id->y_len = bincode_vec(&b, &id->y);
	id->priv_len = bincode_vec(&b, &id->priv);
	return b.bad || b.left != 0 || kind > 1 ? -1 : 0;
}
