/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM backend: the parent of keys adopted from upstream Parsec's TPM provider.
 * Upstream (1.x, through tss-esapi's transient key context) wraps every key
 * under an RSA 2048 storage primary of the owner hierarchy whose template is
 * fixed; the TPM derives the same primary from the owner seed each time, so
 * recreating it with that template lets TPM2_Load take upstream's blobs. Its
 * password was random and is not needed: a primary's key does not depend on it.
 * Made only when the adoption left TPM_REF_UPSTREAM_MARK in the state directory.
 *
 * It does not stay loaded: after the start-up sweep its context is saved and
 * it is flushed, and it is loaded again for as long as it takes to load an
 * adopted key. The TPM's transient slots stay for keys, and a worker that is
 * killed leaves no more behind than one without adopted keys.
 */
#include <string.h>
#include <unistd.h>

#include <tss2/tss2_rc.h>

#include "log.h"
#include "prov_tpm.h"

static struct {
	ESYS_TR loaded; /* at start, until parked */
	int saved;
	TPMS_CONTEXT context;
} up = { .loaded = ESYS_TR_NONE };

ESYS_TR
prov_tpm_upstream_primary(void)
{
	return up.loaded;
}

void
prov_tpm_upstream_forget(void)
{
	up.loaded = ESYS_TR_NONE;
	up.saved = 0;
}

void
prov_tpm_upstream_park(void)
{
	TPMS_CONTEXT *saved = NULL;
	TSS2_RC rc;

	if (up.loaded == ESYS_TR_NONE)
		return;
	if ((rc = Esys_ContextSave(prov_tpm_esys, up.loaded, &saved)) == TSS2_RC_SUCCESS) {
		up.context = *saved;
		up.saved = 1;
		Esys_Free(saved);
		prov_tpm_flush(up.loaded);
		up.loaded = ESYS_TR_NONE;
	} else
		log_warnx("TPM2_ContextSave of upstream's primary key: %s; it stays loaded",
		    Tss2_RC_Decode(rc));
}

psa_status_t
prov_tpm_upstream_load(ESYS_TR *parent)
{
	TPM2B_AUTH auth;
	TSS2_RC rc;

	*parent = up.loaded;
	if (up.loaded != ESYS_TR_NONE)
		return PSA_SUCCESS;
	if (!up.saved) {
		log_warnx("a key adopted from upstream Parsec, but upstream's primary key was not "
		    "made at start (%s is missing from the state directory)", TPM_REF_UPSTREAM_MARK);
		return PSA_ERROR_DATA_CORRUPT;
	}
	do
		rc = Esys_ContextLoad(prov_tpm_esys, &up.context, parent);
	while (prov_tpm_rc_base(rc) == TPM2_RC_OBJECT_MEMORY && prov_tpm_cache_evict() == 0);
	if (rc != TSS2_RC_SUCCESS) {
		*parent = ESYS_TR_NONE;
		return prov_tpm_fail(rc, "TPM2_ContextLoad of upstream's primary key");
	}
	prov_tpm_object_auth(&auth);
	(void)Esys_TR_SetAuth(prov_tpm_esys, *parent, &auth);
	return PSA_SUCCESS;
}

void
prov_tpm_upstream_done(ESYS_TR parent)
{
	if (parent != up.loaded)
		prov_tpm_flush(parent);
}

/* Upstream's session and child cipher: AES-256 in CFB mode if the TPM has it, else AES-128. */
static UINT16
upstream_aes_bits(void)
{
	TPMT_PUBLIC_PARMS parms;

	memset(&parms, 0, sizeof(parms));
	parms.type = TPM2_ALG_SYMCIPHER;
	parms.parameters.symDetail.sym.algorithm = TPM2_ALG_AES;
	parms.parameters.symDetail.sym.keyBits.aes = 256;
	parms.parameters.symDetail.sym.mode.aes = TPM2_ALG_CFB;
	return Esys_TestParms(prov_tpm_esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &parms) ==
	    TSS2_RC_SUCCESS ? 256 : 128;
}

int
prov_tpm_upstream_init(const struct setup_provider *setup)
{
	TPM2B_PUBLIC tmpl;
	size_t swept;
	int r;

	if (access(TPM_REF_UPSTREAM_MARK, F_OK) == -1)
		return 0;
	/* tss-esapi 7's restricted decryption RSA key: the transient key context's root key. */
	prov_tpm_rsa_storage_template(&tmpl, TPMA_OBJECT_USERWITHAUTH, upstream_aes_bits());
	if ((r = prov_tpm_create_primary(setup, &tmpl, &up.loaded)) != 0)
		return r;
	if ((swept = prov_tpm_cache_sweep(up.loaded)) > 0)
		log_info("flushed %zu objects under upstream's primary a previous worker left in "
		    "the TPM", swept);
	prov_tpm_upstream_park();
	log_info("upstream Parsec's primary key made: adopted keys load under it");
	return 0;
}
