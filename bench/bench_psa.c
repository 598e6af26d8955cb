/* SPDX-License-Identifier: Apache-2.0 */
/*
 * make bench (f): ECDSA P-256 psa_sign_hash through libparsec-psa over
 * parsec_sign_hash through libparsec, one thread each on its own connection,
 * the same key (the PSA id's key name), the same service, in 24 alternating
 * half-second rounds so that both see the same machine; the median of the
 * neighbouring rounds' ratios. Target >= 0.95: the PSA library adds no round
 * trip to a signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <parsec/client.h>
#include <psa/crypto.h>

#include "bench.h"

#define PSA_BENCH_ID 4242u
#define PSA_BENCH_NAME "psa-key-4242"
#define PSA_BENCH_APP "bench-psa"
#define PSA_BENCH_ROUNDS 24
#define PSA_BENCH_ROUND_S 0.5

/* Signatures in seconds: libparsec-psa's if psa, else libparsec's; -1 on a failure. */
static long
psa_bench_round(parsec_client *client, int psa, double seconds)
{
	uint8_t hash[32], sig[64];
	size_t len;
	double end = now_s() + seconds;
	long n = 0;

	memset(hash, 0x5a, sizeof(hash));
	while (now_s() < end) {
		if (psa) {
			if (psa_sign_hash(PSA_BENCH_ID, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash,
			    sizeof(hash), sig, sizeof(sig), &len) != PSA_SUCCESS)
				return -1;
		} else if (parsec_sign_hash(client, PSA_BENCH_NAME,
		    PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_SHA_256), hash, sizeof(hash), sig,
		    sizeof(sig), &len) != PARSEC_SUCCESS) {
			return -1;
		}
		n++;
	}
	return n;
}

/* The key, made through the PSA library; libparsec's client of the same application. */
static int
psa_bench_setup(parsec_client **client)
{
	psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t key;

	if (psa_crypto_init() != PSA_SUCCESS)
		return -1;
	psa_set_key_id(&a, PSA_BENCH_ID);
	psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&a, 256);
	psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH);
	psa_set_key_algorithm(&a, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	if (psa_generate_key(&a, &key) != PSA_SUCCESS)
		return -1;
	return parsec_client_new(client, PSA_BENCH_APP) == PARSEC_SUCCESS ? 0 : -1;
}

/* The median of n values (sorted in place). */
static double
psa_bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * (f) measured against the running service: the ratio, or -1 if it could not
 * be. Each pair of neighbouring rounds (one of each) gives a ratio and the
 * median of those is the answer, so that a burst of other load on the
 * machine weighs on one pair only.
 */
double
bench_psa(const char *socket_path, double *psa_rate, double *lib_rate)
{
	double psa[PSA_BENCH_ROUNDS / 2], lib[PSA_BENCH_ROUNDS / 2], ratio[PSA_BENCH_ROUNDS / 2];
	parsec_client *client = NULL;
	char endpoint[320];
	int i, ok = 1;
	long n;

	snprintf(endpoint, sizeof(endpoint), "unix:%s", socket_path);
	/* The library takes who it is from the environment, as any PSA program does. */
	if (setenv("PARSEC_SERVICE_ENDPOINT", endpoint, 1) == -1 ||
	    setenv("PARSEC_APP_NAME", PSA_BENCH_APP, 1) == -1 ||
	    setenv("PARSEC_PSA_PROVIDER", "1", 1) == -1 || psa_bench_setup(&client) == -1) {
		fprintf(stderr, "bench: (f) could not be set up\n");
		ok = 0;
	}
	/* Short rounds in the order P L L P ..., so that a drifting load weighs on both alike. */
	for (i = 0; i < PSA_BENCH_ROUNDS && ok; i++) {
		int on_psa = i % 4 == 0 || i % 4 == 3;

		if ((n = psa_bench_round(client, on_psa, PSA_BENCH_ROUND_S)) <= 0)
			ok = 0;
		else
			(on_psa ? psa : lib)[i / 2] = (double)n / PSA_BENCH_ROUND_S;
	}
	psa_destroy_key(PSA_BENCH_ID);
	parsec_client_free(client);
	if (!ok)
		return -1;
	for (i = 0; i < PSA_BENCH_ROUNDS / 2; i++)
		ratio[i] = psa[i] / lib[i];
	*psa_rate = psa_bench_median(psa, PSA_BENCH_ROUNDS / 2);
	*lib_rate = psa_bench_median(lib, PSA_BENCH_ROUNDS / 2);
	return psa_bench_median(ratio, PSA_BENCH_ROUNDS / 2);
}
