/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encryption and decryption: RSA-OAEP in the service (single-part); AES
 * with CKM_AES_ECB, CBC, CBC_PAD and CTR built in the module on the
 * service's ECB blocks (the wire's cipher operations choose their own IV,
 * so a caller's IV or counter could not be passed through them), and
 * CKM_AES_GCM done whole in the service (PsaAeadEncrypt takes the caller's
 * nonce and additional data). Digests in the module, and random bytes from
 * the service.
 */
#include <stdlib.h>
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
	else if (p11_is_aes_mech(m->mechanism) ||
	    p11_keys[key].attr.type == PARSEC_PSA_KEY_TYPE_AES) {
		rv = p11_aes_init(s, kind, m, key);
		p11_unlock();
		return rv;
	} else if ((kind == P11_OP_DECRYPT) != is_private || !(p11_keys[key].attr.usage & need))
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
	if (p11_is_aes_mech(op->mech)) {
		p11_unlock();
		return p11_aes_crypt(h, kind, in, in_len, out, out_len);
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

#define P11_AES_CHUNK 16384     /* ECB bytes sent per request */
#define P11_GCM_TAG 16          /* PSA_ALG_GCM's tag: 128 bits */
#define P11_GCM_NONCE_MAX 256
#define P11_GCM_AAD_MAX 65536

/* What a step of an operation needs once the lock is let go. */
struct p11_aes_job {
	char name[PARSEC_NAME_MAX + 1];
	CK_MECHANISM_TYPE mech;
	int encrypt;
	uint8_t iv[P11_AES_BLOCK];
	CK_ULONG ctr_bits;
	uint8_t nonce[P11_GCM_NONCE_MAX];
	uint8_t *aad;            /* a copy, freed by p11_aes_run */
	size_t nonce_len, aad_len;
	parsec_client *client;
};

int
p11_is_aes_mech(CK_MECHANISM_TYPE mech)
{
	return mech == CKM_AES_ECB || mech == CKM_AES_CBC || mech == CKM_AES_CBC_PAD ||
	    mech == CKM_AES_CTR || mech == CKM_AES_GCM;
}

/* GCM's parameters, copied into the operation (the caller's may be freed after init). */
static CK_RV
p11_aes_gcm_params(struct p11_op *op, const CK_MECHANISM *m)
{
	CK_GCM_PARAMS p;

	if (m->pParameter == NULL || m->ulParameterLen != sizeof(p))
		return CKR_MECHANISM_PARAM_INVALID;
	memcpy(&p, m->pParameter, sizeof(p));
	/* The key's policy is GCM with its full tag: a shorter one is another algorithm. */
	if (p.tag_bits != 8 * P11_GCM_TAG || p.iv_ptr == NULL || p.iv_len == 0 ||
	    p.iv_len > P11_GCM_NONCE_MAX || p.aad_len > P11_GCM_AAD_MAX ||
	    (p.aad_ptr == NULL && p.aad_len > 0))
		return CKR_MECHANISM_PARAM_INVALID;
	if ((op->nonce = malloc(p.iv_len)) == NULL ||
	    (op->aad = malloc(p.aad_len + 1)) == NULL)
		return CKR_HOST_MEMORY;
	memcpy(op->nonce, p.iv_ptr, p.iv_len);
	op->nonce_len = p.iv_len;
	if (p.aad_len > 0)
		memcpy(op->aad, p.aad_ptr, p.aad_len);
	op->aad_len = p.aad_len;
	return CKR_OK;
}

/* The mechanism's parameters: none for ECB, a 16-byte IV for CBC, a counter block for CTR. */
static CK_RV
p11_aes_params(struct p11_op *op, const CK_MECHANISM *m)
{
	CK_AES_CTR_PARAMS ctr;

	switch (m->mechanism) {
	case CKM_AES_ECB:
		return m->pParameter == NULL && m->ulParameterLen == 0 ? CKR_OK :
		    CKR_MECHANISM_PARAM_INVALID;
	case CKM_AES_CBC: case CKM_AES_CBC_PAD:
		if (m->pParameter == NULL || m->ulParameterLen != P11_AES_BLOCK)
			return CKR_MECHANISM_PARAM_INVALID;
		memcpy(op->iv, m->pParameter, P11_AES_BLOCK);
		return CKR_OK;
	case CKM_AES_CTR:
		if (m->pParameter == NULL || m->ulParameterLen != sizeof(ctr))
			return CKR_MECHANISM_PARAM_INVALID;
		memcpy(&ctr, m->pParameter, sizeof(ctr));
		if (ctr.counter_bits == 0 || ctr.counter_bits > 8 * P11_AES_BLOCK)
			return CKR_MECHANISM_PARAM_INVALID;
		memcpy(op->iv, ctr.cb, P11_AES_BLOCK);
		op->ctr_bits = ctr.counter_bits;
		return CKR_OK;
	default:
		return p11_aes_gcm_params(op, m);
	}
}

/* C_EncryptInit / C_DecryptInit on an AES key; the lock is held. */
CK_RV
p11_aes_init(struct p11_session *s, int kind, const CK_MECHANISM *m, size_t key)
{
	const struct p11_key *k = &p11_keys[key];
	struct p11_op *op = &s->op[kind];
	uint32_t need = kind == P11_OP_DECRYPT ? PARSEC_PSA_KEY_USAGE_DECRYPT :
	    PARSEC_PSA_KEY_USAGE_ENCRYPT;
	uint32_t alg = p11_aes_from_mech(m->mechanism);
	CK_RV rv;

	if (alg == 0)
		return CKR_MECHANISM_INVALID;
	if (k->attr.type != PARSEC_PSA_KEY_TYPE_AES)
		return CKR_KEY_TYPE_INCONSISTENT;
	if (!(k->attr.usage & need) || k->attr.alg != alg)
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	if ((rv = p11_aes_params(op, m)) != CKR_OK) {
		p11_op_end(op);
		return rv;
	}
	op->mech = m->mechanism;
	op->alg = alg;
	op->key = key;
	op->active = 1;
	return CKR_OK;
}

/* ECB over len bytes (a multiple of the block) in the service, in chunks. */
static CK_RV
p11_aes_ecb(const struct p11_aes_job *j, int encrypt, const uint8_t *in, size_t len,
    uint8_t *out)
{
	size_t off, n, got;
	int st;

	for (off = 0; off < len; off += n) {
		n = len - off < P11_AES_CHUNK ? len - off : P11_AES_CHUNK;
		got = 0;
		st = encrypt ?
		    parsec_cipher_encrypt(j->client, j->name, PARSEC_PSA_ALG_ECB_NO_PADDING,
		    in + off, n, out + off, n, &got) :
		    parsec_cipher_decrypt(j->client, j->name, PARSEC_PSA_ALG_ECB_NO_PADDING,
		    in + off, n, out + off, n, &got);
		if (st != PARSEC_SUCCESS)
			return p11_status_rv(st);
		if (got != n)
			return CKR_DEVICE_ERROR;
	}
	return CKR_OK;
}

static void
p11_aes_xor(uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = a[i] ^ b[i];
}

/* Adds one to the counter's low ctr_bits bits, wrapping within them (v2.40 2.8.4). */
static void
p11_aes_ctr_next(uint8_t cb[P11_AES_BLOCK], CK_ULONG ctr_bits)
{
	int i;
	CK_ULONG bits;

	for (i = P11_AES_BLOCK - 1, bits = ctr_bits; i >= 0 && bits > 0; i--, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)((1u << bits) - 1);
		uint8_t v = (uint8_t)(((cb[i] & mask) + 1) & mask);

		cb[i] = (uint8_t)((cb[i] & ~mask) | v);
		if (v != 0 || bits < 8)
			break;
	}
}

/* CTR: the keystream is ECB of the counter blocks, made in one request per chunk. */
static CK_RV
p11_aes_ctr(struct p11_aes_job *j, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t blocks = (len + P11_AES_BLOCK - 1) / P11_AES_BLOCK, i;
	uint8_t *ks;
	CK_RV rv;

	if ((ks = malloc(blocks * P11_AES_BLOCK + 1)) == NULL)
		return CKR_HOST_MEMORY;
	for (i = 0; i < blocks; i++) {
		memcpy(ks + i * P11_AES_BLOCK, j->iv, P11_AES_BLOCK);
		p11_aes_ctr_next(j->iv, j->ctr_bits);
	}
	rv = p11_aes_ecb(j, 1, ks, blocks * P11_AES_BLOCK, ks);
	if (rv == CKR_OK)
		p11_aes_xor(out, in, ks, len);
	explicit_bzero(ks, blocks * P11_AES_BLOCK);
	free(ks);
	return rv;
}

/* CBC: encryption chains, a request per block; decryption is one ECB pass then the XORs. */
static CK_RV
p11_aes_cbc(struct p11_aes_job *j, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t x[P11_AES_BLOCK], prev[P11_AES_BLOCK];
	size_t off;
	CK_RV rv = CKR_OK;

	if (j->encrypt) {
		for (off = 0; off < len && rv == CKR_OK; off += P11_AES_BLOCK) {
			p11_aes_xor(x, in + off, j->iv, P11_AES_BLOCK);
			if ((rv = p11_aes_ecb(j, 1, x, P11_AES_BLOCK, out + off)) == CKR_OK)
				memcpy(j->iv, out + off, P11_AES_BLOCK);
		}
		explicit_bzero(x, sizeof(x));
		return rv;
	}
	if ((rv = p11_aes_ecb(j, 0, in, len, out)) != CKR_OK)
		return rv;
	for (off = 0; off < len; off += P11_AES_BLOCK) {
		memcpy(prev, in + off, P11_AES_BLOCK);
		p11_aes_xor(out + off, out + off, j->iv, P11_AES_BLOCK);
		memcpy(j->iv, prev, P11_AES_BLOCK);
	}
	return CKR_OK;
}

/* GCM, whole, in the service: ciphertext || tag out of an encryption. */
static CK_RV
p11_aes_gcm(const struct p11_aes_job *j, const uint8_t *in, size_t len, uint8_t *out,
    size_t cap, size_t *got)
{
	int st;

	st = j->encrypt ?
	    parsec_aead_encrypt(j->client, j->name, PARSEC_PSA_ALG_GCM, j->nonce, j->nonce_len,
	    j->aad, j->aad_len, in, len, out, cap, got) :
	    parsec_aead_decrypt(j->client, j->name, PARSEC_PSA_ALG_GCM, j->nonce, j->nonce_len,
	    j->aad, j->aad_len, in, len, out, cap, got);
	if (st == PARSEC_ERR_INVALID_SIGNATURE)
		return CKR_ENCRYPTED_DATA_INVALID; /* the tag does not verify */
	if (st == PARSEC_ERR_INVALID_ARGUMENT || st == PARSEC_ERR_NOT_SUPPORTED)
		return CKR_MECHANISM_PARAM_INVALID; /* a nonce length the provider refuses */
	return p11_status_rv(st);
}

/*
 * One step's work on buf[0 .. take) into out; *produced is what it gave.
 * A final CBC_PAD step pads (encryption: buf has room for the pad) or
 * checks and strips the padding (decryption).
 */
static CK_RV
p11_aes_work(struct p11_aes_job *j, int final, uint8_t *buf, size_t take, uint8_t *out,
    size_t cap, size_t *produced)
{
	size_t pad, i;
	CK_RV rv;

	*produced = take;
	if (j->mech == CKM_AES_GCM)
		return p11_aes_gcm(j, buf, take, out, cap, produced);
	if (j->mech == CKM_AES_CTR)
		return p11_aes_ctr(j, buf, take, out);
	if (j->mech == CKM_AES_CBC_PAD && final && j->encrypt) {
		pad = P11_AES_BLOCK - take % P11_AES_BLOCK; /* PKCS#7: 1 to 16 bytes */
		memset(buf + take, (int)pad, pad);
		take += pad;
		*produced = take;
	}
	if (j->mech == CKM_AES_ECB)
		rv = p11_aes_ecb(j, j->encrypt, buf, take, out);
	else
		rv = p11_aes_cbc(j, buf, take, out);
	if (rv != CKR_OK || j->mech != CKM_AES_CBC_PAD || !final || j->encrypt)
		return rv;
	pad = take > 0 ? out[take - 1] : 0;
	if (pad == 0 || pad > P11_AES_BLOCK)
		return CKR_ENCRYPTED_DATA_INVALID;
	for (i = take - pad; i < take; i++) {
		if (out[i] != pad)
			return CKR_ENCRYPTED_DATA_INVALID;
	}
	*produced = take - pad;
	return CKR_OK;
}

enum p11_aes_step { P11_AES_SINGLE, P11_AES_UPDATE, P11_AES_FINAL };

/*
 * How much of total bytes (held back and new) a step consumes (*take) and
 * the output it needs room for; a length the mode cannot take is an error.
 */
static CK_RV
p11_aes_sizes(const struct p11_op *op, int encrypt, enum p11_aes_step step, size_t total,
    size_t *take, size_t *need)
{
	CK_RV len_rv = encrypt ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE;
	size_t rem = total % P11_AES_BLOCK;

	if (total > P11_AES_DATA_MAX)
		return len_rv;
	*take = *need = total;
	if (op->mech == CKM_AES_GCM) {
		if (step == P11_AES_UPDATE) {
			*take = *need = 0; /* collected: GCM is done whole at C_*Final */
			return total > P11_RAW_MAX ? len_rv : CKR_OK;
		}
		if (!encrypt && total < P11_GCM_TAG)
			return len_rv;
		*need = encrypt ? total + P11_GCM_TAG : total - P11_GCM_TAG;
		return CKR_OK;
	}
	if (step == P11_AES_UPDATE) {
		*take = *need = total - rem;
		/* CBC_PAD decryption keeps its last block back: it holds the padding. */
		if (op->mech == CKM_AES_CBC_PAD && !encrypt && rem == 0 && total > 0)
			*take = *need = total - P11_AES_BLOCK;
		return CKR_OK;
	}
	if (op->mech == CKM_AES_CTR)
		return CKR_OK;
	if (op->mech == CKM_AES_CBC_PAD && encrypt) {
		*need = total - rem + P11_AES_BLOCK;
		return CKR_OK;
	}
	if (rem != 0 || (op->mech == CKM_AES_CBC_PAD && total == 0))
		return len_rv;
	return CKR_OK;
}

/*
 * The job for a step, copied from the operation while the lock is held, so
 * that the operation may end meanwhile (C_CloseSession from another thread).
 */
static CK_RV
p11_aes_job_fill(struct p11_aes_job *j, const struct p11_op *op, int encrypt)
{
	memcpy(j->name, p11_keys[op->key].name, sizeof(j->name));
	j->mech = op->mech;
	j->encrypt = encrypt;
	memcpy(j->iv, op->iv, sizeof(j->iv));
	j->ctr_bits = op->ctr_bits;
	j->nonce_len = op->nonce_len;
	if (op->nonce_len > 0)
		memcpy(j->nonce, op->nonce, op->nonce_len);
	j->aad_len = op->aad_len;
	if ((j->aad = malloc(op->aad_len + 1)) == NULL)
		return CKR_HOST_MEMORY;
	if (op->aad_len > 0)
		memcpy(j->aad, op->aad, op->aad_len);
	return CKR_OK;
}

/* The service's part of a step, without the lock. */
static CK_RV
p11_aes_run(struct p11_session *s, struct p11_op *op, struct p11_aes_job *j,
    enum p11_aes_step step, uint8_t *buf, size_t take, uint8_t *res, size_t cap,
    size_t *produced)
{
	CK_SLOT_ID slot = s->slot;
	size_t idx;
	CK_RV rv;

	if ((rv = p11_aes_job_fill(j, op, op == &s->op[P11_OP_ENCRYPT])) != CKR_OK ||
	    (rv = p11_pool_get(slot, &j->client, &idx)) != CKR_OK) {
		free(j->aad);
		return rv;
	}
	p11_unlock();
	rv = p11_aes_work(j, step != P11_AES_UPDATE, buf, take, res, cap, produced);
	explicit_bzero(j->aad, j->aad_len);
	free(j->aad);
	p11_lock();
	p11_pool_put(slot, idx);
	return rv;
}

/* The bytes a step works on: those held back, then the new ones (room for a pad after). */
static uint8_t *
p11_aes_gather(const struct p11_op *op, const uint8_t *in, size_t in_len)
{
	uint8_t *buf = malloc(op->raw_len + in_len + P11_AES_BLOCK);

	if (buf == NULL)
		return NULL;
	memcpy(buf, op->raw, op->raw_len);
	if (in_len > 0)
		memcpy(buf + op->raw_len, in, in_len);
	return buf;
}

/*
 * One step of an AES operation: C_Encrypt/C_Decrypt (single), C_*Update or
 * C_*Final. Asked the size (out NULL) or given too little room, it answers
 * the size and the operation stays; any other end ends it, but an update
 * that worked.
 */
static CK_RV
p11_aes_step(CK_SESSION_HANDLE h, int kind, enum p11_aes_step step, const uint8_t *in,
    size_t in_len, uint8_t *out, CK_ULONG_PTR out_len)
{
	struct p11_aes_job j = { .client = NULL };
	struct p11_session *s;
	struct p11_op *op;
	uint8_t *buf = NULL, *res = NULL;
	size_t total, take = 0, need = 0, produced = 0;
	CK_RV rv;

	if ((rv = p11_op_enter(h, kind, step == P11_AES_SINGLE, &s)) != CKR_OK)
		return rv;
	op = &s->op[kind];
	if (!p11_is_aes_mech(op->mech)) {
		p11_unlock();
		return CKR_FUNCTION_NOT_SUPPORTED; /* RSA-OAEP is single-part */
	}
	total = op->raw_len + in_len;
	if (out_len == NULL || (in == NULL && in_len > 0))
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = p11_aes_sizes(op, kind == P11_OP_ENCRYPT, step, total, &take, &need);
	/* An update with nothing to give out goes on; any other step with no buffer is sized. */
	if (rv == CKR_OK && ((out == NULL && (step != P11_AES_UPDATE || need > 0)) ||
	    (out != NULL && *out_len < need))) {
		rv = out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
		*out_len = need;
		p11_unlock();
		return rv;
	}
	if (rv == CKR_OK && ((buf = p11_aes_gather(op, in, in_len)) == NULL ||
	    (res = malloc(need + P11_AES_BLOCK)) == NULL))
		rv = CKR_HOST_MEMORY;
	/* A last step runs even on no data: CBC_PAD pads it, GCM tags it. */
	if (rv == CKR_OK && (take > 0 || step != P11_AES_UPDATE))
		rv = p11_aes_run(s, op, &j, step, buf, take, res, need + P11_AES_BLOCK, &produced);
	if (rv == CKR_OK && produced > 0)
		memcpy(out, res, produced);
	if (rv == CKR_OK)
		*out_len = produced;
	if (rv == CKR_OK && step == P11_AES_UPDATE && op->active) {
		/* What was not consumed is held back; the chain or counter moves on. */
		op->raw_len = total - take;
		memcpy(op->raw, buf + take, op->raw_len);
		if (take > 0 && op->mech != CKM_AES_GCM)
			memcpy(op->iv, j.iv, sizeof(op->iv));
		op->updated = 1;
	} else
		p11_op_end(op);
	if (buf != NULL)
		explicit_bzero(buf, total + P11_AES_BLOCK);
	if (res != NULL)
		explicit_bzero(res, need + P11_AES_BLOCK);
	explicit_bzero(&j, sizeof(j));
	free(buf);
	free(res);
	p11_unlock();
	return rv;
}

CK_RV
p11_aes_crypt(CK_SESSION_HANDLE h, int kind, const uint8_t *in, size_t in_len, uint8_t *out,
    CK_ULONG_PTR out_len)
{
	return p11_aes_step(h, kind, P11_AES_SINGLE, in, in_len, out, out_len);
}

CK_RV
C_EncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
    CK_ULONG_PTR out_len)
{
	return p11_aes_step(h, P11_OP_ENCRYPT, P11_AES_UPDATE, in, in_len, out, out_len);
}

CK_RV
C_EncryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return p11_aes_step(h, P11_OP_ENCRYPT, P11_AES_FINAL, NULL, 0, out, out_len);
}

CK_RV
C_DecryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
    CK_ULONG_PTR out_len)
{
	return p11_aes_step(h, P11_OP_DECRYPT, P11_AES_UPDATE, in, in_len, out, out_len);
}

CK_RV
C_DecryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	return p11_aes_step(h, P11_OP_DECRYPT, P11_AES_FINAL, NULL, 0, out, out_len);
}
