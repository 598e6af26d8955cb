/* SPDX-License-Identifier: Apache-2.0 */
/* Parsec wire protocol 1.0 header codec and the protocol's tables. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "row.h"
#include "wire.h"

/* The header after magic, size and version, up to its two reserved bytes. */
static const struct buf_field wire_hdr_fields[] = {
	BUF_F_U16(struct wire_hdr, flags), BUF_F_U8(struct wire_hdr, provider),
	BUF_F_U64(struct wire_hdr, session), BUF_F_U8(struct wire_hdr, content_type),
	BUF_F_U8(struct wire_hdr, accept_type), BUF_F_U8(struct wire_hdr, auth_type),
	BUF_F_U32(struct wire_hdr, body_len), BUF_F_U16(struct wire_hdr, auth_len),
	BUF_F_U32(struct wire_hdr, opcode), BUF_F_U16(struct wire_hdr, status),
};

enum wire_hdr_check
wire_decode_request_hdr(const uint8_t *in, size_t len, uint32_t body_limit, struct wire_hdr *hdr)
{
	struct buf_reader rd;
	uint32_t magic;
	uint16_t hdr_size;
	uint8_t maj, min, reserved1, reserved2;

	memset(hdr, 0, sizeof(*hdr));
	if (len < WIRE_HDR_LEN)
		return WIRE_HDR_BAD_SIZE;
	buf_reader_init(&rd, in, WIRE_HDR_LEN);
	magic = buf_get_u32le(&rd);
	if (magic != WIRE_MAGIC)
		return WIRE_HDR_BAD_MAGIC;
	hdr_size = buf_get_u16le(&rd);
	if (hdr_size != WIRE_HDR_SIZE_FIELD)
		return WIRE_HDR_BAD_SIZE;
	maj = buf_get_u8(&rd);
	min = buf_get_u8(&rd);
	buf_get_fields(&rd, hdr, BUF_FIELDS(wire_hdr_fields));
	reserved1 = buf_get_u8(&rd);
	reserved2 = buf_get_u8(&rd);

	if (maj != WIRE_VERSION_MAJ || min != WIRE_VERSION_MIN)
		return WIRE_HDR_BAD_VERSION;
	if (reserved1 != 0 || reserved2 != 0)
		return WIRE_HDR_BAD_RESERVED;
	if (hdr->body_len > body_limit)
		return WIRE_HDR_BODY_TOO_LARGE;
	if (hdr->content_type != 0)
		return WIRE_HDR_BAD_CONTENT_TYPE;
	if (hdr->accept_type != 0)
		return WIRE_HDR_BAD_ACCEPT_TYPE;
	return WIRE_HDR_OK;
}

/*
 * Upstream (parsec-interface 0.27, WireHeader::read_from_stream) reads the
 * magic number and checks it, then the header size, then that many bytes,
 * and only then refuses a size other than 30.
 */
enum wire_hdr_check
wire_peek_request_hdr(const uint8_t *in, size_t len, size_t *need)
{
	struct buf_reader rd;
	uint16_t hdr_size;

	*need = 4;
	if (len < *need)
		return WIRE_HDR_OK;
	buf_reader_init(&rd, in, len);
	if (buf_get_u32le(&rd) != WIRE_MAGIC)
		return WIRE_HDR_BAD_MAGIC;
	*need = 6;
	if (len < *need)
		return WIRE_HDR_OK;
	hdr_size = buf_get_u16le(&rd);
	*need = 6 + (size_t)hdr_size;
	if (hdr_size != WIRE_HDR_SIZE_FIELD && len >= *need)
		return WIRE_HDR_BAD_SIZE;
	return WIRE_HDR_OK;
}

enum wire_status
wire_hdr_check_status(enum wire_hdr_check check)
{
	switch (check) {
	case WIRE_HDR_OK:
		return ST_SUCCESS;
	case WIRE_HDR_BAD_VERSION:
		return ST_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED;
	case WIRE_HDR_BAD_CONTENT_TYPE:
		return ST_CONTENT_TYPE_NOT_SUPPORTED;
	case WIRE_HDR_BAD_ACCEPT_TYPE:
		return ST_ACCEPT_TYPE_NOT_SUPPORTED;
	case WIRE_HDR_BODY_TOO_LARGE:
		return ST_BODY_SIZE_EXCEEDS_LIMIT;
	case WIRE_HDR_BAD_MAGIC:
	case WIRE_HDR_BAD_SIZE:
	case WIRE_HDR_BAD_RESERVED:
		break;
	}
	return ST_INVALID_HEADER;
}

const char *
wire_hdr_check_str(enum wire_hdr_check check)
{
	switch (check) {
	case WIRE_HDR_OK:
		return "ok";
	case WIRE_HDR_BAD_MAGIC:
		return "bad magic number";
	case WIRE_HDR_BAD_SIZE:
		return "bad header size";
	case WIRE_HDR_BAD_VERSION:
		return "unsupported wire protocol version";
	case WIRE_HDR_BAD_RESERVED:
		return "reserved bytes not zero";
	case WIRE_HDR_BAD_CONTENT_TYPE:
		return "unsupported content type";
	case WIRE_HDR_BAD_ACCEPT_TYPE:
		return "unsupported accept type";
	case WIRE_HDR_BODY_TOO_LARGE:
		return "body length exceeds the limit";
	}
	return "unknown header fault";
}

void
wire_encode_hdr(const struct wire_hdr *hdr, uint8_t out[WIRE_HDR_LEN])
{
	struct buf_writer wr;

	buf_writer_init(&wr, out, WIRE_HDR_LEN);
	buf_put_u32le(&wr, WIRE_MAGIC);
	buf_put_u16le(&wr, WIRE_HDR_SIZE_FIELD);
	buf_put_u8(&wr, WIRE_VERSION_MAJ);
	buf_put_u8(&wr, WIRE_VERSION_MIN);
	buf_put_fields(&wr, hdr, BUF_FIELDS(wire_hdr_fields));
	buf_put_u8(&wr, 0);
	buf_put_u8(&wr, 0);
}

int
wire_decode_response_hdr(const uint8_t *in, size_t len, struct wire_hdr *hdr)
{
	/* A response has the same layout; the body limit is the caller's business. */
	enum wire_hdr_check check = wire_decode_request_hdr(in, len, UINT32_MAX, hdr);

	return check == WIRE_HDR_OK ? 0 : -1;
}

struct wire_opcode_info {
	uint32_t opcode;
	const char *name;
	unsigned char core;
	unsigned char needs_auth;
	unsigned char admin;
	unsigned char key; /* enum wire_key_use */
};

static const struct wire_opcode_info wire_opcodes[] = {
	{ OP_PING, "Ping", 1, 0, 0, WIRE_KEY_NONE },
	{ OP_PSA_GENERATE_KEY, "PsaGenerateKey", 0, 1, 0, WIRE_KEY_CREATE },
	{ OP_PSA_DESTROY_KEY, "PsaDestroyKey", 0, 1, 0, WIRE_KEY_DESTROY },
	{ OP_PSA_SIGN_HASH, "PsaSignHash", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_VERIFY_HASH, "PsaVerifyHash", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_IMPORT_KEY, "PsaImportKey", 0, 1, 0, WIRE_KEY_CREATE },
	{ OP_PSA_EXPORT_PUBLIC_KEY, "PsaExportPublicKey", 0, 1, 0, WIRE_KEY_USE },
	{ OP_LIST_PROVIDERS, "ListProviders", 1, 0, 0, WIRE_KEY_NONE },
	{ OP_LIST_OPCODES, "ListOpcodes", 1, 0, 0, WIRE_KEY_NONE },
	{ OP_PSA_ASYMMETRIC_ENCRYPT, "PsaAsymmetricEncrypt", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_ASYMMETRIC_DECRYPT, "PsaAsymmetricDecrypt", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_EXPORT_KEY, "PsaExportKey", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_GENERATE_RANDOM, "PsaGenerateRandom", 0, 0, 0, WIRE_KEY_NONE },
	{ OP_LIST_AUTHENTICATORS, "ListAuthenticators", 1, 0, 0, WIRE_KEY_NONE },
	{ OP_PSA_HASH_COMPUTE, "PsaHashCompute", 0, 0, 0, WIRE_KEY_NONE },
	{ OP_PSA_HASH_COMPARE, "PsaHashCompare", 0, 0, 0, WIRE_KEY_NONE },
	{ OP_PSA_AEAD_ENCRYPT, "PsaAeadEncrypt", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_AEAD_DECRYPT, "PsaAeadDecrypt", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_RAW_KEY_AGREEMENT, "PsaRawKeyAgreement", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_CIPHER_ENCRYPT, "PsaCipherEncrypt", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_CIPHER_DECRYPT, "PsaCipherDecrypt", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_MAC_COMPUTE, "PsaMacCompute", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_MAC_VERIFY, "PsaMacVerify", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_SIGN_MESSAGE, "PsaSignMessage", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PSA_VERIFY_MESSAGE, "PsaVerifyMessage", 0, 1, 0, WIRE_KEY_USE },
	{ OP_LIST_KEYS, "ListKeys", 1, 1, 0, WIRE_KEY_NONE },
	{ OP_LIST_CLIENTS, "ListClients", 1, 1, 1, WIRE_KEY_NONE },
	{ OP_DELETE_CLIENT, "DeleteClient", 1, 1, 1, WIRE_KEY_NONE },
	{ OP_ATTEST_KEY, "AttestKey", 0, 1, 0, WIRE_KEY_USE },
	{ OP_PREPARE_KEY_ATTESTATION, "PrepareKeyAttestation", 0, 1, 0, WIRE_KEY_USE },
	{ OP_CAN_DO_CRYPTO, "CanDoCrypto", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_GENERATE_VOLATILE, "ExtGenerateVolatile", 0, 1, 0, WIRE_KEY_CREATE },
	{ OP_EXT_IMPORT_VOLATILE, "ExtImportVolatile", 0, 1, 0, WIRE_KEY_CREATE },
	{ OP_EXT_COPY_KEY, "ExtCopyKey", 0, 1, 0, WIRE_KEY_CREATE },
	/* parsecd's extensions: multipart operations and key derivation */
	{ OP_EXT_ABORT, "ExtAbort", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_HASH_SETUP, "ExtHashSetup", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_HASH_UPDATE, "ExtHashUpdate", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_HASH_FINISH, "ExtHashFinish", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_HASH_VERIFY, "ExtHashVerify", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_HASH_CLONE, "ExtHashClone", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_HASH_SUSPEND, "ExtHashSuspend", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_HASH_RESUME, "ExtHashResume", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_MAC_SETUP, "ExtMacSetup", 0, 1, 0, WIRE_KEY_USE },
	{ OP_EXT_MAC_UPDATE, "ExtMacUpdate", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_MAC_SIGN_FINISH, "ExtMacSignFinish", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_MAC_VERIFY_FINISH, "ExtMacVerifyFinish", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_CIPHER_SETUP, "ExtCipherSetup", 0, 1, 0, WIRE_KEY_USE },
	{ OP_EXT_CIPHER_GENERATE_IV, "ExtCipherGenerateIv", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_CIPHER_SET_IV, "ExtCipherSetIv", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_CIPHER_UPDATE, "ExtCipherUpdate", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_CIPHER_FINISH, "ExtCipherFinish", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_AEAD_SETUP, "ExtAeadSetup", 0, 1, 0, WIRE_KEY_USE },
	{ OP_EXT_AEAD_SET_LENGTHS, "ExtAeadSetLengths", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_AEAD_GENERATE_NONCE, "ExtAeadGenerateNonce", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_AEAD_SET_NONCE, "ExtAeadSetNonce", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_AEAD_UPDATE_AD, "ExtAeadUpdateAd", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_AEAD_UPDATE, "ExtAeadUpdate", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_AEAD_FINISH, "ExtAeadFinish", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_AEAD_VERIFY, "ExtAeadVerify", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_KDF_SETUP, "ExtKdfSetup", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_KDF_GET_CAPACITY, "ExtKdfGetCapacity", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_KDF_SET_CAPACITY, "ExtKdfSetCapacity", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_KDF_INPUT_BYTES, "ExtKdfInputBytes", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_KDF_INPUT_KEY, "ExtKdfInputKey", 0, 1, 0, WIRE_KEY_USE },
	{ OP_EXT_KDF_KEY_AGREEMENT, "ExtKdfKeyAgreement", 0, 1, 0, WIRE_KEY_USE },
	{ OP_EXT_KDF_OUTPUT_BYTES, "ExtKdfOutputBytes", 0, 1, 0, WIRE_KEY_NONE },
	{ OP_EXT_KDF_OUTPUT_KEY, "ExtKdfOutputKey", 0, 1, 0, WIRE_KEY_CREATE },
};

/* What each multipart extension opcode does with its operation's handle. */
static const struct wire_mp_info {
	uint32_t opcode;
	unsigned char role; /* enum wire_mp_role */
} wire_mp_roles[] = {
	{ OP_EXT_ABORT, WIRE_MP_END },
	{ OP_EXT_HASH_SETUP, WIRE_MP_START },
	{ OP_EXT_HASH_UPDATE, WIRE_MP_STEP },
	{ OP_EXT_HASH_FINISH, WIRE_MP_END },
	{ OP_EXT_HASH_VERIFY, WIRE_MP_END },
	{ OP_EXT_HASH_CLONE, WIRE_MP_START },
	{ OP_EXT_HASH_SUSPEND, WIRE_MP_END },
	{ OP_EXT_HASH_RESUME, WIRE_MP_START },
	{ OP_EXT_MAC_SETUP, WIRE_MP_START },
	{ OP_EXT_MAC_UPDATE, WIRE_MP_STEP },
	{ OP_EXT_MAC_SIGN_FINISH, WIRE_MP_END },
	{ OP_EXT_MAC_VERIFY_FINISH, WIRE_MP_END },
	{ OP_EXT_CIPHER_SETUP, WIRE_MP_START },
	{ OP_EXT_CIPHER_GENERATE_IV, WIRE_MP_STEP },
	{ OP_EXT_CIPHER_SET_IV, WIRE_MP_STEP },
	{ OP_EXT_CIPHER_UPDATE, WIRE_MP_STEP },
	{ OP_EXT_CIPHER_FINISH, WIRE_MP_END },
	{ OP_EXT_AEAD_SETUP, WIRE_MP_START },
	{ OP_EXT_AEAD_SET_LENGTHS, WIRE_MP_STEP },
	{ OP_EXT_AEAD_GENERATE_NONCE, WIRE_MP_STEP },
	{ OP_EXT_AEAD_SET_NONCE, WIRE_MP_STEP },
	{ OP_EXT_AEAD_UPDATE_AD, WIRE_MP_STEP },
	{ OP_EXT_AEAD_UPDATE, WIRE_MP_STEP },
	{ OP_EXT_AEAD_FINISH, WIRE_MP_END },
	{ OP_EXT_AEAD_VERIFY, WIRE_MP_END },
	{ OP_EXT_KDF_SETUP, WIRE_MP_START },
	{ OP_EXT_KDF_GET_CAPACITY, WIRE_MP_STEP },
	{ OP_EXT_KDF_SET_CAPACITY, WIRE_MP_STEP },
	{ OP_EXT_KDF_INPUT_BYTES, WIRE_MP_STEP },
	{ OP_EXT_KDF_INPUT_KEY, WIRE_MP_STEP },
	{ OP_EXT_KDF_KEY_AGREEMENT, WIRE_MP_STEP },
	{ OP_EXT_KDF_OUTPUT_BYTES, WIRE_MP_STEP },
	{ OP_EXT_KDF_OUTPUT_KEY, WIRE_MP_STEP },
};

static const struct wire_opcode_info *
wire_opcode_lookup(uint32_t opcode)
{
	return ROW_FIND(wire_opcodes, struct wire_opcode_info, opcode, opcode);
}

int
wire_opcode_known(uint32_t opcode)
{
	return wire_opcode_lookup(opcode) != NULL;
}

int
wire_opcode_is_core(uint32_t opcode)
{
	const struct wire_opcode_info *info = wire_opcode_lookup(opcode);

	return info != NULL && info->core;
}

int
wire_opcode_needs_auth(uint32_t opcode)
{
	const struct wire_opcode_info *info = wire_opcode_lookup(opcode);

	return info == NULL || info->needs_auth;
}

int
wire_opcode_is_admin(uint32_t opcode)
{
	const struct wire_opcode_info *info = wire_opcode_lookup(opcode);

	return info != NULL && info->admin;
}

int
wire_opcode_is_ext(uint32_t opcode)
{
	return opcode >= WIRE_OP_EXT_MIN && opcode <= WIRE_OP_EXT_MAX;
}

enum wire_mp_role
wire_opcode_mp_role(uint32_t opcode)
{
	const struct wire_mp_info *info = ROW_FIND(wire_mp_roles, struct wire_mp_info, opcode,
	    opcode);

	return info != NULL ? (enum wire_mp_role)info->role : WIRE_MP_NONE;
}

enum wire_key_use
wire_opcode_key_use(uint32_t opcode)
{
	const struct wire_opcode_info *info = wire_opcode_lookup(opcode);

	return info != NULL ? (enum wire_key_use)info->key : WIRE_KEY_NONE;
}

uint32_t
wire_opcode_base(uint32_t opcode)
{
	if (opcode == OP_EXT_GENERATE_VOLATILE)
		return OP_PSA_GENERATE_KEY;
	if (opcode == OP_EXT_IMPORT_VOLATILE)
		return OP_PSA_IMPORT_KEY;
	return opcode;
}

const char *
wire_opcode_name(uint32_t opcode)
{
	const struct wire_opcode_info *info = wire_opcode_lookup(opcode);

	return info != NULL ? info->name : "unknown";
}

uint32_t
wire_status_of_psa(int32_t psa_status)
{
	if (psa_status == 0)
		return ST_SUCCESS;
	if (psa_status <= -132 && psa_status >= -153)
		return (uint32_t)(1000 - psa_status);
	return ST_PSA_GENERIC_ERROR;
}

const char *
wire_status_name(uint32_t status)
{
	static const char *const base[] = { "Success", "WrongProviderId",
		"ContentTypeNotSupported", "AcceptTypeNotSupported",
		"WireProtocolVersionNotSupported", "ProviderNotRegistered", "ProviderDoesNotExist",
		"DeserializingBodyFailed", "SerializingBodyFailed", "OpcodeDoesNotExist",
		"ResponseTooLarge", "AuthenticationError", "AuthenticatorDoesNotExist",
		"AuthenticatorNotRegistered", "KeyInfoManagerError", "ConnectionError",
		"InvalidEncoding", "InvalidHeader", "WrongProviderUuid", "NotAuthenticated",
		"BodySizeExceedsLimit", "AdminOperation", "DeprecatedPrimitive" };
	static const char *const psa[] = { "PsaErrorGenericError", "PsaErrorNotPermitted",
		"PsaErrorNotSupported", "PsaErrorInvalidArgument", "PsaErrorInvalidHandle",
		"PsaErrorBadState", "PsaErrorBufferTooSmall", "PsaErrorAlreadyExists",
		"PsaErrorDoesNotExist", "PsaErrorInsufficientMemory",
		"PsaErrorInsufficientStorage", "PsaErrorInsufficientData", NULL,
		"PsaErrorCommunicationFailure", "PsaErrorStorageFailure",
		"PsaErrorHardwareFailure", "PsaErrorInsufficientEntropy",
		"PsaErrorInvalidSignature", "PsaErrorInvalidPadding",
		"PsaErrorCorruptionDetected", "PsaErrorDataCorrupt", "PsaErrorDataInvalid" };

	if (status < sizeof(base) / sizeof(base[0]))
		return base[status];
	if (status >= ST_PSA_GENERIC_ERROR &&
	    status - ST_PSA_GENERIC_ERROR < sizeof(psa) / sizeof(psa[0]) &&
	    psa[status - ST_PSA_GENERIC_ERROR] != NULL)
		return psa[status - ST_PSA_GENERIC_ERROR];
	return "unknown status";
}

const char *
wire_provider_uuid(unsigned provider_id)
{
	static const char *const uuids[WIRE_PROVIDER_COUNT] = {
		"47049873-2a43-4845-9d72-831eab668784",
		"1c1139dc-ad7c-47dc-ad6b-db6fdb466552",
		"30e39502-eba6-4d60-a4af-c518b7f5e38f",
		"1e4954a4-ff21-46d3-ab0c-661eeb667e1d",
		"71129441-508a-4da6-b6e8-7b98a777e4c0",
		"b8ba81e2-e9f7-4bdd-b096-a29d0019960c",
	};

	return provider_id < WIRE_PROVIDER_COUNT ? uuids[provider_id] : NULL;
}

int
wire_send_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
