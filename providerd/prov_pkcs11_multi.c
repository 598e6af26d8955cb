/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 provider's multipart hash, MAC and cipher (parsecd's extension
 * opcodes): each operation runs on a token session of its own, opened at its
 * setup and closed at its end (finish, abort, an error, or the client
 * connection closing), because a PKCS#11 session holds one operation of a
 * kind at a time. The intermediate state stays on the token; this worker
 * keeps only the session and what PSA's rules need (direction, IV set).
 */
#include <stdlib.h>
#include <string.h>

#include <psa/crypto.h>

#include "ipc.h"
#include "log.h"
#include "prov_multi.h"
#include "prov_p11.h"
#include "key_policy.h"
#include "wipe.h"
#include "wire.h"

/* Operations (token sessions) this worker holds at once, whatever brokerd's bound. */
#define P11M_MAX 256
#define P11M_BLOCK 16

/* Additional data one AEAD operation, and all of a worker's, may hold until the text starts. */
#define P11M_AD_MAX (256u * 1024u)
#define P11M_AD_WORKER_MAX (16u * 1024u * 1024u)

enum p11m_kind { P11M_HASH, P11M_MAC, P11M_CIPHER, P11M_AEAD };

/* An AEAD encryption's state until the token runs it (the AEAD section below says why). */
struct p11m_aead {
	size_t tag_len, nonce_len;
	int nonce_set, lengths_set, text_seen;
	uint64_t ad_len, text_len, ad_given, text_given;
	uint8_t nonce[PSA_AEAD_NONCE_MAX_SIZE];
	uint8_t *ad; /* held until the first update or the finish: CK_GCM_PARAMS takes it whole */
	size_t ad_cap;
};

/* What this worker's AEAD operations hold now. */
static size_t p11m_ad_total;

struct p11m_op {
	struct prov_multi base; /* first: the worker's table of operations */
	CK_SESSION_HANDLE session;
	uint32_t alg;
	int reverse;          /* MAC verify, cipher decrypt */
	int signs;            /* a MAC computed by the token (sign, or a truncated MAC's check) */
	int started;          /* the token runs the operation (a cipher: once it has an IV) */
	size_t size;          /* hash or MAC length */
	size_t full;          /* a MAC's length before truncation */
	uint64_t fed;         /* a cipher's input so far */
	CK_OBJECT_HANDLE key; /* a cipher's (AEAD's) key, for its init once the IV is known */
	struct p11m_aead *aead;
};

/* The operation a step names, if it is of kind; else NULL (PsaErrorBadState). */
static struct p11m_op *
p11m_find(const struct op_request *op, enum p11m_kind kind)
{
	return (struct p11m_op *)prov_multi_find(op, kind);
}

/* An AEAD's held additional data, wiped and given back. */
static void
p11m_aead_unhold(struct p11m_aead *a)
{
	if (a->ad != NULL) {
		p11m_ad_total -= a->ad_cap;
		wipe_free(a->ad, a->ad_cap);
	}
	a->ad = NULL;
	a->ad_cap = 0;
}

/* Closing the session ends whatever operation the token still runs on it. */
static void
p11m_free(struct p11m_op *m)
{
	if (m->session != CK_INVALID_HANDLE)
		p11.module->C_CloseSession(m->session);
	if (m->aead != NULL) {
		p11m_aead_unhold(m->aead);
		wipe_free(m->aead, sizeof(*m->aead));
	}
	free(m);
}

static void
p11m_end(struct p11m_op *m)
{
	prov_multi_remove(&m->base);
	p11m_free(m);
}

/* A step's status; any failure ends the operation, as PSA's functions abort on error. */
static psa_status_t
p11m_step_end(struct p11m_op *m, psa_status_t st)
{
	if (st != PSA_SUCCESS)
		p11m_end(m);
	return st;
}

/* A new operation with its own session, under the setup's handle (op->handle2). */
static psa_status_t
p11m_new(const struct op_request *op, enum p11m_kind kind, struct p11m_op **mp)
{
	struct p11m_op *m;
	CK_RV rv;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	if (!prov_multi_prepare(&m->base, op, kind, P11M_MAX)) {
		free(m);
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	}
	m->alg = op->alg;
	m->reverse = op->number != 0;
	if ((rv = p11.module->C_OpenSession(p11.slot, CKF_SERIAL_SESSION, NULL, NULL,
	    &m->session)) != CKR_OK) {
		free(m);
		return rv == CKR_SESSION_COUNT ? PSA_ERROR_INSUFFICIENT_MEMORY : p11_status(rv);
	}
	*mp = m;
	return PSA_SUCCESS;
}

/* A setup's end: kept under its handle, which the answer names (out[3]), or freed. */
static psa_status_t
p11m_started(struct p11m_op *m, psa_status_t st, struct op_result *res, struct prov_out *out)
{
	if (st == PSA_SUCCESS && prov_multi_insert(&m->base, res, out) == 0)
		return PSA_SUCCESS;
	/* A handle brokerd gave twice is its fault; the first one stays. */
	p11m_free(m);
	return st != PSA_SUCCESS ? st : PSA_ERROR_BAD_STATE;
}

int
p11_multi_serves_hash(void)
{
	return p11_serves_hash();
}

/* A clone needs the token to save and restore a digest's state; probed once. */
int
p11_multi_serves_clone(void)
{
	static int probed = -1;
	CK_MECHANISM mech = { CKM_SHA256, NULL, 0 };
	CK_SESSION_HANDLE s;
	CK_ULONG len = 0;

	if (probed != -1)
		return probed;
	probed = 0;
	if (!p11_multi_serves_hash() || p11.module->C_OpenSession(p11.slot, CKF_SERIAL_SESSION,
	    NULL, NULL, &s) != CKR_OK)
		return probed;
	if (p11.module->C_DigestInit(s, &mech) == CKR_OK &&
	    p11.module->C_GetOperationState(s, NULL, &len) == CKR_OK && len > 0)
		probed = 1;
	p11.module->C_CloseSession(s);
	return probed;
}

int
p11_multi_serves_mac(void)
{
	return p11_mac_serves_sign();
}

int
p11_multi_serves_cipher(void)
{
	return p11_has_mech(CKM_AES_CBC, CKF_ENCRYPT) || p11_has_mech(CKM_AES_CTR, CKF_ENCRYPT) ||
	    p11_has_mech(CKM_AES_ECB, CKF_ENCRYPT);
}

int
p11_multi_serves_any(void)
{
	return p11_multi_serves_hash() || p11_multi_serves_mac() || p11_multi_serves_cipher() ||
	    p11_multi_serves_aead();
}


/* Any operation's end; an operation already gone is ended too. */
PROV_MULTI_HANDLER(p11_multi_abort)
{
	struct p11m_op *m = (struct p11m_op *)prov_multi_any(op);

	if (m != NULL)
		p11m_end(m);
	return PSA_SUCCESS;
}

/* ---- hash ---- */
/* A clone: the source's saved state restored on the clone's own session. */
static psa_status_t
p11m_hash_clone(const struct p11m_op *src, struct p11m_op *m)
{
	CK_ULONG len = 0;
	uint8_t *state;
	CK_RV rv;

	if (!p11_multi_serves_clone())
		return PSA_ERROR_NOT_SUPPORTED;
	if ((rv = p11.module->C_GetOperationState(src->session, NULL, &len)) != CKR_OK)
		return p11_status(rv);
	if (len == 0 || len > IPC_MAX_PAYLOAD || (state = malloc(len)) == NULL)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	if ((rv = p11.module->C_GetOperationState(src->session, state, &len)) == CKR_OK)
		rv = p11.module->C_SetOperationState(m->session, state, len, CK_INVALID_HANDLE,
		    CK_INVALID_HANDLE);
	wipe_free(state, len);
	m->alg = src->alg;
	m->size = src->size;
	return p11_status(rv);
}

PROV_MULTI_HANDLER(p11_multi_hash_setup)
{
	CK_MECHANISM mech = { 0, NULL, 0 };
	struct p11m_op *m, *src = NULL;
	psa_status_t st;

	if (op->opcode == OP_EXT_HASH_CLONE) {
		if ((src = p11m_find(op, P11M_HASH)) == NULL)
			return PSA_ERROR_BAD_STATE;
	} else if (!PSA_ALG_IS_HASH(op->alg)) {
		return PSA_ERROR_INVALID_ARGUMENT;
	} else if (!p11_digest_mech(op->alg, &mech.mechanism)) {
		return PSA_ERROR_NOT_SUPPORTED;
	}
	if ((st = p11m_new(op, P11M_HASH, &m)) != PSA_SUCCESS)
		return st;
	if (src != NULL) {
		st = p11m_hash_clone(src, m);
	} else {
		m->size = PSA_HASH_LENGTH(op->alg);
		st = p11_status(p11.module->C_DigestInit(m->session, &mech));
	}
	return p11m_started(m, st, res, out);
}

PROV_MULTI_HANDLER(p11_multi_hash_update)
{
	struct p11m_op *m = p11m_find(op, P11M_HASH);

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	return p11m_step_end(m, p11_status(p11.module->C_DigestUpdate(m->session,
	    (uint8_t *)op->in[0].ptr, op->in[0].len)));
}

/* Finish and verify end the operation, whatever their answer. */
PROV_MULTI_HANDLER(p11_multi_hash_finish)
{
	struct p11m_op *m = p11m_find(op, P11M_HASH);
	uint8_t digest[PSA_HASH_MAX_SIZE];
	CK_ULONG len = sizeof(digest);
	psa_status_t st;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (op->opcode != OP_EXT_HASH_VERIFY && prov_multi_room(op, PSA_HASH_MAX_SIZE) < m->size)
		return p11m_step_end(m, PSA_ERROR_BUFFER_TOO_SMALL);
	st = p11_status(p11.module->C_DigestFinal(m->session, digest, &len));
	if (st == PSA_SUCCESS && len != m->size)
		st = PSA_ERROR_HARDWARE_FAILURE;
	if (st == PSA_SUCCESS && op->opcode == OP_EXT_HASH_VERIFY) {
		if (op->in[1].len != len || !p11_mac_equal(op->in[1].ptr, digest, len))
			st = PSA_ERROR_INVALID_SIGNATURE;
	} else if (st == PSA_SUCCESS) {
		memcpy(prov_out_alloc(out, res, 0, len), digest, len);
	}
	p11m_end(m);
	return st;
}

/* ---- MAC ---- */
PROV_MULTI_HANDLER(p11_multi_mac_setup)
{
	int verify = op->number != 0;
	struct p11_mac mac;
	struct p11m_op *m;
	psa_status_t st;

	if ((st = p11_mac_prepare(op, verify, key_ref, key_ref_len, &mac)) != PSA_SUCCESS)
		return st;
	if ((st = p11m_new(op, P11M_MAC, &m)) != PSA_SUCCESS)
		return st;
	m->size = mac.len;
	m->full = mac.full;
	m->signs = p11_mac_signs(&mac, verify);
	st = p11_mac_init(m->session, &mac, verify);
	return p11m_started(m, st, res, out);
}

PROV_MULTI_HANDLER(p11_multi_mac_update)
{
	struct p11m_op *m = p11m_find(op, P11M_MAC);
	CK_RV rv;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	rv = m->signs ? p11.module->C_SignUpdate(m->session, (uint8_t *)op->in[0].ptr,
	    op->in[0].len) : p11.module->C_VerifyUpdate(m->session, (uint8_t *)op->in[0].ptr,
	    op->in[0].len);
	return p11m_step_end(m, p11_status(rv));
}

/*
 * Sign finish, or verify finish: by the token for a full-length MAC, here on
 * the token's MAC for a truncated one. Either ends the operation.
 */
PROV_MULTI_HANDLER(p11_multi_mac_finish)
{
	struct p11m_op *m = p11m_find(op, P11M_MAC);
	int verify = op->opcode == OP_EXT_MAC_VERIFY_FINISH;
	uint8_t mac[PSA_MAC_MAX_SIZE];
	CK_ULONG len = sizeof(mac);
	struct p11_mac want;
	psa_status_t st;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (verify != m->reverse)
		return p11m_step_end(m, PSA_ERROR_BAD_STATE);
	if (!verify && prov_multi_room(op, PSA_MAC_MAX_SIZE) < m->size)
		return p11m_step_end(m, PSA_ERROR_BUFFER_TOO_SMALL);
	memset(&want, 0, sizeof(want));
	want.len = m->size;
	want.full = m->full;
	if (verify && op->in[1].len != m->size)
		st = PSA_ERROR_INVALID_SIGNATURE;
	else if (!m->signs)
		st = p11_mac_verify_status(p11.module->C_VerifyFinal(m->session,
		    (uint8_t *)op->in[1].ptr, op->in[1].len));
	else if ((st = p11_status(p11.module->C_SignFinal(m->session, mac, &len))) !=
	    PSA_SUCCESS)
		;
	else if (verify)
		st = p11_mac_check(&want, mac, len, op->in[1].ptr, op->in[1].len);
	else if (len != m->full)
		st = PSA_ERROR_HARDWARE_FAILURE;
	else
		memcpy(prov_out_alloc(out, res, 0, m->size), mac, m->size);
	explicit_bzero(mac, sizeof(mac));
	p11m_end(m);
	return st;
}

/* ---- cipher ---- */
/* A secret key of the token, after the key's PSA policy, which the token does not keep. */
static psa_status_t
p11m_key(const struct op_request *op, uint32_t usage, const uint8_t *key_ref,
    size_t key_ref_len, CK_OBJECT_HANDLE *key)
{
	if (key_ref_len != P11_KEY_ID_LEN)
		return PSA_ERROR_INVALID_HANDLE;
	if (!key_policy_permits(&op->attrs, usage, op->alg))
		return PSA_ERROR_NOT_PERMITTED;
	return p11_find_key(CKO_SECRET_KEY, key_ref, key);
}

/* The token's mechanism for a PSA cipher on AES; ECB has no IV, so its operation starts now. */
static int
p11m_cipher_mech(uint32_t alg, CK_MECHANISM_TYPE *mech, int decrypt)
{
	if (alg == PSA_ALG_CBC_NO_PADDING)
		*mech = CKM_AES_CBC;
	else if (alg == PSA_ALG_CBC_PKCS7)
		*mech = CKM_AES_CBC_PAD;
	else if (alg == PSA_ALG_CTR)
		*mech = CKM_AES_CTR;
	else if (alg == PSA_ALG_ECB_NO_PADDING)
		*mech = CKM_AES_ECB;
	else
		return 0;
	return p11_has_mech(*mech, decrypt ? CKF_DECRYPT : CKF_ENCRYPT);
}

/* The token's operation, from the IV (none for ECB). */
static psa_status_t
p11m_cipher_init(struct p11m_op *m, const uint8_t *iv, size_t iv_len)
{
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_AES_CTR_PARAMS ctr;
	uint8_t iv_copy[P11M_BLOCK];
	CK_RV rv;

	if (!p11m_cipher_mech(m->alg, &mech.mechanism, m->reverse))
		return PSA_ERROR_NOT_SUPPORTED;
	if (m->alg == PSA_ALG_CTR) {
		memset(&ctr, 0, sizeof(ctr));
		ctr.ulCounterBits = 128;
		memcpy(ctr.cb, iv, iv_len);
		mech.pParameter = &ctr;
		mech.ulParameterLen = sizeof(ctr);
	} else if (iv_len > 0) {
		memcpy(iv_copy, iv, iv_len);
		mech.pParameter = iv_copy;
		mech.ulParameterLen = iv_len;
	}
	rv = m->reverse ? p11.module->C_DecryptInit(m->session, &mech, m->key) :
	    p11.module->C_EncryptInit(m->session, &mech, m->key);
	if (rv == CKR_OK)
		m->started = 1;
	return p11_status(rv);
}

PROV_MULTI_HANDLER(p11_multi_cipher_setup)
{
	int decrypt = op->number != 0;
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;
	struct p11m_op *m;
	psa_status_t st;

	st = p11m_key(op, decrypt ? PSA_KEY_USAGE_DECRYPT : PSA_KEY_USAGE_ENCRYPT, key_ref,
	    key_ref_len, &key);
	if (st != PSA_SUCCESS)
		return st;
	if (!PSA_ALG_IS_CIPHER(op->alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (op->attrs.type != PSA_KEY_TYPE_AES || !p11m_cipher_mech(op->alg, &mech, decrypt))
		return PSA_ERROR_NOT_SUPPORTED;
	if ((st = p11m_new(op, P11M_CIPHER, &m)) != PSA_SUCCESS)
		return st;
	m->key = key;
	if (op->alg == PSA_ALG_ECB_NO_PADDING)
		st = p11m_cipher_init(m, NULL, 0);
	return p11m_started(m, st, res, out);
}

/* SetIv, or GenerateIv from the token's random: once, and never for ECB. */
PROV_MULTI_HANDLER(p11_multi_cipher_iv)
{
	struct p11m_op *m = p11m_find(op, P11M_CIPHER);
	uint8_t iv[P11M_BLOCK];
	psa_status_t st;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (m->started || (op->opcode == OP_EXT_CIPHER_GENERATE_IV && m->reverse))
		return p11m_step_end(m, PSA_ERROR_BAD_STATE);
	if (op->opcode == OP_EXT_CIPHER_SET_IV) {
		if (op->in[0].len != P11M_BLOCK)
			return p11m_step_end(m, PSA_ERROR_INVALID_ARGUMENT);
		return p11m_step_end(m, p11m_cipher_init(m, op->in[0].ptr, op->in[0].len));
	}
	if (prov_multi_room(op, P11M_BLOCK) < P11M_BLOCK)
		return p11m_step_end(m, PSA_ERROR_BUFFER_TOO_SMALL);
	if ((st = p11_status(p11.module->C_GenerateRandom(m->session, iv, sizeof(iv)))) ==
	    PSA_SUCCESS && (st = p11m_cipher_init(m, iv, sizeof(iv))) == PSA_SUCCESS)
		memcpy(prov_out_alloc(out, res, 0, sizeof(iv)), iv, sizeof(iv));
	return p11m_step_end(m, st);
}

/* A token's refusal of a cipher's data: a partial block, or (decrypting) bad padding. */
static psa_status_t
p11m_cipher_status(const struct p11m_op *m, CK_RV rv)
{
	if (rv == CKR_DATA_LEN_RANGE || (m->reverse && rv == CKR_ENCRYPTED_DATA_LEN_RANGE))
		return PSA_ERROR_INVALID_ARGUMENT;
	return m->reverse ? p11_decrypt_status(rv, PSA_ERROR_INVALID_PADDING) : p11_status(rv);
}

PROV_MULTI_HANDLER(p11_multi_cipher_update)
{
	struct p11m_op *m = p11m_find(op, P11M_CIPHER);
	size_t cap;
	CK_ULONG len;
	uint8_t *p;
	CK_RV rv;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (!m->started)
		return p11m_step_end(m, PSA_ERROR_BAD_STATE);
	/* Nothing in, nothing out; SoftHSMv2 refuses an empty padded decryption step. */
	if (op->in[0].len == 0)
		return PSA_SUCCESS;
	if (op->in[0].len > IPC_MAX_PAYLOAD - P11M_BLOCK)
		return p11m_step_end(m, PSA_ERROR_INVALID_ARGUMENT);
	/* What one update may give: the input and a block the token held back. */
	cap = op->in[0].len + P11M_BLOCK;
	p = prov_out_alloc(out, res, 0, cap);
	len = cap;
	m->fed += op->in[0].len;
	rv = m->reverse ? p11.module->C_DecryptUpdate(m->session, (uint8_t *)op->in[0].ptr,
	    op->in[0].len, p, &len) : p11.module->C_EncryptUpdate(m->session,
	    (uint8_t *)op->in[0].ptr, op->in[0].len, p, &len);
	res->out[0].len = rv == CKR_OK ? len : 0;
	if (rv == CKR_OK && len > prov_multi_room(op, cap)) {
		res->out[0].len = 0;
		return p11m_step_end(m, PSA_ERROR_BUFFER_TOO_SMALL);
	}
	return p11m_step_end(m, rv == CKR_OK ? PSA_SUCCESS : p11m_cipher_status(m, rv));
}

/*
 * Whether a block mode ends without whole blocks, or a padded decryption
 * without a block to unpad: judged here, as mbedtls does, since tokens
 * report it in several ways.
 */
static int
p11m_cipher_partial(const struct p11m_op *m)
{
	if (m->alg == PSA_ALG_CTR)
		return 0;
	if (m->alg == PSA_ALG_CBC_PKCS7)
		return m->reverse && (m->fed == 0 || m->fed % P11M_BLOCK != 0);
	return m->fed % P11M_BLOCK != 0;
}

PROV_MULTI_HANDLER(p11_multi_cipher_finish)
{
	struct p11m_op *m = p11m_find(op, P11M_CIPHER);
	uint8_t *p;
	CK_ULONG len = P11M_BLOCK;
	psa_status_t st = PSA_SUCCESS;
	CK_RV rv;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (!m->started || p11m_cipher_partial(m)) {
		st = m->started ? PSA_ERROR_INVALID_ARGUMENT : PSA_ERROR_BAD_STATE;
		p11m_end(m);
		return st;
	}
	p = prov_out_alloc(out, res, 0, P11M_BLOCK);
	rv = m->reverse ? p11.module->C_DecryptFinal(m->session, p, &len) :
	    p11.module->C_EncryptFinal(m->session, p, &len);
	res->out[0].len = rv == CKR_OK ? len : 0;
	if (rv != CKR_OK)
		st = p11m_cipher_status(m, rv);
	else if (len > prov_multi_room(op, P11M_BLOCK))
		st = PSA_ERROR_BUFFER_TOO_SMALL;
	if (st != PSA_SUCCESS)
		res->out[0].len = 0;
	p11m_end(m);
	return st;
}

/*
 * ---- AEAD: AES-GCM encryption ----
 * SoftHSMv2 2.6.1, measured (2026-12-07): C_EncryptUpdate with CKM_AES_GCM
 * gives back exactly its input's length of ciphertext and C_EncryptFinal the
 * tag alone, so an encryption keeps PSA's output bounds (update: its input;
 * finish: no text, the tag). Its decryption gives nothing at C_DecryptUpdate
 * and the whole plaintext at C_DecryptFinal, which PSA_AEAD_VERIFY_OUTPUT_SIZE
 * (a block) cannot hold: a multipart decryption is PsaErrorNotSupported here,
 * the one-shot PsaAeadDecrypt serves it. The token takes the additional data
 * at its init (CK_GCM_PARAMS), so update_ad's parts are held until the first
 * update or the finish; the nonce is held as well. The token has no CCM.
 */
int
p11_multi_serves_aead(void)
{
	return p11_has_mech(CKM_AES_GCM, CKF_ENCRYPT);
}

PROV_MULTI_HANDLER(p11_multi_aead_setup)
{
	int decrypt = op->number != 0;
	size_t tag_len = PSA_ALG_AEAD_GET_TAG_LENGTH(op->alg);
	CK_OBJECT_HANDLE key;
	struct p11m_op *m;
	psa_status_t st;

	if (!PSA_ALG_IS_AEAD(op->alg) || PSA_ALG_IS_WILDCARD(op->alg))
		return PSA_ERROR_NOT_SUPPORTED;
	if (key_ref_len != P11_KEY_ID_LEN)
		return PSA_ERROR_INVALID_HANDLE;
	if (!key_policy_permits(&op->attrs, decrypt ? PSA_KEY_USAGE_DECRYPT :
	    PSA_KEY_USAGE_ENCRYPT, op->alg))
		return PSA_ERROR_NOT_PERMITTED;
	if (decrypt || op->attrs.type != PSA_KEY_TYPE_AES ||
	    PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(op->alg) != PSA_ALG_GCM ||
	    !p11_has_mech(CKM_AES_GCM, CKF_ENCRYPT))
		return PSA_ERROR_NOT_SUPPORTED;
	if (tag_len < 4 || tag_len > 16)
		return PSA_ERROR_INVALID_ARGUMENT;
	if ((st = p11_find_key(CKO_SECRET_KEY, key_ref, &key)) != PSA_SUCCESS)
		return st;
	if ((st = p11m_new(op, P11M_AEAD, &m)) != PSA_SUCCESS)
		return st;
	m->key = key;
	if ((m->aead = calloc(1, sizeof(*m->aead))) == NULL)
		st = PSA_ERROR_INSUFFICIENT_MEMORY;
	else
		m->aead->tag_len = tag_len;
	return p11m_started(m, st, res, out);
}

/* The nonce, given (1 to 13 bytes, as Mbed TLS's GCM takes) or made by the token (12). */
static psa_status_t
p11m_aead_nonce(struct p11m_op *m, const struct op_request *op, struct op_result *res,
    struct prov_out *out)
{
	struct p11m_aead *a = m->aead;
	psa_status_t st;

	if (a->nonce_set)
		return PSA_ERROR_BAD_STATE;
	if (op->opcode == OP_EXT_AEAD_SET_NONCE) {
		if (op->in[0].len < 1 || op->in[0].len > sizeof(a->nonce))
			return PSA_ERROR_INVALID_ARGUMENT;
		memcpy(a->nonce, op->in[0].ptr, op->in[0].len);
		a->nonce_len = op->in[0].len;
	} else {
		if (prov_multi_room(op, PSA_AEAD_NONCE_MAX_SIZE) < 12)
			return PSA_ERROR_BUFFER_TOO_SMALL;
		if ((st = p11_status(p11.module->C_GenerateRandom(m->session, a->nonce, 12))) !=
		    PSA_SUCCESS)
			return st;
		a->nonce_len = 12;
		memcpy(prov_out_alloc(out, res, 0, 12), a->nonce, 12);
	}
	a->nonce_set = 1;
	return PSA_SUCCESS;
}

/* More additional data, held (bounded per operation and per worker). */
static psa_status_t
p11m_aead_hold(struct p11m_aead *a, const uint8_t *in, size_t len)
{
	size_t need = (size_t)a->ad_given + len, cap;
	uint8_t *p;

	if (len == 0)
		return PSA_SUCCESS;
	if (len > P11M_AD_MAX || need > P11M_AD_MAX)
		return PSA_ERROR_NOT_SUPPORTED;
	if (need > a->ad_cap) {
		cap = need < 256 ? 256 : need * 2 > P11M_AD_MAX ? P11M_AD_MAX : need * 2;
		if (p11m_ad_total + cap - a->ad_cap > P11M_AD_WORKER_MAX ||
		    (p = malloc(cap)) == NULL)
			return PSA_ERROR_INSUFFICIENT_MEMORY;
		if (a->ad_given > 0)
			memcpy(p, a->ad, a->ad_given);
		p11m_aead_unhold(a);
		a->ad = p;
		a->ad_cap = cap;
		p11m_ad_total += cap;
	}
	memcpy(a->ad + a->ad_given, in, len);
	return PSA_SUCCESS;
}

/* The token's encryption, once: with the nonce and all the additional data. */
static psa_status_t
p11m_aead_start(struct p11m_op *m)
{
	struct p11m_aead *a = m->aead;
	CK_GCM_PARAMS gcm;
	CK_MECHANISM mech = { CKM_AES_GCM, &gcm, sizeof(gcm) };
	CK_RV rv;

	if (m->started)
		return PSA_SUCCESS;
	memset(&gcm, 0, sizeof(gcm));
	gcm.pIv = a->nonce;
	gcm.ulIvLen = a->nonce_len;
	gcm.ulIvBits = a->nonce_len * 8;
	gcm.pAAD = a->ad_given > 0 ? a->ad : NULL;
	gcm.ulAADLen = a->ad_given;
	gcm.ulTagBits = a->tag_len * 8;
	rv = p11.module->C_EncryptInit(m->session, &mech, m->key);
	p11m_aead_unhold(a);
	if (rv != CKR_OK)
		return rv == CKR_KEY_SIZE_RANGE ? PSA_ERROR_NOT_SUPPORTED : p11_status(rv);
	m->started = 1;
	return PSA_SUCCESS;
}

/* update_ad and update: PSA's order (nonce first, data before text) and lengths. */
static psa_status_t
p11m_aead_data(struct p11m_op *m, const struct op_request *op, struct op_result *res,
    struct prov_out *out)
{
	struct p11m_aead *a = m->aead;
	size_t len = op->in[0].len;
	CK_ULONG got;
	uint8_t *p;
	psa_status_t st;

	if (!a->nonce_set)
		return PSA_ERROR_BAD_STATE;
	if (op->opcode == OP_EXT_AEAD_UPDATE_AD) {
		if (a->text_seen)
			return PSA_ERROR_BAD_STATE;
		if (a->lengths_set && len > a->ad_len - a->ad_given)
			return PSA_ERROR_INVALID_ARGUMENT;
		if ((st = p11m_aead_hold(a, op->in[0].ptr, len)) == PSA_SUCCESS)
			a->ad_given += len;
		return st;
	}
	if (a->lengths_set && (a->ad_given != a->ad_len || len > a->text_len - a->text_given))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (len > IPC_MAX_PAYLOAD - P11M_BLOCK)
		return PSA_ERROR_INVALID_ARGUMENT;
	a->text_seen = 1;
	if ((st = p11m_aead_start(m)) != PSA_SUCCESS || len == 0)
		return st;
	/* The token writes as much as it is given room for, or says BufferTooSmall. */
	p = prov_out_alloc(out, res, 0, len + P11M_BLOCK);
	got = prov_multi_room(op, len + P11M_BLOCK);
	st = p11_status(p11.module->C_EncryptUpdate(m->session, (uint8_t *)op->in[0].ptr, len,
	    p, &got));
	res->out[0].len = st == PSA_SUCCESS ? got : 0;
	if (st == PSA_SUCCESS)
		a->text_given += len;
	return st;
}

PROV_MULTI_HANDLER(p11_multi_aead_step)
{
	struct p11m_op *m = p11m_find(op, P11M_AEAD);
	struct p11m_aead *a;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	a = m->aead;
	switch (op->opcode) {
	case OP_EXT_AEAD_SET_LENGTHS:
		if (a->lengths_set || a->ad_given != 0 || a->text_seen)
			return p11m_step_end(m, PSA_ERROR_BAD_STATE);
		a->lengths_set = 1;
		a->ad_len = op->number;
		a->text_len = op->number2;
		return PSA_SUCCESS;
	case OP_EXT_AEAD_SET_NONCE:
	case OP_EXT_AEAD_GENERATE_NONCE:
		return p11m_step_end(m, p11m_aead_nonce(m, op, res, out));
	default:
		return p11m_step_end(m, p11m_aead_data(m, op, res, out));
	}
}

/* Finish: no text left (the token streamed it all), then the tag; verify never applies. */
PROV_MULTI_HANDLER(p11_multi_aead_finish)
{
	struct p11m_op *m = p11m_find(op, P11M_AEAD);
	struct p11m_aead *a;
	uint8_t tag[PSA_AEAD_TAG_MAX_SIZE];
	CK_ULONG len = sizeof(tag);
	psa_status_t st;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	a = m->aead;
	if (op->opcode == OP_EXT_AEAD_VERIFY || !a->nonce_set)
		st = PSA_ERROR_BAD_STATE;
	else if (a->lengths_set && (a->ad_given != a->ad_len || a->text_given != a->text_len))
		st = PSA_ERROR_INVALID_ARGUMENT;
	else if ((st = p11m_aead_start(m)) == PSA_SUCCESS &&
	    (st = p11_status(p11.module->C_EncryptFinal(m->session, tag, &len))) == PSA_SUCCESS) {
		if (len != a->tag_len)
			st = PSA_ERROR_HARDWARE_FAILURE;
		else
			memcpy(prov_out_alloc(out, res, 2, len), tag, len);
	}
	explicit_bzero(tag, sizeof(tag));
	p11m_end(m);
	return st;
}

/* A closed connection's operation, already out of the table. */
static void
p11m_drop_one(struct prov_multi *base)
{
	p11m_free((struct p11m_op *)base);
}

void
p11_multi_drop(uint64_t conn)
{
	prov_multi_drop(conn, p11m_drop_one);
}
