/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ECDSA hot path: psa_sign_hash in mbedtls 2.28 re-parses the key (and
 * recomputes its public point) on every call, halving throughput. Here each
 * worker keeps the private scalar of recently used SECP R1 keys parsed and
 * signs with the ECDSA module directly after the same policy checks PSA
 * makes. Destroying a key drops it from the cache of the worker that
 * destroyed it, and brokerd tells every other worker to drop it too
 * (IPC_PROV_FORGET, ahead of any later request to that worker).
 *
 * The scalar comes from a key file of our own, never from PSA's: a SECP R1
 * key pair that may sign is made here (generated, or taken as imported),
 * given to PSA with psa_import_key, and its scalar kept beside PSA's file as
 * <16 hex digits of the key id>.fast, framed as every file of our storage
 * (prov_mbed_its.c). Its data, numbers little-endian: "PFK1" (4), the
 * curve's bits (2), then the scalar, big-endian, at the curve's full width.
 * Type, size and policy come from PSA's public API, and a key is signed
 * here only if the public key its scalar gives is the one PSA exports: a
 * missing or stale file costs speed, not wrong signatures.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/platform_util.h>
#include <psa/crypto.h>

#include "log.h"
#include "prov_mbed.h"
#include "prov_mbed_its.h"
#include "randfill.h"

#define FAST_SLOTS 64
#define FAST_MAGIC "PFK1"
#define FAST_HDR 6 /* magic, bits */
#define FAST_SCALAR_MAX 66 /* P-521 */

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
static pid_t fast_drbg_pid; /* the process that seeded fast_drbg; 0 before */

static void
fast_file_name(psa_key_id_t id, char *name, size_t namesz)
{
	snprintf(name, namesz, "%016llx.fast", (unsigned long long)id);
}

static mbedtls_ecp_group_id
fast_curve(size_t bits)
{
	return bits == 256 ? MBEDTLS_ECP_DP_SECP256R1 : bits == 384 ? MBEDTLS_ECP_DP_SECP384R1 :
	    bits == 521 ? MBEDTLS_ECP_DP_SECP521R1 : MBEDTLS_ECP_DP_NONE;
}

/*
 * The DRBG's seed and reseeds, straight from the kernel's generator: an
 * mbedtls_entropy_context would cost each worker 37 KiB (most of it the
 * HAVEGE state, cleared in full at its init) to hash the same bytes.
 */
static int
fast_entropy(void *unused, unsigned char *out, size_t len)
{
	return randfill(out, len, 0) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

/* The DRBG for nonces and scalars, seeded in this process (a fork must not reuse its stream). */
static int
fast_rng_ready(void)
{
	pid_t pid = getpid();

	if (fast_drbg_pid == pid)
		return 1;
	if (fast_drbg_pid != 0) {
		mbedtls_ctr_drbg_free(&fast_drbg);
		fast_drbg_pid = 0;
	}
	mbedtls_ctr_drbg_init(&fast_drbg);
	if (mbedtls_ctr_drbg_seed(&fast_drbg, fast_entropy, NULL,
	    (const unsigned char *)"parsecd-ecdsa", 13) != 0) {
		mbedtls_ctr_drbg_free(&fast_drbg);
		return 0;
	}
	fast_drbg_pid = pid;
	return 1;
}

static void
fast_drop(struct fast_key *k)
{
	mbedtls_ecp_group_free(&k->grp);
	mbedtls_mpi_free(&k->d);
	memset(k, 0, sizeof(*k));
}

void
prov_mbed_fast_drop_cached(psa_key_id_t id)
{
	size_t i;

	for (i = 0; i < FAST_SLOTS; i++)
		if (fast_keys[i].id == id)
			fast_drop(&fast_keys[i]);
}

void
prov_mbed_fast_forget(psa_key_id_t id)
{
	char name[32];
	psa_status_t st;

	prov_mbed_fast_drop_cached(id);
	fast_file_name(id, name, sizeof(name));
	if ((st = prov_its_file_remove(name)) != PSA_SUCCESS && st != PSA_ERROR_DOES_NOT_EXIST)
		log_warnx("key %u: cannot remove %s (%d)", (unsigned)id, name, (int)st);
}

/* A fresh scalar for a SECP R1 curve of bits, into d (its full width). */
static int
fast_gen_scalar(size_t bits, uint8_t *d, size_t len)
{
	mbedtls_ecp_group grp;
	mbedtls_mpi x;
	int rc;

	if (!fast_rng_ready())
		return -1;
	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&x);
	rc = mbedtls_ecp_group_load(&grp, fast_curve(bits)) != 0 ||
	    mbedtls_ecp_gen_privkey(&grp, &x, mbedtls_ctr_drbg_random, &fast_drbg) != 0 ||
	    mbedtls_mpi_write_binary(&x, d, len) != 0 ? -1 : 0;
	mbedtls_mpi_free(&x);
	mbedtls_ecp_group_free(&grp);
	return rc;
}

/* Keeps the scalar of key id in our own file; a failure costs only speed. */
static void
fast_file_write(psa_key_id_t id, size_t bits, const uint8_t *d, size_t len)
{
	uint8_t file[FAST_HDR + FAST_SCALAR_MAX];
	char name[32];
	psa_status_t st;

	memcpy(file, FAST_MAGIC, 4);
	file[4] = (uint8_t)bits;
	file[5] = (uint8_t)(bits >> 8);
	memcpy(file + FAST_HDR, d, len);
	fast_file_name(id, name, sizeof(name));
	if ((st = prov_its_file_set(name, file, (uint32_t)(FAST_HDR + len))) != PSA_SUCCESS) {
		log_warnx("key %u: %s not written (%d): it signs through PSA", (unsigned)id, name,
		    (int)st);
		(void)prov_its_take_error();
	}
	mbedtls_platform_zeroize(file, sizeof(file));
}

int
prov_mbed_fast_create(const psa_key_attributes_t *attrs, int generate, const uint8_t *data,
    size_t data_len, psa_key_id_t *made, psa_status_t *status)
{
	uint8_t d[FAST_SCALAR_MAX];
	size_t bits = psa_get_key_bits(attrs), len;

	if (psa_get_key_type(attrs) != PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) ||
	    !(psa_get_key_usage_flags(attrs) & PSA_KEY_USAGE_SIGN_HASH))
		return 0;
	if (!generate && bits == 0)
		bits = data_len == 66 ? 521 : data_len * 8;
	len = PSA_BITS_TO_BYTES(bits);
	/* Anything else is PSA's to refuse (or to make) in its own words. */
	if (fast_curve(bits) == MBEDTLS_ECP_DP_NONE || (!generate && data_len != len))
		return 0;
	if (!generate) {
		memcpy(d, data, len);
	} else if (fast_gen_scalar(bits, d, len) == -1) {
		mbedtls_platform_zeroize(d, sizeof(d));
		return 0;
	}
	*status = psa_import_key(attrs, d, len, made);
	if (*status == PSA_SUCCESS)
		fast_file_write(psa_get_key_id(attrs), bits, d, len);
	mbedtls_platform_zeroize(d, sizeof(d));
	return 1;
}

/* Whether k's scalar gives the public key PSA exports for id: 1, 0, or -1 if unknown. */
static int
fast_matches_psa(psa_key_id_t id, const struct fast_key *k)
{
	uint8_t want[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE], have[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE];
	size_t want_len = 0, have_len = 0;
	mbedtls_ecp_point q;
	int same;

	if (psa_export_public_key(id, want, sizeof(want), &want_len) != PSA_SUCCESS)
		return -1;
	mbedtls_ecp_point_init(&q);
	same = mbedtls_ecp_mul((mbedtls_ecp_group *)&k->grp, &q, &k->d, &k->grp.G,
	    mbedtls_ctr_drbg_random, &fast_drbg) != 0 ||
	    mbedtls_ecp_point_write_binary(&k->grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &have_len,
	    have, sizeof(have)) != 0 ? -1 :
	    have_len == want_len && memcmp(have, want, have_len) == 0;
	mbedtls_ecp_point_free(&q);
	return same;
}

/* Reads our file of key id into k; the key's type, size and policy from PSA. */
static int
fast_read(psa_key_id_t id, struct fast_key *k)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t file[FAST_HDR + FAST_SCALAR_MAX];
	size_t len = 0, bits;
	char name[32];
	int ok;

	fast_file_name(id, name, sizeof(name));
	if (prov_its_file_get(name, file, sizeof(file), &len) != PSA_SUCCESS)
		return -1;
	bits = (size_t)(file[4] | file[5] << 8);
	ok = len > FAST_HDR && memcmp(file, FAST_MAGIC, 4) == 0 &&
	    fast_curve(bits) != MBEDTLS_ECP_DP_NONE && len == FAST_HDR + PSA_BITS_TO_BYTES(bits) &&
	    psa_get_key_attributes(id, &attrs) == PSA_SUCCESS &&
	    psa_get_key_type(&attrs) == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1) &&
	    psa_get_key_bits(&attrs) == bits &&
	    mbedtls_ecp_group_load(&k->grp, fast_curve(bits)) == 0 &&
	    mbedtls_mpi_read_binary(&k->d, file + FAST_HDR, len - FAST_HDR) == 0 &&
	    mbedtls_ecp_check_privkey(&k->grp, &k->d) == 0;
	k->usage = psa_get_key_usage_flags(&attrs);
	k->alg = psa_get_key_algorithm(&attrs);
	k->alg2 = psa_get_key_enrollment_algorithm(&attrs);
	psa_reset_key_attributes(&attrs);
	mbedtls_platform_zeroize(file, sizeof(file));
	return ok ? 0 : -1;
}

/*
 * Loads key id into the least recently used slot; NULL if our file does not
 * hold it (none: a key made before, or not for this path), and PSA signs.
 */
static struct fast_key *
fast_load(psa_key_id_t id)
{
	struct fast_key k, *slot = &fast_keys[0];
	size_t i;
	int ok;

	memset(&k, 0, sizeof(k));
	mbedtls_ecp_group_init(&k.grp);
	mbedtls_mpi_init(&k.d);
	ok = fast_read(id, &k) == 0 ? fast_matches_psa(id, &k) : -1;
	if (ok == 0) {
		char name[32];

		/* Stale or altered: of no use, and never to be read again. */
		fast_file_name(id, name, sizeof(name));
		log_warnx("key %u: %s does not hold the key PSA holds; removed, the key signs "
		    "through PSA", (unsigned)id, name);
		(void)prov_its_file_remove(name);
	}
	/* What PSA loaded to answer stays on disk, as after every operation. */
	psa_purge_key(id);
	if (ok != 1) {
		fast_drop(&k);
		return NULL;
	}
	for (i = 1; i < FAST_SLOTS; i++)
		if (fast_keys[i].id == 0 || fast_keys[i].last_use < slot->last_use)
			slot = &fast_keys[i];
	if (slot->id != 0)
		fast_drop(slot);
	*slot = k; /* the slot takes over what k's group and scalar hold */
	slot->id = id;
	return slot;
}

mbedtls_md_type_t
prov_mbed_md(psa_algorithm_t hash)
{
	return hash == PSA_ALG_SHA_256 ? MBEDTLS_MD_SHA256 : hash == PSA_ALG_SHA_384 ?
	    MBEDTLS_MD_SHA384 : hash == PSA_ALG_SHA_512 ? MBEDTLS_MD_SHA512 :
	    hash == PSA_ALG_SHA_224 ? MBEDTLS_MD_SHA224 : MBEDTLS_MD_NONE;
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
	md = prov_mbed_md(hash_alg);
	if (md == MBEDTLS_MD_NONE || !fast_rng_ready())
		return 0; /* PSA decides: other hashes, wildcards, no hash at all */
	for (i = 0; i < FAST_SLOTS; i++)
		if (fast_keys[i].id == id)
			k = &fast_keys[i];
	if (k == NULL && (k = fast_load(id)) == NULL)
		return 0;

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
