/* SPDX-License-Identifier: Apache-2.0 */
/*
 * make bench (e): ECDSA P-256 signatures through the PKCS#11 module
 * (C_SignInit + C_Sign, CKM_ECDSA on a SHA-256 hash) over parsec_sign_hash
 * through libparsec, one thread each on its own connection, same key, same
 * service, in 24 alternating half-second rounds so that both see the same
 * machine. Target
 * >= 0.95: the module adds no round trip (no ListKeys per signature).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include <parsec/client.h>

#include "bench.h"

#define P11_BENCH_KEY "p11-bench"
#define P11_BENCH_APP "bench-p11"
#define P11_BENCH_ROUNDS 24
#define P11_BENCH_ROUND_S 0.5

struct p11_bench {
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE session;
	CK_OBJECT_HANDLE key;
	parsec_client *client;
	uint8_t hash[32];
};

/* Signatures in seconds: the module's if module, else libparsec's; -1 on a failure. */
static long
p11_bench_round(struct p11_bench *b, int module, double seconds)
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	uint8_t sig[64];
	CK_ULONG sig_len;
	size_t len;
	double end = now_s() + seconds;
	long n = 0;

	while (now_s() < end) {
		if (module) {
			sig_len = sizeof(sig);
			if (b->f->C_SignInit(b->session, &mech, b->key) != CKR_OK ||
			    b->f->C_Sign(b->session, b->hash, sizeof(b->hash), sig, &sig_len) != CKR_OK)
				return -1;
		} else if (parsec_sign_hash(b->client, P11_BENCH_KEY,
		    PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_SHA_256), b->hash, sizeof(b->hash), sig,
		    sizeof(sig), &len) != PARSEC_SUCCESS)
			return -1;
		n++;
	}
	return n;
}

/* The module's session and the key's private object, found by its label. */
static int
p11_bench_open(struct p11_bench *b, void *dl)
{
	CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, P11_BENCH_KEY, strlen(P11_BENCH_KEY) } };
	CK_ULONG found = 0;

	if (get == NULL || get(&b->f) != CKR_OK || b->f->C_Initialize(NULL) != CKR_OK)
		return -1;
	if (b->f->C_OpenSession(PARSEC_PROVIDER_MBED_CRYPTO, CKF_SERIAL_SESSION, NULL, NULL,
	    &b->session) != CKR_OK ||
	    b->f->C_FindObjectsInit(b->session, tmpl, 2) != CKR_OK ||
	    b->f->C_FindObjects(b->session, &b->key, 1, &found) != CKR_OK ||
	    b->f->C_FindObjectsFinal(b->session) != CKR_OK || found != 1)
		return -1;
	return 0;
}

static int
p11_bench_client(struct p11_bench *b, const char *socket_path)
{
	parsec_settings *s;
	char endpoint[320];
	int st;

	snprintf(endpoint, sizeof(endpoint), "unix:%s", socket_path);
	if (parsec_settings_new(&s) != PARSEC_SUCCESS)
		return -1;
	st = parsec_settings_set_endpoint(s, endpoint);
	if (st == PARSEC_SUCCESS)
		st = parsec_settings_set_app_name(s, P11_BENCH_APP);
	if (st == PARSEC_SUCCESS)
		st = parsec_settings_set_provider(s, PARSEC_PROVIDER_MBED_CRYPTO);
	if (st == PARSEC_SUCCESS)
		st = parsec_client_new_with_settings(&b->client, s);
	parsec_settings_free(s);
	if (st == PARSEC_SUCCESS)
		st = parsec_create_ecc_signing_key(b->client, P11_BENCH_KEY, 256);
	return st == PARSEC_SUCCESS ? 0 : -1;
}

/* (e) measured against the running service: the ratio, or -1 if it could not be. */
double
bench_p11(const char *socket_path, double *module_rate, double *lib_rate)
{
	struct p11_bench b;
	char endpoint[320], path[512];
	long module = 0, lib = 0, n;
	void *dl = NULL;
	int i;

	memset(&b, 0, sizeof(b));
	memset(b.hash, 0x5a, sizeof(b.hash));
	snprintf(endpoint, sizeof(endpoint), "unix:%s", socket_path);
	snprintf(path, sizeof(path), "%s/pkcs11/libparsec-pkcs11.so", BUILD_TOP);
	/* The module takes who it is from the environment, as any program loading it does. */
	if (setenv("PARSEC_SERVICE_ENDPOINT", endpoint, 1) == -1 ||
	    setenv("PARSEC_APP_NAME", P11_BENCH_APP, 1) == -1 ||
	    p11_bench_client(&b, socket_path) == -1 || (dl = dlopen(path, RTLD_NOW)) == NULL ||
	    p11_bench_open(&b, dl) == -1) {
		fprintf(stderr, "bench: (e) could not be set up%s%s\n", dl == NULL ? ": " : "",
		    dl == NULL ? dlerror() : "");
		module = lib = -1;
	}
	/* Short rounds in the order M L L M ..., so that a drifting load weighs on both alike. */
	for (i = 0; i < P11_BENCH_ROUNDS && module >= 0 && lib >= 0; i++) {
		int on_module = i % 4 == 0 || i % 4 == 3;

		n = p11_bench_round(&b, on_module, P11_BENCH_ROUND_S);
		if (n < 0)
			module = lib = -1;
		else if (on_module)
			module += n;
		else
			lib += n;
	}
	if (b.f != NULL)
		b.f->C_Finalize(NULL);
	if (b.client != NULL) {
		parsec_destroy_key(b.client, P11_BENCH_KEY);
		parsec_client_free(b.client);
	}
	if (dl != NULL)
		dlclose(dl);
	if (module <= 0 || lib <= 0)
		return -1;
	*module_rate = (double)module / (P11_BENCH_ROUNDS / 2 * P11_BENCH_ROUND_S);
	*lib_rate = (double)lib / (P11_BENCH_ROUNDS / 2 * P11_BENCH_ROUND_S);
	return (double)module / (double)lib;
}
