/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one model of an operation: the codec (proto/psa_codec.h) decodes a
 * client's protobuf body straight into a struct op_request in frontd, every
 * later hop (brokerd, the providers) uses that form, they answer with a
 * struct op_result which frontd's codec encodes back; on the client side
 * libparsec fills an op_request and the codec builds the body from it.
 * Names are copied into it (bounded); byte fields point into the buffer they
 * were decoded from, or the client's own arguments.
 */
#ifndef PARSEC_OP_H
#define PARSEC_OP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define OP_NAME_MAX 256 /* key, application and client names, with the NUL */
#define OP_MAX_INPUTS 3
#define OP_MAX_OUTPUTS 4
#define OP_DESC_MAX 128

struct op_bytes {
	const uint8_t *ptr;
	size_t len;
};

/* PSA key attributes in their PSA Crypto API encoding. */
struct op_key_attrs {
	uint32_t type;  /* psa_key_type_t */
	uint32_t bits;
	uint32_t usage; /* psa_key_usage_t */
	uint32_t alg;   /* permitted psa_algorithm_t */
};

/*
 * Inputs by opcode (everything else zero):
 *   GenerateKey: key_name, attrs           ImportKey: key_name, attrs, in[0] data
 *   DestroyKey, ExportKey, ExportPublicKey: key_name
 *   SignHash: key_name, alg, in[0] hash    VerifyHash: + in[1] signature
 *   SignMessage: key_name, alg, in[0] msg  VerifyMessage: + in[1] signature
 *   AsymmetricEncrypt/Decrypt: key_name, alg, in[0] input, in[1] salt
 *   AeadEncrypt/Decrypt: key_name, alg, in[0] nonce, in[1] additional data, in[2] text
 *   CipherEncrypt/Decrypt: key_name, alg, in[0] text
 *   MacCompute: key_name, alg, in[0] input  MacVerify: + in[1] mac
 *   HashCompute: alg, in[0] input           HashCompare: alg, in[0] input, in[1] hash
 *   RawKeyAgreement: key_name, alg, in[0] peer key
 *   GenerateRandom: number = size           ListOpcodes: number = provider id
 *   DeleteClient: client                    CanDoCrypto: number = check type, attrs
 *   AttestKey: key_name (attested), client (attesting key), in[0] credential blob, in[1] secret
 *   PrepareKeyAttestation: key_name (attested), client (attesting key)
 *   Extension opcodes (OP_EXT_*, proto/pc_ext.h): handle, and as their
 *   contract says alg, key_name, attrs, number, number2, step, in[0], in[1];
 *   (a setup's number: 1 to verify or decrypt; KdfOutputKey's number2: 1 for
 *   a volatile key; an output step's number2: the caller's room for it, or
 *   PC_EXT_NO_LIMIT); a setup's or clone's handle2 is the new handle, and conn
 *   the client connection, both brokerd's, for the worker
 */
struct op_request {
	uint32_t opcode;
	uint64_t number;
	uint32_t alg;
	struct op_key_attrs attrs;
	char key_name[OP_NAME_MAX];
	char client[OP_NAME_MAX];
	struct op_bytes in[OP_MAX_INPUTS];
	/* a multipart operation's handle on its connection (0: none) */
	uint32_t handle;
	/* a second handle: the one a clone or a setup makes (brokerd chooses it) */
	uint32_t handle2;
	uint32_t step;    /* a key derivation step (PSA_KEY_DERIVATION_INPUT_*) */
	uint64_t number2; /* a second number (AEAD lengths: the text's) */
	/* brokerd's: the client connection that owns the handle, for its worker */
	uint64_t conn;
};

/*
 * Outputs: out[0] carries the main result (signature, ciphertext, key data,
 * random bytes, hash, shared secret, plaintext, credential); out[1] is a new
 * key's reference, for brokerd only (never passed on to a client);
 * PrepareKeyAttestation: out[0] name, out[2] public area, out[3] attesting key;
 * list operations carry their encoded items in list with list_count entries
 * (see op_list_*).
 */
struct op_result {
	uint32_t status;
	struct op_bytes out[OP_MAX_OUTPUTS];
	uint32_t list_count;
	struct op_bytes list;
};

struct op_provider_info {
	char uuid[40];
	char description[OP_DESC_MAX];
	char vendor[OP_DESC_MAX];
	uint32_t version_maj, version_min, version_rev;
	uint32_t id;
};

struct op_authenticator_info {
	char description[OP_DESC_MAX];
	uint32_t version_maj, version_min, version_rev;
	uint32_t id;
};

struct op_key_info {
	uint32_t provider_id;
	char name[OP_NAME_MAX];
	struct op_key_attrs attrs;
};

/*
 * The forms are parts of messages, not messages: put writes one into wr, get
 * reads one from rd (0, or -1; not requiring the end). A whole payload goes
 * through its message's ipc_*_encode/ipc_*_decode (ipc_msg.h), which checks
 * the end.
 */
void op_request_put(struct buf_writer *wr, const struct op_request *req);
size_t op_request_put_len(const struct op_request *req);
int op_request_get(struct buf_reader *rd, struct op_request *req);

void op_result_put(struct buf_writer *wr, const struct op_result *res);
size_t op_result_put_len(const struct op_result *res);
int op_result_get(struct buf_reader *rd, struct op_result *res);

/* List items: writers append to a growing buffer, readers walk a result's list. */
void op_list_put_provider(struct buf_writer *wr, const struct op_provider_info *info);
int op_list_get_provider(struct buf_reader *rd, struct op_provider_info *info);
void op_list_put_authenticator(struct buf_writer *wr, const struct op_authenticator_info *info);
int op_list_get_authenticator(struct buf_reader *rd, struct op_authenticator_info *info);
void op_list_put_key(struct buf_writer *wr, const struct op_key_info *info);
int op_list_get_key(struct buf_reader *rd, struct op_key_info *info);

/* An op_result that is only a status. */
void op_result_status(struct op_result *res, uint32_t status);

#endif
