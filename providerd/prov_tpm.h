/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM backend's parts: the TPM session (prov_tpm.c), the operations
 * (prov_tpm_ops.c) and the key side that never talks to the TPM
 * (prov_tpm_key.c: key references, templates, PSA formats and policy).
 */
#ifndef PROV_TPM_H
#define PROV_TPM_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tpm2_types.h>

#include "op.h"
#include "tpm_ref.h"
#include "providerd.h"

/*
 * A key as brokerd keeps it: the marshalled TPM2B_PUBLIC then TPM2B_PRIVATE.
 * An imported public key has an empty private part and never enters the TPM.
 * A key adopted from upstream Parsec's TPM provider is a child of upstream's
 * primary and has upstream's password (tpm_ref.h).
 */
struct tpm_key {
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	int upstream;       /* a child of upstream's primary, with the password auth */
	TPM2B_AUTH auth;
	const uint8_t *ref; /* the reference it was decoded from */
	size_t ref_len;
};

#define PROV_TPM_BLOB_MAX (2 + sizeof(TPM2B_AUTH) + sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE))

/* prov_tpm.c: the one ESAPI context of this worker, and TPM errors. */
extern ESYS_CONTEXT *prov_tpm_esys;
/* The resident primary key. */
ESYS_TR prov_tpm_primary(void);
/*
 * Upstream Parsec's primary key (prov_tpm_upstream.c). init: made at start
 * when TPM_REF_UPSTREAM_MARK is there (0 or init's codes), and loaded until
 * park saves its context and flushes it; primary: its object while loaded,
 * else ESYS_TR_NONE. load: loaded for one key's TPM2_Load, then done.
 * forget: nothing of it kept (flushed by the caller, or no longer ours).
 */
int prov_tpm_upstream_init(const struct setup_provider *setup);
void prov_tpm_upstream_park(void);
ESYS_TR prov_tpm_upstream_primary(void);
psa_status_t prov_tpm_upstream_load(ESYS_TR *parent);
void prov_tpm_upstream_done(ESYS_TR parent);
void prov_tpm_upstream_forget(void);
/* A primary in the owner hierarchy with our object password, loaded: 0 or init's codes. */
int prov_tpm_create_primary(const struct setup_provider *setup, const TPM2B_PUBLIC *tmpl,
    ESYS_TR *out);
/* A response code without its handle, session or parameter number. */
TSS2_RC prov_tpm_rc_base(TSS2_RC rc);
/* Whether rc means the TPM is gone (or was reset under us). */
int prov_tpm_rc_gone(TSS2_RC rc);
/* Gone, or our handles no longer name our objects: the worker must start afresh. */
int prov_tpm_rc_lost(TSS2_RC rc);
/* The PSA status of a failed command; a gone TPM also restarts the worker. */
psa_status_t prov_tpm_fail(TSS2_RC rc, const char *what);
void prov_tpm_flush(ESYS_TR handle);

/*
 * prov_tpm_cache.c: keys kept loaded. get: the key's object, loaded if it
 * was not (the cache owns it: never flushed by the caller). forget: a
 * destroyed key flushed. evict: the least recently used key flushed, 0, or
 * -1 with none loaded. stale: our handles may name other objects now.
 */
psa_status_t prov_tpm_cache_get(const struct tpm_key *key, ESYS_TR *obj);
void prov_tpm_cache_forget(const uint8_t *ref, size_t ref_len);
int prov_tpm_cache_evict(void);
void prov_tpm_cache_stale(void);
int prov_tpm_cache_is_stale(void);
void prov_tpm_cache_release(void);
/* Leftovers flushed, upstream's primary made if needed, the cache sized: 0 or init's codes. */
int prov_tpm_cache_init(const struct setup_provider *setup);
/* Flushes leftover copies of a loaded primary and keys under them: how many. */
size_t prov_tpm_cache_sweep(ESYS_TR primary);
/* One TPM property (TPM2_CAP_TPM_PROPERTIES); def when the TPM says nothing. */
uint32_t prov_tpm_property(TPM2_PT property, uint32_t def);

/*
 * prov_tpm_attest.c: key attestation with ActivateCredential. init decides
 * at start whether it is served (ready); attest runs PrepareKeyAttestation
 * or AttestKey for a decoded key.
 */
void prov_tpm_attest_init(const struct setup_provider *setup);
int prov_tpm_attest_ready(void);
psa_status_t prov_tpm_attest(const struct op_request *op, const struct tpm_key *key,
    struct op_result *res, struct prov_out *out);

/*
 * prov_tpm_ops.c: the handlers of prov_tpm.c's rows (struct prov_op); use
 * serves a key's public export, signatures and encryption.
 */
prov_op_handler prov_tpm_op_generate, prov_tpm_op_import, prov_tpm_op_destroy,
    prov_tpm_op_random, prov_tpm_op_use, prov_tpm_op_attest;

/* prov_tpm_multi.c: multipart hash on TPM hash sequences; drop: a closed connection's. */
prov_op_handler prov_tpm_multi_abort, prov_tpm_multi_hash_setup, prov_tpm_multi_hash_update,
    prov_tpm_multi_hash_finish;
void prov_tpm_multi_drop(uint64_t conn);

/* Parses an untrusted reference exactly (no trailing bytes): 0 or -1. */
int prov_tpm_blob_decode(const uint8_t *blob, size_t len, struct tpm_key *key);
/* 0 or -1; *len is what was written to buf (cap PROV_TPM_BLOB_MAX). */
int prov_tpm_blob_encode(const struct tpm_key *key, uint8_t *buf, size_t cap, size_t *len);
/* Whether a decoded reference is the key brokerd's attributes describe. */
int prov_tpm_key_matches(const struct tpm_key *key, const struct op_key_attrs *attrs);
/* Size of the key in bits (RSA modulus, ECC curve). */
size_t prov_tpm_key_bits(const TPMT_PUBLIC *pub);

/* Asks the TPM which key sizes it makes; what it makes, in words, into what. */
void prov_tpm_probe(char *what, size_t len);
/* The TPM template of a key to generate, or PSA_ERROR_NOT_SUPPORTED. */
psa_status_t prov_tpm_template(const struct op_key_attrs *attrs, TPM2B_PUBLIC *tmpl);
/* The password of our objects (a binding to them, not a secret). */
void prov_tpm_object_auth(TPM2B_AUTH *auth);
/* Whether a key was made with that password. */
int prov_tpm_key_has_auth(const TPMT_PUBLIC *pub);
/*
 * An RSA 2048 storage key (restricted, decrypt, AES-CFB of aes_bits for its
 * children, default exponent, empty unique), with attrs besides.
 */
void prov_tpm_rsa_storage_template(TPM2B_PUBLIC *tmpl, TPMA_OBJECT attrs, UINT16 aes_bits);
/* The deterministic storage primary every key is created under. */
void prov_tpm_primary_template(TPM2B_PUBLIC *tmpl);
/* A public key in PSA import format turned into a public area. */
psa_status_t prov_tpm_import_public(const struct op_key_attrs *attrs, const uint8_t *data,
    size_t len, TPM2B_PUBLIC *pub);
/* The PSA export format of a public area (ECC 0x04||X||Y, RSA DER RSAPublicKey). */
psa_status_t prov_tpm_export_public(const TPMT_PUBLIC *pub, uint8_t *out, size_t cap,
    size_t *len);

/* TPM hash algorithm of a PSA hash this backend offers, TPM2_ALG_ERROR otherwise. */
TPMI_ALG_HASH prov_tpm_hash(psa_algorithm_t hash);
/* PSA policy: the key's usage flags hold need and its algorithm permits alg. */
psa_status_t prov_tpm_permitted(const struct op_key_attrs *attrs, psa_key_usage_t need,
    psa_algorithm_t alg);

#endif
