/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PKCS#11 mechanisms and PSA algorithms: which mechanisms a slot offers (from
 * its provider's opcodes and the key sizes it says it can make), which a
 * key's policy permits, and the algorithm a signature or decryption sends.
 */
#include <string.h>

#include "p11.h"

#define OPCODE_GENERATE_KEY 0x02
#define OPCODE_SIGN_HASH 0x04
#define OPCODE_VERIFY_HASH 0x05
#define OPCODE_ASYMMETRIC_ENCRYPT 0x0A
#define OPCODE_ASYMMETRIC_DECRYPT 0x0B
#define OPCODE_AEAD_ENCRYPT 0x11
#define OPCODE_AEAD_DECRYPT 0x12
#define OPCODE_CIPHER_ENCRYPT 0x14
#define OPCODE_CIPHER_DECRYPT 0x15
#define OPCODE_MAC_COMPUTE 0x16
#define OPCODE_CAN_DO_CRYPTO 0x20


#define ALG_BASE(alg) ((alg) & ~0xffu)
#define ALG_HASH_PART(alg) ((alg) & 0xffu)

/* The hashes, in the order each family of mechanisms lists them. */
static const struct {
	uint32_t psa;
	CK_MECHANISM_TYPE digest, ecdsa, pkcs1, pss, mgf, hmac;
} p11_hashes[] = {
	{ PARSEC_PSA_ALG_SHA_1, CKM_SHA_1, CKM_ECDSA_SHA1, CKM_SHA1_RSA_PKCS, CKM_SHA1_RSA_PKCS_PSS,
	    CKG_MGF1_SHA1, CKM_SHA_1_HMAC },
	{ PARSEC_PSA_ALG_SHA_224, CKM_SHA224, CKM_ECDSA_SHA224, CKM_SHA224_RSA_PKCS,
	    CKM_SHA224_RSA_PKCS_PSS, CKG_MGF1_SHA224, CKM_SHA224_HMAC },
	{ PARSEC_PSA_ALG_SHA_256, CKM_SHA256, CKM_ECDSA_SHA256, CKM_SHA256_RSA_PKCS,
	    CKM_SHA256_RSA_PKCS_PSS, CKG_MGF1_SHA256, CKM_SHA256_HMAC },
	{ PARSEC_PSA_ALG_SHA_384, CKM_SHA384, CKM_ECDSA_SHA384, CKM_SHA384_RSA_PKCS,
	    CKM_SHA384_RSA_PKCS_PSS, CKG_MGF1_SHA384, CKM_SHA384_HMAC },
	{ PARSEC_PSA_ALG_SHA_512, CKM_SHA512, CKM_ECDSA_SHA512, CKM_SHA512_RSA_PKCS,
	    CKM_SHA512_RSA_PKCS_PSS, CKG_MGF1_SHA512, CKM_SHA512_HMAC },
};
#define P11_HASH_COUNT (sizeof(p11_hashes) / sizeof(p11_hashes[0]))

CK_KEY_TYPE
p11_key_type(uint32_t psa_type)
{
	if (psa_type == PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR ||
	    psa_type == PARSEC_PSA_KEY_TYPE_RSA_PUBLIC_KEY)
		return CKK_RSA;
	if (psa_type == PARSEC_PSA_KEY_TYPE_HMAC)
		return CKK_GENERIC_SECRET;
	if (psa_type == PARSEC_PSA_KEY_TYPE_AES)
		return CKK_AES;
	if ((psa_type & 0xcf00u) == 0x4100u)
		return CKK_EC;
	return CKK_VENDOR_DEFINED;
}

/* The PSA hash a digest or hash-and-sign mechanism computes; 0 if it computes none. */
int
p11_mech_hash(CK_MECHANISM_TYPE mech, uint32_t *psa_hash)
{
	size_t i;

	for (i = 0; i < P11_HASH_COUNT; i++) {
		if (mech == p11_hashes[i].digest || mech == p11_hashes[i].ecdsa ||
		    mech == p11_hashes[i].pkcs1 || mech == p11_hashes[i].pss ||
		    mech == p11_hashes[i].hmac) {
			*psa_hash = p11_hashes[i].psa;
			return 1;
		}
	}
	return 0;
}

/* A raw CKM_ECDSA input's hash, by its length: the service wants one it knows. */
uint32_t
p11_hash_by_len(size_t len)
{
	size_t i;

	for (i = 0; i < P11_HASH_COUNT; i++) {
		if (p11_hash_len(p11_hashes[i].psa) == len)
			return p11_hashes[i].psa;
	}
	return 0;
}

static int
p11_hash_from_ck(CK_MECHANISM_TYPE digest, CK_RSA_PKCS_MGF_TYPE mgf, uint32_t *psa_hash)
{
	size_t i;

	for (i = 0; i < P11_HASH_COUNT; i++) {
		if (p11_hashes[i].digest == digest && p11_hashes[i].mgf == mgf) {
			*psa_hash = p11_hashes[i].psa;
			return 1;
		}
	}
	return 0;
}

/* PSS parameters PSA can honour: MGF1 with the same hash, salt as long as the hash. */
static CK_RV
p11_pss_params(const CK_MECHANISM *m, uint32_t *psa_hash)
{
	const CK_RSA_PKCS_PSS_PARAMS *p = m->pParameter;
	uint32_t hash;

	if (p == NULL || m->ulParameterLen != sizeof(*p))
		return CKR_MECHANISM_PARAM_INVALID;
	if (!p11_hash_from_ck(p->hashAlg, p->mgf, &hash) || p->sLen != p11_hash_len(hash))
		return CKR_MECHANISM_PARAM_INVALID;
	if (*psa_hash != 0 && *psa_hash != hash)
		return CKR_MECHANISM_PARAM_INVALID;
	*psa_hash = hash;
	return CKR_OK;
}

/* Whether the key's policy lets alg (hash part 0: any hash, known later) be used. */
static int
p11_policy_permits(uint32_t policy, uint32_t alg)
{
	uint32_t base = ALG_BASE(policy);

	if (ALG_BASE(alg) != base) {
		/* A randomised ECDSA request on a deterministic key is still ECDSA. */
		if (!(base == PARSEC_PSA_ALG_DETERMINISTIC_ECDSA(0) &&
		    ALG_BASE(alg) == PARSEC_PSA_ALG_ECDSA_ANY))
			return 0;
	}
	return ALG_HASH_PART(alg) == 0 || ALG_HASH_PART(policy) == 0xff ||
	    ALG_HASH_PART(policy) == ALG_HASH_PART(alg);
}

/*
 * The algorithm C_SignInit/C_VerifyInit sends for mechanism m on key k (its
 * hash part 0 when the data will say it), and the hash the module computes
 * first (0: none).
 */
CK_RV
p11_mech_sign_alg(const CK_MECHANISM *m, const struct p11_key *k, uint32_t *alg,
    uint32_t *local_hash)
{
	uint32_t hash = 0, base;
	CK_KEY_TYPE type = p11_key_type(k->attr.type);
	CK_RV rv;

	(void)p11_mech_hash(m->mechanism, &hash);
	switch (m->mechanism) {
	case CKM_ECDSA: case CKM_ECDSA_SHA1: case CKM_ECDSA_SHA224: case CKM_ECDSA_SHA256:
	case CKM_ECDSA_SHA384: case CKM_ECDSA_SHA512:
		if (type != CKK_EC)
			return CKR_KEY_TYPE_INCONSISTENT;
		base = ALG_BASE(k->attr.alg) == PARSEC_PSA_ALG_DETERMINISTIC_ECDSA(0) ?
		    PARSEC_PSA_ALG_DETERMINISTIC_ECDSA(0) : PARSEC_PSA_ALG_ECDSA_ANY;
		break;
	case CKM_RSA_PKCS: case CKM_SHA1_RSA_PKCS: case CKM_SHA224_RSA_PKCS:
	case CKM_SHA256_RSA_PKCS: case CKM_SHA384_RSA_PKCS: case CKM_SHA512_RSA_PKCS:
		if (type != CKK_RSA)
			return CKR_KEY_TYPE_INCONSISTENT;
		base = PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN_RAW;
		break;
	case CKM_RSA_PKCS_PSS: case CKM_SHA1_RSA_PKCS_PSS: case CKM_SHA224_RSA_PKCS_PSS:
	case CKM_SHA256_RSA_PKCS_PSS: case CKM_SHA384_RSA_PKCS_PSS: case CKM_SHA512_RSA_PKCS_PSS:
		if (type != CKK_RSA)
			return CKR_KEY_TYPE_INCONSISTENT;
		base = PARSEC_PSA_ALG_RSA_PSS(0);
		*local_hash = m->mechanism == CKM_RSA_PKCS_PSS ? 0 : hash;
		if ((rv = p11_pss_params(m, &hash)) != CKR_OK)
			return rv;
		*alg = base | ALG_HASH_PART(hash);
		return p11_policy_permits(k->attr.alg, *alg) ? CKR_OK :
		    CKR_KEY_FUNCTION_NOT_PERMITTED;
	case CKM_SHA_1_HMAC: case CKM_SHA224_HMAC: case CKM_SHA256_HMAC: case CKM_SHA384_HMAC:
	case CKM_SHA512_HMAC:
		if (type != CKK_GENERIC_SECRET)
			return CKR_KEY_TYPE_INCONSISTENT;
		if (m->pParameter != NULL || m->ulParameterLen != 0)
			return CKR_MECHANISM_PARAM_INVALID;
		/* The service computes the MAC over the data itself. */
		*local_hash = 0;
		*alg = PARSEC_PSA_ALG_HMAC(hash);
		return p11_policy_permits(k->attr.alg, *alg) ? CKR_OK :
		    CKR_KEY_FUNCTION_NOT_PERMITTED;
	default:
		return CKR_MECHANISM_INVALID;
	}
	if (m->pParameter != NULL || m->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	*local_hash = hash;
	*alg = base | ALG_HASH_PART(hash);
	return p11_policy_permits(k->attr.alg, *alg) ? CKR_OK : CKR_KEY_FUNCTION_NOT_PERMITTED;
}

/* CKM_RSA_PKCS_OAEP's parameters as a PSA algorithm and label. */
CK_RV
p11_mech_oaep_alg(const CK_MECHANISM *m, uint32_t *alg, uint8_t *label, size_t cap,
    size_t *label_len)
{
	const CK_RSA_PKCS_OAEP_PARAMS *p = m->pParameter;
	uint32_t hash;

	if (m->mechanism != CKM_RSA_PKCS_OAEP)
		return CKR_MECHANISM_INVALID;
	if (p == NULL || m->ulParameterLen != sizeof(*p))
		return CKR_MECHANISM_PARAM_INVALID;
	if (!p11_hash_from_ck(p->hashAlg, p->mgf, &hash))
		return CKR_MECHANISM_PARAM_INVALID;
	*label_len = 0;
	if (p->source == CKZ_DATA_SPECIFIED && p->ulSourceDataLen > 0) {
		if (p->pSourceData == NULL || p->ulSourceDataLen > cap)
			return CKR_MECHANISM_PARAM_INVALID;
		memcpy(label, p->pSourceData, p->ulSourceDataLen);
		*label_len = p->ulSourceDataLen;
	} else if (p->source != 0 && p->source != CKZ_DATA_SPECIFIED)
		return CKR_MECHANISM_PARAM_INVALID;
	*alg = PARSEC_PSA_ALG_RSA_OAEP(hash);
	return CKR_OK;
}

/* What a key's policy permits, as CKA_ALLOWED_MECHANISMS. */
size_t
p11_allowed_mechs(const struct p11_key *k, CK_MECHANISM_TYPE *out, size_t max)
{
	uint32_t policy = k->attr.alg, base = ALG_BASE(policy);
	size_t n = 0, i;

	if (max < P11_HASH_COUNT + 1)
		return 0;
	if (base == PARSEC_PSA_ALG_ECDSA_ANY || base == PARSEC_PSA_ALG_DETERMINISTIC_ECDSA(0))
		out[n++] = CKM_ECDSA;
	else if (base == PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN_RAW)
		out[n++] = CKM_RSA_PKCS;
	else if (base == PARSEC_PSA_ALG_RSA_PSS(0))
		out[n++] = CKM_RSA_PKCS_PSS;
	else if (base == PARSEC_PSA_ALG_RSA_OAEP(0)) {
		out[n++] = CKM_RSA_PKCS_OAEP;
		return n;
	} else if (policy == PARSEC_PSA_ALG_ECDH) {
		out[n++] = CKM_ECDH1_DERIVE;
		return n;
	} else if (policy == PARSEC_PSA_ALG_ECB_NO_PADDING) {
		out[n++] = CKM_AES_ECB;
		out[n++] = CKM_AES_CBC;
		out[n++] = CKM_AES_CBC_PAD;
		out[n++] = CKM_AES_CTR;
		return n;
	} else if (policy == PARSEC_PSA_ALG_GCM) {
		out[n++] = CKM_AES_GCM;
		return n;
	} else if (P11_ALG_IS_HMAC(policy)) {
		for (i = 0; i < P11_HASH_COUNT; i++) {
			if (ALG_HASH_PART(p11_hashes[i].psa) == ALG_HASH_PART(policy))
				out[n++] = p11_hashes[i].hmac;
		}
		return n;
	} else
		return 0;
	for (i = 0; i < P11_HASH_COUNT; i++) {
		if (ALG_HASH_PART(policy) != 0xff &&
		    ALG_HASH_PART(policy) != ALG_HASH_PART(p11_hashes[i].psa))
			continue;
		if (out[0] == CKM_ECDSA)
			out[n++] = p11_hashes[i].ecdsa;
		else if (out[0] == CKM_RSA_PKCS)
			out[n++] = p11_hashes[i].pkcs1;
		else
			out[n++] = p11_hashes[i].pss;
	}
	return n;
}

/* Which family of p11_hashes' mechanisms mech is in (its "raw" one included). */
enum p11_family { P11_FAM_NONE, P11_FAM_DIGEST, P11_FAM_ECDSA, P11_FAM_PKCS1, P11_FAM_PSS };

static enum p11_family
p11_mech_family(CK_MECHANISM_TYPE mech)
{
	size_t i;

	if (mech == CKM_ECDSA)
		return P11_FAM_ECDSA;
	if (mech == CKM_RSA_PKCS)
		return P11_FAM_PKCS1;
	if (mech == CKM_RSA_PKCS_PSS)
		return P11_FAM_PSS;
	for (i = 0; i < P11_HASH_COUNT; i++) {
		if (mech == p11_hashes[i].digest)
			return P11_FAM_DIGEST;
		if (mech == p11_hashes[i].ecdsa)
			return P11_FAM_ECDSA;
		if (mech == p11_hashes[i].pkcs1)
			return P11_FAM_PKCS1;
		if (mech == p11_hashes[i].pss)
			return P11_FAM_PSS;
	}
	return P11_FAM_NONE;
}

/* The HMAC a secret key generated for mechanism mech permits; 0 if mech is no HMAC. */
uint32_t
p11_hmac_from_mech(CK_MECHANISM_TYPE mech)
{
	size_t i;

	for (i = 0; i < P11_HASH_COUNT; i++) {
		if (mech == p11_hashes[i].hmac)
			return PARSEC_PSA_ALG_HMAC(p11_hashes[i].psa);
	}
	return 0;
}

/*
 * The policy an AES key for mechanism mech gets: ECB for the block modes the
 * module builds on it, GCM for GCM; 0 if mech is no AES mechanism.
 */
uint32_t
p11_aes_from_mech(CK_MECHANISM_TYPE mech)
{
	switch (mech) {
	case CKM_AES_ECB: case CKM_AES_CBC: case CKM_AES_CBC_PAD: case CKM_AES_CTR:
		return PARSEC_PSA_ALG_ECB_NO_PADDING;
	case CKM_AES_GCM:
		return PARSEC_PSA_ALG_GCM;
	default:
		return 0;
	}
}

/* The policy a key generated for mechanism mech gets; 0 if mech is no use for such a key. */
uint32_t
p11_policy_from_mech(CK_MECHANISM_TYPE mech, int is_ec)
{
	enum p11_family family = p11_mech_family(mech);

	if (is_ec) {
		if (family == P11_FAM_ECDSA)
			return PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_ANY_HASH);
		return mech == CKM_ECDH1_DERIVE ? PARSEC_PSA_ALG_ECDH : 0;
	}
	if (mech == CKM_RSA_PKCS_OAEP)
		return PARSEC_PSA_ALG_RSA_OAEP(PARSEC_PSA_ALG_SHA_256);
	if (family == P11_FAM_PSS)
		return PARSEC_PSA_ALG_RSA_PSS(PARSEC_PSA_ALG_ANY_HASH);
	if (family == P11_FAM_PKCS1)
		return PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(PARSEC_PSA_ALG_ANY_HASH);
	return 0;
}

/* ---- what a slot offers ---- */

/* Whether the provider says (CanDoCrypto) it can generate such a key. */
static int
p11_can_generate(parsec_client *client, uint32_t type, uint32_t bits)
{
	struct parsec_key_attributes a = { type, bits,
		PARSEC_PSA_KEY_USAGE_SIGN_HASH | PARSEC_PSA_KEY_USAGE_VERIFY_HASH, 0 };

	a.alg = type == PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR ?
	    PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(PARSEC_PSA_ALG_SHA_256) :
	    PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_SHA_256);
	return parsec_can_do_crypto(client, PARSEC_CHECK_GENERATE, &a) == PARSEC_SUCCESS;
}

/* The smallest and largest of sizes[] the provider says it can make (0, 0: none). */
static void
p11_probe_range(parsec_client *client, uint32_t type, const uint32_t *sizes, size_t n,
    CK_ULONG *min, CK_ULONG *max)
{
	size_t i;

	*min = 0;
	*max = 0;
	for (i = 0; i < n; i++) {
		if (!p11_can_generate(client, type, sizes[i]))
			continue;
		if (*min == 0)
			*min = sizes[i];
		*max = sizes[i];
	}
}

static const uint32_t p11_rsa_sizes[] = { 1024, 2048, 3072, 4096 };
static const uint32_t p11_ec_sizes[] = { 256, 384, 521 };

/*
 * The key sizes a slot makes, asked once: from the provider's CanDoCrypto
 * where it has one; else what parsecd's provider of that kind makes at most
 * (TPM: P-256 and P-384, RSA 1024 to 3072, as TPM 2.0 chips commonly do;
 * PKCS#11: P-256 to P-521, RSA 1024 to 4096, as SoftHSMv2 does).
 */
void
p11_slot_key_range(struct p11_slot *slot, int is_ec, CK_ULONG *min, CK_ULONG *max)
{
	parsec_client *client;

	if (!slot->ranges_known) {
		slot->ec_min = 256;
		slot->ec_max = slot->id == PARSEC_PROVIDER_TPM ? 384 : 521;
		slot->rsa_min = 1024;
		slot->rsa_max = slot->id == PARSEC_PROVIDER_TPM ? 3072 : 4096;
		if (p11_slot_has_opcode(slot, OPCODE_CAN_DO_CRYPTO) &&
		    p11_slot_client(slot->id, &client) == CKR_OK) {
			p11_probe_range(client,
			    PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1),
			    p11_ec_sizes, 3, &slot->ec_min, &slot->ec_max);
			p11_probe_range(client, PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR, p11_rsa_sizes, 4,
			    &slot->rsa_min, &slot->rsa_max);
		}
		slot->ranges_known = 1;
	}
	*min = is_ec ? slot->ec_min : slot->rsa_min;
	*max = is_ec ? slot->ec_max : slot->rsa_max;
}

/*
 * Whether the slot makes and uses HMAC keys: MacCompute listed, or (parsecd
 * serves MAC without listing it, for clients that reject unknown opcodes)
 * CanDoCrypto saying it can make an HMAC-SHA-256 key. Asked once.
 */
static int
p11_slot_hmac(struct p11_slot *slot)
{
	struct parsec_key_attributes a = { PARSEC_PSA_KEY_TYPE_HMAC, 256,
		PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE | PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE,
		PARSEC_PSA_ALG_HMAC(PARSEC_PSA_ALG_SHA_256) };
	parsec_client *client;

	if (slot->hmac != -1)
		return slot->hmac;
	slot->hmac = p11_slot_has_opcode(slot, OPCODE_MAC_COMPUTE);
	if (!slot->hmac && p11_slot_has_opcode(slot, OPCODE_CAN_DO_CRYPTO) &&
	    p11_slot_client(slot->id, &client) == CKR_OK)
		slot->hmac = parsec_can_do_crypto(client, PARSEC_CHECK_GENERATE, &a) ==
		    PARSEC_SUCCESS;
	return slot->hmac;
}

/*
 * Whether the slot takes this HMAC key's import: it serves HMAC keys and,
 * where the provider answers CanDoCrypto, it says yes to importing this one.
 */
int
p11_slot_hmac_import(CK_SLOT_ID id, const struct parsec_key_attributes *a)
{
	struct p11_slot *slot = &p11_slots[id];
	parsec_client *client;

	if (!p11_slot_hmac(slot))
		return 0;
	if (!p11_slot_has_opcode(slot, OPCODE_CAN_DO_CRYPTO))
		return 1;
	return p11_slot_client(id, &client) == CKR_OK &&
	    parsec_can_do_crypto(client, PARSEC_CHECK_IMPORT, a) == PARSEC_SUCCESS;
}

/* Whether the provider says it makes an AES-128 key permitting alg. */
static int
p11_slot_aes_can(struct p11_slot *slot, uint32_t alg)
{
	struct parsec_key_attributes a = { PARSEC_PSA_KEY_TYPE_AES, 128,
		PARSEC_PSA_KEY_USAGE_ENCRYPT | PARSEC_PSA_KEY_USAGE_DECRYPT, alg };
	parsec_client *client;

	return p11_slot_client(slot->id, &client) == CKR_OK &&
	    parsec_can_do_crypto(client, PARSEC_CHECK_GENERATE, &a) == PARSEC_SUCCESS;
}

/*
 * The AES modes the slot serves, asked once. Block modes need a provider
 * that keeps an AES key with PSA's ECB policy and runs the cipher
 * operations on it: where the provider answers CanDoCrypto, its yes to an
 * AES-128 ECB key; else parsecd's Mbed Crypto provider alone (its PKCS#11
 * provider maps CBC and CTR only, with its own IV; the TPM has no cipher).
 * GCM needs the AEAD operations and, where the provider answers
 * CanDoCrypto, its yes to an AES-128 GCM key.
 */
int
p11_slot_aes(struct p11_slot *slot)
{
	int can_do;

	if (slot->aes != -1)
		return slot->aes;
	slot->aes = 0;
	can_do = p11_slot_has_opcode(slot, OPCODE_CAN_DO_CRYPTO);
	if (p11_slot_has_opcode(slot, OPCODE_CIPHER_ENCRYPT) &&
	    p11_slot_has_opcode(slot, OPCODE_CIPHER_DECRYPT) &&
	    (can_do ? p11_slot_aes_can(slot, PARSEC_PSA_ALG_ECB_NO_PADDING) :
	    slot->id == PARSEC_PROVIDER_MBED_CRYPTO))
		slot->aes |= P11_AES_BLOCKS;
	if (p11_slot_has_opcode(slot, OPCODE_AEAD_ENCRYPT) &&
	    p11_slot_has_opcode(slot, OPCODE_AEAD_DECRYPT) &&
	    (!can_do || p11_slot_aes_can(slot, PARSEC_PSA_ALG_GCM)))
		slot->aes |= P11_AES_GCM;
	return slot->aes;
}

/* The AES mechanisms of a slot. */
static size_t
p11_mech_list_aes(struct p11_slot *slot, CK_MECHANISM_TYPE *out)
{
	int aes = p11_slot_aes(slot);
	size_t n = 0;

	if (aes != 0 && p11_slot_has_opcode(slot, OPCODE_GENERATE_KEY))
		out[n++] = CKM_AES_KEY_GEN;
	if (aes & P11_AES_BLOCKS) {
		out[n++] = CKM_AES_ECB;
		out[n++] = CKM_AES_CBC;
		out[n++] = CKM_AES_CBC_PAD;
		out[n++] = CKM_AES_CTR;
	}
	if (aes & P11_AES_GCM)
		out[n++] = CKM_AES_GCM;
	return n;
}

CK_RV
p11_mech_list(struct p11_slot *slot, CK_MECHANISM_TYPE *out, size_t max, size_t *count)
{
	size_t n = 0, i;

	if (max < 5 * P11_HASH_COUNT + 15)
		return CKR_GENERAL_ERROR;
	if (p11_slot_has_opcode(slot, OPCODE_GENERATE_KEY)) {
		out[n++] = CKM_RSA_PKCS_KEY_PAIR_GEN;
		out[n++] = CKM_EC_KEY_PAIR_GEN;
	}
	/* RSA first: tools probing a token (pkcs11-tool --test) take the first signing one. */
	if (p11_slot_has_opcode(slot, OPCODE_SIGN_HASH)) {
		out[n++] = CKM_RSA_PKCS;
		for (i = 0; i < P11_HASH_COUNT; i++)
			out[n++] = p11_hashes[i].pkcs1;
		out[n++] = CKM_RSA_PKCS_PSS;
		for (i = 0; i < P11_HASH_COUNT; i++)
			out[n++] = p11_hashes[i].pss;
		out[n++] = CKM_ECDSA;
		for (i = 0; i < P11_HASH_COUNT; i++)
			out[n++] = p11_hashes[i].ecdsa;
	}
	if (p11_slot_has_opcode(slot, OPCODE_ASYMMETRIC_DECRYPT))
		out[n++] = CKM_RSA_PKCS_OAEP;
	if (p11_slot_hmac(slot)) {
		if (p11_slot_has_opcode(slot, OPCODE_GENERATE_KEY))
			out[n++] = CKM_GENERIC_SECRET_KEY_GEN;
		for (i = 0; i < P11_HASH_COUNT; i++)
			out[n++] = p11_hashes[i].hmac;
	}
	n += p11_mech_list_aes(slot, out + n);
	for (i = 0; i < P11_HASH_COUNT; i++)
		out[n++] = p11_hashes[i].digest;
	*count = n;
	return CKR_OK;
}

static int
p11_mech_listed(struct p11_slot *slot, CK_MECHANISM_TYPE type)
{
	CK_MECHANISM_TYPE mechs[64];
	size_t n = 0, i;

	if (p11_mech_list(slot, mechs, sizeof(mechs) / sizeof(mechs[0]), &n) != CKR_OK)
		return 0;
	for (i = 0; i < n; i++) {
		if (mechs[i] == type)
			return 1;
	}
	return 0;
}

CK_RV
p11_mech_info(struct p11_slot *slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	const CK_FLAGS ec_flags = CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
	enum p11_family family = p11_mech_family(type);
	int is_ec = type == CKM_EC_KEY_PAIR_GEN || family == P11_FAM_ECDSA;

	if (!p11_mech_listed(slot, type))
		return CKR_MECHANISM_INVALID;
	memset(info, 0, sizeof(*info));
	if (family == P11_FAM_DIGEST) {
		info->flags = CKF_DIGEST;
		return CKR_OK;
	}
	if (type == CKM_GENERIC_SECRET_KEY_GEN || p11_hmac_from_mech(type) != 0) {
		info->ulMinKeySize = P11_HMAC_MIN_BYTES;
		info->ulMaxKeySize = P11_HMAC_MAX_BYTES;
		info->flags = CKF_HW | (type == CKM_GENERIC_SECRET_KEY_GEN ? CKF_GENERATE : CKF_SIGN |
		    CKF_VERIFY);
		return CKR_OK;
	}
	if (type == CKM_AES_KEY_GEN || p11_aes_from_mech(type) != 0) {
		info->ulMinKeySize = P11_AES_MIN_BYTES;
		info->ulMaxKeySize = P11_AES_MAX_BYTES;
		info->flags = CKF_HW | (type == CKM_AES_KEY_GEN ? CKF_GENERATE : CKF_ENCRYPT |
		    CKF_DECRYPT);
		return CKR_OK;
	}
	p11_slot_key_range(slot, is_ec, &info->ulMinKeySize, &info->ulMaxKeySize);
	/* The service, not this process, holds the key and does the work. */
	info->flags = CKF_HW;
	if (type == CKM_EC_KEY_PAIR_GEN)
		info->flags |= CKF_GENERATE_KEY_PAIR | ec_flags;
	else if (type == CKM_RSA_PKCS_KEY_PAIR_GEN)
		info->flags |= CKF_GENERATE_KEY_PAIR;
	else if (type == CKM_RSA_PKCS_OAEP)
		info->flags |= CKF_DECRYPT |
		    (p11_slot_has_opcode(slot, OPCODE_ASYMMETRIC_ENCRYPT) ? CKF_ENCRYPT : 0);
	else
		info->flags |= CKF_SIGN |
		    (p11_slot_has_opcode(slot, OPCODE_VERIFY_HASH) ? CKF_VERIFY : 0) |
		    (is_ec ? ec_flags : 0);
	return CKR_OK;
}
