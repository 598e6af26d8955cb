/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RSA-OAEP encryption and decryption in the service (single-part), digests
 * in the module, and random bytes from the service.
 */
#include <string.h>

#include "p11.h"

#define P11_RSA_MAX_BYTES 1024 /* an 8192-bit modulus */

static CK_RV
p11_crypt_init(CK_SESSION_HANDLE h, int kind, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key_h)
{
	uint32_t need = kind == P11_OP_DECRYPT ? PARSEC_PSA_KEY_USAGE_DECRYPT :
	    PARSEC_PSA_KEY_USAGE_ENCRYPT;
	struct p11_session *s;
	struct p11_op *op;
	size_t key;
	int is_private;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	op = &s->op[kind];
	if (op->active) {
		p11_unlock();
		return CKR_OPERATION_ACTIVE;
	}
	if (m == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (p11_key_by_handle(s->slot, key_h, &key, &is_private) != CKR_OK)
		rv = CKR_KEY_HANDLE_INVALID;
	else if ((kind == P11_OP_DECRYPT) != is_private || !(p11_keys[key].attr.usage & need))
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
	else if (p11_key_type(p11_keys[key].attr.type) != CKK_RSA)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	else
		rv = p11_mech_oaep_alg(m, &op->alg, op->label, sizeof(op->label), &op->label_len);
	/* An OAEP key is bound to one hash: another one is a parameter this key cannot take. */
	if (rv == CKR_OK && op->alg != p11_keys[key].attr.alg)
		rv = (p11_keys[key].attr.alg & ~0xffu) == (op->alg & ~0xffu) ?
		    CKR_MECHANISM_PARAM_INVALID : CKR_KEY_FUNCTION_NOT_PERMITTED;
	/*
	 * A TPM takes an OAEP label only as a string with its terminating zero
	 * (parsecd's TPM provider refuses others): said here, not after the data.
	 */
	if (rv == CKR_OK && s->slot == PARSEC_PROVIDER_TPM && op->label_len > 0 &&
	    op->label[op->label_len - 1] != 0)
		rv = CKR_MECHANISM_PARAM_INVALID;
	if (rv == CKR_OK) {
		op->mech = m->mechanism;
		op->key = key;
		op->active = 1;
	} else
		p11_op_end(op);
	p11_unlock();
	return rv;
}

CK_RV
C_EncryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return p11_crypt_init(h, P11_OP_ENCRYPT, m, key);
}

CK_RV
C_DecryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return p11_crypt_init(h, P11_OP_DECRYPT, m, key);
}

/*
 * One RSA-OAEP operation. Asked for the size, it answers the modulus length
 * (an upper bound for a decryption); too small a buffer after a decryption
 * is told the exact length, and the operation stays for the retry.
 */
static CK_RV
p11_crypt(CK_SESSION_HANDLE h, int kind, const uint8_t *in, size_t in_len, uint8_t *out,
    CK_ULONG_PTR out_len)
{
	uint8_t result[P11_RSA_MAX_BYTES], label[256], input[P11_RSA_MAX_BYTES];
	char name[PARSEC_NAME_MAX + 1];
	struct p11_session *s;
	struct p11_op *op;
	parsec_client *client;
	size_t need, got = 0, label_len, idx = 0;
	CK_SLOT_ID slot;
	uint32_t alg;
	CK_RV rv;
	int st;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	op = &s->op[kind];
	if (!op->active) {
		p11_unlock();
		return CKR_OPERATION_NOT_INITIALIZED;
	}
	need = (p11_keys[op->key].attr.bits + 7) / 8;
	if (out_len == NULL || (in == NULL && in_len > 0) || in_len > sizeof(input))
		rv = out_len == NULL || in_len <= sizeof(input) ? CKR_ARGUMENTS_BAD :
		    (kind == P11_OP_DECRYPT ? CKR_ENCRYPTED_DATA_LEN_RANGE : CKR_DATA_LEN_RANGE);
	else if (out == NULL) {
		*out_len = need;
		p11_unlock();
		return CKR_OK;
	} else if (kind == P11_OP_ENCRYPT && *out_len < need) {
		*out_len = need;
		p11_unlock();
		return CKR_BUFFER_TOO_SMALL;
	} else if (kind == P11_OP_DECRYPT && in_len != need)
		rv = CKR_ENCRYPTED_DATA_LEN_RANGE; /* a ciphertext is as long as the modulus */
	else
		rv = p11_pool_get(slot = s->slot, &client, &idx);
	if (rv != CKR_OK) {
		p11_op_end(op);
		p11_unlock();
		return rv;
	}
	memcpy(name, p11_keys[op->key].name, sizeof(name));
	memcpy(label, op->label, op->label_len);
	memcpy(input, in, in_len);
	label_len = op->label_len;
	alg = op->alg;
	p11_unlock();
	st = kind == P11_OP_DECRYPT ?
	    parsec_asymmetric_decrypt(client, name, alg, input, in_len, label, label_len, result,
	    sizeof(result), &got) :
	    parsec_asymmetric_encrypt(client, name, alg, input, in_len, label, label_len, result,
	    sizeof(result), &got);
	p11_lock();
	p11_pool_put(slot, idx);
	rv = p11_status_rv(st);
	if (rv == CKR_OK && *out_len < got) {
		rv = CKR_BUFFER_TOO_SMALL;
		*out_len = got;
	} else {
		if (rv == CKR_OK) {
			memcpy(out, result, got);
			*out_len = got;
		} else if (rv == CKR_ARGUMENTS_BAD || rv == CKR_ENCRYPTED_DATA_INVALID)
			rv = kind == P11_OP_DECRYPT ? CKR_ENCRYPTED_DATA_INVALID : CKR_DATA_LEN_RANGE;
		else if (rv == CKR_MECHANISM_INVALID)
			rv = CKR_MECHANISM_PARAM_INVALID; /* the provider lacks these parameters */
		p11_op_end(op);
	}
	explicit_bzero(result, sizeof(result));
	explicit_bzero(input, sizeof(input));
	p11_unlock();
	return rv;
}

CK_RV
C_Encrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
    CK_ULONG_PTR out_len)
{
	return p11_crypt(h, P11_OP_ENCRYPT, in, in_len, out, out_len);
}

CK_RV
C_Decrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
    CK_ULONG_PTR out_len)
{
	return p11_crypt(h, P11_OP_DECRYPT, in, in_len, out, out_len);
}

static int
p11_is_digest(CK_MECHANISM_TYPE mech)
{
	return mech == CKM_SHA_1 || mech == CKM_SHA224 || mech == CKM_SHA256 ||
	    mech == CKM_SHA384 || mech == CKM_SHA512;
}

CK_RV
C_DigestInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m)
{
	struct p11_session *s;
	struct p11_op *op;
	uint32_t hash;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	op = &s->op[P11_OP_DIGEST];
	if (op->active)
		rv = CKR_OPERATION_ACTIVE;
	else if (m == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (!p11_is_digest(m->mechanism) || !p11_mech_hash(m->mechanism, &hash))
		rv = CKR_MECHANISM_INVALID;
	else if (m->pParameter != NULL || m->ulParameterLen != 0)
		rv = CKR_MECHANISM_PARAM_INVALID;
	else if (p11_md_start(op, hash) == -1)
		rv = CKR_HOST_MEMORY;
	if (rv == CKR_OK) {
		op->mech = m->mechanism;
		op->active = 1;
	}
	p11_unlock();
	return rv;
}

/* The digest, or its size (the operation then stays), or the size needed. */
static CK_RV
p11_digest_out(struct p11_op *op, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	size_t need = p11_hash_len(op->hash_alg), len;

	if (out_len == NULL) {
		p11_op_end(op);
		return CKR_ARGUMENTS_BAD;
	}
	if (out == NULL || *out_len < need) {
		CK_RV rv = out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;

		*out_len = need;
		return rv;
	}
	if (p11_md_finish(op, out, &len) == -1) {
		p11_op_end(op);
		return CKR_FUNCTION_FAILED;
	}
	*out_len = len;
	p11_op_end(op);
	return CKR_OK;
}

CK_RV
C_Digest(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR out,
    CK_ULONG_PTR out_len)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_DIGEST, 1, &s)) != CKR_OK)
		return rv;
	op = &s->op[P11_OP_DIGEST];
	if (data == NULL && len > 0) {
		p11_op_end(op);
		rv = CKR_ARGUMENTS_BAD;
	} else if (out == NULL || out_len == NULL || *out_len < p11_hash_len(op->hash_alg))
		rv = p11_digest_out(op, out, out_len);
	else if (p11_md_update(op, data, len) == -1) {
		p11_op_end(op);
		rv = CKR_FUNCTION_FAILED;
	} else
		rv = p11_digest_out(op, out, out_len);
	p11_unlock();
	return rv;
}

CK_RV
C_DigestUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_DIGEST, 0, &s)) != CKR_OK)
		return rv;
	op = &s->op[P11_OP_DIGEST];
	if ((data == NULL && len > 0) || p11_md_update(op, data, len) == -1) {
		rv = data == NULL ? CKR_ARGUMENTS_BAD : CKR_FUNCTION_FAILED;
		p11_op_end(op);
	} else
		op->updated = 1;
	p11_unlock();
	return rv;
}

CK_RV
C_DigestFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_DIGEST, 0, &s)) != CKR_OK)
		return rv;
	rv = p11_digest_out(&s->op[P11_OP_DIGEST], out, out_len);
	p11_unlock();
	return rv;
}

CK_RV
C_GenerateRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len)
{
	struct p11_session *s;
	parsec_client *client;
	CK_SLOT_ID slot;
	size_t idx;
	CK_RV rv;
	int st;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	slot = s->slot;
	if (out == NULL && len > 0)
		rv = CKR_ARGUMENTS_BAD;
	if (rv != CKR_OK || len == 0 || (rv = p11_pool_get(slot, &client, &idx)) != CKR_OK) {
		p11_unlock();
		return rv;
	}
	p11_unlock();
	st = parsec_generate_random(client, out, len);
	p11_lock();
	p11_pool_put(slot, idx);
	p11_unlock();
	return p11_status_rv(st);
}

CK_RV
C_SeedRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len)
{
	CK_RV rv = p11_check_session(h);

	return rv == CKR_OK ? CKR_RANDOM_SEED_NOT_SUPPORTED : rv;
}
