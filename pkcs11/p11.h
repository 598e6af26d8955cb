/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec-pkcs11.so: a PKCS#11 v2.40 module over libparsec. This header is
 * what the module's files share; the mapping below is the module's contract
 * with the programs that load it.
 *
 * Slots. One slot per provider the service lists (ListProviders, core left
 * out), slot id = the Parsec provider id (1 Mbed Crypto, 2 PKCS#11, 3 TPM).
 * The list is asked again at each C_GetSlotList, C_GetSlotInfo and
 * C_GetTokenInfo. A token is present while the service answers that
 * ListProviders and lists its provider; without it C_GetSlotList(TRUE) is
 * empty, C_GetTokenInfo CKR_TOKEN_NOT_PRESENT, and calls on a session give
 * CKR_DEVICE_REMOVED. Token label "Parsec <kind>" (kind: MbedCrypto,
 * Pkcs11, Tpm), model the kind, manufacturer the provider's vendor, serial
 * number the first 16 hex digits of the provider's UUID.
 * C_WaitForSlotEvent: CKR_FUNCTION_NOT_SUPPORTED.
 *
 * Identity. Whatever libparsec resolves from the environment
 * (PARSEC_SERVICE_ENDPOINT; a JWT-SVID from PARSEC_JWT_SVID or
 * PARSEC_JWT_SVID_FILE when the service takes them; else Unix peer
 * credentials when offered; else Direct with PARSEC_APP_NAME or the
 * program's name: set PARSEC_APP_NAME, or each program is an application
 * of its own). No PIN exists: CKF_LOGIN_REQUIRED is off, sessions are
 * public (CKS_RO/RW_PUBLIC_SESSION) and every key is found and usable in
 * them, since the service, not a login, decides who uses a key.
 * C_Login(CKU_USER) takes any PIN or none, neither checks nor keeps it,
 * and makes the token's sessions CKS_RO/RW_USER_FUNCTIONS (a second one:
 * CKR_USER_ALREADY_LOGGED_IN) until C_Logout or the last session closes;
 * CKU_CONTEXT_SPECIFIC is CKR_OK once logged in; CKU_SO is
 * CKR_USER_TYPE_INVALID.
 *
 * Objects. Each of the caller's keys on that provider (ListKeys) is a
 * private-key object and a public-key object (a public key alone: only the
 * public object). Key name <-> CKA_LABEL and CKA_ID: a name
 * "<label>#<hex>" (hex: 2 to 64 lowercase hex digits, an even number) has
 * CKA_LABEL <label> and CKA_ID the bytes <hex>; any other name is the
 * CKA_LABEL whole and CKA_ID is the first 8 bytes of SHA-256(name). A key
 * made through the module with CKA_ID gets the name "<label>#<hex of ID>",
 * without CKA_ID just "<label>" (or "p11-<16 random hex>" with no label
 * either). A name is unique for an application across the providers that
 * share a key store: a label and CKA_ID taken on one slot cannot be made
 * on another (CKR_ATTRIBUTE_VALUE_INVALID). Handles stay the same for a key as long as the module is
 * initialised. CKA_TOKEN TRUE, CKA_PRIVATE TRUE on private keys and FALSE
 * on public ones (a template asking otherwise is CKR_ATTRIBUTE_VALUE_INVALID),
 * CKA_MODIFIABLE FALSE (a key cannot be renamed: C_SetAttributeValue
 * changing anything is CKR_ATTRIBUTE_READ_ONLY), CKA_LOCAL TRUE for a pair
 * this module generated since C_Initialize and FALSE otherwise (the service
 * does not record whether a key was generated or imported),
 * SENSITIVE/ALWAYS_SENSITIVE = NEVER_EXTRACTABLE = not exportable,
 * EXTRACTABLE = exportable. C_DestroyObject on the private key (or on a
 * lone public key) destroys the key; on the public half of a pair it is
 * CKR_ACTION_PROHIBITED (CKA_DESTROYABLE FALSE).
 *
 * Key policy. A Parsec key permits one algorithm. C_GenerateKeyPair chooses
 * it: from the first usable entry of the private template's
 * CKA_ALLOWED_MECHANISMS, else EC: ECDSA with any hash; RSA: PKCS#1 v1.5
 * signature with any hash, or RSA-OAEP with SHA-256 when the template asks
 * for CKA_DECRYPT and not CKA_SIGN; EC asking for CKA_DERIVE and not CKA_SIGN
 * gets ECDH. CKA_ALLOWED_MECHANISMS answers what the policy permits.
 * C_CreateObject imports, where the provider imports (not the TPM; else
 * CKR_TEMPLATE_INCONSISTENT), an EC key (CKA_EC_PARAMS with CKA_VALUE or
 * CKA_EC_POINT) or an RSA key (its CKA_MODULUS ... CKA_COEFFICIENT, or the
 * public two), with the same policy rules.
 *
 * Mechanisms per slot, from the provider's ListOpcodes: with
 * PsaGenerateKey CKM_EC_KEY_PAIR_GEN and CKM_RSA_PKCS_KEY_PAIR_GEN; with
 * PsaSignHash CKM_ECDSA,
 * CKM_ECDSA_SHA1/224/256/384/512, CKM_RSA_PKCS, CKM_SHA*_RSA_PKCS,
 * CKM_RSA_PKCS_PSS, CKM_SHA*_RSA_PKCS_PSS (MGF1 with the same hash, salt
 * as long as the hash, else CKR_MECHANISM_PARAM_INVALID); with
 * PsaAsymmetricDecrypt CKM_RSA_PKCS_OAEP (MGF1 with the key's one OAEP hash,
 * another CKR_MECHANISM_PARAM_INVALID; the label as the OAEP label, which on
 * the TPM slot must end with its zero byte, else CKR_MECHANISM_PARAM_INVALID);
 * digests CKM_SHA_1/224/256/384/512 always (computed in the module);
 * C_GenerateRandom with PsaGenerateRandom. Key sizes (C_GetMechanismInfo,
 * and C_GenerateKeyPair's CKR_CURVE_NOT_SUPPORTED / CKR_KEY_SIZE_RANGE): the
 * provider's CanDoCrypto answers where it has that opcode (Mbed Crypto);
 * else TPM P-256..P-384 and RSA 1024..3072, PKCS#11 P-256..P-521 and RSA
 * 1024..4096. Multi-part signing hashes in the
 * module (mbedtls) and signs the hash in the service; raw CKM_ECDSA and
 * CKM_RSA_PKCS collect the data (at most 1 KiB). CKM_ECDSA takes a hash of
 * 20, 28, 32, 48 or 64 bytes; CKM_RSA_PKCS signs a DigestInfo of a known
 * hash as that hash's signature (raw PKCS#1 v1.5 of the DigestInfo where
 * the provider lacks that hash), other data as raw PKCS#1 v1.5 (which only
 * Mbed Crypto signs; its verification is made in the module with the public
 * key, on every slot). RSA
 * mechanisms are listed first: a program probing a token (pkcs11-tool
 * --test) takes the first signing one. Every mechanism using a key has
 * CKF_HW: the service does the work.
 *
 * HMAC. Where the provider lists MacCompute or its CanDoCrypto says it makes
 * HMAC keys (Mbed Crypto): an HMAC key is one secret-key object
 * (CKO_SECRET_KEY, CKK_GENERIC_SECRET, CKA_VALUE_LEN, CKA_PRIVATE FALSE,
 * CKA_SIGN and CKA_VERIFY TRUE, a template asking FALSE refused) on the
 * private handle; C_GenerateKey with CKM_GENERIC_SECRET_KEY_GEN makes one of
 * 16 to 64 bytes permitting the first HMAC of CKA_ALLOWED_MECHANISMS, else
 * HMAC-SHA-256; C_CreateObject with a CKA_VALUE of 16 to 64 bytes imports
 * one with that policy where CanDoCrypto (if listed) says the provider
 * imports it, else CKR_ATTRIBUTE_VALUE_INVALID; CKM_SHA_1_HMAC
 * .. CKM_SHA512_HMAC sign and verify in the service over the data (at most
 * 1 KiB, collected by C_SignUpdate).
 *
 * AES. An AES key is one secret-key object (CKO_SECRET_KEY, CKK_AES,
 * CKA_VALUE_LEN 16/24/32, CKA_ENCRYPT and CKA_DECRYPT TRUE, CKA_PRIVATE
 * FALSE) on the private handle, made by C_GenerateKey
 * (CKM_AES_KEY_GEN) or imported by C_CreateObject with CKA_VALUE. Its one
 * algorithm: GCM when the first AES mechanism of CKA_ALLOWED_MECHANISMS is
 * CKM_AES_GCM, else ECB (GCM on a slot that serves GCM alone). The wire's
 * PsaCipherEncrypt makes its own IV (PSA's one-shot), so a caller's CBC IV
 * or CTR counter cannot be passed through it: on an ECB key the module
 * builds CKM_AES_ECB, CKM_AES_CBC, CKM_AES_CBC_PAD (PKCS#7) and CKM_AES_CTR
 * (counter in the low ulCounterBits, wrapping there) on the service's ECB
 * blocks: CBC encryption a request per block, the rest a request per 16 KiB.
 * CKM_AES_GCM goes whole to PsaAeadEncrypt/Decrypt with CK_GCM_PARAMS' IV
 * (1..256 bytes) and AAD (<= 64 KiB), 128-bit tag only (another is
 * CKR_MECHANISM_PARAM_INVALID; a tag that does not verify
 * CKR_ENCRYPTED_DATA_INVALID). Block modes where the provider serves the
 * cipher opcodes and its CanDoCrypto makes AES-128 ECB keys (without
 * CanDoCrypto, Mbed Crypto alone: the PKCS#11 provider maps CBC and CTR
 * only, the TPM no cipher); GCM where the AEAD opcodes are listed
 * and CanDoCrypto, if any, makes an AES-128 GCM key. Multi-part: updates
 * give out whole blocks (CBC_PAD decryption keeps its last one back), GCM
 * collects up to 1 KiB and runs at C_*Final; at most 1 MiB per call.
 *
 * A secret key's CKA_VALUE: made extractable and not sensitive, its policy
 * has PSA's export usage and the value is the service's PsaExportKey; else
 * CKR_ATTRIBUTE_SENSITIVE, as CKA_SENSITIVE TRUE says. No C_DeriveKey or
 * multi-part RSA decryption.
 *
 * Threads and fork. C_Initialize accepts no arguments, CKF_OS_LOCKING_OK
 * (pthreads) or the application's four mutex callbacks (used for the
 * module's own lock). One lock guards the tables; signatures, verification,
 * decryption, key generation and random bytes are asked of the service
 * without it, on up to P11_POOL_MAX (4) kept-open connections per slot, so
 * that threads signing at once are served side by side; listings and
 * attribute reads hold it and use the slot's own connection. After fork() the child never uses the parent's
 * connections: the first call in a new process drops them (its sessions
 * stay valid), the lock is held across fork() so that no child inherits it
 * taken, and C_Initialize in the child starts afresh and returns CKR_OK.
 */
#ifndef P11_H
#define P11_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>

#include <parsec/client.h>

#define P11_MAX_SLOTS 8        /* provider ids 1..7 */
#define P11_MAX_ID 32          /* CKA_ID bytes a key name can carry */
#define P11_DERIVED_ID_LEN 8   /* CKA_ID bytes derived from a name */
#define P11_MAX_KEYS 4096      /* keys listed per slot */
#define P11_MAX_SESSIONS 1024
#define P11_RAW_MAX 1024       /* data collected for raw multi-part signatures */
#define P11_PUB_MAX 1100       /* a 4096-bit RSA public key, DER, fits */
#define P11_POOL_MAX 4         /* connections per slot for calls made side by side */
#define P11_HMAC_MIN_BYTES 16  /* HMAC key sizes offered (CKA_VALUE_LEN) */
#define P11_HMAC_MAX_BYTES 64
#define P11_AES_BLOCK 16
#define P11_AES_MIN_BYTES 16   /* AES key sizes (CKA_VALUE_LEN): 128, 192, 256 bits */
#define P11_AES_MAX_BYTES 32
#define P11_AES_DATA_MAX (1024 * 1024) /* data one C_Encrypt / C_Decrypt takes */

/* A key of the caller's on a slot, and its two object handles. */
struct p11_key {
	char name[PARSEC_NAME_MAX + 1];
	CK_SLOT_ID slot;
	struct parsec_key_attributes attr;
	uint8_t id[P11_MAX_ID];
	size_t id_len;
	size_t label_len;        /* the label is name[0 .. label_len) */
	uint8_t pub[P11_PUB_MAX]; /* PSA export format, once fetched */
	size_t pub_len;
	int present;             /* in the last listing, not destroyed */
	int local;               /* generated through this module since C_Initialize */
};

/* Handles: key index k has private 2k+1 and public 2k+2. */
#define P11_HANDLE_PRIV(k) ((CK_OBJECT_HANDLE)(2 * (k) + 1))
#define P11_HANDLE_PUB(k) ((CK_OBJECT_HANDLE)(2 * (k) + 2))

struct p11_slot {
	CK_SLOT_ID id;
	int listed;           /* in the last ListProviders */
	char vendor[PARSEC_VENDOR_MAX + 1];
	char uuid[37];
	uint32_t version_maj, version_min;
	parsec_client *client; /* this slot's connection, made on first use */
	parsec_client *pool[P11_POOL_MAX]; /* signatures, decryption, random */
	unsigned pool_users[P11_POOL_MAX];
	size_t pool_count;
	uint32_t opcodes[64];
	size_t opcode_count;
	int opcodes_known;
	CK_ULONG ec_min, ec_max, rsa_min, rsa_max; /* key sizes it makes */
	int ranges_known;
	int hmac;              /* HMAC keys served: 1 yes, 0 no, -1 not asked yet */
	int aes;               /* AES keys served: P11_AES_* bits, -1 not asked yet */
	int logged_in;         /* a C_Login since the last C_Logout or last session */
};

enum p11_op_kind { P11_OP_FIND, P11_OP_SIGN, P11_OP_VERIFY, P11_OP_DECRYPT, P11_OP_ENCRYPT,
	P11_OP_DIGEST, P11_OP_COUNT };

/* One operation in progress: the key, the mechanism and, for multi-part, the data. */
struct p11_op {
	int active;
	CK_MECHANISM_TYPE mech;
	size_t key;         /* key index */
	uint32_t alg;       /* PSA algorithm to send, 0 until known */
	uint32_t hash_alg;  /* PSA hash the module computes, 0 for raw data */
	void *md;           /* mbedtls_md_context_t when hashing */
	int updated;        /* a C_*Update was made: single-part refused */
	uint8_t raw[P11_RAW_MAX];
	size_t raw_len;
	uint8_t label[256]; /* OAEP label */
	size_t label_len;
	/* AES: the CBC chain or CTR counter block, its counter width, GCM's nonce and data */
	uint8_t iv[P11_AES_BLOCK];
	CK_ULONG ctr_bits;
	uint8_t *nonce, *aad;
	size_t nonce_len, aad_len;
	/* find */
	CK_OBJECT_HANDLE *found;
	size_t found_count, found_pos;
};

struct p11_session {
	int open;
	CK_SLOT_ID slot;
	CK_FLAGS flags;
	struct p11_op op[P11_OP_COUNT];
};

/* p11_main.c: state, lock, the service. */
extern struct p11_slot p11_slots[P11_MAX_SLOTS];
extern struct p11_key *p11_keys;
extern size_t p11_key_count;
extern struct p11_session p11_sessions[P11_MAX_SESSIONS];
int p11_initialized(void);
void p11_lock(void);
void p11_unlock(void);
CK_RV p11_slot_client(CK_SLOT_ID slot, parsec_client **client);
CK_RV p11_pool_get(CK_SLOT_ID slot, parsec_client **client, size_t *idx);
void p11_pool_put(CK_SLOT_ID slot, size_t idx);
CK_RV p11_status_rv(int status);
/* Locks and checks the module and session: CKR_OK with the lock held. */
CK_RV p11_enter_session(CK_SESSION_HANDLE h, struct p11_session **s);
CK_RV p11_check_session(CK_SESSION_HANDLE h);
/* As p11_enter_session, and the operation of that kind must be active. */
CK_RV p11_op_enter(CK_SESSION_HANDLE h, int kind, int single, struct p11_session **s);
/*
 * Locks and checks the module, an argument that must not be NULL and a slot
 * the service lists: CKR_OK with the lock held.
 */
CK_RV p11_enter_slot(CK_SLOT_ID id, const void *required, struct p11_slot **slot);
void p11_pad(CK_UTF8CHAR *dst, size_t size, const char *src);

/* p11_slot.c */
CK_RV p11_refresh_slots(void);
int p11_slot_has_opcode(struct p11_slot *slot, uint32_t opcode);
void p11_session_reset(struct p11_session *s);
void p11_op_end(struct p11_op *op);

/* An HMAC or AES key: one secret-key object, on the private handle. */
#define P11_KEY_IS_SECRET(k) ((k)->attr.type == PARSEC_PSA_KEY_TYPE_HMAC || \
	(k)->attr.type == PARSEC_PSA_KEY_TYPE_AES)
#define P11_ALG_IS_HMAC(alg) (((alg) & ~0xffu) == PARSEC_PSA_ALG_HMAC(0))

/* p11_object.c */
CK_RV p11_refresh_keys(CK_SLOT_ID slot);
CK_RV p11_key_by_handle(CK_SLOT_ID slot, CK_OBJECT_HANDLE h, size_t *key, int *is_private);
CK_RV p11_key_public(size_t key, uint8_t *out, size_t *len);
void p11_key_parse_name(struct p11_key *k);
size_t p11_key_add(CK_SLOT_ID slot, const char *name, const struct parsec_key_attributes *a);

/* p11_attr.c */
CK_RV p11_attr_get(size_t key, int is_private, CK_ATTRIBUTE_TYPE type, uint8_t *buf,
    size_t cap, const void **value, size_t *len);
int p11_attr_match(size_t key, int is_private, const CK_ATTRIBUTE *tmpl, CK_ULONG count);

/* p11_mech.c: PKCS#11 mechanisms <-> PSA algorithms. */
CK_KEY_TYPE p11_key_type(uint32_t psa_type);
int p11_mech_hash(CK_MECHANISM_TYPE mech, uint32_t *psa_hash);
uint32_t p11_hash_by_len(size_t len);
CK_RV p11_mech_sign_alg(const CK_MECHANISM *m, const struct p11_key *k, uint32_t *alg,
    uint32_t *local_hash);
CK_RV p11_mech_oaep_alg(const CK_MECHANISM *m, uint32_t *alg, uint8_t *label, size_t cap,
    size_t *label_len);
size_t p11_allowed_mechs(const struct p11_key *k, CK_MECHANISM_TYPE *out, size_t max);
uint32_t p11_policy_from_mech(CK_MECHANISM_TYPE mech, int is_ec);
uint32_t p11_hmac_from_mech(CK_MECHANISM_TYPE mech);
CK_RV p11_mech_list(struct p11_slot *slot, CK_MECHANISM_TYPE *out, size_t max, size_t *count);
CK_RV p11_mech_info(struct p11_slot *slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);
void p11_slot_key_range(struct p11_slot *slot, int is_ec, CK_ULONG *min, CK_ULONG *max);
#define P11_AES_BLOCKS 1       /* ECB, CBC, CBC_PAD, CTR on a key with PSA's ECB policy */
#define P11_AES_GCM 2
int p11_slot_aes(struct p11_slot *slot);
int p11_slot_hmac_import(CK_SLOT_ID id, const struct parsec_key_attributes *a);
uint32_t p11_aes_from_mech(CK_MECHANISM_TYPE mech);

/* p11_crypt.c: AES encryption and decryption. */
int p11_is_aes_mech(CK_MECHANISM_TYPE mech);
CK_RV p11_aes_init(struct p11_session *s, int kind, const CK_MECHANISM *m, size_t key);
CK_RV p11_aes_crypt(CK_SESSION_HANDLE h, int kind, const uint8_t *in, size_t in_len,
    uint8_t *out, CK_ULONG_PTR out_len);
CK_RV p11_aes_update(CK_SESSION_HANDLE h, int kind, const uint8_t *in, size_t in_len,
    uint8_t *out, CK_ULONG_PTR out_len);
CK_RV p11_aes_final(CK_SESSION_HANDLE h, int kind, uint8_t *out, CK_ULONG_PTR out_len);

/* p11_der.c: the few DER shapes PKCS#11 attributes need. */
size_t p11_ec_params(uint32_t bits, uint8_t *out, size_t cap);
uint32_t p11_ec_bits_from_params(const uint8_t *der, size_t len);
size_t p11_ec_point(const uint8_t *point, size_t len, uint8_t *out, size_t cap);
int p11_ec_point_unwrap(const uint8_t *der, size_t len, const uint8_t **point, size_t *plen);
size_t p11_der_uint_seq(const uint8_t *const *v, const size_t *len, size_t count,
    int with_version, uint8_t *out, size_t cap);
uint32_t p11_digest_info_strip(const uint8_t *in, size_t len, const uint8_t **hash,
    size_t *hash_len);

/* p11_digest.c: hashing in the module. */
int p11_md_start(struct p11_op *op, uint32_t psa_hash);
int p11_md_update(struct p11_op *op, const uint8_t *data, size_t len);
int p11_md_finish(struct p11_op *op, uint8_t *out, size_t *len);
void p11_md_free(struct p11_op *op);
size_t p11_hash_len(uint32_t psa_hash);
int p11_sha256(const uint8_t *in, size_t len, uint8_t out[32]);

#endif
