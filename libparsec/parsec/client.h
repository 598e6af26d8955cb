/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec: the C client of the Parsec security service.
 *
 * One parsec_client holds one connection (reopened when the service closes
 * it), the authentication it chose and the provider it talks to. Every call
 * returns a Parsec status: 0 (PARSEC_SUCCESS) or a wire status / PSA error
 * number as the service sends them (parsec_status_str() says what each
 * means). Values such as key types and algorithms are PSA Crypto API
 * encodings: include <psa/crypto.h> for their macros if you wish.
 *
 * Threads: every function may be called on one client from several threads
 * at once; calls on one client are serialised.
 */
#ifndef PARSEC_CLIENT_H
#define PARSEC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARSEC_SUCCESS 0
#define PARSEC_NAME_MAX 255 /* key, application and client names, in bytes */

/* Statuses the library reports itself, from the wire protocol's set. */
#define PARSEC_ERR_CONNECTION 15        /* ConnectionError: no service, or it hung up */
#define PARSEC_ERR_RESPONSE_TOO_LARGE 10 /* ResponseTooLarge: refused, not trusted */
#define PARSEC_ERR_INVALID_ENCODING 16  /* InvalidEncoding: bad input or answer */
#define PARSEC_ERR_BUFFER_TOO_SMALL 1138 /* PsaErrorBufferTooSmall: *len says what is needed */

/* Provider ids (ListProviders reports which are there). */
#define PARSEC_PROVIDER_CORE 0
#define PARSEC_PROVIDER_MBED_CRYPTO 1
#define PARSEC_PROVIDER_PKCS11 2
#define PARSEC_PROVIDER_TPM 3

typedef struct parsec_client parsec_client;

/* PSA key attributes, in the PSA Crypto API's encoding. */
struct parsec_key_attributes {
	uint32_t type;  /* psa_key_type_t, e.g. 0x7112 ECC key pair on SECP R1 */
	uint32_t bits;
	uint32_t usage; /* PSA_KEY_USAGE_* flags */
	uint32_t alg;   /* the permitted psa_algorithm_t */
};

/* Longest description and vendor an answer may carry, in bytes (upstream 1.1.0 sends up to 207). */
#define PARSEC_DESCRIPTION_MAX 511
#define PARSEC_VENDOR_MAX 255

struct parsec_provider_info {
	char uuid[37];
	char description[PARSEC_DESCRIPTION_MAX + 1];
	char vendor[PARSEC_VENDOR_MAX + 1];
	uint32_t version_maj, version_min, version_rev;
	uint32_t id;
};

struct parsec_authenticator_info {
	char description[PARSEC_DESCRIPTION_MAX + 1];
	uint32_t version_maj, version_min, version_rev;
	uint32_t id; /* 1 Direct, 3 Unix peer credentials, 4 JWT-SVID */
};

struct parsec_key_info {
	char name[PARSEC_NAME_MAX + 1];
	uint32_t provider_id;
	struct parsec_key_attributes attributes;
};

/*
 * Connects to PARSEC_SERVICE_ENDPOINT (unix:/path) or /run/parsec/parsec.sock,
 * picks the authenticator (Unix peer credentials when the service offers it,
 * else Direct as app_name, PARSEC_APP_NAME or the program's name) and the
 * first non-core provider. app_name may be NULL.
 */
int parsec_client_new(parsec_client **client, const char *app_name);
void parsec_client_free(parsec_client *client);
/* The provider later calls use; 0 on success or PARSEC_ERR_* / ProviderDoesNotExist. */
int parsec_client_set_provider(parsec_client *client, uint32_t provider_id);
uint32_t parsec_client_provider(const parsec_client *client);
/* Largest response body accepted (default 16 MiB). */
void parsec_client_set_max_response(parsec_client *client, size_t bytes);

/* The status's name ("PsaErrorInvalidSignature") and a sentence about it. */
const char *parsec_status_name(int status);
const char *parsec_status_str(int status);

/* Core operations. */
int parsec_ping(parsec_client *client, uint8_t *major, uint8_t *minor);
int parsec_list_providers(parsec_client *client, struct parsec_provider_info *out, size_t max,
    size_t *count);
int parsec_list_opcodes(parsec_client *client, uint32_t provider_id, uint32_t *out, size_t max,
    size_t *count);
int parsec_list_authenticators(parsec_client *client, struct parsec_authenticator_info *out,
    size_t max, size_t *count);
int parsec_list_keys(parsec_client *client, struct parsec_key_info *out, size_t max,
    size_t *count);
/* Admin only. names receives up to max names of PARSEC_NAME_MAX + 1 bytes each. */
int parsec_list_clients(parsec_client *client, char (*names)[PARSEC_NAME_MAX + 1], size_t max,
    size_t *count);
int parsec_delete_client(parsec_client *client, const char *client_name);

/*
 * PSA operations. Outputs go to out[cap]; *len receives the length (or, with
 * PARSEC_ERR_BUFFER_TOO_SMALL, the length needed).
 */
int parsec_generate_key(parsec_client *client, const char *name,
    const struct parsec_key_attributes *attributes);
int parsec_import_key(parsec_client *client, const char *name,
    const struct parsec_key_attributes *attributes, const uint8_t *data, size_t data_len);
int parsec_destroy_key(parsec_client *client, const char *name);
int parsec_export_key(parsec_client *client, const char *name, uint8_t *out, size_t cap,
    size_t *len);
int parsec_export_public_key(parsec_client *client, const char *name, uint8_t *out, size_t cap,
    size_t *len);
int parsec_sign_hash(parsec_client *client, const char *name, uint32_t alg, const uint8_t *hash,
    size_t hash_len, uint8_t *out, size_t cap, size_t *len);
int parsec_verify_hash(parsec_client *client, const char *name, uint32_t alg,
    const uint8_t *hash, size_t hash_len, const uint8_t *signature, size_t signature_len);
int parsec_sign_message(parsec_client *client, const char *name, uint32_t alg,
    const uint8_t *message, size_t message_len, uint8_t *out, size_t cap, size_t *len);
int parsec_verify_message(parsec_client *client, const char *name, uint32_t alg,
    const uint8_t *message, size_t message_len, const uint8_t *signature, size_t signature_len);
int parsec_asymmetric_encrypt(parsec_client *client, const char *name, uint32_t alg,
    const uint8_t *in, size_t in_len, const uint8_t *salt, size_t salt_len, uint8_t *out,
    size_t cap, size_t *len);
int parsec_asymmetric_decrypt(parsec_client *client, const char *name, uint32_t alg,
    const uint8_t *in, size_t in_len, const uint8_t *salt, size_t salt_len, uint8_t *out,
    size_t cap, size_t *len);
int parsec_aead_encrypt(parsec_client *client, const char *name, uint32_t alg,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len);
int parsec_aead_decrypt(parsec_client *client, const char *name, uint32_t alg,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len);
int parsec_cipher_encrypt(parsec_client *client, const char *name, uint32_t alg,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *len);
int parsec_cipher_decrypt(parsec_client *client, const char *name, uint32_t alg,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *len);
int parsec_mac_compute(parsec_client *client, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len);
int parsec_mac_verify(parsec_client *client, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, const uint8_t *mac, size_t mac_len);
int parsec_hash_compute(parsec_client *client, uint32_t alg, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len);
int parsec_hash_compare(parsec_client *client, uint32_t alg, const uint8_t *in, size_t in_len,
    const uint8_t *hash, size_t hash_len);
int parsec_raw_key_agreement(parsec_client *client, const char *private_key_name, uint32_t alg,
    const uint8_t *peer_key, size_t peer_key_len, uint8_t *out, size_t cap, size_t *len);
int parsec_generate_random(parsec_client *client, uint8_t *out, size_t len);
/* Whether the provider could use (1), generate (2), import (3) or derive (4) such a key. */
int parsec_can_do_crypto(parsec_client *client, uint32_t check_type,
    const struct parsec_key_attributes *attributes);

/* Conveniences for the common cases. */
/* An ECDSA (SHA-256) signing key on SECP R1 with bits 256 or 384. */
int parsec_create_ecc_signing_key(parsec_client *client, const char *name, uint32_t bits);
/* An RSA PKCS#1 v1.5 SHA-256 signing key, or an RSA OAEP SHA-256 encryption key. */
int parsec_create_rsa_signing_key(parsec_client *client, const char *name, uint32_t bits);
int parsec_create_rsa_encryption_key(parsec_client *client, const char *name, uint32_t bits);
/*
 * Signs or verifies a message with the algorithm the key permits: PsaSignMessage,
 * or, where the provider does not serve it (upstream Parsec's Mbed Crypto
 * provider), the service's PsaHashCompute and then PsaSignHash / PsaVerifyHash.
 */
int parsec_sign(parsec_client *client, const char *name, const uint8_t *message,
    size_t message_len, uint8_t *out, size_t cap, size_t *len);
int parsec_verify(parsec_client *client, const char *name, const uint8_t *message,
    size_t message_len, const uint8_t *signature, size_t signature_len);
/* Encrypts or decrypts with the RSA algorithm the key permits. */
int parsec_encrypt(parsec_client *client, const char *name, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len);
int parsec_decrypt(parsec_client *client, const char *name, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len);
/* The public key as DER SubjectPublicKeyInfo (RSA and SECP R1 keys). */
int parsec_export_public_key_der(parsec_client *client, const char *name, uint8_t *out,
    size_t cap, size_t *len);
/* The attributes of one of the application's keys (from ListKeys). */
int parsec_key_attributes(parsec_client *client, const char *name,
    struct parsec_key_attributes *attributes);

#ifdef __cplusplus
}
#endif

#endif
