/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 provider (id 2, "Pkcs11"): keys live on an HSM, smart card or
 * token, driven through any PKCS#11 module that p11-kit loads. This file is
 * the backend the provider core calls: start-up, what it serves, and each
 * request to the file that does it (prov_pkcs11_token.c the token and its
 * session, prov_pkcs11_keys.c and prov_pkcs11_create.c the key objects,
 * prov_pkcs11_ops.c the cryptography).
 */
#include <string.h>

#include <psa/crypto.h>

#include "log.h"
#include "prov_p11.h"
#include "key_policy.h"
#include "wire.h"

static int
prov_pkcs11_init(const struct setup_provider *setup)
{
	int r;

	p11.software_public_operations = setup->software_public_operations != 0;
	p11.allow_export = setup->allow_export != 0;
	p11.advertise_mac = setup->advertise_mac_opcodes != 0;
	if (psa_crypto_init() != PSA_SUCCESS) {
		log_warnx("psa_crypto_init failed");
		return -1;
	}
	if ((r = p11_token_open(setup)) != 0)
		return r;
	log_info("%s worker %u: slot %lu, %zu mechanisms, session open", setup->name,
	    setup->worker, (unsigned long)p11.slot, p11.mech_count);
	return 0;
}

static void
prov_pkcs11_describe(struct op_provider_info *info)
{
	strlcpy(info->uuid, wire_provider_uuid(WIRE_PROVIDER_PKCS11), sizeof(info->uuid));
	strlcpy(info->description, "PKCS#11 provider: keys on an HSM or token, through p11-kit",
	    sizeof(info->description));
	strlcpy(info->vendor, "parsecd", sizeof(info->vendor));
	info->version_maj = 0;
	info->version_min = 1;
	info->version_rev = 0;
	info->id = WIRE_PROVIDER_PKCS11;
}

/*
 * What an operation costs a worker here, for brokerd's fair share of the
 * workers (broker_cost.c): medians of bench/cost.py through the service on
 * the project's 2-core machine, 2026-12-07, at a load average of 3 to 4,
 * SoftHSMv2 2.6.1 with its token in /tmp. P-256 sign 0.35 ms; a token object
 * made is a file written: P-256 generate 10-50 ms, RSA import 13-48 ms;
 * destroy 1.3-3.5 ms.
 */
#define P11_COST 400
#define P11_COST_CREATE 25000
#define P11_COST_DESTROY 3000
/*
 * A multipart step: its whole round trip through the service, 64 bytes into
 * a SHA-256 on SoftHSMv2, measured 0.22 ms median (load average 3,
 * 2026-12-07), which bounds the worker's share.
 */
#define P11_COST_STEP 220

/* What the token's mechanism list lets us serve, and nothing else. */
static int
p11_serves_generate(void)
{
	return p11_has_mech(CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR) ||
	    p11_has_mech(CKM_RSA_PKCS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR);
}

static int
p11_serves_sign(void)
{
	return p11_has_mech(CKM_ECDSA, CKF_SIGN) || p11_has_mech(CKM_RSA_PKCS, CKF_SIGN) ||
	    p11_has_mech(CKM_RSA_PKCS_PSS, CKF_SIGN);
}

static int
p11_serves_verify(void)
{
	return p11.software_public_operations || p11_has_mech(CKM_ECDSA, CKF_VERIFY) ||
	    p11_has_mech(CKM_RSA_PKCS, CKF_VERIFY) || p11_has_mech(CKM_RSA_PKCS_PSS, CKF_VERIFY);
}

static int
p11_serves_encrypt(void)
{
	return p11.software_public_operations || p11_has_mech(CKM_RSA_PKCS, CKF_ENCRYPT) ||
	    p11_has_mech(CKM_RSA_PKCS_OAEP, CKF_ENCRYPT);
}

static int
p11_serves_decrypt(void)
{
	return p11_has_mech(CKM_RSA_PKCS, CKF_DECRYPT) ||
	    p11_has_mech(CKM_RSA_PKCS_OAEP, CKF_DECRYPT);
}

static int
p11_serves_export(void)
{
	return p11.allow_export;
}

static int
p11_serves_random(void)
{
	return p11.has_rng;
}

static int
p11_serves_aead_encrypt(void)
{
	return p11_has_mech(CKM_AES_GCM, CKF_ENCRYPT);
}

static int
p11_serves_aead_decrypt(void)
{
	return p11_has_mech(CKM_AES_GCM, CKF_DECRYPT);
}

static int
p11_serves_ecdh(void)
{
	return p11_has_mech(CKM_ECDH1_DERIVE, CKF_DERIVE);
}

static int
p11_serves_cipher_encrypt(void)
{
	return p11_has_mech(CKM_AES_CBC, CKF_ENCRYPT) || p11_has_mech(CKM_AES_CTR, CKF_ENCRYPT) ||
	    p11_has_mech(CKM_AES_ECB, CKF_ENCRYPT);
}

static int
p11_serves_cipher_decrypt(void)
{
	return p11_has_mech(CKM_AES_CBC, CKF_DECRYPT) || p11_has_mech(CKM_AES_CTR, CKF_DECRYPT) ||
	    p11_has_mech(CKM_AES_ECB, CKF_DECRYPT);
}

static psa_status_t
prov_pkcs11_op_create(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	if (op->attrs.type > 0xffffu)
		return PSA_ERROR_NOT_SUPPORTED;
	return p11_create(op, key_ref);
}

/* ExtCopyKey: the source's reference, which brokerd alone gives, is in[0]. */
static psa_status_t
prov_pkcs11_op_copy(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	if (op->in[0].len != P11_KEY_ID_LEN)
		return PSA_ERROR_INVALID_HANDLE;
	return p11_copy(op->in[0].ptr, key_ref);
}

static psa_status_t
prov_pkcs11_op_destroy(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	int destroyed;
	CK_RV rv = p11_destroy_all(key_ref, &destroyed);

	if (rv != CKR_OK)
		return p11_status(rv);
	return destroyed > 0 ? PSA_SUCCESS : PSA_ERROR_DOES_NOT_EXIST;
}

/* The public key of a pair, or (allow_export, and the key's policy) the key itself. */
static psa_status_t
prov_pkcs11_op_export(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	psa_status_t st;

	if (op->opcode == OP_PSA_EXPORT_PUBLIC_KEY)
		st = p11_export_public(key_ref, &op->attrs, &data, &len);
	else if ((st = key_policy_check(&op->attrs, op->opcode, 0)) == PSA_SUCCESS)
		st = p11_export(&op->attrs, key_ref, &data, &len);
	if (st == PSA_SUCCESS)
		memcpy(prov_out_alloc(out, res, 0, len), data, len);
	p11_free(data, len);
	return st;
}

/* Every operation, in the order ListOpcodes names those the token serves. */
static const struct prov_op prov_pkcs11_ops[] = {
	{ OP_PSA_GENERATE_KEY, 1, P11_COST_CREATE, prov_pkcs11_op_create, p11_serves_generate,
	    NULL },
	{ OP_PSA_DESTROY_KEY, 1, P11_COST_DESTROY, prov_pkcs11_op_destroy, NULL, NULL },
	{ OP_PSA_SIGN_HASH, 1, P11_COST, p11_op_signature, p11_serves_sign, NULL },
	{ OP_PSA_VERIFY_HASH, 1, P11_COST, p11_op_signature, p11_serves_verify, NULL },
	{ OP_PSA_IMPORT_KEY, 1, P11_COST_CREATE, prov_pkcs11_op_create, NULL, NULL },
	{ OP_PSA_EXPORT_PUBLIC_KEY, 1, P11_COST, prov_pkcs11_op_export, NULL, NULL },
	{ OP_PSA_ASYMMETRIC_ENCRYPT, 1, P11_COST, p11_op_asymmetric, p11_serves_encrypt, NULL },
	{ OP_PSA_ASYMMETRIC_DECRYPT, 1, P11_COST, p11_op_asymmetric, p11_serves_decrypt, NULL },
	{ OP_PSA_EXPORT_KEY, 1, P11_COST, prov_pkcs11_op_export, p11_serves_export, NULL },
	{ OP_PSA_GENERATE_RANDOM, 0, P11_COST, p11_op_random, p11_serves_random, NULL },
	{ OP_PSA_AEAD_ENCRYPT, 1, P11_COST, p11_op_aead, p11_serves_aead_encrypt, NULL },
	{ OP_PSA_AEAD_DECRYPT, 1, P11_COST, p11_op_aead, p11_serves_aead_decrypt, NULL },
	{ OP_PSA_RAW_KEY_AGREEMENT, 1, P11_COST, p11_op_ecdh, p11_serves_ecdh, NULL },
	{ OP_PSA_CIPHER_ENCRYPT, 1, P11_COST, p11_op_cipher, p11_serves_cipher_encrypt, NULL },
	{ OP_PSA_CIPHER_DECRYPT, 1, P11_COST, p11_op_cipher, p11_serves_cipher_decrypt, NULL },
	{ OP_PSA_SIGN_MESSAGE, 1, P11_COST, p11_op_signature, p11_serves_sign, NULL },
	{ OP_PSA_VERIFY_MESSAGE, 1, P11_COST, p11_op_signature, p11_serves_verify, NULL },
	/*
	 * One C_Digest costs as a multipart step; a one-shot MAC looks its key up
	 * as a signature does, and costs about as much. Medians through the
	 * service, 5 alternating rounds of 100 calls, load average 9, 2026-12-07:
	 * SHA-256 of 64 bytes 0.13 ms, HMAC-SHA-256 of 64 bytes 0.40 ms, P-256
	 * sign 0.51 ms.
	 */
	{ OP_PSA_HASH_COMPUTE, 0, P11_COST_STEP, p11_op_hash, p11_serves_hash, NULL },
	{ OP_PSA_HASH_COMPARE, 0, P11_COST_STEP, p11_op_hash, p11_serves_hash, NULL },
	/* Served whenever the token can; named as the Mbed Crypto provider names them. */
	{ OP_PSA_MAC_COMPUTE, 1, P11_COST, p11_op_mac, p11_mac_serves_sign, p11_mac_listed },
	{ OP_PSA_MAC_VERIFY, 1, P11_COST, p11_op_mac, p11_mac_serves_verify, p11_mac_listed },
	{ OP_EXT_GENERATE_VOLATILE, 1, P11_COST_CREATE, prov_pkcs11_op_create,
	    p11_serves_generate, NULL },
	{ OP_EXT_IMPORT_VOLATILE, 1, P11_COST_CREATE, prov_pkcs11_op_create, NULL, NULL },
	{ OP_EXT_COPY_KEY, 1, P11_COST_CREATE, prov_pkcs11_op_copy, NULL, NULL },
	/*
	 * parsecd's extensions (prov_pkcs11_multi.c), on what the token offers: a
	 * step is one call on the operation's own session; a setup opens that
	 * session and costs as a signature (an estimate).
	 */
	{ OP_EXT_ABORT, 0, P11_COST_STEP, p11_multi_abort, p11_multi_serves_any, NULL },
	{ OP_EXT_HASH_SETUP, 0, P11_COST, p11_multi_hash_setup, p11_multi_serves_hash, NULL },
	{ OP_EXT_HASH_UPDATE, 0, P11_COST_STEP, p11_multi_hash_update,
	    p11_multi_serves_hash, NULL },
	{ OP_EXT_HASH_FINISH, 0, P11_COST_STEP, p11_multi_hash_finish,
	    p11_multi_serves_hash, NULL },
	{ OP_EXT_HASH_VERIFY, 0, P11_COST_STEP, p11_multi_hash_finish,
	    p11_multi_serves_hash, NULL },
	{ OP_EXT_HASH_CLONE, 0, P11_COST, p11_multi_hash_setup, p11_multi_serves_clone, NULL },
	{ OP_EXT_MAC_SETUP, 1, P11_COST, p11_multi_mac_setup, p11_multi_serves_mac, NULL },
	{ OP_EXT_MAC_UPDATE, 0, P11_COST_STEP, p11_multi_mac_update, p11_multi_serves_mac, NULL },
	{ OP_EXT_MAC_SIGN_FINISH, 0, P11_COST_STEP, p11_multi_mac_finish,
	    p11_multi_serves_mac, NULL },
	{ OP_EXT_MAC_VERIFY_FINISH, 0, P11_COST_STEP, p11_multi_mac_finish, p11_multi_serves_mac,
	    NULL },
	{ OP_EXT_CIPHER_SETUP, 1, P11_COST, p11_multi_cipher_setup, p11_multi_serves_cipher,
	    NULL },
	{ OP_EXT_CIPHER_GENERATE_IV, 0, P11_COST_STEP, p11_multi_cipher_iv, p11_multi_serves_cipher,
	    NULL },
	{ OP_EXT_CIPHER_SET_IV, 0, P11_COST_STEP, p11_multi_cipher_iv,
	    p11_multi_serves_cipher, NULL },
	{ OP_EXT_CIPHER_UPDATE, 0, P11_COST_STEP, p11_multi_cipher_update, p11_multi_serves_cipher,
	    NULL },
	{ OP_EXT_CIPHER_FINISH, 0, P11_COST_STEP, p11_multi_cipher_finish, p11_multi_serves_cipher,
	    NULL },
	{ OP_EXT_AEAD_SETUP, 1, P11_COST, p11_multi_aead_setup, p11_multi_serves_aead, NULL },
	{ OP_EXT_AEAD_SET_LENGTHS, 0, P11_COST_STEP, p11_multi_aead_step, p11_multi_serves_aead,
	    NULL },
	{ OP_EXT_AEAD_GENERATE_NONCE, 0, P11_COST_STEP, p11_multi_aead_step, p11_multi_serves_aead,
	    NULL },
	{ OP_EXT_AEAD_SET_NONCE, 0, P11_COST_STEP, p11_multi_aead_step, p11_multi_serves_aead,
	    NULL },
	{ OP_EXT_AEAD_UPDATE_AD, 0, P11_COST_STEP, p11_multi_aead_step, p11_multi_serves_aead,
	    NULL },
	{ OP_EXT_AEAD_UPDATE, 0, P11_COST_STEP, p11_multi_aead_step, p11_multi_serves_aead, NULL },
	{ OP_EXT_AEAD_FINISH, 0, P11_COST_STEP, p11_multi_aead_finish, p11_multi_serves_aead,
	    NULL },
	{ OP_EXT_AEAD_VERIFY, 0, P11_COST_STEP, p11_multi_aead_finish, p11_multi_serves_aead,
	    NULL },
};

/*
 * What a module does after login, beyond the provider list (measured with
 * strace on SoftHSMv2's file store; other modules may need relax_seccomp).
 */
static const char *const prov_pkcs11_syscalls[] = {
	"ftruncate",  /* SoftHSM rewrites object files in place */
	"getdents64", /* and rescans its token directory for objects other workers made */
	NULL,
};

/* A module that logs to syslog after an error finds the socket refused. */
static const char *const prov_pkcs11_refused[] = { "socket", "connect", NULL };

const struct prov_backend prov_pkcs11_backend = {
	.name = "provider-pkcs11",
	.provider_id = WIRE_PROVIDER_PKCS11,
	.chroot_state_dir = 0,
	.device_groups = 1,
	.seccomp_extra = prov_pkcs11_syscalls,
	.seccomp_refused = prov_pkcs11_refused,
	.init = prov_pkcs11_init,
	.describe = prov_pkcs11_describe,
	PROV_OPS(prov_pkcs11_ops),
	.key_ref_len = P11_KEY_ID_LEN,
	.drop = p11_multi_drop,
	/* RSA sign and decrypt: 1.0, 1.2, 2.8, 6.0 ms; generate 180, 630, 1470-2460 ms. */
	.rsa_cost = { { 1024, 1000, 60000 }, { 2048, 1200, 190000 }, { 3072, 2800, 590000 },
	    { 4096, 6000, 1470000 } },
};

