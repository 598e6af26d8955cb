/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM backend: the parent of keys adopted from upstream Parsec's TPM provider.
 * Upstream (1.x, through tss-esapi's transient key context) wraps every key
 * under an RSA 2048 storage primary of the owner hierarchy whose template is
 * fixed; the TPM derives the same primary from the owner seed each time, so
 * recreating it with that template lets TPM2_Load take upstream's blobs. Its
 * password was random and is not needed: a primary's key does not depend on it.
 * Made only when the adoption left PROV_TPM_UPSTREAM_MARK in the state directory.
 */
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "prov_tpm.h"

static ESYS_TR upstream_primary = ESYS_TR_NONE;

ESYS_TR
prov_tpm_upstream_primary(void)
{
	return upstream_primary;
}

void
prov_tpm_upstream_forget(void)
{
	upstream_primary = ESYS_TR_NONE;
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
	int r;

	if (access(PROV_TPM_UPSTREAM_MARK, F_OK) == -1)
		return 0;
	/* tss-esapi 7's restricted decryption RSA key: the transient key context's root key. */
	prov_tpm_rsa_storage_template(&tmpl, TPMA_OBJECT_USERWITHAUTH, upstream_aes_bits());
	if ((r = prov_tpm_create_primary(setup, &tmpl, &upstream_primary)) == 0)
		log_info("upstream Parsec's primary key made: adopted keys load under it");
	return r;
}
