/* tp.h: the transcript the differential PSA programs print, one line per call,
 * so that a build against mbedtls and one against libparsec-psa can be diffed. */
#ifndef TP_H
#define TP_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>

/* A case is a self-contained run of calls; the runner stops comparing a case
 * after the first call a provider answers PSA_ERROR_NOT_SUPPORTED. */
void		 tp_case(const char *name);
const char	*tp_name(psa_status_t st);
/* "call STATUS" */
psa_status_t	 tp_st(const char *call, psa_status_t st);
/* "call STATUS hex" (hex only on success): a deterministic output */
psa_status_t	 tp_hex(const char *call, psa_status_t st, const uint8_t *buf, size_t len);
/* "call STATUS len=N": an output that differs from run to run */
psa_status_t	 tp_len(const char *call, psa_status_t st, size_t len);
/* "call STATUS len=N fnv=SUM": a long deterministic output, by its FNV-1a sum */
psa_status_t	 tp_sum(const char *call, psa_status_t st, const uint8_t *buf, size_t len);
/* "call STATUS" and, when st is not want, " (the specification says WANT)" */
psa_status_t	 tp_want(const char *call, psa_status_t st, psa_status_t want);
/* "kat NAME ok" or "kat NAME STATUS" or "kat NAME MISMATCH got HEX" */
void		 tp_kat(const char *name, psa_status_t st, const uint8_t *got, size_t len,
		    const char *want_hex);
/* "note TEXT": a fact of the run that both builds must print the same */
void		 tp_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Hex (spaces allowed) into out; returns the length, or exits if it does not fit. */
size_t		 tp_unhex(const char *hex, uint8_t *out, size_t cap);
/* psa_crypto_init, printed; exits when it fails (nothing else can run). */
void		 tp_init(void);
/* Imports hex as a volatile key; prints the call; returns its id or 0. */
psa_key_id_t	 tp_import(const char *call, psa_key_type_t type, psa_key_usage_t usage,
		    psa_algorithm_t alg, const char *hex);
/* Generates a volatile key; prints the call; returns its id or 0. */
psa_key_id_t	 tp_generate(const char *call, psa_key_type_t type, size_t bits,
		    psa_key_usage_t usage, psa_algorithm_t alg);
/* psa_get_key_attributes printed, then the key's permitted algorithm as a note. */
void		 tp_policy(psa_key_id_t id);
/* Destroys a key (0 is skipped), printing the call. */
void		 tp_destroy(psa_key_id_t id);
/* The program's exit: mbedtls_psa_crypto_free has no PSA name, so nothing is freed. */
int		 tp_done(void);

#define TP_BUF 4096

#endif
