/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM backend, operations: generate, import, sign, decrypt and random on the
 * TPM; verification and encryption with the public key in software (PSA).
 */
#include <string.h>

#include <tss2/tss2_esys.h>

#include "log.h"
#include "key_policy.h"
#include "prov_tpm.h"
#include "providerd.h"
#include "wire.h"

/* GetRandom answers at most a digest's worth per command; this bounds the loop. */
#define PROV_TPM_MAX_RANDOM (64u * 1024u)

static psa_status_t
prov_tpm_generate(const struct op_request *op, struct op_result *res, struct prov_out *out)
{
	TPM2B_SENSITIVE_CREATE sensitive;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_CREATION_DATA *creation = NULL;
	TPM2B_DIGEST *creation_hash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	struct tpm_key key;
	uint8_t blob[PROV_TPM_BLOB_MAX];
	size_t len;
	psa_status_t st;
	TSS2_RC rc;

	if ((st = prov_tpm_template(&op->attrs, &tmpl)) != PSA_SUCCESS)
		return st;
	memset(&sensitive, 0, sizeof(sensitive));
	prov_tpm_object_auth(&sensitive.sensitive.userAuth);
	memset(&outside, 0, sizeof(outside));
	memset(&pcrs, 0, sizeof(pcrs));
	/* The TPM works in an object slot of its own: a full TPM gives up a cached key. */
	do
		rc = Esys_Create(prov_tpm_esys, prov_tpm_primary(), ESYS_TR_PASSWORD,
		    ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &tmpl, &outside, &pcrs, &priv, &pub,
		    &creation, &creation_hash, &ticket);
	while (prov_tpm_rc_base(rc) == TPM2_RC_OBJECT_MEMORY && prov_tpm_cache_evict() == 0);
	if (rc != TSS2_RC_SUCCESS)
		st = prov_tpm_fail(rc, "TPM2_Create");
	else {
		key.pub = *pub;
		key.priv = *priv;
		if (prov_tpm_blob_encode(&key, blob, sizeof(blob), &len) == -1)
			st = PSA_ERROR_GENERIC_ERROR;
		else
			memcpy(prov_out_alloc(out, res, 1, len), blob, len);
	}
	Esys_Free(priv);
	Esys_Free(pub);
	Esys_Free(creation);
	Esys_Free(creation_hash);
	Esys_Free(ticket);
	return st;
}

static psa_status_t
prov_tpm_import(const struct op_request *op, struct op_result *res, struct prov_out *out)
{
	struct tpm_key key;
	uint8_t blob[PROV_TPM_BLOB_MAX];
	size_t len;
	psa_status_t st;

	memset(&key, 0, sizeof(key));
	if ((st = prov_tpm_import_public(&op->attrs, op->in[0].ptr, op->in[0].len,
	    &key.pub)) != PSA_SUCCESS)
		return st;
	if (prov_tpm_blob_encode(&key, blob, sizeof(blob), &len) == -1)
		return PSA_ERROR_GENERIC_ERROR;
	memcpy(prov_out_alloc(out, res, 1, len), blob, len);
	return PSA_SUCCESS;
}

/* The key's public half as a volatile PSA key, for what is done in software. */
static psa_status_t
prov_tpm_soft_key(const struct tpm_key *key, psa_key_usage_t usage, psa_algorithm_t alg,
    mbedtls_svc_key_id_t *id)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t data[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE];
	size_t len;
	psa_status_t st;

	if ((st = prov_tpm_export_public(&key->pub.publicArea, data, sizeof(data), &len)) !=
	    PSA_SUCCESS)
		return st;
	psa_set_key_type(&attrs, key->pub.publicArea.type == TPM2_ALG_RSA ?
	    PSA_KEY_TYPE_RSA_PUBLIC_KEY : PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_usage_flags(&attrs, usage);
	psa_set_key_algorithm(&attrs, alg);
	return psa_import_key(&attrs, data, len, id);
}

/* What PSA checks of a signature algorithm before any key is touched. */
static psa_status_t
prov_tpm_check_sign(const struct op_request *op, const struct tpm_key *key)
{
	psa_algorithm_t hash = PSA_ALG_SIGN_GET_HASH(op->alg);
	int rsa = key->pub.publicArea.type == TPM2_ALG_RSA;

	if (!PSA_ALG_IS_SIGN_HASH(op->alg) || hash == PSA_ALG_ANY_HASH || hash == 0)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (rsa ? !(PSA_ALG_IS_RSA_PKCS1V15_SIGN(op->alg) || PSA_ALG_IS_RSA_PSS(op->alg)) :
	    (op->alg & ~PSA_ALG_HASH_MASK) != PSA_ALG_ECDSA_BASE)
		return PSA_ALG_IS_DETERMINISTIC_ECDSA(op->alg) && !rsa ?
		    PSA_ERROR_NOT_SUPPORTED : PSA_ERROR_INVALID_ARGUMENT;
	if (prov_tpm_hash(hash) == TPM2_ALG_ERROR)
		return PSA_ERROR_NOT_SUPPORTED;
	return PSA_SUCCESS;
}

static psa_status_t
prov_tpm_sign(const struct tpm_key *key, psa_algorithm_t alg, const uint8_t *hash,
    size_t hash_len, struct op_result *res, struct prov_out *out)
{
	const TPMT_PUBLIC *pub = &key->pub.publicArea;
	TPMT_SIG_SCHEME scheme;
	TPMT_TK_HASHCHECK check;
	TPM2B_DIGEST digest;
	TPMT_SIGNATURE *sig = NULL;
	const TPM2B_ECC_PARAMETER *r, *s;
	ESYS_TR obj;
	size_t cb;
	uint8_t *p;
	psa_status_t st;
	TSS2_RC rc;

	if (hash_len > sizeof(digest.buffer))
		return PSA_ERROR_INVALID_ARGUMENT;
	memset(&scheme, 0, sizeof(scheme));
	if (pub->type == TPM2_ALG_ECC)
		scheme.scheme = TPM2_ALG_ECDSA;
	else
		scheme.scheme = PSA_ALG_IS_RSA_PSS(alg) ? TPM2_ALG_RSAPSS : TPM2_ALG_RSASSA;
	scheme.details.any.hashAlg = prov_tpm_hash(PSA_ALG_SIGN_GET_HASH(alg));
	/* An unrestricted key signs any digest: the null ticket. */
	memset(&check, 0, sizeof(check));
	check.tag = TPM2_ST_HASHCHECK;
	check.hierarchy = TPM2_RH_NULL;
	digest.size = (UINT16)hash_len;
	memcpy(digest.buffer, hash, hash_len);

	if ((st = prov_tpm_cache_get(key, &obj)) != PSA_SUCCESS)
		return st;
	rc = Esys_Sign(prov_tpm_esys, obj, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
	    &digest, &scheme, &check, &sig);
	if (rc != TSS2_RC_SUCCESS)
		return prov_tpm_fail(rc, "TPM2_Sign");

	st = PSA_SUCCESS;
	if (pub->type == TPM2_ALG_ECC) {
		/* PSA's ECDSA signature: r || s, each padded to the curve size. */
		cb = prov_tpm_key_bits(pub) / 8;
		r = &sig->signature.ecdsa.signatureR;
		s = &sig->signature.ecdsa.signatureS;
		if (sig->sigAlg != TPM2_ALG_ECDSA || r->size > cb || s->size > cb)
			st = PSA_ERROR_HARDWARE_FAILURE;
		else {
			p = prov_out_alloc(out, res, 0, 2 * cb);
			memset(p, 0, 2 * cb);
			memcpy(p + cb - r->size, r->buffer, r->size);
			memcpy(p + 2 * cb - s->size, s->buffer, s->size);
		}
	} else {
		cb = pub->unique.rsa.size;
		if (sig->sigAlg != scheme.scheme || sig->signature.rsassa.sig.size != cb)
			st = PSA_ERROR_HARDWARE_FAILURE;
		else
			memcpy(prov_out_alloc(out, res, 0, cb), sig->signature.rsassa.sig.buffer,
			    cb);
	}
	Esys_Free(sig);
	return st;
}

static psa_status_t
prov_tpm_decrypt(const struct op_request *op, const struct tpm_key *key,
    struct op_result *res, struct prov_out *out)
{
	TPM2B_PUBLIC_KEY_RSA cipher;
	TPMT_RSA_DECRYPT scheme;
	TPM2B_DATA label;
	TPM2B_PUBLIC_KEY_RSA *plain = NULL;
	const struct op_bytes *salt = &op->in[1];
	ESYS_TR obj;
	psa_status_t st;
	TSS2_RC rc;

	memset(&scheme, 0, sizeof(scheme));
	memset(&label, 0, sizeof(label));
	if (op->alg == PSA_ALG_RSA_PKCS1V15_CRYPT) {
		if (salt->len != 0)
			return PSA_ERROR_INVALID_ARGUMENT;
		scheme.scheme = TPM2_ALG_RSAES;
	} else if (PSA_ALG_IS_RSA_OAEP(op->alg)) {
		scheme.scheme = TPM2_ALG_OAEP;
		scheme.details.oaep.hashAlg = prov_tpm_hash(PSA_ALG_RSA_OAEP_GET_HASH(op->alg));
		if (scheme.details.oaep.hashAlg == TPM2_ALG_ERROR)
			return PSA_ERROR_NOT_SUPPORTED;
		/* The TPM takes a label only as a string with its terminating zero. */
		if (salt->len > sizeof(label.buffer) ||
		    (salt->len > 0 && salt->ptr[salt->len - 1] != 0))
			return PSA_ERROR_NOT_SUPPORTED;
		label.size = (UINT16)salt->len;
		if (salt->len > 0)
			memcpy(label.buffer, salt->ptr, salt->len);
	} else
		return PSA_ERROR_INVALID_ARGUMENT;
	if (op->in[0].len != key->pub.publicArea.unique.rsa.size)
		return PSA_ERROR_INVALID_ARGUMENT;
	cipher.size = (UINT16)op->in[0].len;
	memcpy(cipher.buffer, op->in[0].ptr, op->in[0].len);

	if ((st = prov_tpm_cache_get(key, &obj)) != PSA_SUCCESS)
		return st;
	rc = Esys_RSA_Decrypt(prov_tpm_esys, obj, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
	    &cipher, &scheme, &label, &plain);
	/*
	 * A ciphertext that does not decode is TPM2_RC_VALUE by the specification;
	 * libtpms (swtpm) answers TPM2_RC_FAILURE: that too is the padding. (A TPM
	 * in failure mode would answer the same, and then fail every later command.)
	 */
	if (rc != TSS2_RC_SUCCESS) {
		if (prov_tpm_rc_base(rc) == TPM2_RC_VALUE || rc == TPM2_RC_FAILURE)
			return PSA_ERROR_INVALID_PADDING;
		return prov_tpm_fail(rc, "TPM2_RSA_Decrypt");
	}
	memcpy(prov_out_alloc(out, res, 0, plain->size), plain->buffer, plain->size);
	explicit_bzero(plain, sizeof(*plain));
	Esys_Free(plain);
	return PSA_SUCCESS;
}

/* Verification and encryption need only the public key: PSA does them. */
static psa_status_t
prov_tpm_public_op(const struct op_request *op, const struct tpm_key *key,
    struct op_result *res, struct prov_out *out)
{
	mbedtls_svc_key_id_t id;
	psa_key_usage_t usage;
	size_t len = 0, cap;
	uint8_t *p;
	psa_status_t st;

	usage = op->opcode == OP_PSA_ASYMMETRIC_ENCRYPT ? PSA_KEY_USAGE_ENCRYPT :
	    PSA_KEY_USAGE_VERIFY_HASH | PSA_KEY_USAGE_VERIFY_MESSAGE;
	if ((st = prov_tpm_soft_key(key, usage, op->alg, &id)) != PSA_SUCCESS)
		return st;
	switch (op->opcode) {
	case OP_PSA_VERIFY_HASH:
		st = psa_verify_hash(id, op->alg, op->in[0].ptr, op->in[0].len, op->in[1].ptr,
		    op->in[1].len);
		break;
	case OP_PSA_VERIFY_MESSAGE:
		st = psa_verify_message(id, op->alg, op->in[0].ptr, op->in[0].len,
		    op->in[1].ptr, op->in[1].len);
		break;
	default:
		cap = PSA_ASYMMETRIC_ENCRYPT_OUTPUT_MAX_SIZE;
		p = prov_out_alloc(out, res, 0, cap);
		st = psa_asymmetric_encrypt(id, op->alg, op->in[0].ptr, op->in[0].len,
		    op->in[1].len ? op->in[1].ptr : NULL, op->in[1].len, p, cap, &len);
		res->out[0].len = st == PSA_SUCCESS ? len : 0;
		break;
	}
	psa_destroy_key(id);
	return st;
}

static psa_status_t
prov_tpm_use(const struct op_request *op, const struct tpm_key *key, struct op_result *res,
    struct prov_out *out)
{
	uint8_t hash[PSA_HASH_MAX_SIZE];
	size_t len;
	int pair = key->priv.size != 0;
	psa_status_t st;

	switch (op->opcode) {
	case OP_PSA_EXPORT_PUBLIC_KEY:
		st = prov_tpm_export_public(&key->pub.publicArea,
		    prov_out_alloc(out, res, 0, PSA_EXPORT_PUBLIC_KEY_MAX_SIZE),
		    PSA_EXPORT_PUBLIC_KEY_MAX_SIZE, &len);
		res->out[0].len = st == PSA_SUCCESS ? len : 0;
		return st;
	case OP_PSA_SIGN_HASH:
	case OP_PSA_SIGN_MESSAGE:
		if ((st = prov_tpm_check_sign(op, key)) != PSA_SUCCESS)
			return st;
		if ((st = prov_tpm_permitted(&op->attrs, op->opcode == OP_PSA_SIGN_HASH ?
		    PSA_KEY_USAGE_SIGN_HASH : PSA_KEY_USAGE_SIGN_MESSAGE, op->alg)) != PSA_SUCCESS ||
		    (st = key_policy_hash_length(&op->attrs, op->opcode, op->alg,
		    op->in[0].len)) != PSA_SUCCESS)
			return st;
		if (!pair)
			return PSA_ERROR_INVALID_ARGUMENT;
		if (op->opcode == OP_PSA_SIGN_HASH)
			return prov_tpm_sign(key, op->alg, op->in[0].ptr, op->in[0].len, res, out);
		if ((st = psa_hash_compute(PSA_ALG_SIGN_GET_HASH(op->alg), op->in[0].ptr,
		    op->in[0].len, hash, sizeof(hash), &len)) != PSA_SUCCESS)
			return st;
		return prov_tpm_sign(key, op->alg, hash, len, res, out);
	case OP_PSA_VERIFY_HASH:
	case OP_PSA_VERIFY_MESSAGE:
		if ((st = prov_tpm_check_sign(op, key)) != PSA_SUCCESS)
			return st;
		if ((st = prov_tpm_permitted(&op->attrs, op->opcode == OP_PSA_VERIFY_HASH ?
		    PSA_KEY_USAGE_VERIFY_HASH : PSA_KEY_USAGE_VERIFY_MESSAGE, op->alg)) !=
		    PSA_SUCCESS || (st = key_policy_hash_length(&op->attrs, op->opcode, op->alg,
		    op->in[0].len)) != PSA_SUCCESS)
			return st;
		return prov_tpm_public_op(op, key, res, out);
	case OP_PSA_ASYMMETRIC_ENCRYPT:
	case OP_PSA_ASYMMETRIC_DECRYPT:
		if (!PSA_ALG_IS_ASYMMETRIC_ENCRYPTION(op->alg))
			return PSA_ERROR_INVALID_ARGUMENT;
		if ((st = prov_tpm_permitted(&op->attrs, op->opcode == OP_PSA_ASYMMETRIC_ENCRYPT ?
		    PSA_KEY_USAGE_ENCRYPT : PSA_KEY_USAGE_DECRYPT, op->alg)) != PSA_SUCCESS)
			return st;
		/* As mbedtls: an ECC key pair could encrypt (ECIES), which is not done here. */
		if (key->pub.publicArea.type != TPM2_ALG_RSA)
			return PSA_KEY_TYPE_IS_ECC_KEY_PAIR(op->attrs.type) ?
			    PSA_ERROR_NOT_SUPPORTED : PSA_ERROR_INVALID_ARGUMENT;
		if (op->opcode == OP_PSA_ASYMMETRIC_ENCRYPT)
			return prov_tpm_public_op(op, key, res, out);
		if (!pair)
			return PSA_ERROR_INVALID_ARGUMENT;
		return prov_tpm_decrypt(op, key, res, out);
	default:
		return PSA_ERROR_NOT_SUPPORTED;
	}
}

static psa_status_t
prov_tpm_random(uint64_t size, struct op_result *res, struct prov_out *out)
{
	TPM2B_DIGEST *random;
	size_t got = 0, want;
	uint8_t *p;
	TSS2_RC rc;

	if (size > PROV_TPM_MAX_RANDOM)
		return PSA_ERROR_INVALID_ARGUMENT;
	p = prov_out_alloc(out, res, 0, (size_t)size);
	while (got < size) {
		want = size - got;
		if (want > sizeof(random->buffer))
			want = sizeof(random->buffer);
		if ((rc = Esys_GetRandom(prov_tpm_esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
		    (UINT16)want, &random)) != TSS2_RC_SUCCESS)
			return prov_tpm_fail(rc, "TPM2_GetRandom");
		/* The TPM may answer less than asked (a digest's worth), never more. */
		if (random->size == 0 || random->size > want) {
			Esys_Free(random);
			return PSA_ERROR_HARDWARE_FAILURE;
		}
		memcpy(p + got, random->buffer, random->size);
		got += random->size;
		explicit_bzero(random, sizeof(*random));
		Esys_Free(random);
	}
	return PSA_SUCCESS;
}

psa_status_t
prov_tpm_op_generate(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	return prov_tpm_generate(op, res, out);
}

psa_status_t
prov_tpm_op_import(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	return prov_tpm_import(op, res, out);
}

/* The key lives in brokerd's reference; a loaded copy leaves the TPM. */
psa_status_t
prov_tpm_op_destroy(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	prov_tpm_cache_forget(key_ref, key_ref_len);
	return PSA_SUCCESS;
}

psa_status_t
prov_tpm_op_random(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	return prov_tpm_random(op->number, res, out);
}

/* The key brokerd's reference wraps, checked against the attributes it sent, then run. */
static psa_status_t
prov_tpm_keyed(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out,
    psa_status_t (*run)(const struct op_request *, const struct tpm_key *, struct op_result *,
    struct prov_out *))
{
	struct tpm_key key;
	psa_status_t st;

	if (prov_tpm_blob_decode(key_ref, key_ref_len, &key) == -1 ||
	    !prov_tpm_key_matches(&key, &op->attrs)) {
		log_warnx("%s: the key reference of %s is not a key of this provider",
		    wire_opcode_name(op->opcode), op->key_name);
		st = PSA_ERROR_DATA_CORRUPT;
	} else
		st = run(op, &key, res, out);
	explicit_bzero(&key, sizeof(key));
	return st;
}

psa_status_t
prov_tpm_op_use(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	return prov_tpm_keyed(op, key_ref, key_ref_len, res, out, prov_tpm_use);
}

psa_status_t
prov_tpm_op_attest(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	return prov_tpm_keyed(op, key_ref, key_ref_len, res, out, prov_tpm_attest);
}
