/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protobuf <-> PSA conversions of algorithms and key attributes. Only the PSA
 * headers' macros are used: neither frontd nor libparsec links the crypto
 * library for them.
 */
#include <stddef.h>
#include <string.h>

#include <psa/crypto.h>

#include "psa_codec.h"

/* Values from the PSA Crypto API 1.1 that mbedtls 2.28's headers lack. */
#ifndef PSA_KEY_USAGE_CACHE
#define PSA_KEY_USAGE_CACHE ((psa_key_usage_t)0x00000004)
#endif
#ifndef PSA_ECC_FAMILY_FRP
#define PSA_ECC_FAMILY_FRP ((psa_ecc_family_t)0x33)
#endif

typedef psa_algorithm_Algorithm Alg;

/* Indexed by the protobuf Hash enum. */
static const psa_algorithm_t pc_hashes[] = {
	0, PSA_ALG_MD2, PSA_ALG_MD4, PSA_ALG_MD5, PSA_ALG_RIPEMD160, PSA_ALG_SHA_1,
	PSA_ALG_SHA_224, PSA_ALG_SHA_256, PSA_ALG_SHA_384, PSA_ALG_SHA_512, PSA_ALG_SHA_512_224,
	PSA_ALG_SHA_512_256, PSA_ALG_SHA3_224, PSA_ALG_SHA3_256, PSA_ALG_SHA3_384, PSA_ALG_SHA3_512,
};

/* Indexed by the protobuf Cipher enum. */
static const psa_algorithm_t pc_ciphers[] = {
	0, PSA_ALG_STREAM_CIPHER, PSA_ALG_CTR, PSA_ALG_CFB, PSA_ALG_OFB, PSA_ALG_XTS,
	PSA_ALG_ECB_NO_PADDING, PSA_ALG_CBC_NO_PADDING, PSA_ALG_CBC_PKCS7,
};

/* Indexed by the protobuf AeadWithDefaultLengthTag enum. */
static const psa_algorithm_t pc_aeads[] = {
	0, PSA_ALG_CCM, PSA_ALG_GCM, PSA_ALG_CHACHA20_POLY1305,
};

/* Indexed by the protobuf EccFamily enum. */
static const uint32_t pc_ecc_families[] = {
	0, PSA_ECC_FAMILY_SECP_K1, PSA_ECC_FAMILY_SECP_R1, PSA_ECC_FAMILY_SECP_R2,
	PSA_ECC_FAMILY_SECT_K1, PSA_ECC_FAMILY_SECT_R1, PSA_ECC_FAMILY_SECT_R2,
	PSA_ECC_FAMILY_BRAINPOOL_P_R1, PSA_ECC_FAMILY_FRP, PSA_ECC_FAMILY_MONTGOMERY,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Protobuf enum number to table value; 0 entries and out-of-range numbers fail. */
static int
pc_lookup(const uint32_t *table, size_t n, int value, uint32_t *out)
{
	if (value <= 0 || (size_t)value >= n || table[value] == 0)
		return -1;
	*out = table[value];
	return 0;
}

/* Table value back to its protobuf enum number. */
static int
pc_rlookup(const uint32_t *table, size_t n, uint32_t value, int *out)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (table[i] == value) {
			*out = (int)i;
			return 0;
		}
	}
	return -1;
}

static int
pc_hash(int pb, psa_algorithm_t *alg)
{
	return pc_lookup(pc_hashes, NELEM(pc_hashes), pb, alg);
}

static int
pc_hash_pb(psa_algorithm_t alg, psa_algorithm_Algorithm_Hash *pb)
{
	int v;

	if (pc_rlookup(pc_hashes, NELEM(pc_hashes), alg, &v) == -1)
		return -1;
	*pb = (psa_algorithm_Algorithm_Hash)v;
	return 0;
}

/* A hash-parameterised algorithm: base with the hash's low bits (PSA's encoding). */
static int
pc_with_hash(psa_algorithm_t base, int pb_hash, psa_algorithm_t *alg)
{
	psa_algorithm_t hash;

	if (pc_hash(pb_hash, &hash) == -1)
		return -1;
	*alg = base | (hash & PSA_ALG_HASH_MASK);
	return 0;
}

static int
pc_sign_hash(const psa_algorithm_Algorithm_AsymmetricSignature_SignHash *pb, bool has,
    psa_algorithm_t *alg)
{
	if (!has)
		return -1;
	switch (pb->which_variant) {
	case psa_algorithm_Algorithm_AsymmetricSignature_SignHash_any_tag:
		*alg = PSA_ALG_ANY_HASH;
		return 0;
	case psa_algorithm_Algorithm_AsymmetricSignature_SignHash_specific_tag:
		return pc_hash(pb->variant.specific, alg);
	}
	return -1;
}

static int
pc_sign_hash_pb(psa_algorithm_t hash, psa_algorithm_Algorithm_AsymmetricSignature_SignHash *pb,
    bool *has)
{
	*has = true;
	if (hash == PSA_ALG_ANY_HASH) {
		pb->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_SignHash_any_tag;
		return 0;
	}
	pb->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_SignHash_specific_tag;
	return pc_hash_pb(hash, &pb->variant.specific);
}

static int
pc_full_mac(const psa_algorithm_Algorithm_Mac_FullLength *pb, psa_algorithm_t *alg)
{
	switch (pb->which_variant) {
	case psa_algorithm_Algorithm_Mac_FullLength_hmac_tag:
		return pc_with_hash(PSA_ALG_HMAC_BASE, pb->variant.hmac.hash_alg, alg);
	case psa_algorithm_Algorithm_Mac_FullLength_cbc_mac_tag:
		*alg = PSA_ALG_CBC_MAC;
		return 0;
	case psa_algorithm_Algorithm_Mac_FullLength_cmac_tag:
		*alg = PSA_ALG_CMAC;
		return 0;
	}
	return -1;
}

static int
pc_full_mac_pb(psa_algorithm_t alg, psa_algorithm_Algorithm_Mac_FullLength *pb)
{
	if (PSA_ALG_IS_HMAC(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_Mac_FullLength_hmac_tag;
		return pc_hash_pb(PSA_ALG_HMAC_GET_HASH(alg), &pb->variant.hmac.hash_alg);
	}
	if (alg == PSA_ALG_CBC_MAC) {
		pb->which_variant = psa_algorithm_Algorithm_Mac_FullLength_cbc_mac_tag;
		return 0;
	}
	if (alg == PSA_ALG_CMAC) {
		pb->which_variant = psa_algorithm_Algorithm_Mac_FullLength_cmac_tag;
		return 0;
	}
	return -1;
}

static int
pc_kdf(const psa_algorithm_Algorithm_KeyDerivation *pb, psa_algorithm_t *alg)
{
	switch (pb->which_variant) {
	case psa_algorithm_Algorithm_KeyDerivation_hkdf_tag:
		return pc_with_hash(PSA_ALG_HKDF_BASE, pb->variant.hkdf.hash_alg, alg);
	case psa_algorithm_Algorithm_KeyDerivation_tls12_prf_tag:
		return pc_with_hash(PSA_ALG_TLS12_PRF_BASE, pb->variant.tls12_prf.hash_alg, alg);
	case psa_algorithm_Algorithm_KeyDerivation_tls12_psk_to_ms_tag:
		return pc_with_hash(PSA_ALG_TLS12_PSK_TO_MS_BASE, pb->variant.tls12_psk_to_ms.hash_alg,
		    alg);
	}
	return -1;
}

static int
pc_kdf_pb(psa_algorithm_t alg, psa_algorithm_Algorithm_KeyDerivation *pb)
{
	psa_algorithm_t hash = PSA_ALG_CATEGORY_HASH | (alg & PSA_ALG_HASH_MASK);

	if (PSA_ALG_IS_HKDF(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_KeyDerivation_hkdf_tag;
		return pc_hash_pb(hash, &pb->variant.hkdf.hash_alg);
	}
	if (PSA_ALG_IS_TLS12_PRF(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_KeyDerivation_tls12_prf_tag;
		return pc_hash_pb(hash, &pb->variant.tls12_prf.hash_alg);
	}
	if (PSA_ALG_IS_TLS12_PSK_TO_MS(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_KeyDerivation_tls12_psk_to_ms_tag;
		return pc_hash_pb(hash, &pb->variant.tls12_psk_to_ms.hash_alg);
	}
	return -1;
}

static int
pc_raw_ka(int pb, psa_algorithm_t *alg)
{
	switch (pb) {
	case psa_algorithm_Algorithm_KeyAgreement_Raw_FFDH:
		*alg = PSA_ALG_FFDH;
		return 0;
	case psa_algorithm_Algorithm_KeyAgreement_Raw_ECDH:
		*alg = PSA_ALG_ECDH;
		return 0;
	}
	return -1;
}

static int
pc_raw_ka_pb(psa_algorithm_t alg, psa_algorithm_Algorithm_KeyAgreement_Raw *pb)
{
	if (alg == PSA_ALG_FFDH)
		*pb = psa_algorithm_Algorithm_KeyAgreement_Raw_FFDH;
	else if (alg == PSA_ALG_ECDH)
		*pb = psa_algorithm_Algorithm_KeyAgreement_Raw_ECDH;
	else
		return -1;
	return 0;
}

static int
pc_signature(const psa_algorithm_Algorithm_AsymmetricSignature *s, psa_algorithm_t *alg)
{
	const psa_algorithm_Algorithm_AsymmetricSignature_SignHash *hash_alg;
	psa_algorithm_t base, hash;
	bool has;

	switch (s->which_variant) {
	case psa_algorithm_Algorithm_AsymmetricSignature_rsa_pkcs1v15_sign_raw_tag:
		*alg = PSA_ALG_RSA_PKCS1V15_SIGN_RAW;
		return 0;
	case psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_any_tag:
		*alg = PSA_ALG_ECDSA_ANY;
		return 0;
	case psa_algorithm_Algorithm_AsymmetricSignature_rsa_pkcs1v15_sign_tag:
		base = PSA_ALG_RSA_PKCS1V15_SIGN_BASE;
		hash_alg = &s->variant.rsa_pkcs1v15_sign.hash_alg;
		has = s->variant.rsa_pkcs1v15_sign.has_hash_alg;
		break;
	case psa_algorithm_Algorithm_AsymmetricSignature_rsa_pss_tag:
		base = PSA_ALG_RSA_PSS_BASE;
		hash_alg = &s->variant.rsa_pss.hash_alg;
		has = s->variant.rsa_pss.has_hash_alg;
		break;
	case psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_tag:
		base = PSA_ALG_ECDSA_BASE;
		hash_alg = &s->variant.ecdsa.hash_alg;
		has = s->variant.ecdsa.has_hash_alg;
		break;
	case psa_algorithm_Algorithm_AsymmetricSignature_deterministic_ecdsa_tag:
		base = PSA_ALG_DETERMINISTIC_ECDSA_BASE;
		hash_alg = &s->variant.deterministic_ecdsa.hash_alg;
		has = s->variant.deterministic_ecdsa.has_hash_alg;
		break;
	default:
		return -1;
	}
	if (pc_sign_hash(hash_alg, has, &hash) == -1)
		return -1;
	*alg = base | (hash & PSA_ALG_HASH_MASK);
	return 0;
}

static int
pc_signature_pb(psa_algorithm_t alg, psa_algorithm_Algorithm_AsymmetricSignature *s)
{
	psa_algorithm_t hash = PSA_ALG_SIGN_GET_HASH(alg);

	if (alg == PSA_ALG_RSA_PKCS1V15_SIGN_RAW) {
		s->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_rsa_pkcs1v15_sign_raw_tag;
		return 0;
	}
	if (alg == PSA_ALG_ECDSA_ANY) {
		s->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_any_tag;
		return 0;
	}
	if (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg)) {
		s->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_rsa_pkcs1v15_sign_tag;
		return pc_sign_hash_pb(hash, &s->variant.rsa_pkcs1v15_sign.hash_alg,
		    &s->variant.rsa_pkcs1v15_sign.has_hash_alg);
	}
	if (PSA_ALG_IS_RSA_PSS(alg)) {
		s->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_rsa_pss_tag;
		return pc_sign_hash_pb(hash, &s->variant.rsa_pss.hash_alg,
		    &s->variant.rsa_pss.has_hash_alg);
	}
	if (PSA_ALG_IS_DETERMINISTIC_ECDSA(alg)) {
		s->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_deterministic_ecdsa_tag;
		return pc_sign_hash_pb(hash, &s->variant.deterministic_ecdsa.hash_alg,
		    &s->variant.deterministic_ecdsa.has_hash_alg);
	}
	if (PSA_ALG_IS_RANDOMIZED_ECDSA(alg)) {
		s->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_tag;
		return pc_sign_hash_pb(hash, &s->variant.ecdsa.hash_alg,
		    &s->variant.ecdsa.has_hash_alg);
	}
	return -1;
}

/* A MAC, full or truncated; a truncated one's length may be the shortest allowed (at_least). */
static int
pc_mac(const psa_algorithm_Algorithm_Mac *m, psa_algorithm_t *alg)
{
	const psa_algorithm_Algorithm_Mac_Truncated *t = &m->variant.truncated;
	psa_algorithm_t base;

	if (m->which_variant == psa_algorithm_Algorithm_Mac_full_length_tag)
		return pc_full_mac(&m->variant.full_length, alg);
	if (m->which_variant != psa_algorithm_Algorithm_Mac_truncated_tag || !t->has_mac_alg ||
	    pc_full_mac(&t->mac_alg, &base) == -1 || t->mac_length == 0 || t->mac_length > 63)
		return -1;
	*alg = t->at_least_this_length ? PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(base, t->mac_length) :
	    PSA_ALG_TRUNCATED_MAC(base, t->mac_length);
	return 0;
}

/* An AEAD, default or shortened tag; a shortened one may be the shortest allowed (at_least). */
static int
pc_aead(const psa_algorithm_Algorithm_Aead *a, psa_algorithm_t *alg)
{
	const psa_algorithm_Algorithm_Aead_AeadWithShortenedTag *t =
	    &a->variant.aead_with_shortened_tag;
	psa_algorithm_t base;

	if (a->which_variant == psa_algorithm_Algorithm_Aead_aead_with_default_length_tag_tag)
		return pc_lookup(pc_aeads, NELEM(pc_aeads), a->variant.aead_with_default_length_tag,
		    alg);
	if (a->which_variant != psa_algorithm_Algorithm_Aead_aead_with_shortened_tag_tag ||
	    pc_lookup(pc_aeads, NELEM(pc_aeads), t->aead_alg, &base) == -1 ||
	    t->tag_length == 0 || t->tag_length > 63)
		return -1;
	*alg = t->at_least_this_length ?
	    PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(base, t->tag_length) :
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(base, t->tag_length);
	return 0;
}

int
pc_alg_from_pb(const Alg *pb, uint32_t *alg)
{
	psa_algorithm_t base, hash;

	switch (pb->which_variant) {
	case psa_algorithm_Algorithm_none_tag:
		*alg = PSA_ALG_NONE;
		return 0;
	case psa_algorithm_Algorithm_hash_tag:
		return pc_hash(pb->variant.hash, alg);
	case psa_algorithm_Algorithm_mac_tag:
		return pc_mac(&pb->variant.mac, alg);
	case psa_algorithm_Algorithm_cipher_tag:
		return pc_lookup(pc_ciphers, NELEM(pc_ciphers), pb->variant.cipher, alg);
	case psa_algorithm_Algorithm_aead_tag:
		return pc_aead(&pb->variant.aead, alg);
	case psa_algorithm_Algorithm_asymmetric_signature_tag:
		return pc_signature(&pb->variant.asymmetric_signature, alg);
	case psa_algorithm_Algorithm_asymmetric_encryption_tag: {
		const psa_algorithm_Algorithm_AsymmetricEncryption *e =
		    &pb->variant.asymmetric_encryption;

		if (e->which_variant ==
		    psa_algorithm_Algorithm_AsymmetricEncryption_rsa_pkcs1v15_crypt_tag) {
			*alg = PSA_ALG_RSA_PKCS1V15_CRYPT;
			return 0;
		}
		if (e->which_variant != psa_algorithm_Algorithm_AsymmetricEncryption_rsa_oaep_tag ||
		    pc_hash(e->variant.rsa_oaep.hash_alg, &hash) == -1)
			return -1;
		*alg = PSA_ALG_RSA_OAEP(hash);
		return 0;
	}
	case psa_algorithm_Algorithm_key_agreement_tag: {
		const psa_algorithm_Algorithm_KeyAgreement *k = &pb->variant.key_agreement;
		psa_algorithm_t kdf;

		if (k->which_variant == psa_algorithm_Algorithm_KeyAgreement_raw_tag)
			return pc_raw_ka(k->variant.raw, alg);
		if (k->which_variant != psa_algorithm_Algorithm_KeyAgreement_with_key_derivation_tag ||
		    pc_raw_ka(k->variant.with_key_derivation.ka_alg, &base) == -1 ||
		    !k->variant.with_key_derivation.has_kdf_alg ||
		    pc_kdf(&k->variant.with_key_derivation.kdf_alg, &kdf) == -1)
			return -1;
		*alg = PSA_ALG_KEY_AGREEMENT(base, kdf);
		return 0;
	}
	case psa_algorithm_Algorithm_key_derivation_tag:
		return pc_kdf(&pb->variant.key_derivation, alg);
	}
	return -1;
}

static int
pc_mac_pb(psa_algorithm_t alg, psa_algorithm_Algorithm_Mac *m)
{
	size_t length = PSA_MAC_TRUNCATED_LENGTH(alg);
	bool at_least = (alg & PSA_ALG_MAC_AT_LEAST_THIS_LENGTH_FLAG) != 0;

	if (length == 0) {
		/* "At least nothing" is no MAC length PSA defines. */
		if (at_least)
			return -1;
		m->which_variant = psa_algorithm_Algorithm_Mac_full_length_tag;
		return pc_full_mac_pb(alg, &m->variant.full_length);
	}
	m->which_variant = psa_algorithm_Algorithm_Mac_truncated_tag;
	m->variant.truncated.has_mac_alg = true;
	m->variant.truncated.mac_length = (uint32_t)length;
	m->variant.truncated.at_least_this_length = at_least;
	return pc_full_mac_pb(PSA_ALG_FULL_LENGTH_MAC(alg), &m->variant.truncated.mac_alg);
}

static int
pc_aead_pb(psa_algorithm_t alg, psa_algorithm_Algorithm_Aead *a)
{
	psa_algorithm_t base = PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(alg);
	int v;

	if (pc_rlookup(pc_aeads, NELEM(pc_aeads), base, &v) == -1)
		return -1;
	if (base == alg) {
		a->which_variant = psa_algorithm_Algorithm_Aead_aead_with_default_length_tag_tag;
		a->variant.aead_with_default_length_tag =
		    (psa_algorithm_Algorithm_Aead_AeadWithDefaultLengthTag)v;
		return 0;
	}
	/* "At least no tag" is no tag length PSA defines. */
	if ((alg & PSA_ALG_AEAD_AT_LEAST_THIS_LENGTH_FLAG) && PSA_ALG_AEAD_GET_TAG_LENGTH(alg) == 0)
		return -1;
	a->which_variant = psa_algorithm_Algorithm_Aead_aead_with_shortened_tag_tag;
	a->variant.aead_with_shortened_tag.aead_alg =
	    (psa_algorithm_Algorithm_Aead_AeadWithDefaultLengthTag)v;
	a->variant.aead_with_shortened_tag.tag_length = (uint32_t)PSA_ALG_AEAD_GET_TAG_LENGTH(alg);
	a->variant.aead_with_shortened_tag.at_least_this_length =
	    (alg & PSA_ALG_AEAD_AT_LEAST_THIS_LENGTH_FLAG) != 0;
	return 0;
}

static int
pc_key_agreement_pb(psa_algorithm_t alg, psa_algorithm_Algorithm_KeyAgreement *k)
{
	if (PSA_ALG_IS_RAW_KEY_AGREEMENT(alg)) {
		k->which_variant = psa_algorithm_Algorithm_KeyAgreement_raw_tag;
		return pc_raw_ka_pb(alg, &k->variant.raw);
	}
	k->which_variant = psa_algorithm_Algorithm_KeyAgreement_with_key_derivation_tag;
	k->variant.with_key_derivation.has_kdf_alg = true;
	if (pc_raw_ka_pb(PSA_ALG_KEY_AGREEMENT_GET_BASE(alg),
	    &k->variant.with_key_derivation.ka_alg) == -1)
		return -1;
	return pc_kdf_pb(PSA_ALG_KEY_AGREEMENT_GET_KDF(alg), &k->variant.with_key_derivation.kdf_alg);
}

int
pc_alg_to_pb(uint32_t alg, Alg *pb)
{
	memset(pb, 0, sizeof(*pb));
	if (alg == PSA_ALG_NONE) {
		pb->which_variant = psa_algorithm_Algorithm_none_tag;
		return 0;
	}
	if (PSA_ALG_IS_HASH(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_hash_tag;
		return pc_hash_pb(alg, &pb->variant.hash);
	}
	if (PSA_ALG_IS_MAC(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_mac_tag;
		return pc_mac_pb(alg, &pb->variant.mac);
	}
	if (PSA_ALG_IS_CIPHER(alg)) {
		int v;

		pb->which_variant = psa_algorithm_Algorithm_cipher_tag;
		if (pc_rlookup(pc_ciphers, NELEM(pc_ciphers), alg, &v) == -1)
			return -1;
		pb->variant.cipher = (psa_algorithm_Algorithm_Cipher)v;
		return 0;
	}
	if (PSA_ALG_IS_AEAD(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_aead_tag;
		return pc_aead_pb(alg, &pb->variant.aead);
	}
	if (PSA_ALG_IS_SIGN(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_asymmetric_signature_tag;
		return pc_signature_pb(alg, &pb->variant.asymmetric_signature);
	}
	if (PSA_ALG_IS_ASYMMETRIC_ENCRYPTION(alg)) {
		psa_algorithm_Algorithm_AsymmetricEncryption *e = &pb->variant.asymmetric_encryption;

		pb->which_variant = psa_algorithm_Algorithm_asymmetric_encryption_tag;
		if (alg == PSA_ALG_RSA_PKCS1V15_CRYPT) {
			e->which_variant =
			    psa_algorithm_Algorithm_AsymmetricEncryption_rsa_pkcs1v15_crypt_tag;
			return 0;
		}
		if (!PSA_ALG_IS_RSA_OAEP(alg))
			return -1;
		e->which_variant = psa_algorithm_Algorithm_AsymmetricEncryption_rsa_oaep_tag;
		return pc_hash_pb(PSA_ALG_RSA_OAEP_GET_HASH(alg), &e->variant.rsa_oaep.hash_alg);
	}
	if (PSA_ALG_IS_KEY_AGREEMENT(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_key_agreement_tag;
		return pc_key_agreement_pb(alg, &pb->variant.key_agreement);
	}
	if (PSA_ALG_IS_KEY_DERIVATION(alg)) {
		pb->which_variant = psa_algorithm_Algorithm_key_derivation_tag;
		return pc_kdf_pb(alg, &pb->variant.key_derivation);
	}
	return -1;
}

struct pc_plain_type {
	pb_size_t tag;
	psa_key_type_t type;
};

static const struct pc_plain_type pc_plain_types[] = {
	{ psa_key_attributes_KeyType_raw_data_tag, PSA_KEY_TYPE_RAW_DATA },
	{ psa_key_attributes_KeyType_hmac_tag, PSA_KEY_TYPE_HMAC },
	{ psa_key_attributes_KeyType_derive_tag, PSA_KEY_TYPE_DERIVE },
	{ psa_key_attributes_KeyType_aes_tag, PSA_KEY_TYPE_AES },
	{ psa_key_attributes_KeyType_des_tag, PSA_KEY_TYPE_DES },
	{ psa_key_attributes_KeyType_camellia_tag, PSA_KEY_TYPE_CAMELLIA },
	{ psa_key_attributes_KeyType_arc4_tag, PSA_KEY_TYPE_ARC4 },
	{ psa_key_attributes_KeyType_chacha20_tag, PSA_KEY_TYPE_CHACHA20 },
	{ psa_key_attributes_KeyType_rsa_public_key_tag, PSA_KEY_TYPE_RSA_PUBLIC_KEY },
	{ psa_key_attributes_KeyType_rsa_key_pair_tag, PSA_KEY_TYPE_RSA_KEY_PAIR },
};

static int
pc_key_type(const psa_key_attributes_KeyType *pb, uint32_t *type)
{
	uint32_t family;
	size_t i;

	for (i = 0; i < NELEM(pc_plain_types); i++) {
		if (pc_plain_types[i].tag == pb->which_variant) {
			*type = pc_plain_types[i].type;
			return 0;
		}
	}
	switch (pb->which_variant) {
	case psa_key_attributes_KeyType_ecc_key_pair_tag:
		if (pc_lookup(pc_ecc_families, NELEM(pc_ecc_families),
		    pb->variant.ecc_key_pair.curve_family, &family) == -1)
			return -1;
		*type = PSA_KEY_TYPE_ECC_KEY_PAIR(family);
		return 0;
	case psa_key_attributes_KeyType_ecc_public_key_tag:
		if (pc_lookup(pc_ecc_families, NELEM(pc_ecc_families),
		    pb->variant.ecc_public_key.curve_family, &family) == -1)
			return -1;
		*type = PSA_KEY_TYPE_ECC_PUBLIC_KEY(family);
		return 0;
	case psa_key_attributes_KeyType_dh_key_pair_tag:
		if (pb->variant.dh_key_pair.group_family != psa_key_attributes_KeyType_DhFamily_RFC7919)
			return -1;
		*type = PSA_KEY_TYPE_DH_KEY_PAIR(PSA_DH_FAMILY_RFC7919);
		return 0;
	case psa_key_attributes_KeyType_dh_public_key_tag:
		if (pb->variant.dh_public_key.group_family !=
		    psa_key_attributes_KeyType_DhFamily_RFC7919)
			return -1;
		*type = PSA_KEY_TYPE_DH_PUBLIC_KEY(PSA_DH_FAMILY_RFC7919);
		return 0;
	}
	return -1;
}

static int
pc_key_type_pb(uint32_t type, psa_key_attributes_KeyType *pb)
{
	size_t i;
	int v;

	for (i = 0; i < NELEM(pc_plain_types); i++) {
		if (pc_plain_types[i].type == type) {
			pb->which_variant = pc_plain_types[i].tag;
			return 0;
		}
	}
	if (PSA_KEY_TYPE_IS_ECC(type)) {
		if (pc_rlookup(pc_ecc_families, NELEM(pc_ecc_families),
		    PSA_KEY_TYPE_ECC_GET_FAMILY(type), &v) == -1)
			return -1;
		if (PSA_KEY_TYPE_IS_ECC_KEY_PAIR(type)) {
			pb->which_variant = psa_key_attributes_KeyType_ecc_key_pair_tag;
			pb->variant.ecc_key_pair.curve_family = (psa_key_attributes_KeyType_EccFamily)v;
		} else {
			pb->which_variant = psa_key_attributes_KeyType_ecc_public_key_tag;
			pb->variant.ecc_public_key.curve_family =
			    (psa_key_attributes_KeyType_EccFamily)v;
		}
		return 0;
	}
	if (type == PSA_KEY_TYPE_DH_KEY_PAIR(PSA_DH_FAMILY_RFC7919)) {
		pb->which_variant = psa_key_attributes_KeyType_dh_key_pair_tag;
		return 0;
	}
	if (type == PSA_KEY_TYPE_DH_PUBLIC_KEY(PSA_DH_FAMILY_RFC7919)) {
		pb->which_variant = psa_key_attributes_KeyType_dh_public_key_tag;
		return 0;
	}
	return -1;
}

struct pc_usage_bit {
	size_t offset; /* of the bool in UsageFlags */
	psa_key_usage_t bit;
};

#define USAGE(field, flag) { offsetof(psa_key_attributes_UsageFlags, field), flag }
static const struct pc_usage_bit pc_usage_bits[] = {
	USAGE(export, PSA_KEY_USAGE_EXPORT),
	USAGE(copy, PSA_KEY_USAGE_COPY),
	USAGE(cache, PSA_KEY_USAGE_CACHE),
	USAGE(encrypt, PSA_KEY_USAGE_ENCRYPT),
	USAGE(decrypt, PSA_KEY_USAGE_DECRYPT),
	USAGE(sign_message, PSA_KEY_USAGE_SIGN_MESSAGE),
	USAGE(verify_message, PSA_KEY_USAGE_VERIFY_MESSAGE),
	USAGE(sign_hash, PSA_KEY_USAGE_SIGN_HASH),
	USAGE(verify_hash, PSA_KEY_USAGE_VERIFY_HASH),
	USAGE(derive, PSA_KEY_USAGE_DERIVE),
};

int
pc_key_attrs_from_pb(const psa_key_attributes_KeyAttributes *pb, struct op_key_attrs *attrs)
{
	size_t i;

	memset(attrs, 0, sizeof(*attrs));
	if (!pb->has_key_type || pc_key_type(&pb->key_type, &attrs->type) == -1)
		return -1;
	attrs->bits = pb->key_bits;
	if (!pb->has_key_policy)
		return 0;
	if (pb->key_policy.has_key_usage_flags) {
		const uint8_t *flags = (const uint8_t *)&pb->key_policy.key_usage_flags;

		for (i = 0; i < NELEM(pc_usage_bits); i++) {
			bool set;

			memcpy(&set, flags + pc_usage_bits[i].offset, sizeof(set));
			if (set)
				attrs->usage |= pc_usage_bits[i].bit;
		}
	}
	if (pb->key_policy.has_key_algorithm &&
	    pc_alg_from_pb(&pb->key_policy.key_algorithm, &attrs->alg) == -1)
		return -1;
	return 0;
}

int
pc_key_attrs_to_pb(const struct op_key_attrs *attrs, psa_key_attributes_KeyAttributes *pb)
{
	uint8_t *flags;
	size_t i;

	memset(pb, 0, sizeof(*pb));
	pb->has_key_type = true;
	if (pc_key_type_pb(attrs->type, &pb->key_type) == -1)
		return -1;
	pb->key_bits = attrs->bits;
	pb->has_key_policy = true;
	pb->key_policy.has_key_usage_flags = true;
	flags = (uint8_t *)&pb->key_policy.key_usage_flags;
	for (i = 0; i < NELEM(pc_usage_bits); i++) {
		bool set = (attrs->usage & pc_usage_bits[i].bit) != 0;

		memcpy(flags + pc_usage_bits[i].offset, &set, sizeof(set));
	}
	pb->key_policy.has_key_algorithm = true;
	return pc_alg_to_pb(attrs->alg, &pb->key_policy.key_algorithm);
}
