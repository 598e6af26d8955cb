/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the PKCS#11 backend's files (prov_pkcs11*.c): the open token and
 * its helpers. Named for none of them, as the table in prov_pkcs11.c uses
 * them all and they use none of it.
 */
#ifndef PROV_P11_H
#define PROV_P11_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/p11-kit.h>

#include "op.h"
#include "providerd.h"

/* The broker's key reference is the CKA_ID of the key's objects: 4 bytes. */
#define P11_KEY_ID_LEN 4

struct p11_token {
	CK_FUNCTION_LIST *module;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	int software_public_operations;
	int allow_export;
	int has_rng;
	int advertise_mac; /* ListOpcodes names PsaMacCompute and PsaMacVerify */
	int logged_in; /* with user_pin; without, private objects are out of reach */
	CK_MECHANISM_TYPE *mechs;
	CK_MECHANISM_INFO *mech_info;
	size_t mech_count;
};

extern struct p11_token p11;

/* prov_pkcs11_token.c */
/*
 * Loads the module (once), opens a session on the configured token and logs
 * in: 0, -1 for a lasting failure, PROV_INIT_RETRY for one worth retrying.
 */
int p11_token_open(const struct setup_provider *setup);
/* Whether rv means the token or the module is no longer what we opened. */
int p11_rv_lost(CK_RV rv);
/* The token's answer as a PSA status; a lost token also schedules a fresh worker. */
psa_status_t p11_status(CK_RV rv);
/* Whether the token offers mech with all of flags (CKF_SIGN, ...). */
int p11_has_mech(CK_MECHANISM_TYPE mech, CK_FLAGS flags);
/* Key sizes the token states for mech (bits or bytes, as the mechanism defines). */
int p11_mech_size_ok(CK_MECHANISM_TYPE mech, unsigned long size);

/* prov_pkcs11_keys.c */
extern CK_BBOOL p11_true, p11_false;
/* The object of class cls with CKA_ID id: 0 found, 1 none, or a CKR_ in *rv. */
int p11_find(CK_OBJECT_CLASS cls, const uint8_t *id, CK_OBJECT_HANDLE *obj, CK_RV *rv);
/* The key object of class cls with CKA_ID id: DoesNotExist if none. */
psa_status_t p11_find_key(CK_OBJECT_CLASS cls, const uint8_t *id, CK_OBJECT_HANDLE *obj);
/* An attribute's value, malloc'd (wiped and freed by the caller with p11_free). */
CK_RV p11_get_attr(CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, uint8_t **val, size_t *len);
void p11_free(uint8_t *val, size_t len);

/* Curve from CKA_EC_PARAMS, as PSA bits (0 if not a supported SECP R1 curve). */
size_t p11_ec_params_bits(const uint8_t *params, size_t len);
/* The curve size of an EC key object, in bits (0 if unknown): imports may leave PSA's bits 0. */
size_t p11_ec_key_bits(CK_OBJECT_HANDLE obj);
/* The public key of a key, in PSA's export format. */
psa_status_t p11_export_public(const uint8_t *id, const struct op_key_attrs *attrs,
    uint8_t **out, size_t *out_len);

/* The DER OID of a SECP R1 curve for CKA_EC_PARAMS (NULL if not one). */
const uint8_t *p11_ec_oid(size_t bits, size_t *len);
/* Removes every object with this CKA_ID; *destroyed counts those found. */
CK_RV p11_destroy_all(const uint8_t *id, int *destroyed);
/* Whether any object on the token carries this CKA_ID. */
CK_RV p11_id_taken(const uint8_t *id, int *taken);
/* Copies the key of CKA_ID source under CKA_ID id (psa_copy_key). */
psa_status_t p11_copy(const uint8_t *source, const uint8_t *id);
/* PSA's export of a key pair or secret key: only what allow_export and the key permit. */
psa_status_t p11_export(const struct op_key_attrs *a, const uint8_t *id, uint8_t **out,
    size_t *out_len);

/* prov_pkcs11_create.c: generates or imports the key op describes under CKA_ID id. */
psa_status_t p11_create(const struct op_request *op, const uint8_t *id);

/*
 * prov_pkcs11_ops.c: the cryptography, as handlers of prov_pkcs11.c's rows
 * (struct prov_op). Those on keys check the key's PSA policy first, which the
 * token does not keep.
 */
/* The token's hash mechanism and MGF1 for a PSA hash (PSS, OAEP): 0, or -1 if none. */
int p11_hash_mech(uint32_t hash, CK_MECHANISM_TYPE *mech, CK_RSA_PKCS_MGF_TYPE *mgf);
/*
 * A failed unpadding or tag check comes back from modules in several ways
 * (SoftHSM says CKR_GENERAL_ERROR); for a decryption they all mean the
 * ciphertext was bad, which PSA reports as fail_status.
 */
psa_status_t p11_decrypt_status(CK_RV rv, psa_status_t fail_status);
prov_op_handler p11_op_signature, p11_op_asymmetric, p11_op_ecdh, p11_op_aead, p11_op_cipher,
    p11_op_random, p11_op_hash;
/* The token's digest for a PSA hash (SHA-2, SHA-1, MD5), if it offers it. */
int p11_digest_mech(uint32_t alg, CK_MECHANISM_TYPE *mech);
/* Whether the token digests at all (SHA-256 is the sign). */
int p11_serves_hash(void);

/*
 * prov_pkcs11_mac.c: a MAC on a secret key of the token, judged by PSA's
 * rules (policy, algorithm, length) as Mbed TLS does, and the one-shot MAC.
 */
struct p11_mac {
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;
	size_t len;  /* the MAC's length: the algorithm's, after any truncation */
	size_t full; /* the mechanism's, which the token gives */
};
/*
 * A new secret key's CKA_SIGN and CKA_VERIFY: what its MAC policy needs; a
 * verify-only key signs too if its policy is a truncated MAC, which the
 * service checks on the token's full MAC.
 */
int p11_mac_key_signs(const struct op_key_attrs *a);
int p11_mac_key_verifies(const struct op_key_attrs *a);
/* The key (CKA_ID key_ref) and mechanism for op's MAC, after PSA's checks. */
psa_status_t p11_mac_prepare(const struct op_request *op, int verify, const uint8_t *key_ref,
    size_t key_ref_len, struct p11_mac *mac);
/* Whether the token signs (computes the MAC) rather than verifies: a truncated MAC's check. */
int p11_mac_signs(const struct p11_mac *mac, int verify);
/* C_SignInit or C_VerifyInit on session, as p11_mac_signs says. */
psa_status_t p11_mac_init(CK_SESSION_HANDLE session, const struct p11_mac *mac, int verify);
/* Whether two strings of bytes are equal, in time that does not depend on where they differ. */
int p11_mac_equal(const uint8_t *a, const uint8_t *b, size_t len);
/* The token's full MAC against the one given, at the algorithm's length. */
psa_status_t p11_mac_check(const struct p11_mac *mac, const uint8_t *computed,
    size_t computed_len, const uint8_t *given, size_t given_len);
/* C_Verify's or C_VerifyFinal's answer: a wrong MAC is PSA's invalid signature. */
psa_status_t p11_mac_verify_status(CK_RV rv);
int p11_mac_serves_sign(void);
int p11_mac_serves_verify(void);
/* ListOpcodes names the one-shot MAC only when configured (advertise_mac_opcodes). */
int p11_mac_listed(void);
prov_op_handler p11_op_mac;

/*
 * prov_pkcs11_multi.c: multipart hash, MAC, cipher and AEAD encryption (parsecd's extension
 * opcodes), each operation on a token session of its own.
 */
prov_op_handler p11_multi_abort, p11_multi_hash_setup, p11_multi_hash_update,
    p11_multi_hash_finish, p11_multi_mac_setup, p11_multi_mac_update, p11_multi_mac_finish,
    p11_multi_cipher_setup, p11_multi_cipher_iv, p11_multi_cipher_update,
    p11_multi_cipher_finish, p11_multi_aead_setup, p11_multi_aead_step, p11_multi_aead_finish;
/* Whether the token serves each family (the rows' served callbacks); clone: saves state. */
int p11_multi_serves_any(void);
int p11_multi_serves_hash(void);
int p11_multi_serves_clone(void);
int p11_multi_serves_mac(void);
int p11_multi_serves_cipher(void);
int p11_multi_serves_aead(void);
/* A client connection closed: its operations' sessions are closed. */
void p11_multi_drop(uint64_t conn);

#endif
