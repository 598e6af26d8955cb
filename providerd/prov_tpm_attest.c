/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM backend, key attestation with TPM2_ActivateCredential, as upstream's
 * TPM provider serves it: PrepareKeyAttestation gives a third party the
 * attested key's name and public area and the endorsement key's public key;
 * that party runs MakeCredential (TPM 2.0 Part 1, B.10.4) for that name and
 * sends the credential blob and secret with AttestKey; only this TPM, holding
 * both the endorsement key and an object of that name, gives the credential
 * back. The attesting key is always the default endorsement key (RSA 2048,
 * the TCG EK Credential Profile's template), as upstream.
 *
 * The endorsement key is made on first use and kept as a saved context; its
 * policy (PolicySecret of the endorsement hierarchy) needs that hierarchy's
 * password at every AttestKey, so the ESAPI keeps it for the worker's life.
 */
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "log.h"
#include "prov_tpm.h"
#include "providerd.h"
#include "wire.h"

/* PolicySecret(TPM_RH_ENDORSEMENT): the EK template's authPolicy (TCG EK profile). */
static const uint8_t tpm_ek_policy[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5,
	0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b,
	0x33, 0x14, 0x69, 0xaa,
};

static struct {
	int ready;          /* the TPM has what attestation needs */
	int have_ek;        /* ek and ek_pub hold the endorsement key */
	TPMS_CONTEXT ek;
	TPM2B_PUBLIC ek_pub;
} att;

static void
tpm_ek_template(TPM2B_PUBLIC *tmpl)
{
	TPMT_PUBLIC *p = &tmpl->publicArea;

	prov_tpm_rsa_storage_template(tmpl, TPMA_OBJECT_ADMINWITHPOLICY, 128);
	p->authPolicy.size = sizeof(tpm_ek_policy);
	memcpy(p->authPolicy.buffer, tpm_ek_policy, sizeof(tpm_ek_policy));
	p->unique.rsa.size = 256;
}

/* Whether the TPM implements every command attestation uses (one GetCapability). */
static int
tpm_attest_commands(void)
{
	static const TPM2_CC need[] = { TPM2_CC_ActivateCredential, TPM2_CC_PolicySecret,
		TPM2_CC_StartAuthSession, TPM2_CC_ContextSave, TPM2_CC_ContextLoad };
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	size_t i, k, found = 0;

	if (Esys_GetCapability(prov_tpm_esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    TPM2_CAP_COMMANDS, TPM2_CC_FIRST, TPM2_MAX_CAP_CC, &more, &cap) != TSS2_RC_SUCCESS)
		return 0;
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		for (k = 0; k < cap->data.command.count; k++)
			if ((cap->data.command.commandAttributes[k] & TPMA_CC_COMMANDINDEX_MASK) ==
			    (need[i] & TPMA_CC_COMMANDINDEX_MASK)) {
				found++;
				break;
			}
	Esys_Free(cap);
	return found == sizeof(need) / sizeof(need[0]);
}

/*
 * At start: whether attestation is served (the commands, and RSA 2048 with
 * AES-128-CFB for the EK), with the endorsement hierarchy's password given
 * to the ESAPI, which keeps it.
 */
void
prov_tpm_attest_init(const struct setup_provider *setup)
{
	TPMT_PUBLIC_PARMS parms;
	TPM2B_PUBLIC tmpl;
	TPM2B_AUTH auth;

	tpm_ek_template(&tmpl);
	memset(&parms, 0, sizeof(parms));
	parms.type = TPM2_ALG_RSA;
	parms.parameters.rsaDetail = tmpl.publicArea.parameters.rsaDetail;
	att.ready = tpm_attest_commands() && Esys_TestParms(prov_tpm_esys, ESYS_TR_NONE,
	    ESYS_TR_NONE, ESYS_TR_NONE, &parms) == TSS2_RC_SUCCESS;
	if (!att.ready || setup->endorsement_hierarchy_auth_len > sizeof(auth.buffer)) {
		att.ready = 0;
		log_info("key attestation is not served: the TPM lacks what it needs");
		return;
	}
	memset(&auth, 0, sizeof(auth));
	auth.size = (UINT16)setup->endorsement_hierarchy_auth_len;
	memcpy(auth.buffer, setup->endorsement_hierarchy_auth, auth.size);
	if (Esys_TR_SetAuth(prov_tpm_esys, ESYS_TR_RH_ENDORSEMENT, &auth) != TSS2_RC_SUCCESS)
		att.ready = 0;
	explicit_bzero(&auth, sizeof(auth));
}

int
prov_tpm_attest_ready(void)
{
	return att.ready;
}

/*
 * A failed command authorized by the endorsement hierarchy's password: a
 * refused password is the configuration's (our handles are fine), the rest
 * as any TPM error. Upstream answers a refused password GenericError.
 */
static psa_status_t
tpm_endorsement_fail(TSS2_RC rc, const char *what)
{
	TSS2_RC base = prov_tpm_rc_base(rc);

	if (base == TPM2_RC_BAD_AUTH || base == TPM2_RC_AUTH_FAIL || base == TPM2_RC_LOCKOUT) {
		log_warnx("provider.endorsement_hierarchy_auth: %s: the TPM refused the "
		    "endorsement hierarchy password", what);
		return PSA_ERROR_GENERIC_ERROR;
	}
	return prov_tpm_fail(rc, what);
}

/* The endorsement key, loaded (made the first time); the caller flushes *ek. */
static psa_status_t
tpm_ek_load(ESYS_TR *ek)
{
	TPM2B_SENSITIVE_CREATE sensitive;
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
	TPMS_CONTEXT *saved = NULL;
	TSS2_RC rc;

	*ek = ESYS_TR_NONE;
	do
		rc = att.have_ek ? Esys_ContextLoad(prov_tpm_esys, &att.ek, ek) : TPM2_RC_NO_RESULT;
	while (prov_tpm_rc_base(rc) == TPM2_RC_OBJECT_MEMORY && prov_tpm_cache_evict() == 0);
	if (att.have_ek)
		return rc == TSS2_RC_SUCCESS ? PSA_SUCCESS : prov_tpm_fail(rc, "TPM2_ContextLoad");
	tpm_ek_template(&tmpl);
	memset(&sensitive, 0, sizeof(sensitive));
	memset(&outside, 0, sizeof(outside));
	memset(&pcrs, 0, sizeof(pcrs));
	do
		rc = Esys_CreatePrimary(prov_tpm_esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
		    ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl, &outside, &pcrs, ek, &pub, NULL,
		    NULL, NULL);
	while (prov_tpm_rc_base(rc) == TPM2_RC_OBJECT_MEMORY && prov_tpm_cache_evict() == 0);
	if (rc != TSS2_RC_SUCCESS) {
		*ek = ESYS_TR_NONE;
		return tpm_endorsement_fail(rc, "TPM2_CreatePrimary of the endorsement key");
	}
	att.ek_pub = *pub;
	Esys_Free(pub);
	if ((rc = Esys_ContextSave(prov_tpm_esys, *ek, &saved)) == TSS2_RC_SUCCESS) {
		att.ek = *saved;
		att.have_ek = 1;
		Esys_Free(saved);
	}
	return PSA_SUCCESS;
}

/* The TPM name of a public area: its name algorithm, then the digest of it marshalled. */
static psa_status_t
tpm_public_name(const TPMT_PUBLIC *pub, uint8_t *marshalled, size_t cap, size_t *len,
    uint8_t name[2 + 32])
{
	size_t off = 0, hashed;

	if (pub->nameAlg != TPM2_ALG_SHA256 ||
	    Tss2_MU_TPMT_PUBLIC_Marshal(pub, marshalled, cap, &off) != TSS2_RC_SUCCESS)
		return PSA_ERROR_NOT_SUPPORTED;
	*len = off;
	name[0] = (uint8_t)(TPM2_ALG_SHA256 >> 8);
	name[1] = (uint8_t)TPM2_ALG_SHA256;
	return psa_hash_compute(PSA_ALG_SHA_256, marshalled, off, name + 2, 32, &hashed);
}

static psa_status_t
tpm_prepare(const struct tpm_key *key, struct op_result *res, struct prov_out *out)
{
	uint8_t name[2 + 32], marshalled[sizeof(TPMT_PUBLIC)];
	size_t len, ek_len;
	ESYS_TR ek;
	uint8_t *p;
	psa_status_t st;

	if ((st = tpm_public_name(&key->pub.publicArea, marshalled, sizeof(marshalled), &len,
	    name)) != PSA_SUCCESS)
		return st;
	if ((st = tpm_ek_load(&ek)) != PSA_SUCCESS)
		return st;
	prov_tpm_flush(ek);
	memcpy(prov_out_alloc(out, res, 0, sizeof(name)), name, sizeof(name));
	memcpy(prov_out_alloc(out, res, 2, len), marshalled, len);
	p = prov_out_alloc(out, res, 3, PSA_EXPORT_PUBLIC_KEY_MAX_SIZE);
	st = prov_tpm_export_public(&att.ek_pub.publicArea, p, PSA_EXPORT_PUBLIC_KEY_MAX_SIZE,
	    &ek_len);
	res->out[3].len = st == PSA_SUCCESS ? ek_len : 0;
	return st;
}

/* A policy session that satisfies the EK's policy; flushed by the TPM once used. */
static psa_status_t
tpm_ek_session(ESYS_TR *session)
{
	TPMT_SYM_DEF symmetric = { .algorithm = TPM2_ALG_NULL };
	TPM2B_NONCE nonce = { .size = 0 };
	TPM2B_DIGEST cp_hash = { .size = 0 };
	TPM2B_NONCE policy_ref = { .size = 0 };
	TSS2_RC rc;

	rc = Esys_StartAuthSession(prov_tpm_esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &symmetric, TPM2_ALG_SHA256,
	    session);
	if (rc != TSS2_RC_SUCCESS) {
		*session = ESYS_TR_NONE;
		return prov_tpm_fail(rc, "TPM2_StartAuthSession");
	}
	rc = Esys_PolicySecret(prov_tpm_esys, ESYS_TR_RH_ENDORSEMENT, *session, ESYS_TR_PASSWORD,
	    ESYS_TR_NONE, ESYS_TR_NONE, &nonce, &cp_hash, &policy_ref, 0, NULL, NULL);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TRSess_SetAttributes(prov_tpm_esys, *session, 0,
		    TPMA_SESSION_CONTINUESESSION);
	if (rc != TSS2_RC_SUCCESS) {
		(void)Esys_FlushContext(prov_tpm_esys, *session);
		*session = ESYS_TR_NONE;
		return tpm_endorsement_fail(rc, "TPM2_PolicySecret of the endorsement hierarchy");
	}
	return PSA_SUCCESS;
}

/*
 * The TPM decrypts the credential only if the blob was made for the name of
 * the object at the key's handle and for its endorsement key: a credential
 * made for another name fails its integrity check.
 */
static psa_status_t
tpm_activate(const struct op_request *op, const struct tpm_key *key, struct op_result *res,
    struct prov_out *out)
{
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET secret;
	TPM2B_DIGEST *credential = NULL;
	ESYS_TR obj, ek, session;
	psa_status_t st;
	TSS2_RC rc;

	if (op->in[0].len == 0 || op->in[0].len > sizeof(blob.credential) ||
	    op->in[1].len == 0 || op->in[1].len > sizeof(secret.secret))
		return PSA_ERROR_INVALID_ARGUMENT;
	blob.size = (UINT16)op->in[0].len;
	memcpy(blob.credential, op->in[0].ptr, op->in[0].len);
	secret.size = (UINT16)op->in[1].len;
	memcpy(secret.secret, op->in[1].ptr, op->in[1].len);
	/* The EK first: a full TPM gives up cached keys for it, never the one in use. */
	if ((st = tpm_ek_load(&ek)) != PSA_SUCCESS)
		return st;
	if ((st = prov_tpm_cache_get(key, &obj)) != PSA_SUCCESS ||
	    (st = tpm_ek_session(&session)) != PSA_SUCCESS) {
		prov_tpm_flush(ek);
		return st;
	}
	rc = Esys_ActivateCredential(prov_tpm_esys, obj, ek, ESYS_TR_PASSWORD, session,
	    ESYS_TR_NONE, &blob, &secret, &credential);
	if (rc != TSS2_RC_SUCCESS)
		(void)Esys_FlushContext(prov_tpm_esys, session);
	prov_tpm_flush(ek);
	if (rc != TSS2_RC_SUCCESS) {
		log_info("TPM2_ActivateCredential: %s", Tss2_RC_Decode(rc));
		if (prov_tpm_rc_lost(rc))
			return prov_tpm_fail(rc, "TPM2_ActivateCredential");
		/* Made for another name or another TPM, or not a credential at all. */
		return PSA_ERROR_INVALID_ARGUMENT;
	}
	memcpy(prov_out_alloc(out, res, 0, credential->size), credential->buffer,
	    credential->size);
	explicit_bzero(credential, sizeof(*credential));
	Esys_Free(credential);
	return PSA_SUCCESS;
}

/* PrepareKeyAttestation and AttestKey for a key of this TPM (key pairs only). */
psa_status_t
prov_tpm_attest(const struct op_request *op, const struct tpm_key *key, struct op_result *res,
    struct prov_out *out)
{
	if (!att.ready)
		return PSA_ERROR_NOT_SUPPORTED;
	/* Only the default attesting key, as upstream. */
	if (op->client[0] != '\0')
		return PSA_ERROR_NOT_SUPPORTED;
	/* An imported public key is not in the TPM: nothing to attest. */
	if (key->priv.size == 0)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (op->opcode == OP_PREPARE_KEY_ATTESTATION)
		return tpm_prepare(key, res, out);
	return tpm_activate(op, key, res, out);
}
