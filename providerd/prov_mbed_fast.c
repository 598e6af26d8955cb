/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ECDSA hot path: psa_sign_hash in mbedtls 2.28 re-parses the key (and
 * recomputes its public point) on every call, halving throughput. Here each
 * worker keeps the private scalar of recently used SECP R1 keys parsed, read
 * from the PSA key file through our own storage, and signs with the ECDSA
 * module directly after the same policy checks PSA makes. Destroying a key
 * drops it from the cache of the worker that destroyed it, and brokerd sends
 * every destroy to every worker.
 *
 * The key file's layout is mbedtls 2.28's own, not an interface: each key
 * read this way is checked against what PSA's public API says of it (type,
 * size, policy, and the public key its scalar gives), and any difference
 * turns the fast path off, so another mbedtls layout costs speed, not
 * wrong signatures.
 */
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>
#include <psa/crypto.h>

#include "log.h"
#include "prov_mbed.h"
#include "prov_mbed_its.h"

#define FAST_SLOTS 64
#define FAST_FILE_MAX 1024

/*
 * The PSA key file as mbedtls 2.28 writes it (psa_crypto_storage.c), after
 * our storage header; numbers little-endian: magic "PSA\0KEY\0" (8), version
 * 0 (4), lifetime (4), type (2), bits (2), policy: usage, alg, alg2 (4 each),
 * data length (4), data. ECC key pair data is the private scalar, big-endian.
 */
#define PSA_FILE_MAGIC "PSA\0KEY\0"
#define PSA_FILE_FIXED 36
#define PSA_FILE_LIFETIME 12
#define PSA_FILE_TYPE 16
#define PSA_FILE_BITS 18
#define PSA_FILE_USAGE 20
#define PSA_FILE_ALG 24
#define PSA_FILE_ALG2 28
#define PSA_FILE_DATA_LEN 32

struct fast_key {
	psa_key_id_t id;
	uint64_t last_use;
	psa_key_usage_t usage;
	psa_algorithm_t alg, alg2;
	mbedtls_ecp_group grp;
	mbedtls_mpi d;
};

static struct fast_key fast_keys[FAST_SLOTS];
static uint64_t fast_clock;
static mbedtls_ctr_drbg_context fast_drbg;
static mbedtls_entropy_context fast_entropy;
static pid_t fast_drbg_pid; /* the process that seeded fast_drbg; 0 before */
static int fast_off; /* a key file did not read as PSA describes it: PSA signs everything */

static int fast_matches_psa(psa_key_id_t id, const struct fast_key *k, psa_key_type_t type,
    size_t bits);

static uint32_t
fast_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
fast_drop(struct fast_key *k)
{
	mbedtls_ecp_group_free(&k->grp);
	mbedtls_mpi_free(&k->d);
	memset(k, 0, sizeof(*k));
}

void
prov_mbed_fast_forget(psa_key_id_t id)
{
	size_t i;

	for (i = 0; i < FAST_SLOTS; i++)
		if (fast_keys[i].id == id)
			fast_drop(&fast_keys[i]);
}

/* Loads a SECP R1 key pair from its file; NULL (and why in *status) otherwise. */
static struct fast_key *
fast_load(psa_key_id_t id, psa_status_t *status)
{
	uint8_t file[FAST_FILE_MAX];
	struct psa_storage_info_t info;
	struct fast_key *slot = NULL;
	mbedtls_ecp_group_id curve;
	psa_key_type_t type;
	size_t len = 0, bits, data_len, i;

	if ((*status = psa_its_get_info(id, &info)) != PSA_SUCCESS)
		return NULL;
	/* Larger files hold RSA keys: not ours to speed up. */
	if (info.size < PSA_FILE_FIXED || info.size > sizeof(file)) {
		*status = PSA_ERROR_NOT_SUPPORTED;
		return NULL;
	}
	if ((*status = psa_its_get(id, 0, info.size, file, &len)) != PSA_SUCCESS)
		goto out;
	type = (psa_key_type_t)(file[PSA_FILE_TYPE] | file[PSA_FILE_TYPE + 1] << 8);
	bits = (size_t)(file[PSA_FILE_BITS] | file[PSA_FILE_BITS + 1] << 8);
	data_len = fast_le32(file + PSA_FILE_DATA_LEN);
	if (len != info.size || memcmp(file, PSA_FILE_MAGIC, 8) != 0 || fast_le32(file + 8) != 0 ||
	    data_len != len - PSA_FILE_FIXED) {
		*status = PSA_ERROR_DATA_CORRUPT;
		goto out;
	}
	curve = bits == 256 ? MBEDTLS_ECP_DP_SECP256R1 : bits == 384 ? MBEDTLS_ECP_DP_SECP384R1 :
	    bits == 521 ? MBEDTLS_ECP_DP_SECP521R1 : MBEDTLS_ECP_DP_NONE;
	if (type != PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) ||
	    curve == MBEDTLS_ECP_DP_NONE ||
	    fast_le32(file + PSA_FILE_LIFETIME) != PSA_KEY_LIFETIME_PERSISTENT) {
		*status = PSA_ERROR_NOT_SUPPORTED;
		goto out;
	}
	if (data_len != PSA_BITS_TO_BYTES(bits)) {
		*status = PSA_ERROR_DATA_CORRUPT;
		goto out;
	}
	slot = &fast_keys[0];
	for (i = 1; i < FAST_SLOTS; i++)
		if (fast_keys[i].id == 0 || fast_keys[i].last_use < slot->last_use)
			slot = &fast_keys[i];
	if (slot->id != 0)
		fast_drop(slot);
	mbedtls_ecp_group_init(&slot->grp);
	mbedtls_mpi_init(&slot->d);
	if (mbedtls_ecp_group_load(&slot->grp, curve) != 0 ||
	    mbedtls_mpi_read_binary(&slot->d, file + PSA_FILE_FIXED, data_len) != 0 ||
	    mbedtls_ecp_check_privkey(&slot->grp, &slot->d) != 0) {
		fast_drop(slot);
		slot = NULL;
		*status = PSA_ERROR_DATA_CORRUPT;
		goto out;
	}
	slot->usage = fast_le32(file + PSA_FILE_USAGE);
	slot->alg = fast_le32(file + PSA_FILE_ALG);
	slot->alg2 = fast_le32(file + PSA_FILE_ALG2);
	if (!fast_matches_psa(id, slot, type, bits)) {
		log_warnx("key %u: its file does not read as PSA describes the key (another "
		    "mbedtls key file layout?); ECDSA goes through PSA from now on", (unsigned)id);
		fast_off = 1;
		fast_drop(slot);
		slot = NULL;
		*status = PSA_ERROR_NOT_SUPPORTED;
		goto out;
	}
	slot->id = id;
out:
	mbedtls_platform_zeroize(file, sizeof(file));
	return slot;
}

static int fast_rng_ready(void);

/* Whether k, read from the file, is the key PSA's public API describes. */
static int
fast_matches_psa(psa_key_id_t id, const struct fast_key *k, psa_key_type_t type, size_t bits)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t want[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE], have[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE];
	size_t want_len = 0, have_len = 0;
	mbedtls_ecp_point q;
	int same;

	if (psa_get_key_attributes(id, &attrs) != PSA_SUCCESS)
		return 0;
	same = psa_get_key_type(&attrs) == type && psa_get_key_bits(&attrs) == bits &&
	    psa_get_key_usage_flags(&attrs) == k->usage &&
	    psa_get_key_algorithm(&attrs) == k->alg &&
	    psa_get_key_enrollment_algorithm(&attrs) == k->alg2;
	psa_reset_key_attributes(&attrs);
	if (!same || psa_export_public_key(id, want, sizeof(want), &want_len) != PSA_SUCCESS ||
	    !fast_rng_ready())
		return 0;
	mbedtls_ecp_point_init(&q);
	same = mbedtls_ecp_mul((mbedtls_ecp_group *)&k->grp, &q, &k->d, &k->grp.G,
	    mbedtls_ctr_drbg_random, &fast_drbg) == 0 &&
	    mbedtls_ecp_point_write_binary(&k->grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &have_len,
	    have, sizeof(have)) == 0 &&
	    have_len == want_len && memcmp(have, want, have_len) == 0;
	mbedtls_ecp_point_free(&q);
	return same;
}

/*
 * PSA's rule (psa_key_algorithm_permits) for a signature: the policy names
 * alg, or is the same scheme with the any-hash wildcard.
 */
static int
fast_permits(psa_algorithm_t policy, psa_algorithm_t alg)
{
	if (policy == PSA_ALG_NONE)
		return 0;
	if (policy == alg)
		return 1;
	return PSA_ALG_IS_SIGN_HASH(policy) && PSA_ALG_SIGN_GET_HASH(policy) == PSA_ALG_ANY_HASH &&
	    (policy & ~PSA_ALG_HASH_MASK) == (alg & ~PSA_ALG_HASH_MASK);
}

/* The DRBG for nonces, seeded in this process (a forked copy must not reuse the stream). */
static int
fast_rng_ready(void)
{
	pid_t pid = getpid();

	if (fast_drbg_pid == pid)
		return 1;
	if (fast_drbg_pid != 0) {
		mbedtls_ctr_drbg_free(&fast_drbg);
		mbedtls_entropy_free(&fast_entropy);
		fast_drbg_pid = 0;
	}
	mbedtls_entropy_init(&fast_entropy);
	mbedtls_ctr_drbg_init(&fast_drbg);
	if (mbedtls_ctr_drbg_seed(&fast_drbg, mbedtls_entropy_func, &fast_entropy,
	    (const unsigned char *)"parsecd-ecdsa", 13) != 0) {
		mbedtls_ctr_drbg_free(&fast_drbg);
		mbedtls_entropy_free(&fast_entropy);
		return 0;
	}
	fast_drbg_pid = pid;
	return 1;
}

int
prov_mbed_fast_sign(psa_key_id_t id, psa_algorithm_t alg, const uint8_t *hash, size_t hash_len,
    uint8_t *sig, size_t sig_cap, size_t *sig_len, psa_status_t *status)
{
	psa_algorithm_t hash_alg = PSA_ALG_SIGN_GET_HASH(alg);
	struct fast_key *k = NULL;
	mbedtls_md_type_t md;
	mbedtls_mpi r, s;
	size_t i, n;
	int rc;

	if (!PSA_ALG_IS_ECDSA(alg))
		return 0;
	md = hash_alg == PSA_ALG_SHA_256 ? MBEDTLS_MD_SHA256 : hash_alg == PSA_ALG_SHA_384 ?
	    MBEDTLS_MD_SHA384 : hash_alg == PSA_ALG_SHA_512 ? MBEDTLS_MD_SHA512 :
	    hash_alg == PSA_ALG_SHA_224 ? MBEDTLS_MD_SHA224 : MBEDTLS_MD_NONE;
	if (fast_off || md == MBEDTLS_MD_NONE || !fast_rng_ready())
		return 0; /* PSA decides: other hashes, wildcards, no hash at all */
	for (i = 0; i < FAST_SLOTS; i++)
		if (fast_keys[i].id == id)
			k = &fast_keys[i];
	if (k == NULL && (k = fast_load(id, status)) == NULL)
		return *status == PSA_ERROR_NOT_SUPPORTED ? 0 : 1;

	k->last_use = ++fast_clock;
	if (!(k->usage & PSA_KEY_USAGE_SIGN_HASH) ||
	    !(fast_permits(k->alg, alg) || fast_permits(k->alg2, alg))) {
		*status = PSA_ERROR_NOT_PERMITTED;
		return 1;
	}
	if (hash_len != PSA_HASH_LENGTH(hash_alg)) {
		*status = PSA_ERROR_INVALID_ARGUMENT;
		return 1;
	}
	n = PSA_BITS_TO_BYTES(k->grp.pbits);
	if (sig_cap < 2 * n) {
		*status = PSA_ERROR_BUFFER_TOO_SMALL;
		return 1;
	}
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	if (PSA_ALG_IS_DETERMINISTIC_ECDSA(alg))
		rc = mbedtls_ecdsa_sign_det_ext(&k->grp, &r, &s, &k->d, hash, hash_len, md,
		    mbedtls_ctr_drbg_random, &fast_drbg);
	else
		rc = mbedtls_ecdsa_sign(&k->grp, &r, &s, &k->d, hash, hash_len,
		    mbedtls_ctr_drbg_random, &fast_drbg);
	if (rc == 0)
		rc = mbedtls_mpi_write_binary(&r, sig, n) || mbedtls_mpi_write_binary(&s, sig + n, n);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	*status = rc == 0 ? PSA_SUCCESS : PSA_ERROR_GENERIC_ERROR;
	*sig_len = rc == 0 ? 2 * n : 0;
	return 1;
}
