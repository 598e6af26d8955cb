/* SPDX-License-Identifier: Apache-2.0 */
/* make bench: what bench.c shares with the parts measured in files of their own. */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "bench_util.h"

#define BENCH_SECONDS 4

/* Set while threads started by run_threads must stop. */
extern volatile int bench_stop;
/* Runs n threads of fn (arg: a long to count in) for BENCH_SECONDS: the total per second. */
double run_threads(void *(*fn)(void *), int n);
/* Generates a P-256 ECDSA key of application "bench" in a provider; exits on failure. */
void bench_create_key(const char *socket_path, uint8_t provider, const char *key_name);
/* A SignHash request of application "bench" (req: 512 bytes); returns its length. */
size_t bench_sign_request(uint8_t provider, const char *key_name, uint8_t *req);
/* Signatures per second through the service, each client on its own connection. */
double bench_service_rate(const char *socket_path, const uint8_t *req, size_t len, int clients);
/* (e) C_Sign through the PKCS#11 module over libparsec's sign: the ratio, -1 if unmeasured. */
double bench_p11(const char *socket_path, double *module_rate, double *lib_rate);
/* (f) psa_sign_hash through libparsec-psa over libparsec's sign: the ratio, -1 if unmeasured. */
double bench_psa(const char *socket_path, double *psa_rate, double *lib_rate);
/* (d) the TPM ratio, printed; 0, or 1 if it could not be measured. */
int bench_tpm(void);

#endif
