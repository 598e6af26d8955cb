/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsecd's extension operations, client side: multipart hash, MAC, cipher
 * and AEAD, and key derivation (opcodes OP_EXT_* in wire.h's extension range).
 * A setup answers a nonzero handle, valid on the connection that made it until
 * its finish, verify or abort, or until that connection closes. Every call
 * answers 0 or a wire status, as the rest of libparsec.
 * Internal to libparsec.a (libparsec-psa links it): not exported by
 * libparsec.so, not installed.
 */
#ifndef PARSEC_EXT_MP_H
#define PARSEC_EXT_MP_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

/* Ends an operation of any kind; 0 for a handle already gone. */
int parsec_ext_abort(parsec_client *c, uint32_t handle);

int parsec_ext_hash_setup(parsec_client *c, uint32_t alg, uint32_t *handle);
int parsec_ext_hash_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len);
int parsec_ext_hash_finish(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap,
    size_t *len);
int parsec_ext_hash_verify(parsec_client *c, uint32_t handle, const uint8_t *hash,
    size_t hash_len);
int parsec_ext_hash_clone(parsec_client *c, uint32_t handle, uint32_t *clone);
/* The PSA hash suspend state into out[cap]; the operation ends whatever the answer. */
int parsec_ext_hash_suspend(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap,
    size_t *len);
/* A hash operation that goes on from a suspend state: a setup, answering a handle. */
int parsec_ext_hash_resume(parsec_client *c, const uint8_t *state, size_t state_len,
    uint32_t *handle);

/* verify: 0 for psa_mac_sign_setup, 1 for psa_mac_verify_setup. */
int parsec_ext_mac_setup(parsec_client *c, const char *key, uint32_t alg, int verify,
    uint32_t *handle);
int parsec_ext_mac_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len);
int parsec_ext_mac_sign_finish(parsec_client *c, uint32_t handle, uint8_t *mac, size_t cap,
    size_t *len);
int parsec_ext_mac_verify_finish(parsec_client *c, uint32_t handle, const uint8_t *mac,
    size_t mac_len);

/* decrypt: 0 for psa_cipher_encrypt_setup, 1 for psa_cipher_decrypt_setup. */
int parsec_ext_cipher_setup(parsec_client *c, const char *key, uint32_t alg, int decrypt,
    uint32_t *handle);
int parsec_ext_cipher_generate_iv(parsec_client *c, uint32_t handle, uint8_t *iv, size_t cap,
    size_t *len);
int parsec_ext_cipher_set_iv(parsec_client *c, uint32_t handle, const uint8_t *iv,
    size_t iv_len);
int parsec_ext_cipher_update(parsec_client *c, uint32_t handle, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len);
int parsec_ext_cipher_finish(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap,
    size_t *len);

int parsec_ext_aead_setup(parsec_client *c, const char *key, uint32_t alg, int decrypt,
    uint32_t *handle);
int parsec_ext_aead_set_lengths(parsec_client *c, uint32_t handle, uint64_t ad_len,
    uint64_t text_len);
int parsec_ext_aead_generate_nonce(parsec_client *c, uint32_t handle, uint8_t *nonce,
    size_t cap, size_t *len);
int parsec_ext_aead_set_nonce(parsec_client *c, uint32_t handle, const uint8_t *nonce,
    size_t nonce_len);
int parsec_ext_aead_update_ad(parsec_client *c, uint32_t handle, const uint8_t *ad,
    size_t ad_len);
int parsec_ext_aead_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len);
/* Encryption's end: the last ciphertext and the tag. */
int parsec_ext_aead_finish(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap,
    size_t *len, uint8_t *tag, size_t tag_cap, size_t *tag_len);
/* Decryption's end: the last plaintext, if the tag verifies. */
int parsec_ext_aead_verify(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap,
    size_t *len, const uint8_t *tag, size_t tag_len);

/* step: a PSA_KEY_DERIVATION_INPUT_* value. */
int parsec_ext_kdf_setup(parsec_client *c, uint32_t alg, uint32_t *handle);
int parsec_ext_kdf_get_capacity(parsec_client *c, uint32_t handle, uint64_t *capacity);
int parsec_ext_kdf_set_capacity(parsec_client *c, uint32_t handle, uint64_t capacity);
int parsec_ext_kdf_input_bytes(parsec_client *c, uint32_t handle, uint32_t step,
    const uint8_t *data, size_t data_len);
int parsec_ext_kdf_input_key(parsec_client *c, uint32_t handle, uint32_t step,
    const char *key);
int parsec_ext_kdf_key_agreement(parsec_client *c, uint32_t handle, uint32_t step,
    const char *private_key, const uint8_t *peer_key, size_t peer_key_len);
int parsec_ext_kdf_output_bytes(parsec_client *c, uint32_t handle, uint8_t *out, size_t len);
/* A new key from the next bytes; is_volatile as in ext_key.h. */
int parsec_ext_kdf_output_key(parsec_client *c, uint32_t handle, const char *name,
    const struct parsec_key_attributes *attributes, int is_volatile);

#endif
