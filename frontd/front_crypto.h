/* SPDX-License-Identifier: Apache-2.0 */
/* frontd's per-operation converters, shared by the codec table. */
#ifndef FRONT_CRYPTO_H
#define FRONT_CRYPTO_H

#include <pb.h>

#include "frontd.h"

#include "can_do_crypto.pb.h"
#include "psa_aead_decrypt.pb.h"
#include "psa_aead_encrypt.pb.h"
#include "psa_asymmetric_decrypt.pb.h"
#include "psa_asymmetric_encrypt.pb.h"
#include "psa_cipher_decrypt.pb.h"
#include "psa_cipher_encrypt.pb.h"
#include "psa_destroy_key.pb.h"
#include "psa_export_key.pb.h"
#include "psa_export_public_key.pb.h"
#include "psa_generate_key.pb.h"
#include "psa_hash_compare.pb.h"
#include "psa_hash_compute.pb.h"
#include "psa_import_key.pb.h"
#include "psa_mac_compute.pb.h"
#include "psa_mac_verify.pb.h"
#include "psa_raw_key_agreement.pb.h"
#include "psa_sign_hash.pb.h"
#include "psa_sign_message.pb.h"
#include "psa_verify_hash.pb.h"
#include "psa_verify_message.pb.h"

/* Allocations a Result encoder makes, freed once the body is written. */
struct front_scratch {
	void *ptrs[4];
};

/* Copies bytes into a scratch-owned nanopb FT_POINTER bytes field. */
pb_bytes_array_t *front_bytes(struct front_scratch *scratch, const struct op_bytes *b);

/* Operation to internal form: ST_SUCCESS or the status that answers the request. */
typedef uint32_t (*front_to_op_fn)(const void *msg, struct op_request *op);
/* Internal result to Result: 0, or -1 if it does not fit. */
typedef int (*front_from_result_fn)(const struct op_result *res, void *msg,
    struct front_scratch *scratch);

/* Points an Operation's callback fields at op's inputs, before decoding. */
typedef void (*front_prep_fn)(void *msg, struct op_request *op);
void front_sign_message_prep(void *, struct op_request *);
void front_verify_message_prep(void *, struct op_request *);
void front_aead_encrypt_prep(void *, struct op_request *);
void front_aead_decrypt_prep(void *, struct op_request *);
void front_cipher_encrypt_prep(void *, struct op_request *);
void front_cipher_decrypt_prep(void *, struct op_request *);
void front_mac_compute_prep(void *, struct op_request *);
void front_mac_verify_prep(void *, struct op_request *);
void front_hash_compute_prep(void *, struct op_request *);
void front_hash_compare_prep(void *, struct op_request *);

uint32_t front_generate_key_to(const void *, struct op_request *);
uint32_t front_import_key_to(const void *, struct op_request *);
uint32_t front_destroy_key_to(const void *, struct op_request *);
uint32_t front_export_key_to(const void *, struct op_request *);
uint32_t front_export_public_key_to(const void *, struct op_request *);
uint32_t front_sign_hash_to(const void *, struct op_request *);
uint32_t front_verify_hash_to(const void *, struct op_request *);
uint32_t front_sign_message_to(const void *, struct op_request *);
uint32_t front_verify_message_to(const void *, struct op_request *);
uint32_t front_asymmetric_encrypt_to(const void *, struct op_request *);
uint32_t front_asymmetric_decrypt_to(const void *, struct op_request *);
uint32_t front_aead_encrypt_to(const void *, struct op_request *);
uint32_t front_aead_decrypt_to(const void *, struct op_request *);
uint32_t front_cipher_encrypt_to(const void *, struct op_request *);
uint32_t front_cipher_decrypt_to(const void *, struct op_request *);
uint32_t front_mac_compute_to(const void *, struct op_request *);
uint32_t front_mac_verify_to(const void *, struct op_request *);
uint32_t front_hash_compute_to(const void *, struct op_request *);
uint32_t front_hash_compare_to(const void *, struct op_request *);
uint32_t front_raw_key_agreement_to(const void *, struct op_request *);
uint32_t front_can_do_crypto_to(const void *, struct op_request *);

int front_export_key_from(const struct op_result *, void *, struct front_scratch *);
int front_export_public_key_from(const struct op_result *, void *, struct front_scratch *);
int front_sign_hash_from(const struct op_result *, void *, struct front_scratch *);
int front_sign_message_from(const struct op_result *, void *, struct front_scratch *);
int front_asymmetric_encrypt_from(const struct op_result *, void *, struct front_scratch *);
int front_asymmetric_decrypt_from(const struct op_result *, void *, struct front_scratch *);
int front_aead_encrypt_from(const struct op_result *, void *, struct front_scratch *);
int front_aead_decrypt_from(const struct op_result *, void *, struct front_scratch *);
int front_cipher_encrypt_from(const struct op_result *, void *, struct front_scratch *);
int front_cipher_decrypt_from(const struct op_result *, void *, struct front_scratch *);
int front_mac_compute_from(const struct op_result *, void *, struct front_scratch *);
int front_hash_compute_from(const struct op_result *, void *, struct front_scratch *);
int front_raw_key_agreement_from(const struct op_result *, void *, struct front_scratch *);

#endif
