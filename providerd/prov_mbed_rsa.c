/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RSA hot path: psa_sign_hash and psa_asymmetric_decrypt in mbedtls 2.28
 * parse the key into a fresh RSA context on every call, and a fresh context
 * sets up its blinding values with a modular inverse that costs more than a
 * quarter of an RSA-2048 signature or decryption (measured with callgrind: 11 of 40
 * million instructions). Here each worker keeps the parsed context of its
 * most recently used RSA key pairs; mbedtls renews a kept context's blinding
 * values by squaring them at each use, so blinding stays on at a fraction of
 * the cost.
 *
 * The key is read from PSA's own key file, in mbedtls's persistent storage
 * format (psa_crypto_storage.c; little-endian): the magic "PSA\0KEY\0" (8),
 * version 0 (4), lifetime (4), type (2), bits (2), usage (4), algorithm (4),
 * enrollment algorithm (4), data length (4), then the key pair's DER. A key
 * is used here only if that header says what psa_get_key_attributes says.
 * Anything but a permitted sign or decrypt with a valid input goes to PSA,
 * which answers in its own words, as does any failure here.
 *
 * A destroyed key leaves this worker's cache with its file (the worker that
 * destroys it) or on brokerd's word (IPC_PROV_FORGET, sent to every other
 * worker ahead of any later request); mbedtls_pk_free wipes the numbers.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/rsa.h>
#include <psa/crypto.h>

#include "buf.h"
#include "key_policy.h"
#include "log.h"
#include "prov_mbed.h"
#include "prov_mbed_its.h"

#define RSA_SLOTS 16
#define RSA_MAGIC "PSA\0KEY\0"
#define RSA_HDR 36
#define RSA_FILE_MAX (RSA_HDR + PSA_KEY_EXPORT_RSA_KEY_PAIR_MAX_SIZE(PSA_VENDOR_RSA_MAX_KEY_BITS))

struct rsa_key {
	psa_key_id_t id;
	uint64_t last_use;
	struct op_key_attrs attrs; /* type, bits and policy, from PSA */
	mbedtls_pk_context pk;
};

static struct rsa_key rsa_keys[RSA_SLOTS];
static uint64_t rsa_clock;

static void
rsa_drop(struct rsa_key *k)
{
	mbedtls_pk_free(&k->pk); /* mbedtls_mpi_free zeroes each number before freeing it */
	memset(k, 0, sizeof(*k));
}

void
prov_mbed_rsa_drop(psa_key_id_t id)
{
	size_t i;

	for (i = 0; i < RSA_SLOTS; i++)
		if (rsa_keys[i].id == id && id != 0)
			rsa_drop(&rsa_keys[i]);
}

/* Whether PSA's key file header (RSA_HDR bytes) says what attrs says, with len bytes of data. */
static int
rsa_header_ok(const uint8_t *h, size_t len, const psa_key_attributes_t *attrs)
{
	return memcmp(h, RSA_MAGIC, 8) == 0 && buf_le32(h + 8) == 0 &&
	    buf_le32(h + 12) == psa_get_key_lifetime(attrs) &&
	    (uint32_t)(h[16] | h[17] << 8) == psa_get_key_type(attrs) &&
	    (size_t)(h[18] | h[19] << 8) == psa_get_key_bits(attrs) &&
	    buf_le32(h + 20) == psa_get_key_usage_flags(attrs) &&
	    buf_le32(h + 24) == psa_get_key_algorithm(attrs) &&
	    buf_le32(h + 28) == psa_get_key_enrollment_algorithm(attrs) &&
	    buf_le32(h + 32) == len;
}

/* Parses PSA's file of key id (an RSA key pair under attrs) into k. */
static int
rsa_read(psa_key_id_t id, const psa_key_attributes_t *attrs, struct rsa_key *k)
{
	struct psa_storage_info_t info;
	uint8_t *file;
	size_t len = 0;
	int ok;

	if (psa_its_get_info(id, &info) != PSA_SUCCESS || info.size <= RSA_HDR ||
	    info.size > RSA_FILE_MAX || (file = malloc(info.size)) == NULL)
		return -1;
	ok = psa_its_get(id, 0, info.size, file, &len) == PSA_SUCCESS && len == info.size &&
	    rsa_header_ok(file, len - RSA_HDR, attrs) &&
	    mbedtls_pk_parse_key(&k->pk, file + RSA_HDR, len - RSA_HDR, NULL, 0) == 0 &&
	    mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA &&
	    mbedtls_pk_get_bitlen(&k->pk) == psa_get_key_bits(attrs);
	mbedtls_platform_zeroize(file, info.size);
	free(file);
	return ok ? 0 : -1;
}

/* Loads key id into the least recently used slot; NULL if it is not an RSA key pair here. */
static struct rsa_key *
rsa_load(psa_key_id_t id)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	struct rsa_key k, *slot = &rsa_keys[0];
	size_t i;
	int ok;

	memset(&k, 0, sizeof(k));
	mbedtls_pk_init(&k.pk);
	/* A key with a second permitted algorithm (none made through Parsec) stays PSA's. */
	ok = psa_get_key_attributes(id, &attrs) == PSA_SUCCESS &&
	    psa_get_key_type(&attrs) == PSA_KEY_TYPE_RSA_KEY_PAIR &&
	    psa_get_key_enrollment_algorithm(&attrs) == PSA_ALG_NONE &&
	    rsa_read(id, &attrs, &k) == 0;
	k.attrs.type = psa_get_key_type(&attrs);
	k.attrs.bits = (uint32_t)psa_get_key_bits(&attrs);
	k.attrs.usage = psa_get_key_usage_flags(&attrs);
	k.attrs.alg = psa_get_key_algorithm(&attrs);
	psa_reset_key_attributes(&attrs);
	psa_purge_key(id); /* what PSA loaded to answer stays on disk, as after every operation */
	if (!ok) {
		rsa_drop(&k);
		return NULL;
	}
	for (i = 1; i < RSA_SLOTS; i++)
		if (rsa_keys[i].id == 0 || rsa_keys[i].last_use < slot->last_use)
			slot = &rsa_keys[i];
	if (slot->id != 0)
		rsa_drop(slot);
	*slot = k; /* the slot takes over the parsed context */
	slot->id = id;
	log_debug("key %u: RSA key pair parsed and kept", (unsigned)id);
	return slot;
}

/* The cached key id if it may serve alg with usage; NULL sends the call to PSA. */
static struct rsa_key *
rsa_key_for(psa_key_id_t id, psa_algorithm_t alg, psa_key_usage_t usage)
{
	struct rsa_key *k = NULL;
	size_t i;

	for (i = 0; i < RSA_SLOTS; i++)
		if (rsa_keys[i].id == id && id != 0)
			k = &rsa_keys[i];
	if (k == NULL && (k = rsa_load(id)) == NULL)
		return NULL;
	k->last_use = ++rsa_clock;
	if (!key_policy_permits(&k->attrs, usage, alg))
		return NULL;
	return k;
}

int
prov_mbed_rsa_sign(psa_key_id_t id, psa_algorithm_t alg, int message, const uint8_t *in,
    size_t in_len, uint8_t *sig, size_t sig_cap, size_t *sig_len, psa_status_t *status)
{
	psa_algorithm_t hash_alg = PSA_ALG_SIGN_GET_HASH(alg);
	mbedtls_md_type_t md = prov_mbed_md(hash_alg);
	uint8_t hash[PSA_HASH_MAX_SIZE];
	size_t hash_len = in_len;
	mbedtls_rsa_context *rsa;
	struct rsa_key *k;
	int rc;

	if (!(PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg) || PSA_ALG_IS_RSA_PSS(alg)) ||
	    md == MBEDTLS_MD_NONE || (!message && in_len != PSA_HASH_LENGTH(hash_alg)))
		return 0; /* PSA decides: raw PKCS#1 v1.5, other hashes, wildcards, wrong lengths */
	if ((k = rsa_key_for(id, alg, message ? PSA_KEY_USAGE_SIGN_MESSAGE :
	    PSA_KEY_USAGE_SIGN_HASH)) == NULL)
		return 0;
	rsa = mbedtls_pk_rsa(k->pk);
	if (sig_cap < mbedtls_rsa_get_len(rsa))
		return 0;
	/* A message is hashed first, as psa_sign_message does once the policy allows it. */
	if (message && psa_hash_compute(hash_alg, in, in_len, hash, sizeof(hash), &hash_len) !=
	    PSA_SUCCESS)
		return 0;
	if (message)
		in = hash;
	/* The padding PSA sets before each signature (psa_crypto_rsa.c). */
	if (PSA_ALG_IS_RSA_PKCS1V15_SIGN(alg)) {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
		rc = mbedtls_rsa_pkcs1_sign(rsa, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE,
		    MBEDTLS_RSA_PRIVATE, md, (unsigned int)hash_len, in, sig);
	} else {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, md);
		rc = mbedtls_rsa_rsassa_pss_sign(rsa, mbedtls_psa_get_random,
		    MBEDTLS_PSA_RANDOM_STATE, MBEDTLS_RSA_PRIVATE, md, (unsigned int)hash_len, in, sig);
	}
	if (rc != 0)
		return 0;
	*sig_len = mbedtls_rsa_get_len(rsa);
	*status = PSA_SUCCESS;
	return 1;
}

int
prov_mbed_rsa_decrypt(psa_key_id_t id, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
    const uint8_t *label, size_t label_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	mbedtls_rsa_context *rsa;
	struct rsa_key *k;
	int rc;

	if (!(alg == PSA_ALG_RSA_PKCS1V15_CRYPT && label_len == 0) && !(PSA_ALG_IS_RSA_OAEP(alg) &&
	    prov_mbed_md(PSA_ALG_RSA_OAEP_GET_HASH(alg)) != MBEDTLS_MD_NONE))
		return 0;
	if ((k = rsa_key_for(id, alg, PSA_KEY_USAGE_DECRYPT)) == NULL)
		return 0;
	rsa = mbedtls_pk_rsa(k->pk);
	if (in_len != mbedtls_rsa_get_len(rsa))
		return 0;
	/* The padding PSA sets before each decryption (psa_crypto_rsa.c). */
	if (alg == PSA_ALG_RSA_PKCS1V15_CRYPT) {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V15, MBEDTLS_MD_NONE);
		rc = mbedtls_rsa_pkcs1_decrypt(rsa, mbedtls_psa_get_random,
		    MBEDTLS_PSA_RANDOM_STATE, MBEDTLS_RSA_PRIVATE, out_len, in, out, out_cap);
	} else {
		mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21,
		    prov_mbed_md(PSA_ALG_RSA_OAEP_GET_HASH(alg)));
		rc = mbedtls_rsa_rsaes_oaep_decrypt(rsa, mbedtls_psa_get_random,
		    MBEDTLS_PSA_RANDOM_STATE, MBEDTLS_RSA_PRIVATE, label, label_len, out_len, in, out,
		    out_cap);
	}
	return rc == 0;
}
