/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec-psa internals shared by its files: the library's connections to
 * the service, key ids as parsecd key names, and wire statuses as PSA ones.
 */
#ifndef LPSA_H
#define LPSA_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>

#include "parsec/client.h"

/* Connections each process keeps at most: calls from that many threads run at once. */
#define LPSA_CONN_COUNT 4

/* "psa-volatile-" 16 hex "-" 8 hex, or "psa-key-" and ten digits, with the NUL. */
#define LPSA_NAME_MAX 40

/*
 * One call's connection and key name: lpsa_begin takes a free connection (and
 * names key, unless it is LPSA_NO_KEY), lpsa_end gives it back and turns the
 * wire status into a PSA status.
 */
#define LPSA_NO_KEY ((psa_key_id_t)0xffffffffu)
struct lpsa_call {
	struct lpsa_conn *conn;
	parsec_client *client;
	int names_key;
	char name[LPSA_NAME_MAX];
	/* What the key's policy must allow (lpsa_call_policy): judged only on NOT_SUPPORTED. */
	psa_key_usage_t need;
	psa_algorithm_t alg;
};

/* lpsa_conn.c */
/* PSA_SUCCESS once psa_crypto_init has run in this process or its parent, else BAD_STATE. */
psa_status_t lpsa_ready(void);
psa_status_t lpsa_begin(struct lpsa_call *call, psa_key_id_t key);
/*
 * The same for a one-shot request carrying inputs of len and len2 bytes: more
 * than LPSA_ONESHOT_MAX may be over the service's body limit, which the
 * service answers BodySizeExceedsLimit and then closes the connection; a
 * closed connection takes the volatile keys it made with it. Such a call runs
 * on a connection of its own, which made no key, closed at lpsa_end.
 */
psa_status_t lpsa_begin_sized(struct lpsa_call *call, psa_key_id_t key, size_t len,
    size_t len2);
/*
 * The connection an operation recorded in ref (lpsa_call_ref), or BAD_STATE
 * when that connection is gone (a fork, or the service hung up and a new one
 * took its place): the operation's handle meant nothing on another.
 */
psa_status_t lpsa_begin_ref(struct lpsa_call *call, uint32_t ref);
/*
 * The wire status as a PSA one. A call naming a key that the service answers
 * NOT_SUPPORTED is judged as Mbed TLS orders its checks, key first: the key is
 * looked up (lpsa_key_refusal), which costs a request only on that path.
 */
psa_status_t lpsa_end(struct lpsa_call *call, int wire);
/* The usage flag and algorithm (PSA_ALG_NONE: none) the call's key must permit. */
void lpsa_call_policy(struct lpsa_call *call, psa_key_usage_t need, psa_algorithm_t alg);
uint32_t lpsa_call_ref(const struct lpsa_call *call);
/* The provider the library's keys live on. */
uint32_t lpsa_provider(void);

/* lpsa_status.c */
/* The wire's OpcodeDoesNotExist: a service without the extension operations. */
#define LPSA_WIRE_NO_OPCODE 9
psa_status_t lpsa_status(int wire);

/* lpsa_name.c */
/* key's parsecd name; INVALID_HANDLE for an id that names no key this process can reach. */
psa_status_t lpsa_key_name(psa_key_id_t key, char name[LPSA_NAME_MAX]);
/* A fresh volatile key id, or 0 when the range is used up. */
psa_key_id_t lpsa_volatile_id(void);
/* After fork(), in the child: a token of its own; the parent's volatile ids name nothing. */
void lpsa_name_forked(void);
/* First use: this process's token. 0, or -1 without randomness. */
int lpsa_name_init(void);

/* lpsa_find.c */
/* The attributes of the application's key name on provider, into pa: a wire status. */
int lpsa_key_find(parsec_client *client, uint32_t provider, const char *name,
    struct parsec_key_attributes *pa);
/*
 * What Mbed TLS answers, in place of NOT_SUPPORTED, for an operation on the
 * call's key on provider: INVALID_HANDLE when it does not exist, NOT_PERMITTED
 * when its usage flags or permitted algorithm refuse the call's need and alg,
 * else NOT_SUPPORTED. On the call's connection, still held.
 */
psa_status_t lpsa_key_refusal(const struct lpsa_call *call, uint32_t provider);

/* lpsa_attr.c */
/*
 * The key attributes as the service takes them, after the checks PSA makes on
 * a new key's lifetime and id; *is_volatile and the key's id (picked for a
 * volatile key) on success.
 */
psa_status_t lpsa_attr_new_key(const psa_key_attributes_t *attributes,
    struct parsec_key_attributes *out, int *is_volatile, psa_key_id_t *id);
/* An imported key's size from its data, where the attributes leave it 0. */
void lpsa_attr_import_bits(struct parsec_key_attributes *pa, const uint8_t *data, size_t len);

/*
 * lpsa_mp.c: multipart operations. Each operation struct holds the service's
 * handle (0: inactive), the ref of the connection holding it and the state
 * bits below, so that a call in the wrong state is answered BAD_STATE here.
 */
#define LPSA_ST_ACTIVE 0x01u
#define LPSA_ST_INVERSE 0x02u	/* MAC verify, cipher or AEAD decrypt */
#define LPSA_ST_IV_REQUIRED 0x04u
#define LPSA_ST_IV_SET 0x08u	/* cipher IV or AEAD nonce */
#define LPSA_ST_LENGTHS 0x10u
#define LPSA_ST_AD 0x20u		/* AEAD additional data begun */
#define LPSA_ST_TEXT 0x40u		/* AEAD text begun */
#define LPSA_ST_OUTPUT 0x80u	/* derivation output begun */

/*
 * libparsec's setup call of an operation kind: keyed (key's name, the
 * algorithm, the direction) or keyless (hash, derivation: the algorithm).
 */
struct lpsa_setup {
	int (*keyed)(parsec_client *, const char *, uint32_t, int, uint32_t *);
	int (*keyless)(parsec_client *, uint32_t, uint32_t *);
	psa_key_usage_t need[2];	/* a keyed setup's usage flag: forward, inverse */
};
/*
 * A setup on a free connection: BAD_STATE if the operation is active (its
 * handle nonzero); else the service's new handle and the ref of the
 * connection that holds it.
 */
psa_status_t lpsa_mp_start(uint32_t active, const struct lpsa_setup *setup, psa_key_id_t key,
    psa_algorithm_t alg, int inverse, uint32_t *handle, uint32_t *ref);
/* A step of an active operation, on its connection. */
psa_status_t lpsa_mp_step(struct lpsa_call *call, uint32_t handle, uint32_t ref);
/* Tells the service to drop handle (if its connection is still the one that made it). */
void lpsa_mp_abort(uint32_t handle, uint32_t ref);
/*
 * PSA_ALG_ANY_HASH is a policy's wildcard, no hash to compute: Mbed TLS answers
 * NOT_SUPPORTED (once initialised), which lpsa_hash_wildcard returns for it
 * (the service's INVALID_ARGUMENT is left to wire clients); else PSA_SUCCESS.
 */
psa_status_t lpsa_hash_wildcard(psa_algorithm_t alg);
/* Mbed TLS's answer to a MAC call whose algorithm is not a MAC (lpsa_mac.c). */
psa_status_t lpsa_mac_alg_refused(psa_key_id_t key, psa_algorithm_t alg);

/*
 * The most input one request carries (the service takes 1 MiB bodies unless
 * configured otherwise): longer input goes in parts of this size.
 */
#define LPSA_PART (256u * 1024)
/*
 * The longest input a one-shot request carries (with room for the rest of
 * the request); longer input goes through a multipart operation where the
 * service has one.
 */
#define LPSA_ONESHOT_MAX (2u * LPSA_PART)
/* An update of in[len] in parts, each by update on the call's connection: the wire status. */
int lpsa_mp_parts(struct lpsa_call *call, uint32_t handle,
    int (*update)(parsec_client *, uint32_t, const uint8_t *, size_t), const uint8_t *in,
    size_t len);
/* The same for an update with output, appended to out[cap]; *out_len the total. */
int lpsa_mp_parts_out(struct lpsa_call *call, uint32_t handle,
    int (*update)(parsec_client *, uint32_t, const uint8_t *, size_t, uint8_t *, size_t,
    size_t *), const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
