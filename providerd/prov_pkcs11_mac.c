/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 provider's MACs: PSA's rules for a MAC on a key (policy,
 * algorithm, length) judged as Mbed TLS 2.28 judges them (the policy by
 * common/key_policy.c, the rest here), since the
 * token keeps no PSA policy, and the one-shot PsaMacCompute and PsaMacVerify
 * on the token's HMAC (SHA-1, SHA-2) and AES-CMAC mechanisms. A truncated MAC
 * is the token's full MAC cut here: tokens refuse a shorter MAC to verify
 * (SoftHSMv2 2.6.1: CKR_SIGNATURE_LEN_RANGE, measured), so its check signs
 * and compares the prefix in constant time. prov_pkcs11_multi.c uses the
 * same rules for its multipart MAC.
 */
#include <string.h>

#include <psa/crypto.h>

#include "prov_p11.h"
#include "key_policy.h"
#include "wire.h"

/* The token's mechanism for a MAC's full length, on a key of type. */
static int
p11_mac_mech(uint32_t alg, uint32_t type, CK_MECHANISM_TYPE *mech)
{
	if (PSA_ALG_FULL_LENGTH_MAC(alg) == PSA_ALG_CMAC && type == PSA_KEY_TYPE_AES) {
		*mech = CKM_AES_CMAC;
		return 1;
	}
	if (!PSA_ALG_IS_HMAC(alg))
		return 0;
	switch (PSA_ALG_HMAC_GET_HASH(alg)) {
	case PSA_ALG_SHA_1:
		*mech = CKM_SHA_1_HMAC;
		return 1;
	case PSA_ALG_SHA_224:
		*mech = CKM_SHA224_HMAC;
		return 1;
	case PSA_ALG_SHA_256:
		*mech = CKM_SHA256_HMAC;
		return 1;
	case PSA_ALG_SHA_384:
		*mech = CKM_SHA384_HMAC;
		return 1;
	case PSA_ALG_SHA_512:
		*mech = CKM_SHA512_HMAC;
		return 1;
	default:
		return 0;
	}
}

int
p11_mac_key_signs(const struct op_key_attrs *a)
{
	uint32_t usage = key_policy_usage_extended(a->usage);

	if (!PSA_ALG_IS_MAC(a->alg) || !key_policy_mac_key_fits(a->alg, a->type))
		return 0;
	if (usage & PSA_KEY_USAGE_SIGN_MESSAGE)
		return 1;
	/* Only a policy that may ask for a truncated MAC needs the token to sign to verify. */
	return (usage & PSA_KEY_USAGE_VERIFY_MESSAGE) && PSA_MAC_TRUNCATED_LENGTH(a->alg) != 0;
}

int
p11_mac_key_verifies(const struct op_key_attrs *a)
{
	return PSA_ALG_IS_MAC(a->alg) && key_policy_mac_key_fits(a->alg, a->type) &&
	    (key_policy_usage_extended(a->usage) & PSA_KEY_USAGE_VERIFY_MESSAGE);
}

psa_status_t
p11_mac_prepare(const struct op_request *op, int verify, const uint8_t *key_ref,
    size_t key_ref_len, struct p11_mac *mac)
{
	const struct op_key_attrs *a = &op->attrs;
	uint32_t need = verify ? PSA_KEY_USAGE_VERIFY_MESSAGE : PSA_KEY_USAGE_SIGN_MESSAGE;

	memset(mac, 0, sizeof(*mac));
	if (key_ref_len != P11_KEY_ID_LEN)
		return PSA_ERROR_INVALID_HANDLE;
	/* Mbed TLS's order: usage, a wildcard asked for, the policy, then the algorithm. */
	if ((key_policy_usage_extended(a->usage) & need) != need)
		return PSA_ERROR_NOT_PERMITTED;
	if (op->alg != 0 && PSA_ALG_IS_WILDCARD(op->alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (op->alg != 0 && !key_policy_permits(a, need, op->alg))
		return PSA_ERROR_NOT_PERMITTED;
	if (!PSA_ALG_IS_MAC(op->alg) || !key_policy_mac_key_fits(op->alg, a->type))
		return PSA_ERROR_INVALID_ARGUMENT;
	mac->len = PSA_MAC_LENGTH(a->type, a->bits, op->alg);
	mac->full = PSA_MAC_LENGTH(a->type, a->bits, PSA_ALG_FULL_LENGTH_MAC(op->alg));
	/* PSA's floor: a MAC under 4 bytes can be guessed. */
	if (mac->len < 4)
		return PSA_ERROR_NOT_SUPPORTED;
	if (mac->len > mac->full)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (!p11_mac_mech(op->alg, a->type, &mac->mech) ||
	    !p11_has_mech(mac->mech, mac->len < mac->full || !verify ? CKF_SIGN : CKF_VERIFY))
		return PSA_ERROR_NOT_SUPPORTED;
	return p11_find_key(CKO_SECRET_KEY, key_ref, &mac->key);
}

int
p11_mac_signs(const struct p11_mac *mac, int verify)
{
	return !verify || mac->len < mac->full;
}

psa_status_t
p11_mac_init(CK_SESSION_HANDLE session, const struct p11_mac *mac, int verify)
{
	CK_MECHANISM mech = { mac->mech, NULL, 0 };
	CK_RV rv;

	rv = p11_mac_signs(mac, verify) ? p11.module->C_SignInit(session, &mech, mac->key) :
	    p11.module->C_VerifyInit(session, &mech, mac->key);
	/*
	 * A key shorter (or longer) than the token takes for the mechanism is one
	 * it cannot use; so is an object made without CKA_SIGN, as an AES key or a
	 * verify-only truncated-MAC key made before the service set it: the PSA
	 * policy, checked above, allowed the MAC.
	 */
	if (rv == CKR_KEY_SIZE_RANGE || rv == CKR_KEY_FUNCTION_NOT_PERMITTED)
		return PSA_ERROR_NOT_SUPPORTED;
	return p11_status(rv);
}

int
p11_mac_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

psa_status_t
p11_mac_check(const struct p11_mac *mac, const uint8_t *computed, size_t computed_len,
    const uint8_t *given, size_t given_len)
{
	if (computed_len != mac->full)
		return PSA_ERROR_HARDWARE_FAILURE;
	if (given_len != mac->len || !p11_mac_equal(computed, given, mac->len))
		return PSA_ERROR_INVALID_SIGNATURE;
	return PSA_SUCCESS;
}

psa_status_t
p11_mac_verify_status(CK_RV rv)
{
	if (rv == CKR_SIGNATURE_LEN_RANGE || rv == CKR_SIGNATURE_INVALID)
		return PSA_ERROR_INVALID_SIGNATURE;
	return p11_status(rv);
}

int
p11_mac_serves_sign(void)
{
	return p11_has_mech(CKM_SHA_1_HMAC, CKF_SIGN) || p11_has_mech(CKM_SHA256_HMAC, CKF_SIGN) ||
	    p11_has_mech(CKM_AES_CMAC, CKF_SIGN);
}

int
p11_mac_serves_verify(void)
{
	return p11_mac_serves_sign() || p11_has_mech(CKM_SHA256_HMAC, CKF_VERIFY);
}

int
p11_mac_listed(void)
{
	return p11.advertise_mac;
}

/*
 * PsaMacCompute and PsaMacVerify: one C_Sign (or C_Verify for a full-length
 * check) on the worker's session. A verification with a MAC of another length
 * than the algorithm's is invalid, as PSA says, without asking the token.
 */
psa_status_t
p11_op_mac(const struct op_request *op, const uint8_t *id, size_t id_len,
    struct op_result *res, struct prov_out *out)
{
	int verify = op->opcode == OP_PSA_MAC_VERIFY;
	uint8_t full[PSA_MAC_MAX_SIZE];
	CK_ULONG len = sizeof(full);
	struct p11_mac mac;
	psa_status_t st;
	CK_RV rv;

	if ((st = p11_mac_prepare(op, verify, id, id_len, &mac)) != PSA_SUCCESS)
		return st;
	if (verify && op->in[1].len != mac.len)
		return PSA_ERROR_INVALID_SIGNATURE;
	if ((st = p11_mac_init(p11.session, &mac, verify)) != PSA_SUCCESS)
		return st;
	if (!p11_mac_signs(&mac, verify))
		return p11_mac_verify_status(p11.module->C_Verify(p11.session,
		    (uint8_t *)op->in[0].ptr, op->in[0].len, (uint8_t *)op->in[1].ptr,
		    op->in[1].len));
	rv = p11.module->C_Sign(p11.session, (uint8_t *)op->in[0].ptr, op->in[0].len, full, &len);
	if ((st = p11_status(rv)) == PSA_SUCCESS) {
		if (verify)
			st = p11_mac_check(&mac, full, len, op->in[1].ptr, op->in[1].len);
		else if (len != mac.full)
			st = PSA_ERROR_HARDWARE_FAILURE;
		else
			memcpy(prov_out_alloc(out, res, 0, mac.len), full, mac.len);
	}
	explicit_bzero(full, sizeof(full));
	return st;
}
