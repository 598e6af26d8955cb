/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsecproto, the codec library: Parsec's protobuf bodies (nanopb code
 * generated here from the .proto files) to and from the one form of an
 * operation, common/op.h's (PSA Crypto API values), for the service (frontd)
 * and the client (libparsec) alike. It knows the wire protocol (wire.h:
 * opcodes, statuses) and that form, and nothing else of the daemons.
 *
 * Names carry the prefix pc_ ("protobuf codec"). Files:
 *   pc_psa.c    algorithms and key attributes <-> their protobuf messages
 *   pc_table.c  one row per opcode saying which Operation field holds the key
 *               name, algorithm, attributes, number and input bytes, and which
 *               Result field the output; requests and results are converted in
 *               both directions from that row
 *   pc_bytes.c  zero-copy nanopb callbacks for bytes fields over 64 KiB
 */
#ifndef PARSEC_PSA_CODEC_H
#define PARSEC_PSA_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <pb.h>
#include <pb_decode.h>
#include <pb_encode.h>

#include "op.h"
#include "psa_algorithm.pb.h"
#include "psa_key_attributes.pb.h"

/*
 * An operation has one model, the daemons' struct op_request (op.h), and the
 * codec converts to and from it directly: the service decodes a body into
 * one, the client builds a body from one. Its names are copied (bounded);
 * its input bytes are borrowed: on the service side they point into the
 * request body or the decoded message (valid until pc_msg_free), on the
 * client side into the caller's arguments (valid until the request is
 * encoded). What each opcode uses is its row in pc_table.c.
 */

/* ---- algorithms and key attributes: 0, or -1 for a value with no counterpart ---- */
int pc_alg_from_pb(const psa_algorithm_Algorithm *pb, uint32_t *alg);
int pc_alg_to_pb(uint32_t alg, psa_algorithm_Algorithm *pb);
int pc_key_attrs_from_pb(const psa_key_attributes_KeyAttributes *pb, struct op_key_attrs *attrs);
int pc_key_attrs_to_pb(const struct op_key_attrs *attrs, psa_key_attributes_KeyAttributes *pb);

/* ---- the per-opcode table (pc_table.c) ---- */
enum pc_kind {
	PC_NONE,
	PC_FIXED,    /* a bounded bytes array inside the message */
	PC_POINTER,  /* a heap pb_bytes_array_t (pb_release frees it) */
	PC_CALLBACK, /* a callback field: large data, never copied */
};

enum pc_alg_form {
	PC_ALG_NONE,
	PC_ALG_MSG,    /* optional Algorithm sub-message with has_alg */
	PC_ALG_ENUM,   /* a bare enum (Cipher, Hash) */
	PC_ALG_RAW_KA, /* RawKeyAgreement's bare KeyAgreement.Raw enum */
};

struct pc_field {
	uint8_t kind;   /* enum pc_kind */
	uint8_t slot;   /* op_request.in index (inputs) */
	uint32_t off;   /* in the message */
	uint32_t cap;   /* PC_FIXED: capacity */
};

struct pc_codec {
	uint32_t opcode;
	const pb_msgdesc_t *op_fields;
	size_t op_size;
	const pb_msgdesc_t *res_fields;
	size_t res_size;
	/* Operation fields */
	uint8_t name_role; /* 0 none, 1 key_name, 2 client */
	uint32_t name_off, name_size;
	uint8_t alg_form;  /* enum pc_alg_form */
	pb_size_t alg_tag; /* the Algorithm oneof member */
	uint32_t alg_off, alg_size, alg_has_off;
	uint8_t attrs;     /* 1: the Operation carries key attributes */
	uint32_t attrs_off, attrs_has_off;
	uint8_t num_size;  /* 0 none, 4 or 8 */
	uint32_t num_off;
	uint32_t num_min, num_max; /* num_max 0: any value */
	struct pc_field in[OP_MAX_INPUTS];
	/* Result field */
	struct pc_field out;
};

/* The row for opcode, or NULL for an operation the codec does not carry. */
const struct pc_codec *pc_codec_find(uint32_t opcode);

/*
 * Key attestation (pc_attest.c), which the rows do not describe: an
 * Operation's arguments (key_name: the attested key, client: the attesting
 * key's name, in[0] credential blob, in[1] secret), and a Result from
 * op_result's outputs as op.h lays them out (AttestKey: out[0] credential;
 * PrepareKeyAttestation: out[0] name, out[2] public, out[3] attesting key's
 * public key).
 */
/*
 * A name field of a decoded Operation (size bytes) into dst, a name of
 * op_request: 0, or -1 when the field holds no NUL or the name does not fit.
 */
int pc_name_get(char dst[OP_NAME_MAX], const char *field, size_t size);
uint32_t pc_attest_request(uint32_t opcode, const void *msg, struct op_request *req);
int pc_attest_result_fill(uint32_t opcode, const struct op_result *res, void *msg);

/*
 * parsecd's key extensions (pc_ext_key.c): their rows, which pc_codec_find
 * also searches, and what ExtCopyKey's row does not describe: its second
 * name (the source key, carried as op_request.client) and its attributes, whose
 * type may be 0 (the source's). get: ST_SUCCESS or ST_INVALID_ENCODING; put:
 * ST_SUCCESS or ST_PSA_INVALID_ARGUMENT.
 */
const struct pc_codec *pc_ext_key_codec_find(uint32_t opcode);
uint32_t pc_ext_key_copy_get(const void *msg, struct op_request *req);
uint32_t pc_ext_key_copy_put(const struct op_request *req, void *msg);

/* ---- service side: requests in, results out ---- */
struct pc_msg; /* a decoded Operation, backing an op_request's input bytes */

/* 1 when every string field of BODY, a message DESC, at any depth, is UTF-8
 * without a NUL byte (pc_names.c); 0 otherwise. */
int pc_names_valid(const pb_msgdesc_t *desc, const uint8_t *body, size_t len);

/*
 * Decodes body as codec's Operation into req (zeroed first, its opcode set):
 * the names copied, the large inputs pointing into body, the others into
 * *msg. Returns ST_SUCCESS with *msg to free with pc_msg_free after req is
 * used, ST_DESERIALIZING_BODY_FAILED for a body that is not that Operation,
 * ST_INVALID_ENCODING for a value with no PSA counterpart or a missing field,
 * ST_PSA_INVALID_ARGUMENT for a string (a key or client name) that is not
 * UTF-8 or holds a NUL byte, or ST_PSA_INSUFFICIENT_MEMORY.
 */
uint32_t pc_request_decode(const struct pc_codec *codec, const uint8_t *body, size_t len,
    struct op_request *req, struct pc_msg **msg);
void pc_msg_free(struct pc_msg *msg);

/*
 * Puts res's output (out[0]; key attestation's as above) into a zeroed Result
 * of codec (res_size bytes): 0, or -1 if it does not fit. res's bytes must
 * stay valid until msg is encoded; pb_release frees msg.
 */
int pc_result_fill(const struct pc_codec *codec, const struct op_result *res, void *msg);

/* Encodes msg into a malloc'd buffer: 0, or -1. */
int pc_encode(const pb_msgdesc_t *fields, const void *msg, uint8_t **body, size_t *len);

/*
 * pb_release of msg (size bytes, a decoded or filled message of desc), with
 * its heap bytes fields and then msg itself wiped: decode and encode scratch
 * may hold keys (pc_wipe.c). msg itself is the caller's to free.
 */
void pc_release_wiped(const pb_msgdesc_t *desc, void *msg, size_t size);

/* ---- client side: requests out, results in ---- */
/*
 * Fills a zeroed Operation of codec (op_size bytes) from req (whose opcode
 * is not read: codec says which operation it is). Returns ST_SUCCESS, ST_PSA_INVALID_ARGUMENT for arguments the
 * message cannot carry (a name empty, or filling its field without a NUL), or
 * ST_PSA_INSUFFICIENT_MEMORY. Call pc_request_wipe afterwards either way.
 */
uint32_t pc_request_build(const struct pc_codec *codec, const struct op_request *req, void *op);
/* Wipes and frees what pc_request_build copied, then the rest of op. */
void pc_request_wipe(const struct pc_codec *codec, void *op);

/* A caller's buffer for a Result's output bytes; len is what the answer held. */
struct pc_sink {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/* Before decoding a zeroed Result: large outputs go straight into sink. */
void pc_result_prepare(const struct pc_codec *codec, void *res, struct pc_sink *sink);
/* After decoding: the output into sink when it fits, heap copies wiped. */
void pc_result_collect(const struct pc_codec *codec, void *res, struct pc_sink *sink);

/* ---- zero-copy bytes callbacks (pc_bytes.c); the arg is a struct op_bytes * ---- */
/* Only for streams made by pb_istream_from_buffer: the bytes stay in that buffer. */
bool pc_bytes_capture(pb_istream_t *stream, const pb_field_t *field, void **arg);
bool pc_bytes_emit(pb_ostream_t *stream, const pb_field_t *field, void *const *arg);

/* Sets a callback field to decode into, or encode from, b. */
#define PC_BYTES_IN(cb, b) ((cb).funcs.decode = pc_bytes_capture, (cb).arg = (b))
#define PC_BYTES_OUT(cb, b) ((cb).funcs.encode = pc_bytes_emit, (cb).arg = (void *)(b))

#endif
