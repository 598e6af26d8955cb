/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsec wire protocol 1.0: the 36-byte request/response header, opcodes,
 * provider ids and response status codes (facts of the published protocol).
 */
#ifndef PARSEC_WIRE_H
#define PARSEC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC 0x5EC0A710u
#define WIRE_HDR_LEN 36
#define WIRE_HDR_SIZE_FIELD 30 /* bytes after magic and hdr_size */
#define WIRE_VERSION_MAJ 1
#define WIRE_VERSION_MIN 0
#define WIRE_DEFAULT_BODY_LIMIT (1024u * 1024u)
/*
 * Header flags bit 0, ours: in a request, "keep this connection open after the
 * reply"; in a response, "the service did". Upstream ignores request flags and
 * answers 0, so a client asking it learns that the connection will close.
 */
#define WIRE_FLAG_KEEP_ALIVE 0x0001u
/*
 * Header flags bit 1, ours: in a request, "I know parsecd's extension
 * opcodes": ListOpcodes names them only then (upstream's Rust client rejects
 * a whole answer holding an opcode it does not know). They are served on any
 * request, flag or not.
 */
#define WIRE_FLAG_EXTENSIONS 0x0002u

/* parsecd's extension opcodes: a range upstream has never assigned. */
#define WIRE_OP_EXT_MIN 0x1000u
#define WIRE_OP_EXT_MAX 0x10FFu

enum wire_provider {
	WIRE_PROVIDER_CORE = 0,
	WIRE_PROVIDER_MBED_CRYPTO = 1,
	WIRE_PROVIDER_PKCS11 = 2,
	WIRE_PROVIDER_TPM = 3,
	WIRE_PROVIDER_TRUSTED_SERVICE = 4,
	WIRE_PROVIDER_CRYPTOAUTHLIB = 5,
	WIRE_PROVIDER_COUNT = 6,
};

enum wire_auth {
	WIRE_AUTH_NONE = 0,
	WIRE_AUTH_DIRECT = 1,
	WIRE_AUTH_JWT = 2,
	WIRE_AUTH_UNIX_PEER_CREDENTIALS = 3,
	WIRE_AUTH_JWT_SVID = 4,
};

enum wire_opcode {
	OP_PING = 0x01,
	OP_PSA_GENERATE_KEY = 0x02,
	OP_PSA_DESTROY_KEY = 0x03,
	OP_PSA_SIGN_HASH = 0x04,
	OP_PSA_VERIFY_HASH = 0x05,
	OP_PSA_IMPORT_KEY = 0x06,
	OP_PSA_EXPORT_PUBLIC_KEY = 0x07,
	OP_LIST_PROVIDERS = 0x08,
	OP_LIST_OPCODES = 0x09,
	OP_PSA_ASYMMETRIC_ENCRYPT = 0x0A,
	OP_PSA_ASYMMETRIC_DECRYPT = 0x0B,
	OP_PSA_EXPORT_KEY = 0x0C,
	OP_PSA_GENERATE_RANDOM = 0x0D,
	OP_LIST_AUTHENTICATORS = 0x0E,
	OP_PSA_HASH_COMPUTE = 0x0F,
	OP_PSA_HASH_COMPARE = 0x10,
	OP_PSA_AEAD_ENCRYPT = 0x11,
	OP_PSA_AEAD_DECRYPT = 0x12,
	OP_PSA_RAW_KEY_AGREEMENT = 0x13,
	OP_PSA_CIPHER_ENCRYPT = 0x14,
	OP_PSA_CIPHER_DECRYPT = 0x15,
	OP_PSA_MAC_COMPUTE = 0x16,
	OP_PSA_MAC_VERIFY = 0x17,
	OP_PSA_SIGN_MESSAGE = 0x18,
	OP_PSA_VERIFY_MESSAGE = 0x19,
	OP_LIST_KEYS = 0x1A,
	OP_LIST_CLIENTS = 0x1B,
	OP_DELETE_CLIENT = 0x1C,
	OP_ATTEST_KEY = 0x1E,
	OP_PREPARE_KEY_ATTESTATION = 0x1F,
	OP_CAN_DO_CRYPTO = 0x20,
	/*
	 * parsecd's extensions: volatile keys (destroyed when the connection
	 * that made them closes, and at every start of the service) and key copy.
	 */
	OP_EXT_GENERATE_VOLATILE = 0x1050,
	OP_EXT_IMPORT_VOLATILE = 0x1051,
	OP_EXT_COPY_KEY = 0x1052,

	/*
	 * parsecd's extensions, multipart operations and key derivation
	 * (0x1000..0x104F; bodies: proto/ext_mp.proto). A setup answers a handle
	 * that the later steps name; see parsecd(8).
	 */
	OP_EXT_ABORT = 0x1000,
	OP_EXT_HASH_SETUP = 0x1001,
	OP_EXT_HASH_UPDATE = 0x1002,
	OP_EXT_HASH_FINISH = 0x1003,
	OP_EXT_HASH_VERIFY = 0x1004,
	OP_EXT_HASH_CLONE = 0x1005,
	OP_EXT_HASH_SUSPEND = 0x1006,
	OP_EXT_HASH_RESUME = 0x1007,
	OP_EXT_MAC_SETUP = 0x1010,
	OP_EXT_MAC_UPDATE = 0x1011,
	OP_EXT_MAC_SIGN_FINISH = 0x1012,
	OP_EXT_MAC_VERIFY_FINISH = 0x1013,
	OP_EXT_CIPHER_SETUP = 0x1020,
	OP_EXT_CIPHER_GENERATE_IV = 0x1021,
	OP_EXT_CIPHER_SET_IV = 0x1022,
	OP_EXT_CIPHER_UPDATE = 0x1023,
	OP_EXT_CIPHER_FINISH = 0x1024,
	OP_EXT_AEAD_SETUP = 0x1030,
	OP_EXT_AEAD_SET_LENGTHS = 0x1031,
	OP_EXT_AEAD_GENERATE_NONCE = 0x1032,
	OP_EXT_AEAD_SET_NONCE = 0x1033,
	OP_EXT_AEAD_UPDATE_AD = 0x1034,
	OP_EXT_AEAD_UPDATE = 0x1035,
	OP_EXT_AEAD_FINISH = 0x1036,
	OP_EXT_AEAD_VERIFY = 0x1037,
	OP_EXT_KDF_SETUP = 0x1040,
	OP_EXT_KDF_GET_CAPACITY = 0x1041,
	OP_EXT_KDF_SET_CAPACITY = 0x1042,
	OP_EXT_KDF_INPUT_BYTES = 0x1043,
	OP_EXT_KDF_INPUT_KEY = 0x1044,
	OP_EXT_KDF_KEY_AGREEMENT = 0x1045,
	OP_EXT_KDF_OUTPUT_BYTES = 0x1046,
	OP_EXT_KDF_OUTPUT_KEY = 0x1047,
};

enum wire_status {
	ST_SUCCESS = 0,
	ST_WRONG_PROVIDER_ID = 1,
	ST_CONTENT_TYPE_NOT_SUPPORTED = 2,
	ST_ACCEPT_TYPE_NOT_SUPPORTED = 3,
	ST_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED = 4,
	ST_PROVIDER_NOT_REGISTERED = 5,
	ST_PROVIDER_DOES_NOT_EXIST = 6,
	ST_DESERIALIZING_BODY_FAILED = 7,
	ST_SERIALIZING_BODY_FAILED = 8,
	ST_OPCODE_DOES_NOT_EXIST = 9,
	ST_RESPONSE_TOO_LARGE = 10,
	ST_AUTHENTICATION_ERROR = 11,
	ST_AUTHENTICATOR_DOES_NOT_EXIST = 12,
	ST_AUTHENTICATOR_NOT_REGISTERED = 13,
	ST_KEY_INFO_MANAGER_ERROR = 14,
	ST_CONNECTION_ERROR = 15,
	ST_INVALID_ENCODING = 16,
	ST_INVALID_HEADER = 17,
	ST_WRONG_PROVIDER_UUID = 18,
	ST_NOT_AUTHENTICATED = 19,
	ST_BODY_SIZE_EXCEEDS_LIMIT = 20,
	ST_ADMIN_OPERATION = 21,
	ST_DEPRECATED_PRIMITIVE = 22,
	ST_PSA_GENERIC_ERROR = 1132,
	ST_PSA_NOT_PERMITTED = 1133,
	ST_PSA_NOT_SUPPORTED = 1134,
	ST_PSA_INVALID_ARGUMENT = 1135,
	ST_PSA_INVALID_HANDLE = 1136,
	ST_PSA_BAD_STATE = 1137,
	ST_PSA_BUFFER_TOO_SMALL = 1138,
	ST_PSA_ALREADY_EXISTS = 1139,
	ST_PSA_DOES_NOT_EXIST = 1140,
	ST_PSA_INSUFFICIENT_MEMORY = 1141,
	ST_PSA_INSUFFICIENT_STORAGE = 1142,
	ST_PSA_INSUFFICIENT_DATA = 1143,
	ST_PSA_COMMUNICATION_FAILURE = 1145,
	ST_PSA_STORAGE_FAILURE = 1146,
	ST_PSA_HARDWARE_FAILURE = 1147,
	ST_PSA_INSUFFICIENT_ENTROPY = 1148,
	ST_PSA_INVALID_SIGNATURE = 1149,
	ST_PSA_INVALID_PADDING = 1150,
	ST_PSA_CORRUPTION_DETECTED = 1151,
	ST_PSA_DATA_CORRUPT = 1152,
	ST_PSA_DATA_INVALID = 1153,
};

struct wire_hdr {
	uint16_t flags;
	uint8_t provider;
	uint64_t session;
	uint8_t content_type;
	uint8_t accept_type;
	uint8_t auth_type;
	uint32_t body_len;
	uint16_t auth_len;
	uint32_t opcode;
	uint16_t status;
};

/*
 * Outcome of checking a request header. A request whose header fails any of
 * these is answered as upstream answers a request it could not read (its
 * interface crate's Response::from_status): a header with provider 0, session
 * 0, opcode Ping and the status, nothing echoed, and the connection closes.
 */
enum wire_hdr_check {
	WIRE_HDR_OK = 0,
	WIRE_HDR_BAD_MAGIC,
	WIRE_HDR_BAD_SIZE,
	WIRE_HDR_BAD_VERSION,
	WIRE_HDR_BAD_RESERVED,
	WIRE_HDR_BAD_CONTENT_TYPE,
	WIRE_HDR_BAD_ACCEPT_TYPE,
	WIRE_HDR_BODY_TOO_LARGE,
};

/*
 * The verdict on the first len bytes of a request, before its whole header
 * is there, as upstream reads it: its magic number refused once 4 bytes
 * have come, a header size other than 30 once that many bytes follow it.
 * WIRE_HDR_OK with *need the bytes to wait for before more can be said
 * (WIRE_HDR_LEN: decode the header then).
 */
enum wire_hdr_check wire_peek_request_hdr(const uint8_t *in, size_t len, size_t *need);

/*
 * Decodes exactly WIRE_HDR_LEN bytes. Fills *hdr as far as the bytes can be
 * trusted and returns the first fault found, in upstream's order: version,
 * reserved bytes, body length, then content and accept type (which upstream
 * judges only once the body and auth field have been read).
 */
enum wire_hdr_check wire_decode_request_hdr(const uint8_t *in, size_t len, uint32_t body_limit,
    struct wire_hdr *hdr);

/* The response status that answers a header fault. */
enum wire_status wire_hdr_check_status(enum wire_hdr_check check);
const char *wire_hdr_check_str(enum wire_hdr_check check);

/* Encodes a header (request or response) into out[WIRE_HDR_LEN]. */
void wire_encode_hdr(const struct wire_hdr *hdr, uint8_t out[WIRE_HDR_LEN]);

/* Decodes a response header: magic, size and version must match. 0 or -1. */
int wire_decode_response_hdr(const uint8_t *in, size_t len, struct wire_hdr *hdr);
/* All of len bytes onto a stream socket (no SIGPIPE); 0, or -1 when it failed. */
int wire_send_all(int fd, const void *data, size_t len);

/* Whether an opcode is one the protocol defines; provider 0 serves only core ones. */
int wire_opcode_known(uint32_t opcode);
int wire_opcode_is_core(uint32_t opcode);
/* Operations that need no authentication. */
int wire_opcode_needs_auth(uint32_t opcode);
int wire_opcode_is_admin(uint32_t opcode);
/* Whether an opcode is one of parsecd's extensions (WIRE_OP_EXT_MIN..WIRE_OP_EXT_MAX). */
int wire_opcode_is_ext(uint32_t opcode);
/*
 * What a multipart extension opcode does with its operation's handle:
 * WIRE_MP_NONE (not multipart), WIRE_MP_START (makes one: a setup, a clone),
 * WIRE_MP_STEP (uses one), WIRE_MP_END (ends it, whatever its answer).
 */
enum wire_mp_role { WIRE_MP_NONE, WIRE_MP_START, WIRE_MP_STEP, WIRE_MP_END };
enum wire_mp_role wire_opcode_mp_role(uint32_t opcode);

/* What an operation does with the key it names. */
enum wire_key_use { WIRE_KEY_NONE, WIRE_KEY_USE, WIRE_KEY_CREATE, WIRE_KEY_DESTROY };
enum wire_key_use wire_opcode_key_use(uint32_t opcode);
/*
 * The standard opcode a volatile creation is the variant of (GenerateKey,
 * ImportKey); any other opcode is its own. Backends and brokerd's cost and
 * quota read a creation through it.
 */
uint32_t wire_opcode_base(uint32_t opcode);

const char *wire_opcode_name(uint32_t opcode);
const char *wire_status_name(uint32_t status);
/*
 * A PSA status (psa_status_t) as the wire's: PSA error -N is status 1000 + N
 * over the range the protocol publishes, anything else GenericError. The
 * providers' core converts every backend's answer with it, once.
 */
uint32_t wire_status_of_psa(int32_t psa_status);
const char *wire_provider_uuid(unsigned provider_id);

#endif
