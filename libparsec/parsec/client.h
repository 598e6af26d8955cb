/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec: the C client of the Parsec security service.
 *
 * One parsec_client holds one connection (reopened when the service closes
 * it), the authentication it chose and the provider it talks to. Every call
 * returns a Parsec status: 0 (PARSEC_SUCCESS) or a wire status / PSA error
 * number as the service sends them (parsec_status_str() says what each
 * means; parsec_strerror() also names a setting the library refused). Key
 * types, algorithms and usage flags are PSA Crypto API encodings, named by
 * <parsec/psa.h> (included here) as PARSEC_PSA_*.
 *
 * Threads: every function may be called on one client from several threads
 * at once; calls on one client are serialised.
 */
#ifndef PARSEC_CLIENT_H
#define PARSEC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "psa.h"

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

/* PSA statuses a caller often tests for (parsec_status_name() names them all). */
#define PARSEC_ERR_NOT_PERMITTED 1133      /* PsaErrorNotPermitted */
#define PARSEC_ERR_NOT_SUPPORTED 1134      /* PsaErrorNotSupported */
#define PARSEC_ERR_INVALID_ARGUMENT 1135   /* PsaErrorInvalidArgument */
#define PARSEC_ERR_ALREADY_EXISTS 1139     /* PsaErrorAlreadyExists */
#define PARSEC_ERR_DOES_NOT_EXIST 1140     /* PsaErrorDoesNotExist */
#define PARSEC_ERR_INSUFFICIENT_MEMORY 1141 /* PsaErrorInsufficientMemory */
#define PARSEC_ERR_INVALID_SIGNATURE 1149  /* PsaErrorInvalidSignature */

/*
 * A setting the library refused, before any request: never sent by a
 * service (above the wire protocol's 16-bit statuses). parsec_strerror()
 * names the setting and what it accepts.
 */
#define PARSEC_ERR_SETTING_ENDPOINT 65537      /* not unix:/path, or the path too long */
#define PARSEC_ERR_SETTING_APP_NAME 65538      /* empty, over PARSEC_NAME_MAX or not UTF-8 */
#define PARSEC_ERR_SETTING_AUTHENTICATOR 65539 /* an authenticator the library cannot use */
#define PARSEC_ERR_SETTING_PROVIDER 65540      /* no such provider id */
#define PARSEC_ERR_SETTING_TIMEOUT 65541       /* 0 or more than PARSEC_TIMEOUT_MAX_MS */
#define PARSEC_ERR_SETTING_MAX_RESPONSE 65542  /* 0 */

/* Provider ids (ListProviders reports which are there). */
#define PARSEC_PROVIDER_CORE 0
#define PARSEC_PROVIDER_MBED_CRYPTO 1
#define PARSEC_PROVIDER_PKCS11 2
#define PARSEC_PROVIDER_TPM 3

/* Authenticators, by their ListAuthenticators ids. */
#define PARSEC_AUTH_AUTO 0 /* Unix peer credentials when the service offers them, else Direct */
#define PARSEC_AUTH_DIRECT 1
#define PARSEC_AUTH_UNIX_PEER_CREDENTIALS 3
#define PARSEC_AUTH_JWT_SVID 4 /* reserved: refused by this version (SETTING_AUTHENTICATOR) */

/* What parsec_can_do_crypto() asks about the attributes. */
#define PARSEC_CHECK_USE 1
#define PARSEC_CHECK_GENERATE 2
#define PARSEC_CHECK_IMPORT 3
#define PARSEC_CHECK_DERIVE 4

/* The wait for each answer: 30 s unless the settings say otherwise. */
#define PARSEC_TIMEOUT_DEFAULT_MS 30000u
#define PARSEC_TIMEOUT_MAX_MS 86400000u

typedef struct parsec_client parsec_client;

/* PSA key attributes, in the PSA Crypto API's encoding. */
struct parsec_key_attributes {
	uint32_t type;  /* PARSEC_PSA_KEY_TYPE_* */
	uint32_t bits;
	uint32_t usage; /* PARSEC_PSA_KEY_USAGE_* flags */
	uint32_t alg;   /* the permitted PARSEC_PSA_ALG_* */
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
 * Settings for a new client, opaque so that later versions can add some.
 * Each setter checks its value at once and returns 0 or PARSEC_ERR_SETTING_*.
 * What is not set keeps its default: the endpoint PARSEC_SERVICE_ENDPOINT or
 * unix:/run/parsec/parsec.sock; PARSEC_AUTH_AUTO, with Direct's name
 * PARSEC_APP_NAME or the program's name; the first non-core provider the
 * service lists; PARSEC_TIMEOUT_DEFAULT_MS; answers up to 16 MiB.
 */
typedef struct parsec_settings parsec_settings;

int parsec_settings_new(parsec_settings **settings);
void parsec_settings_free(parsec_settings *settings);
int parsec_settings_set_endpoint(parsec_settings *settings, const char *endpoint);
int parsec_settings_set_authenticator(parsec_settings *settings, uint32_t auth_id);
int parsec_settings_set_app_name(parsec_settings *settings, const char *app_name);
int parsec_settings_set_provider(parsec_settings *settings, uint32_t provider_id);
int parsec_settings_set_timeout(parsec_settings *settings, uint32_t milliseconds);
int parsec_settings_set_max_response(parsec_settings *settings, size_t bytes);

/*
 * Connects as the settings say (NULL: every default), asks the service which
 * authenticators and providers it has and settles on one of each.
 */
int parsec_client_new_with_settings(parsec_client **client, const parsec_settings *settings);
/* The defaults, with Direct's name app_name (may be NULL). */
int parsec_client_new(parsec_client **client, const char *app_name);
void parsec_client_free(parsec_client *client);
/* The provider later calls use; 0 on success or PARSEC_ERR_* / ProviderDoesNotExist. */
int parsec_client_set_provider(parsec_client *client, uint32_t provider_id);
uint32_t parsec_client_provider(const parsec_client *client);
/* Largest response body accepted (default 16 MiB). */
void parsec_client_set_max_response(parsec_client *client, size_t bytes);

/* The authenticator the client settled on (PARSEC_AUTH_DIRECT or _UNIX_PEER_CREDENTIALS). */
uint32_t parsec_client_authenticator(const parsec_client *client);

/*
 * The status's name ("PsaErrorInvalidSignature") and a sentence about it;
 * parsec_status_str() is the older name of parsec_strerror().
 */
const char *parsec_status_name(int status);
const char *parsec_strerror(int status);
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
/* Whether the provider could use, generate, import or derive such a key (PARSEC_CHECK_*). */
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
/* The attributes of one of the application's keys (from ListKeys), on the client's provider. */
int parsec_get_key_attributes(parsec_client *client, const char *name,
    struct parsec_key_attributes *attributes);
/* The older name of parsec_get_key_attributes(), kept for existing callers. */
int parsec_key_attributes(parsec_client *client, const char *name,
    struct parsec_key_attributes *attributes);

#ifdef __cplusplus
}
#endif

#endif
