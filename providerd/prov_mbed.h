/* SPDX-License-Identifier: Apache-2.0 */
/* The software provider's internals shared between its files. */
#ifndef PROV_MBED_H
#define PROV_MBED_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ccm.h>
#include <mbedtls/md.h>
#include <psa/crypto.h>

#include "providerd.h"

/*
 * Signs with a cached parsed ECDSA key. Returns 0 if this path does not apply
 * (the caller uses PSA), 1 with *status set otherwise.
 */
int prov_mbed_fast_sign(psa_key_id_t id, psa_algorithm_t alg, const uint8_t *hash, size_t hash_len,
    uint8_t *sig, size_t sig_cap, size_t *sig_len, psa_status_t *status);
/*
 * Creates a SECP R1 key pair that may sign hashes so that this path can sign
 * with it: its scalar generated here or the one imported (data), given to
 * PSA with psa_import_key under attrs, and kept in our own key file. Returns
 * 0 if the key is not one for this path (the caller creates it through PSA),
 * 1 with *status PSA's answer otherwise.
 */
int prov_mbed_fast_create(const psa_key_attributes_t *attrs, int generate, const uint8_t *data,
    size_t data_len, psa_key_id_t *made, psa_status_t *status);
/* mbedtls's name of a SHA-2 hash the fast paths sign; MBEDTLS_MD_NONE for any other. */
mbedtls_md_type_t prov_mbed_md(psa_algorithm_t hash);
/* Drops a destroyed key from this worker's cache, and its file. */
void prov_mbed_fast_forget(psa_key_id_t id);
/* Drops a key another worker destroys from this worker's cache only. */
void prov_mbed_fast_drop_cached(psa_key_id_t id);

/*
 * prov_mbed_rsa.c: signs with a cached parsed RSA key pair (PKCS#1 v1.5 or
 * PSS with a SHA-2 hash) a hash in[in_len], or a message when message is set.
 * Returns 0 if this path does not apply (the caller uses PSA), 1 with
 * *status PSA_SUCCESS and the signature otherwise.
 */
int prov_mbed_rsa_sign(psa_key_id_t id, psa_algorithm_t alg, int message, const uint8_t *in,
    size_t in_len, uint8_t *sig, size_t sig_cap, size_t *sig_len, psa_status_t *status);
/*
 * Decrypts in (PKCS#1 v1.5, or OAEP with a SHA-2 hash and label) with a cached
 * RSA key pair: 1 with the plaintext in out, or 0: the caller asks PSA, which
 * also gives any refusal or failure in its own words.
 */
int prov_mbed_rsa_decrypt(psa_key_id_t id, psa_algorithm_t alg, const uint8_t *in, size_t in_len,
    const uint8_t *label, size_t label_len, uint8_t *out, size_t out_cap, size_t *out_len);
/* Drops a key from this worker's RSA cache (its numbers wiped). */
void prov_mbed_rsa_drop(psa_key_id_t id);

/*
 * A persistent key's attributes under id, from the broker's: PSA_SUCCESS, or
 * PSA_ERROR_NOT_SUPPORTED for a type PSA's 16 bits cannot hold.
 */
psa_status_t prov_mbed_key_attrs(const struct op_key_attrs *a, psa_key_id_t id,
    psa_key_attributes_t *attrs);

/*
 * prov_mbed_multi.c: multipart operations and key derivation, held in this
 * worker under (op->conn, op->handle); the rows are prov_mbed.c's.
 */
prov_op_handler prov_mbed_multi_abort;
prov_op_handler prov_mbed_multi_hash_setup;
prov_op_handler prov_mbed_multi_hash_update;
prov_op_handler prov_mbed_multi_hash_finish;
prov_op_handler prov_mbed_multi_keyed_setup;
prov_op_handler prov_mbed_multi_mac_update;
prov_op_handler prov_mbed_multi_mac_finish;
prov_op_handler prov_mbed_multi_cipher_iv;
prov_op_handler prov_mbed_multi_cipher_update;
prov_op_handler prov_mbed_multi_cipher_finish;
prov_op_handler prov_mbed_multi_kdf_setup;
prov_op_handler prov_mbed_multi_kdf_capacity;
prov_op_handler prov_mbed_multi_kdf_input_bytes;
prov_op_handler prov_mbed_multi_kdf_input_key;
prov_op_handler prov_mbed_multi_kdf_output_bytes;
prov_op_handler prov_mbed_multi_kdf_output_key;
prov_op_handler prov_mbed_multi_aead_setup;
prov_op_handler prov_mbed_multi_aead_step;
prov_op_handler prov_mbed_multi_aead_finish;
/* A client connection closed: its operations end here. */
void prov_mbed_multi_drop(uint64_t conn);

/*
 * prov_mbed_hsusp.c: a running hash to the PSA Crypto API's hash suspend
 * state (out[room], *len its length) and a state to a running hash; each
 * answers as psa_hash_suspend and psa_hash_resume would.
 */
#define PROV_MBED_HASH_SUSPEND_MAX 211 /* SHA-512's: 4 + 16 + 64 + 127 */
psa_status_t prov_mbed_hash_suspend(psa_hash_operation_t *h, uint8_t *out, size_t room,
    size_t *len);
psa_status_t prov_mbed_hash_resume(psa_hash_operation_t *h, const uint8_t *in, size_t in_len);

/*
 * prov_mbed_ccm.c: CCM as a stream on the key's block cipher (key: set up
 * by mbedtls_ccm_setkey). start takes what B0 needs; update gives whole
 * blocks of text and keeps the rest (held, < 16 bytes); finish gives those
 * and the tag (tag_len bytes). Each answers 0, or -1 if the cipher failed.
 */
struct mbed_ccm {
	mbedtls_ccm_context key;
	uint8_t y[16], s0[16], a0[16], hold[16]; /* CBC-MAC, S0, counter A0, partial text */
	size_t q, tag_len, mac_fill, held;
	uint64_t ctr;
	int text_started;
};
int prov_mbed_ccm_start(struct mbed_ccm *c, const uint8_t *nonce, size_t nonce_len,
    uint64_t ad_len, uint64_t text_len, size_t tag_len);
int prov_mbed_ccm_ad(struct mbed_ccm *c, const uint8_t *ad, size_t len);
int prov_mbed_ccm_update(struct mbed_ccm *c, int decrypt, const uint8_t *in, size_t len,
    uint8_t *out, size_t *out_len);
int prov_mbed_ccm_finish(struct mbed_ccm *c, int decrypt, uint8_t *out, size_t *out_len,
    uint8_t tag[16]);
void prov_mbed_ccm_wipe(struct mbed_ccm *c);

/*
 * prov_mbed_aead.c: one multipart AEAD operation's state, in the PSA Crypto
 * API's order; every call answers as psa_aead_* would.
 */
struct mbed_aead;
psa_status_t prov_mbed_aead_setup(struct mbed_aead **a, psa_key_id_t id, psa_algorithm_t alg,
    int decrypt);
psa_status_t prov_mbed_aead_set_lengths(struct mbed_aead *a, uint64_t ad_len,
    uint64_t text_len);
/* Sets the nonce in[in_len], or generates one into out (room bytes). */
psa_status_t prov_mbed_aead_nonce(struct mbed_aead *a, int generate, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t room, size_t *len);
psa_status_t prov_mbed_aead_update_ad(struct mbed_aead *a, const uint8_t *in, size_t len);
/* The most an update of in_len bytes gives, and the most a finish or verify gives. */
size_t prov_mbed_aead_update_max(size_t in_len);
size_t prov_mbed_aead_finish_max(const struct mbed_aead *a);
psa_status_t prov_mbed_aead_update(struct mbed_aead *a, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t room, size_t *len);
/* tag has room for PSA_AEAD_TAG_MAX_SIZE bytes. */
psa_status_t prov_mbed_aead_finish(struct mbed_aead *a, uint8_t *out, size_t room, size_t *len,
    uint8_t *tag, size_t *tag_len);
psa_status_t prov_mbed_aead_verify(struct mbed_aead *a, uint8_t *out, size_t room, size_t *len,
    const uint8_t *tag, size_t tag_len);
void prov_mbed_aead_free(struct mbed_aead *a);

#endif
