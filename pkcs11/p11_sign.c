/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signing and verifying: single-part, and multi-part with the hash computed
 * in the module (raw mechanisms collect the data); the service signs or
 * verifies the hash.
 */
#include <string.h>

#include <mbedtls/rsa.h>

#include "der.h"
#include "p11.h"

#define P11_HASH_MAX 64

/*
 * The signature's length for the operation: its hash's for an HMAC,
 * 2 * ceil(bits / 8) for ECDSA, the modulus for RSA.
 */
static size_t
p11_sig_len(const struct p11_op *op)
{
	const struct p11_key *k = &p11_keys[op->key];
	size_t bytes = (k->attr.bits + 7) / 8;

	if (P11_ALG_IS_HMAC(op->alg))
		return p11_hash_len(PARSEC_PSA_ALG_GET_HASH(op->alg));
	return p11_key_type(k->attr.type) == CKK_EC ? 2 * bytes : bytes;
}

/* Starts a sign or verify operation on a session whose lock is held. */
static CK_RV
p11_sv_init(struct p11_session *s, int kind, const CK_MECHANISM *m, CK_OBJECT_HANDLE key_h)
{
	struct p11_op *op = &s->op[kind];
	/* A signature needs a hash signing usage, an HMAC one for messages (PSA's MAC usage). */
	uint32_t need = kind == P11_OP_SIGN ?
	    PARSEC_PSA_KEY_USAGE_SIGN_HASH | PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE :
	    PARSEC_PSA_KEY_USAGE_VERIFY_HASH | PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE;
	size_t key;
	int is_private;
	CK_RV rv;

	if (op->active)
		return CKR_OPERATION_ACTIVE;
	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	if (p11_key_by_handle(s->slot, key_h, &key, &is_private) != CKR_OK)
		return CKR_KEY_HANDLE_INVALID;
	if ((kind == P11_OP_SIGN && !is_private) || !(p11_keys[key].attr.usage & need))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	memset(op, 0, sizeof(*op));
	op->mech = m->mechanism;
	op->key = key;
	if ((rv = p11_mech_sign_alg(m, &p11_keys[key], &op->alg, &op->hash_alg)) != CKR_OK)
		return rv;
	if (op->hash_alg != 0 && p11_md_start(op, op->hash_alg) == -1)
		return CKR_HOST_MEMORY;
	op->active = 1;
	return CKR_OK;
}

/* Data for the hash or the raw collection. */
static CK_RV
p11_sv_update(struct p11_op *op, const uint8_t *data, size_t len)
{
	if (data == NULL && len > 0)
		return CKR_ARGUMENTS_BAD;
	op->updated = 1;
	if (op->hash_alg != 0)
		return p11_md_update(op, data, len) == 0 ? CKR_OK : CKR_FUNCTION_FAILED;
	if (len > sizeof(op->raw) - op->raw_len)
		return CKR_DATA_LEN_RANGE;
	memcpy(op->raw + op->raw_len, data, len);
	op->raw_len += len;
	return CKR_OK;
}

/*
 * What the service signs: the module's hash, or the raw data (a DigestInfo
 * becomes its hash for CKM_RSA_PKCS; CKM_ECDSA's length names the hash), and
 * the algorithm with its hash.
 */
static CK_RV
p11_sv_input(struct p11_op *op, uint8_t *hash, const uint8_t **in, size_t *in_len,
    uint32_t *alg)
{
	uint32_t h;

	*alg = op->alg;
	if (op->hash_alg != 0) {
		if (p11_md_finish(op, hash, in_len) == -1)
			return CKR_FUNCTION_FAILED;
		*in = hash;
		return CKR_OK;
	}
	*in = op->raw;
	*in_len = op->raw_len;
	if (op->mech == CKM_RSA_PKCS) {
		/* PKCS#1 v1.5 padding takes 11 bytes of the modulus. */
		if (op->raw_len + 11 > (p11_keys[op->key].attr.bits + 7) / 8)
			return CKR_DATA_LEN_RANGE;
		if ((h = p11_digest_info_strip(op->raw, op->raw_len, in, in_len)) != 0)
			*alg = PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(h);
		return CKR_OK;
	}
	if (P11_ALG_IS_HMAC(op->alg))
		return CKR_OK; /* the service MACs the data itself */
	if (op->mech == CKM_ECDSA) {
		if ((h = p11_hash_by_len(op->raw_len)) == 0)
			return CKR_DATA_LEN_RANGE;
		*alg = op->alg | (h & 0xffu);
		return CKR_OK;
	}
	/* CKM_RSA_PKCS_PSS: the hash its parameters named. */
	return op->raw_len == p11_hash_len(PARSEC_PSA_ALG_GET_HASH(op->alg)) ? CKR_OK :
	    CKR_DATA_LEN_RANGE;
}

/*
 * Ends a signature: sizes it (the two-call convention keeps the operation),
 * else signs in the service without the module's lock and ends it.
 */
static CK_RV
p11_sign_finish(struct p11_session *s, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	struct p11_op *op = &s->op[P11_OP_SIGN];
	const struct p11_key *k = &p11_keys[op->key];
	char name[PARSEC_NAME_MAX + 1];
	uint8_t hash[P11_HASH_MAX], input[P11_RAW_MAX];
	const uint8_t *in;
	size_t in_len, need = p11_sig_len(op), got = 0, raw_len, idx;
	CK_MECHANISM_TYPE op_mech = op->mech;
	CK_SLOT_ID slot = s->slot;
	parsec_client *client;
	uint32_t alg;
	CK_RV rv;
	int st;

	if (sig_len == NULL) {
		p11_op_end(op);
		return CKR_ARGUMENTS_BAD;
	}
	if (sig == NULL || *sig_len < need) {
		rv = sig == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
		*sig_len = need;
		return rv;
	}
	if ((rv = p11_sv_input(op, hash, &in, &in_len, &alg)) != CKR_OK ||
	    (rv = p11_pool_get(slot, &client, &idx)) != CKR_OK) {
		p11_op_end(op);
		return rv;
	}
	/* The session's state is the session's: the call works on copies. */
	memcpy(name, k->name, sizeof(name));
	raw_len = 0;
	if (op->hash_alg == 0) { /* else in is the module's hash, on this stack */
		raw_len = op->raw_len;
		memcpy(input, op->raw, raw_len);
		in = input + (in - op->raw);
	}
	p11_unlock();
	if (P11_ALG_IS_HMAC(alg))
		st = parsec_mac_compute(client, name, alg, in, in_len, sig, *sig_len, &got);
	else
		st = parsec_sign_hash(client, name, alg, in, in_len, sig, *sig_len, &got);
	/* A provider without that hash's PKCS#1 signature may still pad a DigestInfo as given. */
	if (st == PARSEC_ERR_NOT_SUPPORTED && op_mech == CKM_RSA_PKCS &&
	    alg != PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN_RAW)
		st = parsec_sign_hash(client, name, PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN_RAW, input,
		    raw_len, sig, *sig_len, &got);
	p11_lock();
	p11_pool_put(slot, idx);
	p11_op_end(op);
	if (st == PARSEC_SUCCESS)
		*sig_len = got;
	return p11_status_rv(st);
}

CK_RV
C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if ((rv = p11_sv_init(s, P11_OP_SIGN, m, key)) != CKR_OK && rv != CKR_OPERATION_ACTIVE)
		p11_op_end(&s->op[P11_OP_SIGN]);
	p11_unlock();
	return rv;
}

CK_RV
C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
    CK_ULONG_PTR sig_len)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_SIGN, 1, &s)) != CKR_OK)
		return rv;
	op = &s->op[P11_OP_SIGN];
	/* The size asked first: the data is taken when the signature is made. */
	if (sig != NULL && sig_len != NULL && *sig_len >= p11_sig_len(op)) {
		rv = p11_sv_update(op, data, len);
		op->updated = 0;
	}
	if (rv == CKR_OK)
		rv = p11_sign_finish(s, sig, sig_len);
	else
		p11_op_end(op);
	p11_unlock();
	return rv;
}

CK_RV
C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_SIGN, 0, &s)) != CKR_OK)
		return rv;
	if ((rv = p11_sv_update(&s->op[P11_OP_SIGN], data, len)) != CKR_OK)
		p11_op_end(&s->op[P11_OP_SIGN]);
	p11_unlock();
	return rv;
}

CK_RV
C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_SIGN, 0, &s)) != CKR_OK)
		return rv;
	rv = p11_sign_finish(s, sig, sig_len);
	p11_unlock();
	return rv;
}

CK_RV
C_VerifyInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if ((rv = p11_sv_init(s, P11_OP_VERIFY, m, key)) != CKR_OK && rv != CKR_OPERATION_ACTIVE)
		p11_op_end(&s->op[P11_OP_VERIFY]);
	p11_unlock();
	return rv;
}

/*
 * Raw PKCS#1 v1.5 (CKM_RSA_PKCS over data that is no DigestInfo) checked in
 * the module with the public key: a provider may permit only signatures of
 * a known hash, and a public key is all the check needs.
 */
static CK_RV
p11_rsa_raw_verify(size_t key, const uint8_t *data, size_t len, const uint8_t *sig,
    size_t sig_len)
{
	uint8_t pub[P11_PUB_MAX];
	const uint8_t *n, *e;
	size_t pub_len, n_len, e_len;
	mbedtls_rsa_context rsa;
	CK_RV rv;
	int r;

	if ((rv = p11_key_public(key, pub, &pub_len)) != CKR_OK)
		return rv;
	if (der_rsa_public_parse(pub, pub_len, &n, &n_len, &e, &e_len) == -1)
		return CKR_FUNCTION_FAILED;
	mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V15, 0);
	r = mbedtls_rsa_import_raw(&rsa, n, n_len, NULL, 0, NULL, 0, NULL, 0, e, e_len);
	if (r == 0)
		r = mbedtls_rsa_complete(&rsa);
	if (r == 0 && mbedtls_rsa_get_len(&rsa) != sig_len)
		r = -1;
	if (r != 0) {
		mbedtls_rsa_free(&rsa);
		return CKR_FUNCTION_FAILED;
	}
	r = mbedtls_rsa_pkcs1_verify(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_NONE,
	    (unsigned int)len, data, sig);
	mbedtls_rsa_free(&rsa);
	return r == 0 ? CKR_OK : CKR_SIGNATURE_INVALID;
}

/* Verifies in the service and ends the operation. */
static CK_RV
p11_verify_finish(struct p11_session *s, const uint8_t *sig, size_t sig_len)
{
	struct p11_op *op = &s->op[P11_OP_VERIFY];
	const struct p11_key *k = &p11_keys[op->key];
	char name[PARSEC_NAME_MAX + 1];
	uint8_t hash[P11_HASH_MAX], input[P11_RAW_MAX];
	const uint8_t *in;
	size_t in_len, idx;
	parsec_client *client;
	CK_SLOT_ID slot = s->slot;
	uint32_t alg = 0;
	CK_RV rv;
	int st;

	if (sig == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (sig_len != p11_sig_len(op))
		rv = CKR_SIGNATURE_LEN_RANGE;
	else
		rv = p11_sv_input(op, hash, &in, &in_len, &alg);
	if (rv == CKR_OK && alg == PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN_RAW)
		rv = p11_rsa_raw_verify(op->key, in, in_len, sig, sig_len);
	else if (rv == CKR_OK && (rv = p11_pool_get(slot, &client, &idx)) == CKR_OK) {
		memcpy(name, k->name, sizeof(name));
		memcpy(input, in, in_len);
		p11_unlock();
		st = P11_ALG_IS_HMAC(alg) ?
		    parsec_mac_verify(client, name, alg, input, in_len, sig, sig_len) :
		    parsec_verify_hash(client, name, alg, input, in_len, sig, sig_len);
		p11_lock();
		p11_pool_put(slot, idx);
		rv = p11_status_rv(st);
	}
	p11_op_end(op);
	return rv;
}

CK_RV
C_Verify(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
    CK_ULONG sig_len)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_VERIFY, 1, &s)) != CKR_OK)
		return rv;
	if ((rv = p11_sv_update(&s->op[P11_OP_VERIFY], data, len)) == CKR_OK)
		rv = p11_verify_finish(s, sig, sig_len);
	else
		p11_op_end(&s->op[P11_OP_VERIFY]);
	p11_unlock();
	return rv;
}

CK_RV
C_VerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_VERIFY, 0, &s)) != CKR_OK)
		return rv;
	if ((rv = p11_sv_update(&s->op[P11_OP_VERIFY], data, len)) != CKR_OK)
		p11_op_end(&s->op[P11_OP_VERIFY]);
	p11_unlock();
	return rv;
}

CK_RV
C_VerifyFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_VERIFY, 0, &s)) != CKR_OK)
		return rv;
	rv = p11_verify_finish(s, sig, sig_len);
	p11_unlock();
	return rv;
}
