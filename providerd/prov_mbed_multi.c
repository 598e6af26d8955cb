/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The software provider's multipart operations and key derivation (parsecd's
 * extension opcodes): each operation's PSA state lives here, in the worker
 * that ran its setup, under the client connection and the handle brokerd
 * chose; brokerd pins every later step to this worker and tells it when the
 * connection closes. The state (keys, intermediate MAC, cipher and derivation
 * state) never leaves the worker. mbedtls 2.28 has no multipart AEAD: its
 * state is prov_mbed_aead.c's, driving mbedtls's low-level modes.
 */
#include <stdlib.h>
#include <string.h>

#include <psa/crypto.h>

#include "key_ref.h"
#include "log.h"
#include "pc_ext.h"
#include "prov_mbed.h"
#include "prov_multi.h"
#include "providerd.h"
#include "wipe.h"
#include "wire.h"

/* Operations one worker holds at once, whatever brokerd's per-application bound. */
#define MULTI_MAX 1024
/* The most bytes one KdfOutputBytes answers. */
#define MULTI_MAX_OUTPUT (1024u * 1024u)

enum multi_kind { MULTI_HASH, MULTI_MAC, MULTI_CIPHER, MULTI_KDF, MULTI_AEAD };

struct multi_op {
	struct prov_multi base; /* first: the worker's table of operations */
	union {
		psa_hash_operation_t hash;
		psa_mac_operation_t mac;
		psa_cipher_operation_t cipher;
		psa_key_derivation_operation_t kdf;
		struct mbed_aead *aead;
	} u;
};

/* The operation a step names, if it is of kind; else NULL (PsaErrorBadState). */
static struct multi_op *
multi_find(const struct op_request *op, enum multi_kind kind)
{
	return (struct multi_op *)prov_multi_find(op, kind);
}

/* Ends an operation's PSA state (an operation never set up ends as well). */
static void
multi_abort_state(struct multi_op *m)
{
	switch (m->base.kind) {
	case MULTI_HASH:
		psa_hash_abort(&m->u.hash);
		break;
	case MULTI_MAC:
		psa_mac_abort(&m->u.mac);
		break;
	case MULTI_CIPHER:
		psa_cipher_abort(&m->u.cipher);
		break;
	case MULTI_KDF:
		psa_key_derivation_abort(&m->u.kdf);
		break;
	case MULTI_AEAD:
		prov_mbed_aead_free(m->u.aead);
		m->u.aead = NULL;
		break;
	}
}

/* Ends an operation and forgets it; its state is wiped. */
static void
multi_end(struct multi_op *m)
{
	multi_abort_state(m);
	prov_multi_remove(&m->base);
	wipe_free(m, sizeof(*m));
}

/* A new operation under the setup's handle (op->handle2), or NULL if this worker is full. */
static struct multi_op *
multi_new(const struct op_request *op, enum multi_kind kind)
{
	struct multi_op *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (!prov_multi_prepare(&m->base, op, kind, MULTI_MAX)) {
		free(m);
		return NULL;
	}
	return m;
}

/*
 * A setup's end: kept under its handle, which the answer names (out[3]), if
 * PSA set it up; else freed.
 */
static psa_status_t
multi_started(struct multi_op *m, psa_status_t st, struct op_result *res, struct prov_out *out)
{
	if (st == PSA_SUCCESS && prov_multi_insert(&m->base, res, out) == 0)
		return PSA_SUCCESS;
	/* A handle brokerd gave twice is its fault; the first one stays. */
	multi_abort_state(m);
	wipe_free(m, sizeof(*m));
	return st != PSA_SUCCESS ? st : PSA_ERROR_BAD_STATE;
}

/* The persistent key id a reference names, or 0. */
static psa_key_id_t
multi_key_id(const uint8_t *key_ref, size_t key_ref_len)
{
	uint32_t v;

	if (key_ref_id(key_ref, key_ref_len, &v) == -1 || v == 0 || v > PSA_KEY_ID_USER_MAX)
		return 0;
	return (psa_key_id_t)v;
}

/*
 * After PSA used a stored key: out of this worker's key slots (the operation
 * keeps its own copy of what it needs), and an id with no key behind it is
 * one that does not exist.
 */
static psa_status_t
multi_key_done(psa_key_id_t id, psa_status_t st)
{
	psa_purge_key(id);
	return st == PSA_ERROR_INVALID_HANDLE ? PSA_ERROR_DOES_NOT_EXIST : st;
}

/* Output bytes: room for max in out[0], then the length written. */
#define OUT(n) prov_out_alloc(out, res, 0, (n))

/* Any operation's end; an operation already gone is ended too. */
PROV_MULTI_HANDLER(prov_mbed_multi_abort)
{
	struct multi_op *m = (struct multi_op *)prov_multi_any(op);

	if (m != NULL)
		multi_end(m);
	return PSA_SUCCESS;
}

/* ---- hash ---- */
PROV_MULTI_HANDLER(prov_mbed_multi_hash_setup)
{
	struct multi_op *m, *source = NULL;

	psa_status_t st;

	if (op->opcode == OP_EXT_HASH_CLONE && (source = multi_find(op, MULTI_HASH)) == NULL)
		return PSA_ERROR_BAD_STATE;
	if ((m = multi_new(op, MULTI_HASH)) == NULL)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	if (source != NULL)
		st = psa_hash_clone(&source->u.hash, &m->u.hash);
	else if (op->opcode == OP_EXT_HASH_RESUME)
		st = prov_mbed_hash_resume(&m->u.hash, op->in[0].ptr, op->in[0].len);
	else
		st = psa_hash_setup(&m->u.hash, op->alg);
	return multi_started(m, st, res, out);
}

PROV_MULTI_HANDLER(prov_mbed_multi_hash_update)
{
	struct multi_op *m = multi_find(op, MULTI_HASH);

	return m == NULL ? PSA_ERROR_BAD_STATE :
	    psa_hash_update(&m->u.hash, op->in[0].ptr, op->in[0].len);
}

/* Finish, verify and suspend end the operation, whatever their answer. */
PROV_MULTI_HANDLER(prov_mbed_multi_hash_finish)
{
	struct multi_op *m = multi_find(op, MULTI_HASH);
	psa_status_t st;
	size_t len = 0;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (op->opcode == OP_EXT_HASH_VERIFY)
		st = psa_hash_verify(&m->u.hash, op->in[1].ptr, op->in[1].len);
	else if (op->opcode == OP_EXT_HASH_SUSPEND)
		st = prov_mbed_hash_suspend(&m->u.hash, OUT(PROV_MBED_HASH_SUSPEND_MAX),
		    prov_multi_room(op, PROV_MBED_HASH_SUSPEND_MAX), &len);
	else
		st = psa_hash_finish(&m->u.hash, OUT(PSA_HASH_MAX_SIZE),
		    prov_multi_room(op, PSA_HASH_MAX_SIZE), &len);
	res->out[0].len = len;
	multi_end(m);
	return st;
}

/* ---- MAC and cipher ---- */
/* A MAC or cipher setup: the key's material goes into the operation, which keeps it. */
PROV_MULTI_HANDLER(prov_mbed_multi_keyed_setup)
{
	psa_key_id_t id = multi_key_id(key_ref, key_ref_len);
	int mac = op->opcode == OP_EXT_MAC_SETUP;
	struct multi_op *m;
	psa_status_t st;

	if (id == 0)
		return PSA_ERROR_INVALID_HANDLE;
	if ((m = multi_new(op, mac ? MULTI_MAC : MULTI_CIPHER)) == NULL)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	if (mac)
		st = (op->number ? psa_mac_verify_setup : psa_mac_sign_setup)(&m->u.mac, id,
		    op->alg);
	else
		st = (op->number ? psa_cipher_decrypt_setup : psa_cipher_encrypt_setup)(
		    &m->u.cipher, id, op->alg);
	return multi_started(m, multi_key_done(id, st), res, out);
}

PROV_MULTI_HANDLER(prov_mbed_multi_mac_update)
{
	struct multi_op *m = multi_find(op, MULTI_MAC);

	return m == NULL ? PSA_ERROR_BAD_STATE :
	    psa_mac_update(&m->u.mac, op->in[0].ptr, op->in[0].len);
}

PROV_MULTI_HANDLER(prov_mbed_multi_mac_finish)
{
	struct multi_op *m = multi_find(op, MULTI_MAC);
	psa_status_t st;
	size_t len = 0;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (op->opcode == OP_EXT_MAC_VERIFY_FINISH)
		st = psa_mac_verify_finish(&m->u.mac, op->in[1].ptr, op->in[1].len);
	else
		st = psa_mac_sign_finish(&m->u.mac, OUT(PSA_MAC_MAX_SIZE),
		    prov_multi_room(op, PSA_MAC_MAX_SIZE), &len);
	res->out[0].len = len;
	multi_end(m);
	return st;
}

PROV_MULTI_HANDLER(prov_mbed_multi_cipher_iv)
{
	struct multi_op *m = multi_find(op, MULTI_CIPHER);
	psa_status_t st;
	size_t len = 0;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (op->opcode == OP_EXT_CIPHER_SET_IV)
		return psa_cipher_set_iv(&m->u.cipher, op->in[0].ptr, op->in[0].len);
	st = psa_cipher_generate_iv(&m->u.cipher, OUT(PSA_CIPHER_IV_MAX_SIZE),
	    prov_multi_room(op, PSA_CIPHER_IV_MAX_SIZE), &len);
	res->out[0].len = len;
	return st;
}

PROV_MULTI_HANDLER(prov_mbed_multi_cipher_update)
{
	struct multi_op *m = multi_find(op, MULTI_CIPHER);
	size_t cap, len = 0;
	psa_status_t st;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	/* What one update may give: the input and a block held back from before. */
	cap = op->in[0].len + PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE;
	st = psa_cipher_update(&m->u.cipher, op->in[0].ptr, op->in[0].len, OUT(cap),
	    prov_multi_room(op, cap), &len);
	res->out[0].len = len;
	return st;
}

PROV_MULTI_HANDLER(prov_mbed_multi_cipher_finish)
{
	struct multi_op *m = multi_find(op, MULTI_CIPHER);
	psa_status_t st;
	size_t len = 0;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	st = psa_cipher_finish(&m->u.cipher, OUT(PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE),
	    prov_multi_room(op, PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE), &len);
	res->out[0].len = len;
	multi_end(m);
	return st;
}

/* ---- key derivation ---- */
PROV_MULTI_HANDLER(prov_mbed_multi_kdf_setup)
{
	struct multi_op *m;

	if ((m = multi_new(op, MULTI_KDF)) == NULL)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	return multi_started(m, psa_key_derivation_setup(&m->u.kdf, op->alg), res, out);
}

PROV_MULTI_HANDLER(prov_mbed_multi_kdf_capacity)
{
	struct multi_op *m = multi_find(op, MULTI_KDF);
	size_t capacity = 0, i;
	psa_status_t st;
	uint8_t *p;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (op->opcode == OP_EXT_KDF_SET_CAPACITY)
		return op->number > SIZE_MAX ? PSA_ERROR_INVALID_ARGUMENT :
		    psa_key_derivation_set_capacity(&m->u.kdf, (size_t)op->number);
	if ((st = psa_key_derivation_get_capacity(&m->u.kdf, &capacity)) != PSA_SUCCESS)
		return st;
	p = prov_out_alloc(out, res, 3, PC_EXT_NUMBER_LEN);
	for (i = 0; i < PC_EXT_NUMBER_LEN; i++)
		p[i] = (uint8_t)((uint64_t)capacity >> (8 * i));
	return PSA_SUCCESS;
}

PROV_MULTI_HANDLER(prov_mbed_multi_kdf_input_bytes)
{
	struct multi_op *m = multi_find(op, MULTI_KDF);

	return m == NULL ? PSA_ERROR_BAD_STATE : psa_key_derivation_input_bytes(&m->u.kdf,
	    op->step, op->in[0].ptr, op->in[0].len);
}

/* KdfInputKey and KdfKeyAgreement: a stored key into the derivation. */
PROV_MULTI_HANDLER(prov_mbed_multi_kdf_input_key)
{
	struct multi_op *m = multi_find(op, MULTI_KDF);
	psa_key_id_t id = multi_key_id(key_ref, key_ref_len);
	psa_status_t st;

	if (id == 0)
		return PSA_ERROR_INVALID_HANDLE;
	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (op->opcode == OP_EXT_KDF_KEY_AGREEMENT)
		st = psa_key_derivation_key_agreement(&m->u.kdf, op->step, id, op->in[1].ptr,
		    op->in[1].len);
	else
		st = psa_key_derivation_input_key(&m->u.kdf, op->step, id);
	return multi_key_done(id, st);
}

PROV_MULTI_HANDLER(prov_mbed_multi_kdf_output_bytes)
{
	struct multi_op *m = multi_find(op, MULTI_KDF);

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (op->number > MULTI_MAX_OUTPUT)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	return psa_key_derivation_output_bytes(&m->u.kdf, OUT((size_t)op->number),
	    (size_t)op->number);
}

/* A new persistent key under the id brokerd reserved, from the next bytes. */
PROV_MULTI_HANDLER(prov_mbed_multi_kdf_output_key)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	struct multi_op *m = multi_find(op, MULTI_KDF);
	psa_key_id_t id = multi_key_id(key_ref, key_ref_len), made;
	psa_status_t st;

	if (id == 0)
		return PSA_ERROR_INVALID_HANDLE;
	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if ((st = prov_mbed_key_attrs(&op->attrs, id, &attrs)) != PSA_SUCCESS)
		return st;
	st = psa_key_derivation_output_key(&attrs, &m->u.kdf, &made);
	psa_reset_key_attributes(&attrs);
	if (st == PSA_SUCCESS)
		psa_purge_key(made); /* the file is the truth; other workers load it from there */
	return st;
}

/* ---- AEAD (prov_mbed_aead.c): a step that fails ends the operation, as PSA says ---- */
PROV_MULTI_HANDLER(prov_mbed_multi_aead_setup)
{
	psa_key_id_t id = multi_key_id(key_ref, key_ref_len);
	struct multi_op *m;
	psa_status_t st;

	if (id == 0)
		return PSA_ERROR_INVALID_HANDLE;
	if ((m = multi_new(op, MULTI_AEAD)) == NULL)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	st = prov_mbed_aead_setup(&m->u.aead, id, op->alg, op->number != 0);
	return multi_started(m, multi_key_done(id, st), res, out);
}

/* A step's answer: an operation that failed is gone. */
static psa_status_t
multi_aead_after(struct multi_op *m, psa_status_t st)
{
	if (st != PSA_SUCCESS)
		multi_end(m);
	return st;
}

PROV_MULTI_HANDLER(prov_mbed_multi_aead_step)
{
	struct multi_op *m = multi_find(op, MULTI_AEAD);
	size_t len = 0, cap;
	psa_status_t st;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	switch (op->opcode) {
	case OP_EXT_AEAD_SET_LENGTHS:
		st = prov_mbed_aead_set_lengths(m->u.aead, op->number, op->number2);
		break;
	case OP_EXT_AEAD_SET_NONCE:
		st = prov_mbed_aead_nonce(m->u.aead, 0, op->in[0].ptr, op->in[0].len, NULL, 0,
		    &len);
		break;
	case OP_EXT_AEAD_GENERATE_NONCE:
		st = prov_mbed_aead_nonce(m->u.aead, 1, NULL, 0, OUT(PSA_AEAD_NONCE_MAX_SIZE),
		    prov_multi_room(op, PSA_AEAD_NONCE_MAX_SIZE), &len);
		res->out[0].len = len;
		break;
	case OP_EXT_AEAD_UPDATE_AD:
		st = prov_mbed_aead_update_ad(m->u.aead, op->in[0].ptr, op->in[0].len);
		break;
	default:
		cap = prov_mbed_aead_update_max(op->in[0].len);
		st = prov_mbed_aead_update(m->u.aead, op->in[0].ptr, op->in[0].len, OUT(cap),
		    prov_multi_room(op, cap), &len);
		res->out[0].len = len;
		break;
	}
	return multi_aead_after(m, st);
}

/* Finish, verify and suspend end the operation, whatever their answer. */
PROV_MULTI_HANDLER(prov_mbed_multi_aead_finish)
{
	struct multi_op *m = multi_find(op, MULTI_AEAD);
	size_t len = 0, tag_len = 0, cap;
	psa_status_t st;
	uint8_t *text;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	cap = prov_mbed_aead_finish_max(m->u.aead);
	text = OUT(cap);
	if (op->opcode == OP_EXT_AEAD_VERIFY)
		st = prov_mbed_aead_verify(m->u.aead, text, prov_multi_room(op, cap), &len,
		    op->in[1].ptr, op->in[1].len);
	else {
		st = prov_mbed_aead_finish(m->u.aead, text, prov_multi_room(op, cap), &len,
		    prov_out_alloc(out, res, 2, PSA_AEAD_TAG_MAX_SIZE), &tag_len);
		res->out[2].len = tag_len;
	}
	res->out[0].len = len;
	multi_end(m);
	return st;
}

/* A closed connection's operation, already out of the table. */
static void
multi_drop_one(struct prov_multi *base)
{
	struct multi_op *m = (struct multi_op *)base;

	multi_abort_state(m);
	wipe_free(m, sizeof(*m));
}

void
prov_mbed_multi_drop(uint64_t conn)
{
	prov_multi_drop(conn, multi_drop_one);
}
