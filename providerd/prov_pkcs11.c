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
#include "prov_pkcs11.h"
#include "prov_policy.h"
#include "wire.h"

static int
prov_pkcs11_init(const struct setup_provider *setup)
{
	int r;

	p11.software_public_operations = setup->software_public_operations != 0;
	p11.allow_export = setup->allow_export != 0;
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

/* What the token's mechanism list lets us serve, and nothing else. */
static size_t
prov_pkcs11_opcodes(uint32_t *ops, size_t max)
{
	int ec_sign = p11_has_mech(CKM_ECDSA, CKF_SIGN);
	int rsa_sign = p11_has_mech(CKM_RSA_PKCS, CKF_SIGN) ||
	    p11_has_mech(CKM_RSA_PKCS_PSS, CKF_SIGN);
	int verify = p11.software_public_operations || p11_has_mech(CKM_ECDSA, CKF_VERIFY) ||
	    p11_has_mech(CKM_RSA_PKCS, CKF_VERIFY) || p11_has_mech(CKM_RSA_PKCS_PSS, CKF_VERIFY);
	int rsa_crypt = p11_has_mech(CKM_RSA_PKCS, CKF_DECRYPT) ||
	    p11_has_mech(CKM_RSA_PKCS_OAEP, CKF_DECRYPT);
	struct {
		uint32_t op;
		int on;
	} table[] = {
		{ OP_PSA_GENERATE_KEY, p11_has_mech(CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR) ||
		    p11_has_mech(CKM_RSA_PKCS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR) },
		{ OP_PSA_DESTROY_KEY, 1 },
		{ OP_PSA_SIGN_HASH, ec_sign || rsa_sign },
		{ OP_PSA_VERIFY_HASH, verify },
		{ OP_PSA_IMPORT_KEY, 1 },
		{ OP_PSA_EXPORT_PUBLIC_KEY, 1 },
		{ OP_PSA_ASYMMETRIC_ENCRYPT, p11.software_public_operations ||
		    p11_has_mech(CKM_RSA_PKCS, CKF_ENCRYPT) ||
		    p11_has_mech(CKM_RSA_PKCS_OAEP, CKF_ENCRYPT) },
		{ OP_PSA_ASYMMETRIC_DECRYPT, rsa_crypt },
		{ OP_PSA_EXPORT_KEY, p11.allow_export },
		{ OP_PSA_GENERATE_RANDOM, p11.has_rng },
		{ OP_PSA_AEAD_ENCRYPT, p11_has_mech(CKM_AES_GCM, CKF_ENCRYPT) },
		{ OP_PSA_AEAD_DECRYPT, p11_has_mech(CKM_AES_GCM, CKF_DECRYPT) },
		{ OP_PSA_RAW_KEY_AGREEMENT, p11_has_mech(CKM_ECDH1_DERIVE, CKF_DERIVE) },
		{ OP_PSA_CIPHER_ENCRYPT, p11_has_mech(CKM_AES_CBC, CKF_ENCRYPT) ||
		    p11_has_mech(CKM_AES_CTR, CKF_ENCRYPT) },
		{ OP_PSA_CIPHER_DECRYPT, p11_has_mech(CKM_AES_CBC, CKF_DECRYPT) ||
		    p11_has_mech(CKM_AES_CTR, CKF_DECRYPT) },
		{ OP_PSA_SIGN_MESSAGE, ec_sign || rsa_sign },
		{ OP_PSA_VERIFY_MESSAGE, verify },
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof(table) / sizeof(table[0]) && n < max; i++)
		if (table[i].on)
			ops[n++] = table[i].op;
	return n;
}

static void
prov_pkcs11_handle(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	uint8_t *data = NULL;
	size_t len = 0;
	uint32_t st;

	op_result_status(res, ST_SUCCESS);
	if (op->opcode == OP_PSA_GENERATE_RANDOM) {
		res->status = p11_ops_random(op->number, res, out);
		return;
	}
	if (wire_opcode_key_use(op->opcode) == WIRE_KEY_NONE) {
		res->status = ST_PSA_NOT_SUPPORTED;
		return;
	}
	if (key_ref_len != P11_KEY_ID_LEN) {
		res->status = ST_PSA_INVALID_HANDLE;
		return;
	}
	switch (op->opcode) {
	case OP_PSA_GENERATE_KEY:
	case OP_PSA_IMPORT_KEY:
		if (op->attrs.type > 0xffffu) {
			res->status = ST_PSA_NOT_SUPPORTED;
			return;
		}
		res->status = p11_create(op, key_ref);
		return;
	case OP_PSA_DESTROY_KEY: {
		int destroyed;
		CK_RV rv = p11_destroy_all(key_ref, &destroyed);

		res->status = rv != CKR_OK ? p11_status(rv) :
		    destroyed > 0 ? ST_SUCCESS : ST_PSA_DOES_NOT_EXIST;
		return;
	}
	case OP_PSA_EXPORT_PUBLIC_KEY:
		st = p11_export_public(key_ref, &op->attrs, &data, &len);
		break;
	case OP_PSA_EXPORT_KEY:
		if ((st = prov_policy_check(&op->attrs, op->opcode, 0)) == ST_SUCCESS)
			st = p11_export(&op->attrs, key_ref, &data, &len);
		break;
	default:
		res->status = p11_ops_keyed(op, key_ref, res, out);
		return;
	}
	if (st == ST_SUCCESS)
		memcpy(prov_out_alloc(out, res, 0, len), data, len);
	p11_free(data, len);
	res->status = st;
}

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
	.opcodes = prov_pkcs11_opcodes,
	.handle = prov_pkcs11_handle,
};

