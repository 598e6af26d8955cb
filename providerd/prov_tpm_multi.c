/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM provider's multipart hash (parsecd's extension opcodes): each
 * operation is a TPM hash sequence (TPM2_HashSequenceStart, SequenceUpdate,
 * SequenceComplete). Between steps its context is saved here and the object
 * flushed, so that an idle operation holds none of the TPM's few object
 * slots, which keys need. A saved object context may be loaded again, which
 * is what a clone is.
 */
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_rc.h>

#include "prov_multi.h"
#include "prov_tpm.h"
#include "wipe.h"
#include "wire.h"

/* Operations this worker holds at once (saved contexts in its memory). */
#define TPM_MULTI_MAX 256
#define TPM_MULTI_HASH 0

struct tpm_multi {
	struct prov_multi base; /* first: the worker's table of operations */
	TPMS_CONTEXT saved;     /* the sequence, while it is not loaded */
	size_t size;            /* the hash length */
};

/* The TPM's algorithm for a PSA hash (signatures take no SHA-1; a hash does), or TPM2_ALG_ERROR. */
static TPMI_ALG_HASH
tpm_multi_alg(uint32_t alg)
{
	return alg == PSA_ALG_SHA_1 ? TPM2_ALG_SHA1 : prov_tpm_hash(alg);
}

/* The operation's sequence loaded, making room among the cached keys if need be. */
static psa_status_t
tpm_multi_load(const struct tpm_multi *m, ESYS_TR *seq)
{
	TSS2_RC rc;

	do
		rc = Esys_ContextLoad(prov_tpm_esys, &m->saved, seq);
	while (prov_tpm_rc_base(rc) == TPM2_RC_OBJECT_MEMORY && prov_tpm_cache_evict() == 0);
	return rc == TSS2_RC_SUCCESS ? PSA_SUCCESS : prov_tpm_fail(rc, "TPM2_ContextLoad");
}

/* Its context saved into m, and its slot freed. */
static psa_status_t
tpm_multi_park(struct tpm_multi *m, ESYS_TR seq)
{
	TPMS_CONTEXT *ctx = NULL;
	TSS2_RC rc = Esys_ContextSave(prov_tpm_esys, seq, &ctx);

	if (rc == TSS2_RC_SUCCESS) {
		m->saved = *ctx;
		Esys_Free(ctx);
	}
	prov_tpm_flush(seq);
	return rc == TSS2_RC_SUCCESS ? PSA_SUCCESS : prov_tpm_fail(rc, "TPM2_ContextSave");
}

static void
tpm_multi_free(struct tpm_multi *m)
{
	wipe_free(m, sizeof(*m));
}

static void
tpm_multi_end(struct tpm_multi *m)
{
	prov_multi_remove(&m->base);
	tpm_multi_free(m);
}

/* A step's status; any failure ends the operation, as PSA's functions abort on error. */
static psa_status_t
tpm_multi_step_end(struct tpm_multi *m, psa_status_t st)
{
	if (st != PSA_SUCCESS)
		tpm_multi_end(m);
	return st;
}

/* A new sequence for alg, parked: PSA_SUCCESS or why not. */
static psa_status_t
tpm_multi_start(struct tpm_multi *m, uint32_t alg)
{
	TPM2B_AUTH auth = { .size = 0 };
	ESYS_TR seq = ESYS_TR_NONE;
	TSS2_RC rc;

	do
		rc = Esys_HashSequenceStart(prov_tpm_esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
		    &auth, tpm_multi_alg(alg), &seq);
	while (prov_tpm_rc_base(rc) == TPM2_RC_OBJECT_MEMORY && prov_tpm_cache_evict() == 0);
	if (rc != TSS2_RC_SUCCESS)
		return prov_tpm_fail(rc, "TPM2_HashSequenceStart");
	m->size = PSA_HASH_LENGTH(alg);
	return tpm_multi_park(m, seq);
}

PROV_MULTI_HANDLER(prov_tpm_multi_abort)
{
	struct tpm_multi *m = (struct tpm_multi *)prov_multi_any(op);

	if (m != NULL)
		tpm_multi_end(m);
	return PSA_SUCCESS;
}

/* Setup, or a clone: the source's saved context, which loads as often as asked. */
PROV_MULTI_HANDLER(prov_tpm_multi_hash_setup)
{
	struct tpm_multi *m, *src = NULL;
	psa_status_t st = PSA_SUCCESS;

	if (op->opcode == OP_EXT_HASH_CLONE) {
		if ((src = (struct tpm_multi *)prov_multi_find(op, TPM_MULTI_HASH)) == NULL)
			return PSA_ERROR_BAD_STATE;
	} else if (!PSA_ALG_IS_HASH(op->alg)) {
		return PSA_ERROR_INVALID_ARGUMENT;
	} else if (tpm_multi_alg(op->alg) == TPM2_ALG_ERROR) {
		return PSA_ERROR_NOT_SUPPORTED;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	if (!prov_multi_prepare(&m->base, op, TPM_MULTI_HASH, TPM_MULTI_MAX)) {
		free(m);
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	}
	if (src != NULL) {
		m->saved = src->saved;
		m->size = src->size;
	} else {
		st = tpm_multi_start(m, op->alg);
	}
	if (st == PSA_SUCCESS && prov_multi_insert(&m->base, res, out) == 0)
		return PSA_SUCCESS;
	/* A handle brokerd gave twice is its fault; the first one stays. */
	tpm_multi_free(m);
	return st != PSA_SUCCESS ? st : PSA_ERROR_BAD_STATE;
}

PROV_MULTI_HANDLER(prov_tpm_multi_hash_update)
{
	struct tpm_multi *m = (struct tpm_multi *)prov_multi_find(op, TPM_MULTI_HASH);
	TPM2B_MAX_BUFFER buf;
	ESYS_TR seq;
	size_t done, chunk;
	psa_status_t st;
	TSS2_RC rc = TSS2_RC_SUCCESS;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if ((st = tpm_multi_load(m, &seq)) != PSA_SUCCESS)
		return tpm_multi_step_end(m, st);
	for (done = 0; done < op->in[0].len && rc == TSS2_RC_SUCCESS; done += chunk) {
		chunk = op->in[0].len - done;
		if (chunk > sizeof(buf.buffer))
			chunk = sizeof(buf.buffer);
		buf.size = (UINT16)chunk;
		memcpy(buf.buffer, op->in[0].ptr + done, chunk);
		rc = Esys_SequenceUpdate(prov_tpm_esys, seq, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		    ESYS_TR_NONE, &buf);
	}
	explicit_bzero(&buf, sizeof(buf));
	if (rc != TSS2_RC_SUCCESS) {
		prov_tpm_flush(seq);
		return tpm_multi_step_end(m, prov_tpm_fail(rc, "TPM2_SequenceUpdate"));
	}
	return tpm_multi_step_end(m, tpm_multi_park(m, seq));
}

/* The digest, into buf; the sequence is gone after, whatever the answer. */
static psa_status_t
tpm_multi_complete(struct tpm_multi *m, uint8_t *buf, size_t *len)
{
	TPM2B_MAX_BUFFER last = { .size = 0 };
	TPM2B_DIGEST *result = NULL;
	TPMT_TK_HASHCHECK *ticket = NULL;
	psa_status_t st;
	ESYS_TR seq;
	TSS2_RC rc;

	if ((st = tpm_multi_load(m, &seq)) != PSA_SUCCESS)
		return st;
	rc = Esys_SequenceComplete(prov_tpm_esys, seq, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	    ESYS_TR_NONE, &last, ESYS_TR_RH_NULL, &result, &ticket);
	if (rc != TSS2_RC_SUCCESS) {
		prov_tpm_flush(seq);
		return prov_tpm_fail(rc, "TPM2_SequenceComplete");
	}
	if (result->size != m->size) {
		st = PSA_ERROR_HARDWARE_FAILURE;
	} else {
		memcpy(buf, result->buffer, result->size);
		*len = result->size;
	}
	Esys_Free(result);
	Esys_Free(ticket);
	return st;
}

/* Finish and verify end the operation, whatever their answer. */
PROV_MULTI_HANDLER(prov_tpm_multi_hash_finish)
{
	struct tpm_multi *m = (struct tpm_multi *)prov_multi_find(op, TPM_MULTI_HASH);
	uint8_t digest[PSA_HASH_MAX_SIZE], d = 0;
	size_t len = 0, i;
	psa_status_t st;

	if (m == NULL)
		return PSA_ERROR_BAD_STATE;
	if (op->opcode != OP_EXT_HASH_VERIFY &&
	    prov_multi_room(op, PSA_HASH_MAX_SIZE) < m->size)
		return tpm_multi_step_end(m, PSA_ERROR_BUFFER_TOO_SMALL);
	st = tpm_multi_complete(m, digest, &len);
	if (st == PSA_SUCCESS && op->opcode == OP_EXT_HASH_VERIFY) {
		/* Compared in time that does not depend on where they differ. */
		for (i = 0; i < len && op->in[1].len == len; i++)
			d |= digest[i] ^ op->in[1].ptr[i];
		if (op->in[1].len != len || d != 0)
			st = PSA_ERROR_INVALID_SIGNATURE;
	} else if (st == PSA_SUCCESS) {
		memcpy(prov_out_alloc(out, res, 0, len), digest, len);
	}
	tpm_multi_end(m);
	return st;
}

/* A closed connection's operation, already out of the table: no TPM object is loaded. */
static void
tpm_multi_drop_one(struct prov_multi *base)
{
	tpm_multi_free((struct tpm_multi *)base);
}

void
prov_tpm_multi_drop(uint64_t conn)
{
	prov_multi_drop(conn, tpm_multi_drop_one);
}
