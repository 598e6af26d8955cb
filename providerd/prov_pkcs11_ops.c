/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 provider's cryptography: each PSA algorithm mapped to the
 * token's mechanism, with PSA's data formats on the outside. Hashing for the
 * message forms, and public-key work when software_public_operations is set,
 * run in mbedtls.
 */
#include <stdlib.h>
#include <string.h>

#include <psa/crypto.h>

#include "ipc.h"
#include "log.h"
#include "prov_p11.h"
#include "key_policy.h"
#include "wire.h"
#include "wipe.h"

#define P11_MAX_RANDOM (1024u * 1024u)
#define P11_RANDOM_CHUNK (64u * 1024u)
#define P11_AES_BLOCK 16

/* The mechanism for a PSA algorithm, with the parameters it points to. */
struct p11_mech {
	CK_MECHANISM m;
	union {
		CK_RSA_PKCS_PSS_PARAMS pss;
		CK_RSA_PKCS_OAEP_PARAMS oaep;
		CK_GCM_PARAMS gcm;
		CK_AES_CTR_PARAMS ctr;
		CK_ECDH1_DERIVE_PARAMS ecdh;
	} p;
	/* What is signed: the hash, or for PKCS#1 v1.5 a DigestInfo around it. */
	uint8_t data[19 + PSA_HASH_MAX_SIZE];
	size_t data_len;
};

int
p11_hash_mech(psa_algorithm_t hash, CK_MECHANISM_TYPE *mech, CK_RSA_PKCS_MGF_TYPE *mgf)
{
	switch (hash) {
	case PSA_ALG_SHA_1:
		*mech = CKM_SHA_1;
		*mgf = CKG_MGF1_SHA1;
		return 0;
	case PSA_ALG_SHA_224:
		*mech = CKM_SHA224;
		*mgf = CKG_MGF1_SHA224;
		return 0;
	case PSA_ALG_SHA_256:
		*mech = CKM_SHA256;
		*mgf = CKG_MGF1_SHA256;
		return 0;
	case PSA_ALG_SHA_384:
		*mech = CKM_SHA384;
		*mgf = CKG_MGF1_SHA384;
		return 0;
	case PSA_ALG_SHA_512:
		*mech = CKM_SHA512;
		*mgf = CKG_MGF1_SHA512;
		return 0;
	default:
		return -1;
	}
}

/* Maps a signature algorithm on a hash to the token's mechanism and input. */
static psa_status_t
p11_sign_mech(const struct op_key_attrs *a, psa_algorithm_t alg, const uint8_t *hash,
    size_t hash_len, struct p11_mech *m)
{
	psa_algorithm_t h = PSA_ALG_SIGN_GET_HASH(alg);
	const uint8_t *prefix;
	size_t prefix_len;

	memset(m, 0, sizeof(*m));
	if (PSA_ALG_IS_HASH_AND_SIGN(alg) && hash_len != PSA_HASH_LENGTH(h))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (hash_len > PSA_HASH_MAX_SIZE)
		return PSA_ERROR_INVALID_ARGUMENT;
	if (PSA_KEY_TYPE_IS_ECC(a->type)) {
		if (!PSA_ALG_IS_RANDOMIZED_ECDSA(alg))
			return PSA_ALG_IS_ECDSA(alg) ? PSA_ERROR_NOT_SUPPORTED :
			    PSA_ERROR_INVALID_ARGUMENT;
		m->m.mechanism = CKM_ECDSA;
		memcpy(m->data, hash, hash_len);
		m->data_len = hash_len;
		return PSA_SUCCESS;
	}
	if (!PSA_KEY_TYPE_IS_RSA(a->type))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (alg == PSA_ALG_RSA_PKCS1V15_SIGN_RAW) {
		m->m.mechanism = CKM_RSA_PKCS;
		memcpy(m->data, hash, hash_len);
		m->data_len = hash_len;
		return PSA_SUCCESS;
	}
	if (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg)) {
		if ((prefix = key_policy_digest_info(h, &prefix_len)) == NULL)
			return PSA_ERROR_NOT_SUPPORTED;
		m->m.mechanism = CKM_RSA_PKCS;
		memcpy(m->data, prefix, prefix_len);
		memcpy(m->data + prefix_len, hash, hash_len);
		m->data_len = prefix_len + hash_len;
		return PSA_SUCCESS;
	}
	if (PSA_ALG_IS_RSA_PSS(alg)) {
		if (p11_hash_mech(h, &m->p.pss.hashAlg, &m->p.pss.mgf) == -1)
			return PSA_ERROR_NOT_SUPPORTED;
		/* PSA's PSS salt is as long as the hash. */
		m->p.pss.sLen = hash_len;
		m->m.mechanism = CKM_RSA_PKCS_PSS;
		m->m.pParameter = &m->p.pss;
		m->m.ulParameterLen = sizeof(m->p.pss);
		memcpy(m->data, hash, hash_len);
		m->data_len = hash_len;
		return PSA_SUCCESS;
	}
	return PSA_ERROR_INVALID_ARGUMENT;
}

static psa_status_t
p11_sign(const struct op_key_attrs *a, const uint8_t *id, psa_algorithm_t alg,
    const uint8_t *hash, size_t hash_len, struct op_result *res, struct prov_out *out)
{
	struct p11_mech m;
	CK_OBJECT_HANDLE key;
	CK_ULONG sig_len = 0;
	CK_RV rv;
	psa_status_t st;
	uint8_t *sig;

	if ((st = p11_sign_mech(a, alg, hash, hash_len, &m)) != PSA_SUCCESS ||
	    (st = p11_find_key(CKO_PRIVATE_KEY, id, &key)) != PSA_SUCCESS)
		return st;
	if (!p11_has_mech(m.m.mechanism, CKF_SIGN))
		return PSA_ERROR_NOT_SUPPORTED;
	if ((rv = p11.module->C_SignInit(p11.session, &m.m, key)) != CKR_OK)
		return p11_status(rv);
	if ((rv = p11.module->C_Sign(p11.session, m.data, m.data_len, NULL, &sig_len)) != CKR_OK)
		return p11_status(rv);
	if (sig_len > PSA_SIGNATURE_MAX_SIZE)
		return PSA_ERROR_NOT_SUPPORTED;
	sig = prov_out_alloc(out, res, 0, sig_len);
	rv = p11.module->C_Sign(p11.session, m.data, m.data_len, sig, &sig_len);
	res->out[0].len = rv == CKR_OK ? sig_len : 0;
	explicit_bzero(&m, sizeof(m));
	return p11_status(rv);
}

/* The public key in mbedtls, for software_public_operations. */
static psa_status_t
p11_soft_key(const struct op_key_attrs *a, const uint8_t *id, psa_algorithm_t alg,
    psa_key_usage_t usage, psa_key_id_t *key)
{
	psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t *pub = NULL;
	size_t pub_len = 0;
	psa_status_t st;

	if ((st = p11_export_public(id, a, &pub, &pub_len)) != PSA_SUCCESS)
		return st;
	psa_set_key_type(&pa, PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR((psa_key_type_t)a->type));
	psa_set_key_usage_flags(&pa, usage);
	psa_set_key_algorithm(&pa, alg);
	st = psa_import_key(&pa, pub, pub_len, key);
	p11_free(pub, pub_len);
	return st;
}

static psa_status_t
p11_verify(const struct op_key_attrs *a, const uint8_t *id, psa_algorithm_t alg,
    const uint8_t *hash, size_t hash_len, const uint8_t *sig, size_t sig_len)
{
	struct p11_mech m;
	CK_OBJECT_HANDLE key;
	psa_key_id_t soft;
	psa_status_t st;

	if ((st = p11_sign_mech(a, alg, hash, hash_len, &m)) != PSA_SUCCESS)
		return st;
	if (p11.software_public_operations) {
		if ((st = p11_soft_key(a, id, alg, PSA_KEY_USAGE_VERIFY_HASH, &soft)) !=
		    PSA_SUCCESS)
			return st;
		st = psa_verify_hash(soft, alg, hash, hash_len, sig, sig_len);
		psa_destroy_key(soft);
		return st;
	}
	if ((st = p11_find_key(CKO_PUBLIC_KEY, id, &key)) != PSA_SUCCESS)
		return st;
	if (!p11_has_mech(m.m.mechanism, CKF_VERIFY))
		return PSA_ERROR_NOT_SUPPORTED;
	if ((st = p11_status(p11.module->C_VerifyInit(p11.session, &m.m, key))) != PSA_SUCCESS)
		return st;
	return p11_status(p11.module->C_Verify(p11.session, m.data, m.data_len, (uint8_t *)sig,
	    sig_len));
}

/* RSA encryption: PKCS#1 v1.5, or OAEP with the salt input as its label. */
static psa_status_t
p11_crypt_mech(const struct op_request *op, struct p11_mech *m)
{
	memset(m, 0, sizeof(*m));
	/* As mbedtls: an ECC key pair could encrypt (ECIES), which is not done here. */
	if (!PSA_KEY_TYPE_IS_RSA(op->attrs.type))
		return PSA_KEY_TYPE_IS_ECC_KEY_PAIR(op->attrs.type) ? PSA_ERROR_NOT_SUPPORTED :
		    PSA_ERROR_INVALID_ARGUMENT;
	if (op->alg == PSA_ALG_RSA_PKCS1V15_CRYPT) {
		if (op->in[1].len != 0)
			return PSA_ERROR_INVALID_ARGUMENT; /* PKCS#1 v1.5 takes no label */
		m->m.mechanism = CKM_RSA_PKCS;
		return PSA_SUCCESS;
	}
	if (!PSA_ALG_IS_RSA_OAEP(op->alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (p11_hash_mech(PSA_ALG_RSA_OAEP_GET_HASH(op->alg), &m->p.oaep.hashAlg,
	    &m->p.oaep.mgf) == -1)
		return PSA_ERROR_NOT_SUPPORTED;
	m->p.oaep.source = CKZ_DATA_SPECIFIED;
	m->p.oaep.pSourceData = op->in[1].len ? (void *)op->in[1].ptr : NULL;
	m->p.oaep.ulSourceDataLen = op->in[1].len;
	m->m.mechanism = CKM_RSA_PKCS_OAEP;
	m->m.pParameter = &m->p.oaep;
	m->m.ulParameterLen = sizeof(m->p.oaep);
	return PSA_SUCCESS;
}

/* One-shot encrypt or decrypt through the token, output sized by the token. */
static CK_RV
p11_run_crypt(int encrypt, CK_MECHANISM *mech, CK_OBJECT_HANDLE key, const uint8_t *in,
    size_t in_len, uint8_t *prefix, size_t prefix_len, struct op_result *res,
    struct prov_out *out)
{
	CK_ULONG len = 0;
	CK_RV rv;
	uint8_t *p;

	rv = encrypt ? p11.module->C_EncryptInit(p11.session, mech, key) :
	    p11.module->C_DecryptInit(p11.session, mech, key);
	if (rv != CKR_OK)
		return rv;
	rv = encrypt ? p11.module->C_Encrypt(p11.session, (uint8_t *)in, in_len, NULL, &len) :
	    p11.module->C_Decrypt(p11.session, (uint8_t *)in, in_len, NULL, &len);
	if (rv != CKR_OK)
		return rv;
	if (len > (CK_ULONG)(IPC_MAX_PAYLOAD - prefix_len))
		return CKR_DEVICE_MEMORY;
	p = prov_out_alloc(out, res, 0, prefix_len + len);
	if (prefix_len > 0)
		memcpy(p, prefix, prefix_len);
	rv = encrypt ?
	    p11.module->C_Encrypt(p11.session, (uint8_t *)in, in_len, p + prefix_len, &len) :
	    p11.module->C_Decrypt(p11.session, (uint8_t *)in, in_len, p + prefix_len, &len);
	res->out[0].len = rv == CKR_OK ? prefix_len + len : 0;
	return rv;
}

psa_status_t
p11_decrypt_status(CK_RV rv, psa_status_t fail_status)
{
	switch (rv) {
	case CKR_GENERAL_ERROR:
	case CKR_FUNCTION_FAILED:
	case CKR_ENCRYPTED_DATA_INVALID:
	case CKR_ENCRYPTED_DATA_LEN_RANGE:
		return fail_status;
	default:
		return p11_status(rv);
	}
}

/* MGF1 (RFC 8017 B.2.1): mask ^= the hash-based mask of seed, for len bytes. */
static int
p11_mgf1_xor(psa_algorithm_t hash, const uint8_t *seed, size_t seed_len, uint8_t *mask,
    size_t len)
{
	uint8_t in[512 + 4], block[PSA_HASH_MAX_SIZE];
	size_t done, n, i, block_len;
	uint32_t counter;

	if (seed_len > 512)
		return -1;
	memcpy(in, seed, seed_len);
	for (done = 0, counter = 0; done < len; done += n, counter++) {
		in[seed_len] = (uint8_t)(counter >> 24);
		in[seed_len + 1] = (uint8_t)(counter >> 16);
		in[seed_len + 2] = (uint8_t)(counter >> 8);
		in[seed_len + 3] = (uint8_t)counter;
		if (psa_hash_compute(hash, in, seed_len + 4, block, sizeof(block), &block_len) !=
		    PSA_SUCCESS)
			return -1;
		n = len - done < block_len ? len - done : block_len;
		for (i = 0; i < n; i++)
			mask[done + i] ^= block[i];
	}
	explicit_bzero(block, sizeof(block));
	return 0;
}

/*
 * OAEP decoding (RFC 8017 7.1.2, step 3) of a raw RSA result, for tokens
 * whose OAEP lacks the hash PSA asks for. Every check runs whatever the
 * earlier ones found, and one status covers them all, so that a bad
 * ciphertext tells no more than "bad".
 */
static psa_status_t
p11_oaep_decode(psa_algorithm_t hash, const uint8_t *label, size_t label_len, uint8_t *em,
    size_t k, struct op_result *res, struct prov_out *out)
{
	size_t h_len = PSA_HASH_LENGTH(hash), i, msg_at = 0, l_len;
	uint8_t l_hash[PSA_HASH_MAX_SIZE], bad = 0, found = 0, *db;

	if (h_len == 0 || k < 2 * h_len + 2 || h_len > 64)
		return PSA_ERROR_INVALID_PADDING;
	if (psa_hash_compute(hash, label, label_len, l_hash, sizeof(l_hash), &l_len) !=
	    PSA_SUCCESS)
		return PSA_ERROR_GENERIC_ERROR;
	db = em + 1 + h_len;
	if (p11_mgf1_xor(hash, db, k - h_len - 1, em + 1, h_len) == -1 ||
	    p11_mgf1_xor(hash, em + 1, h_len, db, k - h_len - 1) == -1)
		return PSA_ERROR_GENERIC_ERROR;
	bad |= em[0];
	for (i = 0; i < h_len; i++)
		bad |= db[i] ^ l_hash[i];
	for (i = h_len; i < k - h_len - 1; i++) {
		uint8_t is_one = (uint8_t)(db[i] == 1), is_zero = (uint8_t)(db[i] == 0);

		msg_at = !found && is_one ? i + 1 : msg_at;
		bad |= (uint8_t)(!found && !is_one && !is_zero);
		found |= is_one;
	}
	bad |= (uint8_t)!found;
	if (bad)
		return PSA_ERROR_INVALID_PADDING;
	memcpy(prov_out_alloc(out, res, 0, k - h_len - 1 - msg_at), db + msg_at,
	    k - h_len - 1 - msg_at);
	return PSA_SUCCESS;
}

/* OAEP decryption as a raw RSA operation on the token and the decoding here. */
static psa_status_t
p11_oaep_raw_decrypt(const struct op_request *op, CK_OBJECT_HANDLE key, struct op_result *res,
    struct prov_out *out)
{
	CK_MECHANISM raw = { CKM_RSA_X_509, NULL, 0 };
	struct op_result tmp_res;
	struct prov_out tmp;
	size_t k = op->in[0].len, got;
	uint8_t *em;
	psa_status_t st;
	CK_RV rv;

	if (!p11_has_mech(CKM_RSA_X_509, CKF_DECRYPT))
		return PSA_ERROR_NOT_SUPPORTED;
	if (k < 64 || k > 1024)
		return PSA_ERROR_INVALID_ARGUMENT;
	memset(&tmp, 0, sizeof(tmp));
	op_result_status(&tmp_res, ST_SUCCESS);
	if ((rv = p11_run_crypt(0, &raw, key, op->in[0].ptr, k, NULL, 0, &tmp_res, &tmp)) !=
	    CKR_OK) {
		st = p11_decrypt_status(rv, PSA_ERROR_INVALID_PADDING);
		goto done;
	}
	/* The raw result is the modulus's width; some modules drop its leading zeros. */
	got = tmp_res.out[0].len;
	if ((em = calloc(1, k)) == NULL)
		fatal("calloc");
	if (got <= k)
		memcpy(em + k - got, tmp.buf[0], got);
	st = got <= k ? p11_oaep_decode(PSA_ALG_RSA_OAEP_GET_HASH(op->alg), op->in[1].ptr,
	    op->in[1].len, em, k, res, out) : PSA_ERROR_INVALID_PADDING;
	wipe_free(em, k);
done:
	wipe_free(tmp.buf[0], tmp.cap[0]);
	return st;
}

/* Encryption with the public key in mbedtls. */
static psa_status_t
p11_soft_encrypt(const struct op_request *op, const uint8_t *id, struct op_result *res,
    struct prov_out *out)
{
	psa_key_id_t soft;
	size_t len = 0;
	psa_status_t st;
	uint8_t *p;

	if ((st = p11_soft_key(&op->attrs, id, op->alg, PSA_KEY_USAGE_ENCRYPT, &soft)) !=
	    PSA_SUCCESS)
		return st;
	p = prov_out_alloc(out, res, 0, PSA_ASYMMETRIC_ENCRYPT_OUTPUT_MAX_SIZE);
	st = psa_asymmetric_encrypt(soft, op->alg, op->in[0].ptr, op->in[0].len,
	    op->in[1].len ? op->in[1].ptr : NULL, op->in[1].len, p,
	    PSA_ASYMMETRIC_ENCRYPT_OUTPUT_MAX_SIZE, &len);
	res->out[0].len = st == PSA_SUCCESS ? len : 0;
	psa_destroy_key(soft);
	return st;
}

/*
 * Plaintext too long for the key's modulus: PSA's INVALID_ARGUMENT, found
 * here since a token may report it as anything (SoftHSMv2: a general error).
 */
static psa_status_t
p11_crypt_fits(const struct op_request *op)
{
	size_t k = PSA_BITS_TO_BYTES(op->attrs.bits), over;

	if (op->attrs.bits == 0)
		return PSA_SUCCESS; /* the token judges */
	over = op->alg == PSA_ALG_RSA_PKCS1V15_CRYPT ? 11 :
	    2 * PSA_HASH_LENGTH(PSA_ALG_RSA_OAEP_GET_HASH(op->alg)) + 2;
	return k < over || op->in[0].len > k - over ? PSA_ERROR_INVALID_ARGUMENT : PSA_SUCCESS;
}

/* ECDH: the token derives a session secret that we read and destroy at once. */
psa_status_t
p11_op_asymmetric(const struct op_request *op, const uint8_t *id, size_t id_len,
    struct op_result *res, struct prov_out *out)
{
	int encrypt = op->opcode == OP_PSA_ASYMMETRIC_ENCRYPT;
	struct p11_mech m;
	CK_OBJECT_HANDLE key;
	psa_status_t st;
	CK_RV rv;

	if ((st = key_policy_check(&op->attrs, op->opcode, op->alg)) != PSA_SUCCESS)
		return st;
	if ((st = p11_crypt_mech(op, &m)) != PSA_SUCCESS ||
	    (encrypt && (st = p11_crypt_fits(op)) != PSA_SUCCESS))
		return st;
	if (encrypt && p11.software_public_operations)
		return p11_soft_encrypt(op, id, res, out);
	if ((st = p11_find_key(encrypt ? CKO_PUBLIC_KEY : CKO_PRIVATE_KEY, id, &key)) !=
	    PSA_SUCCESS)
		return st;
	rv = CKR_MECHANISM_INVALID;
	/*
	 * A label goes past the token's OAEP, as below when the token refuses
	 * one: SoftHSMv2 2.6.1's SHA-1 OAEP fails to decrypt a labelled
	 * ciphertext that Mbed TLS made (seen in e2e_psa_diff).
	 */
	if (m.m.mechanism == CKM_RSA_PKCS_OAEP && op->in[1].len > 0)
		rv = CKR_ARGUMENTS_BAD;
	else if (p11_has_mech(m.m.mechanism, encrypt ? CKF_ENCRYPT : CKF_DECRYPT))
		rv = p11_run_crypt(encrypt, &m.m, key, op->in[0].ptr, op->in[0].len, NULL, 0,
		    res, out);
	/* The token's OAEP may not take this hash or a label: the public half runs here, */
	if ((rv == CKR_ARGUMENTS_BAD || rv == CKR_MECHANISM_PARAM_INVALID ||
	    rv == CKR_MECHANISM_INVALID) && m.m.mechanism == CKM_RSA_PKCS_OAEP) {
		if (encrypt)
			return p11_soft_encrypt(op, id, res, out);
		/* and the private half is a raw RSA operation on the token, decoded here. */
		return p11_oaep_raw_decrypt(op, key, res, out);
	}
	return encrypt ? p11_status(rv) : p11_decrypt_status(rv, PSA_ERROR_INVALID_PADDING);
}

/*
 * Whether mbedtls takes the peer's point as a public key of the curve: one
 * off the curve is the caller's error, which a token may report as anything
 * (SoftHSMv2: CKR_GENERAL_ERROR). A curve mbedtls lacks is left to the token.
 */
static int
p11_peer_valid(const struct op_request *op)
{
	psa_key_attributes_t pa = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t peer;
	psa_status_t st;

	psa_set_key_type(&pa, PSA_KEY_TYPE_ECC_PUBLIC_KEY(
	    PSA_KEY_TYPE_ECC_GET_FAMILY((psa_key_type_t)op->attrs.type)));
	if ((st = psa_import_key(&pa, op->in[0].ptr, op->in[0].len, &peer)) == PSA_SUCCESS)
		psa_destroy_key(peer);
	return st != PSA_ERROR_INVALID_ARGUMENT;
}

psa_status_t
p11_op_ecdh(const struct op_request *op, const uint8_t *id, size_t id_len,
    struct op_result *res, struct prov_out *out)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG secret_len = 0;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &secret_len, sizeof(secret_len) },
	};
	struct p11_mech m;
	CK_OBJECT_HANDLE key, secret;
	uint8_t *value = NULL;
	size_t value_len = 0;
	psa_status_t st;
	CK_RV rv;

	if ((st = key_policy_check(&op->attrs, op->opcode, op->alg)) != PSA_SUCCESS)
		return st;
	if (op->alg != PSA_ALG_ECDH || !PSA_KEY_TYPE_IS_ECC_KEY_PAIR(op->attrs.type))
		return PSA_ERROR_INVALID_ARGUMENT;
	if ((st = p11_find_key(CKO_PRIVATE_KEY, id, &key)) != PSA_SUCCESS)
		return st;
	/* The shared secret is the x coordinate: as wide as the curve's field. */
	secret_len = PSA_BITS_TO_BYTES(op->attrs.bits != 0 ? op->attrs.bits : p11_ec_key_bits(key));
	if (secret_len == 0 || op->in[0].len != 1 + 2 * secret_len || op->in[0].ptr[0] != 4 ||
	    !p11_peer_valid(op))
		return PSA_ERROR_INVALID_ARGUMENT;
	memset(&m, 0, sizeof(m));
	m.p.ecdh.kdf = CKD_NULL;
	m.p.ecdh.pPublicData = (uint8_t *)op->in[0].ptr;
	m.p.ecdh.ulPublicDataLen = op->in[0].len;
	m.m.mechanism = CKM_ECDH1_DERIVE;
	m.m.pParameter = &m.p.ecdh;
	m.m.ulParameterLen = sizeof(m.p.ecdh);
	if ((rv = p11.module->C_DeriveKey(p11.session, &m.m, key, tmpl,
	    sizeof(tmpl) / sizeof(tmpl[0]), &secret)) != CKR_OK)
		return p11_status(rv);
	rv = p11_get_attr(secret, CKA_VALUE, &value, &value_len);
	(void)p11.module->C_DestroyObject(p11.session, secret);
	if (rv != CKR_OK)
		return p11_status(rv);
	if (value_len == secret_len)
		memcpy(prov_out_alloc(out, res, 0, value_len), value, value_len);
	p11_free(value, value_len);
	return value_len == secret_len ? PSA_SUCCESS : PSA_ERROR_HARDWARE_FAILURE;
}

psa_status_t
p11_op_aead(const struct op_request *op, const uint8_t *id, size_t id_len,
    struct op_result *res, struct prov_out *out)
{
	int encrypt = op->opcode == OP_PSA_AEAD_ENCRYPT;
	size_t tag_len = PSA_ALG_AEAD_GET_TAG_LENGTH(op->alg);
	struct p11_mech m;
	CK_OBJECT_HANDLE key;
	psa_status_t st;
	CK_RV rv;

	if ((st = key_policy_check(&op->attrs, op->opcode, op->alg)) != PSA_SUCCESS)
		return st;
	if (op->attrs.type != PSA_KEY_TYPE_AES ||
	    PSA_ALG_AEAD_WITH_DEFAULT_LENGTH_TAG(op->alg) != PSA_ALG_GCM)
		return PSA_ERROR_NOT_SUPPORTED;
	if (tag_len < 4 || tag_len > 16 || op->in[0].len == 0 ||
	    (!encrypt && op->in[2].len < tag_len))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (!p11_has_mech(CKM_AES_GCM, encrypt ? CKF_ENCRYPT : CKF_DECRYPT))
		return PSA_ERROR_NOT_SUPPORTED;
	if ((st = p11_find_key(CKO_SECRET_KEY, id, &key)) != PSA_SUCCESS)
		return st;
	memset(&m, 0, sizeof(m));
	m.p.gcm.pIv = (uint8_t *)op->in[0].ptr;
	m.p.gcm.ulIvLen = op->in[0].len;
	m.p.gcm.ulIvBits = op->in[0].len * 8;
	m.p.gcm.pAAD = op->in[1].len ? (uint8_t *)op->in[1].ptr : NULL;
	m.p.gcm.ulAADLen = op->in[1].len;
	m.p.gcm.ulTagBits = tag_len * 8;
	m.m.mechanism = CKM_AES_GCM;
	m.m.pParameter = &m.p.gcm;
	m.m.ulParameterLen = sizeof(m.p.gcm);
	rv = p11_run_crypt(encrypt, &m.m, key, op->in[2].ptr, op->in[2].len, NULL, 0, res, out);
	/* A tag that does not match is PSA's invalid signature. */
	return encrypt ? p11_status(rv) : p11_decrypt_status(rv, PSA_ERROR_INVALID_SIGNATURE);
}

/* PSA's one-shot cipher: the IV travels in front of the ciphertext. */
psa_status_t
p11_op_cipher(const struct op_request *op, const uint8_t *id, size_t id_len,
    struct op_result *res, struct prov_out *out)
{
	int encrypt = op->opcode == OP_PSA_CIPHER_ENCRYPT;
	/* ECB takes no IV; every other mode here takes one block of it. */
	size_t iv_len = op->alg == PSA_ALG_ECB_NO_PADDING ? 0 : P11_AES_BLOCK;
	uint8_t iv[P11_AES_BLOCK];
	const uint8_t *in = op->in[0].ptr;
	size_t in_len = op->in[0].len;
	struct p11_mech m;
	CK_OBJECT_HANDLE key;
	CK_RV rv = CKR_OK;
	psa_status_t st;

	if ((st = key_policy_check(&op->attrs, op->opcode, op->alg)) != PSA_SUCCESS)
		return st;
	memset(&m, 0, sizeof(m));
	if (op->attrs.type != PSA_KEY_TYPE_AES)
		return PSA_ERROR_NOT_SUPPORTED;
	if (op->alg == PSA_ALG_CBC_NO_PADDING)
		m.m.mechanism = CKM_AES_CBC;
	else if (op->alg == PSA_ALG_CBC_PKCS7)
		m.m.mechanism = CKM_AES_CBC_PAD;
	else if (op->alg == PSA_ALG_CTR)
		m.m.mechanism = CKM_AES_CTR;
	else if (op->alg == PSA_ALG_ECB_NO_PADDING)
		m.m.mechanism = CKM_AES_ECB;
	else
		return PSA_ERROR_NOT_SUPPORTED;
	if (!p11_has_mech(m.m.mechanism, encrypt ? CKF_ENCRYPT : CKF_DECRYPT))
		return PSA_ERROR_NOT_SUPPORTED;
	if (encrypt) {
		if (iv_len > 0 && p11.has_rng)
			rv = p11.module->C_GenerateRandom(p11.session, iv, iv_len);
		else if (iv_len > 0)
			rv = psa_generate_random(iv, iv_len) == PSA_SUCCESS ? CKR_OK :
			    CKR_FUNCTION_FAILED;
		if (rv != CKR_OK)
			return p11_status(rv);
	} else {
		if (in_len < iv_len)
			return PSA_ERROR_INVALID_ARGUMENT;
		memcpy(iv, in, iv_len);
		in += iv_len;
		in_len -= iv_len;
	}
	/* As mbedtls: a block mode takes whole blocks, and padding needs one to come off. */
	if ((op->alg != PSA_ALG_CTR && op->alg != PSA_ALG_CBC_PKCS7 &&
	    in_len % P11_AES_BLOCK != 0) || (!encrypt && op->alg == PSA_ALG_CBC_PKCS7 &&
	    (in_len == 0 || in_len % P11_AES_BLOCK != 0)))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (op->alg == PSA_ALG_CTR) {
		m.p.ctr.ulCounterBits = 128;
		memcpy(m.p.ctr.cb, iv, sizeof(iv));
		m.m.pParameter = &m.p.ctr;
		m.m.ulParameterLen = sizeof(m.p.ctr);
	} else if (iv_len > 0) {
		m.m.pParameter = iv;
		m.m.ulParameterLen = iv_len;
	}
	if ((st = p11_find_key(CKO_SECRET_KEY, id, &key)) != PSA_SUCCESS)
		return st;
	rv = p11_run_crypt(encrypt, &m.m, key, in, in_len, encrypt ? iv : NULL,
	    encrypt ? iv_len : 0, res, out);
	return encrypt ? p11_status(rv) : p11_decrypt_status(rv, PSA_ERROR_INVALID_PADDING);
}

/* PSA's hash of a message, signed or verified as a hash on the token. */
static psa_status_t
p11_message_hash(const struct op_request *op, uint8_t *hash, size_t *hash_len)
{
	if (!PSA_ALG_IS_HASH_AND_SIGN(op->alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	return psa_hash_compute(PSA_ALG_SIGN_GET_HASH(op->alg), op->in[0].ptr, op->in[0].len, hash,
	    PSA_HASH_MAX_SIZE, hash_len);
}

/* Signatures and their checks; a message is hashed here and its hash goes to the token. */
psa_status_t
p11_op_signature(const struct op_request *op, const uint8_t *id, size_t id_len,
    struct op_result *res, struct prov_out *out)
{
	int sign = op->opcode == OP_PSA_SIGN_HASH || op->opcode == OP_PSA_SIGN_MESSAGE;
	const uint8_t *hash = op->in[0].ptr;
	size_t hash_len = op->in[0].len;
	uint8_t digest[PSA_HASH_MAX_SIZE];
	psa_status_t st;

	if ((st = key_policy_check(&op->attrs, op->opcode, op->alg)) != PSA_SUCCESS ||
	    (st = key_policy_hash_length(&op->attrs, op->opcode, op->alg, hash_len)) !=
	    PSA_SUCCESS)
		return st;
	if (op->opcode == OP_PSA_SIGN_MESSAGE || op->opcode == OP_PSA_VERIFY_MESSAGE) {
		if ((st = p11_message_hash(op, digest, &hash_len)) != PSA_SUCCESS)
			return st;
		hash = digest;
	}
	if (sign)
		return p11_sign(&op->attrs, id, op->alg, hash, hash_len, res, out);
	return p11_verify(&op->attrs, id, op->alg, hash, hash_len, op->in[1].ptr, op->in[1].len);
}

psa_status_t
p11_op_random(const struct op_request *op, const uint8_t *id, size_t id_len,
    struct op_result *res, struct prov_out *out)
{
	uint64_t size = op->number;
	size_t done, chunk;
	uint8_t *p;
	CK_RV rv;

	if (size > P11_MAX_RANDOM)
		return PSA_ERROR_INVALID_ARGUMENT;
	p = prov_out_alloc(out, res, 0, (size_t)size);
	for (done = 0; done < size; done += chunk) {
		chunk = size - done > P11_RANDOM_CHUNK ? P11_RANDOM_CHUNK : size - done;
		if ((rv = p11.module->C_GenerateRandom(p11.session, p + done, chunk)) != CKR_OK) {
			res->out[0].len = 0;
			return p11_status(rv);
		}
	}
	return PSA_SUCCESS;
}

int
p11_digest_mech(uint32_t alg, CK_MECHANISM_TYPE *mech)
{
	CK_RSA_PKCS_MGF_TYPE mgf;

	/* A digest a token may offer beyond those its signatures take. */
	if (alg == PSA_ALG_MD5)
		*mech = CKM_MD5;
	else if (p11_hash_mech(alg, mech, &mgf) != 0)
		return 0;
	return p11_has_mech(*mech, CKF_DIGEST);
}

int
p11_serves_hash(void)
{
	CK_MECHANISM_TYPE mech;

	return p11_digest_mech(PSA_ALG_SHA_256, &mech);
}

/*
 * PsaHashCompute and PsaHashCompare: one C_Digest on the worker's session; a
 * hash to compare of another length than the algorithm's is a mismatch, as
 * PSA says, and the comparison takes the same time wherever they differ.
 */
psa_status_t
p11_op_hash(const struct op_request *op, const uint8_t *id, size_t id_len,
    struct op_result *res, struct prov_out *out)
{
	CK_MECHANISM mech = { 0, NULL, 0 };
	uint8_t digest[PSA_HASH_MAX_SIZE];
	CK_ULONG len = sizeof(digest);
	psa_status_t st;

	if (!PSA_ALG_IS_HASH(op->alg))
		return PSA_ERROR_INVALID_ARGUMENT;
	if (!p11_digest_mech(op->alg, &mech.mechanism))
		return PSA_ERROR_NOT_SUPPORTED;
	if ((st = p11_status(p11.module->C_DigestInit(p11.session, &mech))) != PSA_SUCCESS)
		return st;
	st = p11_status(p11.module->C_Digest(p11.session, (uint8_t *)op->in[0].ptr,
	    op->in[0].len, digest, &len));
	if (st == PSA_SUCCESS && len != PSA_HASH_LENGTH(op->alg))
		st = PSA_ERROR_HARDWARE_FAILURE;
	if (st != PSA_SUCCESS)
		return st;
	if (op->opcode == OP_PSA_HASH_COMPARE)
		return op->in[1].len == len && p11_mac_equal(op->in[1].ptr, digest, len) ?
		    PSA_SUCCESS : PSA_ERROR_INVALID_SIGNATURE;
	memcpy(prov_out_alloc(out, res, 0, len), digest, len);
	return PSA_SUCCESS;
}
